/* The loose reader: the fallback for unstructured text (pasted tickets,
 * forum posts, quoted log lines, shell sessions). Every non-blank line
 * starts an event; lines indented deeper than the event's first line
 * continue it; a blank line ends it. The first line is recognised, in
 * order, as a shell prompt, a crash-report header line, an embedded log
 * line of a known style (default/syslog/compact, Console.app rows), a line
 * with a legacy syslog timestamp, or "process[pid]: text"; anything else
 * is kept whole as the message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "input/log_text.h"
#include "util/timeparse.h"

/* Longest "process" token accepted before ": " / "[pid]". */
#define LOOSE_PROCESS_MAX 64
/* Quote markers ("> > text") stripped from a line. */
#define LOOSE_MAX_QUOTE_LEVELS 8

/* ---- character helpers --------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}
static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}
static bool is_token_char(char c)
{
    return is_lower(c) || is_upper(c) || is_digit(c) || c == '_' || c == '.' || c == '-';
}
static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static size_t skip_spaces(te_str s, size_t i)
{
    while (i < s.len && is_space(s.ptr[i]))
        i++;
    return i;
}

static te_str rtrim(te_str s)
{
    while (s.len &&
           (is_space(s.ptr[s.len - 1]) || s.ptr[s.len - 1] == '\r' || s.ptr[s.len - 1] == '\n'))
        s.len--;
    return s;
}

static te_str from(te_str s, size_t i)
{
    return i >= s.len ? te_str_make(s.ptr + s.len, 0) : te_str_make(s.ptr + i, s.len - i);
}

static void clear_time(te_event *event)
{
    event->has_time = event->has_date = event->has_offset = false;
    event->time_us = 0;
    event->utc_offset_min = 0;
}

static void set_time(te_event *event, const te_time *t)
{
    event->has_time = true;
    event->has_date = t->has_date;
    event->has_offset = t->has_offset;
    event->time_us = t->us;
    event->utc_offset_min = t->offset_min;
}

/* ---- line shapes --------------------------------------------------------- */

/* Keys that start the lines of a crash report (and of the sandbox violation
 * report): such a line keeps its whole text as the message. */
static const char *const crash_keys[] = {
    "Process",
    "Path",
    "Identifier",
    "Version",
    "Code Type",
    "Parent Process",
    "Responsible",
    "Responsible Process",
    "User ID",
    "Date/Time",
    "OS Version",
    "Report Version",
    "Release Type",
    "Exception Type",
    "Exception Codes",
    "Exception Subtype",
    "Exception Note",
    "Exception Message",
    "Exception Reason",
    "Termination Reason",
    "Termination Signal",
    "Termination Details",
    "Termination Reasons",
    "Crashed Thread",
    "Kernel Triage",
    "Notes",
    "Triggered by Thread",
    "Application Specific Information",
    "Application Specific Signatures",
    "Application Specific Backtrace",
    "Load Address",
    "Anonymous UUID",
    "Launch Time",
    "Hardware Model",
    "Incident Identifier",
    "CrashReporter Key",
    "Beta Identifier",
    "Role",
    "Coalition",
    "Sleep/Wake UUID",
    "Time Awake Since Boot",
    "Time Since Wake",
    "System Integrity Protection",
    "Code Signing Monitor",
    "Code Signing ID",
    "Code Signing Team ID",
    "Code Signing Flags",
    "Code Signing Validation Category",
    "Code Signing Trust Level",
    "Dyld Error Message",
    "Dyld Version",
    "Binary Images",
    "VM Region Summary",
    "VM Regions Near",
    "External Modification Summary",
    "Extra Information",
    "Logical CPU",
    "Error Code",
    "Trap Number",
    "Thread State",
    "Model",
    "Violation",
    "Bridge OS Version",
    "Boot Args",
    "Uptime",
    "Translated Report",
    "Crash Reporter Key",
};

static bool crash_header_line(te_str s)
{
    if (s.len < 4 || !is_upper(s.ptr[0])) return false;
    const char *colon = memchr(s.ptr, ':', s.len < 48 ? s.len : 48);
    if (!colon) return false;
    size_t n = (size_t)(colon - s.ptr);
    for (size_t i = 0; i < sizeof crash_keys / sizeof crash_keys[0]; i++)
        if (strlen(crash_keys[i]) == n && memcmp(crash_keys[i], s.ptr, n) == 0) return true;
    return false;
}

/* Words that end in ':' at the start of prose or of a kernel message but
 * are not process names (compared case-insensitively). */
