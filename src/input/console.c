/* Reader for text copied from Console.app: tab-separated rows in the order
 * of the visible columns (default Type, Time, Process, Message; a header row
 * naming the columns is used when present, otherwise the layout is inferred
 * from the type word and the time), localized type words (French, Chinese),
 * time with or without date, continuation lines of multi-line messages, rows
 * whose tabs became spaces, and the "type: / time: / process: / message:"
 * detail form of one entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "input/reader.h"
#include "util/timeparse.h"

#define CONSOLE_MAX_FIELDS 16

typedef enum column {
    COL_SKIP,
    COL_TYPE,
    COL_TIME,
    COL_PROCESS,
    COL_MESSAGE,
    COL_PID,
    COL_THREAD,
    COL_CATEGORY,
    COL_LIBRARY,
    COL_SUBSYSTEM,
} column;

/* Column names of a header row (Console's English, French, Chinese). */
static const struct {
    const char *name;
    column col;
} column_names[] = {
    {"type", COL_TYPE},
    {"time", COL_TIME},
    {"timestamp", COL_TIME},
    {"date", COL_TIME},
    {"process", COL_PROCESS},
    {"message", COL_MESSAGE},
    {"pid", COL_PID},
    {"process id", COL_PID},
    {"thread", COL_THREAD},
    {"tid", COL_THREAD},
    {"thread id", COL_THREAD},
    {"category", COL_CATEGORY},
    {"library", COL_LIBRARY},
    {"sender", COL_LIBRARY},
    {"image", COL_LIBRARY},
    {"subsystem", COL_SUBSYSTEM},
    {"activity", COL_SKIP},
    {"activity id", COL_SKIP},
    {"heure", COL_TIME},
    {"processus", COL_PROCESS},
    {"catégorie", COL_CATEGORY},
    {"bibliothèque", COL_LIBRARY},
    {"sous-système", COL_SUBSYSTEM},
    {"fil", COL_THREAD},
    {"activité", COL_SKIP},
    {"类型", COL_TYPE},
    {"时间", COL_TIME},
    {"进程", COL_PROCESS},
    {"消息", COL_MESSAGE},
    {"类别", COL_CATEGORY},
    {"库", COL_LIBRARY},
    {"子系统", COL_SUBSYSTEM},
    {"线程", COL_THREAD},
    {"活动", COL_SKIP},
};

/* Type words, longest first where one is a prefix of another. */
static const struct {
    const char *word;
    const char *type;
} type_words[] = {
    {"default", "Default"},    {"info", "Info"},      {"debug", "Debug"},
    {"error", "Error"},        {"fault", "Fault"},    {"activity", "Activity"},
    {"par défaut", "Default"}, {"défaut", "Default"}, {"erreur grave", "Fault"},
    {"erreur", "Error"},       {"débogage", "Debug"}, {"faute", "Fault"},
    {"默认", "Default"},       {"错误", "Error"},     {"信息", "Info"},
    {"调试", "Debug"},         {"故障", "Fault"},
};

/* Keys of the detail form ("type: info", "process: syspolicyd", ...). */
static const struct {
    const char *key;
    column col;
} detail_keys[] = {
    {"type", COL_TYPE},           {"time", COL_TIME},         {"timestamp", COL_TIME},
    {"process", COL_PROCESS},     {"pid", COL_PID},           {"thread", COL_THREAD},
    {"subsystem", COL_SUBSYSTEM}, {"category", COL_CATEGORY}, {"library", COL_LIBRARY},
    {"sender", COL_LIBRARY},      {"message", COL_MESSAGE},
};

typedef struct span {
    size_t off;
    size_t len;
} span;

/* One entry being assembled; text lives in the state's buffers. */
typedef struct console_record {
    bool held;
    bool detail;     /* a detail-form entry (key: value lines) */
    bool in_message; /* detail form: lines after "message:" continue it */
    bool cut;        /* continuation lines were dropped by a limit */
    uint64_t first;
    uint64_t last;
    uint64_t n_lines;
    const char *type;
    bool has_time;
    te_time time;
    int64_t pid;
    int64_t thread;
    span process, category, library, subsystem;
} console_record;

