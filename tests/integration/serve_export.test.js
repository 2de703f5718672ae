/*
 * serve_export.test.js - `dagprof serve` fed by the official OpenTelemetry
 * JS SDK exporters: what it emits must equal what `dagprof report` makes of
 * the same spans offline.
 *
 * Each test starts the real daemon (harness.js) on free loopback ports,
 * builds traces from a scenario with the SDK (otel_client.js), sends them
 * with the gRPC, HTTP/protobuf and HTTP/JSON exporters, and compares the
 * JSON-line profiles (ignoring profiledAt) with the offline report of the
 * same trace written as an OTLP file. Also: one trace split over several
 * requests and both protocols, and the /healthz counters.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');

const h = require('./harness');

after(h.killAll);

const CODE_REVIEW = h.loadScenario('code-review.scenario.json');
const SMALL = h.loadScenario('small-dag.scenario.json');

test('each SDK exporter (grpc, proto, http/json; plain and gzip) gives the ' +
    'offline profile of examples/code-review', { timeout: 90000 * h.SLOW },
async () => {
    const d = await h.startServe(['--grace', '300ms']);
    const sends = [];
    for (const exporter of ['grpc', 'proto', 'http']) {
        for (const compression of [undefined, 'gzip']) {
            const seed = `export-${exporter}-${compression || 'none'}`;
            const [trace] = h.buildTraces(CODE_REVIEW, seed);
            const requests = [trace.spans];
            await h.sdkSend(d, exporter, requests, { compression });
            sends.push({ seed, exporter, compression, trace, requests });
        }
    }
    for (const s of sends) {
        const what = `${s.exporter}${s.compression ? '+gzip' : ''}`;
        /* The file format follows the exporter's encoding. */
        const offline = h.offlineReport(s.requests,
            s.exporter === 'http' ? 'json' : 'proto');
        assert.equal(offline.length, 1, `${what}: offline profiles`);
        const got = (await d.waitProfileOf(s.trace.traceId)).profile;
        assert.equal(got.complete, true, what);
        assert.equal(got.incompleteReason, null, what);
        assert.equal(got.spanCount, 20, what);
        assert.equal(got.dagId, 'code-review-dag', what);
        h.assertSameProfile(got, offline[0], what);
    }
    await h.sleep(400);
    await d.stopClean();
    assert.equal(d.profiles.length, sends.length, 'one profile per trace');
    for (const s of sends) {
        assert.equal(d.profilesOf(s.trace.traceId).length, 1,
            `${s.exporter}: exactly one profile`);
    }
});

/*
 * The parts of one trace sent as separate export calls, alternating
 * between the gRPC, HTTP/protobuf and HTTP/JSON exporters.
 */
async function sendInParts(d, trace, order, parts) {
    const chunks = h.client.splitSpans(h.client.orderSpans(trace.spans, order),
        parts);
    const exporters = ['grpc', 'http', 'proto', 'grpc'];
    for (let i = 0; i < chunks.length; i++) {
        await h.sdkSend(d, exporters[i % exporters.length], [chunks[i]]);
    }
    return chunks;
}

test('a trace over several requests and both protocols, root first and ' +
    'root last, gives one complete profile equal to the offline one',
{ timeout: 90000 * h.SLOW }, async () => {
    /* The grace outlasts the gap between parts even under ASan. */
    const d = await h.startServe(['--grace', `${1500 * h.SLOW}ms`]);
    const runs = [];
    for (const order of ['root-first', 'root-last']) {
        const [trace] = h.buildTraces(CODE_REVIEW, `parts-${order}`);
        const chunks = await sendInParts(d, trace, order, 4);
        assert.equal(chunks.length, 4);
        const rootChunk = chunks.findIndex((c) =>
            c.some((s) => !s.parentSpanContext));
        assert.equal(rootChunk, order === 'root-first' ? 0 : 3, order);
        runs.push({ order, trace });
    }
    const health = await d.settled();
    assert.equal(health.spans_received, 40);
    assert.equal(health.spans_rejected, 0);
    for (const { order, trace } of runs) {
        const offline = h.offlineReport([trace.spans]);
        const got = (await d.waitProfileOf(trace.traceId,
            (10000 + 1500) * h.SLOW)).profile;
        assert.equal(got.complete, true, order);
        assert.equal(got.spanCount, 20, order);
        assert.equal(got.lateSpans, 0, order);
        h.assertSameProfile(got, offline[0], order);
    }
    await d.stopClean();
    for (const { order, trace } of runs) {
        assert.equal(d.profilesOf(trace.traceId).length, 1,
            `${order}: exactly one profile`);
    }
    assert.equal(d.profiles.length, 2);
});

test('GET /healthz answers the documented counters as JSON',
    { timeout: 60000 * h.SLOW }, async () => {
        const d = await h.startServe(['--grace', '400ms']);
        const r = await h.httpRequest(d.httpPort, { method: 'GET',
            path: '/healthz' });
        assert.equal(r.status, 200);
        assert.match(r.headers['content-type'], /^application\/json/);
        const h0 = JSON.parse(r.body.toString('utf8'));
        const counters = ['spans_received', 'spans_rejected',
            'traces_in_memory', 'profiles_emitted', 'traces_evicted',
            'late_spans'];
        for (const k of counters) {
            assert.equal(typeof h0[k], 'number', `/healthz ${k}`);
            assert.equal(h0[k], 0, `/healthz ${k} at start`);
        }
        /* A query string is ignored. */
        const rq = await h.httpRequest(d.httpPort, { method: 'GET',
            path: '/healthz?verbose=1' });
        assert.equal(rq.status, 200);

        const [trace] = h.buildTraces(SMALL, 'healthz');
        /* One bad span (8-byte trace id) beside the trace's 8. */
        const bad = h.withIds(trace.spans[0], { traceId: '0102030405060708' });
        const res = await h.postProto(d.httpPort,
            h.protoBody(trace.spans.concat([bad])));
        assert.equal(res.status, 200);
        const mid = await d.settled((x) => x.traces_in_memory === 1);
        assert.equal(mid.spans_received, 9);
        assert.equal(mid.spans_rejected, 1);
        assert.equal(mid.traces_in_memory, 1);
        assert.equal(mid.profiles_emitted, 0);

        await d.waitProfileOf(trace.traceId);
        const end = await d.settled((x) => x.profiles_emitted === 1);
        assert.equal(end.traces_in_memory, 0);
        assert.equal(end.traces_evicted, 0);
        assert.equal(end.late_spans, 0);
        assert.equal(end.spans_received, 9);
        assert.equal(end.spans_rejected, 1);
        await d.stopClean();
    });