static const char *const not_processes[] = {
    "error",
    "errors",
    "warning",
    "warnings",
    "note",
    "notes",
    "reason",
    "info",
    "information",
    "notice",
    "debug",
    "fault",
    "details",
    "detail",
    "description",
    "message",
    "messages",
    "status",
    "result",
    "results",
    "output",
    "input",
    "cause",
    "solution",
    "fix",
    "fixed",
    "update",
    "edit",
    "summary",
    "problem",
    "issue",
    "expected",
    "actual",
    "environment",
    "steps",
    "workaround",
    "example",
    "referenced",
    "tried",
    "library",
    "framework",
    "code",
    "domain",
    "password",
    "signature",
    "identifier",
    "format",
    "executable",
    "authority",
    "source",
    "origin",
    "type",
    "time",
    "timestamp",
    "date",
    "path",
    "version",
    "thread",
    "process",
    "subsystem",
    "category",
    "sandbox",
    "hint",
    "tip",
    "important",
    "question",
    "answer",
    "usage",
    "exception",
    "termination",
    "trace",
    "backtrace",
    "stack",
    "failure",
    "failed",
    "success",
    "done",
    "accepted",
    "rejected",
    "assessment",
    "requirement",
    "requirements",
    "entitlements",
    "profile",
    "team",
    "bundle",
    "binary",
    "file",
    "directory",
    "host",
    "user",
    "pid",
    "command",
    "response",
    "request",
    "data",
    "key",
    "value",
    "name",
    "id",
    "notarize",
    "notarization",
    "step",
    "context",
    "comment",
    "update",
    "edited",
    "repro",
    "macos",
    "os",
    "system",
    "hardware",
    "model",
    "memory",
    "log",
    "logs",
    "url",
    "link",
    "see",
    "ps",
    "pps",
    "nb",
    "tldr",
    "seatbeltexecserver",
    "crashed",
    "caused",
    "underlying",
    "arguments",
    "args",
    "options",
    "license",
    "platform",
    "architecture",
    "arch",
    "hash",
    "cdhash",
    "severity",
    "severe",
    "fatal",
    "critical",
    "todo",
    "question",
    "q",
    "a",
    "re",
    "fwd",
    "subject",
    "from",
    "to",
    "cc",
    "date",
    "sent",
    "title",
    "body",
    "label",
    "labels",
    "assignee",
    "milestone",
    "author",
    "reply",
    "quote",
    /* shell job messages: "Killed: 9", "Terminated: 15" */
    "killed",
    "terminated",
    "aborted",
    "hangup",
    "stopped",
};

/* "Foo.app:", "chain.pem:": file names end in an extension, processes don't. */
static const char *const file_extensions[] = {
    "app",
    "framework",
    "dylib",
    "bundle",
    "kext",
    "appex",
    "xpc",
    "plugin",
    "pkg",
    "dmg",
    "zip",
    "plist",
    "json",
    "txt",
    "pem",
    "cer",
    "p12",
    "ips",
    "crash",
    "log",
    "sh",
    "py",
    "so",
    "swift",
    "m",
    "c",
    "h",
    "cc",
    "cpp",
    "js",
    "ts",
    "rb",
    "go",
    "rs",
    "xcframework",
    "mobileprovision",
    "provisionprofile",
    "entitlements",
    "nib",
    "strings",
    "tar",
    "gz",
};

static bool has_file_extension(te_str token)
{
    const char *dot = NULL;
    for (size_t i = token.len; i > 0; i--) {
        if (token.ptr[i - 1] == '.') {
            dot = token.ptr + i - 1;
            break;
        }
    }
    if (!dot) return false;
    te_str ext = te_str_make(dot + 1, (size_t)(token.ptr + token.len - dot - 1));
    for (size_t i = 0; i < sizeof file_extensions / sizeof file_extensions[0]; i++) {
        size_t n = strlen(file_extensions[i]);
        if (n == ext.len && strncasecmp(file_extensions[i], ext.ptr, n) == 0) return true;
    }
    return false;
}

static bool plausible_process(te_str token)
{
    if (token.len == 0 || token.len > LOOSE_PROCESS_MAX) return false;
    if (!is_lower(token.ptr[0]) && !is_upper(token.ptr[0]) && !is_digit(token.ptr[0]) &&
        token.ptr[0] != '_')
        return false;
    bool lower = false, alpha = false;
    for (size_t i = 0; i < token.len; i++) {
        if (is_lower(token.ptr[i])) lower = true;
        if (is_lower(token.ptr[i]) || is_upper(token.ptr[i])) alpha = true;
    }
    /* AMFI:, ASP:, ERROR:, CODE: are message prefixes, not processes */
    if (!lower || !alpha) return false;
    /* Cocoa keys: NSUnderlyingError:, kCFErrorDomain: */
    if (token.len > 2 && token.ptr[0] == 'N' && token.ptr[1] == 'S' && is_upper(token.ptr[2]))
        return false;
    if (token.len > 3 && token.ptr[0] == 'k' && is_upper(token.ptr[1])) return false;
    if (has_file_extension(token)) return false;
    for (size_t i = 0; i < sizeof not_processes / sizeof not_processes[0]; i++) {
        size_t n = strlen(not_processes[i]);
        if (n == token.len && strncasecmp(not_processes[i], token.ptr, n) == 0) return false;
    }
    return true;
}

