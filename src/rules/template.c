/* Templates of diagnoses, fix steps and confirm commands: `{name}` is the
 * fact, `{name|fallback}` the fallback text when the fact is missing, `{{`
 * and `}}` literal braces. Rendering for the reporters, checking for the
 * loader (which names a template uses, and whether it is well formed). */
#include <string.h>

#include "rules/ruleset_impl.h"

static bool is_fact_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Parses the placeholder at tmpl[0] == '{' (not "{{"). Fills the name and the
 * fallback and returns the length of the whole placeholder, or 0 when it is
 * malformed (with *problem set). */
static size_t parse_placeholder(const char *tmpl, size_t *name_len, const char **fallback,
                                size_t *fallback_len, bool *has_fallback, const char **problem)
{
    size_t i = 1;
    while (is_fact_char(tmpl[i]))
        i++;
    *name_len = i - 1;
    *has_fallback = false;
    *fallback = NULL;
    *fallback_len = 0;
    if (*name_len == 0) {
        *problem = "'{' must start a fact name like {bundle_id} (write '{{' for a literal brace)";
        return 0;
    }
    if (tmpl[i] == '|') {
        size_t start = ++i;
        while (tmpl[i] && tmpl[i] != '}' && tmpl[i] != '{')
            i++;
        if (tmpl[i] != '}') {
            *problem = "unclosed '{name|fallback}'";
            return 0;
        }
        *has_fallback = true;
        *fallback = tmpl + start;
        *fallback_len = i - start;
        return i + 1;
    }
    if (tmpl[i] != '}') {
        *problem = "a fact name is letters, digits and '_', closed by '}' (write '{{' for a "
                   "literal brace)";
        return 0;
    }
    return i + 1;
}

const char *te_template_check(const char *tmpl, te_template_name_fn fn, void *ctx, size_t *offset)
{
    for (size_t i = 0; tmpl[i];) {
        if ((tmpl[i] == '{' && tmpl[i + 1] == '{') || (tmpl[i] == '}' && tmpl[i + 1] == '}')) {
            i += 2;
            continue;
        }
        if (tmpl[i] == '}') {
            *offset = i;
            return "'}' without '{' (write '}}' for a literal brace)";
        }
        if (tmpl[i] != '{') {
            i++;
            continue;
        }
        size_t name_len, fallback_len;
        const char *fallback, *problem = NULL;
        bool has_fallback;
        size_t n = parse_placeholder(tmpl + i, &name_len, &fallback, &fallback_len, &has_fallback,
                                     &problem);
        if (!n) {
            *offset = i;
            return problem;
        }
        if (fn) fn(ctx, tmpl + i + 1, name_len, i);
        i += n;
    }
    return NULL;
}

bool te_template_render(const char *tmpl, te_fact_lookup_fn lookup, void *ctx, te_buf *out)
{
    size_t i = 0, literal_start = 0;
    if (!tmpl) return true;
    while (tmpl[i]) {
        char c = tmpl[i];
        bool doubled = (c == '{' || c == '}') && tmpl[i + 1] == c;
        if (c != '{' && !doubled) {
            i++;
            continue;
        }
        te_buf_append(out, tmpl + literal_start, i - literal_start);
        if (doubled) {
            te_buf_putc(out, c);
            i += 2;
            literal_start = i;
            continue;
        }
        size_t name_len, fallback_len;
        const char *fallback, *problem = NULL;
        bool has_fallback;
        size_t n = parse_placeholder(tmpl + i, &name_len, &fallback, &fallback_len, &has_fallback,
                                     &problem);
        if (!n) { /* malformed (the loader refuses these): keep it as text */
            literal_start = i;
            i++;
            continue;
        }
        size_t mark = out->len;
        te_template_site site = {i > 0 ? tmpl[i - 1] : 0, tmpl[i + n]};
        bool found = lookup && lookup(ctx, tmpl + i + 1, name_len, site, out);
        if (!found) {
            if (!out->overflow) out->len = mark; /* drop anything a failed lookup wrote */
            if (has_fallback) {
                te_buf_append(out, fallback, fallback_len);
            } else {
                te_buf_putc(out, '<');
                te_buf_append(out, tmpl + i + 1, name_len);
                te_buf_putc(out, '>');
            }
        }
        i += n;
        literal_start = i;
    }
    te_buf_append(out, tmpl + literal_start, i - literal_start);
    return !out->overflow;
}
