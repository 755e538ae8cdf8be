/* Reader for the notary service's developer log as printed by
 * `xcrun notarytool log` (pretty JSON), by rcodesign (each line prefixed with
 * "notary log> "), the short `notarytool submit --output-format json` object,
 * and fragments of the issues array pasted into tickets. One event for the
 * submission ("status: Invalid, statusSummary: ..., jobId: ...") and one per
 * issue ("issue: severity: error, path: ..., message: ..."); lines around the
 * JSON become plain events. Whole documents are parsed with jansson; pieces
 * that do not parse are read line by line ("key": value). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/reader.h"
#include "util/timeparse.h"

/* rcodesign prints the log with this prefix on every line. */
#define RCODESIGN_PREFIX "notary log>"
/* Prefix (text before the JSON's first '{') remembered to strip it again. */
#define PREFIX_MAX 64

typedef enum doc_mode {
    DOC_NONE,
    DOC_OBJECT,   /* began with '{' */
    DOC_FRAGMENT, /* "key": value lines without the outer object */
} doc_mode;

/* Fields of one object read line by line (fragments, broken documents). */
#define LOOSE_KEYS 16
typedef struct loose_object {
    size_t n;
    const char *key[LOOSE_KEYS]; /* static key names */
    json_t *value[LOOSE_KEYS];
} loose_object;

typedef struct notary_state {
    const te_reader_env *env;
    doc_mode mode;
    te_buf doc;
    te_json_scan scan;
    uint64_t first;
    uint64_t last;
    uint64_t lines;
    bool cut;
    char prefix[PREFIX_MAX]; /* stripped from the document's lines */
    size_t prefix_len;
    te_buf text; /* rendered message */
    char number[32];
    te_event event;
} notary_state;

/* ---- helpers ------------------------------------------------------- */

/* Removes rcodesign's "notary log>" prefix (and one space). */
static te_str strip_rcodesign(te_str s)
{
    size_t n = sizeof RCODESIGN_PREFIX - 1;
    if (s.len >= n && memcmp(s.ptr, RCODESIGN_PREFIX, n) == 0) {
        s.ptr += n;
        s.len -= n;
        if (s.len && s.ptr[0] == ' ') {
            s.ptr++;
            s.len--;
        }
    }
    return s;
}

/* A line that can continue a JSON text: member, brace, bracket, value. */
static bool jsonish(te_str t)
{
    if (t.len == 0) return false;
    char c = t.ptr[0];
    return c == '"' || c == '{' || c == '}' || c == '[' || c == ']' || c == '-' ||
           (c >= '0' && c <= '9') || te_str_starts_with(t, "null") ||
           te_str_starts_with(t, "true") || te_str_starts_with(t, "false");
}

/* Where the JSON of a line begins: the first '{' when what precedes it is a
 * prefix (no quotes) and what follows starts an object. -1 when none. */
static long json_start(te_str s)
{
    const char *brace = memchr(s.ptr, '{', s.len);
    if (!brace) return -1;
    size_t at = (size_t)(brace - s.ptr);
    if (at > PREFIX_MAX || memchr(s.ptr, '"', at)) return -1;
    te_str rest = te_str_trim(te_str_make(brace + 1, s.len - at - 1));
    if (rest.len && rest.ptr[0] != '"' && rest.ptr[0] != '}') return -1;
    return (long)at;
}

/* ---- rendering -------------------------------------------------------- */

/* A scalar as text (NULL for null / absent / containers). */
static const char *scalar_text(notary_state *st, const json_t *v)
{
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(st->number, sizeof st->number, "%lld", (long long)json_integer_value(v));
        return st->number;
    }
    if (json_is_real(v)) {
        snprintf(st->number, sizeof st->number, "%g", json_real_value(v));
        return st->number;
    }
    if (json_is_true(v)) return "true";
    if (json_is_false(v)) return "false";
    return NULL;
}

static void text_field(notary_state *st, const char *name, const json_t *v)
{
    const char *s = scalar_text(st, v);
    if (!s) return;
    if (st->text.len > 0 && st->text.data[st->text.len - 1] != ' ')
        te_buf_append(&st->text, ", ", 2);
    te_buf_append(&st->text, name, strlen(name));
    te_buf_append(&st->text, ": ", 2);
    te_buf_append(&st->text, s, strlen(s));
}

