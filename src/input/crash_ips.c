/* Reader for `.ips` crash reports (macOS 12+): a one-line JSON metadata
 * object (bug_type, app_name, timestamp, ...) then a JSON body. The body is
 * rendered into the lines a macOS translated text report shows ("Process:",
 * "Exception Type:", "Termination Reason:", "Code Signing Flags:", the
 * crashed thread's frames, ...), one event per line, so that one regex serves
 * text and .ips reports. Body fragments without the header (even without the
 * outer braces, as pasted in tickets) are read too; a body that breaks off is
 * recovered member by member. Lines outside the JSON become plain events. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/reader.h"
#include "util/timeparse.h"

/* Rendered lines per report: the header lines, 8 frames, a few reasons. */
#define IPS_MAX_RENDERED 96
/* Frames shown of the crashed thread (canonical-events.md). */
#define IPS_FRAMES_SHOWN 8
/* Identity fields copied from the header line. */
#define IPS_HEADER_FIELD_MAX 512

typedef enum doc_mode {
    DOC_NONE,     /* between documents */
    DOC_OBJECT,   /* a document that began with '{' */
    DOC_FRAGMENT, /* members pasted without the outer braces: "{" was added */
} doc_mode;

/* Bracket state of the JSON text seen so far (strings are skipped). */
typedef struct ips_header {
    bool present;
    uint64_t line;
    char bug_type[32];
    char app_name[IPS_HEADER_FIELD_MAX];
    char bundle_id[IPS_HEADER_FIELD_MAX];
    char timestamp[64];
    char os_version[128];
} ips_header;

typedef struct ips_state {
    const te_reader_env *env;
    /* the document being read */
    doc_mode mode;
    te_buf doc;
    te_json_scan scan;
    uint64_t doc_first;
    uint64_t doc_last;
    uint64_t doc_lines;
    bool doc_cut; /* over TE_MAX_RECORD_BYTES / LINES: being skipped */
    ips_header header;
    bool skipping_other; /* after the header of another bug type */
    /* rendering */
    char *render;
    size_t render_len;
    size_t render_cap;
    size_t line_off[IPS_MAX_RENDERED];
    size_t line_len[IPS_MAX_RENDERED];
    size_t n_rendered;
    te_buf member; /* scratch for member-by-member recovery */
    char pid_text[24];
    te_event event;
} ips_state;

/* ---- small helpers --------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *jstr(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Integer member (also accepted as a decimal string). */
static bool jint(const json_t *obj, const char *key, long long *out)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v)) {
        *out = (long long)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        *out = (long long)json_real_value(v);
        return true;
    }
    if (json_is_string(v)) {
        int64_t n;
        if (te_str_to_i64(te_str_cstr(json_string_value(v)), &n)) {
            *out = (long long)n;
            return true;
        }
    }
    return false;
}

/* ---- rendering ------------------------------------------------------- */

static void render_reset(ips_state *st)
{
    st->render_len = 0;
    st->n_rendered = 0;
}

__attribute__((format(printf, 2, 3))) static void render_line(ips_state *st, const char *fmt, ...)
{
    if (st->n_rendered >= IPS_MAX_RENDERED) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n > TE_MAX_RECORD_BYTES) return;
    size_t need = st->render_len + (size_t)n + 1;
    if (need > st->render_cap) {
        size_t cap = st->render_cap ? st->render_cap : 4096;
        while (cap < need)
            cap *= 2;
        char *p = realloc(st->render, cap);
        if (!p) return;
        st->render = p;
        st->render_cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(st->render + st->render_len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    te_str line = te_str_trim_right(te_str_make(st->render + st->render_len, (size_t)n));
    st->line_off[st->n_rendered] = st->render_len;
    st->line_len[st->n_rendered] = line.len;
    st->n_rendered++;
    st->render_len += (size_t)n + 1;
}

/* "Key:" padded like a translated report (values start at column 23). */
static void render_kv(ips_state *st, const char *key, const char *value)
{
    render_line(st, "%-22s %s", key, value);
}

/* Each string of a string-or-array member as its own "Key: value" line. */
static void render_strings(ips_state *st, const char *key, const json_t *v)
{
    if (json_is_string(v)) {
        render_kv(st, key, json_string_value(v));
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item)
        {
            if (json_is_string(item)) render_kv(st, key, json_string_value(item));
        }
    }
}

