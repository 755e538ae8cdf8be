/* JSON writers: the incident object (the contract support tooling reads),
 * the summary object, and the NDJSON object of one event for `tediag events`.
 * Built with jansson from clean strings, so the output is always valid JSON. */
#include <stdlib.h>
#include <string.h>

#include "report/report_impl.h"
#include "util/timeparse.h"

/* Strings handed to jansson are already valid UTF-8 without NUL. */
static json_t *string_or_null(const char *s)
{
    return te_report_empty(s) ? json_null() : json_string(s);
}

static json_t *string_or_empty(const char *s)
{
    return json_string(s ? s : "");
}

static json_t *time_or_null(bool has_time, int64_t us, int32_t offset_min)
{
    if (!has_time) return json_null();
    char iso[48];
    te_report_format_time(us, offset_min, iso, sizeof iso);
    return json_string(iso);
}

static json_t *number_or_null(int64_t n)
{
    return n < 0 ? json_null() : json_integer((json_int_t)n);
}

/* Sets key to value; value NULL (allocation failure) marks *ok false. */
static void set(json_t *obj, const char *key, json_t *value, bool *ok)
{
    if (!value || json_object_set_new(obj, key, value) != 0) *ok = false;
}

static json_t *string_array(const char *const *list, size_t n, bool *ok)
{
    json_t *arr = json_array();
    if (!arr) return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *s = string_or_empty(list[i]);
        if (!s || json_array_append_new(arr, s) != 0) *ok = false;
    }
    return arr;
}

static json_t *subject_json(const te_incident *in, bool *ok)
{
    json_t *subject = json_object();
    if (!subject) return NULL;
    if (!te_report_empty(in->process)) set(subject, "process", json_string(in->process), ok);
    if (in->pid >= 0) set(subject, "pid", json_integer((json_int_t)in->pid), ok);
    if (!te_report_empty(in->path)) set(subject, "path", json_string(in->path), ok);
    if (!te_report_empty(in->bundle_id)) set(subject, "bundle_id", json_string(in->bundle_id), ok);
    if (!te_report_empty(in->team_id)) set(subject, "team_id", json_string(in->team_id), ok);
    return subject;
}

static json_t *facts_json(const te_incident *in, bool *ok)
{
    json_t *facts = json_object();
    if (!facts) return NULL;
    for (size_t i = 0; i < in->n_facts; i++) {
        const te_fact *f = &in->facts[i];
        json_t *value;
        if (f->is_list || f->n_values > 1)
            value = string_array(f->values, f->n_values, ok);
        else if (f->n_values == 1)
            value = string_or_empty(f->values[0]);
        else
            value = json_null();
        set(facts, f->name, value, ok);
    }
    return facts;
}

static json_t *references_json(const te_incident *in, bool *ok)
{
    json_t *arr = json_array();
    if (!arr) return NULL;
    for (size_t i = 0; i < in->n_references; i++) {
        json_t *ref = json_object();
        if (!ref) {
            *ok = false;
            continue;
        }
        set(ref, "title", string_or_empty(in->references[i].title), ok);
        set(ref, "url", string_or_empty(in->references[i].url), ok);
        if (json_array_append_new(arr, ref) != 0) *ok = false;
    }
    return arr;
}

static json_t *evidence_json(const te_incident *in, bool *ok)
{
    json_t *arr = json_array();
    if (!arr) return NULL;
    for (size_t i = 0; i < in->n_evidence; i++) {
        const te_evidence *e = &in->evidence[i];
        json_t *obj = json_object();
        if (!obj) {
            *ok = false;
            continue;
        }
        set(obj, "source", string_or_empty(e->source), ok);
        set(obj, "time", time_or_null(e->has_time, e->time_us, e->utc_offset_min), ok);
        set(obj, "process", string_or_null(e->process), ok);
        set(obj, "pid", number_or_null(e->pid), ok);
        set(obj, "message", string_or_empty(e->message), ok);
        set(obj, "pattern", string_or_empty(e->pattern), ok);
        if (json_array_append_new(arr, obj) != 0) *ok = false;
    }
    return arr;
}

