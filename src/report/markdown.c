/* The markdown format: a report to paste into a ticket or a GitHub issue.
 * Per incident a section with subject, facts table, diagnosis, fix checklist,
 * references and the evidence in a fenced block; the run summary as a table.
 * Everything taken from the input is escaped or put in code spans/fences. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_impl.h"

#define DETAILS_AFTER_LINES 10u /* longer evidence folds into <details> */

typedef struct writer {
    te_buf *out;
    bool ok;
} writer;

static void put(writer *w, const char *s)
{
    if (w->ok && !te_buf_puts(w->out, s)) w->ok = false;
}

static void put_n(writer *w, const char *s, size_t len)
{
    if (w->ok && !te_buf_append(w->out, s, len)) w->ok = false;
}

static void put_safe(writer *w, const char *s, size_t len)
{
    if (w->ok && !te_report_put_safe(w->out, s, len)) w->ok = false;
}

static void put_repeat(writer *w, char c, size_t n)
{
    while (n-- > 0)
        put_n(w, &c, 1);
}

/* Inline text with every markdown-active character escaped. A newline
 * becomes a hard line break when `breaks`, a space otherwise. */
static void put_inline(writer *w, const char *s, bool breaks)
{
    bool line_start = true;
    const char *run = s; /* bytes not yet copied */
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool newline = c == '\n' || c == '\r';
        /* an underscore inside a word is never emphasis: "bundle_id" stays */
        bool inner_underscore =
            c == '_' && p > s && isalnum((unsigned char)p[-1]) && isalnum((unsigned char)p[1]);
        bool special =
            (strchr("\\`*_[]<>|~&#", c) && !inner_underscore) || (line_start && strchr("-+=", c));
        if (!newline && !special) {
            line_start = false;
            continue;
        }
        put_safe(w, run, (size_t)(p - run));
        run = p + 1;
        if (c == '\n') {
            put(w, breaks ? "  \n" : " ");
            line_start = breaks;
        } else if (special) {
            put(w, "\\");
            put_n(w, p, 1);
            line_start = false;
        }
    }
    put_safe(w, run, strlen(run));
}

/* Text kept as written (the author's own markdown); continuation lines are
 * indented into the list item. */
static void put_verbatim(writer *w, const char *s, const char *continuation)
{
    for (;;) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        if (len > 0 && s[len - 1] == '\r') len--;
        put_safe(w, s, len);
        if (!eol) break;
        put(w, "\n");
        put(w, continuation);
        s = eol + 1;
    }
}

static size_t longest_backtick_run(const char *s, size_t len)
{
    size_t best = 0, run = 0;
    for (size_t i = 0; i < len; i++) {
        run = s[i] == '`' ? run + 1 : 0;
        if (run > best) best = run;
    }
    return best;
}

/* One code span of s[0..len) (no newline inside). In a table cell the pipe
 * must still be escaped, even inside code. */
static void put_code_span(writer *w, const char *s, size_t len, bool in_table)
{
    size_t ticks = longest_backtick_run(s, len) + 1;
    bool pad = len > 0 && (s[0] == '`' || s[len - 1] == '`' || s[0] == ' ');
    put_repeat(w, '`', ticks);
    if (pad) put(w, " ");
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        if (in_table && s[i] == '|') {
            put_safe(w, s + run, i - run);
            put(w, "\\|");
            run = i + 1;
        }
    }
    put_safe(w, s + run, len - run);
    if (pad) put(w, " ");
    put_repeat(w, '`', ticks);
}

/* A value as code spans, one per line, joined with <br> (for table cells). */
static void put_code_lines(writer *w, const char *s, bool in_table)
{
    for (;;) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        if (len > 0 && s[len - 1] == '\r') len--;
        if (len) put_code_span(w, s, len, in_table);
        if (!eol) break;
        put(w, "<br>");
        s = eol + 1;
    }
}

bool te_report_markdown_header(te_buf *out)
{
    return te_buf_puts(out, "# tediag report\n\n");
}

static void put_subject_item(writer *w, const char *label, const char *value)
{
    if (te_report_empty(value)) return;
    put(w, "- **");
    put(w, label);
    put(w, ":** ");
    put_code_lines(w, value, false);
    put(w, "\n");
}

