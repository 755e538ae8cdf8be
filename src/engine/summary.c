/* te_summary arithmetic: merging the counts of several analyzers. */
#include "tediag/tediag.h"

/* Every field of te_summary is a uint64_t counter. */
_Static_assert(sizeof(te_summary) % sizeof(uint64_t) == 0, "te_summary holds only counters");

TE_API void te_summary_add(te_summary *into, const te_summary *from)
{
    uint64_t *dst = (uint64_t *)into;
    const uint64_t *src = (const uint64_t *)from;
    for (size_t i = 0; i < sizeof *into / sizeof(uint64_t); i++)
        dst[i] += src[i];
}
