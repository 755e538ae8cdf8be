/* Redaction of personal data in reports: user names in home paths, e-mail
 * addresses, host and computer names, hardware serial numbers, IP addresses
 * and the person named by a signing certificate ("Apple Development: Jane
 * Doe (TEAMID)") become placeholders that stay the same for the same value
 * within one run (<user1>, <email1>, <host1>, <serial1>, <ip1>, <person1>). What a diagnosis
 * needs stays: bundle ids, Team IDs, entitlement names, system paths and
 * version numbers. One left-to-right scan; every detector looks at a bounded
 * window or at the start of a token only, so the cost is linear. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/limits.h"
#include "report/report_impl.h"

typedef enum redact_kind {
    KIND_USER,
    KIND_EMAIL,
    KIND_HOST,
    KIND_SERIAL,
    KIND_IP,
    KIND_PERSON,
    KIND_COUNT
} redact_kind;

static const char *const kind_names[KIND_COUNT] = {"user",   "email", "host",
                                                   "serial", "ip",    "person"};

typedef struct redact_entry {
    redact_kind kind;
    unsigned number;
    char *value; /* normalized value */
} redact_entry;

struct te_redactor {
    redact_entry *entries;
    size_t n, cap;
    unsigned next[KIND_COUNT];
};

te_redactor *te_redactor_new(void)
{
    return calloc(1, sizeof(te_redactor));
}

void te_redactor_free(te_redactor *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n; i++)
        free(r->entries[i].value);
    free(r->entries);
    free(r);
}

/* Number of the placeholder of (kind, value); 0 when the table is full or
 * out of memory (the value is still hidden, only without a number). */
static unsigned placeholder_number(te_redactor *r, redact_kind kind, const char *value)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->entries[i].kind == kind && strcmp(r->entries[i].value, value) == 0)
            return r->entries[i].number;
    if (r->n >= TE_MAX_REDACT_VALUES) return 0;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        redact_entry *e = realloc(r->entries, cap * sizeof *e);
        if (!e) return 0;
        r->entries = e;
        r->cap = cap;
    }
    char *copy = strdup(value);
    if (!copy) return 0;
    unsigned number = ++r->next[kind];
    r->entries[r->n++] = (redact_entry){kind, number, copy};
    return number;
}

/* ---- character classes ---------------------------------------------------- */

static bool is_alnum(char c)
{
    return isascii((unsigned char)c) && isalnum((unsigned char)c);
}
static bool is_upper_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
static bool is_hex(char c)
{
    return isascii((unsigned char)c) && isxdigit((unsigned char)c);
}
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static bool is_user_char(char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '-';
}
static bool is_email_local_char(char c)
{
    return is_alnum(c) || strchr("._%+-", c) != NULL;
}
static bool is_host_char(char c)
{
    return is_alnum(c) || c == '.' || c == '-' || c == '_';
}