static bool upload_time(const json_t *root, te_time *t)
{
    const json_t *v = json_object_get(root, "uploadDate");
    return json_is_string(v) && te_time_parse(te_str_cstr(json_string_value(v)), t) > 0;
}

static void emit_text(notary_state *st, const json_t *time_from, uint64_t first, uint64_t last)
{
    te_event *ev = &st->event;
    te_event_reset(ev);
    ev->line = first;
    ev->line_end = last;
    ev->type = te_str_cstr("tool");
    ev->process = te_str_cstr("notarytool");
    te_time t;
    if (time_from && upload_time(time_from, &t)) {
        ev->has_time = true;
        ev->has_date = t.has_date;
        ev->has_offset = t.has_offset;
        ev->time_us = t.us;
        ev->utc_offset_min = t.offset_min;
    }
    ev->message = te_str_make(st->text.data ? st->text.data : "", st->text.len);
    te_event_add_extra(ev, "tool", te_str_cstr("notarytool"));
}

static void add_extra_json(te_event *ev, const char *key, const json_t *v)
{
    if (json_is_string(v) && json_string_length(v))
        te_event_add_extra(ev, key, te_str_make(json_string_value(v), json_string_length(v)));
}

/* `status: Invalid, statusSummary: ..., statusCode: 4000, jobId: ..., archiveFilename: ...` */
static bool emit_submission(notary_state *st, const json_t *root, uint64_t first, uint64_t last)
{
    const json_t *job = json_object_get(root, "jobId");
    if (!job) job = json_object_get(root, "id");
    te_buf_reset(&st->text);
    /* `notarytool submit --output-format json` has no statusSummary; its
     * "message" ("Processing complete") takes that place so that the event
     * keeps the one submission shape */
    const json_t *summary = json_object_get(root, "statusSummary");
    const json_t *message = json_object_get(root, "message");
    if (!summary && json_object_get(root, "status")) {
        summary = message;
        message = NULL;
    }
    text_field(st, "status", json_object_get(root, "status"));
    text_field(st, "statusSummary", summary);
    text_field(st, "statusCode", json_object_get(root, "statusCode"));
    text_field(st, "jobId", job);
    text_field(st, "archiveFilename", json_object_get(root, "archiveFilename"));
    text_field(st, "message", message);
    if (st->text.len == 0 || st->text.overflow) return false;
    emit_text(st, root, first, last);
    te_event *ev = &st->event;
    add_extra_json(ev, "job_id", job);
    add_extra_json(ev, "status", json_object_get(root, "status"));
    add_extra_json(ev, "archive", json_object_get(root, "archiveFilename"));
    st->env->emit(st->env->ctx, ev);
    return true;
}

/* `issue: severity: error, path: ..., message: ..., architecture: ..., docUrl: ...` */
static bool emit_issue(notary_state *st, const json_t *issue, const json_t *root, uint64_t first,
                       uint64_t last)
{
    if (!json_is_object(issue)) return false;
    te_buf_reset(&st->text);
    te_buf_append(&st->text, "issue: ", 7);
    text_field(st, "severity", json_object_get(issue, "severity"));
    text_field(st, "code", json_object_get(issue, "code"));
    text_field(st, "path", json_object_get(issue, "path"));
    text_field(st, "message", json_object_get(issue, "message"));
    text_field(st, "architecture", json_object_get(issue, "architecture"));
    text_field(st, "docUrl", json_object_get(issue, "docUrl"));
    if (st->text.len <= 7 || st->text.overflow) return false;
    emit_text(st, root, first, last);
    te_event *ev = &st->event;
    add_extra_json(ev, "severity", json_object_get(issue, "severity"));
    add_extra_json(ev, "issue_path", json_object_get(issue, "path"));
    add_extra_json(ev, "architecture", json_object_get(issue, "architecture"));
    if (root) add_extra_json(ev, "job_id", json_object_get(root, "jobId"));
    st->env->emit(st->env->ctx, ev);
    return true;
}

static bool has_submission_keys(const json_t *root)
{
    static const char *const keys[] = {"jobId",      "status",          "statusSummary",
                                       "statusCode", "archiveFilename", "logFormatVersion",
                                       "id"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_object_get(root, keys[i])) return true;
    return false;
}