/* "$ cmd", "% cmd", "❯ cmd", "user@host ~ % cmd", "/Users/me $ cmd",
 * "user@host:~$ cmd": returns the offset of the command, or -1. */
static long prompt_command(te_str s)
{
    static const char *const bare[] = {
        "$ ", "% ", "\xe2\x9d\xaf ", "\xe2\x9d\xae ", "\xe2\x9e\x9c ", "\xce\xbb "};
    for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++) {
        if (te_str_starts_with(s, bare[i])) {
            size_t at = skip_spaces(s, strlen(bare[i]));
            return at < s.len ? (long)at : -1;
        }
    }
    /* a prefix of up to three words, the first of which looks like
     * user@host, a path or ~, then a prompt character */
    size_t i = 0;
    bool first_ok = false;
    for (int word = 0; word < 4 && i < s.len; word++) {
        size_t start = i;
        while (i < s.len && !is_space(s.ptr[i]))
            i++;
        te_str w = te_str_make(s.ptr + start, i - start);
        if (word == 0) {
            first_ok = memchr(w.ptr, '@', w.len) != NULL || w.ptr[0] == '/' || w.ptr[0] == '~';
            if (!first_ok) return -1;
            char last = w.ptr[w.len - 1];
            if (w.len > 2 && (last == '$' || last == '%' || last == '#') && i < s.len &&
                memchr(w.ptr, '@', w.len)) {
                size_t at = skip_spaces(s, i);
                return at < s.len ? (long)at : -1;
            }
        } else if (w.len == 1 && (w.ptr[0] == '$' || w.ptr[0] == '%' || w.ptr[0] == '#')) {
            size_t at = skip_spaces(s, i);
            return at < s.len && at > i ? (long)at : -1;
        } else if (w.len > 0 && memchr(w.ptr, ':', w.len)) {
            return -1;
        }
        if (i >= s.len || !is_space(s.ptr[i])) return -1;
        i = skip_spaces(s, i);
    }
    return -1;
}

/* Clock "h:mm:ss[.,frac]" with one- or two-digit hours. */
static size_t loose_clock(te_str s, size_t i, int64_t *us_of_day)
{
    size_t p = i;
    int h = 0, m = 0, sec = 0, n = 0;
    while (p < s.len && is_digit(s.ptr[p]) && n < 2)
        h = h * 10 + (s.ptr[p++] - '0'), n++;
    if (n == 0 || p + 6 > s.len || s.ptr[p] != ':' || !is_digit(s.ptr[p + 1]) ||
        !is_digit(s.ptr[p + 2]) || s.ptr[p + 3] != ':' || !is_digit(s.ptr[p + 4]) ||
        !is_digit(s.ptr[p + 5]))
        return 0;
    m = (s.ptr[p + 1] - '0') * 10 + (s.ptr[p + 2] - '0');
    sec = (s.ptr[p + 4] - '0') * 10 + (s.ptr[p + 5] - '0');
    if (h > 23 || m > 59 || sec > 60) return 0;
    p += 6;
    int64_t frac = 0;
    if (p + 1 < s.len && (s.ptr[p] == '.' || s.ptr[p] == ',') && is_digit(s.ptr[p + 1])) {
        p++;
        int digits = 0;
        while (p < s.len && is_digit(s.ptr[p])) {
            if (digits < 6) frac = frac * 10 + (s.ptr[p] - '0');
            digits++;
            p++;
        }
        for (; digits < 6; digits++)
            frac *= 10;
    }
    /* 12-hour clock */
    if (p + 3 <= s.len && s.ptr[p] == ' ' && (s.ptr[p + 1] == 'A' || s.ptr[p + 1] == 'P') &&
        s.ptr[p + 2] == 'M' && (p + 3 == s.len || is_space(s.ptr[p + 3]))) {
        if (h > 12) return 0;
        if (h == 12) h = 0;
        if (s.ptr[p + 1] == 'P') h += 12;
        p += 3;
    }
    *us_of_day = (((int64_t)h * 60 + m) * 60 + sec) * 1000000LL + frac;
    return p - i;
}

static int month_index(te_str s)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (s.len < 3) return -1;
    for (int m = 0; m < 12; m++)
        if (memcmp(names + m * 3, s.ptr, 3) == 0) return m + 1;
    return -1;
}

/* Timestamps that prefix legacy syslog and tool output lines:
 *   2022-04-07 20:11:44 (and every form te_time_parse knows, with a date)
 *   Jun 11 14:59:07            (BSD syslog: no year, time of day only)
 *   10/13/15 12:58:38.456 PM   (Console "All Messages", US)
 *   27.06.16 13:14:08,633      (Console "All Messages", day.month.year)
 * Returns the bytes consumed and fills the event's time. */