static const struct {
    unsigned long bit;
    const char *name;
} cs_flags[] = {
    {0x1, "CS_VALID"},
    {0x2, "CS_ADHOC"},
    {0x4, "CS_GET_TASK_ALLOW"},
    {0x8, "CS_INSTALLER"},
    {0x10, "CS_FORCED_LV"},
    {0x20, "CS_INVALID_ALLOWED"},
    {0x100, "CS_HARD"},
    {0x200, "CS_KILL"},
    {0x400, "CS_CHECK_EXPIRATION"},
    {0x800, "CS_RESTRICT"},
    {0x1000, "CS_ENFORCEMENT"},
    {0x2000, "CS_REQUIRE_LV"},
    {0x4000, "CS_ENTITLEMENTS_VALIDATED"},
    {0x8000, "CS_NVRAM_UNRESTRICTED"},
    {0x10000, "CS_RUNTIME"},
    {0x20000, "CS_LINKER_SIGNED"},
    {0x100000, "CS_EXEC_SET_HARD"},
    {0x200000, "CS_EXEC_SET_KILL"},
    {0x400000, "CS_EXEC_SET_ENFORCEMENT"},
    {0x800000, "CS_EXEC_INHERIT_SIP"},
    {0x1000000, "CS_KILLED"},
    {0x2000000, "CS_DYLD_PLATFORM"},
    {0x4000000, "CS_PLATFORM_BINARY"},
    {0x8000000, "CS_PLATFORM_PATH"},
    {0x10000000, "CS_DEBUGGED"},
    {0x20000000, "CS_SIGNED"},
    {0x40000000, "CS_DEV_CODE"},
    {0x80000000, "CS_DATAVAULT_CONTROLLER"},
};

/* "0x22012311 (CS_VALID, CS_RUNTIME, ...)"; unnamed bits as hex. */
static void render_cs_flags(ips_state *st, unsigned long long flags)
{
    char text[768];
    size_t len = (size_t)snprintf(text, sizeof text, "0x%08llx", flags);
    unsigned long long named = 0;
    const char *sep = " (";
    for (size_t i = 0; i < sizeof cs_flags / sizeof cs_flags[0]; i++) {
        if (!(flags & cs_flags[i].bit)) continue;
        named |= cs_flags[i].bit;
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", sep, cs_flags[i].name);
        sep = ", ";
        if (len >= sizeof text) break;
    }
    unsigned long long rest = flags & ~named;
    for (int b = 0; b < 64 && len < sizeof text; b++) {
        if (!(rest & (1ull << b))) continue;
        len += (size_t)snprintf(text + len, sizeof text - len, "%s0x%llx", sep, 1ull << b);
        sep = ", ";
    }
    if (flags && len < sizeof text) snprintf(text + len, sizeof text - len, ")");
    render_kv(st, "Code Signing Flags:", text);
}

static void render_exception(ips_state *st, const json_t *exc)
{
    if (json_is_string(exc)) {
        /* jq projections carry the signal text only */
        render_kv(st, "Exception Type:", json_string_value(exc));
        return;
    }
    if (!json_is_object(exc)) return;
    const char *type = jstr(exc, "type"), *signal = jstr(exc, "signal");
    if (type && signal)
        render_line(st, "%-22s %s (%s)", "Exception Type:", type, signal);
    else if (type || signal)
        render_kv(st, "Exception Type:", type ? type : signal);
    const char *codes = jstr(exc, "codes");
    if (codes) render_kv(st, "Exception Codes:", codes);
    const char *subtype = jstr(exc, "subtype");
    if (subtype) render_kv(st, "Exception Subtype:", subtype);
    const char *message = jstr(exc, "message");
    if (message) render_kv(st, "Exception Message:", message);
}

