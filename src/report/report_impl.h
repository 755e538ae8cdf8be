/* Private interface between the reporter front end (report.c) and the
 * format writers (text.c, json.c, markdown.c) and redaction (redact.c).
 * Every writer works on a "clean" copy of an incident: valid UTF-8, no NUL,
 * redacted when asked, so no writer has to think about hostile bytes. */
#ifndef TE_REPORT_IMPL_H
#define TE_REPORT_IMPL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "tediag/report.h"
#include "util/text.h"

/* ---- UTF-8 ------------------------------------------------------------- */

/* Appends s to out with invalid UTF-8 sequences and NUL bytes replaced by
 * U+FFFD. False when the buffer refuses the bytes. */
bool te_report_utf8_clean(te_buf *out, const char *s, size_t len);
/* Length in bytes of the valid UTF-8 sequence starting at s (1 for ASCII);
 * 0 when s does not start a valid sequence. */
size_t te_report_utf8_seq(const unsigned char *s, size_t len);
/* Number of code points of a valid UTF-8 string of len bytes. */
size_t te_report_utf8_width(const char *s, size_t len);

/* ---- redaction ----------------------------------------------------------- */

typedef struct te_redactor te_redactor;

te_redactor *te_redactor_new(void);
void te_redactor_free(te_redactor *r);
/* Appends a redacted copy of the valid UTF-8 text s to out: user names in
 * home paths, e-mail addresses, host and computer names, serial numbers and
 * IP addresses become stable placeholders (<user1>, <email1>, <host1>,
 * <serial1>, <ip1>). False on allocation failure. */
bool te_redact_append(te_redactor *r, te_buf *out, const char *s, size_t len);

/* ---- clean incident copies ---------------------------------------------- */

typedef struct te_report_block te_report_block;

/* Owns every string and array of a cleaned incident. */
typedef struct te_clean_incident {
    te_incident incident; /* all pointers point into the blocks below */
    te_report_block *blocks;
    te_buf scratch;  /* reused while cleaning */
    te_buf scratch2; /* reused while redacting */
} te_clean_incident;

/* Deep-copies `in` into `out` with every string cleaned (and redacted when
 * redactor is not NULL). NULL subject strings stay NULL; other NULL strings
 * become "". False on allocation failure (out is then freed). */
bool te_report_clean_incident(const te_incident *in, te_redactor *redactor, te_clean_incident *out);
void te_report_clean_free(te_clean_incident *c);

/* ---- shared helpers for the writers ------------------------------------- */

const char *te_report_severity_name(te_severity severity);
/* True when s is NULL or "". */
bool te_report_empty(const char *s);
/* ISO 8601 with offset into buf (>= 40 bytes). */
void te_report_format_time(int64_t us, int32_t offset_min, char *buf, size_t cap);

/* One line of the evidence timeline: evidence in time order (untimed lines
 * stay after the line they followed), with the time relative to the first
 * timed line ("+0.000s", "+0.218ms", "+1.234s") or "" when untimed. */
typedef struct te_timeline_row {
    const te_evidence *evidence;
    char relative[32];
} te_timeline_row;

/* Fills rows (n_evidence entries, caller-allocated) and returns whether any
 * evidence has a time. */
bool te_report_timeline(const te_incident *incident, te_timeline_row *rows);
/* "process(pid)", "process", "pid 12" or "" into buf. */
void te_report_process_label(const char *process, int64_t pid, char *buf, size_t cap);

/* Appends s with terminal-unsafe characters made visible: tab becomes a
 * space, other C0 controls, DEL and C1 controls become \xNN / \uNNNN. */
bool te_report_put_safe(te_buf *out, const char *s, size_t len);

/* printf into a te_buf; false on overflow. */
bool te_buf_printf(te_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool te_buf_puts(te_buf *b, const char *s)
{
    return te_buf_append(b, s, strlen(s));
}

/* ---- the formats --------------------------------------------------------- */

/* Incident as a JSON object (from a clean incident). NULL on failure. */
json_t *te_report_incident_json(const te_incident *clean);
json_t *te_report_summary_json(const te_summary *summary);
/* Dumps a JSON value (flags as json_dumps) and appends it to out. */
bool te_report_json_append(te_buf *out, const json_t *value, size_t flags);

/* Text: one incident block; `first` suppresses the blank separator line. */
bool te_report_text_incident(te_buf *out, const te_incident *clean, bool color, bool first);
/* Text: the run summary block; `not_written` incidents the reporter lost. */
bool te_report_text_summary(te_buf *out, const te_summary *summary, size_t not_written);

/* Markdown: document title, one incident section (1-based number), summary. */
bool te_report_markdown_header(te_buf *out);
bool te_report_markdown_incident(te_buf *out, const te_incident *clean, size_t number);
bool te_report_markdown_summary(te_buf *out, const te_summary *summary, size_t n_incidents,
                                size_t not_written);

/* The limit/skip counters of a summary, named for humans ("N <name>"). */
typedef struct te_summary_counter {
    uint64_t value;
    const char *name;
} te_summary_counter;
/* Fills out (at least 16 entries) with the non-zero counters; returns their count. */
size_t te_report_summary_counters(const te_summary *s, te_summary_counter *out);

#endif