static bool has_prefix_ci(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* ---- detectors -------------------------------------------------------------
 * Each looks at s[i..len) and on a hit fills a match: `keep` bytes copied as
 * they are, then `value` bytes replaced by the placeholder of `key`. */

#define KEY_MAX 256

typedef struct redact_match {
    redact_kind kind;
    size_t keep;
    size_t value;
    char key[KEY_MAX];
} redact_match;

static void set_key(redact_match *m, const char *s, size_t len, bool lower)
{
    if (len >= KEY_MAX) len = KEY_MAX - 1;
    for (size_t i = 0; i < len; i++)
        m->key[i] = lower ? (char)tolower((unsigned char)s[i]) : s[i];
    m->key[len] = '\0';
}

/* /Users/NAME (the name up to the next '/' or non-name character). */
static bool match_home(const char *s, size_t len, size_t i, redact_match *m)
{
    static const char prefix[] = "/Users/";
    const size_t n = sizeof prefix - 1;
    if (!has_prefix_ci(s + i, len - i, prefix)) return false;
    size_t j = i + n;
    while (j < len && is_user_char(s[j]))
        j++;
    size_t name = j - (i + n);
    if (name == 0 || s[i + n] == '.') return false;
    if (name == 6 && strncmp(s + i + n, "Shared", 6) == 0) return false;
    m->kind = KIND_USER;
    m->keep = n;
    m->value = name;
    set_key(m, s + i + n, name, false);
    return true;
}

/* Separators between a key ("Serial Number", "hostname") and its value. */
static size_t skip_separators(const char *s, size_t len, size_t j, size_t max, bool *assign)
{
    size_t start = j;
    while (j < len && j - start < max && strchr(" \t:=\"'", s[j])) {
        if (s[j] == ':' || s[j] == '=') *assign = true;
        j++;
    }
    return j - start;
}

/* "Serial Number: C02XK0AAJGH5", "IOPlatformSerialNumber" = "...",
 * "serial=...": 10-12 upper-case alphanumerics after a serial key. */
static bool match_serial(const char *s, size_t len, size_t i, redact_match *m)
{
    if (!has_prefix_ci(s + i, len - i, "serial")) return false;
    /* inside a word only as camel case ("IOPlatformSerialNumber", not "deserialize") */
    if (i > 0 && isalpha((unsigned char)s[i - 1]) && s[i] != 'S') return false;
    size_t after = i + 6;
    /* the rest of the key: " Number", "Number", "_number", " Number (system)" */
    for (size_t k = 0; k <= 20 && after + k <= len; k++) {
        if (k > 0 &&
            !(isalpha((unsigned char)s[after + k - 1]) || strchr(" _()-", s[after + k - 1])))
            break;
        bool assign = false;
        size_t sep = skip_separators(s, len, after + k, 6, &assign);
        if (sep == 0) continue;
        size_t v = after + k + sep, j = v;
        while (j < len && is_upper_alnum(s[j]))
            j++;
        size_t n = j - v;
        if (n < 10 || n > 12 || (j < len && is_alnum(s[j]))) continue;
        m->kind = KIND_SERIAL;
        m->keep = v - i;
        m->value = n;
        set_key(m, s + v, n, false);
        return true;
    }
    return false;
}

/* "Computer Name: John's MacBook Pro", "HostName = johns-mbp",
 * "hostname: x.example.com". A ':' or '=' must follow the key so prose
 * ("the hostname could not ...") is left alone. localhost is kept. */
static bool match_host_key(const char *s, size_t len, size_t i, redact_match *m)
{
    static const struct {
        const char *key;
        bool rest_of_line; /* computer names have spaces and apostrophes */
    } keys[] = {
        {"computer name", true},    {"computername", true}, {"localhostname", false},
        {"local host name", false}, {"hostname", false},    {"host name", false},
    };
    if (i > 0 && isalpha((unsigned char)s[i - 1])) return false;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        if (!has_prefix_ci(s + i, len - i, keys[k].key)) continue;
        size_t after = i + strlen(keys[k].key);
        bool assign = false;
        size_t sep = skip_separators(s, len, after, 6, &assign);
        if (!assign) return false;
        size_t v = after + sep, j = v;
        if (keys[k].rest_of_line) {
            while (j < len && !strchr("\n\r\",;", s[j]))
                j++;
            while (j > v && s[j - 1] == ' ')
                j--;
        } else {
            while (j < len && is_host_char(s[j]))
                j++;
            while (j > v && s[j - 1] == '.')
                j--;
        }
        size_t n = j - v;
        if (n == 0 || s[v] == '<') return false;
        if (n == 9 && strncasecmp(s + v, "localhost", 9) == 0) return false;
        m->kind = KIND_HOST;
        m->keep = v - i;
        m->value = n;
        set_key(m, s + v, n, true);
        return true;
    }
    return false;
}

