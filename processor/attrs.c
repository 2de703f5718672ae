/*
 * attrs.c - resolves a span's attributes into the compact dp__span record.
 *
 * DESIGN.md reads every concept from three conventions in the wild (GenAI
 * semantic conventions, OpenInference, OpenLLMetry/Traceloop) with "first
 * match wins" precedence. Attributes arrive in any order, so each resolved
 * value keeps the rank of the key it came from and a lower rank replaces a
 * higher one. Known keys are found through a hash index over one table
 * (built once); keys with an open-ended suffix (flattened prompt messages)
 * by prefix.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

enum field {
    F_DAG_ID = 1,
    F_NODE_DAG,
    F_NODE_GRAPH,
    F_METADATA,
    F_OPERATION,
    F_OI_KIND,
    F_TL_KIND,
    F_ENTITY_NAME,
    F_AGENT_NAME,
    F_MODEL,
    F_TOOL_NAME,
    F_TOK_INPUT,
    F_TOK_OUTPUT,
    F_TOK_CACHE_READ,
    F_TOK_CACHE_WRITE,
    F_TOK_REASONING,
    F_COST,
    F_RETRIES,
    F_DEPENDS_ON,
    F_GRAPH_PARENT,
    F_INPUT, /* prompt or tool arguments: hashed for the cache key */
    F_CACHE_KEY,
    F_ATTEMPT,
    F_WORKFLOW_NAME,
    F_VERSION, /* service.version (resource), gen_ai.agent.version, ... */
    F_SESSION,
    F_SERVICE /* service.name (resource) */
};

struct key_entry {
    const char *key;
    unsigned char field;
    unsigned char rank; /* 1 = first in DESIGN.md's list */
};

/* One entry per key of DESIGN.md's attribute table. */
static const struct key_entry key_table[] = {
    {"ai.model.id", F_MODEL, 5},
    {"ai.response.model", F_MODEL, 4},
    {"ai.toolCall.args", F_INPUT, 1},
    {"ai.toolCall.name", F_TOOL_NAME, 3},
    {"ai.usage.cachedInputTokens", F_TOK_CACHE_READ, 5},
    {"ai.usage.completionTokens", F_TOK_OUTPUT, 5},
    {"ai.usage.inputTokenDetails.cacheReadTokens", F_TOK_CACHE_READ, 4},
    {"ai.usage.inputTokenDetails.cacheWriteTokens", F_TOK_CACHE_WRITE, 5},
    {"ai.usage.inputTokens", F_TOK_INPUT, 4},
    {"ai.usage.outputTokenDetails.reasoningTokens", F_TOK_REASONING, 4},
    {"ai.usage.outputTokens", F_TOK_OUTPUT, 4},
    {"ai.usage.promptTokens", F_TOK_INPUT, 5},
    {"ai.usage.reasoningTokens", F_TOK_REASONING, 5},
    {"dag.cache_key", F_CACHE_KEY, 1},
    {"dag.id", F_DAG_ID, 1},
    {"dag.model", F_MODEL, 6},
    {"dag.node.attempt", F_ATTEMPT, 1},
    {"dag.node.depends_on", F_DEPENDS_ON, 1},
    {"dag.node.id", F_NODE_DAG, 1},
    {"dag.retries", F_RETRIES, 1},
    {"dag.version", F_VERSION, 3},
    {"gen_ai.agent.name", F_AGENT_NAME, 1},
    {"gen_ai.agent.version", F_VERSION, 2},
    {"gen_ai.conversation.id", F_SESSION, 1},
    {"gen_ai.input.messages", F_INPUT, 1},
    {"gen_ai.operation.name", F_OPERATION, 1},
    {"gen_ai.prompt", F_INPUT, 1},
    {"gen_ai.request.model", F_MODEL, 2},
    {"gen_ai.response.model", F_MODEL, 1},
    {"gen_ai.tool.call.arguments", F_INPUT, 1},
    {"gen_ai.tool.name", F_TOOL_NAME, 1},
    {"gen_ai.usage.cache_creation.input_tokens", F_TOK_CACHE_WRITE, 2},
    {"gen_ai.usage.cache_creation_input_tokens", F_TOK_CACHE_WRITE, 4},
    {"gen_ai.usage.cache_read.input_tokens", F_TOK_CACHE_READ, 1},
    {"gen_ai.usage.cache_read_input_tokens", F_TOK_CACHE_READ, 3},
    {"gen_ai.usage.cache_write.input_tokens", F_TOK_CACHE_WRITE, 1},
    {"gen_ai.usage.completion_tokens", F_TOK_OUTPUT, 2},
    {"gen_ai.usage.cost", F_COST, 1},
    {"gen_ai.usage.input_tokens", F_TOK_INPUT, 1},
    {"gen_ai.usage.output_tokens", F_TOK_OUTPUT, 1},
    {"gen_ai.usage.prompt_tokens", F_TOK_INPUT, 2},
    {"gen_ai.usage.reasoning.output_tokens", F_TOK_REASONING, 1},
    {"gen_ai.usage.reasoning_tokens", F_TOK_REASONING, 3},
    {"gen_ai.workflow.name", F_WORKFLOW_NAME, 1},
    {"graph.node.id", F_NODE_GRAPH, 1},
    {"graph.node.parent_id", F_GRAPH_PARENT, 1},
    {"input.value", F_INPUT, 1},
    {"llm.cost.total", F_COST, 2},
    {"llm.model_name", F_MODEL, 3},
    {"llm.token_count.completion", F_TOK_OUTPUT, 3},
    {"llm.token_count.completion_details.reasoning", F_TOK_REASONING, 2},
    {"llm.token_count.prompt", F_TOK_INPUT, 3},
    {"llm.token_count.prompt_details.cache_read", F_TOK_CACHE_READ, 2},
    {"llm.token_count.prompt_details.cache_write", F_TOK_CACHE_WRITE, 3},
    {"llm.usage.total_cost", F_COST, 3},
    {"metadata", F_METADATA, 1},
    {"openinference.span.kind", F_OI_KIND, 1},
    {"service.name", F_SERVICE, 1},
    {"service.version", F_VERSION, 1},
    {"session.id", F_SESSION, 2},
    {"tool.name", F_TOOL_NAME, 2},
    {"tool.parameters", F_INPUT, 1},
    {"traceloop.entity.input", F_INPUT, 1},
    {"traceloop.entity.name", F_ENTITY_NAME, 1},
    {"traceloop.span.kind", F_TL_KIND, 1},
};

