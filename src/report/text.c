/* The text format, for humans at a terminal: one block per incident (header,
 * subject, facts, evidence timeline, diagnosis, fix, references) and the run
 * summary block that the CLI sends to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_impl.h"

#define WRAP_COLUMNS 100u
#define MESSAGE_COLUMNS 160u /* evidence messages are cut here */
#define PROCESS_COLUMNS 28u  /* the process column is not padded wider */
#define FACT_NAME_COLUMNS 28u

#define ANSI_RESET "\x1b[0m"
#define ANSI_BOLD "\x1b[1m"
#define ANSI_DIM "\x1b[2m"
#define ANSI_RED "\x1b[31m"
#define ANSI_YELLOW "\x1b[33m"
#define ANSI_CYAN "\x1b[36m"

typedef struct writer {
    te_buf *out;
    bool color;
    bool ok;
} writer;

bool te_report_put_safe(te_buf *out, const char *s, size_t len)
{
    size_t run = 0; /* start of the bytes not yet copied */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[16];
        size_t skip = 1;
        if (c == '\t') {
            strcpy(esc, " ");
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
        } else if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
                   (unsigned char)s[i + 1] <= 0x9F) {
            /* C1 controls (U+0080..U+009F): some terminals obey them */
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)s[i + 1]);
            skip = 2;
        } else {
            continue;
        }
        if (!te_buf_append(out, s + run, i - run) || !te_buf_puts(out, esc)) return false;
        i += skip - 1;
        run = i + 1;
    }
    return te_buf_append(out, s + run, len - run);
}

static void put(writer *w, const char *s)
{
    if (w->ok && !te_buf_puts(w->out, s)) w->ok = false;
}

static void put_text(writer *w, const char *s, size_t len)
{
    if (w->ok && !te_report_put_safe(w->out, s, len)) w->ok = false;
}

static void put_cstr(writer *w, const char *s)
{
    if (s) put_text(w, s, strlen(s));
}

static void put_spaces(writer *w, size_t n)
{
    while (n-- > 0)
        put(w, " ");
}

static void style(writer *w, const char *code)
{
    if (w->color) put(w, code);
}

static size_t width_of(const char *s)
{
    return s ? te_report_utf8_width(s, strlen(s)) : 0;
}

/* Writes text wrapped to WRAP_COLUMNS, every line indented; explicit
 * newlines are kept as line breaks. */
static void put_wrapped(writer *w, const char *text, size_t indent)
{
    const char *p = text;
    for (;;) {
        const char *eol = strchr(p, '\n');
        size_t line_len = eol ? (size_t)(eol - p) : strlen(p);
        size_t column = 0;
        size_t i = 0;
        put_spaces(w, indent);
        while (i < line_len) {
            while (i < line_len && p[i] == ' ')
                i++;
            size_t start = i;
            while (i < line_len && p[i] != ' ')
                i++;
            if (i == start) break;
            size_t word = te_report_utf8_width(p + start, i - start);
            if (column > 0 && indent + column + 1 + word > WRAP_COLUMNS) {
                put(w, "\n");
                put_spaces(w, indent);
                column = 0;
            }
            if (column > 0) {
                put(w, " ");
                column++;
            }
            put_text(w, p + start, i - start);
            column += word;
        }
        put(w, "\n");
        if (!eol) break;
        p = eol + 1;
    }
}

/* Writes a possibly multi-line value; continuation lines start at `indent`. */
static void put_multiline(writer *w, const char *s, size_t indent)
{
    for (;;) {
        const char *eol = strchr(s, '\n');
        put_text(w, s, eol ? (size_t)(eol - s) : strlen(s));
        if (!eol) break;
        put(w, "\n");
        put_spaces(w, indent);
        s = eol + 1;
    }
}

static const char *severity_color(te_severity severity)
{
    switch (severity) {
    case TE_SEVERITY_ERROR:
        return ANSI_RED;
    case TE_SEVERITY_WARNING:
        return ANSI_YELLOW;
    default:
        return ANSI_CYAN;
    }
}

static const char *severity_tag(te_severity severity)
{
    switch (severity) {
    case TE_SEVERITY_ERROR:
        return "ERROR";
    case TE_SEVERITY_WARNING:
        return "WARNING";
    default:
        return "INFO";
    }
}

static void put_header(writer *w, const te_incident *in)
{
    style(w, ANSI_BOLD);
    style(w, severity_color(in->severity));
    put(w, severity_tag(in->severity));
    style(w, ANSI_RESET);
    put(w, "  ");
    style(w, ANSI_BOLD);
    put_cstr(w, in->title);
    style(w, ANSI_RESET);
    put(w, "  [");
    put_cstr(w, in->rule_id);
    put(w, "]");
    if (in->unverified) put(w, " (unverified signature)");
    put(w, "\n");
}

#define SUBJECT_LABEL 14u

static void put_subject_label(writer *w, const char *label)
{
    put(w, "  ");
    put(w, label);
    put_spaces(w, SUBJECT_LABEL - strlen(label));
}