/* name@domain.tld; "icon@2x.png" (image scale suffix) is not an address. */
static bool match_email(const char *s, size_t len, size_t i, redact_match *m)
{
    if (!is_email_local_char(s[i]) || (i > 0 && is_email_local_char(s[i - 1]))) return false;
    size_t j = i;
    while (j < len && is_email_local_char(s[j]))
        j++;
    if (j == i || j >= len || s[j] != '@') return false;
    size_t domain = j + 1, k = domain, labels = 0, last_label = domain;
    for (;;) {
        size_t start = k;
        while (k < len && (is_alnum(s[k]) || s[k] == '-'))
            k++;
        if (k == start) break;
        labels++;
        last_label = start;
        if (k + 1 < len && s[k] == '.' && (is_alnum(s[k + 1]))) {
            k++;
            continue;
        }
        break;
    }
    if (labels < 2) return false;
    for (size_t t = last_label; t < k; t++)
        if (!isalpha((unsigned char)s[t])) return false;
    if (k - last_label < 2) return false;
    /* @2x, @3x */
    size_t d = domain;
    while (d < k && is_digit(s[d]))
        d++;
    if (d > domain && d < k && s[d] == 'x' && d + 1 < k && s[d + 1] == '.') return false;
    m->kind = KIND_EMAIL;
    m->keep = 0;
    m->value = k - i;
    set_key(m, s + i, k - i, true);
    return true;
}

/* A dotted quad that is not part of a longer dotted number and not a version
 * ("Version: 1.2.3.4"). Loopback and 0.0.0.0 identify nobody and stay. */
static bool match_ipv4(const char *s, size_t len, size_t i, redact_match *m)
{
    if (!is_digit(s[i])) return false;
    if (i > 0 && (is_alnum(s[i - 1]) || s[i - 1] == '.' || s[i - 1] == '_')) return false;
    size_t j = i;
    unsigned octet[4];
    for (int o = 0; o < 4; o++) {
        size_t start = j;
        unsigned v = 0;
        while (j < len && is_digit(s[j]) && j - start < 4)
            v = v * 10 + (unsigned)(s[j++] - '0');
        if (j == start || j - start > 3 || v > 255) return false;
        octet[o] = v;
        if (o < 3) {
            if (j >= len || s[j] != '.') return false;
            j++;
        }
    }
    if (j < len && (is_alnum(s[j]) || s[j] == '_')) return false;
    if (j + 1 < len && s[j] == '.' && is_digit(s[j + 1])) return false;
    if (octet[0] == 127 || (octet[0] == 0 && octet[1] == 0 && octet[2] == 0 && octet[3] == 0))
        return false;
    /* versions: "version 1.2.3.4", "Version: 10.0.0.1", "build 1.0.0.12" */
    size_t back = i > 24 ? i - 24 : 0;
    for (size_t b = back; b < i; b++) {
        if (s[b] == '\n') back = b + 1;
    }
    for (size_t b = back; b < i; b++) {
        if (has_prefix_ci(s + b, i - b, "version") || has_prefix_ci(s + b, i - b, "build"))
            return false;
    }
    m->kind = KIND_IP;
    m->keep = 0;
    m->value = j - i;
    set_key(m, s + i, j - i, false);
    return true;
}

/* IPv6: eight groups, or fewer with one "::"; at least one digit so C++
 * names ("std::", "a::b") are not taken. ::1 and :: stay. */
