/* Reader for text crash reports: legacy `.crash` files, the "Translated
 * Report" of macOS 12+, and report fragments pasted into tickets. One event
 * per non-blank line of a report (message = the line as printed), each
 * carrying the report's identity (process, pid, path, bundle id, parent,
 * responsible, Date/Time). A report is held until it ends so that its first
 * lines get the identity printed further down; lines around a report (prose,
 * a log line) become plain events without identity. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "input/reader.h"
#include "util/timeparse.h"

/* Identity fields are copied into fixed buffers (longer values are cut). */
#define IDENT_NAME_MAX 256
#define IDENT_PATH_MAX 4096

typedef struct held_line {
    size_t off; /* into text */
    size_t len;
    uint64_t lineno;
    bool in_report; /* a line of the report (gets the identity) */
} held_line;

typedef struct report_identity {
    bool has_process;
    bool has_time;
    te_time time;
    int64_t pid;
    char process[IDENT_NAME_MAX];
    char pid_text[24];
    char path[IDENT_PATH_MAX];
    char bundle_id[IDENT_NAME_MAX];
    char parent[IDENT_NAME_MAX];
    char responsible[IDENT_PATH_MAX];
} report_identity;

typedef struct crash_text_state {
    const te_reader_env *env;
    te_buf text;     /* bytes of the held lines */
    held_line *held; /* held lines, in input order */
    size_t n_held;
    size_t cap_held;
    bool report_started;   /* a report line has been seen in the held report */
    bool in_section;       /* inside a free-text section (until a blank line) */
    bool skip_full_report; /* after "Full Report": the JSON copy, counted as meta */
    report_identity id;
    te_event event;
} crash_text_state;

/* ---- line classification --------------------------------------------- */

typedef enum key_kind {
    KEY_PLAIN,   /* `Key: value` */
    KEY_SECTION, /* opens a section whose following lines belong to the report */
} key_kind;

typedef struct crash_key {
    const char *name;
    key_kind kind;
    bool strong; /* distinctive of a crash report (used by sniff) */
} crash_key;

static const crash_key crash_keys[] = {
    {"Process", KEY_PLAIN, false},
    {"Path", KEY_PLAIN, false},
    {"Identifier", KEY_PLAIN, false},
    {"Version", KEY_PLAIN, false},
    {"Code Type", KEY_PLAIN, false},
    {"Role", KEY_PLAIN, false},
    {"Parent Process", KEY_PLAIN, false},
    {"Coalition", KEY_PLAIN, false},
    {"Responsible", KEY_PLAIN, false},
    {"Responsible Process", KEY_PLAIN, false},
    {"User ID", KEY_PLAIN, false},
    {"Date/Time", KEY_PLAIN, false},
    {"Launch Time", KEY_PLAIN, false},
    {"OS Version", KEY_PLAIN, false},
    {"Release Type", KEY_PLAIN, false},
    {"Report Version", KEY_PLAIN, false},
    {"Bridge OS Version", KEY_PLAIN, false},
    {"Anonymous UUID", KEY_PLAIN, false},
    {"Sleep/Wake UUID", KEY_PLAIN, false},
    {"Time Awake Since Boot", KEY_PLAIN, false},
    {"Time Since Wake", KEY_PLAIN, false},
    {"System Integrity Protection", KEY_PLAIN, false},
    {"Incident Identifier", KEY_PLAIN, false},
    {"CrashReporter Key", KEY_PLAIN, false},
    {"Hardware Model", KEY_PLAIN, false},
    {"Load Address", KEY_PLAIN, false},
    {"App Item ID", KEY_PLAIN, false},
    {"App External ID", KEY_PLAIN, false},
    {"Beta Identifier", KEY_PLAIN, false},
    {"Distributor ID", KEY_PLAIN, false},
    {"PlugIn Path", KEY_PLAIN, false},
    {"PlugIn Identifier", KEY_PLAIN, false},
    {"PlugIn Version", KEY_PLAIN, false},
    {"Violation", KEY_PLAIN, false},
    {"Notes", KEY_PLAIN, false},
    {"Crashed Thread", KEY_PLAIN, true},
    {"Triggered by Thread", KEY_PLAIN, true},
    {"Exception Type", KEY_PLAIN, true},
    {"Exception Codes", KEY_PLAIN, true},
    {"Exception Subtype", KEY_PLAIN, false},
    {"Exception Note", KEY_PLAIN, false},
    {"Exception Message", KEY_PLAIN, false},
    {"Exception Reason", KEY_PLAIN, false},
    {"Termination Signal", KEY_PLAIN, true},
    {"Termination Reason", KEY_SECTION, true}, /* the dyld block follows it */
    {"Termination Details", KEY_PLAIN, false},
    {"Terminating Process", KEY_PLAIN, false},
    {"Kernel Triage", KEY_PLAIN, true},
    {"Logical CPU", KEY_PLAIN, false},
    {"Error Code", KEY_PLAIN, false},
    {"Trap Number", KEY_PLAIN, false},
    {"Dyld Error Message", KEY_SECTION, true},
    {"Library not loaded", KEY_SECTION, false},
    /* the dyld block: "Reason: tried: ..." follows these */
    {"Referenced from", KEY_SECTION, false},
    {"Expected in", KEY_SECTION, false},
    {"Application Specific Information", KEY_SECTION, false},
    {"Application Specific Signatures", KEY_SECTION, false},
    {"Application Specific Backtrace", KEY_SECTION, false},
    {"Binary Images", KEY_SECTION, false},
    {"kernel messages", KEY_SECTION, false},
    {"VM Regions Near", KEY_SECTION, false},
    {"VM Region Info", KEY_SECTION, false},
    {"External Modification Warnings", KEY_PLAIN, false},
    {"External Modification Summary", KEY_SECTION, false},
    {"Model", KEY_PLAIN, false},
};

