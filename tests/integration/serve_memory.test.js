/*
 * serve_memory.test.js - `dagprof serve` with bounded memory: what clients
 * see when a limit is hit, that nothing accepted is lost, and that memory
 * goes back after the load.
 *
 * 1. Byte-limited shard queues (--queue-bytes 1: any queued batch fills a
 *    shard) overloaded by the project's load client (bench/dp_bench_load:
 *    8 connections, 512-span requests of synthetic agent runs, refused
 *    requests not resent) over OTLP/HTTP protobuf, then OTLP/gRPC. The
 *    daemon must refuse some requests (the load client sees 503 / gRPC
 *    UNAVAILABLE, /healthz counts refusals.queue_bytes) and every span it
 *    accepted must be in a profile written to the --output file: accepted
 *    spans = the sum of spanCount + spans counted late or duplicate (the
 *    client's runs reuse ids). Then, once idle for
 *    limits.trim_idle, /healthz shows the memory trimmed and RSS below its
 *    peak.
 * 2. An RSS ceiling the daemon is always over (--max-rss 1MiB): /healthz
 *    says pressure; OTLP/HTTP protobuf and JSON are answered 503 with
 *    Retry-After and a message naming limits.max_rss, gRPC UNAVAILABLE; the
 *    SDK's gRPC exporter fails; no profile appears; refusals.memory counts
 *    every request.
 *
 * Every loop is bounded; no assertion is about time.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const h = require('./harness');

after(h.killAll);

const LOAD = path.join(path.dirname(h.BIN), '..', 'bench', 'dp_bench_load');
const SMALL = h.loadScenario('small-dag.scenario.json');

/* Runs dp_bench_load and resolves its JSON result line plus stderr. */
function runLoad(args) {
    return new Promise((resolve, reject) => {
        const child = spawn(LOAD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => { out += d; });
        child.stderr.on('data', (d) => { err += d; });
        const timer = setTimeout(() => child.kill('SIGKILL'), 60000 * h.SLOW);
        child.on('error', reject);
        child.on('close', (code) => {
            clearTimeout(timer);
            const line = out.trim().split('\n').pop();
            try {
                resolve({ code, result: JSON.parse(line), stderr: err });
            } catch (e) {
                reject(new Error(`dp_bench_load (${code}): ${out}\n${err}`));
            }
        });
    });
}

/* The spanCount of every profile in an --output file (each validated). */
function profiledSpans(file) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const profiles = h.parseProfiles(lines, file);
    return profiles.reduce((n, p) => n + p.spanCount, 0);
}

