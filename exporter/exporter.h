/*
 * exporter.h - the one interface every exporter implements.
 *
 * The serve command hands each finished profile (and each alert) to the
 * exporter pipeline as a dp_record: the profile, its JSON line rendered
 * once, and a reference count, so every enabled exporter can hold the same
 * record in its own bounded queue without copying. Each exporter runs on
 * its own thread; what its full queue does (drop the oldest record, or
 * hold the submitter back) is its on_full policy (exporters.h). An
 * exporter's export() returns OK, RETRY (retried with
 * exponential backoff and jitter up to a limit) or ERROR (dropped, counted);
 * retry policy lives in the pipeline, not in each exporter.
 */
#ifndef DP_EXPORTER_H
#define DP_EXPORTER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "processor.h"

enum dp_exporter_status {
    DP_EXPORTER_OK = 0,
    DP_EXPORTER_RETRY = 1, /* transient: try again later */
    DP_EXPORTER_ERROR = 2  /* permanent for this record: drop it */
};

enum dp_record_kind { DP_RECORD_PROFILE = 1, DP_RECORD_ALERT = 2 };

enum dp_alert_severity {
    DP_ALERT_INFO = 0,
    DP_ALERT_WARNING = 1,
    DP_ALERT_CRITICAL = 2
};

typedef struct dp_record {
    atomic_int refs;
    int kind;            /* enum dp_record_kind */
    dp_profile *profile; /* PROFILE: owned by the record; ALERT: NULL */
    char *json;          /* one JSON object, no trailing newline; owned */
    size_t json_len;
    /* ALERT only: */
    int severity; /* enum dp_alert_severity */
    char *rule;   /* owned */
    char *dag_id; /* owned */
    char trace_id_hex[33];
    uint8_t trace_id[16];
    uint8_t root_span_id[8];
    uint64_t time_unix_ns;
    /* Optional: called with on_free_arg when the last reference goes, that
     * is once every exporter is done with the record (serve releases the
     * trace's hold on the write-ahead log with it). */
    void (*on_free)(void *arg);
    void *on_free_arg;
    size_t bytes; /* heap bytes held (dp_record_bytes); 0: not computed */
} dp_record;

/* Takes ownership of profile; renders its JSON. NULL on ENOMEM (the
 * profile is freed). refs starts at 1. */
dp_record *dp_record_profile(dp_profile *profile);
struct dp_buf; /* buf.h */

/* An alert record (refs 1): takes the JSON object in *json (left empty),
 * copies rule and dag_id, sets severity and time; the trace ids are zero
 * (the caller may set them). NULL on ENOMEM, and when failed (writing
 * *json ran out of memory): *json is freed then. */
dp_record *dp_record_alert(struct dp_buf *json, int failed, const char *rule,
                           const char *dag_id, int severity,
                           uint64_t time_unix_ns);
dp_record *dp_record_ref(dp_record *r);
/* Drops a reference; the last one frees the record and its profile. */
void dp_record_unref(dp_record *r);
/* Heap bytes the record holds: the struct, its JSON line and, for a
 * profile, the profile's arena; what exporter queue_bytes counts. O(1). */
size_t dp_record_bytes(const dp_record *r);

typedef struct dp_exporter_ops {
    const char *name; /* "jsonl", "otlp", "prometheus", "webhook" */
    /* Sends or stores one record; called on the exporter's own thread.
     * Must not keep r beyond the call without dp_record_ref. */
    int (*export)(void *ctx, const dp_record *r);
    /* Called on shutdown after the queue is drained (fsync, close). */
    void (*flush)(void *ctx);
    void (*destroy)(void *ctx);
    /* Kinds of record this exporter wants (bit mask of 1 << kind). */
    unsigned kinds;
} dp_exporter_ops;

#endif /* DP_EXPORTER_H */