static bool match_ipv6(const char *s, size_t len, size_t i, redact_match *m)
{
    if (!is_hex(s[i]) && s[i] != ':') return false;
    if (i > 0 && (is_alnum(s[i - 1]) || s[i - 1] == '_' || s[i - 1] == ':' || s[i - 1] == '.'))
        return false;
    size_t j = i;
    while (j < len && j - i < 48 && (is_hex(s[j]) || s[j] == ':'))
        j++;
    /* a single trailing ':' is punctuation ("address fe80::1: ...") */
    if (j - i >= 2 && s[j - 1] == ':' && s[j - 2] != ':') j--;
    if (j < len && (is_alnum(s[j]) || s[j] == '_' || s[j] == '.' || s[j] == ':')) return false;
    size_t groups = 0, doubles = 0, group_len = 0;
    bool digit = false;
    for (size_t k = i; k < j; k++) {
        if (s[k] == ':') {
            if (group_len) groups++;
            group_len = 0;
            if (k + 1 < j && s[k + 1] == ':') {
                if (k + 2 < j && s[k + 2] == ':') return false;
                doubles++;
                k++;
            } else if (k == i || k + 1 == j) {
                return false; /* a lone leading or trailing ':' */
            }
            continue;
        }
        if (++group_len > 4) return false;
        if (is_digit(s[k])) digit = true;
    }
    if (group_len) groups++;
    if (!digit || doubles > 1) return false;
    if (doubles == 0 ? groups != 8 : (groups == 0 || groups > 7)) return false;
    if (doubles == 1 && groups < 2) return false; /* ::1, ::, fe80:: */
    m->kind = KIND_IP;
    m->keep = 0;
    m->value = j - i;
    set_key(m, s + i, j - i, true);
    return true;
}

/* First labels of reverse-DNS identifiers (bundle ids, preference domains). */
static bool is_reverse_dns_head(const char *s, size_t len)
{
    static const char *const heads[] = {"com", "org", "net", "edu", "gov", "io", "de",
                                        "uk",  "fr",  "jp",  "cn",  "us",  "ch", "nl",
                                        "se",  "co",  "app", "dev", "me",  "eu"};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
        if (strlen(heads[i]) == len && strncasecmp(heads[i], s, len) == 0) return true;
    return false;
}

/* A machine name as macOS makes them: "Johns-MacBook-Pro", "Janes-iMac",
 * "Office-Mac-mini", "Jo-MBP": a model word as one of the hyphenated parts. */
static bool has_model_part(const char *s, size_t len)
{
    static const char *const models[] = {"MacBook", "iMac",       "Macmini",    "MacPro",   "MBP",
                                         "MBA",     "MacBookPro", "MacBookAir", "MacStudio"};
    static const char *const after_mac[] = {"mini", "Mini", "Pro", "Studio"};
    bool previous_mac = false;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '-') continue;
        const char *part = s + start;
        size_t n = i - start;
        for (size_t k = 0; k < sizeof models / sizeof models[0]; k++)
            if (strlen(models[k]) == n && memcmp(models[k], part, n) == 0) return true;
        for (size_t k = 0; previous_mac && k < sizeof after_mac / sizeof after_mac[0]; k++)
            if (strlen(after_mac[k]) == n && memcmp(after_mac[k], part, n) == 0) return true;
        previous_mac = n == 3 && memcmp(part, "Mac", 3) == 0;
        start = i + 1;
    }
    return false;
}

/* Host names: "Johns-MacBook-Pro.local", "office-imac.lan", and the bare
 * names macOS gives machines ("Johns-MacBook-Pro", "Janes-iMac"). A
 * reverse-DNS name (com.example.App.local) is an identifier, not a host. */
static bool match_host_token(const char *s, size_t len, size_t i, redact_match *m)
{
    if (!is_alnum(s[i]) || (i > 0 && is_host_char(s[i - 1]))) return false;
    size_t j = i;
    while (j < len && is_host_char(s[j]))
        j++;
    while (j > i && (s[j - 1] == '.' || s[j - 1] == '-'))
        j--;
    size_t n = j - i;
    if (n == 0) return false;
    const char *t = s + i;
    size_t base = n; /* length without the .local/.lan suffix */
    if (n > 6 && strncasecmp(t + n - 6, ".local", 6) == 0)
        base = n - 6;
    else if (n > 4 && strncasecmp(t + n - 4, ".lan", 4) == 0)
        base = n - 4;
    if (base < n) {
        size_t head = 0;
        while (head < base && t[head] != '.')
            head++;
        size_t dots = 0;
        for (size_t k = 0; k < base; k++)
            dots += t[k] == '.';
        if (dots >= 1 && is_reverse_dns_head(t, head)) return false;
    } else {
        if (memchr(t, '.', n) || !memchr(t, '-', n) || !has_model_part(t, n)) return false;
    }
    m->kind = KIND_HOST;
    m->keep = 0;
    m->value = n;
    set_key(m, t, base, true); /* "x.local" and "x" are the same machine */
    return true;
}