static void render_termination(ips_state *st, const json_t *term)
{
    if (!json_is_object(term)) return;
    const char *ns = jstr(term, "namespace"), *indicator = jstr(term, "indicator");
    long long code = 0;
    bool has_code = jint(term, "code", &code);
    char code_text[48] = "";
    if (has_code) {
        if (code >= 0 && code < 65536)
            snprintf(code_text, sizeof code_text, "Code %lld", code);
        else
            snprintf(code_text, sizeof code_text, "Code 0x%llx", (unsigned long long)code);
    }
    if (ns || has_code || indicator) {
        char text[1024];
        size_t len = 0;
        if (ns) len += (size_t)snprintf(text + len, sizeof text - len, "Namespace %s", ns);
        if (has_code && len < sizeof text)
            len +=
                (size_t)snprintf(text + len, sizeof text - len, "%s%s", len ? ", " : "", code_text);
        if (indicator && len < sizeof text)
            snprintf(text + len, sizeof text - len, "%s%s",
                     !len       ? ""
                     : has_code ? " "
                                : ", ",
                     indicator);
        render_kv(st, "Termination Reason:", text);
    }
    render_strings(st, "Termination Details:", json_object_get(term, "details"));
    render_strings(st, "Termination Reasons:", json_object_get(term, "reasons"));
    const char *by = jstr(term, "byProc");
    long long by_pid;
    if (by) {
        if (jint(term, "byPid", &by_pid))
            render_line(st, "%-22s %s [%lld]", "Terminating Process:", by, by_pid);
        else
            render_kv(st, "Terminating Process:", by);
    }
}

static const char *image_name(const json_t *images, long long index)
{
    if (!json_is_array(images) || index < 0 || (size_t)index >= json_array_size(images))
        return "???";
    const json_t *img = json_array_get(images, (size_t)index);
    const char *name = jstr(img, "name");
    if (name && name[0]) return name;
    const char *path = jstr(img, "path");
    if (path && path[0]) {
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
    }
    return "???";
}

static void render_crashed_thread(ips_state *st, const json_t *body)
{
    const json_t *threads = json_object_get(body, "threads");
    if (!json_is_array(threads) || json_array_size(threads) == 0) return;
    long long index = -1;
    if (!jint(body, "faultingThread", &index)) {
        size_t i;
        const json_t *t;
        json_array_foreach(threads, i, t)
        {
            if (json_is_true(json_object_get(t, "triggered"))) {
                index = (long long)i;
                break;
            }
        }
    }
    if (index < 0 || (size_t)index >= json_array_size(threads)) return;
    const json_t *thread = json_array_get(threads, (size_t)index);
    const char *name = jstr(thread, "name");
    const char *queue = jstr(thread, "queue");
    if (name && name[0])
        render_line(st, "Thread %lld Crashed:: %s", index, name);
    else if (queue && queue[0])
        render_line(st, "Thread %lld Crashed::  Dispatch queue: %s", index, queue);
    else
        render_line(st, "Thread %lld Crashed:", index);
    const json_t *frames = json_object_get(thread, "frames");
    const json_t *images = json_object_get(body, "usedImages");
    size_t i;
    const json_t *frame;
    json_array_foreach(frames, i, frame)
    {
        if (i >= IPS_FRAMES_SHOWN) break;
        long long image_index = -1, location = 0, offset = 0;
        jint(frame, "imageIndex", &image_index);
        const char *image = image_name(images, image_index);
        const char *symbol = jstr(frame, "symbol");
        if (symbol) {
            jint(frame, "symbolLocation", &location);
            render_line(st, "%zu   %s   %s + %lld", i, image, symbol, location);
        } else {
            jint(frame, "imageOffset", &offset);
            render_line(st, "%zu   %s   0x%llx", i, image, (unsigned long long)offset);
        }
    }
}