typedef struct console_state {
    const te_reader_env *env;
    column header[CONSOLE_MAX_FIELDS];
    size_t n_header;
    te_buf fields; /* non-message fields of the held record */
    te_buf message;
    console_record rec;
    te_event event;
} console_state;

typedef struct row {
    const char *type;
    bool has_time;
    te_time time;
    int64_t pid;
    int64_t thread;
    te_str process, message, category, library, subsystem;
    te_str message_tail; /* message columns after the first (joined with tabs) */
} row;

/* ---- small helpers --------------------------------------------------- */

/* ASCII-case-insensitive prefix match (UTF-8 bytes compared as they are). */
static bool prefix_nocase(te_str s, const char *word)
{
    size_t n = strlen(word);
    return s.len >= n && strncasecmp(s.ptr, word, n) == 0;
}

/* The canonical type of a field that is exactly a type word, or NULL. */
static const char *type_of_field(te_str field)
{
    field = te_str_trim(field);
    for (size_t i = 0; i < sizeof type_words / sizeof type_words[0]; i++)
        if (field.len == strlen(type_words[i].word) && prefix_nocase(field, type_words[i].word))
            return type_words[i].type;
    return NULL;
}

/* A type word at the start of s followed by a space; its length in *len. */
static const char *type_at_start(te_str s, size_t *len)
{
    const char *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < sizeof type_words / sizeof type_words[0]; i++) {
        size_t n = strlen(type_words[i].word);
        if (n > best_len && s.len > n && prefix_nocase(s, type_words[i].word) &&
            (s.ptr[n] == ' ' || s.ptr[n] == '\t')) {
            best = type_words[i].type;
            best_len = n;
        }
    }
    *len = best_len;
    return best;
}

/* The whole field is a timestamp. */
static bool time_of_field(te_str field, te_time *t)
{
    field = te_str_trim(field);
    return field.len > 0 && te_time_parse(field, t) == field.len;
}

static bool is_decimal(te_str s)
{
    int64_t v;
    s = te_str_trim(s);
    return s.len > 0 && s.len < 12 && te_str_to_i64(s, &v) && v >= 0;
}

static int64_t number_of(te_str s)
{
    s = te_str_trim(s);
    int64_t v = -1;
    if (s.len > 2 && s.ptr[0] == '0' && (s.ptr[1] == 'x' || s.ptr[1] == 'X')) {
        char tmp[24];
        te_copy_cstr(tmp, sizeof tmp, s);
        char *end = NULL;
        unsigned long long u = strtoull(tmp + 2, &end, 16);
        if (end && *end == '\0' && u <= INT64_MAX) v = (int64_t)u;
        return v;
    }
    if (!te_str_to_i64(s, &v)) v = -1;
    return v;
}

static size_t split_tabs(te_str line, te_str *fields, size_t max)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= line.len && n < max; i++) {
        if (i == line.len || line.ptr[i] == '\t') {
            fields[n++] = te_str_make(line.ptr + start, i - start);
            start = i + 1;
        }
    }
    if (n == max && start < line.len) /* the rest stays in the last field */
        fields[max - 1].len = (size_t)(line.ptr + line.len - fields[max - 1].ptr);
    return n;
}

/* ---- row recognition -------------------------------------------------- */

static void row_init(row *r)
{
    memset(r, 0, sizeof *r);
    r->pid = -1;
    r->thread = -1;
}