typedef enum line_kind {
    LINE_OTHER,       /* not recognisably part of a report */
    LINE_KEY,         /* `Key: value` */
    LINE_SECTION,     /* opens a section (frames, free text) */
    LINE_FRAME,       /* `0   dyld   0x... _dyld_start + 0` */
    LINE_BANNER,      /* Translated Report banner lines */
    LINE_FULL_REPORT, /* "Full Report": the JSON copy follows */
} line_kind;

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static te_str skip_spaces(te_str s)
{
    while (s.len > 0 && is_space(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    return s;
}

/* `Thread 3:`, `Thread 0 Crashed:`, `Thread 1 Crashed:: name`,
 * `Thread 0 crashed with ARM Thread State (64-bit):` */
static bool is_thread_header(te_str s, bool *crashed)
{
    if (!te_str_starts_with(s, "Thread ")) return false;
    size_t i = 7;
    if (i >= s.len || !is_digit(s.ptr[i])) return false;
    while (i < s.len && is_digit(s.ptr[i]))
        i++;
    te_str rest = te_str_make(s.ptr + i, s.len - i);
    if (crashed) *crashed = te_str_find(rest, "rashed", 6) >= 0;
    return te_str_find(rest, ":", 1) >= 0;
}

/* A frame: digits, whitespace, then an image name / address / symbol. */
static bool is_frame(te_str s)
{
    size_t i = 0;
    while (i < s.len && is_digit(s.ptr[i]))
        i++;
    if (i == 0 || i > 4 || i >= s.len || !is_space(s.ptr[i])) return false;
    while (i < s.len && is_space(s.ptr[i]))
        i++;
    return i < s.len;
}

static bool is_dash_banner(te_str s)
{
    if (s.len < 10) return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] != '-') return false;
    return true;
}

/* Finds the key a line starts with (`Key:`); NULL when none. */
static const crash_key *match_key(te_str s)
{
    for (size_t k = 0; k < sizeof crash_keys / sizeof crash_keys[0]; k++) {
        const char *name = crash_keys[k].name;
        size_t n = strlen(name);
        if (s.len <= n || memcmp(s.ptr, name, n) != 0) continue;
        char next = s.ptr[n];
        if (next == ':') return &crash_keys[k];
        /* "VM Regions Near 0x1234:" carries text before its colon */
        if (crash_keys[k].kind == KEY_SECTION && next == ' ' &&
            te_str_find(te_str_make(s.ptr + n, s.len - n), ":", 1) >= 0 && s.ptr[s.len - 1] == ':')
            return &crash_keys[k];
    }
    return NULL;
}

