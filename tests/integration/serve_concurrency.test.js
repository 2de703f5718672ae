/*
 * serve_concurrency.test.js - many OTLP clients at once against one
 * `dagprof serve`, then SIGTERM: every span is accounted for.
 *
 * Eight OpenTelemetry JS SDK exporters (gRPC, HTTP/protobuf, HTTP/JSON,
 * some gzip) each send their own runs of the code-review scenario, split
 * over two requests per trace, while eight raw senders (harness.js) push
 * pre-serialized protobuf requests of ten traces each over gRPC and HTTP,
 * some carrying one invalid span. SIGTERM comes right after the last reply,
 * with traces still in memory. The profiles go to --output FILE. Accounting:
 * /healthz spans_received = every span sent = sum of spanCount over the
 * emitted profiles + spans_rejected, and one complete profile per trace.
 * Logs the spans/s sustained and the daemon's peak RSS (VmHWM).
 *
 * DAGPROF_IT_SCALE (default 1) multiplies the raw senders' request count,
 * for a longer throughput run:
 *   DAGPROF_IT_SCALE=10 DAGPROF_BIN=build/src/dagprof \
 *     node --test tests/integration/serve_concurrency.test.js
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');

after(h.killAll);

const CODE_REVIEW = h.loadScenario('code-review.scenario.json');
const SCALE = Math.max(1, Number(process.env.DAGPROF_IT_SCALE || 1));
const SDK_CLIENTS = [
    ['grpc'], ['grpc', 'gzip'], ['grpc'], ['proto'], ['proto', 'gzip'],
    ['proto'], ['http'], ['http', 'gzip'],
];
const SDK_TRACES = 20;          /* per SDK client, 20 spans each */
const RAW_SENDERS = 8;          /* half gRPC, half HTTP/protobuf */
const RAW_REQUESTS = 12 * SCALE; /* per raw sender */
const RAW_TRACES = 10;          /* per raw request */

