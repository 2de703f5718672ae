/*
 * truth.js - what a profile of one run must say, per DESIGN.md, derived
 * from what is known independently of dagprof:
 *
 *   - the graph structure of each workflow (which steps exist, which waits
 *     for which, which branch is slowest by script), written down here;
 *   - the fake server's record of the run (fake_llm.js): the usage it
 *     answered for each request, hence tokens and, with data/pricing.json,
 *     cost;
 *   - the spans the application really emitted (the capture): their start
 *     and end times, for the timing metrics, and which execution served
 *     which request.
 *
 * Nothing here reads a dagprof profile. `expectedRun()` returns the truth
 * for one run; agents.test.js compares the profile with it.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const { SEARCHES } = require('./workflows');

const ROOT = path.resolve(__dirname, '..', '..');
const PRICING = JSON.parse(fs.readFileSync(path.join(ROOT, 'data',
    'pricing.json'), 'utf8'));

/* --------------------------------------------------------- pricing -- */

/* Strips provider prefixes as docs/pricing.md says (not needed for the
 * models used here, kept for fidelity). */
function baseName(model) {
    return model.toLowerCase().replace(/^.*\//, '');
}

function rowMatches(row, name) {
    const p = row.pattern.toLowerCase();
    if (row.match === 'exact') return name === p;
    if (row.match === 'prefix') return name.startsWith(p);
    return new RegExp(row.pattern, 'i').test(name);
}

const MATCH_RANK = { exact: 3, prefix: 2, regex: 1 };

/*
 * The pricing row for model at time atMs (docs/pricing.md "Choosing a
 * row"): newest effective date not after the call; on equal dates exact >
 * prefix > regex, longer prefix first; if all are later, the earliest.
 */
function priceRow(model, atMs) {
    const names = [model.toLowerCase(), baseName(model)];
    const rows = PRICING.rows.filter((r) => names.some((n) => rowMatches(r, n)));
    if (!rows.length) return null;
    const eff = (r) => Date.parse(`${r.effective}T00:00:00Z`);
    const rank = (a, b) => (MATCH_RANK[b.match] - MATCH_RANK[a.match]) ||
        (b.pattern.length - a.pattern.length);
    const inEffect = rows.filter((r) => eff(r) <= atMs);
    if (inEffect.length) {
        return inEffect.sort((a, b) => (eff(b) - eff(a)) || rank(a, b))[0];
    }
    return rows.sort((a, b) => (eff(a) - eff(b)) || rank(a, b))[0];
}

/* Price in pico-USD per token (= micro-USD per 1M), exact integers. */
const pico = (perMillion) => Math.round(perMillion * 1e6);

/*
 * Cost of one call in pico-USD from the *reported* usage: unknown cache
 * counts mean the whole input is priced at the input price; reasoning
 * tokens are part of output and priced at the reasoning price if the row
 * has one (none of the rows used here do).
 */
function callCostPico(row, u) {
    if (!row) return 0;
    const cr = u.cacheRead || 0;
    const cw = u.cacheWrite || 0;
    const r = u.reasoning || 0;
    const pIn = pico(row.input);
    const pOut = pico(row.output);
    const pCr = row.cache_read == null ? pIn : pico(row.cache_read);
    const pCw = row.cache_write == null ? pIn : pico(row.cache_write);
    const pR = row.reasoning == null ? pOut : pico(row.reasoning);
    const uncached = Math.max(0, u.input - cr - cw);
    return uncached * pIn + cr * pCr + cw * pCw +
        (u.output - r) * pOut + r * pR;
}

/* ------------------------------------------- what each library reports -- */

/*
 * Which usage details each instrumentation puts on its LLM spans, given
 * what the server answered (checked in the libraries' code, see
 * tests/data/agents/README.md): OpenInference-openai copies cached and
 * reasoning counts (0 too); OpenInference-langchain copies them only when
 * non-zero; the GenAI contrib and OpenLLMetry instrumentations report input
 * and output only. Nobody reports cache writes for OpenAI.
 */
const REPORTS = {
    openinference: { cacheRead: () => true, reasoning: () => true },
    langchain: { cacheRead: (v) => v > 0, reasoning: (v) => v > 0 },
    genai: { cacheRead: () => false, reasoning: () => false },
    openllmetry: { cacheRead: () => false, reasoning: () => false },
};

/* Reported usage of one fake-server request under instr. */
function reportedUsage(instr, rec) {
    const rep = REPORTS[instr];
    return {
        model: rec.model,
        input: rec.usage.p,
        output: rec.usage.o,
        cacheRead: rep.cacheRead(rec.usage.c) ? rec.usage.c : null,
        cacheWrite: null,
        reasoning: rep.reasoning(rec.usage.r) ? rec.usage.r : null,
    };
}

const addNull = (a, b) => (b == null ? a : (a == null ? 0 : a) + b);

/* Token totals ({inputTokens, ..., byModel}) and cost of a list of calls. */
function sumCalls(calls, atMs) {
    const t = { inputTokens: 0, outputTokens: 0, cacheReadTokens: null,
        cacheWriteTokens: null, reasoningTokens: null, totalTokens: 0,
        byModel: {} };
    let costPico = 0;
    const costByModel = {};
    for (const c of calls) {
        t.inputTokens += c.input;
        t.outputTokens += c.output;
        t.cacheReadTokens = addNull(t.cacheReadTokens, c.cacheRead);
        t.cacheWriteTokens = addNull(t.cacheWriteTokens, c.cacheWrite);
        t.reasoningTokens = addNull(t.reasoningTokens, c.reasoning);
        t.totalTokens += c.input + c.output;
        t.byModel[c.model] = (t.byModel[c.model] || 0) + c.input + c.output;
        const cp = callCostPico(priceRow(c.model, atMs), c);
        costPico += cp;
        costByModel[c.model] = (costByModel[c.model] || 0) + cp;
    }
    return { tokens: t, costPico, costByModel };
}

/* ----------------------------------------------------- span helpers -- */

const NS = 1000000n;
const toMs = (ns) => Number(ns) / 1e6;

function children(spans, id) {
    return spans.filter((s) => s.parent === id);
}

function descendants(spans, id) {
    const out = [];
    const stack = [id];
    while (stack.length) {
        const cur = stack.pop();
        for (const c of children(spans, cur)) {
            out.push(c);
            stack.push(c.spanId);
        }
    }
    return out;
}

function isLlmSpan(s) {
    return s.attrs['openinference.span.kind'] === 'LLM' ||
        s.attrs['gen_ai.operation.name'] === 'chat';
}

function isToolSpan(s) {
    return s.attrs['openinference.span.kind'] === 'TOOL';
}

/* Length of the union of [start,end) intervals (ns BigInt), clipped. */
function unionNs(intervals, lo, hi) {
    const iv = intervals.map(([a, b]) => [a < lo ? lo : a, b > hi ? hi : b])
        .filter(([a, b]) => b > a).sort((x, y) => (x[0] < y[0] ? -1 : 1));
    let total = 0n;
    let cs = null;
    let ce = null;
    for (const [a, b] of iv) {
        if (cs === null || a > ce) {
            if (cs !== null) total += ce - cs;
            cs = a;
            ce = b;
        } else if (b > ce) {
            ce = b;
        }
    }
    if (cs !== null) total += ce - cs;
    return total;
}

function langgraphNode(s) {
    if (typeof s.attrs.metadata !== 'string') return null;
    try {
        return JSON.parse(s.attrs.metadata).langgraph_node || null;
    } catch (e) {
        return null;
    }
}

/* The [[key]] marker of an LLM span's recorded input, if any. */
function promptKey(s) {
    for (const v of Object.values(s.attrs)) {
        if (typeof v !== 'string') continue;
        const m = /\[\[([^\]]+)\]\]/.exec(v);
        if (m) return m[1];
    }
    return null;
}