/* Assigns tab fields by the column list; message columns beyond the first are kept. */
static bool row_from_columns(const column *cols, size_t n_cols, const te_str *f, size_t n, row *r)
{
    row_init(r);
    bool have_type = false, have_time = false, type_ok = true, time_ok = true;
    for (size_t i = 0; i < n && i < n_cols; i++) {
        te_str v = te_str_trim(f[i]);
        switch (cols[i]) {
        case COL_TYPE:
            have_type = true;
            r->type = type_of_field(v);
            type_ok = r->type != NULL;
            break;
        case COL_TIME:
            have_time = true;
            r->has_time = time_of_field(v, &r->time);
            time_ok = r->has_time;
            break;
        case COL_PROCESS:
            r->process = v;
            break;
        case COL_PID:
            r->pid = number_of(v);
            break;
        case COL_THREAD:
            r->thread = number_of(v);
            break;
        case COL_CATEGORY:
            r->category = v;
            break;
        case COL_LIBRARY:
            r->library = v;
            break;
        case COL_SUBSYSTEM:
            r->subsystem = v;
            break;
        case COL_MESSAGE:
            r->message = f[i];
            /* tabs inside the message make more fields than columns */
            if (i == n_cols - 1 && n > n_cols)
                r->message.len = (size_t)(f[n - 1].ptr + f[n - 1].len - f[i].ptr);
            break;
        case COL_SKIP:
            break;
        }
    }
    if (!have_type && !have_time) return false;
    return (have_type ? type_ok : true) && (have_time ? time_ok : true) && (type_ok || time_ok);
}

/* Infers the layout of a tab row without a header row. */
static bool row_infer(const te_str *f, size_t n, row *r)
{
    static const column type_time[] = {COL_TYPE, COL_TIME, COL_PROCESS, COL_MESSAGE};
    static const column time_type[] = {COL_TIME, COL_TYPE, COL_PROCESS, COL_MESSAGE};
    static const column pid_type_time[] = {COL_PID, COL_TYPE, COL_TIME, COL_PROCESS, COL_MESSAGE};
    /* forum 777639 / 706427: PID, Type, Category, Process, Library, Message, Subsystem */
    static const column pid_type_cat[] = {COL_PID,     COL_TYPE,    COL_CATEGORY, COL_PROCESS,
                                          COL_LIBRARY, COL_MESSAGE, COL_SUBSYSTEM};
    te_time t;
    if (n < 3) return false;
    if (type_of_field(f[0]) && time_of_field(f[1], &t))
        return row_from_columns(type_time, 4, f, n, r);
    if (time_of_field(f[0], &t) && type_of_field(f[1]))
        return row_from_columns(time_type, 4, f, n, r);
    if (is_decimal(f[0]) && type_of_field(f[1])) {
        if (n >= 4 && time_of_field(f[2], &t)) return row_from_columns(pid_type_time, 5, f, n, r);
        if (n >= 6) {
            /* without Subsystem the Message is the last column */
            if (n == 6) return row_from_columns(pid_type_cat, 6, f, n, r);
            return row_from_columns(pid_type_cat, 7, f, n < 7 ? n : 7, r);
        }
    }
    return false;
}

/* "error   10:23:02.7+0800   kernel   message" (tabs became spaces), also
 * after a markdown list or quote marker ("- ", "* ", "> "), and with a
 * leading PID column ("22207 error Category process Library message"). */
static bool row_spaces(te_str line, row *r)
{
    row_init(r);
    te_str s = te_str_trim(line);
    if (s.len > 2 && (s.ptr[0] == '-' || s.ptr[0] == '*' || s.ptr[0] == '>') && s.ptr[1] == ' ')
        s = te_str_trim(te_str_make(s.ptr + 2, s.len - 2));
    int64_t pid = -1;
    size_t i = 0;
    while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9')
        i++;
    if (i >= 2 && i < 11 && i < s.len && s.ptr[i] == ' ') {
        pid = number_of(te_str_make(s.ptr, i));
        s = te_str_trim(te_str_make(s.ptr + i, s.len - i));
    }
    size_t type_len;
    const char *type = type_at_start(s, &type_len);
    if (!type) return false;
    s = te_str_trim(te_str_make(s.ptr + type_len, s.len - type_len));
    r->type = type;
    r->pid = pid;
    size_t used = te_time_parse(s, &r->time);
    te_str tokens[4];
    size_t want;
    if (used > 0 && used < s.len && (s.ptr[used] == ' ' || s.ptr[used] == '\t')) {
        r->has_time = true;
        s = te_str_trim(te_str_make(s.ptr + used, s.len - used));
        want = 1; /* process */
    } else if (pid >= 0) {
        want = 3; /* category, process, library */
    } else {
        return false;
    }
    for (size_t k = 0; k < want; k++) {
        size_t j = 0;
        while (j < s.len && s.ptr[j] != ' ' && s.ptr[j] != '\t')
            j++;
        if (j == 0 || j == s.len) return false;
        tokens[k] = te_str_make(s.ptr, j);
        s = te_str_trim(te_str_make(s.ptr + j, s.len - j));
    }
    if (want == 1) {
        r->process = tokens[0];
    } else {
        r->category = tokens[0];
        r->process = tokens[1];
        r->library = tokens[2];
    }
    r->message = s;
    return s.len > 0;
}

