/* Format detection: every reader sniffs the head lines of a source and the
 * highest score wins (ties: registry order); the loose reader takes
 * whatever nobody recognises. */
#include <stdio.h>

#include "input/reader.h"

const te_reader_ops *te_detect_format(const te_str *lines, size_t n_lines, char *why,
                                      size_t why_cap)
{
    /* Only the head of the source is looked at, whatever the caller passes. */
    size_t n = 0, bytes = 0;
    while (n < n_lines && n < TE_DETECT_LINES && bytes + lines[n].len <= TE_DETECT_BYTES) {
        bytes += lines[n].len;
        n++;
    }

    const te_reader_ops *const *all = te_readers_all();
    const te_reader_ops *best = NULL, *loose = NULL;
    int best_score = 0;
    char best_reason[192] = "";
    for (size_t i = 0; all[i]; i++) {
        if (!all[i]->sniff) continue;
        if (strcmp(all[i]->name, "loose") == 0) loose = all[i];
        char reason[192] = "";
        int score = all[i]->sniff(lines, n, reason, sizeof reason);
        if (score > best_score) {
            best_score = score;
            best = all[i];
            memcpy(best_reason, reason, sizeof reason);
        }
    }
    if (!best) {
        best = loose ? loose : te_reader_find("loose");
        if (why && why_cap) snprintf(why, why_cap, "loose: no known format recognised");
        return best;
    }
    if (why && why_cap) {
        if (best_reason[0])
            snprintf(why, why_cap, "%s: %s", best->name, best_reason);
        else
            snprintf(why, why_cap, "%s: score %d", best->name, best_score);
    }
    return best;
}
