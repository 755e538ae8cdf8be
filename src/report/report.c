/* The reporter front end: picks the format, makes a clean (valid UTF-8,
 * optionally redacted) copy of each incident, hands it to the format writer
 * and writes the result with checked fwrite. Also the helpers every format
 * shares: UTF-8 cleaning, the evidence timeline, summary counter names. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_impl.h"
#include "util/timeparse.h"

struct te_reporter {
    FILE *out;
    te_report_options options;
    te_redactor *redactor; /* NULL unless options.redact */
    json_t *collected;     /* json: incident objects until finish */
    te_buf buf;            /* output of one incident, reused */
    size_t n_incidents;    /* incidents written (or collected) */
    size_t not_written;    /* incidents lost to allocation failure */
    bool write_failed;     /* out refused bytes (EPIPE, full disk): stop writing */
    bool markdown_header;  /* the markdown title is written */
    bool finished;
};

/* ---- UTF-8 ------------------------------------------------------------- */

size_t te_report_utf8_seq(const unsigned char *s, size_t len)
{
    if (len == 0) return 0;
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t need;
    unsigned min_second = 0x80, max_second = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) min_second = 0xA0; /* overlong */
        if (c == 0xED) max_second = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) min_second = 0x90; /* overlong */
        if (c == 0xF4) max_second = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (len < need) return 0;
    if (s[1] < min_second || s[1] > max_second) return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return need;
}

bool te_report_utf8_clean(te_buf *out, const char *s, size_t len)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0; /* run: start of the valid bytes not yet copied */
    while (i < len) {
        size_t n = p[i] == 0 ? 0 : te_report_utf8_seq(p + i, len - i);
        if (n > 0) {
            i += n;
            continue;
        }
        if (!te_buf_append(out, s + run, i - run)) return false;
        if (!te_buf_append(out, replacement, 3)) return false;
        i++;
        run = i;
    }
    return te_buf_append(out, s + run, i - run);
}

size_t te_report_utf8_width(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
    return n;
}

/* ---- small shared helpers ---------------------------------------------- */

bool te_buf_printf(te_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return false;
    if ((size_t)n < sizeof small) return te_buf_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big) return false;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    bool ok = te_buf_append(b, big, (size_t)n);
    free(big);
    return ok;
}

const char *te_report_severity_name(te_severity severity)
{
    switch (severity) {
    case TE_SEVERITY_ERROR:
        return "error";
    case TE_SEVERITY_WARNING:
        return "warning";
    default:
        return "info";
    }
}

bool te_report_empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

void te_report_format_time(int64_t us, int32_t offset_min, char *buf, size_t cap)
{
    te_time_format_iso(us, offset_min, buf, cap);
}

void te_report_process_label(const char *process, int64_t pid, char *buf, size_t cap)
{
    bool named = !te_report_empty(process);
    if (named && pid >= 0)
        snprintf(buf, cap, "%s(%lld)", process, (long long)pid);
    else if (named)
        snprintf(buf, cap, "%s", process);
    else if (pid >= 0)
        snprintf(buf, cap, "pid %lld", (long long)pid);
    else if (cap)
        buf[0] = '\0';
}

size_t te_report_summary_counters(const te_summary *s, te_summary_counter *out)
{
    const te_summary_counter all[] = {
        {s->contexts_evicted, "contexts evicted"},
        {s->evidence_dropped, "evidence dropped"},
        {s->regex_limit_hits, "regex limit hits"},
        {s->records_skipped, "records skipped"},
        {s->reports_skipped, "reports skipped"},
        {s->logarchive_files, "logarchive files not decoded"},
        {s->members_skipped, "members skipped"},
        {s->input_errors, "input errors"},
        {s->binary_files_skipped, "binary files not read"},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i].value) out[n++] = all[i];
    return n;
}

/* ---- timeline ------------------------------------------------------------ */

typedef struct timeline_key {
    int64_t time;
    size_t index;
} timeline_key;

