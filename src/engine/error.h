/* Filling te_error: one formatted message per failure, with the status. */
#ifndef TE_ERROR_H
#define TE_ERROR_H

#include "tediag/tediag.h"

/* Sets err (when not NULL) and returns status. printf-style message. */
te_status te_error_set(te_error *err, te_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends a line to err->message (for lists of rule errors); keeps status. */
void te_error_append(te_error *err, te_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void te_error_clear(te_error *err);

#endif
