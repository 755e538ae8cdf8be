/* Readers of the `log show` / `log stream` text styles: default (with or
 * without the TTL column), syslog and compact. One entry per line that
 * starts with a timestamp and the style's columns; other lines continue the
 * previous entry's message. Preamble, column headers and log show's closing
 * summary are counted as meta lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/log_text.h"
#include "util/timeparse.h"

/* Longest process name accepted before "[pid]" in syslog/compact columns. */
#define PROCESS_NAME_MAX 256
/* Length of the dashed rule before log show's summary is 116; accept any
 * long run of dashes (copies reflow it). */
#define RULE_MIN_DASHES 80

typedef enum text_style { STYLE_DEFAULT, STYLE_SYSLOG, STYLE_COMPACT, STYLE_COUNT } text_style;

static const char *const style_names[STYLE_COUNT] = {"log-default", "log-syslog", "log-compact"};

/* ---- small scanning helpers ---------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static size_t skip_spaces(te_str s, size_t i)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* column padding: eight bytes at a time, the first non-space found from
     * the lowest differing byte */
    while (i + 8 <= s.len) {
        uint64_t w;
        memcpy(&w, s.ptr + i, sizeof w);
        uint64_t other = w ^ 0x2020202020202020ull;
        if (!other) {
            i += 8;
            continue;
        }
        i += (size_t)__builtin_ctzll(other) / 8;
        if (s.ptr[i] != '\t') return i;
        i++;
    }
#endif
    while (i < s.len && is_space(s.ptr[i]))
        i++;
    return i;
}

static size_t token_end(te_str s, size_t i)
{
    while (i < s.len && !is_space(s.ptr[i]))
        i++;
    return i;
}

static bool starts_with_at(te_str s, size_t at, const char *prefix)
{
    size_t n = strlen(prefix);
    return at <= s.len && s.len - at >= n && memcmp(s.ptr + at, prefix, n) == 0;
}

static bool contains(te_str s, const char *needle)
{
    return te_str_find(s, needle, strlen(needle)) >= 0;
}

/* Hex digits (optionally after "0x") to a value; false when not hex. */
static bool parse_hex(const char *p, size_t n, int64_t *out)
{
    if (n == 0 || n > 16) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!is_hex(c)) return false;
        v = v * 16 + (uint64_t)(is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    *out = (int64_t)(v & INT64_MAX);
    return true;
}

bool te_log_is_blank(te_str line)
{
    for (size_t i = 0; i < line.len; i++)
        if (!is_space(line.ptr[i]) && line.ptr[i] != '\r') return false;
    return true;
}

/* ---- shared line parsers (log_text.h) ------------------------------------ */

size_t te_log_parse_time(te_str line, te_event *event)
{
    te_time t;
    size_t n = te_time_parse(line, &t);
    if (n == 0 || !t.has_date) return 0;
    /* "13:25:40.068147-500": a 3-digit offset as seen in an edited copy. */
    if (!t.has_offset && n + 4 <= line.len && (line.ptr[n] == '+' || line.ptr[n] == '-') &&
        is_digit(line.ptr[n + 1]) && is_digit(line.ptr[n + 2]) && is_digit(line.ptr[n + 3]) &&
        (n + 4 == line.len || is_space(line.ptr[n + 4]))) {
        int sign = line.ptr[n] == '-' ? -1 : 1;
        int hours = line.ptr[n + 1] - '0';
        int minutes = (line.ptr[n + 2] - '0') * 10 + (line.ptr[n + 3] - '0');
        if (minutes < 60) {
            t.offset_min = sign * (hours * 60 + minutes);
            t.has_offset = true;
            t.us -= (int64_t)t.offset_min * 60000000LL;
            n += 4;
        }
    }
    event->has_time = true;
    event->has_date = t.has_date;
    event->has_offset = t.has_offset;
    event->time_us = t.us;
    event->utc_offset_min = t.offset_min;
    return n;
}

/* Value + 1 of each hex digit, 0 for other bytes. */
static const unsigned char hex_digit_plus1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* The token at i (up to the next space or the end) is "0x" and 1..16 hex
 * digits: its value, and the end of the token; 0 otherwise. */