static void put_subject(writer *w, const te_incident *in)
{
    if (!te_report_empty(in->process) || in->pid >= 0) {
        put_subject_label(w, "process:");
        if (!te_report_empty(in->process)) put_cstr(w, in->process);
        if (in->pid >= 0) {
            char pid[48];
            if (te_report_empty(in->process))
                snprintf(pid, sizeof pid, "pid %lld", (long long)in->pid);
            else
                snprintf(pid, sizeof pid, " (pid %lld)", (long long)in->pid);
            put(w, pid);
        }
        put(w, "\n");
    }
    const struct {
        const char *label;
        const char *value;
    } fields[] = {
        {"path:", in->path},
        {"bundle id:", in->bundle_id},
        {"team id:", in->team_id},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (te_report_empty(fields[i].value)) continue;
        put_subject_label(w, fields[i].label);
        put_multiline(w, fields[i].value, 2 + SUBJECT_LABEL);
        put(w, "\n");
    }
    if (in->has_time) {
        char first[48], last[48];
        te_report_format_time(in->first_seen_us, in->utc_offset_min, first, sizeof first);
        te_report_format_time(in->last_seen_us, in->utc_offset_min, last, sizeof last);
        put_subject_label(w, "first seen:");
        put(w, first);
        put(w, "\n");
        if (in->last_seen_us != in->first_seen_us) {
            put_subject_label(w, "last seen:");
            put(w, last);
            put(w, "\n");
        }
    }
}

static bool fact_fits_one_line(const te_fact *f, size_t column)
{
    size_t total = column;
    for (size_t i = 0; i < f->n_values; i++) {
        if (strchr(f->values[i], '\n')) return false;
        total += width_of(f->values[i]) + (i ? 2 : 0);
    }
    return total <= WRAP_COLUMNS;
}

static void put_facts(writer *w, const te_incident *in)
{
    if (in->n_facts == 0) return;
    size_t name_width = 0;
    for (size_t i = 0; i < in->n_facts; i++) {
        size_t n = width_of(in->facts[i].name) + 1;
        if (n > name_width) name_width = n;
    }
    if (name_width > FACT_NAME_COLUMNS) name_width = FACT_NAME_COLUMNS;
    size_t value_column = 4 + name_width + 1;
    put(w, "  Facts:\n");
    for (size_t i = 0; i < in->n_facts; i++) {
        const te_fact *f = &in->facts[i];
        put(w, "    ");
        put_cstr(w, f->name);
        put(w, ":");
        size_t used = width_of(f->name) + 1;
        put_spaces(w, used < name_width ? name_width - used + 1 : 1);
        bool one_line = fact_fits_one_line(f, value_column);
        for (size_t v = 0; v < f->n_values; v++) {
            if (v > 0) {
                if (one_line) {
                    put(w, ", ");
                } else {
                    put(w, "\n");
                    put_spaces(w, value_column);
                }
            }
            put_multiline(w, f->values[v], value_column);
        }
        put(w, "\n");
    }
}

/* First line of a message, cut at MESSAGE_COLUMNS code points; "…" marks a
 * cut or further lines. */
static void put_message_head(writer *w, const char *message)
{
    const char *eol = strchr(message, '\n');
    size_t len = eol ? (size_t)(eol - message) : strlen(message);
    bool more = eol && eol[1] != '\0';
    size_t points = 0, cut = len;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)message[i] & 0xC0) == 0x80) continue;
        if (points == MESSAGE_COLUMNS) {
            cut = i;
            more = true;
            break;
        }
        points++;
    }
    while (cut > 0 && message[cut - 1] == '\r')
        cut--;
    put_text(w, message, cut);
    if (more) put(w, "…");
}

static void put_evidence(writer *w, const te_incident *in)
{
    if (in->n_evidence == 0 && in->evidence_dropped == 0) return;
    put(w, "  Evidence:\n");
    te_timeline_row *rows = NULL;
    if (in->n_evidence) {
        rows = malloc(in->n_evidence * sizeof *rows);
        if (!rows) {
            w->ok = false;
            return;
        }
    }
    bool timed = in->n_evidence && te_report_timeline(in, rows);
    size_t time_width = 0, process_width = 0;
    for (size_t i = 0; i < in->n_evidence; i++) {
        char label[256];
        te_report_process_label(rows[i].evidence->process, rows[i].evidence->pid, label,
                                sizeof label);
        size_t t = strlen(rows[i].relative), p = width_of(label);
        if (t > time_width) time_width = t;
        if (p > process_width) process_width = p;
    }
    if (process_width > PROCESS_COLUMNS) process_width = PROCESS_COLUMNS;
    for (size_t i = 0; i < in->n_evidence; i++) {
        const te_evidence *e = rows[i].evidence;
        put(w, "    ");
        if (timed) {
            put(w, rows[i].relative);
            put_spaces(w, time_width - strlen(rows[i].relative) + 2);
        }
        char label[256];
        te_report_process_label(e->process, e->pid, label, sizeof label);
        if (process_width) {
            size_t lw = width_of(label);
            put_cstr(w, label);
            put_spaces(w, (lw < process_width ? process_width - lw : 0) + 2);
        }
        put_message_head(w, e->message);
        if (!te_report_empty(e->source)) {
            put(w, "  ");
            style(w, ANSI_DIM);
            put_cstr(w, e->source);
            style(w, ANSI_RESET);
        }
        put(w, "\n");
    }
    if (in->evidence_dropped) {
        char line[96];
        snprintf(line, sizeof line, "    … %zu more evidence line%s dropped (limit)\n",
                 in->evidence_dropped, in->evidence_dropped == 1 ? "" : "s");
        put(w, line);
    }
    free(rows);
}

