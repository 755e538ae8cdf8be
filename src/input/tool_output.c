/* Reader for the output of the signing and assessment tools as users paste
 * it: codesign, spctl, stapler, syspolicy_check, xcrun/altool/notarytool,
 * and dyld messages on stderr. One event per line (indented continuation
 * lines are appended with "\n"), message = the line as printed, type "tool",
 * process = the tool that printed it: taken from the preceding shell prompt
 * (`$ codesign -vvv ...`, `user@host ~ % spctl -a ...`), from the line's own
 * prefix (`dyld[123]: ...`), or from its wording. Prompt lines become
 * "command" events whose message is the command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/reader.h"
#include "util/timeparse.h"

#define TOOL_NAME_MAX 64
/* How far into a line a shell prompt may end ("user@host dir % "). */
#define PROMPT_MAX 96

/* Programs whose output this reader knows (process of their output lines). */
static const char *const known_tools[] = {
    "codesign",
    "spctl",
    "stapler",
    "syspolicy_check",
    "xcrun",
    "notarytool",
    "altool",
    "rcodesign",
    "ocsptool",
    "security",
    "xattr",
    "pkgutil",
    "productsign",
    "pkgbuild",
    "productbuild",
    "installer",
    "ditto",
    "otool",
    "lipo",
    "vtool",
    "install_name_tool",
    "codesign_allocate",
    "csreq",
    "kmutil",
    "kextutil",
    "systemextensionsctl",
    "dyld_info",
    "dyld",
};

/* Processes whose own "name: text" prefix names the line's process. */
static const char *const known_processes[] = {
    "kernel",
    "amfid",
    "taskgated",
    "taskgated-helper",
    "syspolicyd",
    "trustd",
    "sandboxd",
    "launchd",
    "securityd",
    "tccd",
    "runningboardd",
    "XprotectService",
    "com.apple.xpc.launchd",
};

/* Wording of a line → the tool that prints it (used outside a prompt's output). */
static const struct {
    const char *text;
    const char *tool;
} wording[] = {
    {": a sealed resource is missing or invalid", "codesign"},
    {": code object is not signed at all", "codesign"},
    {": invalid signature (code or signature have been modified)", "codesign"},
    {": replacing existing signature", "codesign"},
    {": resource fork, Finder information, or similar detritus not allowed", "codesign"},
    {": valid on disk", "codesign"},
    {": satisfies its Designated Requirement", "codesign"},
    {": errSecInternalComponent", "codesign"},
    {"code has no resources but signature indicates they must be present", "codesign"},
    {"Warning: binary contains an invalid entitlements blob", "codesign"},
    {"Warning: unable to build chain to self-signed root", "codesign"},
    {"In subcomponent:", "codesign"},
    {"In architecture:", "codesign"},
    {"CodeDirectory v=", "codesign"},
    {": rejected (the code is valid but does not seem to be an app)", "spctl"},
    {"rejected (the code is valid but does not seem to be an app)", "spctl"},
    {"The staple and validate action worked!", "stapler"},
    {"The validate action worked!", "stapler"},
    {"does not have a ticket stapled to it", "stapler"},
    {"App has failed one or more pre-distribution checks", "syspolicy_check"},
    {"App passed all pre-distribution checks", "syspolicy_check"},
    {"<key>assessment:", "spctl"},
};

/* Distinctive text of tool output (sniff). */
static const char *const evidence[] = {
    ": a sealed resource is missing or invalid",
    "CSSMERR_",
    "errSecInternalComponent",
    "dyld[",
    ": code object is not signed at all",
    ": invalid signature (code or signature have been modified)",
    ": rejected",
    ": accepted",
    "source=",
    "origin=",
    "In subcomponent:",
    "In architecture:",
    "Library not loaded:",
    "Referenced from:",
    "not valid for use in process",
    "different Team IDs",
    "dlopen(",
    "invalid entitlements blob",
    "detritus not allowed",
    ": replacing existing signature",
    "code has no resources but signature indicates",
    "pre-distribution checks",
    "does not seem to be an app",
    ": valid on disk",
    "satisfies its Designated Requirement",
    "Executable=",
    "CodeDirectory v=",
    "Authority=",
    "TeamIdentifier=",
    "Signature=adhoc",
    "staple and validate action",
    "does not have a ticket stapled",
    "unable to build chain to self-signed root",
    "resource envelope is obsolete",
    "obsolete resource envelope",
    "<key>assessment:", /* spctl --raw */
};