static size_t hex_column(te_str s, size_t i, int64_t *out)
{
    if (i + 2 >= s.len || s.ptr[i] != '0' || s.ptr[i + 1] != 'x') return 0;
    uint64_t v = 0;
    size_t j = i + 2;
    for (unsigned h; j < s.len && (h = hex_digit_plus1[(unsigned char)s.ptr[j]]) != 0; j++) {
        if (j - i - 2 == 16) return 0;
        v = v * 16 + h - 1;
    }
    if (j == i + 2 || (j < s.len && !is_space(s.ptr[j]))) return 0;
    *out = (int64_t)(v & INT64_MAX);
    return j;
}

long te_log_parse_default(te_str line, te_ttl_mode ttl, te_event *event)
{
    if (line.len < 20 || !is_digit(line.ptr[0])) return -1;
    size_t i = te_log_parse_time(line, event);
    if (i == 0 || i >= line.len || !is_space(line.ptr[i])) goto no;
    i = skip_spaces(line, i);
    /* thread: 0x + hex */
    int64_t thread;
    size_t e = hex_column(line, i, &thread);
    if (!e) goto no;
    i = skip_spaces(line, e);
    /* type: a word of at most 24 letters */
    for (e = i; e < line.len && is_alpha(line.ptr[e]); e++)
        if (e - i == 24) goto no;
    if (e == i || (e < line.len && !is_space(line.ptr[e]))) goto no;
    te_str type = te_str_make(line.ptr + i, e - i);
    i = skip_spaces(line, e);
    /* activity: 0x + hex */
    int64_t activity;
    e = hex_column(line, i, &activity);
    if (!e) goto no;
    i = skip_spaces(line, e);
    /* pid: at most 10 digits */
    int64_t pid = 0;
    for (e = i; e < line.len && is_digit(line.ptr[e]); e++) {
        if (e - i == 10) goto no;
        pid = pid * 10 + (line.ptr[e] - '0');
    }
    if (e == i || (e < line.len && !is_space(line.ptr[e]))) goto no;
    i = skip_spaces(line, e);
    /* TTL: a small number, present in the modern header */
    if (ttl != TE_TTL_NO) {
        e = token_end(line, i);
        bool number = e > i && e - i <= 5;
        for (size_t k = i; number && k < e; k++)
            if (!is_digit(line.ptr[k])) number = false;
        if (ttl == TE_TTL_YES && !number) goto no;
        if (number && (ttl == TE_TTL_YES || e < line.len)) i = skip_spaces(line, e);
    }
    event->thread = thread;
    event->type = type;
    event->pid = pid;
    return (long)i;
no:
    event->has_time = false;
    return -1;
}

/* Finds "[digits]" followed by ':' (syslog) at or after `from`, within the
 * process-name limit; returns the offset of '[' or -1. */
static long find_pid_colon(te_str line, size_t from)
{
    size_t limit = from + PROCESS_NAME_MAX < line.len ? from + PROCESS_NAME_MAX : line.len;
    for (size_t i = from; i < limit; i++) {
        char c = line.ptr[i];
        if (c == ':' || (c == ' ' && i + 1 < line.len && line.ptr[i + 1] == ' ')) return -1;
        if (c != '[') continue;
        size_t j = i + 1;
        while (j < line.len && is_digit(line.ptr[j]))
            j++;
        if (j > i + 1 && j - i <= 11 && j + 1 < line.len && line.ptr[j] == ']' &&
            line.ptr[j + 1] == ':')
            return (long)i;
    }
    return -1;
}