static int compare_keys(const void *a, const void *b)
{
    const timeline_key *x = a, *y = b;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

static void format_relative(int64_t delta_us, char *buf, size_t cap)
{
    if (delta_us <= 0)
        snprintf(buf, cap, "+0.000s");
    else if (delta_us < 1000000)
        snprintf(buf, cap, "+%lld.%03lldms", (long long)(delta_us / 1000),
                 (long long)(delta_us % 1000));
    else
        snprintf(buf, cap, "+%lld.%03llds", (long long)(delta_us / 1000000),
                 (long long)(delta_us % 1000000 / 1000));
}

bool te_report_timeline(const te_incident *incident, te_timeline_row *rows)
{
    size_t n = incident->n_evidence;
    if (n == 0) return false;
    timeline_key *keys = malloc(n * sizeof *keys);
    bool any_time = false;
    int64_t base = 0;
    /* An untimed line sorts with the line it followed; leading untimed lines
     * stay first. The sort is stable through the index tie-break. */
    int64_t previous = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        const te_evidence *e = &incident->evidence[i];
        if (e->has_time) {
            previous = e->time_us;
            if (!any_time || e->time_us < base) base = e->time_us;
            any_time = true;
        }
        if (keys) {
            keys[i].time = previous;
            keys[i].index = i;
        }
    }
    if (keys) qsort(keys, n, sizeof *keys, compare_keys);
    for (size_t i = 0; i < n; i++) {
        /* Without memory for the sort, the input order is kept. */
        const te_evidence *e = &incident->evidence[keys ? keys[i].index : i];
        rows[i].evidence = e;
        rows[i].relative[0] = '\0';
        if (e->has_time)
            format_relative(e->time_us - base, rows[i].relative, sizeof rows[i].relative);
    }
    free(keys);
    return any_time;
}

/* ---- clean incident copies ---------------------------------------------- */

struct te_report_block {
    te_report_block *next;
    size_t used;
    size_t cap;
    _Alignas(16) unsigned char data[];
};

#define BLOCK_BYTES (16u << 10)