/* A whole document parsed by jansson. Returns the number of events. */
static size_t render_document(notary_state *st, const json_t *root, uint64_t first, uint64_t last)
{
    size_t events = 0;
    if (has_submission_keys(root) && emit_submission(st, root, first, last)) events++;
    const json_t *issues = json_object_get(root, "issues");
    size_t i;
    const json_t *issue;
    json_array_foreach(issues, i, issue)
    {
        if (emit_issue(st, issue, root, first, last)) events++;
    }
    if (!json_object_get(root, "issues") && !has_submission_keys(root) &&
        json_object_get(root, "severity") && emit_issue(st, root, NULL, first, last))
        events++; /* a single issue object */
    return events;
}

/* ---- line-by-line reading of fragments -------------------------------- */

static const char *const issue_keys[] = {"severity", "code",         "path",
                                         "message",  "architecture", "docUrl"};
static const char *const submission_keys[] = {"jobId",      "status",          "statusSummary",
                                              "statusCode", "archiveFilename", "uploadDate",
                                              "id",         "logFormatVersion"};

static const char *known_key(te_str key, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (te_str_eq_cstr(key, keys[i])) return keys[i];
    return NULL;
}

static void loose_set(loose_object *o, const char *key, json_t *value)
{
    for (size_t i = 0; i < o->n; i++) {
        if (strcmp(o->key[i], key) == 0) {
            json_decref(o->value[i]);
            o->value[i] = value;
            return;
        }
    }
    if (o->n < LOOSE_KEYS) {
        o->key[o->n] = key;
        o->value[o->n++] = value;
    } else {
        json_decref(value);
    }
}

static void loose_clear(loose_object *o)
{
    for (size_t i = 0; i < o->n; i++)
        json_decref(o->value[i]);
    o->n = 0;
}

static json_t *loose_to_json(const loose_object *o)
{
    json_t *obj = json_object();
    if (!obj) return NULL;
    for (size_t i = 0; i < o->n; i++)
        json_object_set(obj, o->key[i], o->value[i]);
    return obj;
}

/* Reads "key": value lines; an object closing ('}') with issue keys is an
 * issue; submission keys are gathered for one submission event at the end. */
static size_t render_lines(notary_state *st, uint64_t first, uint64_t last)
{
    size_t events = 0;
    loose_object current = {0}, submission = {0};
    bool current_is_submission = false; /* the object holds submission keys */
    const char *p = st->doc.data, *end = st->doc.data + st->doc.len;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        te_str t = te_str_trim(te_str_make(p, (size_t)(nl - p)));
        p = nl + 1;
        if (t.len && t.ptr[0] == '{') {
            loose_clear(&current);
            current_is_submission = false;
            t = te_str_trim(te_str_make(t.ptr + 1, t.len - 1));
        }
        te_str key;
        if (te_json_member_key(t, &key)) {
            const char *colon = memchr(t.ptr + key.len + 2, ':', t.len - key.len - 2);
            te_str value = te_str_trim(te_str_make(colon + 1, (size_t)(t.ptr + t.len - colon - 1)));
            if (value.len && value.ptr[value.len - 1] == ',') value.len--;
            const char *ik = known_key(key, issue_keys, 6);
            const char *sk = known_key(key, submission_keys, 8);
            json_error_t jerr;
            json_t *v =
                (ik || sk) ? json_loadb(value.ptr, value.len, JSON_DECODE_ANY, &jerr) : NULL;
            if (v && ik) loose_set(&current, ik, json_incref(v));
            if (v && sk) {
                loose_set(&submission, sk, json_incref(v));
                current_is_submission = true;
            }
            json_decref(v);
            t = te_str_make(NULL, 0);
        }
        if (t.len && t.ptr[0] == '}') {
            json_t *obj = loose_to_json(&current);
            /* a fragment may begin inside an issue: any issue key will do */
            if (obj && !current_is_submission && json_object_size(obj) &&
                emit_issue(st, obj, NULL, first, last))
                events++;
            json_decref(obj);
            loose_clear(&current);
            current_is_submission = false;
        }
    }
    json_t *root = loose_to_json(&submission);
    if (root) {
        /* a short submit object keeps its message at the top level */
        for (size_t i = 0; i < current.n; i++)
            if (strcmp(current.key[i], "message") == 0 && !json_object_get(root, "message"))
                json_object_set(root, "message", current.value[i]);
        if (submission.n && emit_submission(st, root, first, last)) events++;
    }
    json_decref(root);
    loose_clear(&current);
    loose_clear(&submission);
    return events;
}

