/*
 * serve_limits.test.js - `dagprof serve` under clients that try to hog it,
 * and identifiers that would merge.
 *
 * One idle-connection flood (2,000 sockets from 127.0.0.2, far over the
 * per-peer cap) plus slowloris heads (300 sockets from 127.0.0.3 that send
 * half a request head and stall) while a well-behaved client on 127.0.0.1
 * keeps posting traces and reading /healthz on new connections: every one
 * of its requests must be answered within a bound, the caps must hold and
 * /healthz must count what happened. Then the gRPC listener: a TCP
 * connection that never sends the HTTP/2 preface is closed after
 * handshake_timeout, and a message whose compressed flag is set without
 * grpc-encoding is answered INTERNAL (node's http2 client writes the gRPC
 * frame by hand). Last, spans whose dag.node.id holds a NUL byte are
 * rejected with partial success over OTLP/HTTP protobuf and JSON.
 *
 * Every socket is on loopback; every wait is bounded; the flood is sized
 * below this process's open-file limit.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const http2 = require('node:http2');
const net = require('node:net');
const { spawnSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');

const h = require('./harness');

after(h.killAll);

const SMALL = h.loadScenario('small-dag.scenario.json');
const PER_PEER = 256;
const HEADER_TIMEOUT_MS = 1000;
const SLOWLORIS = 300;

/* This process's soft open-file limit (the daemon raises its own). */
function nofileLimit() {
    const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
    const n = Number((r.stdout || '').trim());
    return Number.isFinite(n) && n > 0 ? n : 1024;
}

let seq = 0;
function freshTrace() {
    return h.buildTraces(SMALL, `limits-${seq++}`)[0];
}

/*
 * The flooder runs in a worker thread with its own event loop, so that
 * opening thousands of sockets does not stall the well-behaved client's
 * loop and its latencies are the daemon's. It opens `flood` idle sockets
 * from 127.0.0.2, then `slow` sockets from 127.0.0.3 that each send half a
 * request head, waits (bounded) until every slowloris socket is closed,
 * reports, and destroys everything when told to.
 */
