/* Readers of the JSON log outputs: `log show --style json` (one pretty
 * array, maybe after preamble lines), `--style ndjson` (one object per line,
 * ending with {"count":…,"finished":1}) and the JSONL of Mandiant's
 * macos-UnifiedLogs (snake_case keys). A small scanner picks the top-level
 * keys it needs and skips everything else without allocating; only strings
 * with escapes are copied, into a reused scratch buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/log_text.h"
#include "util/timeparse.h"

typedef enum json_mode { MODE_PRETTY, MODE_NDJSON, MODE_MANDIANT } json_mode;

/* Values the readers look for, by role. */
enum {
    K_TIMESTAMP, /* string timestamp */
    K_TIME_NS,   /* Mandiant "time": nanoseconds since the epoch */
    K_MESSAGE,
    K_TYPE,       /* messageType / log_type */
    K_EVENT_TYPE, /* eventType / event_type */
    K_PROCESS,    /* image path: basename taken */
    K_SENDER,
    K_PID,
    K_THREAD,
    K_SUBSYSTEM,
    K_CATEGORY,
    K_FINISHED, /* ndjson closing record */
    K_COUNT
};

typedef struct key_def {
    const char *name;
    size_t len;
    int id;
} key_def;

#define KEY(s, id)                                                                                 \
    {                                                                                              \
        s, sizeof(s) - 1, id                                                                       \
    }

static const key_def apple_keys[] = {
    KEY("eventMessage", K_MESSAGE),
    KEY("timestamp", K_TIMESTAMP),
    KEY("messageType", K_TYPE),
    KEY("eventType", K_EVENT_TYPE),
    KEY("processImagePath", K_PROCESS),
    KEY("senderImagePath", K_SENDER),
    KEY("processID", K_PID),
    KEY("threadID", K_THREAD),
    KEY("subsystem", K_SUBSYSTEM),
    KEY("category", K_CATEGORY),
    KEY("finished", K_FINISHED),
};

static const key_def mandiant_keys[] = {
    KEY("message", K_MESSAGE),       KEY("timestamp", K_TIMESTAMP),
    KEY("time", K_TIME_NS),          KEY("log_type", K_TYPE),
    KEY("event_type", K_EVENT_TYPE), KEY("process", K_PROCESS),
    KEY("library", K_SENDER),        KEY("pid", K_PID),
    KEY("thread_id", K_THREAD),      KEY("subsystem", K_SUBSYSTEM),
    KEY("category", K_CATEGORY),
};

/* The wanted keys by length, for one short lookup per member (the tables
 * above have at most four keys of one length, all shorter than 32). */
#define KEY_LENGTHS 32
#define KEYS_PER_LENGTH 8
typedef struct key_index {
    const key_def *by_len[KEY_LENGTHS][KEYS_PER_LENGTH];
    unsigned char n_by_len[KEY_LENGTHS];
} key_index;

static void index_keys(key_index *index, const key_def *keys, size_t n_keys)
{
    memset(index, 0, sizeof *index);
    for (size_t i = 0; i < n_keys; i++) {
        size_t len = keys[i].len;
        if (len < KEY_LENGTHS && index->n_by_len[len] < KEYS_PER_LENGTH)
            index->by_len[len][index->n_by_len[len]++] = &keys[i];
    }
}

/* Whether the len bytes at a and b are equal: two overlapping word loads
 * for the lengths of keys (no call, no byte past either end read). */
static bool same_bytes(const char *a, const char *b, size_t len)
{
    if (len >= 8 && len <= 16) {
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, a, 8);
        memcpy(&b0, b, 8);
        memcpy(&a1, a + len - 8, 8);
        memcpy(&b1, b + len - 8, 8);
        return a0 == b0 && a1 == b1;
    }
    if (len >= 4 && len < 8) {
        uint32_t a0, a1, b0, b1;
        memcpy(&a0, a, 4);
        memcpy(&b0, b, 4);
        memcpy(&a1, a + len - 4, 4);
        memcpy(&b1, b + len - 4, 4);
        return a0 == b0 && a1 == b1;
    }
    return memcmp(a, b, len) == 0;
}

