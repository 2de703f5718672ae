/*
 * record.c - the dp_record shared by every exporter (see exporter.h).
 *
 * The serve command wraps each finished profile in a record once: the
 * profile's JSON line is rendered here, a single time, and every exporter
 * that wants the record takes a reference to it in its own queue. The last
 * reference frees the record, its JSON and the profile. Alert records
 * (alerts.c, history/regalert.c) hold the JSON their builder wrote and are
 * freed through the same dp_record_unref.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "exporter.h"
#include "profile_json.h"

dp_record *dp_record_profile(dp_profile *profile)
{
    if (!profile)
        return NULL;
    dp_record *r = calloc(1, sizeof(*r));
    dp_buf b;
    dp_buf_init(&b);
    if (!r || dp_profile_json_write(&b, profile) != 0) {
        dp_buf_fini(&b);
        free(r);
        dp_profile_free(profile);
        return NULL;
    }
    /* The writer ends the line with '\n'; the record keeps the object. */
    if (b.len && b.data[b.len - 1] == '\n')
        b.data[--b.len] = '\0';
    /* Queued records hold their JSON for a while: give back the room the
     * writer reserved beyond it (glibc shrinks in place). */
    if (b.cap > b.len + b.len / 8 + 64) {
        char *d = realloc(b.data, b.len + 1);
        if (d) {
            b.data = d;
            b.cap = b.len + 1;
        }
    }
    atomic_init(&r->refs, 1);
    r->kind = DP_RECORD_PROFILE;
    r->profile = profile;
    r->json = b.data;
    r->json_len = b.len;
    memcpy(r->trace_id, profile->trace_id, sizeof(r->trace_id));
    memcpy(r->trace_id_hex, profile->trace_id_hex, sizeof(r->trace_id_hex));
    memcpy(r->root_span_id, profile->root_span_id, sizeof(r->root_span_id));
    r->time_unix_ns = profile->profiled_at_unix_ns;
    r->bytes = sizeof(*r) + b.cap + dp_profile_mem_bytes(profile);
    return r;
}

dp_record *dp_record_alert(dp_buf *json, int failed, const char *rule,
                           const char *dag_id, int severity,
                           uint64_t time_unix_ns)
{
    dp_record *r = calloc(1, sizeof(*r));
    if (r) {
        r->rule = strdup(rule);
        r->dag_id = strdup(dag_id);
    }
    if (failed || !json->data || !r || !r->rule || !r->dag_id) {
        dp_buf_fini(json);
        if (r) {
            free(r->rule);
            free(r->dag_id);
            free(r);
        }
        return NULL;
    }
    atomic_init(&r->refs, 1);
    r->kind = DP_RECORD_ALERT;
    r->json = json->data;
    r->json_len = json->len;
    r->severity = severity;
    r->time_unix_ns = time_unix_ns;
    dp_buf_init(json);
    return r;
}

size_t dp_record_bytes(const dp_record *r)
{
    if (!r)
        return 0;
    if (r->bytes)
        return r->bytes;
    return sizeof(*r) + r->json_len + 1 + (r->rule ? strlen(r->rule) + 1 : 0) +
           (r->dag_id ? strlen(r->dag_id) + 1 : 0) +
           dp_profile_mem_bytes(r->profile);
}

dp_record *dp_record_ref(dp_record *r)
{
    if (r)
        atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
    return r;
}

void dp_record_unref(dp_record *r)
{
    if (!r)
        return;
    if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (r->on_free)
        r->on_free(r->on_free_arg);
    dp_profile_free(r->profile);
    free(r->json);
    free(r->rule);
    free(r->dag_id);
    free(r);
}