static size_t legacy_time(te_str s, te_event *event)
{
    te_time t;
    size_t n = te_time_parse(s, &t);
    if (n > 0 && t.has_date) {
        set_time(event, &t);
        return n;
    }
    int64_t us = 0;
    if (month_index(s) > 0 && s.len > 4 && s.ptr[3] == ' ') {
        size_t i = 4;
        if (s.ptr[i] == ' ') i++;
        size_t d = i;
        while (i < s.len && is_digit(s.ptr[i]) && i - d < 2)
            i++;
        if (i == d || i >= s.len || s.ptr[i] != ' ') return 0;
        size_t c = loose_clock(s, i + 1, &us);
        if (c == 0) return 0;
        te_time tod = {us, 0, false, false};
        set_time(event, &tod);
        return i + 1 + c;
    }
    /* d1 sep d2 sep year */
    int v[3] = {0, 0, 0}, len[3] = {0, 0, 0};
    size_t i = 0;
    char sep = 0;
    for (int f = 0; f < 3; f++) {
        while (i < s.len && is_digit(s.ptr[i]) && len[f] < 4)
            v[f] = v[f] * 10 + (s.ptr[i++] - '0'), len[f]++;
        if (len[f] == 0) return 0;
        if (f < 2) {
            if (i >= s.len || (s.ptr[i] != '/' && s.ptr[i] != '.')) return 0;
            if (sep && s.ptr[i] != sep) return 0;
            sep = s.ptr[i++];
        }
    }
    if (len[0] > 2 || len[1] > 2 || (len[2] != 2 && len[2] != 4)) return 0;
    if (i >= s.len || s.ptr[i] != ' ') return 0;
    size_t c = loose_clock(s, i + 1, &us);
    if (c == 0) return 0;
    int year = len[2] == 2 ? 2000 + v[2] : v[2];
    int month = sep == '/' ? v[0] : v[1];
    int day = sep == '/' ? v[1] : v[0];
    if (month < 1 || month > 12 || day < 1 || day > 31) return 0;
    te_time full = {te_days_from_civil(year, (unsigned)month, (unsigned)day) * 86400000000LL + us,
                    0, false, true};
    set_time(event, &full);
    return i + 1 + c;
}

/* Console.app rows copied with tabs: type<TAB>time<TAB>process<TAB>message. */
static long console_tab_row(te_str s, te_event *event)
{
    const char *end = s.ptr + s.len;
    const char *t1 = memchr(s.ptr, '\t', s.len);
    if (!t1) return -1;
    const char *t2 = memchr(t1 + 1, '\t', (size_t)(end - t1 - 1));
    if (!t2) return -1;
    const char *t3 = memchr(t2 + 1, '\t', (size_t)(end - t2 - 1));
    if (!t3) return -1;
    te_str type = te_str_trim(te_str_make(s.ptr, (size_t)(t1 - s.ptr)));
    if (type.len == 0 || type.len > 32) return -1;
    for (size_t i = 0; i < type.len; i++)
        if (is_digit(type.ptr[i])) return -1;
    te_str when = te_str_trim(te_str_make(t1 + 1, (size_t)(t2 - t1 - 1)));
    te_time t;
    if (when.len == 0 || te_time_parse(when, &t) != when.len) return -1;
    te_str process = te_str_trim(te_str_make(t2 + 1, (size_t)(t3 - t2 - 1)));
    if (process.len == 0) return -1;
    event->type = type;
    set_time(event, &t);
    event->process = process;
    return (long)(t3 + 1 - s.ptr);
}

/* Console rows whose tabs became spaces: "[- ]type time process message",
 * type being one or two words ("default", "par défaut", "错误"). */
static long console_space_row(te_str s, te_event *event)
{
    size_t i = 0;
    if (te_str_starts_with(s, "- ") || te_str_starts_with(s, "* ")) i = 2;
    size_t type_start = i;
    for (int words = 0; words < 2; words++) {
        size_t w = i;
        while (i < s.len && !is_space(s.ptr[i])) {
            if (is_digit(s.ptr[i]) || s.ptr[i] == ':' || s.ptr[i] == '[') return -1;
            i++;
        }
        if (i == w || i - w > 24 || i >= s.len) return -1;
        size_t type_end = i;
        i = skip_spaces(s, i);
        if (i >= s.len) return -1;
        if (!is_digit(s.ptr[i])) continue;
        te_time t;
        size_t n = te_time_parse(from(s, i), &t);
        if (n == 0 || !memchr(s.ptr + i, '.', n)) return -1;
        size_t p = i + n;
        if (p >= s.len || !is_space(s.ptr[p])) return -1;
        p = skip_spaces(s, p);
        size_t proc = p;
        while (p < s.len && !is_space(s.ptr[p]))
            p++;
        if (p == proc || p >= s.len) return -1;
        size_t msg = skip_spaces(s, p);
        if (msg >= s.len) return -1;
        event->type = te_str_make(s.ptr + type_start, type_end - type_start);
        set_time(event, &t);
        event->process = te_str_make(s.ptr + proc, p - proc);
        return (long)msg;
    }
    return -1;
}