typedef struct tool_state {
    const te_reader_env *env;
    char context[TOOL_NAME_MAX]; /* the tool run by the last prompt ("" when unknown) */
    bool context_from_prompt;    /* else guessed from the wording of a line */
    /* the held event (continuation lines may follow) */
    bool held;
    bool held_cut;
    size_t held_indent;
    uint64_t first;
    uint64_t last;
    uint64_t n_lines;
    te_buf message;
    char process[TOOL_NAME_MAX];
    char pid_text[24];
    int64_t pid;
    bool command;
    bool known_tool;
    bool composed; /* a daemon's log line: "(library) [sub:cat] text" follows */
    te_event event;
} tool_state;

/* ---- helpers ------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static size_t indent_of(te_str s)
{
    size_t i = 0;
    while (i < s.len && is_space(s.ptr[i]))
        i++;
    return i;
}

static bool in_list(te_str name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (te_str_eq_cstr(name, list[i])) return true;
    return false;
}

static bool is_known_tool(te_str name)
{
    return in_list(name, known_tools, sizeof known_tools / sizeof known_tools[0]);
}

/* The next whitespace-separated token of *s (advancing *s). */
static te_str next_token(te_str *s)
{
    te_str t = te_str_trim(*s);
    size_t i = 0;
    while (i < t.len && !is_space(t.ptr[i]))
        i++;
    te_str tok = te_str_make(t.ptr, i);
    *s = te_str_make(t.ptr + i, t.len - i);
    return tok;
}

static te_str basename_of(te_str s)
{
    for (size_t i = s.len; i > 0; i--)
        if (s.ptr[i - 1] == '/') return te_str_make(s.ptr + i, s.len - i);
    return s;
}

/* Removes a markdown quote marker ("> ") and leading blanks. */
static te_str unquote(te_str s)
{
    s = te_str_trim(s);
    while (s.len >= 1 && s.ptr[0] == '>' && (s.len == 1 || s.ptr[1] == ' ' || s.ptr[1] == '\t'))
        s = te_str_trim(te_str_make(s.ptr + 1, s.len - 1));
    return s;
}

/* The program a command runs: skips sudo/env/time and VAR=value, and for
 * `xcrun [--sdk x] tool` the tool. Its basename goes to `out`. */
static te_str command_program(te_str command)
{
    te_str rest = command, tok;
    for (int guard = 0; guard < 8; guard++) {
        tok = next_token(&rest);
        if (tok.len == 0) return tok;
        if (te_str_eq_cstr(tok, "sudo") || te_str_eq_cstr(tok, "env") ||
            te_str_eq_cstr(tok, "time") || te_str_eq_cstr(tok, "exec") ||
            memchr(tok.ptr, '=', tok.len))
            continue;
        break;
    }
    te_str program = basename_of(tok);
    if (te_str_eq_cstr(program, "xcrun")) {
        te_str save = rest;
        for (int guard = 0; guard < 6; guard++) {
            te_str t = next_token(&rest);
            if (t.len == 0) break;
            if (t.ptr[0] == '-') {
                if (te_str_eq_cstr(t, "--sdk") || te_str_eq_cstr(t, "--toolchain") ||
                    te_str_eq_cstr(t, "-sdk"))
                    next_token(&rest);
                continue;
            }
            return basename_of(t);
        }
        rest = save;
    }
    return program;
}

/* Where the command of a shell prompt line starts, or -1.
 * `$ cmd`, `% cmd`, `❯ cmd`, `➜  dir cmd`, `user@host ~ % cmd`,
 * `/Users/x $ cmd`, `host:dir user$ cmd`, `bash-3.2$ cmd`. */
