/*
 * serve_errors.test.js - every error reply of `dagprof serve`'s OTLP
 * receivers, each followed by a valid request that must still succeed.
 *
 * Raw requests (harness.js: node's http client on a new connection, and
 * @grpc/grpc-js with a pass-through serializer on the Export method) send
 * what the SDK exporters never would: garbage protobuf, malformed JSON,
 * wrong paths, methods and content types, oversized and gzip-bomb bodies,
 * undecodable gRPC messages, and requests with one invalid span (partial
 * success). A daemon with a one-span queue shows backpressure (503 +
 * Retry-After, gRPC UNAVAILABLE).
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');

const h = require('./harness');

after(h.killAll);

const SMALL = h.loadScenario('small-dag.scenario.json');
const MAX_BODY = 64 * 1024;

let seq = 0;
/* A fresh valid trace (8 spans) for "the daemon still serves" checks. */
function freshTrace() {
    return h.buildTraces(SMALL, `errors-${seq++}`)[0];
}

/* A valid HTTP request must still get 200 and count its spans. */
async function assertHttpServes(d, what) {
    const r = await h.postProto(d.httpPort, h.protoBody(freshTrace().spans));
    assert.equal(r.status, 200, `HTTP after ${what}: ${r.body}`);
    assert.equal(h.rejectedSpans(h.decodeProtoResponse(r.body)), 0);
}

/* A valid gRPC call must still get OK. */
async function assertGrpcServes(d, what) {
    const r = await h.grpcExport(d.grpc(), h.protoBody(freshTrace().spans));
    assert.equal(r.code, h.grpc.status.OK, `gRPC after ${what}: ${r.details}`);
}

test('HTTP error replies: 400, 404, 405, 413 (size, gzip bomb), 415; the ' +
    'daemon keeps serving after each', { timeout: 60000 * h.SLOW },
async () => {
    const d = await h.startServe(['--grace', '300ms',
        '--http-max-body-size', `${MAX_BODY}`]);
    const cases = [
        ['garbage protobuf', 400, { body: Buffer.from([0xff, 0xff, 0xff,
            0xff, 0x0f, 0x0a, 0x05, 0x01]), headers: {
            'Content-Type': 'application/x-protobuf' } }],
        ['malformed JSON', 400, { body: '{"resourceSpans": [ {"scopeSpans":',
            headers: { 'Content-Type': 'application/json' } }],
        ['JSON that is not a request', 400, { body: '[1, 2, 3]',
            headers: { 'Content-Type': 'application/json' } }],
        ['gzip header on a plain body', 400, {
            body: h.protoBody(freshTrace().spans),
            headers: { 'Content-Type': 'application/x-protobuf',
                'Content-Encoding': 'gzip' } }],
        ['wrong path', 404, { path: '/v1/trace', body: '{}',
            headers: { 'Content-Type': 'application/json' } }],
        ['metrics path', 404, { path: '/v1/metrics', body: '{}',
            headers: { 'Content-Type': 'application/json' } }],
        ['GET /v1/traces', 405, { method: 'GET' }],
        ['PUT /v1/traces', 405, { method: 'PUT', body: '{}',
            headers: { 'Content-Type': 'application/json' } }],
        ['body over --http-max-body-size', 413, {
            body: Buffer.alloc(MAX_BODY + 1024, 0x41),
            headers: { 'Content-Type': 'application/x-protobuf' } }],
        ['gzip bomb (small on the wire, huge inflated)', 413, {
            body: h.gzip(Buffer.alloc(32 * 1024 * 1024, 0)),
            headers: { 'Content-Type': 'application/x-protobuf',
                'Content-Encoding': 'gzip' } }],
        ['unsupported Content-Encoding', 415, { body: h.gzip(Buffer.from(
            '{}')), headers: { 'Content-Type': 'application/json',
            'Content-Encoding': 'br' } }],
        ['text/plain', 415, { body: 'hello',
            headers: { 'Content-Type': 'text/plain' } }],
        ['no content type', 415, { body: '{}' }],
    ];
    let invalid = 0;
    for (const [what, status, req] of cases) {
        const bomb = what.startsWith('gzip bomb');
        if (bomb) {
            assert.ok(req.body.length < MAX_BODY, 'the bomb fits the limit');
        }
        const peakBefore = d.peakRssKiB();
        const r = await h.httpRequest(d.httpPort, req);
        assert.equal(r.status, status, `${what}: got ${r.status} ${r.body}`);
        if (bomb) {
            /* Inflating stops at the limit: the 32 MiB never exist. */
            const grewKiB = d.peakRssKiB() - peakBefore;
            assert.ok(grewKiB < 16 * 1024, `gzip bomb: peak RSS grew ${
                grewKiB} KiB`);
        }
        if (status === 405) {
            assert.ok(r.headers.allow, `${what}: Allow header`);
        }
        if (status === 404) { /* says what exists */
            assert.match(String(r.body), /POST \/v1\/traces, GET \/healthz/,
                `${what}: 404 body`);
        }
        if (status === 413) { /* names the limit and the key raising it */
            assert.match(String(r.body),
                new RegExp(`limit of ${MAX_BODY} bytes \\(receivers\\.otlp\\.http\\.max_body_size\\)`),
                `${what}: 413 body`);
        }
        if (status === 400 && what !== 'gzip header on a plain body') {
            invalid++;
        }
        await assertHttpServes(d, what);
    }
    const health = await d.settled();
    assert.equal(health.requests_invalid, invalid, 'undecodable requests');
    /* 2 wrong paths + 2 wrong methods, each logged once at warn. */
    assert.equal(health.requests_unknown_route, 4, 'unknown routes counted');
    assert.match(d.log, /warn .*POST \/v1\/trace: no such route \(this server answers POST \/v1\/traces, GET \/healthz/);
    /* Only the valid requests' spans were received. */
    assert.equal(health.spans_received, 8 * cases.length);
    assert.equal(health.spans_rejected, 0);
    await d.stopClean();
    assert.equal(d.profiles.length, cases.length);
});

test('gRPC INVALID_ARGUMENT for an undecodable message; the daemon keeps ' +
    'serving', { timeout: 60000 * h.SLOW }, async () => {
    const d = await h.startServe(['--grace', '300ms']);
    const bodies = [
        ['truncated field', Buffer.from([0x0a, 0x7f, 0x01])],
        ['bad wire type', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])],
        ['truncated SDK request', h.protoBody(freshTrace().spans)
            .subarray(0, 40)],
    ];
    for (const [what, body] of bodies) {
        const r = await h.grpcExport(d.grpc(), body);
        assert.equal(r.code, h.grpc.status.INVALID_ARGUMENT,
            `${what}: code ${r.code} ${r.details}`);
        await assertGrpcServes(d, what);
        await assertHttpServes(d, what);
    }
    const health = await d.settled();
    assert.equal(health.requests_invalid, bodies.length);
    assert.equal(health.spans_received, 8 * 2 * bodies.length);
    await d.stopClean();
});