/* Attribute families that mark a trace as an agent run (DESIGN.md "Which
 * traces are agent runs"), beyond the keys of the table. */
static const char *const agent_prefixes[] = {
    "gen_ai.",     "llm.", "openinference.", "traceloop.",
    "graph.node.", "dag.", "ai.usage.",      "ai.model."};

/* The Vercel AI SDK's per-request spans (LLM calls) and its outer spans,
 * which carry the sum of their steps' usage and are not calls. */
static const char *const ai_sdk_calls[] = {"ai.generateText.doGenerate",
                                           "ai.streamText.doStream",
                                           "ai.generateObject.doGenerate",
                                           "ai.streamObject.doStream",
                                           "ai.embed.doEmbed",
                                           "ai.embedMany.doEmbed"};
static const char *const ai_sdk_outer[] = {
    "ai.generateText", "ai.streamText", "ai.generateObject",
    "ai.streamObject", "ai.embed",      "ai.embedMany"};

/* Keys with an open suffix: flattened message lists. */
static const char *const input_prefixes[] = {"gen_ai.prompt.",
                                             "llm.input_messages."};

/* Hash index over key_table, built once: open addressing, 256 slots for
 * fewer than 128 keys, so probes stay short. Hashes the first and last
 * eight bytes and the length, which tells every key of the table apart. */
#define KEY_SLOTS 256
_Static_assert(sizeof(key_table) / sizeof(key_table[0]) < KEY_SLOTS / 2,
               "key_table outgrew its hash index");
static unsigned short key_slots[KEY_SLOTS]; /* key_table index + 1 */
static unsigned char key_lens[sizeof(key_table) / sizeof(key_table[0])];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static size_t key_hash(const char *k, size_t len)
{
    uint64_t a = 0, b = 0;
    memcpy(&a, k, len < 8 ? len : 8);
    if (len > 8)
        memcpy(&b, k + len - 8, 8);
    return (size_t)(((a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xff51afd7ed558ccdULL) ^
                     len) >>
                    40);
}

