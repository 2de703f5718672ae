/*
 * otlp_http_defer.c - replies that wait for the handler (the write-ahead
 * log's group commit).
 *
 * With a poll function set (dp_http_server_set_poll), the handler may
 * leave a dp_export_result with a defer_ticket instead of blocking the
 * loop thread until its request is on disk. The connection then keeps the
 * result, stops reading and pauses its parser (pipelined input already
 * read waits in a stash), and the loop goes on with other connections, so
 * many requests append before one fdatasync covers them all. Whoever
 * completes tickets calls dp_http_server_wake() (the log's writer thread,
 * after each round); the loop then polls every waiting connection, sends
 * the replies that are final and resumes those connections in order.
 * Loop thread only, except dp_http_server_wake().
 */
#include <stdlib.h>
#include <string.h>

#include "otlp_http_internal.h"

typedef dp__http_conn conn;

static void unlink_waiting(conn *c)
{
    dp_http_server *s = c->srv;
    if (c->wait_prev)
        c->wait_prev->wait_next = c->wait_next;
    else
        s->waiting = c->wait_next;
    if (c->wait_next)
        c->wait_next->wait_prev = c->wait_prev;
    c->wait_prev = c->wait_next = NULL;
}

bool dp__http_defer(conn *c, const dp_export_result *r, bool close)
{
    dp_export_result *d = malloc(sizeof(*d));
    if (!d)
        return false;
    *d = *r;
    dp_http_server *s = c->srv;
    c->deferred = d;
    c->deferred_close = close;
    c->wait_prev = NULL;
    c->wait_next = s->waiting;
    if (s->waiting)
        s->waiting->wait_prev = c;
    s->waiting = c;
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
    return true;
}

bool dp__http_stash(conn *c, const char *data, size_t len)
{
    char *p = realloc(c->stash, c->stash_len + len);
    if (!p)
        return false;
    memcpy(p + c->stash_len, data, len);
    c->stash = p;
    c->stash_len += len;
    return true;
}

void dp__http_defer_drop(conn *c)
{
    if (c->deferred) {
        unlink_waiting(c);
        free(c->deferred);
        c->deferred = NULL;
    }
    free(c->stash);
    c->stash = NULL;
    c->stash_len = 0;
}

void dp__http_on_wake(uv_async_t *a)
{
    dp_http_server *s = a->data;
    for (conn *c = s->waiting, *next; c; c = next) {
        next = c->wait_next;
        if (!s->poll(s->user, c->deferred))
            continue;
        dp_export_result r = *c->deferred;
        unlink_waiting(c);
        free(c->deferred);
        c->deferred = NULL;
        /* The request was reset at its end; its reply needs its route and
         * encoding back. */
        c->route = DP__ROUTE_TRACES;
        c->fmt_known = true;
        c->fmt = c->deferred_fmt;
        dp__http_reply_export(c, &r, c->deferred_close || s->shutting_down);
        dp__http_reset_request(c);
        dp__http_resume(c); /* may defer c again: it goes to the front */
    }
}

void dp_http_server_set_poll(dp_http_server *s, dp_export_poll_fn poll)
{
    s->poll = poll;
}

void dp_http_server_wake(dp_http_server *s)
{
    if (s)
        uv_async_send(&s->wake);
}