test('concurrency: 16 clients at once, then SIGTERM; received = profiled + ' +
    'rejected', { timeout: 150000 * h.SLOW }, async () => {
    const dir = h.tmpDir();
    const out = path.join(dir, 'profiles.jsonl');
    const d = await h.startServe(['--grace', '500ms', '--output', out]);
    try {
        /* Everything is built and serialized before the clock starts. */
        const sdkWork = SDK_CLIENTS.map(([exporter, compression], i) => {
            const traces = h.buildTraces(CODE_REVIEW, `conc-sdk-${i}`,
                { repeat: SDK_TRACES });
            return { exporter, compression, traces,
                requests: h.client.planRequests(traces, { split: 2 }) };
        });
        const rawWork = [];
        for (let i = 0; i < RAW_SENDERS; i++) {
            const traces = h.buildTraces(CODE_REVIEW, `conc-raw-${i}`,
                { repeat: RAW_REQUESTS * RAW_TRACES });
            const bodies = [];
            let spans = 0, bad = 0;
            for (let r = 0; r < RAW_REQUESTS; r++) {
                const batch = [].concat(...traces
                    .slice(r * RAW_TRACES, (r + 1) * RAW_TRACES)
                    .map((t) => t.spans));
                /* Every third request carries one span with an 8-byte id. */
                if (r % 3 === 0) {
                    batch.push(h.withIds(batch[0],
                        { traceId: (i * 1000 + r).toString(16).padStart(16,
                            '0') }));
                    bad++;
                }
                spans += batch.length;
                bodies.push(h.protoBody(batch));
            }
            rawWork.push({ grpc: i % 2 === 0, traces, bodies, spans, bad });
        }
        const traceIds = [].concat(
            ...sdkWork.map((w) => w.traces.map((t) => t.traceId)),
            ...rawWork.map((w) => w.traces.map((t) => t.traceId)));
        const sentSpans = sdkWork.reduce((n, w) => n + w.traces.length * 20, 0) +
            rawWork.reduce((n, w) => n + w.spans, 0);
        const sentBad = rawWork.reduce((n, w) => n + w.bad, 0);
        const requests = sdkWork.reduce((n, w) => n + w.requests.length, 0) +
            rawWork.reduce((n, w) => n + w.bodies.length, 0);

        const t0 = Date.now();
        const sdkSends = sdkWork.map((w) => h.sdkSend(d, w.exporter,
            w.requests, { compression: w.compression }));
        const rawSends = rawWork.map(async (w) => {
            const grpcClient = w.grpc ? new h.grpc.Client(
                `127.0.0.1:${d.grpcPort}`,
                h.grpc.credentials.createInsecure()) : null;
            try {
                for (const body of w.bodies) {
                    if (grpcClient) {
                        const r = await h.grpcExport(grpcClient, body);
                        assert.equal(r.code, h.grpc.status.OK, r.details);
                    } else {
                        const r = await h.postProto(d.httpPort, body);
                        assert.equal(r.status, 200, String(r.body));
                    }
                }
            } finally {
                if (grpcClient) grpcClient.close();
            }
        });
        await Promise.all(sdkSends.concat(rawSends));
        const tSent = Date.now();
        const health = await d.settled();
        const tDone = Date.now();
        const peakKiB = d.peakRssKiB();

        assert.equal(health.spans_received, sentSpans, 'spans received');
        assert.equal(health.spans_rejected, sentBad, 'spans rejected');
        assert.equal(health.requests_refused, 0, 'no backpressure here');

        const stop = await d.stopClean();
        const lines = fs.readFileSync(out, 'utf8').split('\n')
            .filter((l) => l.trim());
        const profiles = h.parseProfiles(lines, out);
        const profiled = profiles.reduce((n, p) => n + p.spanCount, 0);
        assert.equal(profiled + health.spans_rejected, health.spans_received,
            'received = profiled + rejected');
        assert.equal(profiles.length, traceIds.length, 'one profile per trace');
        const seen = new Set(profiles.map((p) => p.traceId));
        assert.equal(seen.size, profiles.length, 'no trace profiled twice');
        for (const id of traceIds) assert.ok(seen.has(id), `profile of ${id}`);
        for (const p of profiles) {
            assert.equal(p.complete, true, p.traceId);
            assert.equal(p.spanCount, 20, p.traceId);
            assert.equal(p.dagId, 'code-review-dag');
        }
        const m = /stopped: (\d+) spans received, (\d+) rejected, (\d+) profiles/
            .exec(d.log);
        assert.ok(m, 'the "stopped" log line');
        assert.deepEqual(m.slice(1).map(Number),
            [sentSpans, sentBad, traceIds.length]);

        const secs = (tDone - t0) / 1000;
        console.log(`concurrency: ${sentSpans} spans in ${requests} requests ` +
            `(${traceIds.length} traces) from ${SDK_CLIENTS.length} SDK ` +
            `exporters + ${RAW_SENDERS} raw senders: sent in ${tSent - t0} ms, ` +
            `processed in ${tDone - t0} ms = ${Math.round(sentSpans / secs)} ` +
            `spans/s; peak RSS ${(peakKiB / 1024).toFixed(1)} MiB; SIGTERM ` +
            `flush + exit ${stop.ms} ms${h.SANITIZED ? ' (ASan build)' : ''}`);
    } finally {
        if (!d.exit) await d.stop('SIGKILL').catch(() => {});
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('SIGTERM while 8 senders are mid-flight: every acknowledged span is ' +
    'profiled, received = profiled + rejected', { timeout: 90000 * h.SLOW },
async () => {
    const d = await h.startServe(['--grace', '60s']);
    /* Each request carries 5 whole traces, so a trace is acknowledged or
     * not as a unit. */
    const senders = [];
    for (let i = 0; i < 8; i++) {
        const traces = h.buildTraces(CODE_REVIEW, `drain-${i}`,
            { repeat: 5 * 60 });
        const requests = [];
        for (let r = 0; r < 60; r++) {
            const ts = traces.slice(r * 5, (r + 1) * 5);
            requests.push({ ids: ts.map((t) => t.traceId),
                body: h.protoBody([].concat(...ts.map((t) => t.spans))) });
        }
        senders.push({ grpc: i % 2 === 0, requests, acked: [], refused: 0 });
    }
    const send = async (s) => {
        const c = s.grpc ? new h.grpc.Client(`127.0.0.1:${d.grpcPort}`,
            h.grpc.credentials.createInsecure()) : null;
        try {
            for (const req of s.requests) {
                let ok;
                if (c) {
                    const r = await h.grpcExport(c, req.body);
                    ok = r.code === h.grpc.status.OK;
                } else {
                    const r = await h.postProto(d.httpPort, req.body)
                        .catch(() => ({ status: 0 }));
                    ok = r.status === 200;
                }
                if (!ok) {
                    s.refused++;
                    return; /* the daemon is stopping */
                }
                s.acked.push(...req.ids);
            }
        } finally {
            if (c) c.close();
        }
    };
    const running = Promise.all(senders.map(send));
    /* Stop once a good share of the requests went through. */
    await h.waitFor(() => senders.reduce((n, s) => n + s.acked.length, 0) >=
        8 * 5 * 10, 'the first acknowledged requests', 20000 * h.SLOW, 5);
    const stop = await d.stopClean();
    await running;

    const acked = [].concat(...senders.map((s) => s.acked));
    const profiles = d.profiles.map((p) => p.profile);
    const byTrace = new Map(profiles.map((p) => [p.traceId, p]));
    assert.equal(byTrace.size, profiles.length, 'no trace profiled twice');
    for (const id of acked) {
        const p = byTrace.get(id);
        assert.ok(p, `acknowledged trace ${id} was not profiled`);
        assert.equal(p.spanCount, 20, id);
        assert.equal(p.complete, true, id);
    }
    const m = /stopped: (\d+) spans received, (\d+) rejected, (\d+) profiles/
        .exec(d.log);
    assert.ok(m, 'the "stopped" log line');
    const [received, rejected, emitted] = m.slice(1).map(Number);
    const profiled = profiles.reduce((n, p) => n + p.spanCount, 0);
    assert.equal(profiled + rejected, received, 'received = profiled + ' +
        'rejected');
    assert.equal(emitted, profiles.length);
    console.log(`SIGTERM under load: ${acked.length} traces acknowledged, ${
        profiles.length} profiled, ${received} spans received; exit 0 in ${
        stop.ms} ms`);
});