test('gRPC RESOURCE_EXHAUSTED over --grpc-max-message-size, plain and ' +
    'gzip-compressed; gzip requests within it are OK; the daemon keeps ' +
    'serving', { timeout: 60000 * h.SLOW }, async () => {
    const d = await h.startServe(['--grace', '300ms',
        '--grpc-max-message-size', '64KiB']);
    const gz = new h.grpc.Client(`127.0.0.1:${d.grpcPort}`,
        h.grpc.credentials.createInsecure(),
        { 'grpc.default_compression_algorithm': 2 /* gzip */ });
    try {
        const big = await h.grpcExport(d.grpc(),
            Buffer.alloc(MAX_BODY + 1024, 0x41));
        assert.equal(big.code, h.grpc.status.RESOURCE_EXHAUSTED,
            `oversized: ${big.code} ${big.details}`);
        await assertGrpcServes(d, 'an oversized message');
        /* 48 MiB of zeros: about 48 KiB on the wire, far over once
         * inflated. dagprof inflates gRPC messages itself and stops at the
         * limit, so the 48 MiB never exist in the daemon. */
        const peakBefore = d.peakRssKiB();
        const bomb = await h.grpcExport(gz, Buffer.alloc(48 << 20, 0));
        assert.equal(bomb.code, h.grpc.status.RESOURCE_EXHAUSTED,
            `gzip bomb: ${bomb.code} ${bomb.details}`);
        const grewKiB = d.peakRssKiB() - peakBefore;
        assert.ok(grewKiB < 16 * 1024, `gRPC gzip bomb: peak RSS grew ${
            grewKiB} KiB`);
        await assertGrpcServes(d, 'a gzip bomb');
        const trace = freshTrace();
        const ok = await h.grpcExport(gz, h.protoBody(trace.spans));
        assert.equal(ok.code, h.grpc.status.OK, `gzip: ${ok.details}`);
        const p = (await d.waitProfileOf(trace.traceId)).profile;
        assert.equal(p.spanCount, 8);
    } finally {
        gz.close();
    }
    const health = await d.settled();
    assert.equal(health.spans_received, 3 * 8);
    assert.equal(health.requests, 3, 'refused messages never reach the ' +
        'handler');
    await d.stopClean();
});