/* "asi": {"libsystem_c.dylib": ["abort() called"], ...} */
static void render_asi(ips_state *st, const json_t *asi)
{
    if (json_is_string(asi) || json_is_array(asi)) {
        render_strings(st, "Application Specific Information:", asi);
        return;
    }
    if (!json_is_object(asi)) return;
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)asi, key, value)
    {
        (void)key;
        render_strings(st, "Application Specific Information:", value);
    }
}

static void render_body(ips_state *st, const json_t *body)
{
    const ips_header *h = &st->header;
    long long n;
    const char *proc = jstr(body, "procName");
    if (proc) {
        if (jint(body, "pid", &n))
            render_line(st, "%-22s %s [%lld]", "Process:", proc, n);
        else
            render_kv(st, "Process:", proc);
    }
    const char *path = jstr(body, "procPath");
    if (path) render_kv(st, "Path:", path);
    const json_t *bundle = json_object_get(body, "bundleInfo");
    const char *bundle_id = jstr(bundle, "CFBundleIdentifier");
    if (!bundle_id && h->present && h->bundle_id[0]) bundle_id = h->bundle_id;
    if (bundle_id) render_kv(st, "Identifier:", bundle_id);
    const char *short_version = jstr(bundle, "CFBundleShortVersionString");
    const char *version = jstr(bundle, "CFBundleVersion");
    if (short_version || version)
        render_line(st, "%-22s %s (%s)", "Version:", short_version ? short_version : "???",
                    version ? version : "???");
    const char *parent = jstr(body, "parentProc");
    if (parent) {
        if (jint(body, "parentPid", &n))
            render_line(st, "%-22s %s [%lld]", "Parent Process:", parent, n);
        else
            render_kv(st, "Parent Process:", parent);
    }
    const char *responsible = jstr(body, "responsibleProc");
    if (responsible) {
        if (jint(body, "responsiblePid", &n))
            render_line(st, "%-22s %s [%lld]", "Responsible:", responsible, n);
        else
            render_kv(st, "Responsible:", responsible);
    }
    const char *capture = jstr(body, "captureTime");
    if (capture)
        render_kv(st, "Date/Time:", capture);
    else if (h->present && h->timestamp[0])
        render_kv(st, "Date/Time:", h->timestamp);
    const char *launch = jstr(body, "procLaunch");
    if (launch) render_kv(st, "Launch Time:", launch);
    const json_t *os = json_object_get(body, "osVersion");
    const char *train = jstr(os, "train"), *build = jstr(os, "build");
    if (train)
        render_line(st, "%-22s %s (%s)", "OS Version:", train, build ? build : "?");
    else if (h->present && h->os_version[0])
        render_kv(st, "OS Version:", h->os_version);
    const char *cpu = jstr(body, "cpuType");
    if (cpu)
        render_line(st, "%-22s %s (%s)", "Code Type:", cpu,
                    json_is_true(json_object_get(body, "translated")) ? "Translated" : "Native");

    render_exception(st, json_object_get(body, "exception"));
    render_termination(st, json_object_get(body, "termination"));

    const char *signing_id = jstr(body, "codeSigningID");
    if (signing_id) render_kv(st, "Code Signing ID:", signing_id);
    const char *team_id = jstr(body, "codeSigningTeamID");
    if (team_id) render_kv(st, "Code Signing Team ID:", team_id);
    if (jint(body, "codeSigningFlags", &n)) render_cs_flags(st, (unsigned long long)n);
    if (jint(body, "codeSigningValidationCategory", &n))
        render_line(st, "%-22s %lld", "Code Signing Validation Category:", n);
    if (jint(body, "codeSigningTrustLevel", &n))
        render_line(st, "%-22s %lld", "Code Signing Trust Level:", n);

    const char *triage = jstr(body, "ktriageinfo");
    if (triage) render_kv(st, "Kernel Triage:", triage);
    if (path && strstr(path, "/AppTranslocation/")) render_kv(st, "Notes:", "Translocated Process");
    render_crashed_thread(st, body);
    render_asi(st, json_object_get(body, "asi"));
}

