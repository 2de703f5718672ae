/*
 * clickhouse_alerts.c - regression alerts fired once across the dagprof
 * shards that share one ClickHouse store (the claim operation of
 * dp_history_backend; history/regalert.c calls it).
 *
 * The fired set lives in the table regression_alerts (key String: the
 * JSON array ["rule","dag","version","node"|null] of regalert.c; instance
 * String; token UInt64; claimed_at_ns Int64), MergeTree ordered by (key,
 * token), created when first needed. ClickHouse has no transactions and no
 * unique keys, so a shard claims instead of checking and setting:
 *
 *   1. keys that already have a claim row are someone's: not fired here;
 *   2. for the others, insert one row each: this instance's id and a
 *      random 64-bit token;
 *   3. wait settle_ns (1 s), then read every claim of those keys back: the
 *      instance whose claim sorts first by (token, instance) fires, the
 *      others record the key as fired and stay quiet.
 *
 * Why it fires once: a shard B that claims the same key as A passed step
 * 1 before A's row was visible, so B's row was sent before A's insert
 * returned; A reads back settle_ns after its insert returned, by when B's
 * row is there too unless B's insert took longer than settle_ns. Both
 * then see the same claims and agree on the first. On one ClickHouse
 * server an INSERT is visible to every reader when it returns (to the
 * shards, HTTP round trips of milliseconds against a 1 s settle); with
 * replicated tables behind a load balancer the settle must exceed the
 * replication lag. A random token rather than the time orders the claims
 * so that no shard's clock matters. It is at most once: a winner that
 * dies between the claim and the alert leaves the key claimed and no
 * alert, which the log of that shard shows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "clickhouse.h"
#include "log.h"

static uint64_t random_u64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) ^
            ((uint64_t)(uintptr_t)&v << 17);
    }
    return v;
}

/* " key IN ('a', 'b')" of the keys still open. */
static void key_list(dp_buf *b, const char *const *keys, size_t n,
                     const bool *skip)
{
    bool first = true;
    dp_buf_puts(b, " key IN (");
    for (size_t i = 0; i < n; i++) {
        if (skip && skip[i])
            continue;
        if (!first)
            dp_buf_puts(b, ", ");
        dp__ch_quote(b, keys[i]);
        first = false;
    }
    dp_buf_puts(b, ")");
}

static long key_index(const char *const *keys, size_t n, const char *k)
{
    for (size_t i = 0; k && i < n; i++)
        if (strcmp(keys[i], k) == 0)
            return (long)i;
    return -1;
}

typedef struct claim_read {
    const char *const *keys;
    size_t n;
    bool *mark;             /* keys seen */
    const char *instance;   /* NULL: step 1 */
    const uint64_t *tokens; /* ours, per key */
    bool *won;
} claim_read;

static int on_claim(void *user, void *obj)
{
    claim_read *c = user;
    long i = key_index(c->keys, c->n,
                       json_string_value(json_object_get(obj, "key")));
    if (i < 0)
        return 0;
    c->mark[i] = true;
    if (c->instance) {
        const char *inst = json_string_value(json_object_get(obj, "instance"));
        uint64_t tok = (uint64_t)dp__ch_i64(obj, "token");
        c->won[i] =
            inst && strcmp(inst, c->instance) == 0 && tok == c->tokens[i];
    }
    return 0;
}

static int read_claims(dp_ch *ch, const char *sql, claim_read *c)
{
    dp_buf out;
    dp_buf_init(&out);
    int err = dp__ch_exec(ch, sql, NULL, 0, &out);
    if (!err && out.len)
        err = dp__ch_each_row(out.data, out.len, on_claim, c);
    dp_buf_fini(&out);
    return err;
}

int dp__ch_claim_sql(dp_buf *b, int step, const char *const *keys, size_t n,
                     const bool *skip)
{
    if (step == 1) {
        dp_buf_puts(b, "SELECT DISTINCT key FROM regression_alerts WHERE");
        key_list(b, keys, n, skip);
    } else {
        dp_buf_puts(b, "SELECT key, instance, token FROM regression_alerts "
                       "WHERE");
        key_list(b, keys, n, skip);
        dp_buf_puts(b, " ORDER BY key, token, instance LIMIT 1 BY key");
    }
    dp_buf_puts(b, " FORMAT JSONEachRow");
    return b->data ? 0 : DP_ENOMEM;
}

int dp__ch_claim(void *ctx, const char *const *keys, size_t n,
                 const char *instance, uint64_t settle_ns, bool *won)
{
    dp_ch *ch = ctx;
    dp_buf sql, rows;
    bool *taken = calloc(n ? n : 1, sizeof(*taken));
    uint64_t *tokens = calloc(n ? n : 1, sizeof(*tokens));
    int err = taken && tokens ? 0 : DP_ENOMEM;
    dp_buf_init(&sql);
    dp_buf_init(&rows);
    for (size_t i = 0; i < n; i++)
        won[i] = false;
    if (!err && dp__ch_exec_quiet(ch, dp__ch_alerts_ddl) &&
        !dp__ch_has_table(ch, "regression_alerts"))
        err = dp__ch_exec(ch, dp__ch_alerts_ddl, NULL, 0, NULL); /* logged */
    /* 1. Keys someone claimed already. */
    claim_read c = {keys, n, taken, NULL, tokens, won};
    if (!err)
        err = dp__ch_claim_sql(&sql, 1, keys, n, NULL);
    if (!err)
        err = read_claims(ch, sql.data, &c);
    /* 2. Our claims on the others. */
    size_t open = 0;
    uint64_t now = 0;
    if (!err) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    }
    for (size_t i = 0; !err && i < n; i++) {
        if (taken[i])
            continue;
        tokens[i] = random_u64() >> 1; /* a JSON integer */
        json_t *o = json_pack("{s:s,s:s,s:I,s:I}", "key", keys[i], "instance",
                              instance, "token", (json_int_t)tokens[i],
                              "claimed_at_ns", (json_int_t)now);
        if (!o) {
            err = DP_ENOMEM;
            break;
        }
        char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(o);
        if (!line || dp_buf_puts(&rows, line) || dp_buf_puts(&rows, "\n"))
            err = DP_ENOMEM;
        free(line);
        open++;
    }
    if (!err && open)
        err = dp__ch_exec(ch,
                          "INSERT INTO regression_alerts FORMAT "
                          "JSONEachRow",
                          rows.data, rows.len, NULL);
    /* 3. After the settle, the first claim of each key wins. */
    if (!err && open) {
        struct timespec d = {(time_t)(settle_ns / 1000000000ULL),
                             (long)(settle_ns % 1000000000ULL)};
        while (nanosleep(&d, &d) != 0)
            ;
        bool *seen = calloc(n, sizeof(*seen));
        claim_read r = {keys, n, seen, instance, tokens, won};
        dp_buf_reset(&sql);
        if (!seen)
            err = DP_ENOMEM;
        else if (!(err = dp__ch_claim_sql(&sql, 3, keys, n, taken)))
            err = read_claims(ch, sql.data, &r);
        for (size_t i = 0; !err && i < n; i++)
            if (taken[i])
                won[i] = false;
        free(seen);
    }
    if (err)
        for (size_t i = 0; i < n; i++)
            won[i] = false;
    dp_buf_fini(&sql);
    dp_buf_fini(&rows);
    free(taken);
    free(tokens);
    return err;
}