static void *arena_alloc(te_clean_incident *c, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    te_report_block *b = c->blocks;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > BLOCK_BYTES ? size : BLOCK_BYTES;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = c->blocks;
        b->used = 0;
        b->cap = cap;
        c->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

typedef struct cleaner {
    te_clean_incident *c;
    te_redactor *redactor;
    bool ok;
} cleaner;

/* Cleaned (and redacted) copy of s in the arena. NULL stays NULL when
 * keep_null; ids are never redacted (redact = false). */
static const char *clean_string(cleaner *k, const char *s, bool keep_null, bool redact)
{
    if (!s) {
        if (keep_null) return NULL;
        s = "";
    }
    te_clean_incident *c = k->c;
    te_buf_reset(&c->scratch);
    if (!te_report_utf8_clean(&c->scratch, s, strlen(s))) goto fail;
    te_buf *result = &c->scratch;
    if (redact && k->redactor) {
        te_buf_reset(&c->scratch2);
        if (!te_redact_append(k->redactor, &c->scratch2, c->scratch.data, c->scratch.len))
            goto fail;
        result = &c->scratch2;
    }
    char *copy = arena_alloc(c, result->len + 1);
    if (!copy) goto fail;
    if (result->len) memcpy(copy, result->data, result->len);
    copy[result->len] = '\0';
    return copy;
fail:
    k->ok = false;
    return "";
}

static const char **clean_list(cleaner *k, const char *const *list, size_t n, bool redact)
{
    if (n == 0 || !list) return NULL;
    const char **copy = arena_alloc(k->c, n * sizeof *copy);
    if (!copy) {
        k->ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        copy[i] = clean_string(k, list[i], false, redact);
    return copy;
}

bool te_report_clean_incident(const te_incident *in, te_redactor *redactor, te_clean_incident *out)
{
    memset(out, 0, sizeof *out);
    te_buf_init(&out->scratch, 0);
    te_buf_init(&out->scratch2, 0);
    cleaner k = {out, redactor, true};
    te_incident *c = &out->incident;
    *c = *in;
    c->rule_id = clean_string(&k, in->rule_id, false, false);
    c->title = clean_string(&k, in->title, false, true);
    c->first_source = clean_string(&k, in->first_source, true, true);
    c->process = clean_string(&k, in->process, true, true);
    c->path = clean_string(&k, in->path, true, true);
    c->bundle_id = clean_string(&k, in->bundle_id, true, true);
    c->team_id = clean_string(&k, in->team_id, true, true);
    c->diagnosis = clean_string(&k, in->diagnosis, false, true);

    c->n_facts = in->facts ? in->n_facts : 0;
    c->facts = NULL;
    if (c->n_facts) {
        te_fact *facts = arena_alloc(out, c->n_facts * sizeof *facts);
        if (!facts) goto fail;
        for (size_t i = 0; i < c->n_facts; i++) {
            facts[i] = in->facts[i];
            facts[i].name = clean_string(&k, in->facts[i].name, false, false);
            facts[i].n_values = in->facts[i].values ? in->facts[i].n_values : 0;
            facts[i].values = clean_list(&k, in->facts[i].values, facts[i].n_values, true);
            if (!facts[i].values) facts[i].n_values = 0;
        }
        c->facts = facts;
    }

    c->n_fix = in->fix ? in->n_fix : 0;
    c->fix = clean_list(&k, in->fix, c->n_fix, true);
    if (!c->fix) c->n_fix = 0;
    c->n_also = in->also ? in->n_also : 0;
    c->also = clean_list(&k, in->also, c->n_also, false);
    if (!c->also) c->n_also = 0;

    c->n_references = in->references ? in->n_references : 0;
    c->references = NULL;
    if (c->n_references) {
        te_reference *refs = arena_alloc(out, c->n_references * sizeof *refs);
        if (!refs) goto fail;
        for (size_t i = 0; i < c->n_references; i++) {
            refs[i].title = clean_string(&k, in->references[i].title, false, true);
            refs[i].url = clean_string(&k, in->references[i].url, false, true);
        }
        c->references = refs;
    }

    c->n_evidence = in->evidence ? in->n_evidence : 0;
    c->evidence = NULL;
    if (c->n_evidence) {
        te_evidence *ev = arena_alloc(out, c->n_evidence * sizeof *ev);
        if (!ev) goto fail;
        for (size_t i = 0; i < c->n_evidence; i++) {
            ev[i] = in->evidence[i];
            ev[i].source = clean_string(&k, in->evidence[i].source, false, true);
            ev[i].process = clean_string(&k, in->evidence[i].process, false, true);
            ev[i].message = clean_string(&k, in->evidence[i].message, false, true);
            ev[i].pattern = clean_string(&k, in->evidence[i].pattern, false, false);
        }
        c->evidence = ev;
    }
    if (!k.ok) goto fail;
    return true;
fail:
    te_report_clean_free(out);
    return false;
}

void te_report_clean_free(te_clean_incident *c)
{
    te_report_block *b = c->blocks;
    while (b) {
        te_report_block *next = b->next;
        free(b);
        b = next;
    }
    c->blocks = NULL;
    te_buf_free(&c->scratch);
    te_buf_free(&c->scratch2);
}

/* ---- the reporter -------------------------------------------------------- */

bool te_report_format_parse(const char *name, te_report_format *out)
{
    static const struct {
        const char *name;
        te_report_format format;
    } names[] = {
        {"text", TE_REPORT_TEXT},    {"json", TE_REPORT_JSON},         {"ndjson", TE_REPORT_NDJSON},
        {"jsonl", TE_REPORT_NDJSON}, {"markdown", TE_REPORT_MARKDOWN}, {"md", TE_REPORT_MARKDOWN},
    };
    if (!name || !out) return false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].format;
            return true;
        }
    }
    return false;
}

te_reporter *te_reporter_new(FILE *out, const te_report_options *options)
{
    if (!out) return NULL;
    te_reporter *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->out = out;
    if (options) r->options = *options;
    te_buf_init(&r->buf, 0);
    if (r->options.redact) {
        r->redactor = te_redactor_new();
        if (!r->redactor) goto fail;
    }
    if (r->options.format == TE_REPORT_JSON) {
        r->collected = json_array();
        if (!r->collected) goto fail;
    }
    return r;
fail:
    te_reporter_free(r);
    return NULL;
}

/* Writes bytes to f; after the first failure nothing more is attempted. */
static void write_bytes(FILE *f, const char *data, size_t len, bool *failed)
{
    if (*failed || len == 0) return;
    if (fwrite(data, 1, len, f) != len) *failed = true;
}

