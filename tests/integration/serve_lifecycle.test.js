/*
 * serve_lifecycle.test.js - when `dagprof serve` emits a trace's profile
 * (DESIGN.md "Profile lifecycle"), observed from outside the daemon.
 *
 * grace after the last span (reset by a later span), idle_timeout for a
 * rootless trace (root_missing), eviction of the least recently active
 * trace at max_traces (evicted), late spans for an emitted trace (counted,
 * never a second profile), and SIGTERM with traces in memory (flushed,
 * rootless ones as shutdown, exit 0 within seconds). Traces are built with
 * the OpenTelemetry JS SDK and sent with its exporters or as raw OTLP
 * requests (harness.js). Timing assertions are loose: at least the
 * configured wait (minus a little for the reply's trip), at most a few
 * seconds more.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');

const h = require('./harness');

after(h.killAll);

const SMALL = h.loadScenario('small-dag.scenario.json');
const CODE_REVIEW = h.loadScenario('code-review.scenario.json');
/* Slack for the time between the daemon receiving a span and the client
 * seeing the reply, and for timer rounding. */
const SLACK_MS = 150;

const isRoot = (s) => !s.parentSpanContext || !s.parentSpanContext.spanId;
const rootless = (trace) => trace.spans.filter((s) => !isRoot(s));

test('grace: a profile appears only once --grace has passed after the last ' +
    'span, and a later span restarts the wait', { timeout: 60000 * h.SLOW },
async () => {
    const GRACE = 1000;
    const d = await h.startServe(['--grace', `${GRACE}ms`,
        '--idle-timeout', '60s']);
    const [trace] = h.buildTraces(SMALL, 'grace');
    const [first, second] = h.client.splitSpans(
        h.client.orderSpans(trace.spans, 'root-first'), 2);
    await h.sdkSend(d, 'proto', [first]);
    const t1 = Date.now();
    await h.sleep(GRACE * 0.6);
    assert.equal(d.profiles.length, 0, 'no profile before grace');
    await h.sdkSend(d, 'grpc', [second]);
    const t2 = Date.now();
    await h.sleep(GRACE * 0.6);
    assert.equal(d.profiles.length, 0,
        'no profile within grace of the second part');
    const { profile, at } = await d.waitProfileOf(trace.traceId,
        GRACE + 5000 * h.SLOW);
    const after = at - t2;
    console.log(`grace ${GRACE} ms: profile ${after} ms after the last span ` +
        `(${at - t1} ms after the first part)`);
    assert.ok(after >= GRACE - SLACK_MS, `profile after ${after} ms`);
    assert.ok(after <= GRACE + 3000 * h.SLOW, `profile after ${after} ms`);
    assert.equal(profile.complete, true);
    assert.equal(profile.spanCount, 8);
    h.assertSameProfile(profile, h.offlineReport([trace.spans])[0], 'grace');
    await d.stopClean();
    assert.equal(d.profiles.length, 1);
});

test('idle timeout: a rootless trace is emitted incomplete (root_missing) ' +
    'after --idle-timeout', { timeout: 60000 * h.SLOW }, async () => {
    const IDLE = 2000;
    const d = await h.startServe(['--grace', '200ms',
        '--idle-timeout', `${IDLE}ms`]);
    const [orphan, control] = h.buildTraces([SMALL, SMALL], 'idle');
    await h.sdkSend(d, 'http', [rootless(orphan), control.spans]);
    const t0 = Date.now();
    const c = await d.waitProfileOf(control.traceId);
    assert.equal(c.profile.complete, true, 'the rooted trace after grace');
    assert.ok(c.at - t0 < IDLE - 500, 'rooted trace waits grace only');
    assert.equal(d.profilesOf(orphan.traceId).length, 0,
        'rootless trace still waiting');
    const { profile, at } = await d.waitProfileOf(orphan.traceId,
        IDLE + 5000 * h.SLOW);
    console.log(`idle_timeout ${IDLE} ms: profile ${at - t0} ms after the ` +
        'last span');
    assert.ok(at - t0 >= IDLE - SLACK_MS, `emitted after ${at - t0} ms`);
    assert.ok(at - t0 <= IDLE + 3000 * h.SLOW, `emitted after ${at - t0} ms`);
    assert.equal(profile.complete, false);
    assert.equal(profile.incompleteReason, 'root_missing');
    assert.equal(profile.spanCount, 7);
    assert.equal(profile.nodeMetrics.length, 3, 'nodes still profiled');
    await d.stopClean();
    assert.equal(d.profiles.length, 2);
});

