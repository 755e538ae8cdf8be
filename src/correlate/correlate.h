/* The correlator: links matches of one launch into launch contexts and turns
 * each closed context into incidents (causes beat symptoms, supersedes merge,
 * facts and evidence are collected). State is bounded by limits.h. */
#ifndef TE_CORRELATE_H
#define TE_CORRELATE_H

#include "tediag/tediag.h"
#include "engine/match.h"

typedef struct te_correlator te_correlator;

te_correlator *te_correlator_new(const te_ruleset *rules, const te_options *options,
                                 te_incident_fn on_incident, void *user, te_summary *summary);
/* A new source starts (index counts sources from 0). Untimed matches never
 * link across sources by proximity, only by shared keys. */
void te_correlator_begin_source(te_correlator *c, uint32_t source_index);
/* Copies what it needs from the match (the event views die after the call). */
void te_correlator_add(te_correlator *c, const te_match *match);
/* Live mode: closes contexts that saw nothing for options->quiet_us of wall clock. */
void te_correlator_tick(te_correlator *c, int64_t now_wall_us);
/* Closes every open context (end of input). */
void te_correlator_finish(te_correlator *c);
void te_correlator_free(te_correlator *c);

#endif