static bool incident_to_buf(te_reporter *r, const te_incident *clean)
{
    te_buf *b = &r->buf;
    switch (r->options.format) {
    case TE_REPORT_TEXT:
        return te_report_text_incident(b, clean, r->options.color, r->n_incidents == 0);
    case TE_REPORT_NDJSON: {
        json_t *obj = te_report_incident_json(clean);
        bool ok = obj && te_report_json_append(b, obj, JSON_COMPACT | JSON_PRESERVE_ORDER) &&
                  te_buf_putc(b, '\n');
        json_decref(obj);
        return ok;
    }
    case TE_REPORT_MARKDOWN:
        if (!r->markdown_header) {
            if (!te_report_markdown_header(b)) return false;
            r->markdown_header = true;
        }
        return te_report_markdown_incident(b, clean, r->n_incidents + 1);
    case TE_REPORT_JSON: {
        json_t *obj = te_report_incident_json(clean);
        return obj && json_array_append_new(r->collected, obj) == 0;
    }
    }
    return false;
}

void te_reporter_incident(te_reporter *r, const te_incident *incident)
{
    if (!r || !incident || r->finished) return;
    te_clean_incident clean;
    if (!te_report_clean_incident(incident, r->redactor, &clean)) {
        r->not_written++;
        return;
    }
    te_buf_reset(&r->buf);
    if (incident_to_buf(r, &clean.incident)) {
        write_bytes(r->out, r->buf.data, r->buf.len, &r->write_failed);
        if (r->options.format == TE_REPORT_NDJSON && !r->write_failed && fflush(r->out) != 0)
            r->write_failed = true;
        r->n_incidents++;
    } else {
        r->not_written++;
    }
    te_report_clean_free(&clean);
}

void te_reporter_finish(te_reporter *r, const te_summary *summary, FILE *summary_out)
{
    if (!r || r->finished) return;
    r->finished = true;
    te_summary zero;
    memset(&zero, 0, sizeof zero);
    if (!summary) summary = &zero;
    te_buf *b = &r->buf;
    te_buf_reset(b);
    switch (r->options.format) {
    case TE_REPORT_TEXT:
    case TE_REPORT_NDJSON: /* stdout stays one incident per line: the summary goes to stderr */
        if (summary_out && te_report_text_summary(b, summary, r->not_written)) {
            bool failed = false;
            write_bytes(summary_out, b->data, b->len, &failed);
            fflush(summary_out);
        }
        te_buf_reset(b);
        break;
    case TE_REPORT_JSON: {
        json_t *doc = json_object();
        json_t *sum = te_report_summary_json(summary);
        if (doc && sum && r->not_written)
            json_object_set_new(sum, "incidents_not_written",
                                json_integer((json_int_t)r->not_written));
        if (doc && sum && json_object_set(doc, "incidents", r->collected) == 0 &&
            json_object_set_new(doc, "summary", sum) == 0) {
            sum = NULL;
            if (!te_report_json_append(b, doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ||
                !te_buf_putc(b, '\n'))
                te_buf_reset(b);
        }
        json_decref(sum);
        json_decref(doc);
        break;
    }
    case TE_REPORT_MARKDOWN:
        if (!r->markdown_header) {
            r->markdown_header = true;
            if (!te_report_markdown_header(b)) break;
        }
        if (!te_report_markdown_summary(b, summary, r->n_incidents, r->not_written))
            te_buf_reset(b);
        break;
    }
    write_bytes(r->out, b->data, b->len, &r->write_failed);
    if (!r->write_failed && fflush(r->out) != 0) r->write_failed = true;
}

void te_reporter_free(te_reporter *r)
{
    if (!r) return;
    te_redactor_free(r->redactor);
    json_decref(r->collected);
    te_buf_free(&r->buf);
    free(r);
}

char *te_incident_to_json(const te_incident *incident, bool redact)
{
    if (!incident) return NULL;
    char *result = NULL;
    te_redactor *redactor = NULL;
    json_t *obj = NULL;
    te_clean_incident clean;
    bool have_clean = false;
    te_buf b;
    te_buf_init(&b, 0);
    if (redact && !(redactor = te_redactor_new())) goto done;
    if (!te_report_clean_incident(incident, redactor, &clean)) goto done;
    have_clean = true;
    obj = te_report_incident_json(&clean.incident);
    if (!obj || !te_report_json_append(&b, obj, JSON_COMPACT | JSON_PRESERVE_ORDER) ||
        !te_buf_terminate(&b))
        goto done;
    result = b.data;
    te_buf_init(&b, 0);
done:
    te_buf_free(&b);
    json_decref(obj);
    if (have_clean) te_report_clean_free(&clean);
    te_redactor_free(redactor);
    return result;
}
