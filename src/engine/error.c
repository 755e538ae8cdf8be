/* te_error helpers and the names of statuses and severities. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/error.h"

te_status te_error_set(te_error *err, te_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->status = status;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

void te_error_append(te_error *err, te_status status, const char *fmt, ...)
{
    if (!err) return;
    size_t used = strnlen(err->message, sizeof err->message);
    if (used > 0 && used + 1 < sizeof err->message) err->message[used++] = '\n';
    err->message[used < sizeof err->message ? used : sizeof err->message - 1] = '\0';
    if (used < sizeof err->message) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message + used, sizeof err->message - used, fmt, ap);
        va_end(ap);
    }
    err->status = status;
}

void te_error_clear(te_error *err)
{
    if (!err) return;
    err->status = TE_OK;
    err->message[0] = '\0';
}

const char *te_status_name(te_status status)
{
    switch (status) {
    case TE_OK:
        return "ok";
    case TE_ERR_NOMEM:
        return "out of memory";
    case TE_ERR_IO:
        return "input/output error";
    case TE_ERR_FORMAT:
        return "malformed input";
    case TE_ERR_RULE:
        return "rule error";
    case TE_ERR_LIMIT:
        return "limit reached";
    case TE_ERR_USAGE:
        return "usage error";
    case TE_ERR_UNSUPPORTED:
        return "unsupported input";
    case TE_ERR_INTERNAL:
        return "internal error";
    }
    return "unknown status";
}

const char *te_severity_name(te_severity severity)
{
    switch (severity) {
    case TE_SEVERITY_INFO:
        return "info";
    case TE_SEVERITY_WARNING:
        return "warning";
    case TE_SEVERITY_ERROR:
        return "error";
    }
    return "info";
}

bool te_severity_parse(const char *text, te_severity *out)
{
    if (!text) return false;
    if (strcasecmp(text, "info") == 0)
        *out = TE_SEVERITY_INFO;
    else if (strcasecmp(text, "warning") == 0)
        *out = TE_SEVERITY_WARNING;
    else if (strcasecmp(text, "error") == 0)
        *out = TE_SEVERITY_ERROR;
    else
        return false;
    return true;
}