static void put_subject(writer *w, const te_incident *in)
{
    bool any = false;
    if (!te_report_empty(in->process) || in->pid >= 0) {
        put(w, "- **Process:** ");
        if (!te_report_empty(in->process)) put_code_lines(w, in->process, false);
        if (in->pid >= 0) {
            char pid[48];
            snprintf(pid, sizeof pid, "%s(pid %lld)", te_report_empty(in->process) ? "" : " ",
                     (long long)in->pid);
            put(w, pid);
        }
        put(w, "\n");
        any = true;
    }
    put_subject_item(w, "Path", in->path);
    put_subject_item(w, "Bundle ID", in->bundle_id);
    put_subject_item(w, "Team ID", in->team_id);
    any = any || !te_report_empty(in->path) || !te_report_empty(in->bundle_id) ||
          !te_report_empty(in->team_id);
    if (in->has_time) {
        char first[48], last[48];
        te_report_format_time(in->first_seen_us, in->utc_offset_min, first, sizeof first);
        te_report_format_time(in->last_seen_us, in->utc_offset_min, last, sizeof last);
        put(w, "- **First seen:** ");
        put(w, first);
        put(w, "\n");
        if (in->last_seen_us != in->first_seen_us) {
            put(w, "- **Last seen:** ");
            put(w, last);
            put(w, "\n");
        }
        any = true;
    }
    if (any) put(w, "\n");
}

static void put_facts(writer *w, const te_incident *in)
{
    if (in->n_facts == 0) return;
    put(w, "| fact | value |\n| --- | --- |\n");
    for (size_t i = 0; i < in->n_facts; i++) {
        const te_fact *f = &in->facts[i];
        put(w, "| ");
        put_inline(w, f->name, false);
        put(w, " | ");
        for (size_t v = 0; v < f->n_values; v++) {
            if (v) put(w, "<br>");
            put_code_lines(w, f->values[v], true);
        }
        put(w, " |\n");
    }
    put(w, "\n");
}

/* Inline text of len bytes (not NUL-terminated). */
static void put_prose(writer *w, const char *s, size_t len)
{
    if (len == 0) return;
    char *copy = strndup(s, len);
    if (!copy) {
        w->ok = false;
        return;
    }
    put_inline(w, copy, false);
    free(copy);
}

/* Commands in fix steps. A fix step is prose that names commands ("Check:
 * codesign -dv "/App", then ..."); the Markdown report sets each command in
 * a code span. A command starts at a word naming a tool (tool_words, or the
 * English-looking english_words) that is followed by what looks like an
 * argument (-option, +mode, "quoted", /path, ./file, <placeholder>), a
 * hyphenated subcommand (find-identity) or a known subcommand (`log show`,
 * `launchctl print`); "sudo" belongs to the command after it. So "make
 * codesign the last step" and "find out why" stay prose. */
static const char *const tool_words[] = {
    "codesign",
    "spctl",
    "xattr",
    "xcrun",
    "syspolicy_check",
    "stapler",
    "notarytool",
    "otool",
    "plutil",
    "csrutil",
    "tccutil",
    "systemextensionsctl",
    "kmutil",
    "kextstat",
    "launchctl",
    "pkgutil",
    "install_name_tool",
    "lipo",
    "vtool",
    "ditto",
    "hdiutil",
    "productsign",
    "productbuild",
    "pkgbuild",
    "shasum",
    "sqlite3",
    "xcodebuild",
    "sudo",
    "brew",
    "npx",
    "mdls",
    "dsconfigad",
    "systemsetup",
    "sw_vers",
    "nvram",
    "chmod",
    "xprotect",
    "sysctl",
};
static const char *const english_words[] = {
    "security", "log",  "defaults", "profiles", "file", "ls",    "find", "rm",    "mv",
    "cp",       "open", "cat",      "grep",     "ln",   "swift", "npm",  "uname",
};
static const char *const subcommands[] = {
    "cms",    "show",     "stream",    "collect",      "read",       "write",   "delete",
    "list",   "build",    "install",   "submit",       "log",        "history", "info",
    "staple", "validate", "version",   "distribution", "notarytool", "stapler", "xprotect",
    "print",  "bootout",  "bootstrap", "kickstart",    "enable",     "disable", "status",
};