long te_log_parse_syslog(te_str line, te_event *event)
{
    if (line.len < 20 || !is_digit(line.ptr[0])) return -1;
    size_t i = te_log_parse_time(line, event);
    if (i == 0 || !event->has_offset || i >= line.len || !is_space(line.ptr[i])) goto no;
    i = skip_spaces(line, i);
    /* host ("localhost"), unless the process comes first */
    size_t host_end = token_end(line, i);
    long bracket = find_pid_colon(line, i);
    if (bracket < 0 || (size_t)bracket > host_end) {
        size_t p = skip_spaces(line, host_end);
        if (p == host_end || p >= line.len) goto no;
        i = p;
        bracket = find_pid_colon(line, i);
        if (bracket < 0) goto no;
    }
    if ((size_t)bracket == i) goto no;
    size_t close = (size_t)bracket + 1;
    while (line.ptr[close] != ']')
        close++;
    int64_t pid;
    if (!te_str_to_i64(te_str_make(line.ptr + bracket + 1, close - (size_t)bracket - 1), &pid))
        goto no;
    event->process = te_str_make(line.ptr + i, (size_t)bracket - i);
    event->pid = pid;
    size_t m = close + 2; /* past "]:" */
    if (m < line.len && line.ptr[m] == ' ') m++;
    return (long)m;
no:
    event->has_time = false;
    event->process = te_str_make(NULL, 0);
    event->pid = -1;
    return -1;
}