test('eviction at --max-traces 2: a third trace evicts the least recently ' +
    'active one as incomplete (evicted)', { timeout: 60000 * h.SLOW },
async () => {
    const d = await h.startServe(['--max-traces', '2', '--shards', '1',
        '--grace', '60s', '--idle-timeout', '60s']);
    const [a, b, c] = h.buildTraces([SMALL, SMALL, SMALL], 'evict');
    const [a1, a2] = h.client.splitSpans(a.spans, 2);
    /* Activity order: A, B, then A again, so B is the least recent. */
    const steps = [['A part 1', a1], ['B', b.spans], ['A part 2', a2]];
    for (const [what, spans] of steps) {
        const r = await h.postProto(d.httpPort, h.protoBody(spans));
        assert.equal(r.status, 200, what);
        await d.settled();
        await h.sleep(20);
    }
    assert.equal(d.profiles.length, 0, 'nothing emitted below the limit');
    const before = await d.healthz();
    assert.equal(before.traces_in_memory, 2);
    assert.equal(before.traces_evicted, 0);

    const r = await h.grpcExport(d.grpc(), h.protoBody(c.spans));
    assert.equal(r.code, h.grpc.status.OK, r.details);
    const { profile } = await d.waitProfileOf(b.traceId);
    assert.equal(profile.complete, false);
    assert.equal(profile.incompleteReason, 'evicted');
    assert.equal(profile.spanCount, 8);
    const health = await d.settled((x) => x.traces_evicted === 1);
    assert.equal(health.traces_evicted, 1);
    assert.equal(health.traces_in_memory, 2);
    assert.equal(health.profiles_emitted, 1);
    assert.equal(d.profiles.length, 1, 'only B was evicted');

    /* A and C stay until shutdown, which finalizes them as rooted runs. */
    await d.stopClean();
    assert.equal(d.profiles.length, 3);
    for (const t of [a, c]) {
        const [p] = d.profilesOf(t.traceId);
        assert.ok(p, 'flushed at shutdown');
        assert.equal(p.complete, true);
        assert.equal(p.incompleteReason, null);
        h.assertSameProfile(p, h.offlineReport([t.spans])[0], 'kept trace');
    }
});

test('late spans: spans for an emitted trace are counted and never make a ' +
    'second profile', { timeout: 60000 * h.SLOW }, async () => {
    const d = await h.startServe(['--grace', '300ms']);
    const [trace] = h.buildTraces(SMALL, 'late');
    await h.sdkSend(d, 'grpc', [trace.spans]);
    await d.waitProfileOf(trace.traceId);
    const h1 = await d.settled((x) => x.profiles_emitted === 1);
    assert.equal(h1.late_spans, 0);

    /* A span already seen, over HTTP/JSON; a new span of the same trace
     * (same trace id, new span id), over gRPC. */
    const [extra] = h.buildTraces({ traceId: trace.traceId,
        baseTime: SMALL.baseTime, spans: [{ id: 'late', name: 'late work',
            start: 4100, end: 4200 }] }, 'late-extra');
    assert.equal(extra.traceId, trace.traceId);
    await h.sdkSend(d, 'http', [[trace.spans[2]]]);
    await h.sdkSend(d, 'grpc', [extra.spans]);
    const h2 = await d.settled((x) => x.late_spans === 2);
    assert.equal(h2.late_spans, 2);
    assert.equal(h2.traces_in_memory, 0, 'no new trace state');
    await h.sleep(300 * 3);
    const h3 = await d.healthz();
    assert.equal(h3.profiles_emitted, 1);
    assert.equal(h3.late_spans, 2);
    await d.stopClean();
    assert.equal(d.profilesOf(trace.traceId).length, 1,
        'exactly one profile, also after shutdown');
    assert.equal(d.profiles.length, 1);
});

test('SIGTERM with traces in memory: every trace is flushed (rooted complete, ' +
    'rootless as shutdown) and serve exits 0 within seconds',
{ timeout: 60000 * h.SLOW }, async () => {
    const d = await h.startServe(['--grace', '60s', '--idle-timeout', '60s']);
    const [rooted] = h.buildTraces(CODE_REVIEW, 'sigterm-rooted');
    const [orphan] = h.buildTraces(SMALL, 'sigterm-rootless');
    await h.sdkSend(d, 'grpc', [rooted.spans]);
    await h.sdkSend(d, 'http', [rootless(orphan)]);
    const health = await d.settled((x) => x.traces_in_memory === 2);
    assert.equal(health.spans_received, 27);
    assert.equal(d.profiles.length, 0, 'nothing emitted before SIGTERM');

    const r = await d.stopClean();
    console.log(`SIGTERM with 2 traces in memory: exit 0 after ${r.ms} ms`);
    assert.ok(r.ms < 5000 * h.SLOW, `exit took ${r.ms} ms`);
    assert.equal(d.profiles.length, 2);
    const [pr] = d.profilesOf(rooted.traceId);
    assert.equal(pr.complete, true);
    assert.equal(pr.incompleteReason, null);
    h.assertSameProfile(pr, h.offlineReport([rooted.spans])[0], 'rooted');
    const [po] = d.profilesOf(orphan.traceId);
    assert.equal(po.complete, false);
    assert.equal(po.incompleteReason, 'shutdown');
    assert.equal(po.spanCount, 7);
    assert.match(d.log, /stopped: 27 spans received, 0 rejected, 2 profiles/);
});

test('SIGINT stops serve like SIGTERM: traces in memory flushed, exit 0',
    { timeout: 60000 * h.SLOW }, async () => {
        const d = await h.startServe(['--grace', '60s']);
        const [trace] = h.buildTraces(SMALL, 'sigint');
        await h.sdkSend(d, 'proto', [trace.spans]);
        await d.settled((x) => x.traces_in_memory === 1);
        const r = await d.stopClean(undefined, 'SIGINT');
        assert.ok(r.ms < 5000 * h.SLOW, `exit took ${r.ms} ms`);
        assert.equal(d.profiles.length, 1);
        h.assertSameProfile(d.profiles[0].profile,
            h.offlineReport([trace.spans])[0], 'SIGINT flush');
    });