static line_kind classify(te_str s, const crash_key **key_out)
{
    const crash_key *key = NULL;
    line_kind kind = LINE_OTHER;
    if (s.len == 0) goto done;
    if (is_dash_banner(s) || te_str_starts_with(s, "Translated Report")) {
        kind = LINE_BANNER;
        goto done;
    }
    if (te_str_eq_cstr(s, "Full Report")) {
        kind = LINE_FULL_REPORT;
        goto done;
    }
    if (is_thread_header(s, NULL)) {
        kind = LINE_SECTION;
        goto done;
    }
    if (is_frame(s)) {
        kind = LINE_FRAME;
        goto done;
    }
    key = match_key(s);
    if (key) kind = key->kind == KEY_SECTION ? LINE_SECTION : LINE_KEY;
done:
    if (key_out) *key_out = key;
    return kind;
}

/* ---- identity --------------------------------------------------------- */

/* The value after `Key:` and the alignment spaces. */
static te_str key_value(te_str line, const crash_key *key)
{
    size_t n = strlen(key->name) + 1;
    if (n > line.len) return te_str_make(line.ptr + line.len, 0);
    return te_str_trim_right(skip_spaces(te_str_make(line.ptr + n, line.len - n)));
}

/* Splits "Name [123]" into name and pid (pid -1 when absent). */
static te_str split_name_pid(te_str value, int64_t *pid)
{
    *pid = -1;
    te_str v = te_str_trim_right(value);
    if (v.len >= 3 && v.ptr[v.len - 1] == ']') {
        size_t open = v.len - 1;
        while (open > 0 && v.ptr[open - 1] != '[')
            open--;
        if (open > 0) {
            te_str digits = te_str_make(v.ptr + open, v.len - 1 - open);
            int64_t n;
            if (te_str_to_i64(digits, &n)) {
                *pid = n;
                v.len = open - 1;
                v = te_str_trim_right(v);
            }
        }
    }
    return v;
}

static void take_identity(report_identity *id, te_str line, const crash_key *key)
{
    te_str value = key_value(line, key);
    int64_t pid;
    if (strcmp(key->name, "Process") == 0) {
        te_str name = split_name_pid(value, &pid);
        te_copy_cstr(id->process, sizeof id->process, name);
        id->pid = pid;
        id->pid_text[0] = '\0';
        if (pid >= 0) snprintf(id->pid_text, sizeof id->pid_text, "%lld", (long long)pid);
        id->has_process = true;
    } else if (strcmp(key->name, "Path") == 0) {
        te_copy_cstr(id->path, sizeof id->path, value);
    } else if (strcmp(key->name, "Identifier") == 0) {
        te_copy_cstr(id->bundle_id, sizeof id->bundle_id, value);
    } else if (strcmp(key->name, "Parent Process") == 0) {
        te_copy_cstr(id->parent, sizeof id->parent, split_name_pid(value, &pid));
    } else if (strcmp(key->name, "Responsible") == 0 ||
               strcmp(key->name, "Responsible Process") == 0) {
        te_copy_cstr(id->responsible, sizeof id->responsible, split_name_pid(value, &pid));
    } else if (strcmp(key->name, "Date/Time") == 0) {
        te_time t;
        if (te_time_parse(value, &t) > 0) {
            id->time = t;
            id->has_time = true;
        }
    }
}

static void identity_reset(report_identity *id)
{
    memset(id, 0, sizeof *id);
    id->pid = -1;
}

/* ---- emitting --------------------------------------------------------- */

static void add_extra_cstr(te_event *ev, const char *key, const char *value)
{
    if (value[0]) te_event_add_extra(ev, key, te_str_cstr(value));
}

/* A Console.app row before a report (corpus 062: the sandboxd line that
 * precedes its violation report): "type<TAB>time<TAB>process<TAB>message". */