/* The id of a wanted key, or -1. */
static int key_id(const key_index *index, const char *key, size_t len)
{
    if (len >= KEY_LENGTHS) return -1;
    for (unsigned i = 0; i < index->n_by_len[len]; i++) {
        const key_def *k = index->by_len[len][i];
        if (same_bytes(k->name, key, len)) return k->id;
    }
    return -1;
}

typedef enum val_kind { V_ABSENT = 0, V_STRING, V_NUMBER, V_LITERAL, V_NESTED } val_kind;

typedef struct json_val {
    te_str raw; /* string contents without quotes, or the number/literal text */
    val_kind kind;
} json_val;

typedef enum scan_result { SCAN_OK = 0, SCAN_SYNTAX, SCAN_DEPTH } scan_result;

/* ---- the scanner --------------------------------------------------------- */

static const char *skip_ws(const char *p, const char *end)
{
    /* most calls find no whitespace: one compare to leave */
    while (p < end && (unsigned char)*p <= ' ' &&
           (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at the opening quote; returns the byte after the closing quote. */
static const char *scan_string(const char *p, const char *end)
{
    const char *s = p + 1;
    while (s < end) {
        const char *q = memchr(s, '"', (size_t)(end - s));
        if (!q) return NULL;
        const char *b = q;
        while (b > p + 1 && b[-1] == '\\')
            b--;
        if (((q - b) & 1) == 0) return q + 1;
        s = q + 1;
    }
    return NULL;
}

static const char *scan_number(const char *p, const char *end)
{
    const char *s = p;
    if (s < end && *s == '-') s++;
    const char *digits = s;
    while (s < end && (unsigned)(*s - '0') <= 9) /* the common case: digits only */
        s++;
    while (s < end && ((*s >= '0' && *s <= '9') || *s == '.' || *s == 'e' || *s == 'E' ||
                       *s == '+' || *s == '-'))
        s++;
    return s > digits ? s : NULL;
}

static const char *scan_literal(const char *p, const char *end)
{
    static const struct {
        const char *word;
        size_t len;
    } words[] = {{"true", 4}, {"false", 5}, {"null", 4}};
    for (size_t i = 0; i < 3; i++) {
        size_t n = words[i].len;
        if ((size_t)(end - p) >= n && p[0] == words[i].word[0] && same_bytes(p, words[i].word, n))
            return p + n;
    }
    return NULL;
}

/* Skips one value; nested objects/arrays are matched bracket by bracket up
 * to TE_MAX_JSON_DEPTH levels below `depth`. */
static const char *skip_value(const char *p, const char *end, unsigned depth, scan_result *res)
{
    if (p >= end) goto syntax;
    if (*p == '"') {
        p = scan_string(p, end);
        if (!p) goto syntax;
        return p;
    }
    if (*p == '{' || *p == '[') {
        uint64_t kinds = 0; /* bit per level: 1 = object */
        unsigned level = 0;
        while (p < end) {
            char c = *p;
            if (c == '"') {
                p = scan_string(p, end);
                if (!p) goto syntax;
                continue;
            }
            if (c == '{' || c == '[') {
                if (depth + level + 1 > TE_MAX_JSON_DEPTH || level >= 64) {
                    *res = SCAN_DEPTH;
                    return NULL;
                }
                if (c == '{')
                    kinds |= (uint64_t)1 << level;
                else
                    kinds &= ~((uint64_t)1 << level);
                level++;
            } else if (c == '}' || c == ']') {
                if (level == 0) goto syntax;
                level--;
                bool object = (kinds >> level) & 1;
                if (object != (c == '}')) goto syntax;
                if (level == 0) return p + 1;
            }
            p++;
        }
        goto syntax;
    }
    if (*p == '-' || (*p >= '0' && *p <= '9')) {
        p = scan_number(p, end);
        if (!p) goto syntax;
        return p;
    }
    p = scan_literal(p, end);
    if (p) return p;
syntax:
    *res = SCAN_SYNTAX;
    return NULL;
}

/* Scans one object at p (after optional whitespace): fills vals for the
 * wanted keys and sets *after past the closing brace. */
static scan_result scan_object(const char *p, const char *end, const key_index *keys,
                               json_val *vals, const char **after)
{
    scan_result res = SCAN_SYNTAX;
    memset(vals, 0, sizeof(json_val) * K_COUNT);
    p = skip_ws(p, end);
    if (p >= end || *p != '{') return SCAN_SYNTAX;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        *after = p + 1;
        return SCAN_OK;
    }
    for (;;) {
        if (p >= end || *p != '"') return SCAN_SYNTAX;
        const char *key = p + 1;
        const char *q = scan_string(p, end);
        if (!q) return SCAN_SYNTAX;
        int id = key_id(keys, key, (size_t)(q - 1 - key));
        p = skip_ws(q, end);
        if (p >= end || *p != ':') return SCAN_SYNTAX;
        p = skip_ws(p + 1, end);
        if (p >= end) return SCAN_SYNTAX;
        const char *start = p;
        p = skip_value(p, end, 1, &res);
        if (!p) return res;
        if (id >= 0) {
            json_val *v = &vals[id];
            if (*start == '"') {
                v->kind = V_STRING;
                v->raw = te_str_make(start + 1, (size_t)(p - start - 2));
            } else if (*start == '{' || *start == '[') {
                v->kind = V_NESTED;
                v->raw = te_str_make(start, (size_t)(p - start));
            } else if (*start == 't' || *start == 'f' || *start == 'n') {
                v->kind = *start == 'n' ? V_ABSENT : V_LITERAL;
                v->raw = te_str_make(start, (size_t)(p - start));
            } else {
                v->kind = V_NUMBER;
                v->raw = te_str_make(start, (size_t)(p - start));
            }
        }
        p = skip_ws(p, end);
        if (p >= end) return SCAN_SYNTAX;
        if (*p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (*p == '}') {
            *after = p + 1;
            return SCAN_OK;
        }
        return SCAN_SYNTAX;
    }
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool read_u16(const char *p, const char *end, unsigned *out)
{
    if (end - p < 4) return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(p[i]);
        if (h < 0) return false;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Unescapes a JSON string body into out (which holds at least s.len bytes:
 * an escape never produces more bytes than it takes). -1 on a bad escape. */
static long json_unescape(te_str s, char *out)
{
    const char *p = s.ptr, *end = s.ptr + s.len;
    size_t o = 0;
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t plain = bs ? (size_t)(bs - p) : (size_t)(end - p);
        memcpy(out + o, p, plain);
        o += plain;
        if (!bs) break;
        p = bs + 1;
        if (p >= end) return -1;
        char e = *p++;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            out[o++] = e;
            break;
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            unsigned cp, low;
            if (!read_u16(p, end, &cp)) return -1;
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' && read_u16(p + 2, end, &low) &&
                    low >= 0xDC00 && low < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    p += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                cp = 0xFFFD;
            }
            o += put_utf8(out + o, cp);
            break;
        }
        default:
            return -1;
        }
    }
    return (long)o;
}

/* ---- the reader ---------------------------------------------------------- */

typedef struct json_reader {
    te_reader_env env;
    json_mode mode;
    key_index key_index; /* of the keys of the mode */
    char *scratch;       /* unescaped strings of the current record */
    size_t scratch_cap;
    json_val vals[K_COUNT];
    /* pretty array state */
    te_buf record;
    bool in_array, seen_array, in_string, escape;
    unsigned depth;
    bool obj_open, obj_too_big, obj_too_deep;
    uint64_t obj_first_line, obj_last_line, pending;
    uint64_t obj_lines;
} json_reader;

static bool reserve_scratch(json_reader *r, size_t need)
{
    if (need <= r->scratch_cap) return true;
    size_t cap = r->scratch_cap ? r->scratch_cap : 4096;
    while (cap < need)
        cap *= 2;
    char *p = realloc(r->scratch, cap);
    if (!p) return false;
    r->scratch = p;
    r->scratch_cap = cap;
    return true;
}

/* The string value of a key: a view into the record, or its unescaped copy
 * in scratch (at *used). A bad escape sets *bad. */
static bool string_value(json_reader *r, int id, size_t *used, te_str *out, bool *bad)
{
    const json_val *v = &r->vals[id];
    if (v->kind != V_STRING) return false;
    if (!memchr(v->raw.ptr, '\\', v->raw.len)) {
        *out = v->raw;
        return true;
    }
    long n = json_unescape(v->raw, r->scratch + *used);
    if (n < 0) {
        *bad = true;
        return false;
    }
    *out = te_str_make(r->scratch + *used, (size_t)n);
    *used += (size_t)n;
    return true;
}

static te_str basename_of(te_str path)
{
    long slash = te_str_find_last(path, '/');
    if (slash < 0) return path;
    size_t after = (size_t)slash + 1;
    return te_str_make(path.ptr + after, path.len - after);
}

static te_str type_from_number(te_str raw)
{
    int64_t v;
    if (!te_str_to_i64(raw, &v)) return raw;
    switch (v) {
    case 0:
        return te_str_cstr("Default");
    case 1:
        return te_str_cstr("Info");
    case 2:
        return te_str_cstr("Debug");
    case 16:
        return te_str_cstr("Error");
    case 17:
        return te_str_cstr("Fault");
    default:
        return raw;
    }
}

/* The word the default text style prints for events without messageType. */
static te_str type_from_event_type(te_str event_type)
{
    static const struct {
        const char *event_type;
        const char *type;
    } map[] = {
        {"logEvent", "Default"},
        {"activityCreateEvent", "Activity"},
        {"activityTransitionEvent", "Activity"},
        {"signpostEvent", "Signpost"},
        {"traceEvent", "Trace"},
        {"timesyncEvent", "Timesync"},
        {"lossEvent", "Loss"},
        {"userActionEvent", "UserAction"},
        {"stateEvent", "State"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (te_str_eq_cstr(event_type, map[i].event_type)) return te_str_cstr(map[i].type);
    return event_type;
}

/* Mandiant "time": nanoseconds as an integer, a float (1.6423048e18) or a string. */
static bool time_from_ns(te_str raw, int64_t *us)
{
    char text[64];
    if (raw.len == 0 || raw.len >= sizeof text) return false;
    size_t digits = 0;
    while (digits < raw.len && raw.ptr[digits] >= '0' && raw.ptr[digits] <= '9')
        digits++;
    if (digits == 0) return false;
    bool exponent = memchr(raw.ptr, 'e', raw.len) || memchr(raw.ptr, 'E', raw.len);
    if (!exponent && (digits == raw.len || raw.ptr[digits] == '.')) {
        uint64_t ns = 0;
        for (size_t i = 0; i < digits; i++) {
            if (ns > (uint64_t)INT64_MAX / 10) return false;
            ns = ns * 10 + (uint64_t)(raw.ptr[i] - '0');
        }
        if (ns > (uint64_t)INT64_MAX) return false;
        *us = (int64_t)(ns / 1000);
        return true;
    }
    te_copy_cstr(text, sizeof text, raw);
    char *stop = NULL;
    double ns = strtod(text, &stop);
    if (!stop || *stop || ns < 0 || ns > 9.2e18) return false;
    *us = (int64_t)(ns / 1000.0);
    return true;
}

static void set_time(te_event *event, const te_time *t)
{
    event->has_time = true;
    event->has_date = t->has_date;
    event->has_offset = t->has_offset;
    event->time_us = t->us;
    event->utc_offset_min = t->offset_min;
}

typedef enum build_result { BUILD_EVENT, BUILD_NOT_EVENT, BUILD_BAD } build_result;

/* Fills the event from the scanned values. BUILD_NOT_EVENT for objects that
 * are not log events (the ndjson closing record, some other JSON). */
static build_result build_event(json_reader *r, te_event *event)
{
    json_val *v = r->vals;
    if (r->mode != MODE_MANDIANT) {
        if (v[K_FINISHED].kind != V_ABSENT) return BUILD_NOT_EVENT;
        if (!v[K_MESSAGE].kind && !v[K_TIMESTAMP].kind && !v[K_EVENT_TYPE].kind &&
            !v[K_PROCESS].kind)
            return BUILD_NOT_EVENT;
    } else if (!v[K_MESSAGE].kind && !v[K_PROCESS].kind) {
        return BUILD_NOT_EVENT;
    }
    size_t need = 0;
    for (int k = 0; k < K_COUNT; k++)
        if (v[k].kind == V_STRING) need += v[k].raw.len;
    if (!reserve_scratch(r, need + 1)) return BUILD_BAD;
    bool bad = false;
    size_t used = 0;
    te_str s;
    if (string_value(r, K_TIMESTAMP, &used, &s, &bad)) {
        te_time t;
        if (te_time_parse(s, &t) > 0) set_time(event, &t);
    }
    if (!event->has_time && (v[K_TIME_NS].kind == V_NUMBER || v[K_TIME_NS].kind == V_STRING)) {
        int64_t us;
        te_time t;
        if (v[K_TIME_NS].kind == V_STRING && te_time_parse(v[K_TIME_NS].raw, &t) > 0) {
            set_time(event, &t);
        } else if (time_from_ns(v[K_TIME_NS].raw, &us)) {
            te_time epoch = {us, 0, true, true};
            set_time(event, &epoch);
        }
    }
    if (string_value(r, K_MESSAGE, &used, &s, &bad)) event->message = s;
    if (string_value(r, K_TYPE, &used, &s, &bad) && s.len) {
        event->type = s;
    } else if (v[K_TYPE].kind == V_NUMBER) {
        event->type = type_from_number(v[K_TYPE].raw);
    }
    if (string_value(r, K_EVENT_TYPE, &used, &s, &bad) && s.len) {
        if (event->type.len == 0)
            event->type = r->mode == MODE_MANDIANT ? s : type_from_event_type(s);
        te_event_add_extra(event, "event_type", s);
    }
    if (string_value(r, K_PROCESS, &used, &s, &bad)) event->process = basename_of(s);
    if (string_value(r, K_SENDER, &used, &s, &bad)) event->sender = basename_of(s);
    if (string_value(r, K_SUBSYSTEM, &used, &s, &bad)) event->subsystem = s;
    if (string_value(r, K_CATEGORY, &used, &s, &bad)) event->category = s;
    int64_t n;
    if (v[K_PID].kind == V_NUMBER && te_str_to_i64(v[K_PID].raw, &n)) event->pid = n;
    if (v[K_THREAD].kind == V_NUMBER && te_str_to_i64(v[K_THREAD].raw, &n)) event->thread = n;
    if (!event->message.ptr) event->message = te_str_make("", 0);
    return bad ? BUILD_BAD : BUILD_EVENT;
}

/* Scans one complete object (a line, or a gathered pretty element) and
 * emits it. `lines` of the record are counted by the outcome. */
static void handle_object(json_reader *r, te_str text, uint64_t first, uint64_t last,
                          uint64_t lines)
{
    te_summary *summary = r->env.summary;
    const char *after = NULL;
    const char *end = text.ptr + text.len;
    scan_result res = scan_object(text.ptr, end, &r->key_index, r->vals, &after);
    if (res == SCAN_OK && skip_ws(after, end) != end) res = SCAN_SYNTAX;
    if (res == SCAN_DEPTH) {
        if (summary) {
            summary->records_skipped++;
            summary->lines_cut += lines;
        }
        te_reader_warn(&r->env, first, "JSON record nested deeper than %u levels: skipped",
                       (unsigned)TE_MAX_JSON_DEPTH);
        return;
    }
    if (res != SCAN_OK) {
        if (summary) summary->lines_not_understood += lines;
        te_reader_warn(&r->env, first, "not a valid JSON object: ignored");
        return;
    }
    te_event event;
    te_event_reset(&event);
    build_result built = build_event(r, &event);
    if (built == BUILD_BAD) {
        if (summary) summary->lines_not_understood += lines;
        te_reader_warn(&r->env, first, "bad escape in a JSON string: record ignored");
        return;
    }
    if (built == BUILD_NOT_EVENT) {
        if (summary) summary->lines_meta += lines;
        return;
    }
    event.line = first;
    event.line_end = last;
    if (summary) summary->lines_in_events += lines;
    if (r->env.emit) r->env.emit(r->env.ctx, &event);
}

/* ndjson and Mandiant JSONL: one object per line. */
static void object_per_line(json_reader *r, te_str line, uint64_t lineno)
{
    te_summary *summary = r->env.summary;
    const char *p = skip_ws(line.ptr, line.ptr + line.len);
    if (p == line.ptr + line.len) {
        if (summary) summary->lines_meta++;
        return;
    }
    if (*p != '{') {
        if (te_log_meta_kind(line) != TE_LOG_META_NONE) {
            if (summary) summary->lines_meta++;
            return;
        }
        if (summary) summary->lines_not_understood++;
        te_reader_warn(&r->env, lineno, "not a JSON object: ignored");
        return;
    }
    handle_object(r, line, lineno, lineno, 1);
}

/* ---- pretty array -------------------------------------------------------- */

static void finish_pretty_object(json_reader *r)
{
    te_summary *summary = r->env.summary;
    if (r->obj_too_big || r->obj_too_deep) {
        if (summary) {
            summary->records_skipped++;
            summary->lines_cut += r->pending;
        }
        if (r->obj_too_big)
            te_reader_warn(&r->env, r->obj_first_line,
                           "JSON record longer than the record limit: skipped");
        else
            te_reader_warn(&r->env, r->obj_first_line,
                           "JSON record nested deeper than %u levels: skipped",
                           (unsigned)TE_MAX_JSON_DEPTH);
    } else {
        handle_object(r, te_str_make(r->record.data, r->record.len), r->obj_first_line,
                      r->obj_last_line, r->pending);
    }
    r->obj_open = false;
    r->pending = 0;
    te_buf_reset(&r->record);
}

static void record_append(json_reader *r, const char *p, size_t n)
{
    if (r->obj_too_big || n == 0) return;
    if (r->record.len + n > TE_MAX_RECORD_BYTES || !te_buf_append(&r->record, p, n))
        r->obj_too_big = true;
}

static void pretty_line(json_reader *r, te_str line, uint64_t lineno)
{
    te_summary *summary = r->env.summary;
    const char *p = line.ptr, *end = line.ptr + line.len;
    if (!r->obj_open && r->depth == 0) {
        /* between top-level values: preamble, "[", or trailing text */
        const char *q = skip_ws(p, end);
        if (q == end || (*q != '[' && *q != '{')) {
            bool meta = q == end || !r->seen_array || te_log_meta_kind(line) != TE_LOG_META_NONE;
            if (summary) {
                if (meta)
                    summary->lines_meta++;
                else
                    summary->lines_not_understood++;
            }
            return;
        }
    }
    bool touched = false; /* the line belongs to an object */
    if (r->obj_open) {
        touched = true;
        r->pending++;
        r->obj_lines++;
        r->obj_last_line = lineno;
        if (r->obj_lines > TE_MAX_RECORD_LINES) r->obj_too_big = true;
    }
    bool junk = false;
    const char *seg = p; /* start of the part of this line inside the object */
    for (const char *c = p; c < end; c++) {
        if (r->in_string) {
            if (r->escape)
                r->escape = false;
            else if (*c == '\\')
                r->escape = true;
            else if (*c == '"')
                r->in_string = false;
            continue;
        }
        unsigned obj_base = r->in_array ? 1 : 0;
        switch (*c) {
        case '"':
            r->in_string = true;
            if (!r->obj_open) junk = true;
            break;
        case '{':
        case '[':
            r->depth++;
            if (*c == '[' && r->depth == 1 && !r->obj_open) {
                r->in_array = true;
                r->seen_array = true;
            } else if (*c == '{' && !r->obj_open && r->depth == obj_base + 1) {
                r->obj_open = true;
                r->obj_too_big = r->obj_too_deep = false;
                r->obj_first_line = r->obj_last_line = lineno;
                r->obj_lines = 1;
                te_buf_reset(&r->record);
                seg = c;
                r->pending = touched ? 0 : 1;
                touched = true;
            } else if (!r->obj_open) {
                junk = true;
            } else if (r->depth - obj_base > TE_MAX_JSON_DEPTH) {
                r->obj_too_deep = true;
            }
            break;
        case '}':
        case ']':
            if (r->depth == 0) {
                junk = true;
                break;
            }
            r->depth--;
            if (r->obj_open && r->depth == obj_base) {
                record_append(r, seg, (size_t)(c + 1 - seg));
                seg = c + 1;
                finish_pretty_object(r);
            } else if (*c == ']' && r->depth == 0 && r->in_array && !r->obj_open) {
                r->in_array = false;
            }
            break;
        case ' ':
        case '\t':
        case ',':
        case '\r':
            break;
        default:
            if (!r->obj_open) junk = true;
            break;
        }
    }
    /* JSON strings cannot hold a raw newline: a string still open here is
     * broken, and closing it lets the next line be read normally (the
     * object, if any, then fails to parse and is reported). */
    r->in_string = r->escape = false;
    if (r->obj_open) {
        record_append(r, seg, (size_t)(end - seg));
        record_append(r, "\n", 1);
    }
    if (!touched && summary) {
        if (junk)
            summary->lines_not_understood++;
        else
            summary->lines_meta++;
    }
}

/* ---- ops ----------------------------------------------------------------- */

static void json_line(void *state, te_str line, uint64_t lineno)
{
    json_reader *r = state;
    if (r->mode == MODE_PRETTY)
        pretty_line(r, line, lineno);
    else
        object_per_line(r, line, lineno);
}

static void json_flush(void *state)
{
    /* Objects are emitted as soon as they close; a half-read pretty object
     * is kept (live input may still complete it). */
    (void)state;
}

static void *json_create(const te_reader_env *env, json_mode mode)
{
    json_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->env = *env;
    r->mode = mode;
    if (mode == MODE_MANDIANT) {
        index_keys(&r->key_index, mandiant_keys, sizeof mandiant_keys / sizeof mandiant_keys[0]);
    } else {
        index_keys(&r->key_index, apple_keys, sizeof apple_keys / sizeof apple_keys[0]);
    }
    te_buf_init(&r->record, TE_MAX_RECORD_BYTES);
    return r;
}

static void json_destroy(void *state)
{
    json_reader *r = state;
    if (!r) return;
    if (r->obj_open) {
        /* the source ended inside an object */
        if (r->env.summary) r->env.summary->lines_not_understood += r->pending;
        te_reader_warn(&r->env, r->obj_first_line, "JSON object not closed at end of input");
    }
    te_buf_free(&r->record);
    free(r->scratch);
    free(r);
}

static void *pretty_create(const te_reader_env *env)
{
    return json_create(env, MODE_PRETTY);
}
static void *ndjson_create(const te_reader_env *env)
{
    return json_create(env, MODE_NDJSON);
}
static void *mandiant_create(const te_reader_env *env)
{
    return json_create(env, MODE_MANDIANT);
}

/* ---- sniffing ------------------------------------------------------------ */

static bool has_key(te_str line, const char *key)
{
    char quoted[40];
    int n = snprintf(quoted, sizeof quoted, "\"%s\"", key);
    if (n <= 0 || (size_t)n >= sizeof quoted) return false;
    long at = te_str_find(line, quoted, (size_t)n);
    if (at < 0) return false;
    const char *p = line.ptr + at + n, *end = line.ptr + line.len;
    p = skip_ws(p, end);
    return p < end && *p == ':';
}

static const char *const apple_event_keys[] = {"eventMessage",     "messageType", "eventType",
                                               "processImagePath", "traceID",     "machTimestamp",
                                               "senderImagePath",  "processID"};

static size_t apple_keys_in(te_str line)
{
    size_t n = 0;
    for (size_t k = 0; k < sizeof apple_event_keys / sizeof apple_event_keys[0]; k++)
        if (has_key(line, apple_event_keys[k])) n++;
    return n;
}

static int pretty_sniff(const te_str *lines, size_t n, char *why, size_t cap)
{
    size_t start = n;
    for (size_t i = 0; i < n; i++) {
        te_str t = te_str_trim(lines[i]);
        if (t.len && t.ptr[0] == '[') {
            start = i;
            break;
        }
    }
    if (start == n) return 0;
    te_str first = te_str_trim(lines[start]);
    if (first.len > 1 && first.ptr[1] != '{' && first.ptr[1] != ' ') return 0; /* "[...]" */
    size_t keys = 0, end = start + 60 < n ? start + 60 : n;
    for (size_t i = start; i < end; i++)
        keys += apple_keys_in(lines[i]);
    if (keys < 2) return 0;
    snprintf(why, cap, "JSON array of log events starting at line %zu", start + 1);
    return 95;
}

static int ndjson_sniff(const te_str *lines, size_t n, char *why, size_t cap)
{
    size_t objects = 0, events = 0, finished = 0, first = 0;
    for (size_t i = 0; i < n; i++) {
        te_str t = te_str_trim(lines[i]);
        if (t.len == 0 || te_log_meta_kind(t) != TE_LOG_META_NONE) continue;
        if (t.ptr[0] != '{' || t.ptr[t.len - 1] != '}') {
            if (objects == 0) return 0;
            continue;
        }
        objects++;
        if (apple_keys_in(t) >= 2) {
            if (events++ == 0) first = i + 1;
        } else if (has_key(t, "finished")) {
            finished++;
        }
    }
    if (events > 0) {
        snprintf(why, cap, "%zu of %zu JSON lines are log events (first at line %zu)", events,
                 objects, first);
        return events * 2 >= objects ? 95 : 60;
    }
    if (finished > 0 && finished == objects) {
        snprintf(why, cap, "only the closing {\"finished\":1} record");
        return 60;
    }
    return 0;
}

static int mandiant_sniff(const te_str *lines, size_t n, char *why, size_t cap)
{
    size_t objects = 0, events = 0, first = 0;
    for (size_t i = 0; i < n; i++) {
        te_str t = te_str_trim(lines[i]);
        if (t.len == 0) continue;
        if (t.ptr[0] != '{') {
            if (objects == 0) return 0;
            continue;
        }
        objects++;
        bool typed = has_key(t, "log_type") || has_key(t, "event_type");
        bool who = has_key(t, "process") || has_key(t, "pid") || has_key(t, "thread_id");
        if (typed && who && has_key(t, "message")) {
            if (events++ == 0) first = i + 1;
        }
    }
    if (events == 0) return 0;
    snprintf(why, cap, "%zu of %zu JSON lines have Mandiant unified-log keys (first at line %zu)",
             events, objects, first);
    return events * 2 >= objects ? 95 : 60;
}

const te_reader_ops te_reader_log_json = {
    "log-json",   "log show --style json (one pretty-printed array of events)",
    pretty_sniff, pretty_create,
    json_line,    json_flush,
    json_destroy,
};

const te_reader_ops te_reader_log_ndjson = {
    "log-ndjson", "log show / log stream --style ndjson (one event object per line)",
    ndjson_sniff, ndjson_create,
    json_line,    json_flush,
    json_destroy,
};

const te_reader_ops te_reader_jsonl_mandiant = {
    "jsonl",        "JSONL of Mandiant macos-UnifiedLogs (unifiedlog_iterator --format jsonl)",
    mandiant_sniff, mandiant_create,
    json_line,      json_flush,
    json_destroy,
};