static bool parse_header(console_state *st, const te_str *f, size_t n)
{
    if (n < 2) return false;
    column cols[CONSOLE_MAX_FIELDS];
    bool has_type_or_time = false;
    for (size_t i = 0; i < n; i++) {
        te_str v = te_str_trim(f[i]);
        bool found = false;
        for (size_t k = 0; k < sizeof column_names / sizeof column_names[0]; k++) {
            if (v.len == strlen(column_names[k].name) && prefix_nocase(v, column_names[k].name)) {
                cols[i] = column_names[k].col;
                found = true;
                break;
            }
        }
        if (!found) return false;
        if (cols[i] == COL_TYPE || cols[i] == COL_TIME) has_type_or_time = true;
    }
    if (!has_type_or_time) return false;
    memcpy(st->header, cols, n * sizeof cols[0]);
    st->n_header = n;
    return true;
}

/* "key: value" of the detail form; the column and the value. */
static bool detail_line(te_str line, column *col, te_str *value)
{
    for (size_t k = 0; k < sizeof detail_keys / sizeof detail_keys[0]; k++) {
        size_t n = strlen(detail_keys[k].key);
        if (line.len > n && memcmp(line.ptr, detail_keys[k].key, n) == 0 && line.ptr[n] == ':') {
            *col = detail_keys[k].col;
            *value = te_str_trim(te_str_make(line.ptr + n + 1, line.len - n - 1));
            return true;
        }
    }
    return false;
}

/* ---- held record ------------------------------------------------------ */

static span keep(console_state *st, te_str s)
{
    span sp = {st->fields.len, 0};
    if (s.len && te_buf_append(&st->fields, s.ptr, s.len)) sp.len = s.len;
    return sp;
}

static te_str view(const console_state *st, span sp)
{
    return sp.len ? te_str_make(st->fields.data + sp.off, sp.len) : te_str_make(NULL, 0);
}

static void emit_record(console_state *st)
{
    console_record *rec = &st->rec;
    if (!rec->held) return;
    te_event *ev = &st->event;
    te_event_reset(ev);
    ev->line = rec->first;
    ev->line_end = rec->last;
    if (rec->type) ev->type = te_str_cstr(rec->type);
    if (rec->has_time) {
        ev->has_time = true;
        ev->has_date = rec->time.has_date;
        ev->has_offset = rec->time.has_offset;
        ev->time_us = rec->time.us;
        ev->utc_offset_min = rec->time.offset_min;
    }
    ev->pid = rec->pid;
    ev->thread = rec->thread;
    ev->process = view(st, rec->process);
    ev->category = view(st, rec->category);
    ev->sender = view(st, rec->library);
    ev->subsystem = view(st, rec->subsystem);
    ev->message = te_str_make(st->message.data ? st->message.data : "", st->message.len);
    st->env->summary->lines_in_events += rec->n_lines;
    st->env->emit(st->env->ctx, ev);
    memset(rec, 0, sizeof *rec);
    te_buf_reset(&st->fields);
    te_buf_reset(&st->message);
}

