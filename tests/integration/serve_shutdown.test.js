/*
 * serve_shutdown.test.js - DESIGN.md "Profile lifecycle": on SIGTERM
 * nothing accepted is lost, and when shutdown_timeout cuts the flush short
 * the loss is counted, logged and the exit status says so.
 *
 * Ten rounds, each a fresh `dagprof serve` fed by six concurrent
 * OpenTelemetry JS SDK exporters (gRPC, gRPC+gzip, HTTP/protobuf, HTTP/JSON)
 * that send thousands of small-dag traces, each trace split across two
 * export calls. The daemon is stopped with SIGTERM mid-stream, at a
 * different point each round, with traces in memory (a 60 s grace in most
 * rounds, so every acknowledged trace is still in memory: more than the
 * jsonl queue holds). Rounds rotate through `--output FILE`, a jsonl
 * exporter from a config file with an 8-record queue, and standard output
 * read by this process (before on_full, the last two lost profiles at
 * SIGTERM: the queue pushed out its oldest records). Every round: exit
 * status 0, and for every trace the spans acknowledged (the SDK export
 * callback reported success) equal the spanCount of its one profile; a
 * trace with nothing acknowledged has no profile.
 *
 * Then a jsonl exporter writing to a FIFO that nobody reads: its queue
 * fills, the shard threads block on it, the receivers refuse with 503 and
 * Retry-After (backpressure), /healthz shows the exporter's waiting
 * submitters; SIGTERM with shutdown_timeout 1s exits 1 with an error line
 * naming the profiles and spans lost, and lines delivered + lost = traces
 * accepted, spans too.
 *
 * Every loop and wait is bounded; everything is on 127.0.0.1.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');

after(h.killAll);

const SMALL = h.loadScenario('small-dag.scenario.json'); /* 8 spans */
const ROUNDS = 10;
const CLIENTS = [['grpc'], ['grpc', 'gzip'], ['proto'], ['proto', 'gzip'],
    ['http'], ['grpc']];
const TRACES_PER_CLIENT = 500;
const CHUNKS_PER_REQUEST = 9; /* odd: a trace's halves straddle requests */
/* The SDK retries a refused export until its timeout: after SIGTERM that
 * can only end in failure, so keep it short (and stretch it under ASan). */
const EXPORT_TIMEOUT_MS = 2000 * h.SLOW;

/* p, or `timeout` after ms if p has not settled by then; the timer never
 * keeps the process alive. */
