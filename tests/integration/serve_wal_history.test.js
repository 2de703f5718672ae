/*
 * serve_wal_history.test.js - durability: wal with the history store: the
 * write-ahead log keeps a trace's requests until the history has committed
 * its run, not only until every exporter's export() returned. A daemon
 * with a history batch that stays open (flush interval 10 min, batch size
 * 100,000) and small log segments takes 600 traces through a real SDK
 * exporter; once every profile is in the jsonl file and the history has
 * taken every run (uncommitted), the log must still hold every segment
 * (none deleted), and kill -9 then loses nothing: the next start replays
 * the log and the history holds a run of every trace. (Before, the
 * segments of delivered traces were deleted while their history rows sat
 * in the open transaction, and the kill lost them.)
 *
 * Every wait is bounded; everything is on 127.0.0.1.
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
const TRACES = 600;

test('kill -9 with the history batch open: the log replays what the ' +
    'history had not committed', { timeout: 120000 * h.SLOW }, async () => {
    const dir = h.tmpDir();
    const wal = path.join(dir, 'wal');
    const out = path.join(dir, 'profiles.jsonl');
    const db = path.join(dir, 'history.db');
    const flags = ['--durability', 'wal', '--wal-dir', wal,
        '--wal-segment-size', '256KiB', '--output', out,
        '--history-path', db, '--grace', '200ms'];
    const env = { env: { DAGPROF_HISTORY_ENABLED: 'true' } };
    try {
        const d = await h.startServe(flags.concat([
            '--history-flush-interval', '10m',
            '--history-batch-size', '100000']), env);
        const traces = h.buildTraces(Array(TRACES).fill(SMALL), 'walhist');
        await h.sdkSend(d, 'grpc', traces.map((t) => t.spans));
        let hz;
        await h.waitFor(async () => {
            hz = await d.healthz();
            return hz.exporters.history.exported === TRACES &&
                hz.exporters.jsonl.exported === TRACES;
        }, 'every run taken by the history', 30000 * h.SLOW, 50);
        /* Delivered everywhere but not committed: every segment kept. */
        assert.equal(hz.wal.deleted, 0, 'no segment deleted before the ' +
            'history committed its runs');
        assert.ok(hz.wal.segments >= 3, `segments: ${hz.wal.segments}`);
        const stop = await d.stop('SIGKILL', 10000 * h.SLOW);
        assert.equal(stop.signal, 'SIGKILL');

        /* The next start replays the log; its history commits quickly. */
        const d2 = await h.startServe(flags.concat([
            '--history-flush-interval', '100ms']), env);
        assert.match(d2.log, /\[wal\] replayed \d+ request/);
        await h.waitFor(async () => {
            const z = await d2.healthz();
            return z.traces_in_memory === 0 && z.spans_queued === 0 &&
                z.exporters.history.exported >= TRACES;
        }, 'the replayed traces to be stored', 30000 * h.SLOW, 100);
        await d2.stopClean();
        const r = spawnSync(h.BIN, ['runs', '--history', db, '--limit', '0',
            '--output', 'json'], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const stored = new Set(r.stdout.split('\n').filter((l) => l)
            .map((l) => JSON.parse(l).traceId));
        const missing = traces.filter((t) => !stored.has(t.traceId));
        assert.equal(missing.length, 0, `${missing.length} of ${TRACES} ` +
            'traces have no run in the history after the kill');
        assert.deepEqual(fs.readdirSync(wal).filter((f) =>
            f.endsWith('.wal')), [], 'the log is empty after a clean stop');
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