/* The person of a certificate name: "Developer ID Application: Jane Doe
 * (ABCDE12345)" — the name between the kind of certificate and a Team ID in
 * parentheses (the Team ID stays: diagnoses need it). */
static bool match_signer(const char *s, size_t len, size_t i, redact_match *m)
{
    static const char *const kinds[] = {
        "Developer ID Application: ",
        "Developer ID Installer: ",
        "Apple Development: ",
        "Apple Distribution: ",
        "Mac Developer: ",
        "3rd Party Mac Developer Application: ",
        "3rd Party Mac Developer Installer: ",
        "iPhone Developer: ",
        "iPhone Distribution: ",
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t n = strlen(kinds[k]);
        if (len - i < n || memcmp(s + i, kinds[k], n) != 0) continue;
        size_t j = i + n, max = j + 128;
        while (j < len && j < max && s[j] != '(' && s[j] != ')' && s[j] != '\n' && s[j] != '"')
            j++;
        /* " (" + a ten-character Team ID + ")" must follow */
        if (j >= len || s[j] != '(' || j == i + n || s[j - 1] != ' ' || len - j < 12 ||
            s[j + 11] != ')')
            return false;
        for (size_t t = j + 1; t < j + 11; t++)
            if (!is_upper_alnum(s[t])) return false;
        size_t name = j - 1 - (i + n);
        /* the fix templates' own "NAME", and what is already a placeholder */
        if (name == 0 || (name == 4 && memcmp(s + i + n, "NAME", 4) == 0) || s[i + n] == '<')
            return false;
        m->kind = KIND_PERSON;
        m->keep = n;
        m->value = name;
        set_key(m, s + i + n, name, false);
        return true;
    }
    return false;
}

static bool match_at(const char *s, size_t len, size_t i, redact_match *m)
{
    switch (s[i]) {
    case 'D':
    case 'A':
    case 'M':
    case '3':
    case 'i':
        if (match_signer(s, len, i, m)) return true;
        break;
    case '/':
        return match_home(s, len, i, m);
    case 's':
    case 'S':
        if (match_serial(s, len, i, m)) return true;
        break;
    case 'c':
    case 'C':
    case 'h':
    case 'H':
    case 'l':
    case 'L':
        if (match_host_key(s, len, i, m)) return true;
        break;
    default:
        break;
    }
    return match_email(s, len, i, m) || match_ipv4(s, len, i, m) || match_ipv6(s, len, i, m) ||
           match_host_token(s, len, i, m);
}

bool te_redact_append(te_redactor *r, te_buf *out, const char *s, size_t len)
{
    size_t run = 0; /* start of the bytes not yet copied */
    size_t i = 0;
    while (i < len) {
        redact_match m;
        if (!match_at(s, len, i, &m)) {
            i++;
            continue;
        }
        if (!te_buf_append(out, s + run, i + m.keep - run)) return false;
        unsigned number = placeholder_number(r, m.kind, m.key);
        char placeholder[32];
        if (number)
            snprintf(placeholder, sizeof placeholder, "<%s%u>", kind_names[m.kind], number);
        else
            snprintf(placeholder, sizeof placeholder, "<%s>", kind_names[m.kind]);
        if (!te_buf_puts(out, placeholder)) return false;
        i += m.keep + m.value;
        run = i;
    }
    return te_buf_append(out, s + run, len - run);
}