function bounded(p, ms, timeout = null) {
    let timer;
    const t = new Promise((resolve) => {
        timer = setTimeout(() => resolve(timeout), ms);
        timer.unref();
    });
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/* One export call with the SDK exporter; resolves { ok, error }. */
function exportOnce(exporter, spans) {
    return new Promise((resolve) => {
        exporter.export(spans, (res) => resolve({ ok: res.code === 0,
            error: res.error ? String(res.error.message || res.error) : '' }));
    });
}

/* The requests of one client: each trace ordered and split in two, the
 * halves grouped CHUNKS_PER_REQUEST at a time. */
function planClient(traces) {
    const chunks = h.client.planRequests(traces, { split: 2 });
    const reqs = [];
    for (let i = 0; i < chunks.length; i += CHUNKS_PER_REQUEST) {
        reqs.push([].concat(...chunks.slice(i, i + CHUNKS_PER_REQUEST)));
    }
    return reqs;
}

const work = CLIENTS.map(([kind, compression], i) => {
    const traces = h.buildTraces(SMALL, `shutdown-${i}`,
        { repeat: TRACES_PER_CLIENT });
    return { kind, compression, traces, requests: planClient(traces) };
});
const totalRequests = work.reduce((n, w) => n + w.requests.length, 0);

/* Exports still pending when a round ended: they can only fail (the daemon
 * had exited); checked at the end of the file. */
const lateExports = [];
/* Each round's SDK exporters are shut down when the round closes (that
 * waits for their pending retries), in the background. */
const shutdowns = [];
after(async () => {
    await bounded(Promise.all(shutdowns), EXPORT_TIMEOUT_MS + 2000);
});

/*
 * One client: sends its requests in order, one export call at a time,
 * tallying acknowledged spans per trace; stops at the first failure (the
 * daemon is stopping). state.pending is the call in flight.
 */
async function runClient(d, w, state) {
    const endpoint = w.kind === 'grpc' ? d.grpcUrl : `${d.httpUrl}/v1/traces`;
    const exporter = h.client.makeExporter(w.kind, endpoint,
        { compression: w.compression, timeoutMillis: EXPORT_TIMEOUT_MS });
    state.exporter = exporter;
    for (const spans of w.requests) {
        if (state.stopped) return;
        const p = exportOnce(exporter, spans);
        state.pending = { p, spans };
        const res = await p;
        /* Resolved after the round was closed: checked in lateExports. */
        if (state.closed) return;
        state.pending = null;
        if (!res.ok) {
            state.failures.push(res.error);
            return;
        }
        state.requests++;
        for (const s of spans) {
            const id = s.spanContext().traceId;
            state.acked.set(id, (state.acked.get(id) || 0) + 1);
        }
    }
}

/* Where round i's profiles go: --output FILE, a jsonl exporter with a
 * tiny queue from a config file, or standard output (a pipe read by this
 * process, slower than the daemon finalizes). */
const OUTPUTS = ['--output FILE', 'exporters.jsonl, queue_size 8', 'stdout'];

async function round(i, dir) {
    const out = path.join(dir, `profiles-${i}.jsonl`);
    const output = OUTPUTS[i % 3];
    const grace = i % 4 === 3 ? '300ms' : '60s';
    let flags = ['--grace', grace];
    if (output === OUTPUTS[1]) {
        const cfg = path.join(dir, `dagprof-${i}.yaml`);
        fs.writeFileSync(cfg, 'exporters:\n' +
            `  jsonl: { path: "${out}", queue_size: 8 }\n`);
        flags = flags.concat(['--config', cfg]);
    } else if (output === OUTPUTS[0]) {
        flags = flags.concat(['--output', out]);
    }
    const d = await h.startServe(flags);
    const states = work.map(() => ({ acked: new Map(), requests: 0,
        failures: [], stopped: false, closed: false, pending: null }));
    const running = Promise.all(work.map((w, k) => runClient(d, w,
        states[k])));
    /* Stop somewhere between 25% and 75% of the requests, varying. */
    const stopAt = Math.floor(totalRequests * (0.25 + 0.5 * ((i * 7) % 10) /
        10));
    const done = () => states.reduce((n, s) => n + s.requests, 0);
    await h.waitFor(() => done() >= stopAt || d.exit, `${stopAt} requests`,
        30000 * h.SLOW, 5);
    const t0 = Date.now();
    const stop = await d.stop('SIGTERM', 30000 * h.SLOW);
    const stopMs = Date.now() - t0;
    for (const s of states) s.stopped = true;
    /* A reply written before the exit is read by this process within
     * milliseconds; what is still pending after that is a retry that can
     * only fail (checked at the end). */
    await bounded(running, 500);
    for (const s of states) {
        s.closed = true;
        if (s.pending) {
            const n = s.pending.spans.length;
            lateExports.push(s.pending.p.then((res) => ({ res, n })));
        }
        if (s.exporter) {
            shutdowns.push(s.exporter.shutdown().catch(() => {}));
        }
    }
    assert.equal(stop.code, 0, `round ${i}: exit ${stop.code}/${stop.signal
    }\n${d.logTail(40)}`);
    assert.doesNotMatch(d.log, /dropped a record|\) lost/, `round ${i}`);

    const acked = new Map();
    for (const s of states) {
        for (const [id, n] of s.acked) acked.set(id, (acked.get(id) || 0) + n);
    }
    assert.deepEqual(d.badLines, [], `round ${i}: stdout lines`);
    const profiles = output === OUTPUTS[2] ? d.profiles.map((p) => p.profile)
        : h.parseProfiles(fs.readFileSync(out, 'utf8').split('\n'), out);
    const byTrace = new Map();
    for (const p of profiles) {
        assert.ok(!byTrace.has(p.traceId), `round ${i}: ${p.traceId} twice`);
        byTrace.set(p.traceId, p);
    }
    let ackedSpans = 0;
    for (const [id, n] of acked) {
        ackedSpans += n;
        const p = byTrace.get(id);
        assert.ok(p, `round ${i}: acknowledged trace ${id} (${n} spans) ` +
            'has no profile');
        assert.equal(p.spanCount, n, `round ${i}: trace ${id}: spans ` +
            'acknowledged = spans in its profile');
    }
    for (const id of byTrace.keys()) {
        assert.ok(acked.has(id), `round ${i}: profile of ${id}, of which ` +
            'nothing was acknowledged');
    }
    const m = /stopped: (\d+) spans received, (\d+) rejected, (\d+) profiles emitted; shutdown took (\d+) ms/
        .exec(d.log);
    assert.ok(m, `round ${i}: the "stopped" log line`);
    const [received, rejected, emitted, tookMs] = m.slice(1).map(Number);
    assert.equal(received - rejected, ackedSpans, `round ${i}: received`);
    assert.equal(emitted, profiles.length, `round ${i}: emitted`);
    const partial = [...acked.values()].filter((n) => n < 8).length;
    return { traces: acked.size, spans: ackedSpans, profiles: profiles.length,
        partial,
        stopMs, tookMs, output, grace,
        refusedClients: states.filter((s) => s.failures.length).length };
}