const FLOODER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const { port, flood, slow, waitMs } = workerData;
function open(localAddress, n, onConnect) {
    const socks = [];
    let pending = n;
    return new Promise((resolve) => {
        const done = () => { if (--pending === 0) resolve(socks); };
        for (let i = 0; i < n; i++) {
            const s = net.connect({ host: '127.0.0.1', port, localAddress });
            const rec = { s, data: '', closed: false, connected: false };
            socks.push(rec);
            s.setEncoding('latin1');
            s.on('data', (d) => { rec.data += d; });
            s.on('error', () => {});
            s.on('close', () => { rec.closed = true; });
            s.once('connect', () => {
                rec.connected = true;
                if (onConnect) onConnect(s);
                done();
            });
            s.once('error', done);
        }
    });
}
(async () => {
    const t0 = Date.now();
    const idle = await open('127.0.0.2', flood);
    const floodMs = Date.now() - t0;
    const sl = await open('127.0.0.3', slow,
        (s) => s.write('POST /v1/traces HTTP/1.1\\r\\nContent-Type: appl'));
    const end = Date.now() + waitMs;
    while (!sl.every((r) => r.closed) && Date.now() < end)
        await new Promise((r) => setTimeout(r, 20));
    parentPort.postMessage({
        floodMs,
        idleConnected: idle.filter((r) => r.connected).length,
        idleOpen: idle.filter((r) => !r.closed).length,
        slowClosed: sl.filter((r) => r.closed).length,
        got408: sl.filter((r) => r.data.startsWith('HTTP/1.1 408')).length,
        got503: sl.filter((r) => r.data.startsWith('HTTP/1.1 503')).length,
        noReply: sl.filter((r) => r.closed && !r.data).length,
    });
    parentPort.once('message', () => {
        for (const r of idle.concat(sl)) r.s.destroy();
        parentPort.postMessage('closed');
    });
})();
`;

function percentile(sorted, p) {
    return sorted[Math.min(sorted.length - 1,
        Math.floor((sorted.length * p) / 100))];
}

test('an idle-connection flood and slowloris heads from other peers leave ' +
    'room for a well-behaved client', { timeout: 60000 * h.SLOW }, async (t) => {
    const flood = Math.min(2000, nofileLimit() - SLOWLORIS - 200);
    assert.ok(flood > PER_PEER, `open-file limit too low for the test`);
    const d = await h.startServe(['--grace', '300ms', '--http-header-timeout',
        `${HEADER_TIMEOUT_MS}ms`]);

    /* The well-behaved client: POST a trace and GET /healthz, each on a
     * new connection, until told to stop. */
    let stop = false;
    const lat = [];
    const failures = [];
    let maxOpen = 0;
    const good = (async () => {
        for (let i = 0; i < 2000 && !stop; i++) {
            const t0 = process.hrtime.bigint();
            try {
                const r = await h.postProto(d.httpPort,
                    h.protoBody(freshTrace().spans));
                if (r.status !== 200) failures.push(`POST ${r.status}`);
                const hz = await h.httpRequest(d.httpPort, { method: 'GET',
                    path: '/healthz', timeoutMs: 5000 * h.SLOW });
                if (hz.status !== 200) failures.push(`GET ${hz.status}`);
                else {
                    const open = JSON.parse(hz.body).connections_open;
                    if (open > maxOpen) maxOpen = open;
                }
            } catch (e) {
                failures.push(String(e));
            }
            lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
            await h.sleep(5);
        }
    })();

    const worker = new Worker(FLOODER, { eval: true, workerData: {
        port: d.httpPort, flood, slow: SLOWLORIS,
        waitMs: HEADER_TIMEOUT_MS + 5000 * h.SLOW } });
    const messages = [];
    worker.on('message', (m) => messages.push(m));
    worker.on('error', (e) => messages.push({ error: String(e) }));
    await h.waitFor(() => messages.length > 0, 'the flooder',
        30000 * h.SLOW, 50);
    const f = messages[0];
    assert.ok(!f.error, `flooder: ${f.error}`);
    await h.sleep(200);
    stop = true;
    await good;

    const hz = await d.healthz();
    lat.sort((a, b) => a - b);
    t.diagnostic(`flood: ${f.idleConnected} idle sockets from 127.0.0.2 in ${
        f.floodMs} ms (${f.idleOpen} still open), ${SLOWLORIS} slowloris ` +
        `heads from 127.0.0.3 (${f.got408} got 408, ${f.got503} got 503, ${
            f.noReply} closed while still idle); well-behaved client: ${
            lat.length} rounds of POST /v1/traces + GET /healthz on new ` +
        `connections, ${failures.length} failed, latency p50 ${
            percentile(lat, 50).toFixed(1)} ms, p99 ${
            percentile(lat, 99).toFixed(1)} ms, max ${
            lat[lat.length - 1].toFixed(1)} ms; /healthz ${JSON.stringify(hz)}`);

    assert.deepEqual(failures, [], 'the well-behaved client was refused');
    assert.ok(lat.length >= 10, `only ${lat.length} rounds`);
    assert.ok(lat[lat.length - 1] < 2000 * h.SLOW,
        `slowest round ${lat[lat.length - 1]} ms`);
    assert.equal(f.idleConnected, flood, 'every flood socket connected');
    assert.ok(f.idleOpen <= PER_PEER, `${f.idleOpen} idle sockets still open`);
    assert.ok(maxOpen <= 1024, `${maxOpen} connections open at once`);
    assert.equal(f.slowClosed, SLOWLORIS, 'slowloris sockets left open');
    assert.equal(f.got408 + f.got503 + f.noReply, SLOWLORIS);
    assert.ok(f.got408 >= SLOWLORIS / 2, `${f.got408} slowloris heads got 408`);
    assert.ok(hz.connections_evicted + hz.connections_closed_idle >=
        flood - PER_PEER, `evicted ${hz.connections_evicted}`);
    assert.ok(hz.connections_timed_out >= f.got408);
    assert.ok(hz.connections_refused >= f.got503);
    assert.ok(hz.connections_accepted >= flood);

    worker.postMessage('close');
    await h.waitFor(() => messages.includes('closed'), 'the flooder to close',
        5000 * h.SLOW);
    await worker.terminate();
    await h.waitFor(async () => (await d.healthz()).connections_open <= 2,
        'the flood connections to close', 5000 * h.SLOW);
    await d.stopClean();
});

test('gRPC: a connection that never sends the HTTP/2 preface is closed ' +
    'after handshake_timeout; a message flagged compressed without ' +
    'grpc-encoding is INTERNAL', { timeout: 30000 * h.SLOW }, async () => {
    const d = await h.startServe(['--grace', '300ms',
        '--grpc-handshake-timeout', '500ms']);
    const t0 = Date.now();
    const sock = net.connect({ host: '127.0.0.1', port: d.grpcPort });
    sock.on('error', () => {});
    sock.resume();
    await new Promise((resolve) => sock.on('close', resolve));
    const dt = Date.now() - t0;
    assert.ok(dt >= 300 && dt < 5000 * h.SLOW, `closed after ${dt} ms`);

    const body = h.protoBody(freshTrace().spans);
    const call = (flag, encoding) => new Promise((resolve, reject) => {
        const session = http2.connect(d.grpcUrl);
        session.on('error', reject);
        const headers = { ':method': 'POST', ':path':
            '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        'content-type': 'application/grpc', te: 'trailers' };
        if (encoding) headers['grpc-encoding'] = encoding;
        const req = session.request(headers);
        let status = null;
        let message = '';
        const take = (hs) => {
            if (hs['grpc-status'] !== undefined) {
                status = Number(hs['grpc-status']);
                message = decodeURIComponent(hs['grpc-message'] || '');
            }
        };
        req.on('response', take);
        req.on('trailers', take);
        req.on('data', () => {});
        req.on('error', reject);
        req.on('close', () => {
            session.close();
            resolve({ status, message });
        });
        const prefix = Buffer.alloc(5);
        prefix[0] = flag;
        prefix.writeUInt32BE(body.length, 1);
        req.end(Buffer.concat([prefix, body]));
    });
    assert.equal((await call(0, null)).status, 0, 'a plain message is OK');
    const r = await call(1, null);
    assert.equal(r.status, 13, `flagged without grpc-encoding: ${
        JSON.stringify(r)}`);
    assert.match(r.message, /compressed flag/);
    assert.equal((await call(1, 'identity')).status, 13);
    await d.stopClean();
});

test('spans whose dag.node.id holds a NUL byte are rejected with partial ' +
    'success, protobuf and JSON', { timeout: 30000 * h.SLOW }, async () => {
    const d = await h.startServe(['--grace', '300ms']);
    for (const encoding of ['proto', 'json']) {
        const spans = freshTrace().spans;
        const node = (s, id) => Object.create(s, { attributes: { value:
            Object.assign({}, s.attributes, { 'dag.node.id': id }) } });
        const sent = spans.map((s, i) => (i === 1 ? node(s, 'a\u0000b')
            : i === 2 ? node(s, 'a\u0000c') : s));
        const r = encoding === 'proto'
            ? await h.postProto(d.httpPort, h.protoBody(sent))
            : await h.postJson(d.httpPort, h.jsonBody(sent));
        assert.equal(r.status, 200, `${encoding}: ${r.body}`);
        const resp = encoding === 'proto' ? h.decodeProtoResponse(r.body)
            : JSON.parse(r.body);
        assert.equal(h.rejectedSpans(resp), 2, `${encoding}: ${
            JSON.stringify(resp)}`);
        assert.match(resp.partialSuccess.errorMessage,
            /dag\.node\.id holds a NUL byte/);
    }
    const hz = await d.settled((x) => x.spans_rejected === 4,
        'the rejected spans to be counted');
    assert.equal(hz.spans_rejected, 4);
    await d.stopClean();
});