static bool word_in(const char *s, size_t len, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0) return true;
    return false;
}

#define WORDS(a) (a), (sizeof(a) / sizeof((a)[0]))

static bool is_word_byte(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* True when a command starts at s (s is at a word start). */
static bool command_starts(const char *s)
{
    size_t len = 0;
    while (is_word_byte(s[len]))
        len++;
    if (len == 0 || s[len] != ' ' || s[len + 1] == '\0' || s[len + 1] == ' ') return false;
    const char *arg = s + len + 1;
    if (!word_in(s, len, WORDS(tool_words)) && !word_in(s, len, WORDS(english_words))) return false;
    if (strchr("-+\"'/~.<", arg[0])) return true;
    if (strncmp(s, "sudo ", 5) == 0) return command_starts(arg);
    size_t arg_len = 0;
    bool hyphenated = false;
    while (islower((unsigned char)arg[arg_len]) || arg[arg_len] == '-')
        hyphenated |= arg[arg_len++] == '-';
    if (arg_len == 0 || (arg[arg_len] && arg[arg_len] != ' ')) return false;
    return hyphenated || word_in(arg, arg_len, WORDS(subcommands));
}

/* Prose that ends the command cmd at offset i (outside quotes). */
static size_t command_stop(const char *cmd, size_t i)
{
    const char *s = cmd + i;
    static const char *const stops[] = {
        ", ",      "; ",        " (",       " \xe2\x80\x94 ", " \xe2\x80\x93 ", " and ",
        " or ",    " must ",    " should ", " shows ",        " then ",         " to ",
        " if ",    " until ",   " so ",     " in ",           " on ",           " lists ",
        " marks ", " instead ", " prints ", " says ",         " reports ",      " gives ",
    };
    if (s[0] == '.' && (s[1] == '\0' || s[1] == ' ') && (i == 0 || s[-1] != '.')) return 1;
    if (s[0] == ')') return 1;
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
        if (strncmp(s, stops[i], strlen(stops[i])) == 0) return strlen(stops[i]);
    return 0;
}

/* Length of the command at s, up to the prose that follows it. */
static size_t command_length(const char *s)
{
    char quote = 0;
    size_t i = 0;
    for (; s[i]; i++) {
        if (quote) {
            if (s[i] == quote) quote = 0;
        } else if (s[i] == '"' || s[i] == '\'') {
            quote = s[i];
        } else if (command_stop(s, i)) {
            break;
        }
    }
    while (i > 0 && s[i - 1] == ' ')
        i--;
    return i;
}

/* The next command in step at or after from: its start, or -1. A command
 * starts at a word start: the step's start, or after a space, "(" or ":". */
static long next_command(const char *step, size_t from)
{
    bool quoted = false; /* inside "..." of the prose: a quotation, not a command */
    for (size_t i = from; step[i]; i++) {
        if (step[i] == '"') quoted = !quoted;
        if (quoted) continue;
        bool word_start = i == 0 || step[i - 1] == ' ' || step[i - 1] == '(';
        if (!word_start || is_word_byte(i ? step[i - 1] : ' ')) continue;
        if (i == 0 &&
            (step[0] == '/' || strncmp(step, "./", 2) == 0 || strncmp(step, "~/", 2) == 0))
            return 0;
        if (command_starts(step + i)) return (long)i;
    }
    return -1;
}

static void put_fix(writer *w, const te_incident *in)
{
    if (in->n_fix == 0) return;
    put(w, "**Fix:**\n\n");
    for (size_t i = 0; i < in->n_fix; i++) {
        const char *step = in->fix[i];
        put(w, "- [ ] ");
        if (strchr(step, '`')) {
            /* The author already marked the commands: keep the text. */
            put_verbatim(w, step, "      ");
        } else if (strchr(step, '\n')) {
            put_inline(w, step, false);
        } else {
            /* prose, command, prose, command, ... */
            size_t at = 0;
            long cmd;
            while ((cmd = next_command(step, at)) >= 0) {
                size_t len = command_length(step + cmd);
                if (len == 0) break;
                put_prose(w, step + at, (size_t)cmd - at);
                put_code_span(w, step + cmd, len, false);
                at = (size_t)cmd + len;
            }
            put_prose(w, step + at, strlen(step + at));
        }
        put(w, "\n");
    }
    put(w, "\n");
}

/* A URL as a link destination: characters that end or break it encoded. */
static void put_url(writer *w, const char *url)
{
    for (const char *p = url; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == '`' || c == 0x7f) {
            char enc[4];
            snprintf(enc, sizeof enc, "%%%02X", c);
            put(w, enc);
        } else if (c == '(' || c == ')' || c == '\\') {
            put(w, "\\");
            put_n(w, p, 1);
        } else {
            put_n(w, p, 1);
        }
    }
}