static bool console_row(te_str line, te_event *ev)
{
    static const char *const types[][2] = {{"default", "Default"},
                                           {"info", "Info"},
                                           {"debug", "Debug"},
                                           {"error", "Error"},
                                           {"fault", "Fault"}};
    te_str f[4];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= line.len && n < 4; i++) {
        if (i == line.len || line.ptr[i] == '\t') {
            size_t end = n == 3 ? line.len : i; /* the message keeps its tabs */
            f[n] = te_str_make(line.ptr + start, end - start);
            n++;
            start = i + 1;
        }
    }
    if (n < 4) return false;
    const char *type = NULL;
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
        if (f[0].len == strlen(types[k][0]) && strncasecmp(f[0].ptr, types[k][0], f[0].len) == 0)
            type = types[k][1];
    te_time t;
    if (!type || f[1].len == 0 || te_time_parse(f[1], &t) != f[1].len || f[2].len == 0)
        return false;
    ev->type = te_str_cstr(type);
    ev->has_time = true;
    ev->has_date = t.has_date;
    ev->has_offset = t.has_offset;
    ev->time_us = t.us;
    ev->utc_offset_min = t.offset_min;
    ev->process = f[2];
    ev->message = f[3];
    return true;
}

static void emit_line(crash_text_state *st, te_str text, uint64_t lineno, bool in_report)
{
    te_event *ev = &st->event;
    const report_identity *id = &st->id;
    te_event_reset(ev);
    ev->line = lineno;
    ev->line_end = lineno;
    ev->message = te_str_trim_right(text);
    if (in_report) {
        ev->type = te_str_cstr("crash");
        if (id->process[0]) ev->process = te_str_cstr(id->process);
        ev->pid = id->pid;
        if (id->has_time) {
            ev->has_time = true;
            ev->has_date = id->time.has_date;
            ev->has_offset = id->time.has_offset;
            ev->time_us = id->time.us;
            ev->utc_offset_min = id->time.offset_min;
        }
        add_extra_cstr(ev, "pid", id->pid_text);
        add_extra_cstr(ev, "path", id->path);
        add_extra_cstr(ev, "bundle_id", id->bundle_id);
        add_extra_cstr(ev, "parent", id->parent);
        add_extra_cstr(ev, "responsible", id->responsible);
        te_event_add_extra(ev, "report", te_str_cstr("text"));
    } else {
        console_row(ev->message, ev);
    }
    st->env->summary->lines_in_events++;
    st->env->emit(st->env->ctx, ev);
}

/* Emits every held line (with the identity gathered so far). */
static void release_held(crash_text_state *st)
{
    for (size_t i = 0; i < st->n_held; i++) {
        const held_line *h = &st->held[i];
        emit_line(st, te_str_make(st->text.data + h->off, h->len), h->lineno, h->in_report);
    }
    st->n_held = 0;
    te_buf_reset(&st->text);
}

/* Ends the current report: emits its lines and forgets its identity. */
static void end_report(crash_text_state *st)
{
    release_held(st);
    identity_reset(&st->id);
    st->report_started = false;
    st->in_section = false;
}

static bool hold_line(crash_text_state *st, te_str text, uint64_t lineno, bool in_report)
{
    if (st->n_held == st->cap_held) {
        size_t cap = st->cap_held ? st->cap_held * 2 : 64;
        held_line *p = realloc(st->held, cap * sizeof *p);
        if (!p) return false;
        st->held = p;
        st->cap_held = cap;
    }
    size_t off = st->text.len;
    if (!te_buf_append(&st->text, text.ptr, text.len)) {
        st->text.overflow = false;
        st->text.len = off;
        return false;
    }
    st->held[st->n_held++] = (held_line){off, text.len, lineno, in_report};
    return true;
}

/* ---- reader callbacks -------------------------------------------------- */

static void *crash_text_create(const te_reader_env *env)
{
    crash_text_state *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->env = env;
    te_buf_init(&st->text, TE_MAX_RECORD_BYTES);
    identity_reset(&st->id);
    return st;
}