static void put_fix(writer *w, const te_incident *in)
{
    if (in->n_fix == 0) return;
    put(w, "  Fix:\n");
    for (size_t i = 0; i < in->n_fix; i++) {
        char number[32];
        int n = snprintf(number, sizeof number, "    %zu. ", i + 1);
        put(w, number);
        put_multiline(w, in->fix[i], n > 0 ? (size_t)n : 0);
        put(w, "\n");
    }
}

static void put_references(writer *w, const te_incident *in)
{
    if (in->n_references == 0) return;
    put(w, "  References:\n");
    for (size_t i = 0; i < in->n_references; i++) {
        const te_reference *ref = &in->references[i];
        put(w, "    - ");
        if (!te_report_empty(ref->title)) {
            put_cstr(w, ref->title);
            if (!te_report_empty(ref->url)) put(w, " — ");
        }
        put_cstr(w, ref->url);
        put(w, "\n");
    }
}

bool te_report_text_incident(te_buf *out, const te_incident *in, bool color, bool first)
{
    writer w = {out, color, true};
    if (!first) put(&w, "\n");
    put_header(&w, in);
    put_subject(&w, in);
    put_facts(&w, in);
    put_evidence(&w, in);
    if (!te_report_empty(in->diagnosis)) {
        put(&w, "  Diagnosis:\n");
        put_wrapped(&w, in->diagnosis, 4);
    }
    put_fix(&w, in);
    put_references(&w, in);
    if (in->n_also) {
        put(&w, "  also explains: ");
        for (size_t i = 0; i < in->n_also; i++) {
            if (i) put(&w, ", ");
            put_cstr(&w, in->also[i]);
        }
        put(&w, "\n");
    }
    return w.ok;
}

/* ---- summary ------------------------------------------------------------- */

static void format_bytes(uint64_t bytes, char *buf, size_t cap)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) {
        snprintf(buf, cap, "%llu byte%s", (unsigned long long)bytes, bytes == 1 ? "" : "s");
        return;
    }
    double v = (double)bytes / 1024.0;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, cap, "%.1f %s", v, units[u]);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

bool te_report_text_summary(te_buf *out, const te_summary *s, size_t not_written)
{
    bool ok = true;
    char bytes[48];
    format_bytes(s->bytes, bytes, sizeof bytes);
    const char *indent = "         ";
    ok = ok && te_buf_printf(out, "summary: %llu %s", (unsigned long long)s->inputs,
                             plural(s->inputs, "input", "inputs"));
    if (s->inputs_failed)
        ok = ok && te_buf_printf(out, " (%llu failed)", (unsigned long long)s->inputs_failed);
    ok = ok && te_buf_printf(out, ", %s, %llu %s, %llu %s\n", bytes, (unsigned long long)s->lines,
                             plural(s->lines, "line", "lines"), (unsigned long long)s->events,
                             plural(s->events, "event", "events"));
    ok = ok &&
         te_buf_printf(out, "%s%llu %s not understood, %llu %s cut\n", indent,
                       (unsigned long long)s->lines_not_understood,
                       plural(s->lines_not_understood, "line", "lines"),
                       (unsigned long long)s->lines_cut, plural(s->lines_cut, "line", "lines"));
    ok = ok && te_buf_printf(
                   out, "%s%llu %s loaded, %llu %s", indent, (unsigned long long)s->rules_loaded,
                   plural(s->rules_loaded, "rule", "rules"), (unsigned long long)s->incidents,
                   plural(s->incidents, "incident", "incidents"));
    if (s->incidents_suppressed)
        ok = ok &&
             te_buf_printf(out, " (%llu suppressed)", (unsigned long long)s->incidents_suppressed);
    ok = ok && te_buf_puts(out, "\n");
    te_summary_counter counters[16];
    size_t n = te_report_summary_counters(s, counters);
    for (size_t i = 0; i < n; i++) {
        ok = ok && te_buf_printf(out, "%s%llu %s", indent, (unsigned long long)counters[i].value,
                                 counters[i].name);
        if (strcmp(counters[i].name, "logarchive files not decoded") == 0)
            ok = ok && te_buf_puts(out, " (export them with: log show --archive PATH "
                                        "--style ndjson)");
        ok = ok && te_buf_puts(out, "\n");
    }
    if (not_written)
        ok = ok && te_buf_printf(out, "%s%zu %s not written (out of memory)\n", indent, not_written,
                                 plural(not_written, "incident", "incidents"));
    return ok;
}