/* Compact type codes (two characters, space padded). */
static te_str compact_type(te_str code)
{
    static const struct {
        const char *code;
        const char *name;
    } map[] = {
        {"Df", "Default"}, {"E", "Error"},  {"Er", "Error"},   {"A", "Activity"},
        {"I", "Info"},     {"In", "Info"},  {"Db", "Debug"},   {"D", "Debug"},
        {"F", "Fault"},    {"Fa", "Fault"}, {"S", "Signpost"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (te_str_eq_cstr(code, map[i].code)) return te_str_cstr(map[i].name);
    return code;
}

long te_log_parse_compact(te_str line, te_event *event)
{
    if (line.len < 20 || !is_digit(line.ptr[0])) return -1;
    size_t i = te_log_parse_time(line, event);
    if (i == 0 || i >= line.len || line.ptr[i] != ' ') goto no;
    i = skip_spaces(line, i);
    size_t e = i;
    while (e < line.len && e - i < 2 && is_alpha(line.ptr[e]))
        e++;
    if (e == i || e >= line.len || line.ptr[e] != ' ') goto no;
    te_str code = te_str_make(line.ptr + i, e - i);
    i = skip_spaces(line, e);
    /* process[pid:tid]: the first such group followed by a space or the end */
    size_t limit = i + PROCESS_NAME_MAX < line.len ? i + PROCESS_NAME_MAX : line.len;
    for (size_t b = i + 1; b < limit; b++) {
        if (line.ptr[b] != '[') continue;
        size_t j = b + 1;
        while (j < line.len && is_digit(line.ptr[j]))
            j++;
        if (j == b + 1 || j - b > 11 || j >= line.len || line.ptr[j] != ':') continue;
        size_t k = j + 1;
        while (k < line.len && is_hex(line.ptr[k]))
            k++;
        if (k == j + 1 || k >= line.len || line.ptr[k] != ']') continue;
        if (k + 1 < line.len && line.ptr[k + 1] != ' ') continue;
        int64_t pid, tid;
        if (!te_str_to_i64(te_str_make(line.ptr + b + 1, j - b - 1), &pid) ||
            !parse_hex(line.ptr + j + 1, k - j - 1, &tid))
            continue;
        size_t pe = b;
        while (pe > i && is_space(line.ptr[pe - 1]))
            pe--;
        event->process = te_str_make(line.ptr + i, pe - i);
        event->pid = pid;
        event->thread = tid;
        event->type = compact_type(code);
        size_t m = k + 1;
        if (m < line.len) m++;
        return (long)m;
    }
no:
    event->has_time = false;
    return -1;
}

te_log_meta te_log_meta_kind(te_str line)
{
    if (line.len == 0) return TE_LOG_META_NONE;
    switch (line.ptr[0]) {
    case 'F':
        if (te_str_starts_with(line, "Filtering the log data using ")) return TE_LOG_META_PREAMBLE;
        break;
    case 'S':
        if (te_str_starts_with(line, "Skipping ") && contains(line, "pass --"))
            return TE_LOG_META_PREAMBLE;
        break;
    case 'T':
        if (!te_str_starts_with(line, "Timestamp") || line.len < 12 || !is_space(line.ptr[9]))
            break;
        if (contains(line, "(process)[PID]")) return TE_LOG_META_HEADER_SYSLOG;
        if (contains(line, "Process[PID:TID]")) return TE_LOG_META_HEADER_COMPACT;
        if (contains(line, "Thread") && contains(line, "Type") && contains(line, "PID"))
            return contains(line, "TTL") ? TE_LOG_META_HEADER_TTL : TE_LOG_META_HEADER_NO_TTL;
        break;
    case '-': {
        te_str t = te_str_trim(line);
        if (t.len < RULE_MIN_DASHES) break;
        for (size_t i = 0; i < t.len; i++)
            if (t.ptr[i] != '-') return TE_LOG_META_NONE;
        return TE_LOG_META_RULE;
    }
    case 'L':
    case 'A': {
        size_t i = 0;
        if (starts_with_at(line, 0, "Log"))
            i = 3;
        else if (starts_with_at(line, 0, "Activity"))
            i = 8;
        else
            break;
        size_t j = skip_spaces(line, i);
        if (j == i || j >= line.len || line.ptr[j] != '-') break;
        size_t k = skip_spaces(line, j + 1);
        size_t w = k;
        while (w < line.len && is_alpha(line.ptr[w]))
            w++;
        if (w == k || w >= line.len || line.ptr[w] != ':') break;
        w = skip_spaces(line, w + 1);
        if (w < line.len && is_digit(line.ptr[w])) return TE_LOG_META_SUMMARY;
        break;
    }
    default:
        break;
    }
    return TE_LOG_META_NONE;
}

/* ---- the reader ---------------------------------------------------------- */

typedef struct text_reader {
    te_reader_env env;
    text_style style;
    te_ttl_mode ttl;
    te_buf record;  /* first line, then "\n" + each continuation line */
    bool held;      /* a record is being built */
    bool truncated; /* the record hit a limit; further lines are cut */
    uint64_t first_line, last_line;
    uint64_t n_lines; /* lines of the record, counted when it is emitted */
    bool warned_junk;
    bool seen_entry;
    /* Each line is parsed once: into the event not held when it comes;
     * when it starts an entry that event becomes the held record's, and is
     * finished (message, views into `record`) when the record ends. */
    te_event events[2];
    unsigned held_event;
    long message_offset; /* where the message column starts in the first line */
    /* Where the held event's type and process start in `record` (-1: not in
     * it): appending a continuation line may move `record`, so the views are
     * re-pointed when the record is emitted. */
    long type_offset, process_offset;
} text_reader;

static long parse_entry(const text_reader *r, te_str line, te_event *event)
{
    switch (r->style) {
    case STYLE_DEFAULT:
        return te_log_parse_default(line, r->ttl, event);
    case STYLE_SYSLOG:
        return te_log_parse_syslog(line, event);
    default:
        return te_log_parse_compact(line, event);
    }
}

static void emit_record(text_reader *r)
{
    if (!r->held) return;
    te_event *event = &r->events[r->held_event];
    size_t off = (size_t)r->message_offset;
    size_t len = r->record.len;
    while (len > off && (is_space(r->record.data[len - 1]) || r->record.data[len - 1] == '\n' ||
                         r->record.data[len - 1] == '\r'))
        len--;
    te_str message = te_str_make(r->record.data + off, len - off);
    if (r->type_offset >= 0) event->type.ptr = r->record.data + r->type_offset;
    if (r->process_offset >= 0) event->process.ptr = r->record.data + r->process_offset;
    te_parse_composed_message(message, event, r->style == STYLE_DEFAULT);
    event->line = r->first_line;
    event->line_end = r->last_line;
    if (r->env.summary) r->env.summary->lines_in_events += r->n_lines;
    r->held = false;
    if (r->env.emit) r->env.emit(r->env.ctx, event);
    te_buf_reset(&r->record);
}

/* Where a view into `line` starts in it (-1: the view is not in `line`). */
static long offset_in(te_str view, te_str line)
{
    if (view.ptr >= line.ptr && view.ptr < line.ptr + line.len) return view.ptr - line.ptr;
    return -1;
}

static void count_cut(text_reader *r, uint64_t lineno)
{
    if (r->env.summary) r->env.summary->lines_cut++;
    if (!r->truncated) {
        r->truncated = true;
        if (r->env.summary) r->env.summary->records_skipped++;
        te_reader_warn(&r->env, lineno,
                       "entry starting at line %llu is longer than the record limit: rest skipped",
                       (unsigned long long)r->first_line);
    }
}

/* `line` is an entry whose columns were parsed into events[parsed]. */
static void start_record(text_reader *r, te_str line, uint64_t lineno, unsigned parsed, long offset)
{
    te_buf_reset(&r->record);
    r->truncated = false;
    if (!te_buf_append(&r->record, line.ptr, line.len)) {
        count_cut(r, lineno);
        return;
    }
    te_event *event = &r->events[parsed];
    r->type_offset = offset_in(event->type, line);
    r->process_offset = offset_in(event->process, line);
    r->held_event = parsed;
    r->message_offset = offset;
    r->held = true;
    r->first_line = r->last_line = lineno;
    r->n_lines = 1;
}

static void continue_record(text_reader *r, te_str line, uint64_t lineno)
{
    if (r->truncated || r->n_lines >= TE_MAX_RECORD_LINES ||
        r->record.len + 1 + line.len > TE_MAX_RECORD_BYTES) {
        count_cut(r, lineno);
        return;
    }
    if (!te_buf_putc(&r->record, '\n') || !te_buf_append(&r->record, line.ptr, line.len)) {
        count_cut(r, lineno);
        return;
    }
    r->n_lines++;
    /* trailing blank lines belong to the record but not to its message */
    if (!te_log_is_blank(line)) r->last_line = lineno;
}

static void text_line(void *state, te_str line, uint64_t lineno)
{
    text_reader *r = state;
    te_summary *summary = r->env.summary;
    te_log_meta meta =
        is_digit(line.len ? line.ptr[0] : 0) ? TE_LOG_META_NONE : te_log_meta_kind(line);
    if (meta != TE_LOG_META_NONE) {
        emit_record(r);
        r->truncated = false;
        if (meta == TE_LOG_META_HEADER_TTL) r->ttl = TE_TTL_YES;
        if (meta == TE_LOG_META_HEADER_NO_TTL) r->ttl = TE_TTL_NO;
        if (summary) summary->lines_meta++;
        return;
    }
    unsigned parsed = r->held ? 1 - r->held_event : r->held_event;
    te_event *probe = &r->events[parsed];
    te_event_reset(probe);
    long offset = parse_entry(r, line, probe);
    if (offset >= 0) {
        emit_record(r);
        start_record(r, line, lineno, parsed, offset);
        r->seen_entry = true;
        return;
    }
    /* the command that produced the output, pasted above it */
    if (!r->seen_entry && (contains(line, "log stream") || contains(line, "log show"))) {
        if (summary) summary->lines_meta++;
        return;
    }
    if (r->held || r->truncated) {
        continue_record(r, line, lineno);
        return;
    }
    if (te_log_is_blank(line)) {
        if (summary) summary->lines_meta++;
        return;
    }
    if (summary) summary->lines_not_understood++;
    if (!r->warned_junk) {
        r->warned_junk = true;
        te_reader_warn(&r->env, lineno, "line is not %s output: ignored", style_names[r->style]);
    }
}

static void text_flush(void *state)
{
    text_reader *r = state;
    emit_record(r);
}

static void *text_create(const te_reader_env *env, text_style style)
{
    text_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->env = *env;
    r->style = style;
    r->ttl = TE_TTL_UNKNOWN;
    te_buf_init(&r->record, TE_MAX_RECORD_BYTES);
    return r;
}

static void text_destroy(void *state)
{
    text_reader *r = state;
    if (!r) return;
    te_buf_free(&r->record);
    free(r);
}

static void *default_create(const te_reader_env *env)
{
    return text_create(env, STYLE_DEFAULT);
}
static void *syslog_create(const te_reader_env *env)
{
    return text_create(env, STYLE_SYSLOG);
}
static void *compact_create(const te_reader_env *env)
{
    return text_create(env, STYLE_COMPACT);
}

/* ---- sniffing ------------------------------------------------------------ */

typedef struct text_profile {
    size_t entries[STYLE_COUNT];
    size_t junk_before[STYLE_COUNT]; /* plain lines before the style's first entry */
    bool seen[STYLE_COUNT];
    te_log_meta header; /* first column header seen */
    size_t header_line; /* 1-based */
    size_t plain;       /* non-blank lines that are neither meta nor entries */
    size_t lines;       /* non-blank lines looked at */
} text_profile;

static void profile_lines(const te_str *lines, size_t n, text_profile *p)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < n; i++) {
        te_str line = lines[i];
        if (te_log_is_blank(line)) continue;
        p->lines++;
        te_log_meta meta = te_log_meta_kind(line);
        if (meta != TE_LOG_META_NONE) {
            if (p->header == TE_LOG_META_NONE && meta >= TE_LOG_META_HEADER_TTL &&
                meta <= TE_LOG_META_HEADER_COMPACT) {
                p->header = meta;
                p->header_line = i + 1;
            }
            continue;
        }
        te_event probe;
        te_event_reset(&probe);
        bool any = false;
        bool hit[STYLE_COUNT] = {
            te_log_parse_default(line, TE_TTL_UNKNOWN, &probe) >= 0,
            te_log_parse_syslog(line, &probe) >= 0,
            te_log_parse_compact(line, &probe) >= 0,
        };
        for (int s = 0; s < STYLE_COUNT; s++) {
            if (!hit[s]) continue;
            any = true;
            if (!p->seen[s]) {
                p->seen[s] = true;
                p->junk_before[s] = p->plain;
                for (int o = 0; o < STYLE_COUNT; o++)
                    if (o != s) p->junk_before[s] += p->entries[o];
            }
            p->entries[s]++;
        }
        if (!any) p->plain++;
    }
}