/* ---- emitting --------------------------------------------------------- */

static void add_extra(te_event *ev, const char *key, const char *value)
{
    if (value && value[0]) te_event_add_extra(ev, key, te_str_cstr(value));
}

static void emit_rendered(ips_state *st, const json_t *body, uint64_t first, uint64_t last)
{
    te_event *ev = &st->event;
    const ips_header *h = &st->header;
    const char *proc = jstr(body, "procName");
    const char *bundle_id = jstr(json_object_get(body, "bundleInfo"), "CFBundleIdentifier");
    if (!bundle_id && h->present && h->bundle_id[0]) bundle_id = h->bundle_id;
    long long pid = -1;
    st->pid_text[0] = '\0';
    if (jint(body, "pid", &pid))
        snprintf(st->pid_text, sizeof st->pid_text, "%lld", pid);
    else
        pid = -1;
    te_time t;
    bool has_time = false;
    const char *capture = jstr(body, "captureTime");
    if (capture && te_time_parse(te_str_cstr(capture), &t) > 0)
        has_time = true;
    else if (h->present && te_time_parse(te_str_cstr(h->timestamp), &t) > 0)
        has_time = true;
    else if (jstr(body, "procLaunch") &&
             te_time_parse(te_str_cstr(jstr(body, "procLaunch")), &t) > 0)
        has_time = true; /* a fragment without the capture time */

    for (size_t i = 0; i < st->n_rendered; i++) {
        te_event_reset(ev);
        ev->line = first;
        ev->line_end = last;
        ev->type = te_str_cstr("crash");
        ev->message = te_str_make(st->render + st->line_off[i], st->line_len[i]);
        if (proc) ev->process = te_str_cstr(proc);
        ev->pid = pid;
        if (has_time) {
            ev->has_time = true;
            ev->has_date = t.has_date;
            ev->has_offset = t.has_offset;
            ev->time_us = t.us;
            ev->utc_offset_min = t.offset_min;
        }
        add_extra(ev, "pid", st->pid_text);
        add_extra(ev, "path", jstr(body, "procPath"));
        add_extra(ev, "bundle_id", bundle_id);
        add_extra(ev, "parent", jstr(body, "parentProc"));
        add_extra(ev, "responsible", jstr(body, "responsibleProc"));
        add_extra(ev, "team_id", jstr(body, "codeSigningTeamID"));
        add_extra(ev, "signing_id", jstr(body, "codeSigningID"));
        add_extra(ev, "report", "ips");
        st->env->emit(st->env->ctx, ev);
    }
}

static void emit_plain(ips_state *st, te_str line, uint64_t lineno)
{
    te_event *ev = &st->event;
    te_event_reset(ev);
    ev->line = lineno;
    ev->line_end = lineno;
    ev->message = te_str_trim_right(line);
    st->env->summary->lines_in_events++;
    st->env->emit(st->env->ctx, ev);
}

/* ---- documents -------------------------------------------------------- */

/* Parses each top-level member of a broken object on its own and keeps those
 * that parse: what a truncated body or a loose fragment still tells. */
