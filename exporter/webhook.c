/*
 * webhook.c - the `webhook` exporter: each alert record's JSON POSTed to a
 * URL with libcurl, at the end of the alert flow (alerts.c -> exporter
 * pipeline -> here).
 *
 * One curl easy handle per exporter, used only on the exporter's own
 * thread, so connections are reused between alerts. The reply decides the
 * outcome: 2xx OK; 408, 429, 5xx, a connection error or a timeout RETRY
 * (the pipeline retries with backoff, or after Retry-After when the server
 * sent one in seconds); any other status ERROR (the alert is dropped and
 * counted). The response body is discarded.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exporters.h"
#include "log.h"

struct webhook {
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    uint64_t retry_after_ns; /* from the last reply */
    uint64_t failures;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t discard(char *p, size_t size, size_t n, void *user)
{
    (void)p;
    (void)user;
    return size * n;
}

/* Keeps "Retry-After: <seconds>" (an HTTP date is ignored: no hint). */
static size_t on_header(char *p, size_t size, size_t n, void *user)
{
    struct webhook *w = user;
    size_t len = size * n;
    static const char key[] = "retry-after:";
    if (len > sizeof(key) - 1 && strncasecmp(p, key, sizeof(key) - 1) == 0) {
        const char *v = p + sizeof(key) - 1, *end = p + len;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        uint64_t secs = 0;
        bool digits = false;
        while (v < end && isdigit((unsigned char)*v) && secs < 86400) {
            secs = secs * 10 + (uint64_t)(*v++ - '0');
            digits = true;
        }
        if (digits)
            w->retry_after_ns = secs * 1000000000ULL;
    }
    return len;
}

static void webhook_destroy(void *ctx)
{
    struct webhook *w = ctx;
    if (!w)
        return;
    if (w->curl)
        curl_easy_cleanup(w->curl);
    curl_slist_free_all(w->headers);
    free(w->url);
    free(w);
}

void *dp_webhook_create(const dp_webhook_config *cfg, char *err, size_t err_len)
{
    if (!cfg->url || (strncmp(cfg->url, "http://", 7) != 0 &&
                      strncmp(cfg->url, "https://", 8) != 0)) {
        snprintf(err, err_len, "url '%s': expected http://... or https://...",
                 cfg->url ? cfg->url : "");
        return NULL;
    }
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        snprintf(err, err_len, "libcurl: %s", curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    struct webhook *w = calloc(1, sizeof(*w));
    if (!w || !(w->url = strdup(cfg->url)) || !(w->curl = curl_easy_init()))
        goto nomem;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: "
                                                   "application/json");
    if (!h)
        goto nomem;
    w->headers = h;
    for (size_t i = 0; i < cfg->n_headers; i++) {
        const char *name = cfg->header_names[i], *value = cfg->header_values[i];
        if (!name[0] || strpbrk(name, ":\r\n ") || strpbrk(value, "\r\n")) {
            snprintf(err, err_len, "header '%s': invalid name or value", name);
            webhook_destroy(w);
            return NULL;
        }
        char *line = malloc(strlen(name) + strlen(value) + 3);
        if (!line)
            goto nomem;
        sprintf(line, "%s: %s", name, value);
        h = curl_slist_append(w->headers, line);
        free(line);
        if (!h)
            goto nomem;
        w->headers = h;
    }
    uint64_t timeout_ms = cfg->timeout_ns ? cfg->timeout_ns / 1000000 : 5000;
    if (timeout_ms == 0)
        timeout_ms = 1;
    CURL *c = w->curl;
    curl_easy_setopt(c, CURLOPT_URL, w->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, w->headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, w);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "dagprof-webhook");
    return w;
nomem:
    snprintf(err, err_len, "out of memory");
    webhook_destroy(w);
    return NULL;
}

/* Logs the 1st, 2nd, 4th, ... failure so a dead receiver shows up once in
 * a while, not once per alert. */
static void log_failure(struct webhook *w, const char *msg)
{
    uint64_t n = ++w->failures;
    if (n & (n - 1))
        return;
    dp_log_warn("exporter:webhook", "%s: %s (%llu failure(s) so far)", w->url,
                msg, (unsigned long long)n);
}

static int webhook_export(void *ctx, const dp_record *r)
{
    struct webhook *w = ctx;
    w->retry_after_ns = 0;
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, r->json);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)r->json_len);
    CURLcode rc = curl_easy_perform(w->curl);
    if (rc != CURLE_OK) {
        w->retry_after_ns = 0;
        log_failure(w, curl_easy_strerror(rc));
        return DP_EXPORTER_RETRY;
    }
    long status = 0;
    curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
        w->retry_after_ns = 0;
        return DP_EXPORTER_OK;
    }
    char msg[64];
    if (status == 408 || status == 429 || status >= 500) {
        snprintf(msg, sizeof(msg), "HTTP %ld, will retry", status);
        log_failure(w, msg);
        return DP_EXPORTER_RETRY;
    }
    w->retry_after_ns = 0;
    snprintf(msg, sizeof(msg), "HTTP %ld, alert dropped", status);
    log_failure(w, msg);
    return DP_EXPORTER_ERROR;
}

uint64_t dp_webhook_retry_after(void *ctx)
{
    return ctx ? ((struct webhook *)ctx)->retry_after_ns : 0;
}

const dp_exporter_ops dp_webhook_ops = {.name = "webhook",
                                        .export = webhook_export,
                                        .destroy = webhook_destroy,
                                        .kinds = 1u << DP_RECORD_ALERT};