static void put_references(writer *w, const te_incident *in)
{
    if (in->n_references == 0) return;
    put(w, "**References:**\n\n");
    for (size_t i = 0; i < in->n_references; i++) {
        const te_reference *ref = &in->references[i];
        put(w, "- ");
        const char *title = te_report_empty(ref->title) ? ref->url : ref->title;
        if (te_report_empty(ref->url)) {
            put_inline(w, title, false);
        } else {
            put(w, "[");
            put_inline(w, title, false);
            put(w, "](");
            put_url(w, ref->url);
            put(w, ")");
        }
        put(w, "\n");
    }
    put(w, "\n");
}

/* The evidence timeline as plain lines (for a fence): relative time,
 * process(pid), the whole message (continuation lines indented), source. */
static bool build_evidence_block(te_buf *block, const te_incident *in)
{
    writer w = {block, true};
    te_timeline_row *rows = malloc(in->n_evidence * sizeof *rows);
    if (!rows) return false;
    bool timed = te_report_timeline(in, rows);
    size_t time_width = 0, process_width = 0;
    for (size_t i = 0; i < in->n_evidence; i++) {
        char label[256];
        te_report_process_label(rows[i].evidence->process, rows[i].evidence->pid, label,
                                sizeof label);
        size_t t = strlen(rows[i].relative), p = te_report_utf8_width(label, strlen(label));
        if (t > time_width) time_width = t;
        if (p > process_width) process_width = p;
    }
    if (process_width > 28) process_width = 28;
    size_t message_column = (timed ? time_width + 2 : 0) + (process_width ? process_width + 2 : 0);
    for (size_t i = 0; i < in->n_evidence; i++) {
        const te_evidence *e = rows[i].evidence;
        if (timed) {
            put(&w, rows[i].relative);
            put_repeat(&w, ' ', time_width - strlen(rows[i].relative) + 2);
        }
        if (process_width) {
            char label[256];
            te_report_process_label(e->process, e->pid, label, sizeof label);
            size_t lw = te_report_utf8_width(label, strlen(label));
            put_safe(&w, label, strlen(label));
            put_repeat(&w, ' ', (lw < process_width ? process_width - lw : 0) + 2);
        }
        const char *m = e->message;
        for (bool first = true;; first = false) {
            const char *eol = strchr(m, '\n');
            size_t len = eol ? (size_t)(eol - m) : strlen(m);
            if (len > 0 && m[len - 1] == '\r') len--;
            if (!first) put_repeat(&w, ' ', message_column);
            put_safe(&w, m, len);
            if (first && !te_report_empty(e->source)) {
                put(&w, "  (");
                put_safe(&w, e->source, strlen(e->source));
                put(&w, ")");
            }
            put(&w, "\n");
            if (!eol) break;
            m = eol + 1;
        }
    }
    if (in->evidence_dropped) {
        char line[96];
        snprintf(line, sizeof line, "… %zu more evidence line%s dropped (limit)\n",
                 in->evidence_dropped, in->evidence_dropped == 1 ? "" : "s");
        put(&w, line);
    }
    free(rows);
    return w.ok;
}