static int text_sniff(text_style style, const te_str *lines, size_t n, char *why, size_t cap)
{
    text_profile p;
    profile_lines(lines, n, &p);
    static const te_log_meta own_header[STYLE_COUNT] = {
        TE_LOG_META_HEADER_TTL, TE_LOG_META_HEADER_SYSLOG, TE_LOG_META_HEADER_COMPACT};
    bool header = p.header == own_header[style] ||
                  (style == STYLE_DEFAULT && p.header == TE_LOG_META_HEADER_NO_TTL);
    size_t entries = p.entries[style];
    if (!header && entries == 0) return 0;
    /* Text before the log (a prompt, a sentence) is fine; a ticket with a
     * log pasted in the middle is better read by the loose reader, which
     * keeps the prose as events and still parses the embedded lines. */
    size_t junk = p.seen[style] ? p.junk_before[style] : p.plain;
    size_t allowed = entries / 10 > 2 ? entries / 10 : 2;
    if (junk > allowed) return 0;
    if (header) {
        const char *what = p.header == TE_LOG_META_HEADER_TTL      ? "column header with TTL"
                           : p.header == TE_LOG_META_HEADER_NO_TTL ? "column header without TTL"
                                                                   : "column header";
        snprintf(why, cap, "%s at line %zu", what, p.header_line);
        return 95;
    }
    snprintf(why, cap, "%zu of %zu lines are %s entries (no header)", entries, p.lines,
             style == STYLE_DEFAULT  ? "default-style"
             : style == STYLE_SYSLOG ? "syslog-style"
                                     : "compact-style");
    return 85;
}

static int default_sniff(const te_str *lines, size_t n, char *why, size_t cap)
{
    return text_sniff(STYLE_DEFAULT, lines, n, why, cap);
}
static int syslog_sniff(const te_str *lines, size_t n, char *why, size_t cap)
{
    return text_sniff(STYLE_SYSLOG, lines, n, why, cap);
}
static int compact_sniff(const te_str *lines, size_t n, char *why, size_t cap)
{
    return text_sniff(STYLE_COMPACT, lines, n, why, cap);
}

const te_reader_ops te_reader_log_default = {
    "log-default", "log show / log stream default style (with or without the TTL column)",
    default_sniff, default_create,
    text_line,     text_flush,
    text_destroy,
};

const te_reader_ops te_reader_log_syslog = {
    "log-syslog", "log show / log stream --style syslog",
    syslog_sniff, syslog_create,
    text_line,    text_flush,
    text_destroy,
};

const te_reader_ops te_reader_log_compact = {
    "log-compact", "log show / log stream --style compact",
    compact_sniff, compact_create,
    text_line,     text_flush,
    text_destroy,
};
