/*
 * serve_drain.test.js - at SIGTERM each exporter drains its own queue: a
 * slow or dead destination loses only what it has not delivered by
 * shutdown_timeout (counted, logged under its name, exit status 1), while
 * the others deliver everything.
 *
 * Each test starts the real daemon with a jsonl exporter (a small queue)
 * and an otlp exporter pushing to a local collector that either never
 * answers (a TCP listener that accepts and never writes a byte: every
 * OTLP/gRPC call hangs until the exporter's 30 s timeout, far past the
 * shutdown deadline) or answers each call after 250 ms (with the
 * write-ahead log on). A 60 s grace keeps every trace in memory until
 * SIGTERM, so the whole burst is finalized at shutdown. Checked: exit
 * status 1 within shutdown_timeout + the one-second grace for a stuck
 * exporter + a margin; every accepted trace has its one profile, with
 * every span, in the jsonl file; the otlp exporter's loss is logged as an
 * error naming it, with delivered + lost = traces; with the log, no
 * segment is kept once every exporter is done.
 *
 * Every loop and wait is bounded; everything is on 127.0.0.1.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const h = require('./harness');

after(h.killAll);

const SMALL = h.loadScenario('small-dag.scenario.json'); /* 8 spans */
const TRACES = 600;
const PER_REQUEST = 20;
const SHUTDOWN_MS = 2000;
/* After the deadline: one second for a thread stuck in export(), then the
 * exit itself (more under the sanitizers). */
const EXIT_MARGIN_MS = 1000 + 3000 * h.SLOW;

/* A collector that accepts connections and never answers. */
async function silentCollector() {
    const sockets = new Set();
    const srv = net.createServer((s) => {
        sockets.add(s);
        s.on('data', () => {});
        s.on('error', () => {});
        s.on('close', () => sockets.delete(s));
    });
    await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
    return {
        port: srv.address().port,
        connections: () => sockets.size,
        close: () => {
            for (const s of sockets) s.destroy();
            srv.close();
        },
    };
}

/* An OTLP/gRPC collector (Logs and Metrics) answering each call after
 * delayMs; counts the calls it answered. */
async function slowCollector(delayMs) {
    const grpc = h.grpc;
    const answered = { logs: 0, metrics: 0 };
    const server = new grpc.Server();
    for (const svc of ['logs', 'metrics']) {
        const Svc = svc[0].toUpperCase() + svc.slice(1);
        const def = { Export: {
            path: `/opentelemetry.proto.collector.${svc}.v1.${Svc}Service/Export`,
            requestStream: false, responseStream: false,
            requestSerialize: (b) => b, requestDeserialize: (b) => b,
            responseSerialize: (b) => b, responseDeserialize: (b) => b,
        } };
        server.addService(def, { Export: (call, cb) => {
            const t = setTimeout(() => {
                answered[svc]++;
                cb(null, Buffer.alloc(0));
            }, delayMs);
            t.unref();
        } });
    }
    const port = await new Promise((resolve, reject) => server.bindAsync(
        '127.0.0.1:0', grpc.ServerCredentials.createInsecure(),
        (e, p) => (e ? reject(e) : resolve(p))));
    return { port, answered, close: () => server.forceShutdown() };
}

/* Sends TRACES traces over OTLP/HTTP; every request must be accepted. */
async function sendAll(d, seed) {
    const traces = h.buildTraces(SMALL, seed, { repeat: TRACES });
    for (let i = 0; i < traces.length; i += PER_REQUEST) {
        const ts = traces.slice(i, i + PER_REQUEST);
        const res = await h.postProto(d.httpPort,
            h.protoBody([].concat(...ts.map((t) => t.spans))));
        assert.equal(res.status, 200, `request ${i / PER_REQUEST}: ${
            res.status} ${res.body}\n${d.logTail()}`);
    }
    /* Every span is in a trace in memory (none waits in a shard queue)
     * and no profile is out yet (grace 60 s). */
    const hz = await d.settled((x) => x.traces_in_memory === TRACES,
        `${TRACES} traces in memory`);
    assert.equal(hz.profiles_emitted, 0);
    return traces;
}

/* SIGTERM; returns { stop, took }. The exit must come within the deadline
 * plus the margin. */
async function sigterm(d) {
    const t0 = Date.now();
    const stop = await d.stop('SIGTERM', 30000 * h.SLOW);
    const took = Date.now() - t0;
    assert.ok(took < SHUTDOWN_MS + EXIT_MARGIN_MS, `exited ${took} ms after ` +
        `SIGTERM (shutdown_timeout ${SHUTDOWN_MS} ms)\n${d.logTail(30)}`);
    assert.equal(stop.code, 1, `exit status: the otlp loss\n${d.logTail(30)}`);
    return { stop, took };
}

/* Every trace has exactly one profile with all its spans in the file, and
 * the jsonl exporter reports nothing dropped. */
function checkJsonl(d, file, traces) {
    const profiles = h.parseProfiles(fs.readFileSync(file, 'utf8')
        .split('\n'), file);
    const byTrace = new Map();
    for (const p of profiles) {
        assert.ok(!byTrace.has(p.traceId), `${p.traceId} twice`);
        byTrace.set(p.traceId, p);
    }
    for (const t of traces) {
        const p = byTrace.get(t.traceId);
        assert.ok(p, `trace ${t.traceId}: no profile in the jsonl file`);
        assert.equal(p.spanCount, t.spans.length, `trace ${t.traceId} spans`);
    }
    assert.equal(profiles.length, traces.length);
    assert.match(d.log, new RegExp(`exporter jsonl: ${traces.length} ` +
        'exported, 0 dropped'));
    assert.doesNotMatch(d.log, /exporter jsonl: \d+ profile\(s\).* lost/);
    const done = /exporter jsonl: .*; last record done (\d+) ms after the signal/
        .exec(d.log);
    return done ? Number(done[1]) : null;
}

