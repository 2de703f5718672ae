/*
 * otlp_json_walk.c - the steps of the OTLP/JSON scan that the request
 * level (otlp_json.c) and the span level (otlp_json_span.c) both take:
 * growing a per-call record array, formatting a message into the scan's
 * text, recognising a key, skipping a nested value and capturing a value
 * as a view into the buffer. A leaf: it calls neither level.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_json_int.h"

void *dp__js_push(scan *sc, void **arr, size_t *n, size_t *cap, size_t elem)
{
    if (*n == *cap && dp__decode_reserve(arr, cap, *n + 1, elem)) {
        sc->nomem = true;
        return NULL;
    }
    return (char *)*arr + (*n)++ * elem;
}

size_t dp__js_text_add(scan *sc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    size_t n, at = sc->n_text;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    n = strlen(msg) + 1;
    if (dp__decode_reserve((void **)&sc->text, &sc->cap_text, at + n, 1)) {
        sc->nomem = true;
        return 0;
    }
    memcpy(sc->text + at, msg, n);
    sc->n_text += n;
    return at + 1;
}

/* ------------------------------------------------------------------------ */
/* Any JSON value.                                                           */

int dp__js_key_id(const char *s, size_t n)
{
#define K(str, id)                                                             \
    if (memcmp(s, str, sizeof(str) - 1) == 0)                                  \
        return id;
    switch (n) {
    case 3:
        K("key", K_KEY) break;
    case 4:
        K("name", K_NAME) K("code", K_CODE) break;
    case 5:
        K("value", K_VALUE) K("spans", K_SPANS) K("links", K_LINKS) break;
    case 6:
        K("spanId", K_SPAN) K("status", K_STATUS) K("values", K_VALUES) break;
    case 7:
        K("traceId", K_TRACE) K("span_id", K_SPAN_S) break;
    case 8:
        K("trace_id", K_TRACE_S)
        K("intValue", K_INT) K("resource", K_RESOURCE) break;
    case 9:
        K("int_value", K_INT_S) K("boolValue", K_BOOL) break;
    case 10:
        K("attributes", K_ATTRIBUTES)
        K("scopeSpans", K_SSPANS)
        K("bool_value", K_BOOL_S) K("arrayValue", K_ARRAY) break;
    case 11:
        K("stringValue", K_STRING)
        K("doubleValue", K_DOUBLE)
        K("scope_spans", K_SSPANS_S) K("array_value", K_ARRAY_S) break;
    case 12:
        K("string_value", K_STRING_S)
        K("double_value", K_DOUBLE_S) K("parentSpanId", K_PARENT) break;
    case 13:
        K("resourceSpans", K_RSPANS) break;
    case 14:
        K("resource_spans", K_RSPANS_S) K("parent_span_id", K_PARENT_S) break;
    case 15:
        K("endTimeUnixNano", K_END) break;
    case 17:
        K("startTimeUnixNano", K_START) break;
    case 18:
        K("end_time_unix_nano", K_END_S) break;
    case 20:
        K("start_time_unix_nano", K_START_S) break;
    case 27:
        K("instrumentationLibrarySpans", K_ILS) break;
    case 29:
        K("instrumentation_library_spans", K_ILS_S) break;
    default:
        break;
    }
#undef K
    return K_OTHER;
}

/* Checks a value as jansson's parser would, without keeping it. Iterative
 * (a byte per open container), so deep nesting costs no C stack. */
int dp__js_skip_nested(scan *sc, int d)
{
    jlex *l = &sc->l;
    unsigned char obj[JL_MAX_DEPTH + 1];
    int top = -1; /* the innermost open container */

    for (;;) {
        ENTER(sc, d + top + 1);
        if (l->tok == '{' || l->tok == '[') {
            obj[++top] = l->tok == '{';
            if (jl_next(l))
                return -1;
            if (l->tok == (obj[top] ? '}' : ']')) {
                top--;
                goto after;
            }
            if (obj[top])
                goto key;
            if (l->tok == JT_EOF)
                return jl_fail_tok(l, JE_SYNTAX, "']' expected");
            continue;
        }
        if (!is_scalar(l->tok))
            return jl_fail_tok(l, JE_SYNTAX,
                               l->tok == JT_INVALID ? "invalid token"
                                                    : "unexpected token");
after:
        if (top < 0)
            return 0;
        if (jl_next(l))
            return -1;
        if (l->tok == ',') {
            if (jl_next(l))
                return -1;
            if (obj[top])
                goto key;
            if (l->tok == JT_EOF)
                return jl_fail_tok(l, JE_SYNTAX, "']' expected");
            continue;
        }
        if (l->tok != (obj[top] ? '}' : ']'))
            return jl_fail_tok(l, JE_SYNTAX,
                               obj[top] ? "'}' expected" : "']' expected");
        top--;
        goto after;
key:
        if (l->tok != JT_STR)
            return jl_fail_tok(l, JE_SYNTAX, "string or '}' expected");
        if (l->knul)
            return jl_fail_tok(l, JE_OTHER,
                               "NUL byte in object key not supported");
        if (jl_next(l))
            return -1;
        if (l->tok != ':')
            return jl_fail_tok(l, JE_SYNTAX, "':' expected");
        if (jl_next(l))
            return -1;
    }
}

int dp__js_capture(scan *sc, int d, jv *v)
{
    jlex *l = &sc->l;

    ENTER(sc, d);
    switch (l->tok) {
    case JT_STR:
        v->t = JV_STR;
        v->s = (const char *)l->b + l->ts + 1;
        v->n = l->te - l->ts - 2;
        v->esc = l->esc;
        return 0;
    case JT_INT:
        v->t = JV_INT;
        v->i = l->ival;
        return 0;
    case JT_REAL:
        v->t = JV_REAL;
        v->d = l->dval;
        return 0;
    case JT_TRUE:
    case JT_FALSE:
    case JT_NULL:
        v->t = l->tok == JT_TRUE    ? JV_TRUE
               : l->tok == JT_FALSE ? JV_FALSE
                                    : JV_NULL;
        return 0;
    default:
        v->t = l->tok == '{' ? JV_OBJ : JV_ARR;
        return skip_value(sc, d);
    }
}

/* ------------------------------------------------------------------------ */
/* Requests.                                                                 */