static void key_index_build(void)
{
    for (size_t i = 0; i < sizeof(key_table) / sizeof(key_table[0]); i++) {
        size_t len = strlen(key_table[i].key);
        size_t h = key_hash(key_table[i].key, len);
        key_lens[i] = (unsigned char)len;
        while (key_slots[h & (KEY_SLOTS - 1)])
            h++;
        key_slots[h & (KEY_SLOTS - 1)] = (unsigned char)(i + 1);
    }
}

static const struct key_entry *key_lookup(const char *key, size_t len)
{
    pthread_once(&key_once, key_index_build);
    for (size_t h = key_hash(key, len);; h++) {
        unsigned s = key_slots[h & (KEY_SLOTS - 1)];
        if (!s)
            return NULL;
        if (key_lens[s - 1] == len &&
            memcmp(key_table[s - 1].key, key, len) == 0)
            return &key_table[s - 1];
    }
}

static bool str_eq(const dp_value *v, const char *s)
{
    size_t n = strlen(s);
    return v->type == DP_VAL_STR && v->u.str.len == n &&
           memcmp(v->u.str.ptr, s, n) == 0;
}

static bool str_ieq(const dp_value *v, const char *s)
{
    size_t n = strlen(s);
    return v->type == DP_VAL_STR && v->u.str.len == n &&
           strncasecmp(v->u.str.ptr, s, n) == 0;
}

/* Reads an integer from an int, a double or a decimal string. */
static bool value_int(const dp_value *v, int64_t *out)
{
    switch (v->type) {
    case DP_VAL_INT:
        *out = v->u.i;
        return true;
    case DP_VAL_DOUBLE:
        if (!(v->u.d >= -9.2e18 && v->u.d <= 9.2e18))
            return false;
        *out = (int64_t)v->u.d;
        return true;
    case DP_VAL_STR: {
        char buf[32];
        char *end;
        if (v->u.str.len == 0 || v->u.str.len >= sizeof(buf))
            return false;
        memcpy(buf, v->u.str.ptr, v->u.str.len);
        buf[v->u.str.len] = '\0';
        long long x = strtoll(buf, &end, 10);
        if (*end != '\0')
            return false;
        *out = x;
        return true;
    }
    default:
        return false;
    }
}

static bool value_double(const dp_value *v, double *out)
{
    switch (v->type) {
    case DP_VAL_INT:
        *out = (double)v->u.i;
        return true;
    case DP_VAL_DOUBLE:
        *out = v->u.d;
        return v->u.d == v->u.d; /* not NaN */
    case DP_VAL_STR: {
        char buf[64];
        char *end;
        if (v->u.str.len == 0 || v->u.str.len >= sizeof(buf))
            return false;
        memcpy(buf, v->u.str.ptr, v->u.str.len);
        buf[v->u.str.len] = '\0';
        *out = strtod(buf, &end);
        return *end == '\0' && *out == *out;
    }
    default:
        return false;
    }
}

/* Where the strings of a record go: the trace's arena (the processor
 * resolving on its own thread) or the caller's allocator (a record
 * resolved ahead, dp_span_rec_resolve). */
static void *mem_alloc(const dp__mem *a, size_t n)
{
    if (a->arena)
        return dp_arena_alloc_raw(a->arena, n);
    return a->alloc(a->user, n);
}

