/* Parsing of the timestamps macOS tools print (see timeparse.h). */
#include <stdio.h>
#include <string.h>

#include "util/timeparse.h"

int64_t te_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's days_from_civil. */
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(te_str s, size_t at, size_t n, int *out)
{
    if (at + n > s.len) return false;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s.ptr[at + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
}

/* Parses "HH:MM:SS[.frac]" at pos; returns bytes consumed or 0. */
static size_t parse_clock(te_str s, size_t pos, int64_t *us_of_day)
{
    int hh, mm, ss;
    if (!digits(s, pos, 2, &hh) || pos + 2 >= s.len || s.ptr[pos + 2] != ':' ||
        !digits(s, pos + 3, 2, &mm) || pos + 5 >= s.len || s.ptr[pos + 5] != ':' ||
        !digits(s, pos + 6, 2, &ss))
        return 0;
    if (hh > 23 || mm > 59 || ss > 60) return 0;
    size_t i = pos + 8;
    int64_t frac = 0;
    if (i < s.len && (s.ptr[i] == '.' || s.ptr[i] == ',')) {
        size_t j = i + 1, n = 0;
        while (j < s.len && s.ptr[j] >= '0' && s.ptr[j] <= '9') {
            if (n < 6) frac = frac * 10 + (s.ptr[j] - '0');
            n++;
            j++;
        }
        if (n == 0) return 0;
        for (; n < 6; n++)
            frac *= 10;
        i = j;
    }
    *us_of_day = ((int64_t)hh * 3600 + mm * 60 + ss) * 1000000LL + frac;
    return i - pos;
}

/* Parses an offset "+HHMM", "-HH:MM", "Z", "GMT+8" at pos. */
static size_t parse_offset(te_str s, size_t pos, int32_t *minutes)
{
    if (pos < s.len && s.ptr[pos] == 'Z') {
        *minutes = 0;
        return 1;
    }
    size_t i = pos;
    if (i + 3 <= s.len && s.ptr[i] == 'G' && s.ptr[i + 1] == 'M' && s.ptr[i + 2] == 'T') {
        i += 3;
        if (i >= s.len || (s.ptr[i] != '+' && s.ptr[i] != '-')) {
            *minutes = 0;
            return 3;
        }
        int sign = s.ptr[i] == '-' ? -1 : 1, h = 0, n = 0;
        i++;
        while (i < s.len && n < 2 && s.ptr[i] >= '0' && s.ptr[i] <= '9') {
            h = h * 10 + (s.ptr[i] - '0');
            i++;
            n++;
        }
        if (n == 0) return 0;
        *minutes = sign * h * 60;
        return i - pos;
    }
    if (i >= s.len || (s.ptr[i] != '+' && s.ptr[i] != '-')) return 0;
    int sign = s.ptr[i] == '-' ? -1 : 1, hh, mm;
    i++;
    if (!digits(s, i, 2, &hh)) return 0;
    i += 2;
    if (i < s.len && s.ptr[i] == ':') i++;
    if (!digits(s, i, 2, &mm)) return 0;
    i += 2;
    if (hh > 23 || mm > 59) return 0;
    *minutes = sign * (hh * 60 + mm);
    return i - pos;
}

/* Value of the n digits at p, or -1 when one is not a digit. */
static int fixed_digits(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned d = (unsigned)(p[i] - '0');
        if (d > 9) return -1;
        v = v * 10 + (int)d;
    }
    return v;
}

/* "2024-01-10 14:36:03.306061-0800", the form `log` prints on every line,
 * in one pass: the same result as the general path of te_time_parse (which
 * is taken for anything else, and when a field is out of range). Lines of a
 * log come many to a second: the date and time to the second, and the
 * offset, are remembered (per thread) from the previous call. */
typedef struct log_form_cache {
    bool valid;
    char second[19]; /* "2024-01-10 14:36:03" */
    int64_t second_us;
    bool offset_valid;
    char offset[5]; /* "-0800" */
    int32_t offset_min;
} log_form_cache;

static _Thread_local log_form_cache form_cache;

/* The thread's cache, its address computed once per call (in a shared
 * library each direct access to a thread-local may cost a __tls_get_addr). */
static __attribute__((noinline)) log_form_cache *thread_cache(void)
{
    return &form_cache;
}

