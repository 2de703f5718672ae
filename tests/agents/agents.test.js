/*
 * agents.test.js - dagprof against real LLM-agent instrumentations.
 *
 * One `dagprof serve` (the real binary) and one fake OpenAI server
 * (fake_llm.js) on 127.0.0.1. For each workflow and instrumentation, an
 * application process (run_workflow.js) runs the workflow 3 times with the
 * real npm libraries, exporting live with the OTel SDK's BatchSpanProcessor,
 * alternating OTLP/HTTP and OTLP/gRPC between runs, and writes its spans to
 * a capture file. Each run's profile is checked against the truth of
 * truth.js (graph structure + the fake server's record + the captured
 * span times), per DESIGN.md, check by check (one subtest each), and
 * against `dagprof report` on the capture file.
 *
 * DAGPROF_AGENTS_SUMMARY=FILE appends one JSON line per check
 * ({ case, run, protocol, check, ok, detail }) for a pass/fail table;
 * DAGPROF_AGENTS_KEEP=DIR keeps the capture files there.
 */
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');
const { startFakeLlm } = require('./fake_llm');
const { expectedRun, toMs } = require('./truth');
const { spansOf } = require('./span_tree');

const GRACE_MS = 300;
const RUNS = 3;

let fake;
let daemon;
let dir;

before(async () => {
    fake = await startFakeLlm();
    daemon = await h.startServe(['--grace', `${GRACE_MS}ms`]);
    dir = process.env.DAGPROF_AGENTS_KEEP || h.tmpDir();
    fs.mkdirSync(dir, { recursive: true });
});