/* ------------------------------------------------- structure (truth) -- */

/*
 * Node executions of a run, from the spans, by how each workflow is
 * written: { base (node id before #k), span, group (enclosing group base or
 * null) }. Only the step spans the code creates count.
 */
function stepSpans(workflow, instr, spans) {
    if (workflow === 'openai-fanout') {
        const byName = {
            openinference: (n) => n,
            genai: (n) => n.replace(/^invoke_agent /, ''),
            openllmetry: (n) => n.replace(/\.task$/, ''),
        }[instr];
        const ids = ['plan'].concat(SEARCHES, ['synthesize']);
        return spans.map((s) => ({ base: byName(s.name), span: s }))
            .filter((x) => ids.includes(x.base) &&
                !isLlmSpan(x.span) && x.span.parent !== null)
            .map((x) => Object.assign(x, { group: null }));
    }
    /* LangGraph: a node execution is the CHAIN span named as its
     * langgraph_node (the router lambdas, LLM and tool spans inherit the
     * metadata but have other names); __start__ is not a node. */
    const steps = spans.filter((s) => langgraphNode(s) === s.name &&
        s.name !== '__start__' && !isLlmSpan(s) && !isToolSpan(s));
    return steps.map((s) => {
        /* The nearest enclosing step span, if any. */
        let p = s.parent;
        let group = null;
        const byId = new Map(spans.map((x) => [x.spanId, x]));
        while (p && byId.has(p)) {
            const ps = byId.get(p);
            if (steps.includes(ps)) {
                group = ps;
                break;
            }
            p = ps.parent;
        }
        return { base: s.name, span: s, groupSpan: group };
    });
}