static long prompt_command(te_str s)
{
    static const char arrow[] = "\xe2\x9d\xaf";     /* ❯ */
    static const char zsh_arrow[] = "\xe2\x9e\x9c"; /* ➜ */
    size_t pos;
    if (s.len >= 2 && (s.ptr[0] == '$' || s.ptr[0] == '%') && s.ptr[1] == ' ') {
        pos = 2;
        goto found;
    }
    if (s.len > 4 && memcmp(s.ptr, arrow, 3) == 0 && s.ptr[3] == ' ') {
        pos = 4;
        goto found;
    }
    if (s.len > 4 && memcmp(s.ptr, zsh_arrow, 3) == 0 && s.ptr[3] == ' ') {
        te_str rest = te_str_make(s.ptr + 3, s.len - 3);
        next_token(&rest); /* the directory */
        rest = te_str_trim(rest);
        if (rest.len == 0) return -1;
        return (long)(rest.ptr - s.ptr);
    }
    {
        size_t limit = s.len < PROMPT_MAX ? s.len : PROMPT_MAX;
        for (pos = 1; pos + 1 < limit; pos++) {
            char c = s.ptr[pos];
            if ((c != '$' && c != '%' && c != '#') || s.ptr[pos + 1] != ' ') continue;
            te_str prefix = te_str_trim(te_str_make(s.ptr, pos));
            if (prefix.len == 0 || te_str_find(prefix, ": ", 2) >= 0) return -1;
            size_t tokens = 0;
            te_str rest = prefix;
            while (next_token(&rest).len)
                tokens++;
            if (tokens > 4) return -1;
            bool shape =
                memchr(prefix.ptr, '@', prefix.len) || memchr(prefix.ptr, '/', prefix.len) ||
                memchr(prefix.ptr, '~', prefix.len) || memchr(prefix.ptr, ':', prefix.len) ||
                te_str_starts_with(prefix, "bash-") || te_str_starts_with(prefix, "sh-") ||
                prefix.ptr[prefix.len - 1] == ']';
            if (!shape) return -1;
            pos += 2;
            goto found;
        }
        return -1;
    }
found:
    while (pos < s.len && is_space(s.ptr[pos]))
        pos++;
    return pos < s.len ? (long)pos : -1;
}

/* A known tool run without a prompt: `[sudo] codesign -dv ...` (an option is
 * required so that prose starting with the word is not taken). */
static bool bare_command(te_str s)
{
    te_str rest = s;
    te_str first = next_token(&rest);
    if (te_str_eq_cstr(first, "sudo")) first = next_token(&rest);
    if (!is_known_tool(basename_of(first)) || te_str_eq_cstr(basename_of(first), "dyld"))
        return false;
    if (first.len && first.ptr[first.len - 1] == ':') return false;
    te_str second = next_token(&rest);
    return second.len > 1 && second.ptr[0] == '-';
}

/* `name[123]: ...` or `name: ...` at the start; the name and pid. */
static bool own_prefix(te_str s, te_str *name, int64_t *pid)
{
    size_t i = 0;
    while (i < s.len && i < TOOL_NAME_MAX &&
           ((s.ptr[i] >= 'a' && s.ptr[i] <= 'z') || (s.ptr[i] >= 'A' && s.ptr[i] <= 'Z') ||
            (s.ptr[i] >= '0' && s.ptr[i] <= '9') || s.ptr[i] == '_' || s.ptr[i] == '-' ||
            s.ptr[i] == '.'))
        i++;
    if (i == 0 || i >= s.len) return false;
    *name = te_str_make(s.ptr, i);
    *pid = -1;
    if (s.ptr[i] == '[') {
        size_t j = i + 1;
        while (j < s.len && s.ptr[j] >= '0' && s.ptr[j] <= '9')
            j++;
        if (j == i + 1 || j + 1 >= s.len || s.ptr[j] != ']' || s.ptr[j + 1] != ':') return false;
        te_str_to_i64(te_str_make(s.ptr + i + 1, j - i - 1), pid);
        return true;
    }
    if (s.ptr[i] != ':' || (i + 1 < s.len && s.ptr[i + 1] != ' ')) return false;
    return is_known_tool(*name) ||
           in_list(*name, known_processes, sizeof known_processes / sizeof known_processes[0]);
}

