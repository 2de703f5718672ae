/*
 * fuzz_check.h - output checks shared by the fuzz targets that render
 * profiles and alerts (fuzz_end_to_end.c, fuzz_alerts.c): what
 * profile_json.h, report_text.h and alerts.h promise about every output,
 * checked on each one, with abort() and the offending text on stderr when
 * a promise is broken.
 *
 * - fc_check_profile: every index in the profile is in range, counts and
 *   pointers agree (processor.h "indices into profile->nodes").
 * - fc_check_json: a JSON profile line or alert record parses (jansson)
 *   as one object.
 * - fc_check_text: each line of a text report fits within its width in
 *   code points, and the report is one YAML document (libyaml).
 */
#ifndef DP_FUZZ_CHECK_H
#define DP_FUZZ_CHECK_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "processor.h"

static inline void fc_fail(const char *what, const char *text, size_t len)
{
    fprintf(stderr, "fuzz check failed: %s\n--- output:\n%.*s\n---\n", what,
            (int)(len > 65536 ? 65536 : len), text ? text : "");
    abort();
}

static inline void fc_check_profile(const dp_profile *p)
{
    if (p->n_nodes && !p->nodes)
        fc_fail("nodes NULL with n_nodes > 0", "", 0);
    for (size_t i = 0; i < p->n_critical_path; i++)
        if (p->critical_path[i] >= p->n_nodes)
            fc_fail("critical path index out of range", "", 0);
    for (size_t i = 0; i < p->n_nodes; i++) {
        const dp_node *n = &p->nodes[i];
        if (!n->id)
            fc_fail("node without id", "", 0);
        for (size_t k = 0; k < n->n_deps; k++)
            if (n->deps[k] >= p->n_nodes)
                fc_fail("dependency index out of range", n->id, strlen(n->id));
        for (size_t k = 0; k < n->n_calls; k++)
            if (n->calls[k] >= p->n_calls)
                fc_fail("call index out of range", n->id, strlen(n->id));
        for (size_t k = 0; k < n->n_models; k++)
            if (!n->models[k])
                fc_fail("NULL model name", n->id, strlen(n->id));
    }
    for (size_t i = 0; i < p->n_calls; i++)
        if (p->calls[i].node < -1 ||
            (p->calls[i].node >= 0 && (size_t)p->calls[i].node >= p->n_nodes))
            fc_fail("call node index out of range", "", 0);
    for (size_t i = 0; i < p->n_bottlenecks; i++)
        if (p->bottlenecks[i].node >= p->n_nodes ||
            p->bottlenecks[i].type < 0 ||
            p->bottlenecks[i].type >= DP_BN__COUNT)
            fc_fail("bottleneck node or type out of range", "", 0);
    for (size_t i = 0; i < p->n_optimizations; i++)
        if (p->optimizations[i].type < 0 ||
            p->optimizations[i].type >= DP_OPT__COUNT)
            fc_fail("optimization type out of range", "", 0);
}

/* text[0..len) must be exactly one JSON object (a trailing newline is
 * allowed when newline is true, and then required). */
static inline void fc_check_json(const char *text, size_t len, bool newline)
{
    json_error_t e;
    if (newline) {
        if (!len || text[len - 1] != '\n' ||
            memchr(text, '\n', len - 1) != NULL)
            fc_fail("JSON profile is not exactly one line", text, len);
        len--;
    }
    json_t *v = json_loadb(text, len, 0, &e);
    if (!v || !json_is_object(v)) {
        fprintf(stderr, "jansson: %d:%d %s\n", e.line, e.column, e.text);
        fc_fail("output is not one JSON object", text, len);
    }
    json_decref(v);
}

/* Code points in s[0..n): bytes that are not UTF-8 continuation bytes. */
static inline size_t fc_code_points(const char *s, size_t n)
{
    size_t cp = 0;
    for (size_t i = 0; i < n; i++)
        cp += ((unsigned char)s[i] & 0xc0) != 0x80;
    return cp;
}

/* The text report's promises for the width it was asked for. */
static inline void fc_check_text(const char *text, size_t len, int width)
{
    size_t w = width <= 0 ? 80 : width < 60 ? 60 : width > 512 ? 512 : width;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (fc_code_points(text + i, end - i) > w) {
            fprintf(stderr, "line of %zu code points, width %zu: %.*s\n",
                    fc_code_points(text + i, end - i), w, (int)(end - i),
                    text + i);
            fc_fail("text report line wider than its width", text, len);
        }
        i = end + 1;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        abort();
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        fprintf(stderr, "libyaml: line %zu column %zu: %s (%s)\n",
                parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                parser.problem ? parser.problem : "?",
                parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        fc_fail("text report is not a YAML document", text, len);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
}

#endif /* DP_FUZZ_CHECK_H */