static void put_evidence(writer *w, const te_incident *in)
{
    if (in->n_evidence == 0 && in->evidence_dropped == 0) return;
    te_buf block;
    te_buf_init(&block, 0);
    if (in->n_evidence && !build_evidence_block(&block, in)) {
        w->ok = false;
        goto done;
    }
    if (in->n_evidence == 0) {
        char line[96];
        snprintf(line, sizeof line, "… %zu evidence line%s dropped (limit)\n", in->evidence_dropped,
                 in->evidence_dropped == 1 ? "" : "s");
        if (!te_buf_puts(&block, line)) {
            w->ok = false;
            goto done;
        }
    }
    size_t fence = longest_backtick_run(block.data, block.len) + 1;
    if (fence < 3) fence = 3;
    bool fold = in->n_evidence > DETAILS_AFTER_LINES;
    if (fold) {
        char summary[96];
        snprintf(summary, sizeof summary, "<details><summary>Evidence (%zu lines)</summary>\n\n",
                 in->n_evidence);
        put(w, summary);
    } else {
        put(w, "**Evidence:**\n\n");
    }
    put_repeat(w, '`', fence);
    put(w, "text\n");
    put_n(w, block.data, block.len);
    put_repeat(w, '`', fence);
    put(w, "\n\n");
    if (fold) put(w, "</details>\n\n");
done:
    te_buf_free(&block);
}

bool te_report_markdown_incident(te_buf *out, const te_incident *in, size_t number)
{
    writer w = {out, true};
    char prefix[64];
    snprintf(prefix, sizeof prefix, "## %zu. %s: ", number,
             in->severity == TE_SEVERITY_ERROR     ? "Error"
             : in->severity == TE_SEVERITY_WARNING ? "Warning"
                                                   : "Info");
    put(&w, prefix);
    put_inline(&w, in->title, false);
    put(&w, "\n\n");
    put(&w, "**Severity:** ");
    put(&w, te_report_severity_name(in->severity));
    put(&w, " · **Rule:** ");
    put_code_lines(&w, in->rule_id, false);
    if (in->unverified) put(&w, " · unverified signature");
    put(&w, "\n\n");
    put_subject(&w, in);
    put_facts(&w, in);
    if (!te_report_empty(in->diagnosis)) {
        put(&w, "**Diagnosis:** ");
        put_inline(&w, in->diagnosis, true);
        put(&w, "\n\n");
    }
    put_fix(&w, in);
    put_references(&w, in);
    if (in->n_also) {
        put(&w, "Also explains: ");
        for (size_t i = 0; i < in->n_also; i++) {
            if (i) put(&w, ", ");
            put_code_lines(&w, in->also[i], false);
        }
        put(&w, "\n\n");
    }
    put_evidence(&w, in);
    return w.ok;
}

static void put_count_row(writer *w, const char *name, uint64_t value)
{
    char row[160];
    snprintf(row, sizeof row, "| %s | %llu |\n", name, (unsigned long long)value);
    put(w, row);
}

bool te_report_markdown_summary(te_buf *out, const te_summary *s, size_t n_incidents,
                                size_t not_written)
{
    writer w = {out, true};
    if (n_incidents == 0 && not_written == 0) put(&w, "No incidents found.\n\n");
    put(&w, "## Run summary\n\n| item | count |\n| --- | ---: |\n");
    put_count_row(&w, "inputs", s->inputs);
    if (s->inputs_failed) put_count_row(&w, "inputs failed", s->inputs_failed);
    put_count_row(&w, "bytes", s->bytes);
    put_count_row(&w, "lines", s->lines);
    put_count_row(&w, "events", s->events);
    put_count_row(&w, "lines not understood", s->lines_not_understood);
    put_count_row(&w, "lines cut", s->lines_cut);
    put_count_row(&w, "rules loaded", s->rules_loaded);
    put_count_row(&w, "incidents", s->incidents);
    if (s->incidents_suppressed) put_count_row(&w, "incidents suppressed", s->incidents_suppressed);
    te_summary_counter counters[16];
    size_t n = te_report_summary_counters(s, counters);
    for (size_t i = 0; i < n; i++)
        put_count_row(&w, counters[i].name, counters[i].value);
    if (not_written) put_count_row(&w, "incidents not written (out of memory)", not_written);
    return w.ok;
}