static const char *tool_from_wording(te_str s)
{
    for (size_t i = 0; i < sizeof wording / sizeof wording[0]; i++)
        if (te_str_find(s, wording[i].text, strlen(wording[i].text)) >= 0) return wording[i].tool;
    return NULL;
}

/* ---- events ---------------------------------------------------------- */

static void emit_held(tool_state *st)
{
    if (!st->held) return;
    te_event *ev = &st->event;
    te_event_reset(ev);
    ev->line = st->first;
    ev->line_end = st->last;
    ev->type = te_str_cstr(st->command ? "command" : "tool");
    ev->message = te_str_make(st->message.data ? st->message.data : "", st->message.len);
    if (st->composed) te_parse_composed_message(ev->message, ev, false);
    if (st->process[0]) ev->process = te_str_cstr(st->process);
    ev->pid = st->pid;
    if (st->pid_text[0]) te_event_add_extra(ev, "pid", te_str_cstr(st->pid_text));
    if (st->known_tool && st->process[0]) te_event_add_extra(ev, "tool", te_str_cstr(st->process));
    st->env->summary->lines_in_events += st->n_lines;
    st->env->emit(st->env->ctx, ev);
    st->held = false;
}

static void hold(tool_state *st, te_str message, uint64_t lineno, size_t indent, te_str process,
                 int64_t pid, bool command)
{
    emit_held(st);
    te_buf_reset(&st->message);
    te_buf_append(&st->message, message.ptr, message.len);
    st->held = true;
    st->held_cut = false;
    st->held_indent = indent;
    st->first = st->last = lineno;
    st->n_lines = 1;
    te_copy_cstr(st->process, sizeof st->process, process);
    st->pid = pid;
    st->pid_text[0] = '\0';
    if (pid >= 0) snprintf(st->pid_text, sizeof st->pid_text, "%lld", (long long)pid);
    st->command = command;
    st->known_tool = is_known_tool(process);
    st->composed = false;
}

static void append(tool_state *st, te_str line, uint64_t lineno)
{
    size_t before = st->message.len;
    st->last = lineno;
    if (st->held_cut || st->n_lines >= TE_MAX_RECORD_LINES || !te_buf_putc(&st->message, '\n') ||
        !te_buf_append(&st->message, line.ptr, line.len)) {
        st->message.len = before;
        st->message.overflow = false;
        if (!st->held_cut)
            te_reader_warn(st->env, lineno, "output begun at line %llu is too long: rest dropped",
                           (unsigned long long)st->first);
        st->held_cut = true;
        st->env->summary->lines_cut++;
        return;
    }
    st->n_lines++;
}

/* ---- reader callbacks -------------------------------------------------- */

static void *tool_create(const te_reader_env *env)
{
    tool_state *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->env = env;
    st->pid = -1;
    te_buf_init(&st->message, TE_MAX_RECORD_BYTES);
    return st;
}