static void hold_row(console_state *st, const row *r, uint64_t lineno)
{
    emit_record(st);
    console_record *rec = &st->rec;
    memset(rec, 0, sizeof *rec);
    rec->held = true;
    rec->first = rec->last = lineno;
    rec->n_lines = 1;
    rec->type = r->type;
    rec->has_time = r->has_time;
    rec->time = r->time;
    rec->pid = r->pid;
    rec->thread = r->thread;
    rec->process = keep(st, r->process);
    rec->category = keep(st, r->category);
    rec->library = keep(st, r->library);
    rec->subsystem = keep(st, r->subsystem);
    te_buf_append(&st->message, r->message.ptr, te_str_trim_right(r->message).len);
}

/* Appends "\n" + line to the held message; false when a limit dropped it. */
static bool continue_message(console_state *st, te_str line, uint64_t lineno)
{
    console_record *rec = &st->rec;
    rec->last = lineno;
    size_t before = st->message.len;
    if (rec->cut || rec->n_lines >= TE_MAX_RECORD_LINES || !te_buf_putc(&st->message, '\n') ||
        !te_buf_append(&st->message, line.ptr, line.len)) {
        st->message.overflow = false;
        st->message.len = before;
        if (!rec->cut)
            te_reader_warn(st->env, lineno,
                           "Console entry begun at line %llu is too long: the rest is dropped",
                           (unsigned long long)rec->first);
        rec->cut = true;
        st->env->summary->lines_cut++;
        return false;
    }
    rec->n_lines++;
    return true;
}

static void start_detail(console_state *st, uint64_t lineno)
{
    emit_record(st);
    console_record *rec = &st->rec;
    memset(rec, 0, sizeof *rec);
    rec->held = true;
    rec->detail = true;
    rec->first = rec->last = lineno;
    rec->pid = -1;
    rec->thread = -1;
}

static void detail_field(console_state *st, column col, te_str value, uint64_t lineno)
{
    console_record *rec = &st->rec;
    rec->last = lineno;
    rec->n_lines++;
    rec->in_message = false;
    switch (col) {
    case COL_TYPE:
        rec->type = type_of_field(value);
        break;
    case COL_TIME:
        rec->has_time = time_of_field(value, &rec->time);
        break;
    case COL_PROCESS:
        rec->process = keep(st, value);
        break;
    case COL_PID:
        rec->pid = number_of(value);
        break;
    case COL_THREAD:
        rec->thread = number_of(value);
        break;
    case COL_CATEGORY:
        rec->category = keep(st, value);
        break;
    case COL_LIBRARY:
        rec->library = keep(st, value);
        break;
    case COL_SUBSYSTEM:
        rec->subsystem = keep(st, value);
        break;
    case COL_MESSAGE:
        te_buf_reset(&st->message);
        te_buf_append(&st->message, value.ptr, value.len);
        rec->in_message = true;
        break;
    case COL_SKIP:
        break;
    }
}

static void emit_plain(console_state *st, te_str line, uint64_t lineno)
{
    te_event *ev = &st->event;
    te_event_reset(ev);
    ev->line = ev->line_end = lineno;
    ev->message = line;
    st->env->summary->lines_in_events++;
    st->env->emit(st->env->ctx, ev);
}

/* ---- reader callbacks -------------------------------------------------- */

static void *console_create(const te_reader_env *env)
{
    console_state *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->env = env;
    te_buf_init(&st->fields, TE_MAX_RECORD_BYTES);
    te_buf_init(&st->message, TE_MAX_RECORD_BYTES);
    return st;
}

static bool read_row(console_state *st, te_str line, row *r)
{
    te_str f[CONSOLE_MAX_FIELDS];
    if (memchr(line.ptr, '\t', line.len)) {
        size_t n = split_tabs(line, f, CONSOLE_MAX_FIELDS);
        if (st->n_header && row_from_columns(st->header, st->n_header, f, n, r)) return true;
        if (row_infer(f, n, r)) return true;
    }
    return row_spaces(line, r);
}