const byStart = (a, b) => (a.span.start < b.span.start ? -1
    : a.span.start > b.span.start ? 1 : 0);

/*
 * Expected truth of one run. spans: the run's spans (span_tree.spansOf),
 * requests: the fake server's records of the run.
 */
function expectedRun({ workflow, instr, spans, requests, serviceName }) {
    const runStart = spans.reduce((m, s) => (s.start < m ? s.start : m),
        spans[0].start);
    const runEnd = spans.reduce((m, s) => (s.end > m ? s.end : m),
        spans[0].end);
    const atMs = Number(runStart / NS);

    /* Executions, with unique ids: the k-th by start is base#k. Executions
     * that start at the same instant are interchangeable: `alts` lists the
     * ids any of them may get. */
    const execs = stepSpans(workflow, instr, spans).sort(byStart);
    const seen = {};
    for (const e of execs) {
        seen[e.base] = (seen[e.base] || 0) + 1;
        e.id = seen[e.base] === 1 ? e.base : `${e.base}#${seen[e.base]}`;
    }
    for (const e of execs) {
        e.alts = execs.filter((x) => x.base === e.base &&
            x.span.start === e.span.start).map((x) => x.id);
    }
    const bySpan = new Map(execs.map((e) => [e.span.spanId, e]));
    for (const e of execs) {
        e.parent = e.groupSpan ? bySpan.get(e.groupSpan.spanId).id : null;
    }
    for (const e of execs) {
        e.children = execs.filter((x) => x.parent === e.id).map((x) => x.id);
        e.kind = e.children.length ? 'group' : 'leaf';
    }
    const find = (base, k = 1) => execs.filter((e) => e.base === base)[k - 1];

    /* The requests each execution made (fake-server truth), and the
     * structural dependencies. */
    let deps = {};
    let sources = {};
    let slowest = null;
    const reqOf = {};
    const take = (pred) => requests.filter(pred);
    if (workflow === 'openai-fanout') {
        for (const e of execs) reqOf[e.id] = take((r) => r.key === e.base);
        deps = { plan: [], synthesize: SEARCHES.slice() };
        for (const s of SEARCHES) deps[s] = ['plan'];
        const declared = instr === 'openinference';
        sources = { plan: 'none', synthesize: 'inferred' };
        for (const s of SEARCHES) sources[s] = declared ? 'attribute' : 'inferred';
        slowest = 'search-2';
    } else if (workflow === 'react') {
        const agents = execs.filter((e) => e.base === 'agent');
        agents.forEach((e, i) => {
            reqOf[e.id] = take((r) => r.key === 'react-agent' && r.turn === i);
        });
        for (const e of execs) if (!reqOf[e.id]) reqOf[e.id] = [];
        execs.forEach((e, i) => {
            deps[e.id] = i === 0 ? [] : [execs[i - 1].id];
            sources[e.id] = i === 0 ? 'none' : 'inferred';
        });
    } else if (workflow === 'send') {
        const workers = execs.filter((e) => e.base === 'worker');
        reqOf.plan = take((r) => r.key === 'send-plan');
        reqOf.reduce = take((r) => r.key === 'send-reduce');
        for (const w of workers) {
            const llm = descendants(spans, w.span.spanId).find(isLlmSpan);
            w.topicKey = llm ? promptKey(llm) : null;
            reqOf[w.id] = take((r) => r.key === w.topicKey);
        }
        deps = { plan: [], reduce: workers.map((w) => w.id) };
        sources = { plan: 'none', reduce: 'inferred' };
        for (const w of workers) {
            deps[w.id] = ['plan'];
            sources[w.id] = 'inferred';
        }
        const beta = workers.find((w) => w.topicKey === 'worker:beta');
        slowest = beta ? beta.id : null;
    } else if (workflow === 'subgraph') {
        for (const e of execs) {
            reqOf[e.id] = e.kind === 'leaf' ? take((r) => r.key === e.base)
                : [];
        }
        /* draft has no dependency inside its group: it inherits team's. */
        deps = { prepare: [], team: ['prepare'], draft: ['prepare'],
            review: ['draft'] };
        sources = { prepare: 'none', team: 'inferred', draft: 'inferred',
            review: 'inferred' };
    }

    /* Timing from the spans, readiness from the structural deps. */
    const node = {};
    for (const e of execs) {
        const n = {
            id: e.id, base: e.base, alts: e.alts, kind: e.kind,
            parent: e.parent, children: e.children,
            startNs: e.span.start - runStart, endNs: e.span.end - runStart,
            dependsOn: (deps[e.id] || []).slice().sort(),
            dependencySource: sources[e.id],
        };
        const inside = descendants(spans, e.span.spanId);
        const llm = inside.filter(isLlmSpan);
        const tools = inside.filter(isToolSpan);
        n.llmSpans = llm.length;
        n.llmNs = unionNs(llm.map((s) => [s.start, s.end]), e.span.start,
            e.span.end);
        n.toolNs = unionNs(tools.map((s) => [s.start, s.end]), e.span.start,
            e.span.end);
        n.selfNs = (e.span.end - e.span.start) - unionNs(
            llm.concat(tools).map((s) => [s.start, s.end]), e.span.start,
            e.span.end);
        n.toolCalls = tools.map((s) => ({ tool: s.attrs['tool.name'] ||
            s.name, durationNs: s.end - s.start, success: true }));
        node[e.id] = n;
    }
    /* Requests per node: a group's are its subtree's. */
    const subtree = (id) => [id].concat(...node[id].children.map(subtree));
    for (const id of Object.keys(node)) {
        const n = node[id];
        n.requests = [].concat(...subtree(id).map((x) => reqOf[x] || []));
        n.ownRequests = reqOf[id] || [];
        const s = sumCalls(n.requests.map((r) => reportedUsage(instr, r)),
            atMs);
        n.tokens = s.tokens;
        n.costPico = s.costPico;
        n.models = [...new Set(n.requests.map((r) => r.model))].sort();
        n.scriptedLatencyMs = n.requests.reduce((a, r) => a + r.latencyMs,
            0);
    }
    for (const id of Object.keys(node)) {
        const n = node[id];
        const d = n.dependsOn.map((x) => node[x]);
        let readyNs = d.length ? d.reduce((m, x) => (x.endNs > m ? x.endNs : m),
            0n) : 0n;
        if (n.parent && node[n.parent].startNs > readyNs) {
            readyNs = node[n.parent].startNs;
        }
        /* When it became ready on the application's clock: its last
         * structural dependency's end, or its group's start if later. The
         * phantom scheduling_delay check accepts a reported delay only up
         * to startNs - readyNs. */
        n.readyNs = readyNs;
        if (n.startNs < readyNs) {
            n.queueDelayNs = 0n;
            n.dependencyWaitNs = n.startNs;
        } else {
            n.queueDelayNs = n.startNs - readyNs;
            n.dependencyWaitNs = readyNs;
        }
    }

    /* The leaf DAG: critical path by structure (the slowest branch), and
     * the metrics over leaves. */
    const leaves = Object.values(node).filter((n) => n.kind === 'leaf');
    const leafOrder = leaves.slice().sort((a, b) =>
        (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
    /* Critical path per DESIGN.md over the expected dependencies: from
     * the leaf that ends last, step to the dependency with the latest end
     * (ties: earlier start, then id). The scripted latencies make it the
     * structural one: the slowest branch (search-2, worker:beta). */
    const later = (a, b) => (a.endNs !== b.endNs ? a.endNs > b.endNs
        : a.startNs !== b.startNs ? a.startNs < b.startNs : a.id < b.id);
    const leafDeps = (n) => {
        /* A dependency on a group means on its last leaves. */
        const out = [];
        for (const id of n.dependsOn) {
            const x = node[id];
            if (x.kind === 'leaf') out.push(x);
            else out.push(...leaves.filter((l) => l.parent === x.id));
        }
        return out;
    };
    let cur = leaves.reduce((b, n) => (!b || later(n, b) ? n : b), null);
    const criticalPath = [];
    while (cur) {
        criticalPath.unshift(cur.id);
        cur = leafDeps(cur).reduce((b, n) => (!b || later(n, b) ? n : b),
            null);
    }
    const structuralPath = {
        'openai-fanout': ['plan', slowest, 'synthesize'],
        react: leafOrder.map((n) => n.id),
        send: ['plan', slowest, 'reduce'],
        subgraph: ['prepare', 'draft', 'review'],
    }[workflow];
    const peakConcurrency = (workflow === 'openai-fanout' ||
        workflow === 'send') ? 3 : 1;
    const execNs = (n) => n.endNs - n.startNs;
    const sumExecNs = leaves.reduce((a, n) => a + execNs(n), 0n);
    const cpNs = criticalPath.reduce((a, id) => a + execNs(node[id]), 0n);

    const allCalls = requests.map((r) => reportedUsage(instr, r));
    const run = sumCalls(allCalls, atMs);
    const byNodeTokens = {};
    const byNodeCost = {};
    for (const n of leaves) {
        byNodeTokens[n.id] = n.tokens.totalTokens;
        byNodeCost[n.id] = n.costPico;
    }

    const dagId = {
        'openai-fanout': instr === 'openllmetry' ? 'research.workflow'
            : 'research',
        react: 'react-agent',
        send: 'send-fanout',
        subgraph: 'writer',
    }[workflow];
    const runTag = requests.length ? requests[0].run : null;
    const sessionId = instr === 'openllmetry' ? null : `sess-${runTag}`;

    return {
        workflow, instr, dagId, sessionId, serviceName,
        version: '1.0.0',
        spanCount: spans.length,
        startTimeUnixNano: runStart,
        wallNs: runEnd - runStart,
        nodes: node,
        /* nodeMetrics order: by start, ties by nodeId. */
        order: execs.slice().sort((a, b) => byStart(a, b) ||
            (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((e) => e.id),
        criticalPath,
        structuralPath,
        criticalPathNs: cpNs,
        sumExecNs,
        peakConcurrency,
        tokens: run.tokens,
        costPico: run.costPico,
        costByModel: run.costByModel,
        byNodeTokens,
        byNodeCost,
        requests: requests.length,
        toMs,
    };
}

module.exports = { expectedRun, priceRow, callCostPico, reportedUsage,
    REPORTS, PRICING, toMs, stepSpans, isLlmSpan, isToolSpan };