static void tool_line(void *state, te_str raw, uint64_t lineno)
{
    tool_state *st = state;
    te_str line = te_str_trim_right(raw);
    if (line.len == 0) {
        emit_held(st);
        st->env->summary->lines_meta++;
        return;
    }
    te_str bare = unquote(line);
    if (te_str_starts_with(bare, "```")) {
        /* markdown fences around pasted output */
        emit_held(st);
        st->env->summary->lines_meta++;
        return;
    }
    size_t indent = indent_of(line);
    long at = prompt_command(bare);
    bool command = at >= 0 || bare_command(bare);
    if (!command && st->held && !st->command && indent > st->held_indent) {
        append(st, line, lineno);
        return;
    }
    if (command) {
        te_str cmd = at >= 0 ? te_str_make(bare.ptr + at, bare.len - (size_t)at) : bare;
        te_str program = command_program(cmd);
        te_copy_cstr(st->context, sizeof st->context,
                     is_known_tool(program) ? program : te_str_make("", 0));
        st->context_from_prompt = true;
        hold(st, cmd, lineno, indent, program, -1, true);
        return;
    }
    if (te_str_eq_cstr(bare, "[...]") || te_str_eq_cstr(bare, "...") ||
        te_str_eq_cstr(bare, "\xe2\x80\xa6")) {
        /* an elision: what follows may be another program's output */
        st->context[0] = '\0';
    }
    te_str name;
    int64_t pid = -1;
    te_str process = te_str_make("", 0);
    if (own_prefix(bare, &name, &pid)) {
        process = name;
        if (!is_known_tool(name)) {
            /* a daemon's log line pasted among tool output ("kernel: ...",
             * "taskgated-helper[77]: ..."): its message is the text after the
             * prefix, as the log readers give it */
            long colon = te_str_find(bare, ": ", 2);
            if (colon > 0) {
                te_str text = te_str_make(bare.ptr + colon + 2, bare.len - (size_t)colon - 2);
                hold(st, text, lineno, indent, process, pid, false);
                st->composed = true;
                return;
            }
        }
    } else if (st->context[0] && st->context_from_prompt) {
        process = te_str_cstr(st->context);
    } else {
        const char *tool = tool_from_wording(bare);
        if (tool) {
            /* the lines that follow (origin=, In architecture:) are its too */
            process = te_str_cstr(tool);
            te_copy_cstr(st->context, sizeof st->context, process);
            st->context_from_prompt = false;
        } else if (st->context[0]) {
            process = te_str_cstr(st->context);
        }
    }
    hold(st, line, lineno, indent, process, pid, false);
}

static void tool_flush(void *state)
{
    emit_held(state);
}

static void tool_destroy(void *state)
{
    tool_state *st = state;
    if (!st) return;
    te_buf_free(&st->message);
    free(st);
}

/* ---- sniff -------------------------------------------------------------- */

static int tool_sniff(const te_str *lines, size_t n_lines, char *why, size_t why_cap)
{
    size_t nonblank = 0, prompts = 0, known_commands = 0, hits = 0, timestamped = 0;
    for (size_t i = 0; i < n_lines; i++) {
        te_str s = unquote(lines[i]);
        if (s.len == 0) continue;
        nonblank++;
        te_time t;
        if (te_time_parse(s, &t) > 0) timestamped++;
        long at = prompt_command(s);
        if (at >= 0) {
            prompts++;
            if (is_known_tool(command_program(te_str_make(s.ptr + at, s.len - (size_t)at))))
                known_commands++;
            continue;
        }
        if (bare_command(s)) {
            known_commands++;
            continue;
        }
        for (size_t k = 0; k < sizeof evidence / sizeof evidence[0]; k++) {
            if (te_str_find(s, evidence[k], strlen(evidence[k])) >= 0) {
                hits++;
                break;
            }
        }
    }
    int score = 0;
    const char *reason = "no signing-tool output";
    if (timestamped * 2 >= nonblank && nonblank > 0) {
        /* mostly log lines: the log readers (or loose) read them with their time */
        score = 0;
        reason = "mostly timestamped log lines";
    } else if (known_commands && hits) {
        score = 75;
        reason = "shell prompt running codesign/spctl/stapler/... with its output";
    } else if (known_commands) {
        score = 65;
        reason = "shell prompt running codesign/spctl/stapler/...";
    } else if (hits && (hits >= 3 || hits * 4 >= nonblank)) {
        score = 60;
        reason = "codesign/spctl/dyld output lines";
    }
    if (why && why_cap) snprintf(why, why_cap, "%s", reason);
    return score;
}

const te_reader_ops te_reader_tool_output = {
    "tool-output", "output of codesign, spctl, stapler, syspolicy_check, xcrun and dyld as pasted",
    tool_sniff,    tool_create,
    tool_line,     tool_flush,
    tool_destroy,
};