/* "process[pid]: ", "process[pid] <Level>: ", "process[pid](context): ",
 * "process (library): ", "process: ", and after a timestamp the NSLog form
 * "process[pid:tid] ". A name with spaces ("Electron Helper[12]: ") only
 * when `spaced`. Returns the message offset or -1. */
static long process_prefix(te_str s, te_event *event, bool after_time, bool spaced)
{
    size_t j = 0;
    while (j < s.len && j <= LOOSE_PROCESS_MAX && is_token_char(s.ptr[j]))
        j++;
    te_str token = te_str_make(s.ptr, j);
    if (j < s.len && s.ptr[j] == '[' && j > 0) {
        goto bracket;
    }
    if (j > 0 && j < s.len && s.ptr[j] == ':' && (j + 1 == s.len || s.ptr[j + 1] == ' ')) {
        size_t msg = skip_spaces(s, j + 1);
        if (msg >= s.len || !plausible_process(token)) return -1;
        event->process = token;
        return (long)(j + 2);
    }
    if (j > 0 && j + 2 < s.len && s.ptr[j] == ' ' && s.ptr[j + 1] == '(') {
        size_t k = j + 2;
        while (k < s.len && k - j <= LOOSE_PROCESS_MAX && is_token_char(s.ptr[k]))
            k++;
        if (k == j + 2 || k + 1 >= s.len || s.ptr[k] != ')' || s.ptr[k + 1] != ':') return -1;
        if (!plausible_process(token)) return -1;
        event->process = token;
        event->sender = te_str_make(s.ptr + j + 2, k - j - 2);
        size_t msg = k + 2;
        if (msg < s.len && s.ptr[msg] == ' ') msg++;
        return (long)msg;
    }
    /* a process name with spaces is accepted only before "[pid]" */
    if (!spaced) return -1;
    {
        const char *b = memchr(s.ptr, '[', s.len < LOOSE_PROCESS_MAX ? s.len : LOOSE_PROCESS_MAX);
        if (!b || b == s.ptr || (!is_upper(s.ptr[0]) && !is_lower(s.ptr[0]))) return -1;
        if (memchr(s.ptr, ':', (size_t)(b - s.ptr))) return -1;
        j = (size_t)(b - s.ptr);
        token = te_str_make(s.ptr, j);
        if (is_space(s.ptr[j - 1])) return -1;
    }
bracket : {
    size_t k = j + 1;
    while (k < s.len && is_digit(s.ptr[k]) && k - j <= 10)
        k++;
    if (k == j + 1 || k >= s.len) return -1;
    int64_t pid, tid = -1;
    if (!te_str_to_i64(te_str_make(s.ptr + j + 1, k - j - 1), &pid)) return -1;
    if (s.ptr[k] == ':') {
        size_t h = k + 1;
        while (h < s.len && is_hex(s.ptr[h]) && h - k <= 16)
            h++;
        if (h == k + 1 || h >= s.len || s.ptr[h] != ']') return -1;
        uint64_t v = 0;
        for (size_t x = k + 1; x < h; x++)
            v = v * 16 +
                (uint64_t)(is_digit(s.ptr[x]) ? s.ptr[x] - '0' : (s.ptr[x] | 0x20) - 'a' + 10);
        tid = (int64_t)(v & INT64_MAX);
        k = h;
    }
    if (s.ptr[k] != ']') return -1;
    k++;
    te_str type = {NULL, 0};
    if (k < s.len && s.ptr[k] == '(') {
        /* launchd job context: "([0x0-0xf60f6].com.example.app[7940])" */
        int depth = 0;
        size_t c = k;
        for (; c < s.len && c - k < 512; c++) {
            if (s.ptr[c] == '(') depth++;
            if (s.ptr[c] == ')' && --depth == 0) break;
        }
        if (c >= s.len || s.ptr[c] != ')') return -1;
        te_event_add_extra(event, "context", te_str_make(s.ptr + k + 1, c - k - 1));
        k = c + 1;
    } else if (k + 1 < s.len && s.ptr[k] == ' ' && s.ptr[k + 1] == '<') {
        /* ASL: "kernel[0] <Notice>: " */
        const char *gt = memchr(s.ptr + k + 2, '>', s.len - k - 2 < 16 ? s.len - k - 2 : 16);
        if (gt && gt + 1 < s.ptr + s.len && gt[1] == ':') {
            type = te_str_make(s.ptr + k + 2, (size_t)(gt - s.ptr - k - 2));
            k = (size_t)(gt - s.ptr) + 1;
        }
    }
    size_t msg;
    if (k < s.len && s.ptr[k] == ':' && (k + 1 == s.len || s.ptr[k + 1] == ' ')) {
        msg = k + 1;
        if (msg < s.len) msg++;
    } else if (k == s.len && s.ptr[k - 1] == ':') {
        msg = k;
    } else if (after_time && tid >= 0 && k < s.len && s.ptr[k] == ' ') {
        msg = k + 1;
    } else {
        return -1;
    }
    event->process = token;
    event->pid = pid;
    if (tid >= 0) event->thread = tid;
    if (type.len) event->type = type;
    return (long)msg;
}
}

