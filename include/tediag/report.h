/* tediag output formats: text, json, ndjson and markdown writers for
 * incidents and the run summary. The JSON object of an incident is the
 * contract that support tooling builds on (documented in README.md). */
#ifndef TEDIAG_REPORT_H
#define TEDIAG_REPORT_H

#include <stdio.h>

#include "tediag/tediag.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum te_report_format {
    TE_REPORT_TEXT = 0,
    TE_REPORT_JSON,
    TE_REPORT_NDJSON,
    TE_REPORT_MARKDOWN
} te_report_format;

TE_API bool te_report_format_parse(const char *name, te_report_format *out);

typedef struct te_report_options {
    te_report_format format;
    bool color;  /* ANSI colour (text only) */
    bool redact; /* replace user names, e-mail, hosts, serials, IPs by placeholders */
} te_report_options;

typedef struct te_reporter te_reporter;

/* A reporter writes incidents as they arrive (text, ndjson, markdown) or
 * collects them for one document (json). */
TE_API te_reporter *te_reporter_new(FILE *out, const te_report_options *options);
TE_API void te_reporter_incident(te_reporter *r, const te_incident *incident);
/* Writes the run summary: into the document (json, markdown), or nothing for
 * ndjson. For text, the summary goes to `summary_out` (stderr by the CLI);
 * summary_out NULL means no text summary (--quiet). */
TE_API void te_reporter_finish(te_reporter *r, const te_summary *summary, FILE *summary_out);
TE_API void te_reporter_free(te_reporter *r);

/* The JSON object of one incident as a malloc'd NUL-terminated string
 * (compact, one line). NULL on allocation failure. */
TE_API char *te_incident_to_json(const te_incident *incident, bool redact);

/* A deep copy of an incident in one allocation, to keep it beyond the
 * callback; release it with te_incident_free. NULL on allocation failure. */
TE_API te_incident *te_incident_clone(const te_incident *incident);
TE_API void te_incident_free(te_incident *incident);

/* The NDJSON object of one event, as `tediag events` prints it: source
 * ("file:line"), time (ISO 8601 with offset, or null), type, process, pid,
 * thread, sender, subsystem, category, message. malloc'd, one line. */
TE_API char *te_event_to_json(const te_event *event);

#ifdef __cplusplus
}
#endif

#endif