/* ---- documents -------------------------------------------------------- */

static void doc_reset(notary_state *st)
{
    st->mode = DOC_NONE;
    te_buf_reset(&st->doc);
    memset(&st->scan, 0, sizeof st->scan);
    st->lines = 0;
    st->cut = false;
    st->prefix_len = 0;
}

static void finish_doc(notary_state *st)
{
    if (st->mode == DOC_NONE) return;
    te_summary *sum = st->env->summary;
    uint64_t first = st->first, last = st->last, lines = st->lines;
    size_t events = 0;
    json_t *root = NULL;
    if (st->cut) {
        sum->lines_cut += lines;
        sum->records_skipped++;
        goto done;
    }
    if (st->scan.max_depth > TE_MAX_JSON_DEPTH) {
        te_reader_warn(st->env, first, "notarytool JSON nested deeper than %u levels: skipped",
                       (unsigned)TE_MAX_JSON_DEPTH);
        sum->lines_cut += lines;
        sum->records_skipped++;
        goto done;
    }
    json_error_t jerr;
    if (st->mode == DOC_OBJECT && st->scan.closed)
        root = json_loadb(st->doc.data, st->doc.len, JSON_DISABLE_EOF_CHECK, &jerr);
    if (json_is_object(root)) {
        events = render_document(st, root, first, last);
    } else {
        if (st->mode == DOC_OBJECT)
            te_reader_warn(st->env, last, "notarytool JSON begun at line %llu is incomplete",
                           (unsigned long long)first);
        events = render_lines(st, first, last);
    }
    if (events)
        sum->lines_in_events += lines;
    else
        sum->lines_not_understood += lines;
done:
    json_decref(root);
    doc_reset(st);
}

static void add_doc_line(notary_state *st, te_str json, uint64_t lineno)
{
    st->last = lineno;
    st->lines++;
    te_json_scan_bytes(&st->scan, json.ptr, json.len);
    if (st->cut) return;
    if (!te_buf_append(&st->doc, json.ptr, json.len) || !te_buf_putc(&st->doc, '\n') ||
        st->lines > TE_MAX_RECORD_LINES) {
        te_reader_warn(st->env, lineno,
                       "notarytool JSON begun at line %llu is over %u bytes: skipped",
                       (unsigned long long)st->first, (unsigned)TE_MAX_RECORD_BYTES);
        st->cut = true;
        te_buf_reset(&st->doc);
    }
}

static void emit_plain(notary_state *st, te_str line, uint64_t lineno)
{
    te_event *ev = &st->event;
    te_event_reset(ev);
    ev->line = ev->line_end = lineno;
    ev->type = te_str_cstr("tool");
    ev->process = te_str_cstr("notarytool");
    ev->message = te_str_trim_right(line);
    st->env->summary->lines_in_events++;
    st->env->emit(st->env->ctx, ev);
}

/* ---- reader callbacks -------------------------------------------------- */

static void *notary_create(const te_reader_env *env)
{
    notary_state *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->env = env;
    te_buf_init(&st->doc, TE_MAX_RECORD_BYTES);
    te_buf_init(&st->text, TE_MAX_RECORD_BYTES);
    return st;
}