json_t *te_report_incident_json(const te_incident *in)
{
    bool ok = true;
    json_t *obj = json_object();
    if (!obj) return NULL;
    set(obj, "id", string_or_empty(in->rule_id), &ok);
    set(obj, "title", string_or_empty(in->title), &ok);
    set(obj, "severity", json_string(te_report_severity_name(in->severity)), &ok);
    set(obj, "unverified", json_boolean(in->unverified), &ok);
    set(obj, "first_seen", time_or_null(in->has_time, in->first_seen_us, in->utc_offset_min), &ok);
    set(obj, "last_seen", time_or_null(in->has_time, in->last_seen_us, in->utc_offset_min), &ok);
    set(obj, "subject", subject_json(in, &ok), &ok);
    set(obj, "facts", facts_json(in, &ok), &ok);
    set(obj, "diagnosis", string_or_empty(in->diagnosis), &ok);
    set(obj, "fix", string_array(in->fix, in->n_fix, &ok), &ok);
    set(obj, "references", references_json(in, &ok), &ok);
    set(obj, "evidence", evidence_json(in, &ok), &ok);
    set(obj, "evidence_dropped", json_integer((json_int_t)in->evidence_dropped), &ok);
    set(obj, "also", string_array(in->also, in->n_also, &ok), &ok);
    if (!ok) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

json_t *te_report_summary_json(const te_summary *s)
{
    const struct {
        const char *key;
        uint64_t value;
    } fields[] = {
        {"inputs", s->inputs},
        {"inputs_failed", s->inputs_failed},
        {"bytes", s->bytes},
        {"lines", s->lines},
        {"lines_in_events", s->lines_in_events},
        {"lines_meta", s->lines_meta},
        {"lines_not_understood", s->lines_not_understood},
        {"lines_cut", s->lines_cut},
        {"events", s->events},
        {"matches", s->matches},
        {"rules_loaded", s->rules_loaded},
        {"incidents", s->incidents},
        {"incidents_suppressed", s->incidents_suppressed},
        {"contexts_evicted", s->contexts_evicted},
        {"evidence_dropped", s->evidence_dropped},
        {"regex_limit_hits", s->regex_limit_hits},
        {"records_skipped", s->records_skipped},
        {"reports_skipped", s->reports_skipped},
        {"logarchive_files_not_decoded", s->logarchive_files},
        {"members_skipped", s->members_skipped},
        {"input_errors", s->input_errors},
        {"binary_files_skipped", s->binary_files_skipped},
    };
    bool ok = true;
    json_t *obj = json_object();
    if (!obj) return NULL;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        set(obj, fields[i].key, json_integer((json_int_t)fields[i].value), &ok);
    if (!ok) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static int append_callback(const char *buffer, size_t size, void *data)
{
    return te_buf_append(data, buffer, size) ? 0 : -1;
}

bool te_report_json_append(te_buf *out, const json_t *value, size_t flags)
{
    return json_dump_callback(value, append_callback, out, flags) == 0;
}

/* ---- events -------------------------------------------------------------- */

/* A te_str field as a clean JSON string, or null when empty. */
static json_t *view_or_null(te_buf *scratch, te_str s)
{
    if (s.len == 0) return json_null();
    te_buf_reset(scratch);
    if (!te_report_utf8_clean(scratch, s.ptr, s.len)) return NULL;
    return json_stringn(scratch->data ? scratch->data : "", scratch->len);
}

/* Event time: full ISO 8601 with offset; time-of-day inputs (no date) give
 * the ISO time-of-day form ("14:36:03.306061", with offset when printed). */
static json_t *event_time(const te_event *e)
{
    if (!e->has_time) return json_null();
    char iso[48];
    te_report_format_time(e->time_us, e->utc_offset_min, iso, sizeof iso);
    if (e->has_date) return json_string(iso);
    const char *t = strchr(iso, 'T');
    if (!t) return json_string(iso);
    t++;
    size_t len = strlen(t);
    if (!e->has_offset && len > 6) len -= 6; /* drop the "+00:00" nobody printed */
    return json_stringn(t, len);
}

char *te_event_to_json(const te_event *event)
{
    if (!event) return NULL;
    char *result = NULL;
    bool ok = true;
    te_buf scratch, out;
    te_buf_init(&scratch, 0);
    te_buf_init(&out, 0);
    json_t *obj = json_object();
    if (!obj) goto done;

    /* "source:line" (the line only when known) */
    if (!te_report_utf8_clean(&scratch, event->source.ptr, event->source.len)) goto done;
    if (event->line > 0 && !te_buf_printf(&scratch, ":%llu", (unsigned long long)event->line))
        goto done;
    set(obj, "source", json_stringn(scratch.data ? scratch.data : "", scratch.len), &ok);
    set(obj, "time", event_time(event), &ok);
    set(obj, "type", view_or_null(&scratch, event->type), &ok);
    set(obj, "process", view_or_null(&scratch, event->process), &ok);
    set(obj, "pid", number_or_null(event->pid), &ok);
    set(obj, "thread", number_or_null(event->thread), &ok);
    set(obj, "sender", view_or_null(&scratch, event->sender), &ok);
    set(obj, "subsystem", view_or_null(&scratch, event->subsystem), &ok);
    set(obj, "category", view_or_null(&scratch, event->category), &ok);
    set(obj, "message", view_or_null(&scratch, event->message), &ok);
    if (!ok || !te_report_json_append(&out, obj, JSON_COMPACT | JSON_PRESERVE_ORDER) ||
        !te_buf_terminate(&out))
        goto done;
    result = out.data;
    te_buf_init(&out, 0);
done:
    json_decref(obj);
    te_buf_free(&scratch);
    te_buf_free(&out);
    return result;
}