static json_t *recover_members(ips_state *st, const char *text, size_t len)
{
    json_t *out = json_object();
    if (!out) return NULL;
    size_t i = 0;
    while (i < len && text[i] != '{')
        i++;
    i++;
    te_json_scan sc = {1, 1, false, false, false};
    size_t start = i;
    for (; i <= len; i++) {
        bool end = i == len;
        char c = end ? ',' : text[i];
        bool split = end;
        if (!end && !sc.in_string && sc.depth == 1 && (c == ',' || c == '}')) split = true;
        if (split) {
            te_buf_reset(&st->member);
            te_buf_putc(&st->member, '{');
            te_buf_append(&st->member, text + start, i - start);
            te_buf_putc(&st->member, '}');
            json_error_t jerr;
            json_t *one =
                st->member.overflow ? NULL : json_loadb(st->member.data, st->member.len, 0, &jerr);
            if (json_is_object(one)) json_object_update(out, one);
            json_decref(one);
            start = i + 1;
            if (!end && c == '}') break;
            continue;
        }
        te_json_scan_bytes(&sc, &c, 1);
        if (sc.closed) break;
    }
    if (json_object_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static void header_copy(char *dst, size_t cap, const json_t *obj, const char *key)
{
    const char *v = jstr(obj, key);
    te_copy_cstr(dst, cap, te_str_cstr(v ? v : ""));
}

static void doc_reset(ips_state *st)
{
    st->mode = DOC_NONE;
    te_buf_reset(&st->doc);
    memset(&st->scan, 0, sizeof st->scan);
    st->doc_lines = 0;
    st->doc_cut = false;
}

/* Lines of a header whose body never came. */
static void drop_pending_header(ips_state *st)
{
    if (!st->header.present) return;
    te_reader_warn(st->env, st->header.line, "crash report header without a body");
    st->env->summary->lines_meta++;
    st->header.present = false;
}

/* A one-line object with "bug_type": the metadata line of an .ips file. */
static bool take_header(ips_state *st, const json_t *obj, uint64_t lineno)
{
    const json_t *bug = json_object_get(obj, "bug_type");
    if (!bug) return false;
    /* a body re-serialized on one line carries bug_type too */
    if (json_object_get(obj, "procName") || json_object_get(obj, "exception") ||
        json_object_get(obj, "termination") || json_object_get(obj, "threads"))
        return false;
    drop_pending_header(st);
    ips_header *h = &st->header;
    memset(h, 0, sizeof *h);
    if (json_is_string(bug))
        te_copy_cstr(h->bug_type, sizeof h->bug_type, te_str_cstr(json_string_value(bug)));
    else if (json_is_integer(bug))
        snprintf(h->bug_type, sizeof h->bug_type, "%lld", (long long)json_integer_value(bug));
    if (strcmp(h->bug_type, "309") != 0) {
        te_reader_warn(st->env, lineno,
                       "report of bug_type %s is not a crash report (309): skipped",
                       h->bug_type[0] ? h->bug_type : "?");
        st->env->summary->reports_skipped++;
        st->env->summary->lines_meta++;
        st->skipping_other = true;
        return true;
    }
    h->present = true;
    h->line = lineno;
    header_copy(h->app_name, sizeof h->app_name, obj, "app_name");
    header_copy(h->bundle_id, sizeof h->bundle_id, obj, "bundleID");
    header_copy(h->timestamp, sizeof h->timestamp, obj, "timestamp");
    header_copy(h->os_version, sizeof h->os_version, obj, "os_version");
    return true;
}

/* The current document is complete (or the input ended): parse, render, emit. */
static void finish_doc(ips_state *st)
{
    if (st->mode == DOC_NONE) return;
    te_summary *sum = st->env->summary;
    uint64_t first = st->doc_first, last = st->doc_last, lines = st->doc_lines;
    bool header_here = st->header.present;
    json_t *body = NULL;

    if (st->doc_cut || st->scan.max_depth > TE_MAX_JSON_DEPTH) {
        if (!st->doc_cut)
            te_reader_warn(st->env, first,
                           "crash report JSON nested deeper than %u levels: skipped",
                           (unsigned)TE_MAX_JSON_DEPTH);
        /* the record and its metadata line are dropped by a limit */
        sum->lines_cut += lines + (header_here ? 1 : 0);
        sum->records_skipped++;
        st->header.present = false;
        goto done;
    }
    bool closed = st->scan.closed;
    if (st->mode == DOC_FRAGMENT && !closed) {
        /* close the braces we opened: drop a trailing comma first */
        while (st->doc.len > 0 &&
               (is_space(st->doc.data[st->doc.len - 1]) || st->doc.data[st->doc.len - 1] == ','))
            st->doc.len--;
        te_buf_append(&st->doc, "\n}", 2);
    }
    json_error_t jerr;
    memset(&jerr, 0, sizeof jerr);
    if (!st->doc.overflow && (closed || st->mode == DOC_FRAGMENT))
        body = json_loadb(st->doc.data, st->doc.len, JSON_DISABLE_EOF_CHECK, &jerr);
    if (!json_is_object(body)) {
        json_decref(body);
        body = recover_members(st, st->doc.data, st->doc.len);
        if (st->mode == DOC_OBJECT && !closed) {
            /* Damage inside the stream, like a truncated .gz: counted. */
            st->env->summary->input_errors++;
            te_reader_warn(st->env, last, "crash report JSON begun at line %llu breaks off%s",
                           (unsigned long long)first, body ? ": what could be read is kept" : "");
        } else if (!body)
            te_reader_warn(st->env, first, "crash report JSON not understood: %s", jerr.text);
    }
    if (body && st->doc_lines == 1 && st->mode == DOC_OBJECT && take_header(st, body, first))
        goto done;

    render_reset(st);
    if (body) render_body(st, body);
    if (st->n_rendered == 0) {
        if (body) te_reader_warn(st->env, first, "JSON object without crash-report keys: not read");
        sum->lines_not_understood += lines;
        if (header_here) drop_pending_header(st);
        goto done;
    }
    if (header_here) {
        first = st->header.line;
        sum->lines_in_events++; /* the metadata line */
    }
    sum->lines_in_events += lines;
    emit_rendered(st, body, first, last);
    st->header.present = false; /* the header belonged to this body */
done:
    json_decref(body);
    doc_reset(st);
}

static void start_doc(ips_state *st, doc_mode mode, uint64_t lineno)
{
    doc_reset(st);
    st->mode = mode;
    st->doc_first = lineno;
    if (mode == DOC_FRAGMENT) {
        te_buf_append(&st->doc, "{\n", 2);
        st->scan.depth = 1;
        st->scan.max_depth = 1;
    }
}

static void add_doc_line(ips_state *st, te_str line, uint64_t lineno)
{
    st->doc_last = lineno;
    st->doc_lines++;
    te_json_scan_bytes(&st->scan, line.ptr, line.len);
    if (st->doc_cut) return;
    if (!te_buf_append(&st->doc, line.ptr, line.len) || !te_buf_putc(&st->doc, '\n') ||
        st->doc_lines > TE_MAX_RECORD_LINES) {
        te_reader_warn(st->env, lineno,
                       "crash report JSON begun at line %llu is over %u bytes or %u lines: skipped",
                       (unsigned long long)st->doc_first, (unsigned)TE_MAX_RECORD_BYTES,
                       (unsigned)TE_MAX_RECORD_LINES);
        st->doc_cut = true;
        te_buf_reset(&st->doc);
    }
}

static bool looks_like_header(te_str t)
{
    return t.len > 0 && t.ptr[0] == '{' && te_str_find(t, "\"bug_type\"", 10) >= 0;
}

/* ---- reader callbacks -------------------------------------------------- */

static void *ips_create(const te_reader_env *env)
{
    ips_state *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->env = env;
    te_buf_init(&st->doc, TE_MAX_RECORD_BYTES);
    te_buf_init(&st->member, TE_MAX_RECORD_BYTES);
    return st;
}

static void ips_line(void *state, te_str line, uint64_t lineno)
{
    ips_state *st = state;
    te_str t = te_str_trim(line);

    if (st->skipping_other) {
        if (!looks_like_header(t)) {
            st->env->summary->lines_meta++;
            return;
        }
        st->skipping_other = false;
    }
    if (st->mode != DOC_NONE && st->scan.depth == 1 && !st->scan.in_string) {
        /* At the top level of a body only members and closers continue it
         * (blank lines too, inside braces): anything else means the body
         * broke off (a truncated file followed by more text). */
        bool more = te_json_member_key(t, NULL) ||
                    (t.len > 0 && (t.ptr[0] == '}' || t.ptr[0] == ']')) ||
                    (t.len == 0 && st->mode == DOC_OBJECT);
        if (!more) finish_doc(st);
    }
    if (st->mode != DOC_NONE) {
        add_doc_line(st, line, lineno);
        if (st->scan.closed) finish_doc(st);
        return;
    }
    if (t.len == 0) {
        st->env->summary->lines_meta++;
        return;
    }
    if (t.ptr[0] == '{') {
        start_doc(st, DOC_OBJECT, lineno);
        add_doc_line(st, line, lineno);
        if (st->scan.closed) finish_doc(st);
        return;
    }
    if (te_json_member_key(t, NULL)) {
        start_doc(st, DOC_FRAGMENT, lineno);
        add_doc_line(st, line, lineno);
        if (st->scan.closed) finish_doc(st);
        return;
    }
    emit_plain(st, line, lineno);
}

static void ips_flush(void *state)
{
    ips_state *st = state;
    finish_doc(st);
    drop_pending_header(st);
}

static void ips_destroy(void *state)
{
    ips_state *st = state;
    if (!st) return;
    te_buf_free(&st->doc);
    te_buf_free(&st->member);
    free(st->render);
    free(st);
}

/* ---- sniff -------------------------------------------------------------- */

static int ips_sniff(const te_str *lines, size_t n_lines, char *why, size_t why_cap)
{
    static const char *const body_keys[] = {
        "procName",          "procPath",
        "parentProc",        "responsibleProc",
        "codeSigningFlags",  "codeSigningID",
        "codeSigningTeamID", "codeSigningValidationCategory",
        "exception",         "termination",
        "ktriageinfo",       "faultingThread",
        "usedImages",        "captureTime",
        "procLaunch",        "bundleInfo",
        "crashReporterKey",  "codeSigningTrustLevel",
    };
    int score = 0;
    const char *reason = "no .ips metadata line or body keys";
    size_t keys = 0, first = 0;
    while (first < n_lines && te_str_trim(lines[first]).len == 0)
        first++;
    if (first < n_lines && looks_like_header(te_str_trim(lines[first]))) {
        score = 95;
        reason = "first line is .ips metadata JSON with \"bug_type\"";
        goto done;
    }
    for (size_t i = 0; i < n_lines; i++) {
        te_str t = te_str_trim(lines[i]), key;
        if (t.len && t.ptr[0] == '{') {
            t.ptr++;
            t.len--;
            t = te_str_trim(t);
        }
        if (!te_json_member_key(t, &key)) continue;
        for (size_t k = 0; k < sizeof body_keys / sizeof body_keys[0]; k++)
            if (te_str_eq_cstr(key, body_keys[k])) keys++;
    }
    if (keys >= 3) {
        score = 90;
        reason = "crash report JSON body keys (procName, exception, termination, ...)";
    } else if (keys == 2) {
        score = 85;
        reason = "crash report JSON fragment (exception/termination members)";
    } else if (keys == 1) {
        score = 50;
        reason = "one crash report JSON member";
    }
done:
    if (why && why_cap) snprintf(why, why_cap, "%s", reason);
    return score;
}

const te_reader_ops te_reader_crash_ips = {
    "crash-ips", ".ips crash report (JSON metadata line + body, or a body fragment)",
    ips_sniff,   ips_create,
    ips_line,    ips_flush,
    ips_destroy,
};
