/* -j N: analyse inputs in parallel, one analyzer per input (the rule set is
 * immutable and shared), then deliver the incidents in input order so the
 * output does not depend on scheduling. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct job_result {
    te_incident **items;
    size_t n, cap;
    te_summary summary;
    bool failed;
    char error[TE_ERROR_MESSAGE_MAX];
} job_result;

typedef struct pool {
    const te_ruleset *rules;
    const te_options *options;
    const char *const *inputs;
    size_t n_inputs;
    atomic_size_t next;
    job_result *results;
} pool;

static void collect(const te_incident *inc, void *user)
{
    job_result *r = user;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        te_incident **items = realloc(r->items, cap * sizeof *items);
        if (!items) return;
        r->items = items;
        r->cap = cap;
    }
    te_incident *copy = te_incident_clone(inc);
    if (copy) r->items[r->n++] = copy;
}

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n_inputs) break;
        job_result *r = &p->results[i];
        te_error err = {TE_OK, ""};
        te_analyzer *a = te_analyzer_new(p->rules, p->options, collect, r, &err);
        if (!a) {
            r->failed = true;
            snprintf(r->error, sizeof r->error, "%s", err.message);
            continue;
        }
        if (te_analyzer_read_path(a, p->inputs[i], &err) != TE_OK) {
            r->failed = true;
            snprintf(r->error, sizeof r->error, "%s", err.message);
        }
        te_analyzer_finish(a, &err);
        r->summary = *te_analyzer_summary(a);
        te_analyzer_free(a);
    }
    return NULL;
}

bool cli_run_parallel(const te_ruleset *rules, const te_options *options, const char *const *inputs,
                      size_t n_inputs, int jobs, te_summary *merged, te_incident_fn deliver,
                      void *user)
{
    bool ok = true;
    memset(merged, 0, sizeof *merged);
    pool p = {rules, options, inputs, n_inputs, 0, calloc(n_inputs, sizeof(job_result))};
    if (!p.results) {
        cli_error("out of memory");
        return false;
    }
    pthread_t threads[64];
    int started = 0;
    if ((size_t)jobs > n_inputs) jobs = (int)n_inputs;
    for (int t = 0; t < jobs && t < 64; t++)
        if (pthread_create(&threads[t], NULL, worker, &p) == 0) started++;
    if (started == 0) worker(&p); /* no thread could start: do the work here */
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    for (size_t i = 0; i < n_inputs; i++) {
        te_summary_add(merged, &p.results[i].summary);
        if (p.results[i].failed) {
            cli_error("%s", p.results[i].error);
            ok = false;
        }
    }
    merged->rules_loaded = te_ruleset_count(rules);
    for (size_t i = 0; i < n_inputs; i++) {
        for (size_t k = 0; k < p.results[i].n; k++) {
            deliver(p.results[i].items[k], user);
            te_incident_free(p.results[i].items[k]);
        }
        free(p.results[i].items);
    }
    free(p.results);
    return ok;
}
