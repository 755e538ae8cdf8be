/* Helpers shared by every reader: warnings through the env, event reset and
 * extras, and the parser of the composed message column of the log text
 * styles ("process: (library) [subsystem:category] text"). */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "input/reader.h"

/* A sender image basename printed as "(library)": no brackets, no colons,
 * at most two spaces ("(Electron Framework)"; prose in parentheses is not). */
#define LIBRARY_NAME_MAX 96
#define LIBRARY_MAX_SPACES 2
/* "[subsystem:category]": both are short identifiers in practice. */
#define SUBSYSTEM_TAG_MAX 256

void te_reader_warn(const te_reader_env *env, uint64_t line, const char *fmt, ...)
{
    if (!env || !env->warn) return;
    va_list ap;
    va_start(ap, fmt);
    env->warn(env->ctx, line, fmt, ap);
    va_end(ap);
}

void te_event_reset(te_event *event)
{
    /* Everything but the extra table (n_extra = 0 says none is used): that
     * table is most of the struct and this runs for every event. */
    memset(event, 0, offsetof(te_event, extra));
    event->pid = -1;
    event->thread = -1;
}

bool te_event_add_extra(te_event *event, const char *key, te_str value)
{
    if (event->n_extra >= TE_EVENT_MAX_EXTRA) return false;
    event->extra[event->n_extra].key = te_str_cstr(key);
    event->extra[event->n_extra].value = value;
    event->n_extra++;
    return true;
}

/* Byte classes, one table load per byte on the hot path:
 * SUBSYSTEM_CHAR letters, digits, . _ - (subsystems and categories);
 * LIBRARY_CHAR   those, + space and bytes >= 0x80 (library names). */
enum { SUBSYSTEM_CHAR = 1, LIBRARY_CHAR = 2 };
static const unsigned char char_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 3, 3, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0, 0,
    0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 3,
    0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static bool is_library_char(unsigned char c)
{
    return char_class[c] & LIBRARY_CHAR;
}

static bool is_subsystem_char(unsigned char c)
{
    return char_class[c] & SUBSYSTEM_CHAR;
}

/* "[spid 0x291385ea6c83b460, process, begin] " → extra "signpost". */
static const char *parse_signpost(const char *p, const char *eol, te_event *event)
{
    static const char tag[] = "[spid ";
    size_t n = sizeof tag - 1;
    if ((size_t)(eol - p) <= n || memcmp(p, tag, n) != 0) return p;
    const char *close = memchr(p, ']', (size_t)(eol - p));
    if (!close) return p;
    te_event_add_extra(event, "signpost", te_str_make(p + 1, (size_t)(close - p - 1)));
    p = close + 1;
    if (p < eol && *p == ' ') p++;
    return p;
}

/* "(library) " at p → event->sender. */
static const char *parse_library(const char *p, const char *eol, te_event *event)
{
    if (p >= eol || *p != '(') return p;
    const char *q = p + 1;
    int spaces = 0;
    size_t room = (size_t)(eol - p);
    const char *limit = p + (room < LIBRARY_NAME_MAX + 1 ? room : LIBRARY_NAME_MAX + 1);
    /* ')' is not a library char: the loop stops there */
    while (q < limit && is_library_char((unsigned char)*q)) {
        if (*q == ' ' && ++spaces > LIBRARY_MAX_SPACES) return p;
        q++;
    }
    if (q >= eol || *q != ')' || q == p + 1 || q[-1] == ' ' || p[1] == ' ') return p;
    if (q + 1 < eol && q[1] != ' ') return p;
    event->sender = te_str_make(p + 1, (size_t)(q - p - 1));
    q++;
    if (q < eol && *q == ' ') q++;
    return q;
}

/* "[subsystem:category] " at p → event->subsystem / category. */
static const char *parse_subsystem(const char *p, const char *eol, te_event *event)
{
    if (p >= eol || *p != '[') return p;
    const char *q = p + 1;
    size_t room = (size_t)(eol - p);
    const char *limit = p + (room < SUBSYSTEM_TAG_MAX + 1 ? room : SUBSYSTEM_TAG_MAX + 1);
    while (q < limit && is_subsystem_char((unsigned char)*q))
        q++;
    if (q >= eol || *q != ':' || q == p + 1) return p;
    const char *colon = q;
    const char *close = memchr(colon, ']', (size_t)(eol - colon));
    if (!close || close - p > SUBSYSTEM_TAG_MAX) return p;
    if (close + 1 < eol && close[1] != ' ') return p;
    if (memchr(colon + 1, '[', (size_t)(close - colon - 1))) return p;
    event->subsystem = te_str_make(p + 1, (size_t)(colon - p - 1));
    event->category = te_str_make(colon + 1, (size_t)(close - colon - 1));
    p = close + 1;
    if (p < eol && *p == ' ') p++;
    return p;
}

void te_parse_composed_message(te_str msg, te_event *event, bool has_process)
{
    const char *p = msg.ptr, *end = msg.ptr + msg.len;
    if (!p) {
        event->message = te_str_make("", 0);
        return;
    }
    const char *eol = memchr(p, '\n', msg.len);
    if (!eol) eol = end;
    if (has_process) {
        /* default style: the signpost prefix comes before the process. */
        p = parse_signpost(p, eol, event);
        /* The process may contain spaces ("Ur iOS AppName"); it ends at the
         * first ": " (or a ':' that ends the line: an empty message). */
        const char *q = p;
        const char *colon = NULL;
        while (q < eol) {
            const char *c = memchr(q, ':', (size_t)(eol - q));
            if (!c) break;
            if (c + 1 == eol || c[1] == ' ') {
                colon = c;
                break;
            }
            q = c + 1;
        }
        /* "=== system boot: <UUID>" is a boundary message, not "process: text" */
        bool boundary = eol - p >= 4 && memcmp(p, "=== ", 4) == 0;
        if (colon && colon > p && !boundary) {
            event->process = te_str_make(p, (size_t)(colon - p));
            p = colon + 1;
            if (p < eol && *p == ' ') p++;
        }
    }
    /* syslog style: the signpost prefix comes after the colon. */
    p = parse_signpost(p, eol, event);
    p = parse_library(p, eol, event);
    p = parse_subsystem(p, eol, event);
    event->message = te_str_make(p, (size_t)(end - p));
}

void te_json_scan_bytes(te_json_scan *sc, const char *p, size_t n)
{
    for (size_t i = 0; i < n && !sc->closed; i++) {
        char c = p[i];
        if (sc->in_string) {
            if (sc->escape)
                sc->escape = false;
            else if (c == '\\')
                sc->escape = true;
            else if (c == '"')
                sc->in_string = false;
            continue;
        }
        if (c == '"') {
            sc->in_string = true;
        } else if (c == '{' || c == '[') {
            sc->depth++;
            if ((unsigned)sc->depth > sc->max_depth) sc->max_depth = (unsigned)sc->depth;
        } else if (c == '}' || c == ']') {
            sc->depth--;
            if (sc->depth <= 0) sc->closed = true;
        }
    }
}

bool te_json_member_key(te_str s, te_str *key)
{
    if (s.len < 3 || s.ptr[0] != '"') return false;
    size_t i = 1;
    while (i < s.len && s.ptr[i] != '"') {
        if (s.ptr[i] == '\\') i++;
        i++;
    }
    if (i >= s.len) return false;
    if (key) *key = te_str_make(s.ptr + 1, i - 1);
    i++;
    while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\t'))
        i++;
    return i < s.len && s.ptr[i] == ':';
}