after(async () => {
    if (fake) await fake.close();
    if (daemon) {
        const r = await daemon.stop();
        assert.equal(r.code, 0, `dagprof serve exit: ${daemon.logTail()}`);
        assert.deepEqual(daemon.badLines, [], 'non-JSON lines on stdout');
        assert.deepEqual(daemon.schemaErrors, [],
            `profiles that do not validate against ${h.SCHEMA_FILE}`);
    }
    if (dir && !process.env.DAGPROF_AGENTS_KEEP) {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    h.killAll();
});

/* -------------------------------------------------- check utilities -- */

const TOL_MS = 0.002; /* profile times are rounded to the microsecond */
const fmt = (v) => JSON.stringify(v, (k, x) =>
    (typeof x === 'bigint' ? Number(x) : x));

/* Collects mismatches so one check reports all of them. */
class Diff {
    constructor() { this.out = []; }
    eq(actual, expected, what) {
        try {
            assert.deepStrictEqual(actual, expected);
        } catch (e) {
            this.out.push(`${what}: got ${fmt(actual)}, want ${fmt(expected)}`);
        }
    }
    near(actual, expected, tol, what) {
        if (typeof actual !== 'number' || !(Math.abs(actual - expected) <=
            tol)) {
            this.out.push(`${what}: got ${fmt(actual)}, want ${
                Number(expected.toFixed(6))} (±${tol})`);
        }
    }
    ok(cond, what) {
        if (!cond) this.out.push(what);
    }
    done() {
        if (this.out.length) {
            assert.fail(`${this.out.length} mismatch(es):\n  ${
                this.out.join('\n  ')}`);
        }
    }
}

const ms = (ns) => toMs(ns);
const usd = (pico) => pico / 1e12;

function summary(rec) {
    const f = process.env.DAGPROF_AGENTS_SUMMARY;
    if (f) fs.appendFileSync(f, JSON.stringify(rec) + '\n');
}

/*
 * Maps the truth's node ids to the profile's: the same id, except that
 * executions of one node starting at the same instant may get their #k in
 * either order; those are matched by end time.
 */
function mapNodes(profile, truth) {
    const actual = new Map((profile.nodeMetrics || []).map((n) =>
        [n.nodeId, n]));
    const map = {};
    const used = new Set();
    for (const t of Object.values(truth.nodes)) {
        const cands = t.alts.map((id) => actual.get(id))
            .filter((n) => n && !used.has(n.nodeId));
        if (!cands.length) continue;
        cands.sort((a, b) => Math.abs(a.end - ms(t.endNs)) -
            Math.abs(b.end - ms(t.endNs)));
        map[t.id] = cands[0];
        used.add(cands[0].nodeId);
    }
    const back = {};
    for (const [tid, n] of Object.entries(map)) back[n.nodeId] = tid;
    return { node: (id) => map[id], toTruth: (id) => back[id] || id };
}

function tokensOf(t) {
    return {
        inputTokens: t.inputTokens, outputTokens: t.outputTokens,
        cacheReadTokens: t.cacheReadTokens,
        cacheWriteTokens: t.cacheWriteTokens,
        reasoningTokens: t.reasoningTokens, totalTokens: t.totalTokens,
    };
}

/*
 * Why a scheduling_delay bottleneck is not a delay the run really had, or
 * null if it is. The delay it reports (the node's queueDelay, which its
 * details repeat to the ms and its impact as a share of the wall; the
 * largest of the three counts) must be there in the truth: the execution's
 * span started, on the application's clock, at least that long (less
 * TOL_MS) after it became ready, that is after the last of its true
 * dependencies ended (or its enclosing group started; the run's start
 * without either). A delay a loaded machine really put into the run passes;
 * one dagprof invents (a wrong dependency, a skewed clock, a loop iteration
 * taken for another) does not.
 */
function phantomDelay(b, p, t, ctx) {
    const a = (p.nodeMetrics || []).find((n) => n.nodeId === b.nodeId);
    if (!a) return `${b.nodeId}: not in nodeMetrics`;
    const n = t.nodes[ctx.map.toTruth(b.nodeId)];
    const back = n && ctx.map.node(n.id);
    if (!back || back.nodeId !== b.nodeId) {
        return `${b.nodeId}: no such execution in the run`;
    }
    if (typeof a.queueDelay !== 'number') {
        return `${b.nodeId}: queueDelay ${fmt(a.queueDelay)}`;
    }
    const claims = [a.queueDelay];
    const m = /: (-?\d+\.\d{3}) s of queue delay$/.exec(b.details || '');
    /* Printed to the ms; impact: a percentage with 2 decimals. */
    if (m) claims.push(Number(m[1]) * 1000 - 0.5);
    if (typeof b.impact === 'number') {
        claims.push((b.impact - 0.005) / 100 * p.metrics.totalDuration);
    }
    const reported = Number(Math.max(...claims).toFixed(3));
    const real = ms(n.startNs - n.readyNs);
    if (real >= reported - TOL_MS) return null;
    const deps = n.dependsOn.length ? `after ${fmt(n.dependsOn)} ended`
        : n.parent ? `after ${n.parent} started` : 'after the run started';
    return `${b.nodeId}: reports ${reported} ms of queue delay, but the run ` +
        `started it ${Number(real.toFixed(3))} ms ${deps} (ready at ${
            Number(ms(n.readyNs).toFixed(3))} ms, started at ${
            Number(ms(n.startNs).toFixed(3))} ms)`;
}

/* ------------------------------------------------------------ checks -- */

/* The named checks of one run: [name, fn(profile, truth, ctx)]. */
const CHECKS = [
    ['profile: one per trace, complete, all spans', (p, t, ctx) => {
        const d = new Diff();
        d.eq(ctx.daemon.profilesOf(p.traceId).length, 1, 'profiles');
        d.eq(p.complete, true, 'complete');
        d.eq(p.incompleteReason, null, 'incompleteReason');
        d.eq(p.spanCount, t.spanCount, 'spanCount');
        d.eq(p.lateSpans, 0, 'lateSpans');
        d.eq(p.startTimeUnixNano, String(t.startTimeUnixNano),
            'startTimeUnixNano');
        d.done();
    }],
    ['identity: dagId, serviceName, version, sessionId', (p, t) => {
        const d = new Diff();
        d.eq(p.dagId, t.dagId, 'dagId');
        d.eq(p.serviceName, t.serviceName, 'serviceName');
        d.eq(p.version, t.version, 'version');
        d.eq(p.sessionId, t.sessionId, 'sessionId');
        d.done();
    }],
    ['warnings: none on a clean run', (p) => {
        assert.deepEqual(p.warnings, [], `warnings: ${fmt(p.warnings)}`);
    }],
    ['nodes: unique ids (loop iterations / Send copies id#k)',
        (p, t, ctx) => {
            const got = (p.nodeMetrics || []).map((n) => n.nodeId).sort();
            const want = t.order.map((id) => {
                const n = ctx.map.node(id);
                return n ? n.nodeId : id;
            }).sort();
            assert.deepEqual(got, want, `nodeIds: got ${fmt(got)}, want ${
                fmt(t.order.slice().sort())}`);
            /* The k-th execution by start is id#k. */
            const d = new Diff();
            for (const n of Object.values(t.nodes)) {
                const a = ctx.map.node(n.id);
                if (a) d.near(a.start, ms(n.startNs), TOL_MS, `${n.id}.start`);
            }
            d.done();
        }],
    ['nodes: nodeMetrics ordered by start, ties by nodeId', (p, t, ctx) => {
        const got = (p.nodeMetrics || []).map((n) => n.nodeId);
        const want = t.order.map((id) => {
            const n = ctx.map.node(id);
            return { start: t.nodes[id].startNs, id: n ? n.nodeId : id };
        }).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1
            : a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((x) => x.id);
        assert.deepEqual(got, want, `order: got ${fmt(got)}, want ${
            fmt(want)}`);
    }],
    ['nodes: kind leaf/group, parent, children', (p, t, ctx) => {
        const d = new Diff();
        for (const n of Object.values(t.nodes)) {
            const a = ctx.map.node(n.id);
            if (!a) {
                d.ok(false, `${n.id}: missing`);
                continue;
            }
            d.eq(a.kind, n.kind, `${n.id}.kind`);
            d.eq(a.parent, n.parent, `${n.id}.parent`);
            d.eq((a.children || []).map(ctx.map.toTruth).sort(),
                n.children.slice().sort(), `${n.id}.children`);
        }
        d.done();
    }],
    ['nodes: attempts 1, retries 0, not failed', (p, t, ctx) => {
        const d = new Diff();
        for (const n of Object.values(t.nodes)) {
            const a = ctx.map.node(n.id);
            if (!a) continue;
            d.eq(a.attempts, 1, `${n.id}.attempts`);
            d.eq(a.retries, 0, `${n.id}.retries`);
            d.ok(a.status !== 'error', `${n.id}.status is error`);
        }
        d.done();
    }],
    ['dependencies: dependsOn', (p, t, ctx) => {
        const d = new Diff();
        for (const n of Object.values(t.nodes)) {
            const a = ctx.map.node(n.id);
            if (!a) {
                d.ok(false, `${n.id}: missing`);
                continue;
            }
            d.eq((a.dependsOn || []).map(ctx.map.toTruth).sort(), n.dependsOn,
                `${n.id}.dependsOn`);
        }
        d.done();
    }],
    ['dependencies: dependencySource', (p, t, ctx) => {
        const d = new Diff();
        for (const n of Object.values(t.nodes)) {
            const a = ctx.map.node(n.id);
            if (a) d.eq(a.dependencySource, n.dependencySource, `${n.id}`);
        }
        d.done();
    }],
    ['timing: wall and node start/end offsets', (p, t, ctx) => {
        const d = new Diff();
        d.near(p.metrics.totalDuration, ms(t.wallNs), TOL_MS, 'totalDuration');
        for (const n of Object.values(t.nodes)) {
            const a = ctx.map.node(n.id);
            if (!a) continue;
            d.near(a.start, ms(n.startNs), TOL_MS, `${n.id}.start`);
            d.near(a.end, ms(n.endNs), TOL_MS, `${n.id}.end`);
            d.near(a.executionTime, ms(n.endNs - n.startNs), TOL_MS,
                `${n.id}.executionTime`);
        }
        d.done();
    }],
    ['timing: dependencyWait, queueDelay, waitTime, duration', (p, t, ctx) => {
        const d = new Diff();
        for (const n of Object.values(t.nodes)) {
            const a = ctx.map.node(n.id);
            if (!a) continue;
            d.near(a.dependencyWait, ms(n.dependencyWaitNs), TOL_MS,
                `${n.id}.dependencyWait`);
            d.near(a.queueDelay, ms(n.queueDelayNs), TOL_MS,
                `${n.id}.queueDelay`);
            d.near(a.waitTime, ms(n.startNs), TOL_MS, `${n.id}.waitTime`);
            d.near(a.duration, ms(n.endNs), TOL_MS, `${n.id}.duration`);
            d.near(a.waitTime, a.dependencyWait + a.queueDelay, TOL_MS,
                `${n.id}: waitTime = dependencyWait + queueDelay`);
            for (const k of ['dependencyWait', 'queueDelay', 'waitTime',
                'executionTime', 'selfTime', 'llmTime', 'toolTime']) {
                d.ok(!(a[k] < 0), `${n.id}.${k} negative: ${a[k]}`);
            }
        }
        d.done();
    }],
    ['timing: llmTime, toolTime, selfTime of leaves', (p, t, ctx) => {
        const d = new Diff();
        for (const n of Object.values(t.nodes)) {
            const a = ctx.map.node(n.id);
            if (!a || n.kind !== 'leaf') continue;
            /* Calls may end a fraction of a ms after their node span. */
            d.near(a.llmTime, ms(n.llmNs), 1, `${n.id}.llmTime`);
            d.near(a.toolTime, ms(n.toolNs), 1, `${n.id}.toolTime`);
            d.near(a.selfTime, ms(n.selfNs), 1, `${n.id}.selfTime`);
            /* The server's scripted latency bounds the call from below
             * where the instrumentation stamps the span before the request
             * leaves. LangChain's callbacks run on the event loop after the
             * request is sent, so on a loaded machine its LLM span can start
             * late and be shorter than the latency: the profile is still
             * checked against the captured spans above (llmNs). */
            if (ctx.instr !== 'langchain') {
                d.ok(a.llmTime >= n.scriptedLatencyMs - 1, `${n.id}.llmTime ${
                    a.llmTime} below the server's latency ${
                    n.scriptedLatencyMs}`);
            }
        }
        d.done();
    }],
    ['critical path', (p, t, ctx) => {
        const got = p.metrics.criticalPath.map(ctx.map.toTruth);
        const jitter = fmt(t.criticalPath) === fmt(t.structuralPath) ? ''
            : ` (the run's timing made it differ from the structural ${
                fmt(t.structuralPath)})`;
        assert.deepEqual(got, t.criticalPath, `criticalPath: got ${
            fmt(p.metrics.criticalPath)}, want ${fmt(t.criticalPath)}${
            jitter}`);
    }],
    ['parallelism: criticalPathDuration, sumExecution, ratios', (p, t) => {
        const d = new Diff();
        const m = p.metrics;
        const wall = ms(t.wallNs);
        const cp = ms(t.criticalPathNs);
        const sum = ms(t.sumExecNs);
        d.near(m.criticalPathDuration, cp, TOL_MS * 3, 'criticalPathDuration');
        d.near(m.sumExecution, sum, TOL_MS * 6, 'sumExecution');
        d.near(m.parallelizationEfficiency, cp / wall, 1e-4,
            'parallelizationEfficiency');
        d.near(m.dagParallelism, sum / cp, 1e-4, 'dagParallelism');
        d.near(m.achievedParallelism, sum / wall, 1e-4, 'achievedParallelism');
        d.done();
    }],
    ['parallelism: peakConcurrency', (p, t) => {
        assert.equal(p.metrics.peakConcurrency, t.peakConcurrency,
            `peakConcurrency: got ${p.metrics.peakConcurrency}, want ${
                t.peakConcurrency}`);
    }],
    ['tokens: run totals and by model (null where not reported)', (p, t) => {
        const d = new Diff();
        const a = p.metrics.totalTokens;
        d.eq(tokensOf(a), tokensOf(t.tokens), 'totalTokens');
        d.eq(a.byModel, t.tokens.byModel, 'byModel');
        d.done();
    }],
    ['tokens: per node (groups: their subtree)', (p, t, ctx) => {
        const d = new Diff();
        for (const n of Object.values(t.nodes)) {
            const a = ctx.map.node(n.id);
            if (!a) continue;
            d.eq(tokensOf(a.tokens || {}), tokensOf(n.tokens), `${n.id}.tokens`);
        }
        const byNode = {};
        for (const [k, v] of Object.entries(p.metrics.totalTokens.byNode ||
            {})) {
            const tid = ctx.map.toTruth(k);
            if (t.nodes[tid] && t.nodes[tid].kind === 'leaf') byNode[tid] = v;
        }
        d.eq(byNode, t.byNodeTokens, 'totalTokens.byNode (leaves)');
        d.done();
    }],
    ['cost: run, by model, by node (from data/pricing.json)', (p, t, ctx) => {
        const d = new Diff();
        const c = p.metrics.totalCost;
        const tol = 1e-12;
        d.near(c.totalCost, usd(t.costPico), tol, 'totalCost');
        d.eq(c.currency, 'USD', 'currency');
        d.eq(Object.keys(c.byModel).sort(), Object.keys(t.costByModel).sort(),
            'byModel models');
        for (const [m, v] of Object.entries(t.costByModel)) {
            d.near(c.byModel[m], usd(v), tol, `byModel[${m}]`);
        }
        for (const n of Object.values(t.nodes)) {
            const a = ctx.map.node(n.id);
            if (!a) continue;
            d.near(a.cost, usd(n.costPico), tol, `${n.id}.cost`);
            if (n.kind === 'leaf') {
                d.near(c.byNode[a.nodeId], usd(n.costPico), tol,
                    `byNode[${a.nodeId}]`);
            }
        }
        d.eq(p.metrics.unpricedModels, [], 'unpricedModels');
        d.done();
    }],
    ['models and tool calls per node', (p, t, ctx) => {
        const d = new Diff();
        for (const n of Object.values(t.nodes)) {
            const a = ctx.map.node(n.id);
            if (!a) continue;
            d.eq((a.models || []).slice().sort(), n.models, `${n.id}.models`);
            if (n.kind !== 'leaf') continue;
            const calls = a.toolCalls || [];
            d.eq(calls.map((x) => [x.tool, x.success]),
                n.toolCalls.map((x) => [x.tool, x.success]),
                `${n.id}.toolCalls`);
            calls.forEach((x, i) => n.toolCalls[i] && d.near(x.duration,
                ms(n.toolCalls[i].durationNs), TOL_MS,
                `${n.id}.toolCalls[${i}].duration`));
        }
        d.done();
    }],
    ['bottlenecks: no phantom scheduling_delay or retries', (p, t, ctx) => {
        const bad = [];
        const why = [];
        for (const b of p.analysis.bottlenecks || []) {
            if (b.type === 'excessive_retries') {
                bad.push(b);
                why.push(`${b.nodeId}: no execution is retried`);
            } else if (b.type === 'scheduling_delay') {
                const r = phantomDelay(b, p, t, ctx);
                if (r) {
                    bad.push(b);
                    why.push(r);
                }
            }
        }
        assert.deepEqual(bad, [], `bottlenecks: ${fmt(bad)}\n  ${
            why.join('\n  ')}`);
    }],
    ['serve profile equals dagprof report of the capture', (p, t, ctx) => {
        const off = ctx.offline.find((x) => x.traceId === p.traceId);
        assert.ok(off, 'no offline profile for the trace');
        assert.deepStrictEqual(h.stripVolatile(p), h.stripVolatile(off));
    }],
];

/* ------------------------------------------------------------- cases -- */

const CASES = [
    { workflow: 'openai-fanout', instr: 'openinference' },
    { workflow: 'openai-fanout', instr: 'genai' },
    { workflow: 'openai-fanout', instr: 'openllmetry' },
    { workflow: 'react', instr: 'langchain' },
    { workflow: 'send', instr: 'langchain' },
    { workflow: 'subgraph', instr: 'langchain' },
];

function readCapture(file) {
    const traces = new Map();
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        for (const s of spansOf(JSON.parse(line))) {
            if (!traces.has(s.traceId)) traces.set(s.traceId, []);
            traces.get(s.traceId).push(s);
        }
    }
    return traces;
}

