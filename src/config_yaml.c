/*
 * config_yaml.c - reads a YAML configuration file (--config) through the
 * key table (config_keys.h): nested mappings lead to dotted keys, a block
 * is turned on by its mapping, a map collects names and values, a list
 * reads each element with its own rows and hands it to the list's check.
 * Every error names file:line and the key as written (alerts[2].severity),
 * and for a list element its name (alert 'slow-run').
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"
#include "config_keys.h"

struct walk {
    dp_config *cfg;
    yaml_document_t *doc;
    const char *file;
    char *err;
    size_t err_len;
};

/* Writes "file:line: [label: ]msg" and returns DP_EINVAL. */
static int fail_at(struct walk *w, const yaml_node_t *n, const char *label,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail_at(struct walk *w, const yaml_node_t *n, const char *label,
                   const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(w->err, w->err_len, "%s:%zu: %s%s%s", w->file,
             n ? n->start_mark.line + 1 : 0, label ? label : "",
             label ? ": " : "", msg);
    return DP_EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

/* A null or empty value ("prometheus:" or "prometheus: ~"). */
static bool is_empty(const yaml_node_t *n)
{
    const char *s = scalar(n);
    return s && (!s[0] || strcmp(s, "~") == 0 || strcmp(s, "null") == 0);
}

static int walk_mapping(struct walk *w, void *base,
                        const struct dp__config_key *rows, size_t n,
                        yaml_node_t *node, char *path, size_t cap, size_t rel,
                        const char *label);

static int read_map(struct walk *w, dp_str_map *m, yaml_node_t *v,
                    const char *path, const char *label)
{
    if (v->type != YAML_MAPPING_NODE)
        return fail_at(w, v, label, "%s: expected a mapping of names to text",
                       path);
    for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
         pr < v->data.mapping.pairs.top; pr++) {
        const char *k = scalar(yaml_document_get_node(w->doc, pr->key));
        const char *s = scalar(yaml_document_get_node(w->doc, pr->value));
        if (!k || !s)
            return fail_at(w, v, label,
                           "%s: names and values must be plain text", path);
        char **nn = realloc(m->names, (m->n + 1) * sizeof(*nn));
        if (nn)
            m->names = nn;
        char **nv = realloc(m->values, (m->n + 1) * sizeof(*nv));
        if (nv)
            m->values = nv;
        if (!nn || !nv)
            return DP_ENOMEM;
        m->names[m->n] = strdup(k);
        m->values[m->n] = strdup(s);
        m->n++;
        if (!m->names[m->n - 1] || !m->values[m->n - 1])
            return DP_ENOMEM;
    }
    return 0;
}

/* Reads one list element into a new slot of k's list. */
static int read_element(struct walk *w, void *base,
                        const struct dp__config_key *k, yaml_node_t *item,
                        size_t index, const char *path)
{
    const struct dp__config_list *l = k->list;
    char **items = (char **)((char *)base + l->items_off);
    size_t *count = (size_t *)((char *)base + l->count_off);
    char *grown = realloc(*items, (*count + 1) * l->elem_size);
    if (!grown)
        return DP_ENOMEM;
    *items = grown;
    void *elem = grown + *count * l->elem_size;
    memset(elem, 0, l->elem_size);
    (*count)++; /* from now on dp_config_fini frees what it holds */
    dp__config_defaults(elem, l->rows, l->n_rows);

    char epath[256], label[160], *lp = NULL;
    snprintf(epath, sizeof(epath), "%s[%zu].", path, index);
    if (item->type != YAML_MAPPING_NODE)
        return fail_at(w, item, NULL, "%.*s: expected a mapping: %s",
                       (int)strlen(epath) - 1, epath, l->what);
    /* The name first, so every message can name the element. */
    for (yaml_node_pair_t *pr = item->data.mapping.pairs.start;
         pr < item->data.mapping.pairs.top; pr++) {
        const char *kn = scalar(yaml_document_get_node(w->doc, pr->key));
        const char *vn = scalar(yaml_document_get_node(w->doc, pr->value));
        if (kn && vn && strcmp(kn, l->label_key) == 0) {
            snprintf(label, sizeof(label), l->label, vn);
            lp = label;
        }
    }
    int rc = walk_mapping(w, elem, l->rows, l->n_rows, item, epath,
                          sizeof(epath), strlen(epath), lp);
    if (rc)
        return rc;
    char msg[512];
    rc = l->added(w->cfg, elem, msg, sizeof(msg));
    if (rc && rc != DP_ENOMEM)
        return fail_at(w, item, NULL, "%s", msg);
    return rc;
}

/* Reads value v of row k (its path as written). */
static int read_row(struct walk *w, void *base,
                    const struct dp__config_key *rows, size_t n,
                    const struct dp__config_key *k, yaml_node_t *v, char *path,
                    size_t cap, size_t rel, const char *label)
{
    void *at = (char *)base + k->off;
    switch (k->type) {
    case K_BLOCK:
        *(bool *)at = true;
        if (is_empty(v))
            return 0;
        if (v->type != YAML_MAPPING_NODE)
            return fail_at(w, v, label,
                           "%s: expected a mapping of settings (or {})", path);
        return walk_mapping(w, base, rows, n, v, path, cap, rel, label);
    case K_MAP:
        return read_map(w, at, v, path, label);
    case K_LIST: {
        *(bool *)at = true;
        if (is_empty(v))
            return 0;
        if (v->type != YAML_SEQUENCE_NODE)
            return fail_at(w, v, label, "%s: expected a list of %s", path,
                           k->list->what);
        size_t i = 0;
        for (yaml_node_item_t *it = v->data.sequence.items.start;
             it < v->data.sequence.items.top; it++, i++) {
            int rc = read_element(w, base, k,
                                  yaml_document_get_node(w->doc, *it), i, path);
            if (rc)
                return rc;
        }
        return 0;
    }
    default:
        break;
    }
    if (v->type == YAML_SEQUENCE_NODE)
        return fail_at(w, v, label, "%s: a list is not allowed here", path);
    if (v->type != YAML_SCALAR_NODE)
        return fail_at(w, v, label, "%s: expected a single value", path);
    char msg[512];
    /* Core keys are named as the table spells them (the Collector's
     * spelling is accepted), element keys with their element. */
    int rc = dp__config_set_value(base, k, scalar(v), rel ? path : k->key, msg,
                                  sizeof(msg));
    if (rc)
        return rc == DP_ENOMEM ? rc : fail_at(w, v, label, "%s", msg);
    return 0;
}

/* Reads the pairs of node; path (room for cap) holds the key so far, and
 * rows' keys start at path + rel. */
static int walk_mapping(struct walk *w, void *base,
                        const struct dp__config_key *rows, size_t n,
                        yaml_node_t *node, char *path, size_t cap, size_t rel,
                        const char *label)
{
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
        const char *name = scalar(k);
        if (!name || !v)
            return fail_at(w, k, label, "keys must be plain names");
        size_t plen = strlen(path);
        if (plen + strlen(name) + 2 > cap)
            return fail_at(w, k, label, "key too long");
        if (plen > rel)
            strcat(path, ".");
        strcat(path, name);
        const struct dp__config_key *row = dp__config_find(rows, n, path + rel);
        int rc;
        if (row)
            rc = read_row(w, base, rows, n, row, v, path, cap, rel, label);
        else if (v->type == YAML_MAPPING_NODE &&
                 dp__config_is_prefix(rows, n, path + rel))
            rc = walk_mapping(w, base, rows, n, v, path, cap, rel, label);
        else {
            char msg[600];
            dp__config_unknown(rows, n, path + rel, path, msg, sizeof(msg));
            rc = fail_at(w, k, label, "%s", msg);
        }
        path[plen] = '\0';
        if (rc)
            return rc;
    }
    return 0;
}

int dp_config_load_yaml(dp_config *cfg, const char *path, char *err,
                        size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return DP_EIO;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = 0;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, err_len, "%s:%zu: %s", path, parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "invalid YAML");
        yaml_parser_delete(&parser);
        fclose(f);
        return DP_EINVAL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root &&
        !(root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)) {
        char keypath[256] = "";
        struct walk w = {cfg, &doc, path, err, err_len};
        if (root->type != YAML_MAPPING_NODE) {
            snprintf(err, err_len, "%s: the document must be a mapping", path);
            rc = DP_EINVAL;
        } else {
            rc = walk_mapping(&w, cfg, dp__config_keys, dp__config_n_keys, root,
                              keypath, sizeof(keypath), 0, NULL);
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}