typedef enum msg_mode {
    MSG_PLAIN,                 /* the message is the text from the offset */
    MSG_COMPOSED_WITH_PROCESS, /* "process: (library) [sub:cat] text" */
    MSG_COMPOSED,              /* "(library) [sub:cat] text" */
} msg_mode;

/* Recognises the shape of an event's first line; fills the event and
 * returns the offset where its message starts. */
static size_t classify(te_str s, te_event *event, msg_mode *mode)
{
    *mode = MSG_PLAIN;
    long off = prompt_command(s);
    if (off >= 0) {
        event->type = te_str_cstr("command");
        return (size_t)off;
    }
    if (crash_header_line(s)) return 0;
    if (s.len && is_digit(s.ptr[0])) {
        te_event probe = *event;
        if ((off = te_log_parse_default(s, TE_TTL_UNKNOWN, &probe)) >= 0) {
            *event = probe;
            *mode = MSG_COMPOSED_WITH_PROCESS;
            return (size_t)off;
        }
        probe = *event;
        if ((off = te_log_parse_syslog(s, &probe)) >= 0) {
            *event = probe;
            *mode = MSG_COMPOSED;
            return (size_t)off;
        }
        probe = *event;
        if ((off = te_log_parse_compact(s, &probe)) >= 0) {
            *event = probe;
            *mode = MSG_COMPOSED;
            return (size_t)off;
        }
        clear_time(event);
    }
    if ((off = console_tab_row(s, event)) >= 0) return (size_t)off;
    if ((off = console_space_row(s, event)) >= 0) return (size_t)off;
    size_t base = 0;
    size_t t = legacy_time(s, event);
    if (t > 0) {
        base = skip_spaces(s, t);
        if (te_str_starts_with(from(s, base), "---")) return base;
        /* "2022-04-07 20:11:44 : ERROR : label : text" (Installomator) */
        if (base < s.len && s.ptr[base] == ':') base = skip_spaces(s, base + 1);
    }
    te_str rest = from(s, base);
    off = process_prefix(rest, event, t > 0, t == 0);
    if (off < 0 && t > 0) {
        /* BSD syslog: a host name before the process */
        size_t h = 0;
        while (h < rest.len && !is_space(rest.ptr[h]))
            h++;
        size_t p = skip_spaces(rest, h);
        if (h > 0 && p > h && p < rest.len && !memchr(rest.ptr, ':', h)) {
            off = process_prefix(from(rest, p), event, true, false);
            if (off >= 0) off += (long)p;
        }
        if (off < 0) off = process_prefix(rest, event, true, true);
    }
    if (off >= 0) {
        *mode = MSG_COMPOSED;
        return base + (size_t)off;
    }
    /* "(AppleSystemPolicy) ASP: …": a library tag without a process */
    if (rest.len > 2 && rest.ptr[0] == '(') {
        size_t k = 1;
        while (k < rest.len && k <= LOOSE_PROCESS_MAX && is_token_char(rest.ptr[k]))
            k++;
        if (k > 1 && k + 1 < rest.len && rest.ptr[k] == ')' && rest.ptr[k + 1] == ' ')
            *mode = MSG_COMPOSED;
    }
    return base;
}

/* ---- Console.app detail form ("type: info" / "process: x" / "message: …") */

enum {
    DF_TYPE,
    DF_TIME,
    DF_PROCESS,
    DF_PID,
    DF_THREAD,
    DF_SENDER,
    DF_SUBSYSTEM,
    DF_CATEGORY,
    DF_COUNT,
    DF_MESSAGE = DF_COUNT
};

static int detail_key(te_str s, size_t *value_at)
{
    static const struct {
        const char *key;
        int field;
    } keys[] = {
        {"type", DF_TYPE},         {"time", DF_TIME},       {"timestamp", DF_TIME},
        {"process", DF_PROCESS},   {"pid", DF_PID},         {"thread", DF_THREAD},
        {"library", DF_SENDER},    {"sender", DF_SENDER},   {"subsystem", DF_SUBSYSTEM},
        {"category", DF_CATEGORY}, {"message", DF_MESSAGE},
    };
    if (s.len < 5 || !is_lower(s.ptr[0])) return -1;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t n = strlen(keys[i].key);
        if (s.len > n + 1 && memcmp(s.ptr, keys[i].key, n) == 0 && s.ptr[n] == ':' &&
            s.ptr[n + 1] == ' ') {
            *value_at = skip_spaces(s, n + 1);
            return keys[i].field;
        }
    }
    return -1;
}

/* ---- the reader ---------------------------------------------------------- */

typedef struct span {
    size_t off, len;
    bool set;
} span;

