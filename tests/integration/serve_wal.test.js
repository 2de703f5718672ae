/*
 * serve_wal.test.js - durability: wal. With the write-ahead log on, kill -9
 * mid-stream loses no acknowledged span; without it, it loses the spans in
 * memory (the README's Reliability section).
 *
 * Three rounds against one wal.dir and one --output file. Each round starts
 * `dagprof serve --durability wal` (it replays what the last round left),
 * four concurrent OpenTelemetry JS SDK exporters (gRPC, gRPC+gzip,
 * HTTP/protobuf, HTTP/JSON) send small-dag traces split across export
 * calls, and the daemon is killed with SIGKILL mid-stream, at a different
 * point each round, with traces in memory (grace 60 s in two rounds: none
 * of their traces was profiled before the kill). A last start replays the
 * final round, waits for the profiles and stops with SIGTERM. Then, for
 * every trace, the spans acknowledged (the SDK export callback reported
 * success) are at most the spanCount of each of its profiles: nothing
 * acknowledged is missing, and no replay produced a partial profile.
 * Delivery is at least once: duplicates (a profile delivered just before
 * the kill whose DONE record had not reached the log) are counted and
 * printed, not failed. The log directory is empty after the clean stop.
 *
 * The same kill without the log: acknowledged traces are missing.
 *
 * Every loop and wait is bounded; everything is on 127.0.0.1.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');

after(h.killAll);

const SMALL = h.loadScenario('small-dag.scenario.json'); /* 8 spans */
const ROUNDS = 3;
const CLIENTS = [['grpc'], ['grpc', 'gzip'], ['proto'], ['http']];
/* Fewer under the sanitizers, to stay well within the ctest timeout. */
const TRACES_PER_CLIENT = Math.round(500 / h.SLOW);
const CHUNKS_PER_REQUEST = 7; /* odd: a trace's halves straddle requests */
const EXPORT_TIMEOUT_MS = 2000 * h.SLOW;

