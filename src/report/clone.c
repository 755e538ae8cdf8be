/* Deep copies of incidents, for callers that keep them beyond the callback
 * (the CLI's -j merges incidents of parallel analyzers in input order). */
#include <stdlib.h>
#include <string.h>

#include "tediag/report.h"

typedef struct arena {
    char *base;
    size_t used, cap;
} arena;

static size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 + 7 : 0; /* + alignment padding of its block */
}

static size_t incident_size(const te_incident *in)
{
    size_t n = sizeof(te_incident) + 8;
    n += str_size(in->rule_id) + str_size(in->title) + str_size(in->first_source) +
         str_size(in->process) + str_size(in->path) + str_size(in->bundle_id) +
         str_size(in->team_id) + str_size(in->diagnosis);
    n += in->n_facts * sizeof(te_fact) + 8;
    for (size_t i = 0; i < in->n_facts; i++) {
        n += str_size(in->facts[i].name) + in->facts[i].n_values * sizeof(char *) + 8;
        for (size_t j = 0; j < in->facts[i].n_values; j++)
            n += str_size(in->facts[i].values[j]);
    }
    n += in->n_fix * sizeof(char *) + 8;
    for (size_t i = 0; i < in->n_fix; i++)
        n += str_size(in->fix[i]);
    n += in->n_references * sizeof(te_reference) + 8;
    for (size_t i = 0; i < in->n_references; i++)
        n += str_size(in->references[i].title) + str_size(in->references[i].url);
    n += in->n_evidence * sizeof(te_evidence) + 8;
    for (size_t i = 0; i < in->n_evidence; i++)
        n += str_size(in->evidence[i].source) + str_size(in->evidence[i].process) +
             str_size(in->evidence[i].message) + str_size(in->evidence[i].pattern);
    n += in->n_also * sizeof(char *) + 8;
    for (size_t i = 0; i < in->n_also; i++)
        n += str_size(in->also[i]);
    return n;
}

static void *take(arena *a, size_t size)
{
    size_t at = (a->used + 7) & ~(size_t)7;
    void *p = a->base + at;
    a->used = at + size;
    return p;
}

static const char *copy_str(arena *a, const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *p = take(a, n);
    memcpy(p, s, n);
    return p;
}

te_incident *te_incident_clone(const te_incident *in)
{
    /* incident_size counts every piece with its alignment padding. */
    size_t cap = incident_size(in);
    char *base = malloc(cap);
    if (!base) return NULL;
    arena a = {base, 0, cap};
    te_incident *out = take(&a, sizeof *out);
    *out = *in;
    out->rule_id = copy_str(&a, in->rule_id);
    out->title = copy_str(&a, in->title);
    out->first_source = copy_str(&a, in->first_source);
    out->process = copy_str(&a, in->process);
    out->path = copy_str(&a, in->path);
    out->bundle_id = copy_str(&a, in->bundle_id);
    out->team_id = copy_str(&a, in->team_id);
    out->diagnosis = copy_str(&a, in->diagnosis);
    te_fact *facts = take(&a, in->n_facts * sizeof *facts);
    for (size_t i = 0; i < in->n_facts; i++) {
        facts[i] = in->facts[i];
        facts[i].name = copy_str(&a, in->facts[i].name);
        const char **values = take(&a, in->facts[i].n_values * sizeof *values);
        for (size_t j = 0; j < in->facts[i].n_values; j++)
            values[j] = copy_str(&a, in->facts[i].values[j]);
        facts[i].values = values;
    }
    out->facts = facts;
    const char **fix = take(&a, in->n_fix * sizeof *fix);
    for (size_t i = 0; i < in->n_fix; i++)
        fix[i] = copy_str(&a, in->fix[i]);
    out->fix = fix;
    te_reference *refs = take(&a, in->n_references * sizeof *refs);
    for (size_t i = 0; i < in->n_references; i++) {
        refs[i].title = copy_str(&a, in->references[i].title);
        refs[i].url = copy_str(&a, in->references[i].url);
    }
    out->references = refs;
    te_evidence *ev = take(&a, in->n_evidence * sizeof *ev);
    for (size_t i = 0; i < in->n_evidence; i++) {
        ev[i] = in->evidence[i];
        ev[i].source = copy_str(&a, in->evidence[i].source);
        ev[i].process = copy_str(&a, in->evidence[i].process);
        ev[i].message = copy_str(&a, in->evidence[i].message);
        ev[i].pattern = copy_str(&a, in->evidence[i].pattern);
    }
    out->evidence = ev;
    const char **also = take(&a, in->n_also * sizeof *also);
    for (size_t i = 0; i < in->n_also; i++)
        also[i] = copy_str(&a, in->also[i]);
    out->also = also;
    return out;
}

void te_incident_free(te_incident *incident)
{
    free(incident);
}