test('partial success: a request with one bad span (8-byte trace id) is ' +
    'OK / 200 with rejected_spans = 1 over gRPC, HTTP/protobuf and HTTP/JSON',
{ timeout: 60000 * h.SLOW }, async () => {
    const d = await h.startServe(['--grace', '300ms']);
    const traces = [];
    for (const proto of ['grpc', 'http-proto', 'http-json']) {
        const trace = freshTrace();
        const bad = h.withIds(trace.spans[1], { traceId: 'aabbccddeeff0011' });
        const spans = trace.spans.concat([bad]);
        let resp;
        if (proto === 'grpc') {
            const r = await h.grpcExport(d.grpc(), h.protoBody(spans));
            assert.equal(r.code, h.grpc.status.OK, `${proto}: ${r.details}`);
            resp = h.decodeProtoResponse(r.response);
        } else if (proto === 'http-proto') {
            const r = await h.postProto(d.httpPort, h.protoBody(spans));
            assert.equal(r.status, 200, `${proto}: ${r.body}`);
            assert.match(r.headers['content-type'], /application\/x-protobuf/);
            resp = h.decodeProtoResponse(r.body);
        } else {
            const r = await h.postJson(d.httpPort, h.jsonBody(spans));
            assert.equal(r.status, 200, `${proto}: ${r.body}`);
            assert.match(r.headers['content-type'], /application\/json/);
            resp = JSON.parse(r.body.toString('utf8'));
        }
        assert.equal(h.rejectedSpans(resp), 1, `${proto}: ${
            JSON.stringify(resp)}`);
        assert.ok(resp.partialSuccess.errorMessage, `${proto}: error_message`);
        traces.push(trace);
        await assertGrpcServes(d, `${proto} partial success`);
        await assertHttpServes(d, `${proto} partial success`);
    }
    const health = await d.settled();
    assert.equal(health.spans_rejected, 3);
    assert.equal(health.spans_received, 3 * 9 + 3 * 2 * 8);
    /* The valid spans of each request made a complete profile. */
    for (const t of traces) {
        const p = (await d.waitProfileOf(t.traceId)).profile;
        assert.equal(p.complete, true);
        assert.equal(p.spanCount, 8);
    }
    await d.stopClean();
});

test('backpressure: a full processor queue answers HTTP 503 with ' +
    'Retry-After and gRPC UNAVAILABLE; the daemon keeps serving',
{ timeout: 90000 * h.SLOW }, async () => {
    /* One shard, one queued span at most, nothing finishes during the test. */
    const d = await h.startServe(['--queue-spans', '1', '--shards', '1',
        '--grace', '60s', '--idle-timeout', '60s']);
    /* Big requests (50 traces x 8 spans), several in flight at once. */
    const traces = h.buildTraces(SMALL, 'backpressure', { repeat: 50 });
    const spans = [].concat(...traces.map((t) => t.spans));
    const proto = h.protoBody(spans);
    const seen = { http503: [], httpOk: 0, grpcUnavailable: [], grpcOk: 0 };
    const deadline = Date.now() + 30000 * h.SLOW;
    for (let round = 0; round < 40 && Date.now() < deadline; round++) {
        const calls = [];
        for (let i = 0; i < 6; i++) {
            calls.push(h.postProto(d.httpPort, proto).then((r) => {
                if (r.status === 503) seen.http503.push(r);
                else if (r.status === 200) seen.httpOk++;
                else assert.fail(`unexpected HTTP ${r.status}: ${r.body}`);
            }));
            calls.push(h.grpcExport(d.grpc(), proto).then((r) => {
                if (r.code === h.grpc.status.UNAVAILABLE) {
                    seen.grpcUnavailable.push(r);
                } else if (r.code === h.grpc.status.OK) {
                    seen.grpcOk++;
                } else {
                    assert.fail(`unexpected gRPC ${r.code}: ${r.details}`);
                }
            }));
        }
        await Promise.all(calls);
        if (seen.http503.length && seen.grpcUnavailable.length) break;
    }
    console.log(`backpressure: HTTP ${seen.http503.length} x 503, ${
        seen.httpOk} x 200; gRPC ${seen.grpcUnavailable.length} x ` +
        `UNAVAILABLE, ${seen.grpcOk} x OK`);
    assert.ok(seen.http503.length > 0, 'no HTTP 503 within the attempts');
    for (const r of seen.http503) {
        assert.match(String(r.headers['retry-after']), /^\d+$/,
            'Retry-After on 503');
    }
    assert.ok(seen.grpcUnavailable.length > 0,
        'no gRPC UNAVAILABLE within the attempts');

    /* Refused requests queued nothing: received = accepted requests' spans. */
    const health = await d.settled();
    assert.equal(health.spans_received,
        (seen.httpOk + seen.grpcOk) * spans.length);
    assert.equal(health.requests_refused,
        seen.http503.length + seen.grpcUnavailable.length);
    /* Once the queue has drained, requests are accepted again (with a
     * one-span queue, only while nothing else is queued: settle first). */
    await assertHttpServes(d, '503');
    await d.settled();
    await assertGrpcServes(d, 'UNAVAILABLE');
    await d.settled();
    await d.stopClean();
});
