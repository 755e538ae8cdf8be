/* Timestamp parsing for the formats macOS prints. All results are
 * microseconds since the Unix epoch in UTC plus the offset that was printed. */
#ifndef TE_TIMEPARSE_H
#define TE_TIMEPARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "tediag/tediag.h"

typedef struct te_time {
    int64_t us;         /* UTC microseconds since the epoch */
    int32_t offset_min; /* offset printed with the time (0 when none) */
    bool has_offset;
    bool has_date; /* false for "HH:MM:SS" forms: us counts from day 0 */
} te_time;

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t te_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Parses at the start of s and returns the number of bytes consumed (0 when
 * s does not start with a timestamp). Accepted forms:
 *   2024-01-10 14:36:03.306061-0800   (log default/syslog/json; offset optional)
 *   2024-01-10 14:36:03.306061 -0800  (Console copy: space before offset)
 *   2022-11-14 13:21:14.972           (compact: no offset)
 *   2024-01-10T14:36:03Z / .147Z / +01:00 (ISO 8601, notarytool, .ips)
 *   2016-09-29 10:31:49.975 -0300     (crash reports)
 *   10:23:02.726078+0800 / 10:23:02   (time only: has_date false)
 * Fractions of any length are accepted and truncated to microseconds. */
size_t te_time_parse(te_str s, te_time *out);

/* Formats us (+offset) as ISO 8601 with offset: 2024-01-10T14:36:03.306061-08:00.
 * buf needs 40 bytes. */
void te_time_format_iso(int64_t us, int32_t offset_min, char *buf, size_t cap);

#endif