static void notary_line(void *state, te_str line, uint64_t lineno)
{
    notary_state *st = state;
    te_str body = line;
    if (st->mode != DOC_NONE && st->prefix_len && body.len >= st->prefix_len &&
        memcmp(body.ptr, st->prefix, st->prefix_len) == 0) {
        body.ptr += st->prefix_len;
        body.len -= st->prefix_len;
    } else {
        body = strip_rcodesign(body);
    }
    te_str t = te_str_trim(body);
    if (st->mode == DOC_OBJECT && !st->scan.in_string && t.len && !jsonish(t)) {
        finish_doc(st); /* the document broke off: what follows is other text */
    } else if (st->mode == DOC_FRAGMENT && !jsonish(t)) {
        finish_doc(st);
    }
    if (st->mode != DOC_NONE) {
        add_doc_line(st, body, lineno);
        if (st->mode == DOC_OBJECT && st->scan.closed) finish_doc(st);
        return;
    }
    if (t.len == 0) {
        st->env->summary->lines_meta++;
        return;
    }
    long at = json_start(body);
    if (at >= 0) {
        doc_reset(st);
        st->mode = DOC_OBJECT;
        st->first = lineno;
        /* "notary log> {" style prefixes repeat on every line: strip them */
        te_str prefix = te_str_make(line.ptr, (size_t)(body.ptr - line.ptr) + (size_t)at);
        if (prefix.len && prefix.len < PREFIX_MAX && (body.ptr != line.ptr || at == 0)) {
            memcpy(st->prefix, prefix.ptr, prefix.len);
            st->prefix_len = prefix.len;
        }
        add_doc_line(st, te_str_make(body.ptr + at, body.len - (size_t)at), lineno);
        if (st->scan.closed) finish_doc(st);
        return;
    }
    if (te_json_member_key(t, NULL) || t.ptr[0] == '}') {
        doc_reset(st);
        st->mode = DOC_FRAGMENT;
        st->first = lineno;
        st->scan.depth = 1;
        add_doc_line(st, body, lineno);
        return;
    }
    emit_plain(st, line, lineno);
}

static void notary_flush(void *state)
{
    finish_doc(state);
}

static void notary_destroy(void *state)
{
    notary_state *st = state;
    if (!st) return;
    te_buf_free(&st->doc);
    te_buf_free(&st->text);
    free(st);
}

/* ---- sniff -------------------------------------------------------------- */

static int notary_sniff(const te_str *lines, size_t n_lines, char *why, size_t why_cap)
{
    bool job = false, version = false, summary = false, issues = false, severity = false,
         doc_url = false, architecture = false, id = false, status = false, rcodesign = false;
    bool first_brace = false, seen = false;
    for (size_t i = 0; i < n_lines; i++) {
        te_str s = lines[i];
        if (te_str_starts_with(s, RCODESIGN_PREFIX)) rcodesign = true;
        te_str t = te_str_trim(strip_rcodesign(s));
        if (!t.len) continue;
        if (!seen) {
            first_brace = t.ptr[0] == '{';
            seen = true;
        }
        if (te_str_find(t, "\"jobId\"", 7) >= 0) job = true;
        if (te_str_find(t, "\"logFormatVersion\"", 18) >= 0) version = true;
        if (te_str_find(t, "\"statusSummary\"", 15) >= 0) summary = true;
        if (te_str_find(t, "\"issues\"", 8) >= 0) issues = true;
        if (te_str_find(t, "\"severity\"", 10) >= 0) severity = true;
        if (te_str_find(t, "\"docUrl\"", 8) >= 0) doc_url = true;
        if (te_str_find(t, "\"architecture\"", 14) >= 0) architecture = true;
        if (te_str_find(t, "\"id\"", 4) >= 0) id = true;
        if (te_str_find(t, "\"status\"", 8) >= 0) status = true;
    }
    int score = 0;
    const char *reason = "no notarytool log keys";
    if (version || job) {
        score = 95;
        reason = rcodesign ? "notary log JSON as printed by rcodesign"
                           : "notarytool log JSON (jobId / logFormatVersion)";
    } else if (summary && (issues || status)) {
        score = 90;
        reason = "notarytool log JSON (statusSummary, issues)";
    } else if (severity && (doc_url || architecture)) {
        score = 80;
        reason = "issues of a notarytool log (severity, path, message, docUrl)";
    } else if (first_brace && id && status) {
        score = 70;
        reason = "notarytool submit JSON (id, status)";
    }
    if (why && why_cap) snprintf(why, why_cap, "%s", reason);
    return score;
}

const te_reader_ops te_reader_notarytool = {
    "notarytool",   "notary log JSON (xcrun notarytool log, rcodesign) and submit results",
    notary_sniff,   notary_create,
    notary_line,    notary_flush,
    notary_destroy,
};