static void crash_text_line(void *state, te_str raw, uint64_t lineno)
{
    crash_text_state *st = state;
    te_str line = te_str_trim_right(raw);
    if (line.len == 0) {
        st->env->summary->lines_meta++;
        st->in_section = false;
        return;
    }
    const crash_key *key = NULL;
    line_kind kind = classify(line, &key);

    if (st->skip_full_report) {
        /* The full report is the .ips JSON the translated report came from:
         * already read above. A new report ends the skip. */
        bool new_report = (kind == LINE_KEY && (strcmp(key->name, "Process") == 0 ||
                                                strcmp(key->name, "Incident Identifier") == 0)) ||
                          (kind == LINE_BANNER && te_str_starts_with(line, "Translated Report"));
        if (!new_report) {
            st->env->summary->lines_meta++;
            return;
        }
        st->skip_full_report = false;
    }
    if (kind == LINE_FULL_REPORT) {
        end_report(st);
        st->skip_full_report = true;
        st->env->summary->lines_meta++;
        return;
    }

    /* A second report begins with its own header. */
    if (st->report_started && st->id.has_process &&
        ((kind == LINE_KEY &&
          (strcmp(key->name, "Process") == 0 || strcmp(key->name, "Incident Identifier") == 0)) ||
         (kind == LINE_BANNER && te_str_starts_with(line, "Translated Report"))))
        end_report(st);

    bool in_report = kind != LINE_OTHER;
    /* Inside a section (frames, Application Specific Information, the dyld
     * block) and indented lines of a started report belong to it too. */
    if (!in_report && st->report_started && (st->in_section || is_space(raw.ptr[0])))
        in_report = true;
    if (kind == LINE_SECTION)
        st->in_section = true;
    else if (kind == LINE_KEY)
        st->in_section = false;

    if (kind == LINE_KEY) take_identity(&st->id, line, key);
    if (in_report) st->report_started = true;

    if (!st->report_started) {
        /* Around a report and nothing held: a plain event right away. */
        emit_line(st, line, lineno, false);
        return;
    }
    if (!hold_line(st, line, lineno, in_report)) {
        /* The held report hit its bound: release what is held (with the
         * identity known so far) and keep reading the same report. */
        te_reader_warn(st->env, lineno,
                       "crash report longer than %u bytes: its first lines were released early",
                       (unsigned)TE_MAX_RECORD_BYTES);
        release_held(st);
        if (!hold_line(st, line, lineno, in_report)) emit_line(st, line, lineno, in_report);
    } else if (st->n_held >= TE_MAX_RECORD_LINES) {
        release_held(st);
    }
}

static void crash_text_flush(void *state)
{
    crash_text_state *st = state;
    end_report(st);
}

static void crash_text_destroy(void *state)
{
    crash_text_state *st = state;
    if (!st) return;
    te_buf_free(&st->text);
    free(st->held);
    free(st);
}

/* ---- sniff -------------------------------------------------------------- */

static int crash_text_sniff(const te_str *lines, size_t n_lines, char *why, size_t why_cap)
{
    size_t nonblank = 0, report_lines = 0, strong = 0, keys = 0;
    bool process_pid = false, translated = false;
    for (size_t i = 0; i < n_lines; i++) {
        te_str s = te_str_trim_right(lines[i]);
        if (s.len == 0) continue;
        nonblank++;
        const crash_key *key = NULL;
        line_kind kind = classify(s, &key);
        if (kind == LINE_OTHER) continue;
        report_lines++;
        bool crashed = false;
        if (kind == LINE_BANNER && te_str_starts_with(s, "Translated Report")) translated = true;
        if (is_thread_header(s, &crashed) && crashed) strong++;
        if (!key) continue;
        keys++;
        if (key->strong) strong++;
        if (strcmp(key->name, "Process") == 0) {
            int64_t pid;
            split_name_pid(key_value(s, key), &pid);
            if (pid >= 0) process_pid = true;
        }
    }
    int score = 0;
    const char *reason = "no crash-report header keys";
    if (translated) {
        score = 95;
        reason = "\"Translated Report\" banner of a macOS crash report";
    } else if (process_pid && strong >= 1) {
        score = 92;
        reason = "crash report header (Process: name [pid]) with exception/termination lines";
    } else if (strong >= 2) {
        score = 85;
        reason = "several crash-report exception/termination lines";
    } else if (process_pid && keys >= 4) {
        score = 80;
        reason = "crash-report style header (Process:, Path:, Identifier:, ...)";
    } else if (report_lines * 4 >= nonblank && (strong >= 1 || keys >= 3)) {
        score = strong >= 1 && keys >= 2 ? 70 : strong >= 1 ? 45 : 40;
        reason = "crash-report lines (Exception Type:, Termination Reason:, ...)";
    }
    if (why && why_cap) snprintf(why, why_cap, "%s", reason);
    return score;
}

const te_reader_ops te_reader_crash_text = {
    "crash-text",       "text crash report (.crash, Translated Report, pasted fragments)",
    crash_text_sniff,   crash_text_create,
    crash_text_line,    crash_text_flush,
    crash_text_destroy,
};