function bounded(p, ms, timeout = null) {
    let timer;
    const t = new Promise((resolve) => {
        timer = setTimeout(() => resolve(timeout), ms);
        timer.unref();
    });
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function exportOnce(exporter, spans) {
    return new Promise((resolve) => {
        exporter.export(spans, (res) => resolve({ ok: res.code === 0 }));
    });
}

function planClient(traces) {
    const chunks = h.client.planRequests(traces, { split: 2 });
    const reqs = [];
    for (let i = 0; i < chunks.length; i += CHUNKS_PER_REQUEST) {
        reqs.push([].concat(...chunks.slice(i, i + CHUNKS_PER_REQUEST)));
    }
    return reqs;
}

const shutdowns = [];
after(async () => {
    await bounded(Promise.all(shutdowns.map((e) => e.shutdown()
        .catch(() => {}))), EXPORT_TIMEOUT_MS + 2000);
});

/* One client: its requests in order, one export call at a time, tallying
 * acknowledged spans per trace into acked; stops at the first failure. */
async function runClient(d, w, state, acked) {
    const endpoint = w.kind === 'grpc' ? d.grpcUrl : `${d.httpUrl}/v1/traces`;
    const exporter = h.client.makeExporter(w.kind, endpoint,
        { compression: w.compression, timeoutMillis: EXPORT_TIMEOUT_MS });
    shutdowns.push(exporter);
    for (const spans of w.requests) {
        if (state.stopped) return;
        const res = await exportOnce(exporter, spans);
        /* A success that arrives after the kill was read from the socket
         * before it: the daemon answered it, so it counts. */
        if (!res.ok) return;
        state.requests++;
        for (const s of spans) {
            const id = s.spanContext().traceId;
            acked.set(id, (acked.get(id) || 0) + 1);
        }
    }
}

/* Starts the daemon, loads it from four clients and kills it with SIGKILL
 * once `fraction` of the requests were acknowledged and until() (given
 * /healthz) holds. Returns the daemon, the requests acknowledged and the
 * last /healthz before the kill. */
async function loadAndKill(flags, tag, fraction, acked,
    until = () => true) {
    const d = await h.startServe(flags);
    const work = CLIENTS.map(([kind, compression], k) => {
        const traces = h.buildTraces(SMALL, `${tag}-${k}`,
            { repeat: TRACES_PER_CLIENT });
        return { kind, compression, requests: planClient(traces) };
    });
    const total = work.reduce((n, w) => n + w.requests.length, 0);
    const states = work.map(() => ({ requests: 0, stopped: false }));
    const running = Promise.all(work.map((w, k) => runClient(d, w,
        states[k], acked)));
    const stopAt = Math.floor(total * fraction);
    const done = () => states.reduce((n, s) => n + s.requests, 0);
    let hz = null;
    await h.waitFor(async () => {
        if (d.exit) return true;
        if (done() < stopAt && done() < total) return false;
        hz = await d.healthz();
        return until(hz);
    }, `${stopAt} requests`, 30000 * h.SLOW, 5);
    assert.ok(!d.exit, `the daemon is still running\n${d.logTail(30)}`);
    const stop = await d.stop('SIGKILL', 10000 * h.SLOW);
    assert.equal(stop.signal, 'SIGKILL');
    for (const s of states) s.stopped = true;
    /* Calls in flight at the kill fail (connection reset) or time out. */
    const settled = await bounded(running, EXPORT_TIMEOUT_MS * 4 + 2000,
        'timeout');
    assert.notEqual(settled, 'timeout', 'clients settle after the kill');
    return { d, requests: done(), hz };
}

function readProfiles(file) {
    if (!fs.existsSync(file)) return [];
    return h.parseProfiles(fs.readFileSync(file, 'utf8').split('\n'), file);
}

/* Starts the daemon on what the log holds, waits until every trace is
 * profiled and delivered and stops it with SIGTERM (exit 0). */
async function drain(flags) {
    const d = await h.startServe(flags);
    await h.waitFor(async () => {
        const hz = await d.healthz();
        return hz.traces_in_memory === 0 && hz.spans_queued === 0 &&
            (!hz.wal || hz.wal.segments <= 1);
    }, 'traces in memory to be profiled', 30000 * h.SLOW, 100);
    const hz = await d.healthz();
    const stop = await d.stop('SIGTERM', 30000 * h.SLOW);
    assert.equal(stop.code, 0, d.logTail(30));
    return { d, hz };
}

test('kill -9 mid-stream with durability: wal, three rounds: every ' +
    'acknowledged span is in a profile', { timeout: 240000 * h.SLOW },
async () => {
    const dir = h.tmpDir();
    const wal = path.join(dir, 'wal');
    const out = path.join(dir, 'profiles.jsonl');
    const acked = new Map();
    const base = ['--durability', 'wal', '--wal-dir', wal, '--output', out,
        '--idle-timeout', '3s'];
    try {
        let recovered = 0;
        for (let i = 0; i < ROUNDS; i++) {
            /* Round 1 runs until traces were profiled and delivered and
             * the log deleted segments of its own: the kill then lands
             * among DONE records and deletions. */
            const grace = i === 1 ? '300ms' : '60s';
            const until = i === 1 ? (hz) => hz.wal.deleted >= 1 &&
                hz.profiles_emitted >= 200 : () => true;
            const before = readProfiles(out).length;
            const r = await loadAndKill(base.concat(['--grace', grace,
                '--wal-segment-size', '256KiB']), `wal-${i}`,
            0.3 + 0.2 * i, acked, until);
            if (i > 0) {
                assert.match(r.d.log, /\[wal\] replayed \d+ request/,
                    `round ${i}: the last round's log replayed`);
            }
            const segs = fs.readdirSync(wal).filter((f) => f.endsWith('.wal'));
            console.log(`round ${i} (grace ${grace}): ${r.requests} ` +
                `requests acknowledged, SIGKILL; ${
                    readProfiles(out).length - before} profiles written ` +
                `before it; log: ${r.hz.wal.records} records, ${
                    r.hz.wal.syncs} syncs, ${r.hz.wal.deleted} segment(s) ` +
                `deleted, ${segs.length} left`);
            assert.ok(segs.length >= 1, 'the log survives the kill');
        }
        const { d, hz } = await drain(base.concat(['--grace', '500ms']));
        assert.match(d.log, /\[wal\] replayed \d+ request/);
        const profiles = readProfiles(out);
        const byTrace = new Map();
        for (const p of profiles) {
            if (!byTrace.has(p.traceId)) byTrace.set(p.traceId, []);
            byTrace.get(p.traceId).push(p);
        }
        let ackedSpans = 0;
        let duplicates = 0;
        for (const [id, n] of acked) {
            ackedSpans += n;
            const ps = byTrace.get(id);
            assert.ok(ps, `acknowledged trace ${id} (${n} spans) has no ` +
                'profile');
            duplicates += ps.length - 1;
            for (const p of ps) {
                assert.ok(p.spanCount >= n, `trace ${id}: ${n} spans ` +
                    `acknowledged, a profile has ${p.spanCount}`);
                assert.ok(p.spanCount <= 8, `trace ${id}: spanCount`);
            }
        }
        recovered = hz.wal ? hz.wal.replayed : 0;
        console.log(`${acked.size} traces / ${ackedSpans} spans ` +
            `acknowledged over ${ROUNDS} kills: all in ${profiles.length} ` +
            `profiles (${duplicates} duplicate(s), at least once); ${
                recovered} request(s) replayed at the last start`);
        assert.ok(acked.size > 0 && ackedSpans > 0, 'something was sent');
        const left = fs.readdirSync(wal).filter((f) => f.endsWith('.wal'));
        assert.deepEqual(left, [], 'the log is empty after a clean stop');
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('kill -9 mid-stream without the log: acknowledged spans in memory ' +
    'are lost', { timeout: 120000 * h.SLOW }, async () => {
    const dir = h.tmpDir();
    const out = path.join(dir, 'profiles.jsonl');
    const acked = new Map();
    try {
        await loadAndKill(['--output', out, '--grace', '60s'], 'nowal', 0.4,
            acked);
        await drain(['--output', out, '--grace', '500ms']);
        const profiled = new Set(readProfiles(out).map((p) => p.traceId));
        const lost = [...acked.keys()].filter((id) => !profiled.has(id));
        console.log(`without the log: ${acked.size} traces acknowledged, ` +
            `${lost.length} without a profile after kill -9`);
        assert.ok(acked.size > 0, 'something was acknowledged');
        assert.equal(lost.length, acked.size, 'every trace in memory lost');
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