static void console_line(void *state, te_str raw, uint64_t lineno)
{
    console_state *st = state;
    te_str line = te_str_trim_right(raw);
    console_record *rec = &st->rec;
    if (line.len == 0) {
        /* a blank line ends the entry: what follows is not its continuation */
        emit_record(st);
        st->env->summary->lines_meta++;
        return;
    }
    te_str f[CONSOLE_MAX_FIELDS];
    if (memchr(line.ptr, '\t', line.len)) {
        size_t n = split_tabs(line, f, CONSOLE_MAX_FIELDS);
        if (parse_header(st, f, n)) {
            emit_record(st);
            st->env->summary->lines_meta++;
            return;
        }
    }
    row r;
    if (read_row(st, line, &r)) {
        hold_row(st, &r, lineno);
        return;
    }
    column col;
    te_str value;
    if (detail_line(line, &col, &value)) {
        bool starts = (col == COL_TYPE && type_of_field(value)) ||
                      (!(rec->held && rec->detail) && col == COL_TIME);
        if (starts && !(rec->held && rec->detail && !rec->type && col == COL_TYPE)) {
            start_detail(st, lineno);
            detail_field(st, col, value, lineno);
            return;
        }
        if (rec->held && rec->detail) {
            detail_field(st, col, value, lineno);
            return;
        }
    }
    if (rec->held && (!rec->detail || rec->in_message)) {
        continue_message(st, line, lineno);
        return;
    }
    emit_record(st);
    emit_plain(st, line, lineno);
}

static void console_flush(void *state)
{
    emit_record(state);
}

static void console_destroy(void *state)
{
    console_state *st = state;
    if (!st) return;
    te_buf_free(&st->fields);
    te_buf_free(&st->message);
    free(st);
}

/* ---- sniff -------------------------------------------------------------- */

static int console_sniff(const te_str *lines, size_t n_lines, char *why, size_t why_cap)
{
    console_state probe;
    memset(&probe, 0, sizeof probe);
    size_t nonblank = 0, tab_rows = 0, space_rows = 0, detail = 0;
    bool header = false, detail_process = false, detail_message = false;
    for (size_t i = 0; i < n_lines; i++) {
        te_str line = te_str_trim_right(lines[i]);
        if (line.len == 0) continue;
        nonblank++;
        te_str f[CONSOLE_MAX_FIELDS];
        row r;
        bool tabs = memchr(line.ptr, '\t', line.len) != NULL;
        if (tabs) {
            size_t n = split_tabs(line, f, CONSOLE_MAX_FIELDS);
            if (!header && parse_header(&probe, f, n)) {
                header = true;
                continue;
            }
            if ((probe.n_header && row_from_columns(probe.header, probe.n_header, f, n, &r)) ||
                row_infer(f, n, &r)) {
                tab_rows++;
                continue;
            }
        }
        if (row_spaces(line, &r)) {
            space_rows++;
            continue;
        }
        column col;
        te_str value;
        if (detail_line(line, &col, &value)) {
            if (col == COL_TYPE && type_of_field(value)) detail++;
            if (col == COL_PROCESS) detail_process = true;
            if (col == COL_MESSAGE) detail_message = true;
        }
    }
    int score = 0;
    const char *reason = "no Console.app rows";
    size_t rows = tab_rows + space_rows;
    if (header && tab_rows) {
        score = 92;
        reason = "Console.app copy with a header row naming the columns";
    } else if (tab_rows && (tab_rows >= 3 || tab_rows * 4 >= nonblank)) {
        score = 90;
        reason = "Console.app rows: type word, time, process, message separated by tabs";
    } else if (detail && detail_process && detail_message) {
        score = 85;
        reason = "Console.app entry in type:/time:/process:/message: form";
    } else if (rows && (rows >= 3 || rows * 4 >= nonblank)) {
        score = 80;
        reason = "Console.app rows whose tabs became spaces";
    } else if (rows) {
        score = 60;
        reason = "a few Console.app rows among other text";
    }
    if (why && why_cap) snprintf(why, why_cap, "%s", reason);
    return score;
}

const te_reader_ops te_reader_console = {
    "console",
    "text copied from Console.app (tab-separated rows, any column order, localized)",
    console_sniff,
    console_create,
    console_line,
    console_flush,
    console_destroy,
};