test('byte-limited queues refuse whole requests and lose nothing accepted; ' +
    'memory is trimmed after the load', async () => {
    assert.ok(fs.existsSync(LOAD), `${LOAD} missing: build bench tools`);
    const dir = h.tmpDir();
    const out = path.join(dir, 'profiles.jsonl');
    const d = await h.startServe(['--queue-bytes', '1', '--grace', '2s',
        '--idle-timeout', '3s', '--trim-idle', '500ms', '--output', out]);
    const before = await d.healthz();
    assert.equal(before.memory.queue_bytes_limit, 1);
    assert.ok(before.memory.rss_bytes > 0, 'RSS read from /proc');

    let accepted = 0;
    const seen = { http: 0, grpc: 0 };
    for (const proto of ['http', 'grpc']) {
        const port = proto === 'grpc' ? d.grpcPort : d.httpPort;
        /* Bounded: a few rounds until this protocol saw a refusal. */
        for (let round = 0; round < 4 && !seen[proto]; round++) {
            const r = await runLoad([`--${proto}`, String(port),
                '--concurrency', '8', '--batch', '512', '--spans', '60000',
                '--pool', '16', '--retry', '0']);
            assert.equal(r.result.rejected_spans, 0, 'no partial success');
            accepted += r.result.accepted_spans;
            seen[proto] += r.result.errors;
            if (r.result.errors) {
                const want = proto === 'grpc' ? /grpc status 14: processor queue full \(processor\.queue_bytes\)/
                    : /http status 503/;
                assert.match(r.stderr, want, 'the refusal the client saw');
            }
        }
        assert.ok(seen[proto] > 0, `${proto}: no request was refused`);
    }

    const idle = await d.settled((x) => x.traces_in_memory === 0,
        'every trace finalized', 30000 * h.SLOW);
    assert.ok(idle.refusals.queue_bytes >= seen.http + seen.grpc,
        `refusals counted: ${JSON.stringify(idle.refusals)}`);
    assert.equal(idle.refusals.memory, 0);
    assert.equal(idle.memory.queued_bytes, 0, 'nothing left queued');
    assert.equal(idle.spans_received - idle.spans_rejected, accepted,
        'the daemon accepted what the client was told');

    /* Memory back after trim_idle: trims counted, RSS below the peak. */
    const trimmed = await h.waitFor(async () => {
        const x = await d.healthz();
        return x.memory.trims > idle.memory.trims ? x : null;
    }, 'a trim after limits.trim_idle', 20000 * h.SLOW, 100);
    assert.equal(trimmed.memory.pooled_bytes, 0, 'batch pools released');
    d.lastHealthz = trimmed;
    if (!h.SANITIZED) {
        /* ASan's allocator keeps its memory; glibc's gives it back. */
        assert.ok(trimmed.memory.rss_bytes < trimmed.memory.rss_peak_bytes,
            `RSS ${trimmed.memory.rss_bytes} not below its peak ${
                trimmed.memory.rss_peak_bytes}`);
    }
    await d.stopClean();
    /* Each load client run starts from the same ids, so a later run may
     * resend spans of a trace still in memory (counted as duplicates) or
     * already profiled (counted as late): every accepted span is in a
     * profile or in one of those counters, never dropped silently. */
    const end = d.lastHealthz;
    assert.equal(profiledSpans(out) + end.late_spans + end.spans_duplicate,
        accepted, 'accepted spans = profiled + late + duplicate spans');
});

test('over limits.max_rss every request is refused before decoding: 503 ' +
    'with Retry-After, gRPC UNAVAILABLE', async () => {
    const d = await h.startServe(['--max-rss', '1MiB',
        '--memory-check-interval', '10ms', '--grace', '200ms']);
    const h0 = await h.waitFor(async () => {
        const x = await d.healthz();
        return x.memory.pressure ? x : null;
    }, 'memory pressure in /healthz', 10000 * h.SLOW, 20);
    assert.equal(h0.memory.max_rss_bytes, 1024 * 1024);
    assert.ok(h0.memory.pressure_episodes >= 1);

    const trace = h.buildTraces(SMALL, 'memory-ceiling')[0].spans;
    const proto = await h.postProto(d.httpPort, h.protoBody(trace));
    assert.equal(proto.status, 503);
    assert.ok(Number(proto.headers['retry-after']) >= 1, 'Retry-After');
    const json = await h.postJson(d.httpPort, h.jsonBody(trace));
    assert.equal(json.status, 503);
    assert.match(JSON.parse(json.body.toString('utf8')).message,
        /limits\.max_rss/);
    const g = await h.grpcExport(d.grpc(), h.protoBody(trace));
    assert.equal(g.code, h.grpc.status.UNAVAILABLE);
    assert.match(g.details, /limits\.max_rss/);

    /* The SDK's gRPC exporter gets UNAVAILABLE too (it does not retry
     * past its timeout): the export fails. */
    const res = await h.client.sendRequests([trace], {
        exporter: 'grpc', endpoint: d.grpcUrl, timeoutMillis: 2000 });
    assert.equal(res.failed, 1, JSON.stringify(res.results));

    const x = await d.healthz();
    assert.ok(x.refusals.memory >= 4, JSON.stringify(x.refusals));
    assert.equal(x.spans_received, 0, 'nothing decoded');
    await h.sleep(400); /* past grace: a profile would have been written */
    assert.equal(d.profiles.length, 0);
    await d.stopClean();
});