CASES.forEach((c, idx) => {
    const name = `${c.workflow} under ${c.instr}`;
    test(name, { timeout: 120000 * h.SLOW }, async (t) => {
        const tag = `${c.workflow}-${c.instr}`;
        const capture = path.join(dir, `${tag}.jsonl`);
        /* Runs alternate protocols; every case uses both. */
        const protocols = idx % 2 ? ['grpc', 'http'] : ['http', 'grpc'];
        const res = await h.runWorkflow({ workflow: c.workflow,
            instr: c.instr, llmUrl: fake.url, runs: RUNS, tag, daemon,
            capture, protocols, timeoutMs: 90000 });
        assert.equal(res.runs.length, RUNS);
        assert.ok(res.exports.length > 0, 'nothing exported');
        const traces = readCapture(capture);
        const offline = h.offlineReport(capture);
        const got = [];
        for (const run of res.runs) {
            let profile = null;
            let waitErr = null;
            try {
                profile = await daemon.waitProfileOf(run.traceId);
            } catch (e) {
                waitErr = e;
            }
            got.push({ run, profile, waitErr });
        }
        /* A late duplicate would come after the grace period. */
        await h.sleep(GRACE_MS + 200);
        for (const { run, profile, waitErr } of got) {
            const spans = traces.get(run.traceId);
            const truth = expectedRun({ workflow: c.workflow,
                instr: c.instr, spans, requests: fake.requestsOf(run.runTag),
                serviceName: `agents-${c.workflow}-${c.instr}` });
            await t.test(`${run.runTag} over ${run.protocol}`, async (tr) => {
                if (!profile) {
                    summary({ case: name, run: run.runTag, protocol:
                        run.protocol, check: 'profile emitted', ok: false,
                    detail: String(waitErr) });
                    assert.fail(`no profile: ${waitErr}\n${daemon.logTail()}`);
                }
                const ctx = { daemon, offline, instr: c.instr,
                    map: mapNodes(profile, truth) };
                for (const [check, fn] of CHECKS) {
                    await tr.test(check, () => {
                        try {
                            fn(profile, truth, ctx);
                            summary({ case: name, run: run.runTag,
                                protocol: run.protocol, check, ok: true });
                        } catch (e) {
                            summary({ case: name, run: run.runTag,
                                protocol: run.protocol, check, ok: false,
                                detail: String(e.message).slice(0, 4000) });
                            throw e;
                        }
                    });
                }
            });
        }
    });
});