static void *mem_zalloc(const dp__mem *a, size_t n)
{
    void *p = mem_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

static char *mem_strndup(const dp__mem *a, const char *s, size_t len)
{
    if (a->arena)
        return dp_arena_strndup(a->arena, s, len); /* no padding */
    return dp_str_put(mem_alloc(a, len + 1), s, len);
}

static const char *dup_str(const dp__mem *a, const dp_value *v)
{
    if (v->type != DP_VAL_STR || v->u.str.len == 0)
        return NULL;
    return mem_strndup(a, v->u.str.ptr, v->u.str.len);
}

/* Sets *slot from a string value when rank beats *slot_rank. */
static int take_str(const dp__mem *a, const dp_value *v, unsigned rank,
                    const char **slot, uint8_t *slot_rank)
{
    if (v->type != DP_VAL_STR || v->u.str.len == 0)
        return 0;
    if (*slot_rank != 0 && *slot_rank <= rank)
        return 0;
    const char *s = dup_str(a, v);
    if (!s)
        return DP_ENOMEM;
    *slot = s;
    *slot_rank = (uint8_t)rank;
    return 0;
}

/*
 * Finds "langgraph_node" in the JSON text of LangChain's metadata attribute
 * and returns its string value (unescaped only for the simple escapes a node
 * name can hold). Not a general JSON parser: it looks for the key at any
 * depth, which is where LangChain instrumentations put it.
 */
static const char *langgraph_node(const dp__mem *a, const char *s, size_t len)
{
    static const char key[] = "\"langgraph_node\"";
    const size_t klen = sizeof(key) - 1;
    for (size_t i = 0; i + klen <= len; i++) {
        if (s[i] != '"' || memcmp(s + i, key, klen) != 0)
            continue;
        size_t j = i + klen;
        while (j < len &&
               (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r'))
            j++;
        if (j >= len || s[j] != ':')
            return NULL;
        j++;
        while (j < len &&
               (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r'))
            j++;
        if (j >= len || s[j] != '"')
            return NULL;
        j++;
        char *out = mem_zalloc(a, len - j + 1);
        if (!out)
            return NULL;
        size_t o = 0;
        while (j < len && s[j] != '"') {
            if (s[j] == '\\' && j + 1 < len) {
                j++;
                char c = s[j];
                out[o++] = c == 'n' ? '\n' : c == 't' ? '\t' : c;
            } else {
                out[o++] = s[j];
            }
            j++;
        }
        if (j >= len)
            return NULL;
        out[o] = '\0';
        return o ? out : NULL;
    }
    return NULL;
}

/* dag.node.depends_on: a string array, or a string holding a JSON-style
 * array or comma-separated ids (for SDKs that cannot set arrays). */
static int take_depends_on(const dp__mem *a, const dp_value *v, dp__span *rec)
{
    const char *ids[256];
    size_t n = 0;
    char *copy = NULL;

    if (v->type == DP_VAL_ARRAY) {
        for (size_t i = 0; i < v->u.arr.n && n < 256; i++) {
            const char *s = dup_str(a, &v->u.arr.items[i]);
            if (s)
                ids[n++] = s;
        }
    } else if (v->type == DP_VAL_STR) {
        copy = mem_strndup(a, v->u.str.ptr, v->u.str.len);
        if (!copy)
            return DP_ENOMEM;
        char *p = copy;
        while (*p && n < 256) {
            while (*p == '[' || *p == ']' || *p == ',' || *p == ' ' ||
                   *p == '"' || *p == '\'')
                p++;
            if (!*p)
                break;
            char *start = p;
            while (*p && *p != ',' && *p != '"' && *p != '\'' && *p != ']')
                p++;
            char *end = p;
            while (end > start && end[-1] == ' ')
                end--;
            if (*p)
                p++;
            *end = '\0';
            if (end > start)
                ids[n++] = start;
        }
    } else {
        return 0;
    }
    rec->flags |= DP__SPAN_DEPENDS;
    rec->n_depends_on = (uint32_t)n;
    if (n) {
        rec->depends_on = mem_alloc(a, n * sizeof(*rec->depends_on));
        if (!rec->depends_on)
            return DP_ENOMEM;
        memcpy(rec->depends_on, ids, n * sizeof(*ids));
    }
    return 0;
}

/* Order-independent hash of one input attribute (key and value). */
static uint64_t input_attr_hash(const dp_attr *at)
{
    uint64_t h = dp__fnv1a(DP__FNV_INIT, at->key, at->key_len);
    const dp_value *v = &at->value;
    switch (v->type) {
    case DP_VAL_STR:
        return dp__fnv1a(h, v->u.str.ptr, v->u.str.len);
    case DP_VAL_INT:
        return dp__fnv1a(h, &v->u.i, sizeof(v->u.i));
    case DP_VAL_DOUBLE:
        return dp__fnv1a(h, &v->u.d, sizeof(v->u.d));
    case DP_VAL_BOOL:
        return dp__fnv1a(h, &v->u.b, 1);
    case DP_VAL_ARRAY:
        for (size_t i = 0; i < v->u.arr.n; i++)
            if (v->u.arr.items[i].type == DP_VAL_STR)
                h = dp__fnv1a(h, v->u.arr.items[i].u.str.ptr,
                              v->u.arr.items[i].u.str.len);
        return h;
    default:
        return 0;
    }
}

static bool value_nonempty(const dp_value *v)
{
    switch (v->type) {
    case DP_VAL_STR:
        return v->u.str.len > 0;
    case DP_VAL_ARRAY:
        return v->u.arr.n > 0;
    case DP_VAL_NONE:
        return false;
    default:
        return true;
    }
}

static bool has_prefix(const char *key, size_t len, const char *prefix)
{
    size_t pl = strlen(prefix);
    return len > pl && memcmp(key, prefix, pl) == 0;
}

static bool agent_family(const char *key, size_t len)
{
    for (size_t i = 0; i < sizeof(agent_prefixes) / sizeof(*agent_prefixes);
         i++)
        if (has_prefix(key, len, agent_prefixes[i]))
            return true;
    return false;
}

/* Keeps v in *slot when its rank beats *slot_rank (views, not copies). */
static void take_meta(const dp_value *v, unsigned rank, dp_value *slot,
                      uint8_t *slot_rank)
{
    if (v->type != DP_VAL_STR || v->u.str.len == 0)
        return;
    if (*slot_rank != 0 && *slot_rank <= rank)
        return;
    *slot = *v;
    *slot_rank = (uint8_t)rank;
}

static int resolve_attr(const dp__mem *a, const dp_attr *at, dp__span *rec,
                        dp__span_meta *meta, bool resource)
{
    const struct key_entry *e = key_lookup(at->key, at->key_len);
    const dp_value *v = &at->value;

    if (!e) {
        if (resource)
            return 0;
        if (agent_family(at->key, at->key_len))
            rec->flags |= DP__SPAN_AGENTISH;
        for (size_t i = 0; i < sizeof(input_prefixes) / sizeof(*input_prefixes);
             i++) {
            if (has_prefix(at->key, at->key_len, input_prefixes[i]) &&
                value_nonempty(v)) {
                rec->input_hash += input_attr_hash(at);
                return 0;
            }
        }
        return 0;
    }
    if (resource) {
        /* Read on a resource: dag.id, service.name, service.version. */
        if (e->field == F_SERVICE) {
            if (v->type == DP_VAL_STR && v->u.str.len && !meta->service.type)
                meta->service = *v;
            return 0;
        }
        if (e->field == F_VERSION && e->rank == 1) {
            take_meta(v, e->rank, &meta->version, &meta->version_rank);
            return 0;
        }
        if (e->field != F_DAG_ID)
            return 0;
    } else if (e->field == F_SERVICE ||
               (e->field == F_VERSION && e->rank == 1)) {
        return 0; /* resource attributes, not read on a span */
    }
    if (e->field != F_SESSION)
        rec->flags |= DP__SPAN_AGENTISH;

    switch (e->field) {
    case F_DAG_ID:
        /* Resource attributes are resolved last: the span's own dag.id
         * beats its resource's. */
        if (v->type != DP_VAL_STR || v->u.str.len == 0 ||
            (resource && rec->dag_id))
            return 0;
        rec->dag_id = dup_str(a, v);
        return rec->dag_id ? 0 : DP_ENOMEM;
    case F_NODE_DAG:
    case F_NODE_GRAPH: {
        int src = e->field == F_NODE_DAG ? DP__NODE_DAG_ID : DP__NODE_GRAPH_ID;
        if (rec->node_src != DP__NODE_NONE && rec->node_src <= src)
            return 0;
        const char *s = dup_str(a, v);
        if (!s && v->type == DP_VAL_INT) {
            char num[24];
            int n = snprintf(num, sizeof(num), "%lld", (long long)v->u.i);
            s = mem_strndup(a, num, (size_t)n);
        }
        if (!s)
            return 0;
        rec->node_attr = s;
        rec->node_src = (uint8_t)src;
        return 0;
    }
    case F_METADATA: {
        if (v->type != DP_VAL_STR || (rec->node_src != DP__NODE_NONE &&
                                      rec->node_src <= DP__NODE_LANGGRAPH))
            return 0;
        const char *s = langgraph_node(a, v->u.str.ptr, v->u.str.len);
        if (s && strcmp(s, "__start__") != 0 && strcmp(s, "__end__") != 0) {
            rec->node_attr = s;
            rec->node_src = DP__NODE_LANGGRAPH;
        }
        return 0;
    }
    case F_OPERATION:
        if (str_eq(v, "chat") || str_eq(v, "text_completion") ||
            str_eq(v, "generate_content") || str_eq(v, "embeddings"))
            rec->flags |= DP__SPAN_LLM;
        else if (str_eq(v, "execute_tool") || str_eq(v, "retrieval") ||
                 (v->type == DP_VAL_STR && v->u.str.len > 7 &&
                  memcmp(v->u.str.ptr + v->u.str.len - 7, "_memory", 7) == 0))
            rec->flags |= DP__SPAN_TOOL; /* memory operations too */
        else if (str_eq(v, "invoke_agent"))
            rec->flags |= DP__SPAN_AGENT;
        else if (str_eq(v, "invoke_workflow"))
            rec->flags |= DP__SPAN_WORKFLOW;
        else if (str_eq(v, "plan"))
            rec->flags |= DP__SPAN_PLAN; /* an LLM call when it has usage */
        return 0;
    case F_OI_KIND:
        if (str_ieq(v, "LLM"))
            rec->flags |= DP__SPAN_LLM;
        else if (str_ieq(v, "TOOL"))
            rec->flags |= DP__SPAN_TOOL;
        else if (str_ieq(v, "AGENT"))
            rec->flags |= DP__SPAN_AGENT;
        return 0;
    case F_TL_KIND:
        if (str_ieq(v, "llm"))
            rec->flags |= DP__SPAN_LLM;
        else if (str_ieq(v, "tool"))
            rec->flags |= DP__SPAN_TOOL;
        else if (str_ieq(v, "task") || str_ieq(v, "agent"))
            rec->flags |= DP__SPAN_AGENT;
        return 0;
    case F_ENTITY_NAME:
        if (!rec->entity_name && v->type == DP_VAL_STR && v->u.str.len)
            rec->entity_name = dup_str(a, v);
        return 0;
    case F_AGENT_NAME:
        if (v->type == DP_VAL_STR && v->u.str.len &&
            (!rec->agent_name || (rec->flags & DP__SPAN_AGENT_WF))) {
            rec->agent_name = dup_str(a, v);
            rec->flags &= (uint16_t)~DP__SPAN_AGENT_WF;
        }
        return 0;
    case F_WORKFLOW_NAME: /* older name of an invoke_workflow's agent name */
        if (!rec->agent_name && v->type == DP_VAL_STR && v->u.str.len) {
            rec->agent_name = dup_str(a, v);
            rec->flags |= DP__SPAN_AGENT_WF;
        }
        return 0;
    case F_ATTEMPT: {
        int64_t x;
        if (value_int(v, &x) && x >= 0) {
            rec->attempt = x;
            rec->flags |= DP__SPAN_ATTEMPT;
        }
        return 0;
    }
    case F_VERSION:
        take_meta(v, e->rank, &meta->version, &meta->version_rank);
        return 0;
    case F_SESSION:
        take_meta(v, e->rank, &meta->session, &meta->session_rank);
        return 0;
    case F_SERVICE:
        return 0;
    case F_MODEL:
        return take_str(a, v, e->rank, &rec->model, &rec->model_rank);
    case F_TOOL_NAME:
        return take_str(a, v, e->rank, &rec->tool_name, &rec->tool_rank);
    case F_TOK_INPUT:
    case F_TOK_OUTPUT:
    case F_TOK_CACHE_READ:
    case F_TOK_CACHE_WRITE:
    case F_TOK_REASONING: {
        int slot = e->field - F_TOK_INPUT;
        int64_t x;
        if (!value_int(v, &x) || x < 0)
            return 0;
        if (rec->tok_rank[slot] != 0 && rec->tok_rank[slot] <= e->rank)
            return 0;
        rec->tokens[slot] = x;
        rec->tok_rank[slot] = e->rank;
        rec->flags |= DP__SPAN_TOKENS;
        return 0;
    }
    case F_COST: {
        double usd;
        if (!value_double(v, &usd) || usd < 0 || usd > 9.0e6)
            return 0;
        if (rec->cost_rank != 0 && rec->cost_rank <= e->rank)
            return 0;
        rec->cost_pusd = (int64_t)(usd * 1e12 + 0.5);
        rec->cost_rank = e->rank;
        rec->flags |= DP__SPAN_COST;
        return 0;
    }
    case F_RETRIES: {
        int64_t x;
        if (value_int(v, &x) && x >= 0) {
            rec->retries = x;
            rec->flags |= DP__SPAN_RETRIES;
        }
        return 0;
    }
    case F_DEPENDS_ON:
        return take_depends_on(a, v, rec);
    case F_GRAPH_PARENT:
        if (!rec->graph_parent && v->type == DP_VAL_STR && v->u.str.len)
            rec->graph_parent = dup_str(a, v);
        return 0;
    case F_INPUT:
        if (value_nonempty(v))
            rec->input_hash += input_attr_hash(at);
        return 0;
    case F_CACHE_KEY:
        if (value_nonempty(v))
            rec->cache_key_hash = input_attr_hash(at) | 1;
        return 0;
    }
    return 0;
}

static bool name_in(const char *name, size_t len, const char *const *list,
                    size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && memcmp(list[i], name, len) == 0)
            return true;
    return false;
}

int dp__span_resolve(const dp__mem *a, const dp_span_in *in, dp__span *rec,
                     dp__span_meta *meta)
{
    memset(rec, 0, sizeof(*rec));
    memset(meta, 0, sizeof(*meta));
    memcpy(rec->span_id, in->span_id, 8);
    rec->has_parent = in->has_parent;
    if (in->has_parent)
        memcpy(rec->parent_id, in->parent_span_id, 8);
    rec->status =
        (uint8_t)(in->status_code >= 0 && in->status_code <= 2 ? in->status_code
                                                               : 0);
    rec->start_ns = in->start_ns;
    rec->end_ns = in->end_ns;
    rec->name =
        mem_strndup(a, in->name ? in->name : "", in->name ? in->name_len : 0);
    if (!rec->name)
        return DP_ENOMEM;

    for (size_t i = 0; i < in->n_attrs; i++) {
        int rc = resolve_attr(a, &in->attrs[i], rec, meta, false);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < in->n_resource_attrs; i++) {
        int rc = resolve_attr(a, &in->resource_attrs[i], rec, meta, true);
        if (rc)
            return rc;
    }
    /* The Vercel AI SDK names its spans instead of tagging them. */
    size_t nl = in->name ? in->name_len : 0;
    if (nl > 3 && memcmp(rec->name, "ai.", 3) == 0) {
        if (name_in(rec->name, nl, ai_sdk_calls,
                    sizeof(ai_sdk_calls) / sizeof(*ai_sdk_calls)))
            rec->flags |= DP__SPAN_LLM | DP__SPAN_AGENTISH;
        else if (name_in(rec->name, nl, ai_sdk_outer,
                         sizeof(ai_sdk_outer) / sizeof(*ai_sdk_outer)))
            rec->flags |= DP__SPAN_NOCALL | DP__SPAN_AGENTISH;
        else if (nl == 11 && memcmp(rec->name, "ai.toolCall", 11) == 0)
            rec->flags |= DP__SPAN_TOOL | DP__SPAN_AGENTISH;
    }
    if ((rec->flags & DP__SPAN_PLAN) && (rec->flags & DP__SPAN_TOKENS))
        rec->flags |= DP__SPAN_LLM;
    if (rec->flags & (DP__SPAN_LLM | DP__SPAN_TOOL))
        rec->flags &= (uint16_t)~DP__SPAN_NOCALL;
    if (in->n_links) {
        size_t n = 0;
        rec->links = mem_alloc(a, in->n_links * sizeof(*rec->links));
        if (!rec->links)
            return DP_ENOMEM;
        for (size_t i = 0; i < in->n_links; i++)
            if (memcmp(in->links[i].trace_id, in->trace_id, 16) == 0)
                rec->links[n++] = in->links[i];
        rec->n_links = (uint32_t)n;
    }
    return 0;
}

bool dp_processor_attr_wanted(const char *key, size_t len)
{
    if (key_lookup(key, len))
        return true;
    for (size_t i = 0; i < sizeof(input_prefixes) / sizeof(*input_prefixes);
         i++)
        if (has_prefix(key, len, input_prefixes[i]))
            return true;
    return agent_family(key, len);
}

bool dp_processor_resource_attr_wanted(const char *key, size_t len)
{
    const struct key_entry *e = key_lookup(key, len);
    return e && (e->field == F_DAG_ID || e->field == F_SERVICE ||
                 (e->field == F_VERSION && e->rank == 1));
}
