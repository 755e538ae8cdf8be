/* Line parsers of the `log show` / `log stream` text styles, shared by the
 * log text readers (log_text.c) and the loose reader (loose.c). */
#ifndef TE_LOG_TEXT_H
#define TE_LOG_TEXT_H

#include "input/reader.h"

/* Whether the default style carries the TTL column (modern) or not (2017). */
typedef enum te_ttl_mode { TE_TTL_UNKNOWN = 0, TE_TTL_YES, TE_TTL_NO } te_ttl_mode;

/* Lines of `log` output that are not entries. */
typedef enum te_log_meta {
    TE_LOG_META_NONE = 0,
    TE_LOG_META_PREAMBLE,       /* Filtering the log data using "…" / Skipping … */
    TE_LOG_META_HEADER_TTL,     /* default-style column header with TTL */
    TE_LOG_META_HEADER_NO_TTL,  /* default-style column header without TTL */
    TE_LOG_META_HEADER_SYSLOG,  /* Timestamp (process)[PID] */
    TE_LOG_META_HEADER_COMPACT, /* Timestamp Ty Process[PID:TID] */
    TE_LOG_META_RULE,           /* the dashed rule before log show's summary */
    TE_LOG_META_SUMMARY,        /* Log - Default: …, Activity - Create: … */
} te_log_meta;

te_log_meta te_log_meta_kind(te_str line);

/* Each parser checks whether `line` is an entry of its style. On success it
 * fills the column fields of `event` (views into line, or static strings)
 * and returns the offset where the message column starts; -1 otherwise.
 * For the default style the message column still holds "process: …"
 * (pass has_process = true to te_parse_composed_message); for syslog and
 * compact the process is taken from the columns. */
long te_log_parse_default(te_str line, te_ttl_mode ttl, te_event *event);
long te_log_parse_syslog(te_str line, te_event *event);
long te_log_parse_compact(te_str line, te_event *event);

/* Parses a leading timestamp the way log entries print it: te_time_parse,
 * plus the 3-digit offset ("-500") seen in hand-edited copies. Returns the
 * bytes consumed (0: none) and fills the event's time fields. */
size_t te_log_parse_time(te_str line, te_event *event);

/* Heuristic helpers shared with the loose reader. */
bool te_log_is_blank(te_str line);

#endif