static size_t parse_log_form(te_str s, te_time *out)
{
    const char *p = s.ptr;
    if (s.len < 31 || p[19] != '.' || (p[26] != '+' && p[26] != '-')) return 0;
    log_form_cache *cache = thread_cache();
    if (!cache->valid || memcmp(p, cache->second, sizeof cache->second) != 0) {
        if (p[4] != '-' || p[7] != '-' || (p[10] != ' ' && p[10] != 'T') || p[13] != ':' ||
            p[16] != ':')
            return 0;
        int y = fixed_digits(p, 4), mo = fixed_digits(p + 5, 2), d = fixed_digits(p + 8, 2);
        int hh = fixed_digits(p + 11, 2), mm = fixed_digits(p + 14, 2);
        int ss = fixed_digits(p + 17, 2);
        if ((y | mo | d | hh | mm | ss) < 0) return 0;
        static const int days_in_month[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (mo < 1 || mo > 12 || d < 1 || d > days_in_month[mo - 1] ||
            (mo == 2 && d == 29 && !leap) || hh > 23 || mm > 59 || ss > 60)
            return 0;
        memcpy(cache->second, p, sizeof cache->second);
        cache->second_us = te_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400000000LL +
                           ((int64_t)hh * 3600 + mm * 60 + ss) * 1000000LL;
        cache->valid = true;
    }
    if (!cache->offset_valid || memcmp(p + 26, cache->offset, sizeof cache->offset) != 0) {
        int oh = fixed_digits(p + 27, 2), om = fixed_digits(p + 29, 2);
        if ((oh | om) < 0 || oh > 23 || om > 59) return 0;
        memcpy(cache->offset, p + 26, sizeof cache->offset);
        cache->offset_min = (p[26] == '-' ? -1 : 1) * (oh * 60 + om);
        cache->offset_valid = true;
    }
    int frac = fixed_digits(p + 20, 6);
    if (frac < 0) return 0;
    out->us = cache->second_us + frac - (int64_t)cache->offset_min * 60000000LL;
    out->offset_min = cache->offset_min;
    out->has_offset = true;
    out->has_date = true;
    return 31;
}

size_t te_time_parse(te_str s, te_time *out)
{
    size_t fast = parse_log_form(s, out);
    if (fast) return fast;
    te_time t = {0, 0, false, false};
    int y, mo, d;
    size_t i = 0;
    int64_t us_of_day = 0;
    if (digits(s, 0, 4, &y) && s.len > 10 && s.ptr[4] == '-' && digits(s, 5, 2, &mo) &&
        s.ptr[7] == '-' && digits(s, 8, 2, &d) && (s.ptr[10] == ' ' || s.ptr[10] == 'T')) {
        static const int days_in_month[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (mo < 1 || mo > 12 || d < 1 || d > days_in_month[mo - 1] ||
            (mo == 2 && d == 29 && !leap))
            return 0;
        size_t n = parse_clock(s, 11, &us_of_day);
        if (n == 0) return 0;
        i = 11 + n;
        t.has_date = true;
        t.us = te_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400000000LL + us_of_day;
    } else {
        size_t n = parse_clock(s, 0, &us_of_day);
        if (n == 0) return 0;
        i = n;
        t.us = us_of_day;
    }
    int32_t off = 0;
    size_t n = parse_offset(s, i, &off);
    /* after a space only a signed or GMT offset ("… -0800", "… GMT+8"): a
     * lone "Z" there is the start of the next word */
    if (n == 0 && i + 1 < s.len && s.ptr[i] == ' ' && s.ptr[i + 1] != 'Z') {
        n = parse_offset(s, i + 1, &off);
        if (n) n += 1;
    }
    if (n) {
        t.has_offset = true;
        t.offset_min = off;
        t.us -= (int64_t)off * 60000000LL;
        i += n;
    }
    *out = t;
    return i;
}

void te_time_format_iso(int64_t us, int32_t offset_min, char *buf, size_t cap)
{
    int64_t local = us + (int64_t)offset_min * 60000000LL;
    int64_t days = local >= 0 ? local / 86400000000LL : -((-local + 86399999999LL) / 86400000000LL);
    int64_t rem = local - days * 86400000000LL;
    /* civil_from_days */
    int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    int64_t secs = rem / 1000000LL;
    int frac = (int)(rem % 1000000LL);
    int off = offset_min < 0 ? -offset_min : offset_min;
    snprintf(buf, cap, "%04lld-%02u-%02uT%02d:%02d:%02d.%06d%c%02d:%02d", (long long)y, m, d,
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), frac,
             offset_min < 0 ? '-' : '+', off / 60, off % 60);
}