test('SIGTERM mid-stream, ten times: spans acknowledged = spans in ' +
    'profiles, per trace', { timeout: 240000 * h.SLOW }, async () => {
    const dir = h.tmpDir();
    try {
        for (let i = 0; i < ROUNDS; i++) {
            const r = await round(i, dir);
            console.log(`round ${i} (${r.output}, grace ${r.grace}): ${
                r.traces} traces (${r.partial} in part) / ${r.spans} spans ` +
                `acknowledged = ${
                r.profiles} profiles; SIGTERM to exit ${r.stopMs} ms ` +
                `(shutdown ${r.tookMs} ms)`);
        }
        /* Exports still pending at the end of their round all failed. */
        const late = await bounded(Promise.all(lateExports),
            EXPORT_TIMEOUT_MS + 5000);
        assert.ok(late, 'pending exports settle');
        for (const l of late) {
            assert.equal(l.res.ok, false, 'an export acknowledged after ' +
                'its round was closed');
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

/* Reads what is in the FIFO now (non-blocking fd) into chunks. */
function drainFifo(fd, chunks) {
    const buf = Buffer.alloc(1 << 16);
    for (let i = 0; i < 10000; i++) {
        let n;
        try {
            n = fs.readSync(fd, buf, 0, buf.length, null);
        } catch (e) {
            if (e.code === 'EAGAIN') return false;
            throw e;
        }
        if (n === 0) return true; /* the writer is gone */
        chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return false;
}

test('an exporter blocked on a FIFO nobody reads: backpressure (503), then ' +
    'shutdown_timeout: exit 1, the loss logged and counted', {
    timeout: 60000 * h.SLOW }, async () => {
    const dir = h.tmpDir();
    const fifo = path.join(dir, 'profiles.fifo');
    const mk = spawnSync('mkfifo', [fifo]);
    assert.equal(mk.status, 0, `mkfifo: ${mk.stderr}`);
    /* Hold the read end open (so the daemon's open does not wait) and
     * never read until the daemon has exited. */
    const rfd = fs.openSync(fifo, fs.constants.O_RDONLY |
        fs.constants.O_NONBLOCK);
    const cfg = path.join(dir, 'dagprof.yaml');
    fs.writeFileSync(cfg, [
        'processor: { grace: 100ms, queue_spans: 200 }',
        'shutdown_timeout: 1s',
        'exporters:',
        `  jsonl: { path: "${fifo}", queue_size: 4 }`,
        '',
    ].join('\n'));
    let d;
    try {
        d = await h.startServe(['--config', cfg]);
        const traces = h.buildTraces(SMALL, 'shutdown-fifo',
            { repeat: 5 * 400 });
        const spansOf = new Map(traces.map((t) => [t.traceId,
            t.spans.length]));
        const accepted = [];
        let refused = null;
        for (let r = 0; r < 400 && !refused; r++) {
            const ts = traces.slice(r * 5, (r + 1) * 5);
            const res = await h.postProto(d.httpPort,
                h.protoBody([].concat(...ts.map((t) => t.spans))));
            if (res.status === 200) {
                accepted.push(...ts.map((t) => t.traceId));
            } else {
                refused = res;
            }
            /* Let grace expire now and then so profiles flow. */
            if (r % 20 === 19) await h.sleep(150);
        }
        assert.ok(refused, 'a request refused once the exporter blocked');
        assert.equal(refused.status, 503, String(refused.body));
        assert.ok(refused.headers['retry-after'], 'Retry-After on the 503');
        const health = await d.healthz();
        assert.ok(health.requests_refused >= 1, JSON.stringify(health));
        const j = health.exporters.jsonl;
        assert.equal(j.on_full, 'block');
        assert.ok(j.waiting >= 1, `a shard waits on the jsonl queue: ${
            JSON.stringify(j)}`);
        assert.equal(j.dropped_profiles, 0, 'nothing dropped while running');
        assert.equal(health.profiles_dropped, 0);

        const t0 = Date.now();
        const stop = await d.stop('SIGTERM', 20000 * h.SLOW);
        const took = Date.now() - t0;
        assert.notEqual(stop.code, 0, `exit status\n${d.logTail(30)}`);
        assert.equal(stop.code, 1, d.logTail(30));
        assert.ok(took >= 900, `exited ${took} ms after SIGTERM`);
        assert.ok(took < 8000 * h.SLOW, `exited ${took} ms after SIGTERM`);
        const m = /error \[serve\] exporter jsonl: (\d+) profile\(s\) with (\d+) span\(s\) and 0 alert\(s\) lost: shutdown_timeout \(1000 ms\) expired before they were delivered/
            .exec(d.log);
        assert.ok(m, `the error line with the counts:\n${d.logTail(30)}`);
        assert.match(d.log, /shutdown incomplete/);
        const [lostProfiles, lostSpans] = m.slice(1).map(Number);
        assert.ok(lostProfiles > 0, 'something was lost');

        /* The daemon is gone: what reached the FIFO is what was delivered
         * (complete lines; a line cut short was in flight, counted lost). */
        const chunks = [];
        assert.ok(drainFifo(rfd, chunks), 'the FIFO reaches end of file');
        const lines = Buffer.concat(chunks).toString('utf8').split('\n');
        lines.pop(); /* after the last newline: empty or a cut line */
        const delivered = h.parseProfiles(lines, 'the FIFO');
        const deliveredSpans = delivered.reduce((n, p) => n + p.spanCount, 0);
        const acceptedSpans = accepted.reduce((n, id) => n + spansOf.get(id),
            0);
        assert.equal(delivered.length + lostProfiles, accepted.length,
            'profiles delivered + lost = traces accepted');
        assert.equal(deliveredSpans + lostSpans, acceptedSpans,
            'spans delivered + lost = spans accepted');
        console.log(`blocked exporter: ${accepted.length} traces accepted ` +
            `before the 503; SIGTERM -> exit 1 in ${took} ms; ${
                delivered.length} profiles delivered, ${lostProfiles} ` +
            `(${lostSpans} spans) lost and logged`);
    } finally {
        fs.closeSync(rfd);
        if (d && !d.exit) await d.stop('SIGKILL').catch(() => {});
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