/* The otlp exporter's loss line: { delivered, lost, lostSpans }. */
function otlpLoss(d) {
    const sum = /exporter otlp: (\d+) exported, (\d+) dropped \(0 queue full, 0 refused, 0 retries exhausted, (\d+) at the shutdown deadline\)/
        .exec(d.log);
    assert.ok(sum, `the otlp exporter's summary line\n${d.logTail(30)}`);
    const [delivered, dropped, atDeadline] = sum.slice(1).map(Number);
    assert.equal(dropped, atDeadline);
    const err = new RegExp('error \\[serve\\] exporter otlp: (\\d+) ' +
        'profile\\(s\\) with (\\d+) span\\(s\\) and 0 alert\\(s\\) lost: ' +
        `shutdown_timeout \\(${SHUTDOWN_MS} ms\\) expired`).exec(d.log);
    assert.ok(err, `the error line naming otlp\n${d.logTail(30)}`);
    const [lost, lostSpans] = err.slice(1).map(Number);
    assert.equal(lost, atDeadline);
    assert.match(d.log, /shutdown incomplete/);
    return { delivered, lost, lostSpans };
}

function config(dir, endpointPort, extra = []) {
    const out = path.join(dir, 'profiles.jsonl');
    const cfg = path.join(dir, 'dagprof.yaml');
    fs.writeFileSync(cfg, [
        'processor: { grace: 60s, idle_timeout: 60s }',
        `shutdown_timeout: ${SHUTDOWN_MS}ms`,
        'exporters:',
        `  jsonl: { path: "${out}", queue_size: 8 }`,
        `  otlp: { endpoint: "http://127.0.0.1:${endpointPort}", ` +
            'timeout: 30s, queue_size: 8 }',
    ].concat(extra, ['']).join('\n'));
    return { out, cfg };
}

test('SIGTERM with a collector that never answers: jsonl gets every ' +
    'profile, the otlp loss is counted and logged, exit within the deadline',
{ timeout: 60000 * h.SLOW }, async () => {
    const dir = h.tmpDir();
    const col = await silentCollector();
    let d;
    try {
        const { out, cfg } = config(dir, col.port);
        d = await h.startServe(['--config', cfg]);
        const traces = await sendAll(d, 'drain-silent');
        const { took } = await sigterm(d);
        const jsonlMs = checkJsonl(d, out, traces);
        const loss = otlpLoss(d);
        assert.equal(loss.delivered, 0, 'nothing reached a silent collector');
        assert.equal(loss.lost, TRACES);
        assert.equal(loss.lostSpans, TRACES * SMALL.spans.length);
        /* Its thread hung in a call: left behind, said so. */
        assert.match(d.log, /otlp: still inside an export or flush call/);
        console.log(`silent collector: ${TRACES} profiles in jsonl (the ` +
            `last ${jsonlMs} ms after SIGTERM), ${loss.lost} lost by otlp; ` +
            `SIGTERM -> exit 1 in ${took} ms`);
    } finally {
        if (d && !d.exit) await d.stop('SIGKILL').catch(() => {});
        col.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('SIGTERM with a collector answering after 250 ms (write-ahead log ' +
    'on): otlp delivers what it can, the rest is counted, jsonl gets ' +
    'everything, no log segment is kept', { timeout: 60000 * h.SLOW },
async () => {
    const dir = h.tmpDir();
    const col = await slowCollector(250);
    const walDir = path.join(dir, 'wal');
    let d;
    try {
        const { out, cfg } = config(dir, col.port,
            ['durability: wal', `wal: { dir: "${walDir}" }`]);
        d = await h.startServe(['--config', cfg]);
        const traces = await sendAll(d, 'drain-slow');
        const { took } = await sigterm(d);
        const jsonlMs = checkJsonl(d, out, traces);
        const loss = otlpLoss(d);
        assert.ok(loss.delivered >= 1, 'the slow collector got some');
        assert.ok(loss.lost >= 1, 'and not all');
        assert.equal(loss.delivered + loss.lost, TRACES,
            'delivered + lost = traces');
        assert.ok(col.answered.logs >= loss.delivered,
            `collector answered ${col.answered.logs} log calls`);
        assert.doesNotMatch(d.log, /left behind/);
        /* Every profile was delivered or dropped and counted by both
         * exporters: the log let go of every segment. */
        assert.doesNotMatch(d.log, /segment\(s\) kept/);
        const left = fs.existsSync(walDir) ? fs.readdirSync(walDir)
            .filter((f) => f.endsWith('.wal')) : [];
        assert.deepEqual(left, [], 'write-ahead log segments left');
        console.log(`slow collector: ${TRACES} profiles in jsonl (the last ${
            jsonlMs} ms after SIGTERM); otlp ${
            loss.delivered} delivered, ${loss.lost} lost; SIGTERM -> exit 1 ` +
            `in ${took} ms`);
    } finally {
        if (d && !d.exit) await d.stop('SIGKILL').catch(() => {});
        col.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