typedef struct loose_reader {
    te_reader_env env;
    te_buf record; /* first line, then "\n" + continuation lines */
    bool held, truncated;
    uint64_t first_line, last_line, n_lines;
    size_t first_len;
    size_t base_indent;
    /* detail form */
    bool detail;
    bool warned_binary; /* a line with NUL bytes was reported (once per source) */
    span fields[DF_COUNT];
    size_t n_fields;
    bool has_message;
    size_t message_off;
} loose_reader;

static void emit_detail(loose_reader *r, te_event *event, te_str text)
{
    const char *d = r->record.data;
    for (int f = 0; f < DF_COUNT; f++) {
        if (!r->fields[f].set) continue;
        te_str v = rtrim(te_str_make(d + r->fields[f].off, r->fields[f].len));
        int64_t n;
        te_time t;
        switch (f) {
        case DF_TYPE:
            event->type = v;
            break;
        case DF_TIME:
            if (te_time_parse(v, &t) > 0) set_time(event, &t);
            break;
        case DF_PROCESS:
            event->process = v;
            break;
        case DF_PID:
            if (te_str_to_i64(v, &n)) event->pid = n;
            break;
        case DF_THREAD:
            if (v.len > 2 && v.ptr[0] == '0' && v.ptr[1] == 'x') {
                uint64_t x = 0;
                for (size_t i = 2; i < v.len && i < 18 && is_hex(v.ptr[i]); i++)
                    x = x * 16 + (uint64_t)(is_digit(v.ptr[i]) ? v.ptr[i] - '0'
                                                               : (v.ptr[i] | 0x20) - 'a' + 10);
                event->thread = (int64_t)(x & INT64_MAX);
            } else if (te_str_to_i64(v, &n)) {
                event->thread = n;
            }
            break;
        case DF_SENDER:
            event->sender = v;
            break;
        case DF_SUBSYSTEM:
            event->subsystem = v;
            break;
        case DF_CATEGORY:
            event->category = v;
            break;
        default:
            break;
        }
    }
    if (r->has_message)
        event->message = r->message_off < text.len
                             ? rtrim(te_str_make(d + r->message_off, text.len - r->message_off))
                             : te_str_make("", 0);
    else
        event->message = text;
}

static void emit_record(loose_reader *r)
{
    if (!r->held) return;
    te_event event;
    te_event_reset(&event);
    te_str text = rtrim(te_str_make(r->record.data, r->record.len));
    if (r->detail && (r->has_message || r->n_fields > 1 || r->n_lines > 1)) {
        emit_detail(r, &event, text);
    } else {
        msg_mode mode;
        te_str first = te_str_make(r->record.data, r->first_len);
        size_t off = classify(first, &event, &mode);
        if (off > text.len) off = text.len;
        te_str message = te_str_make(text.ptr + off, text.len - off);
        if (mode == MSG_PLAIN)
            event.message = message;
        else
            te_parse_composed_message(message, &event, mode == MSG_COMPOSED_WITH_PROCESS);
    }
    if (!event.message.ptr) event.message = te_str_make("", 0);
    event.line = r->first_line;
    event.line_end = r->last_line;
    if (r->env.summary) r->env.summary->lines_in_events += r->n_lines;
    r->held = false;
    r->detail = false;
    if (r->env.emit) r->env.emit(r->env.ctx, &event);
    te_buf_reset(&r->record);
}

static void count_cut(loose_reader *r, uint64_t lineno)
{
    if (r->env.summary) r->env.summary->lines_cut++;
    if (!r->truncated) {
        r->truncated = true;
        if (r->env.summary) r->env.summary->records_skipped++;
        te_reader_warn(&r->env, lineno,
                       "text starting at line %llu is longer than the record limit: rest skipped",
                       (unsigned long long)r->first_line);
    }
}

static void start_record(loose_reader *r, te_str line, uint64_t lineno, size_t indent)
{
    emit_record(r);
    te_buf_reset(&r->record);
    r->truncated = false;
    r->detail = false;
    r->has_message = false;
    r->n_fields = 0;
    memset(r->fields, 0, sizeof r->fields);
    if (!te_buf_append(&r->record, line.ptr, line.len)) {
        count_cut(r, lineno);
        return;
    }
    r->held = true;
    r->first_len = line.len;
    r->first_line = r->last_line = lineno;
    r->n_lines = 1;
    r->base_indent = indent;
}

/* Appends a line; returns its offset in the record, or SIZE_MAX when cut. */
static size_t continue_record(loose_reader *r, te_str line, uint64_t lineno)
{
    if (r->truncated || r->n_lines >= TE_MAX_RECORD_LINES ||
        r->record.len + 1 + line.len > TE_MAX_RECORD_BYTES) {
        count_cut(r, lineno);
        return SIZE_MAX;
    }
    if (!te_buf_putc(&r->record, '\n')) {
        count_cut(r, lineno);
        return SIZE_MAX;
    }
    size_t at = r->record.len;
    if (!te_buf_append(&r->record, line.ptr, line.len)) {
        count_cut(r, lineno);
        return SIZE_MAX;
    }
    r->n_lines++;
    r->last_line = lineno;
    return at;
}

