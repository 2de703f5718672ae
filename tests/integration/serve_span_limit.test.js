/*
 * serve_span_limit.test.js - processor.max_spans_per_trace answered in the
 * reply: `dagprof serve --max-spans-per-trace 10` is sent 15 spans of one
 * agent trace (the small-dag scenario's 8 plus copies of a leaf with fresh
 * span ids, root first) over OTLP/HTTP protobuf, OTLP/HTTP JSON and gRPC
 * (the gRPC trace in two requests, 12 then 3 spans). Every reply is a
 * success with partial_success naming the refused spans and the trace; each
 * profile has spanCount 10 and incompleteReason span_limit; the limit is
 * logged once per trace; /healthz counts the refused spans. Loopback only;
 * every wait is bounded.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');

const h = require('./harness');

after(h.killAll);

const SMALL = h.loadScenario('small-dag.scenario.json');
const LIMIT = 10;
const SENT = 15;

/* SENT spans of one trace, its root first. */
function bigTrace(seed) {
    const trace = h.buildTraces(SMALL, seed)[0];
    const isRoot = (s) => !s.parentSpanContext || !s.parentSpanContext.spanId;
    const spans = trace.spans.filter(isRoot)
        .concat(trace.spans.filter((s) => !isRoot(s)));
    const leaf = spans[spans.length - 1];
    const traceId = leaf.spanContext().traceId;
    for (let i = 0; spans.length < SENT; i++) {
        spans.push(h.withIds(leaf, {
            spanId: (0xab00 + i).toString(16).padStart(16, '0') }));
    }
    return { traceId, spans };
}

function assertRefused(resp, n, traceId, what) {
    assert.equal(h.rejectedSpans(resp), n, `${what}: ${JSON.stringify(resp)}`);
    assert.equal(resp.partialSuccess.errorMessage,
        `${n} span(s) refused: trace ${traceId} reached ` +
        `processor.max_spans_per_trace (${LIMIT})`, what);
}

test('spans over --max-spans-per-trace are refused with partial success; ' +
    'the profile says span_limit', { timeout: 60000 * h.SLOW }, async () => {
    const d = await h.startServe(['--grace', '300ms',
        '--max-spans-per-trace', `${LIMIT}`]);
    const traces = [];

    for (const encoding of ['proto', 'json']) {
        const t = bigTrace(`span-limit-${encoding}`);
        traces.push(t);
        const r = encoding === 'proto'
            ? await h.postProto(d.httpPort, h.protoBody(t.spans))
            : await h.postJson(d.httpPort, h.jsonBody(t.spans));
        assert.equal(r.status, 200, `${encoding}: ${r.body}`);
        const resp = encoding === 'proto' ? h.decodeProtoResponse(r.body)
            : JSON.parse(r.body);
        assertRefused(resp, SENT - LIMIT, t.traceId, `http ${encoding}`);
    }

    const t = bigTrace('span-limit-grpc');
    traces.push(t);
    const first = await h.grpcExport(d.grpc(),
        h.protoBody(t.spans.slice(0, 12)));
    assert.equal(first.code, h.grpc.status.OK, first.details);
    assertRefused(h.decodeProtoResponse(first.response), 12 - LIMIT,
        t.traceId, 'grpc, first request');
    const second = await h.grpcExport(d.grpc(),
        h.protoBody(t.spans.slice(12)));
    assert.equal(second.code, h.grpc.status.OK, second.details);
    assertRefused(h.decodeProtoResponse(second.response), SENT - 12,
        t.traceId, 'grpc, second request');

    /* An ordinary trace after them is untouched. */
    const small = h.buildTraces(SMALL, 'span-limit-small')[0];
    const ok = await h.grpcExport(d.grpc(), h.protoBody(small.spans));
    assert.equal(ok.code, h.grpc.status.OK, ok.details);
    assert.equal(h.rejectedSpans(h.decodeProtoResponse(ok.response)), 0);

    for (const { traceId } of traces) {
        const { profile } = await d.waitProfileOf(traceId, 10000 * h.SLOW);
        assert.equal(profile.spanCount, LIMIT, traceId);
        assert.equal(profile.complete, false, traceId);
        assert.equal(profile.incompleteReason, 'span_limit', traceId);
        const logged = d.log.split('\n').filter((l) => l.includes(traceId) &&
            l.includes('max_spans_per_trace')).length;
        assert.equal(logged, 1, `logged once: ${traceId}\n${d.logTail()}`);
    }
    const { profile } = await d.waitProfileOf(
        small.spans[0].spanContext().traceId, 10000 * h.SLOW);
    assert.equal(profile.spanCount, small.spans.length);
    assert.equal(profile.complete, true);

    const hz = await d.settled();
    assert.equal(hz.spans_rejected, 3 * (SENT - LIMIT));
    await d.stopClean();
});