/* Removes quote markers ("> "), and `code`, **bold** or _italic_ wrapping. */
static te_str normalize(te_str s)
{
    for (int level = 0; level < LOOSE_MAX_QUOTE_LEVELS && s.len && s.ptr[0] == '>'; level++) {
        s.ptr++;
        s.len--;
        if (s.len && s.ptr[0] == ' ') {
            s.ptr++;
            s.len--;
        }
    }
    te_str t = rtrim(s);
    if (t.len >= 2 && t.ptr[0] == '`' && t.ptr[t.len - 1] == '`' && t.ptr[1] != '`') {
        s = te_str_make(t.ptr + 1, t.len - 2);
    } else if (t.len >= 4 && te_str_starts_with(t, "**") && t.ptr[t.len - 1] == '*' &&
               t.ptr[t.len - 2] == '*') {
        s = te_str_make(t.ptr + 2, t.len - 4);
    } else if (t.len >= 3 && t.ptr[0] == '_' && t.ptr[1] != '_' && t.ptr[t.len - 1] == '_') {
        s = te_str_make(t.ptr + 1, t.len - 2);
    }
    return s;
}

/* "[...]", "…", "```": markers of a paste, not log content. */
static bool is_paste_marker(te_str t)
{
    if (te_str_starts_with(t, "```")) return true;
    static const char *const markers[] = {"...", "\xe2\x80\xa6", "(...)", "<snip>", "[snip]"};
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++)
        if (te_str_eq_cstr(t, markers[i])) return true;
    if (t.len >= 3 && t.ptr[0] == '[' && t.ptr[t.len - 1] == ']') {
        te_str inner = te_str_trim(te_str_make(t.ptr + 1, t.len - 2));
        if (te_str_starts_with(inner, "...") || te_str_starts_with(inner, "\xe2\x80\xa6") ||
            te_str_eq_cstr(inner, "snip") || te_str_eq_cstr(inner, "snipped"))
            return true;
    }
    return false;
}

static void loose_line(void *state, te_str raw, uint64_t lineno)
{
    loose_reader *r = state;
    te_summary *summary = r->env.summary;
    if (memchr(raw.ptr, '\0', raw.len)) {
        /* binary data: said once, every such line counted */
        emit_record(r);
        if (summary) summary->lines_not_understood++;
        if (!r->warned_binary) {
            r->warned_binary = true;
            te_reader_warn(&r->env, lineno,
                           "line holds NUL bytes (binary data): skipped, as is every further such "
                           "line (counted as not understood)");
        }
        return;
    }
    te_str s = normalize(raw);
    te_str t = te_str_trim(s);
    if (t.len == 0 || is_paste_marker(t)) {
        emit_record(r);
        if (summary) summary->lines_meta++;
        return;
    }
    size_t indent = 0;
    while (indent < s.len && is_space(s.ptr[indent]))
        indent++;
    if (indent > 0 && r->held && indent > r->base_indent) {
        continue_record(r, rtrim(s), lineno);
        return;
    }
    if (te_log_meta_kind(t) != TE_LOG_META_NONE) {
        emit_record(r);
        if (summary) summary->lines_meta++;
        return;
    }
    te_str line = rtrim(from(s, indent));
    size_t value_at = 0;
    int key = detail_key(line, &value_at);
    if (key >= 0) {
        bool joins =
            r->held && r->detail && !r->has_message && (key == DF_MESSAGE || !r->fields[key].set);
        if (!joins) {
            if (key == DF_MESSAGE) goto plain;
            start_record(r, line, lineno, indent);
            if (!r->held) return;
            r->detail = true;
            r->fields[key] = (span){value_at, line.len - value_at, true};
            r->n_fields = 1;
            return;
        }
        size_t at = continue_record(r, line, lineno);
        if (at == SIZE_MAX) return;
        if (key == DF_MESSAGE) {
            r->has_message = true;
            r->message_off = at + value_at;
        } else {
            r->fields[key] = (span){at + value_at, line.len - value_at, true};
            r->n_fields++;
        }
        return;
    }
plain:
    start_record(r, line, lineno, indent);
}

static void loose_flush(void *state)
{
    emit_record(state);
}

static void *loose_create(const te_reader_env *env)
{
    loose_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->env = *env;
    te_buf_init(&r->record, TE_MAX_RECORD_BYTES);
    return r;
}

static void loose_destroy(void *state)
{
    loose_reader *r = state;
    if (!r) return;
    te_buf_free(&r->record);
    free(r);
}

static int loose_sniff(const te_str *lines, size_t n, char *why, size_t cap)
{
    (void)lines;
    (void)n;
    snprintf(why, cap, "unstructured text (fallback)");
    return 1;
}

const te_reader_ops te_reader_loose = {
    "loose",       "any text: pasted tickets, quoted log lines, shell sessions (the fallback)",
    loose_sniff,   loose_create,
    loose_line,    loose_flush,
    loose_destroy,
};
