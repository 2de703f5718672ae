/*
 * serve_history_clickhouse.test.js - the ClickHouse history store end to
 * end against a real clickhouse-server (Debian's package, started from a
 * private config on free 127.0.0.1 ports by clickhouse_server.js):
 * `dagprof serve --history-path clickhouse://...` creates its tables and
 * writes the runs of serve_history's scenario (48 runs, two versions) in
 * batches; the profiles serve printed are then loaded into a SQLite store
 * with `dagprof report --history`, and runs, show, trends, regressions,
 * report --summary, compare and whatif (a model swap scaled by the
 * model_calls throughput) must answer the same on both stores.
 * Retention by age deletes the old runs (ALTER TABLE ... DELETE: 18.16
 * has no table TTL, which newer servers get instead). The
 * regression alert check of serve_history (regression_alert.js) runs on a
 * ClickHouse store too.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');
const ch = require('./clickhouse_server');
const { RUNS_PER_VERSION, scenario } = require('./history_scenario');
const { checkRegressionAlert } = require('./regression_alert');

after(h.killAll);

function dagprof(args) {
    const r = spawnSync(h.BIN, args, { encoding: 'utf8',
        timeout: 30000 * h.SLOW });
    return { code: r.status, out: r.stdout, err: r.stderr };
}

function jsonLines(text) {
    return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

async function serveAndSend(store, scenarios, retention = '0') {
    const d = await h.startServe(['--grace', '200ms', '--history-path', store,
        '--history-flush-interval', '100ms', '--history-batch-size', '10',
        '--history-retention', retention],
    { env: { DAGPROF_HISTORY_ENABLED: 'true' } });
    assert.match(d.log, store.startsWith('clickhouse:')
        ? /\[history\] storing profiles in clickhouse:/
        : /\[history\] storing profiles in /);
    const traces = h.buildTraces(scenarios, `chist-${scenarios.length}`);
    await h.sdkSend(d, 'grpc', traces.map((t) => t.spans));
    await d.waitProfiles(traces.length);
    const health = await d.settled();
    await d.stopClean();
    assert.equal(health.exporters.history.dropped_profiles, 0);
    return { d, traces };
}

test('serve writes ClickHouse; the history commands answer as on SQLite',
    { timeout: 150000 * h.SLOW }, async () => {
        const server = await ch.start();
        const dir = h.tmpDir();
        try {
            const store = server.url('dagprof_it');
            const scenarios = [];
            for (const v of ['1.0', '1.1']) {
                for (let i = 0; i < RUNS_PER_VERSION; i++) {
                    scenarios.push(scenario(v, i));
                }
            }
            const { d } = await serveAndSend(store, scenarios);
            /* The tables, as specified. */
            const ddl = await server.query(
                'SHOW CREATE TABLE dagprof_it.runs');
            assert.match(ddl, /ReplacingMergeTree\(profiled_at_ns\)/);
            assert.match(ddl, /PARTITION BY toYYYYMM\(start\)/);
            assert.match(ddl, /ORDER BY \(dag_id, start, trace_id\)/);
            for (const t of ['runs', 'nodes', 'bottlenecks', 'profiles']) {
                assert.ok(Number(await server.query(
                    `SELECT count() FROM dagprof_it.${t}`)) > 0, t);
            }
            /* The same profiles in SQLite. */
            const file = path.join(dir, 'profiles.jsonl');
            fs.writeFileSync(file, d.profiles.map((p) =>
                JSON.stringify(p.profile)).join('\n') + '\n');
            const db = path.join(dir, 'history.db');
            let r = dagprof(['report', '--history', db, file]);
            assert.equal(r.code, 0, r.err);
            const one = d.profiles[5].profile;
            /* The ClickHouse side is named with --store (the issue's
             * spelling of --history). */
            const same = (args, what) => {
                const a = dagprof(args.concat(['--store', store]));
                const b = dagprof(args.concat(['--history', db]));
                assert.equal(a.code, b.code, `${what}: ${a.err}`);
                assert.equal(a.err, b.err.replaceAll(db, store), what);
                assert.equal(a.out, b.out, what);
                assert.ok(a.out.length > 0 || a.code !== 0, what);
                return a;
            };
            r = same(['runs', '--limit', '0', '--output', 'json'], 'runs');
            assert.equal(jsonLines(r.out).length, 2 * RUNS_PER_VERSION);
            same(['runs', '--slowest', '--limit', '3', '--version', '1.0',
                '--output', 'text'], 'runs --slowest');
            same(['runs', '--costliest', '--since', '2025-06-02', '--output',
                'json'], 'runs --costliest --since');
            r = same(['show', one.traceId, '--output', 'json'], 'show');
            assert.deepEqual(JSON.parse(r.out), one);
            same(['show', one.traceId.slice(0, 10), '--output', 'text',
                '--width', '80'], 'show prefix');
            r = same(['show', 'ffffffffffffffff'], 'show unknown');
            assert.equal(r.code, 1);
            for (const by of ['version', 'day', 'hour']) {
                same(['trends', '--dag', 'hist-dag', '--by', by, '--since',
                    '2025-01-01', '--output', 'json'], `trends by ${by}`);
            }
            same(['trends', '--dag', 'hist-dag', '--since', '2025-01-01',
                '--output', 'text'], 'trends text');
            r = same(['regressions', '--dag', 'hist-dag', '--since',
                '2025-01-01', '--output', 'json'], 'regressions');
            const research = jsonLines(r.out).find((x) =>
                x.nodeId === 'research');
            assert.equal(research.time.verdict, 'regression');
            r = same(['regressions', '--dag', 'hist-dag', '--since',
                '2025-01-01', '--output', 'text', '--fail-on-regression'],
            'regressions --fail-on-regression');
            assert.equal(r.code, 3);
            same(['report', '--summary', '--since', '2025-01-01', '--output',
                'json'], 'report --summary');
            same(['compare', '--dag', 'hist-dag', '1.0', '1.1', '--output',
                'json'], 'compare');
            /* whatif scales a model swap by the throughput in model_calls:
             * the same output from a ClickHouse store and a SQLite store
             * that serve wrote from the same spans (a profile file keeps no
             * per-call usage to fill model_calls), here with 6 more runs
             * on claude-haiku-4-5 (twice the output tokens). */
            const haiku = [];
            for (let k = 0; k < 6; k++) {
                const sc = scenario('1.1', 60 + k);
                sc.seed = `haiku-${k}`;
                for (const sp of sc.spans) {
                    if (sp.attributes['gen_ai.request.model']) {
                        sp.name = 'chat claude-haiku-4-5';
                        sp.attributes['gen_ai.request.model'] =
                            'claude-haiku-4-5';
                        sp.attributes['gen_ai.usage.output_tokens'] *= 2;
                    }
                }
                haiku.push(sc);
            }
            const wStore = server.url('dagprof_wi');
            const served = path.join(dir, 'served.db');
            await serveAndSend(wStore, scenarios.concat(haiku));
            await serveAndSend(served, scenarios.concat(haiku));
            const input = path.join(dir, 'one.json');
            fs.writeFileSync(input, JSON.stringify(one) + '\n');
            const swap = (at) => dagprof(['whatif', input, '--history', at,
                'model', 'claude-sonnet-4-5=claude-haiku-4-5']);
            const wc = swap(wStore), ws = swap(served);
            assert.equal(wc.code, 0, wc.err);
            assert.equal(ws.code, 0, ws.err);
            const note = (out) => out.split('\n').find((l) =>
                l.includes('latency scaled by throughput from history'));
            assert.ok(note(ws.out), ws.out);
            assert.match(note(ws.out),
                /\(48 runs claude-sonnet-4-5, 6 runs claude-haiku-4-5\)/);
            assert.equal(note(wc.out), note(ws.out));
            assert.equal(wc.out, ws.out);

            /* Retention by age: every run started in 2025. */
            const { d: d2 } = await serveAndSend(store,
                [scenario('1.1', 100)], '30d');
            /* 18.16 predates table TTL (19.6): the ALTER DELETE fallback,
             * said so in the log (SQL of the TTL path: unit-tested). */
            assert.match(d2.log, /\[history\] clickhouse 18\.\d+[.\d]* has no table TTL \(19\.6 and later\): retention by ALTER TABLE \.\.\. DELETE/);
            assert.match(d2.log, /\[history\] retention: 48 run\(s\) deleted/);
            await h.waitFor(async () => Number(await server.query(
                'SELECT count() FROM dagprof_it.runs')) === 1,
            'the ALTER DELETE mutation', 30000 * h.SLOW, 200);
            r = dagprof(['runs', '--history', store, '--limit', '0',
                '--output', 'json']);
            assert.equal(jsonLines(r.out).length, 1);
        } finally {
            server.stop();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

test('the server\'s quantileExact over negated values gives the nearest ' +
    'rank trends use, for every bucket size up to 500',
{ timeout: 60000 * h.SLOW }, async () => {
    const server = await ch.start();
    try {
        /* The expression of clickhouse_stats.c's trends query over
         * unsorted values with repeats. */
        const rows = jsonLines(await server.query('SELECT n, groupArray(x) ' +
            'AS xs, quantilesExact(0.5, 0.05)(-x) AS q, -q[1] AS p50, ' +
            '-q[2] AS p95 FROM (SELECT n, toInt64((i * 7919 + n * 13) % ' +
            '1000) AS x FROM (SELECT number + 1 AS n FROM system.numbers ' +
            'LIMIT 500) ARRAY JOIN range(n) AS i) GROUP BY n FORMAT ' +
            'JSONEachRow'));
        assert.equal(rows.length, 500);
        for (const r of rows) {
            const n = Number(r.n);
            const xs = r.xs.map(Number).sort((a, b) => a - b);
            const rank = (p) => Math.max(1, Math.floor((p * n + 99) / 100));
            assert.equal(Number(r.p50), xs[rank(50) - 1], `p50 of ${n}`);
            assert.equal(Number(r.p95), xs[rank(95) - 1], `p95 of ${n}`);
        }
    } finally {
        server.stop();
    }
});

/* The node table as schema 2 made it (before node rows carried their
 * run's version and start_ns). */
const NODES_V2 = '(trace_id String, dag_id String, start DateTime, idx ' +
    'UInt32, node_id String, kind String, parent_id Nullable(String), ' +
    'execution_ns Int64, wait_ns Int64, duration_ns Int64, attempts Int64, ' +
    'retries Int64, status String, cost_pusd Int64, own_cost_pusd Int64, ' +
    'on_critical_path UInt8, profiled_at_ns Int64) ENGINE = ' +
    'ReplacingMergeTree(profiled_at_ns) PARTITION BY toYYYYMM(start) ' +
    'ORDER BY (dag_id, start, trace_id, idx)';

test('regressions read node rows without a join; node rows of schema 2 ' +
    'through it, before and after serve migrates the table',
{ timeout: 150000 * h.SLOW }, async () => {
    const server = await ch.start();
    const dir = h.tmpDir();
    try {
        const scenarios = [];
        for (const v of ['1.0', '1.1']) {
            for (let i = 0; i < RUNS_PER_VERSION; i++) {
                scenarios.push(scenario(v, i));
            }
        }
        const fresh = server.url('dagprof_s3');
        const { d } = await serveAndSend(fresh, scenarios);
        let profiles = d.profiles.map((p) => p.profile);
        const sqlite = (list, name) => {
            const file = path.join(dir, `${name}.jsonl`);
            fs.writeFileSync(file, list.map((p) => JSON.stringify(p))
                .join('\n') + '\n');
            const db = path.join(dir, `${name}.db`);
            const r = dagprof(['report', '--history', db, file]);
            assert.equal(r.code, 0, r.err);
            return db;
        };
        const args = ['regressions', '--dag', 'hist-dag', '--since',
            '2025-01-01', '--output', 'json'];
        const NODES = 'FROM nodes WHERE 1 AND dag_id = ';
        const JOIN = 'ALL INNER JOIN';
        /* What the store answers = what SQLite answers; the statements of
         * each kind the command sent. */
        const check = async (store, db, what) => {
            const before = [await server.finished('RowBinary', NODES),
                await server.finished('RowBinary', JOIN)];
            const a = dagprof(args.concat(['--store', store]));
            const b = dagprof(args.concat(['--history', db]));
            assert.equal(a.code, 0, `${what}: ${a.err}`);
            assert.equal(b.code, 0, `${what}: ${b.err}`);
            assert.equal(a.out, b.out, what);
            const research = jsonLines(a.out).find((x) =>
                x.nodeId === 'research');
            assert.equal(research.time.verdict, 'regression', what);
            return [await server.finished('RowBinary', NODES) - before[0],
                await server.finished('RowBinary', JOIN) - before[1]];
        };
        let db = sqlite(profiles, 'first');
        const cols = async (db2) => (await server.query('SELECT name FROM ' +
            `system.columns WHERE database = '${db2}' AND table = 'nodes' ` +
            'ORDER BY name')).trim().split('\n');
        assert.ok((await cols('dagprof_s3')).includes('start_ns'));
        assert.equal(Number(await server.query('SELECT count() FROM ' +
            "dagprof_s3.nodes WHERE version = '1.1' AND start_ns > 0")),
        RUNS_PER_VERSION * 3);
        /* Schema 3: the node rows by their own version, no join. */
        assert.deepEqual(await check(fresh, db, 'schema 3'), [1, 0]);

        /* The same rows in a store of schema 2. */
        await server.query('CREATE DATABASE dagprof_s2');
        for (const t of ['runs', 'bottlenecks', 'profiles', 'model_calls']) {
            await server.query(`CREATE TABLE dagprof_s2.${t} AS ` +
                `dagprof_s3.${t}`);
            await server.query(`INSERT INTO dagprof_s2.${t} SELECT * FROM ` +
                `dagprof_s3.${t}`);
        }
        await server.query(`CREATE TABLE dagprof_s2.nodes ${NODES_V2}`);
        await server.query('INSERT INTO dagprof_s2.nodes SELECT trace_id, ' +
            'dag_id, start, idx, node_id, kind, parent_id, execution_ns, ' +
            'wait_ns, duration_ns, attempts, retries, status, cost_pusd, ' +
            'own_cost_pusd, on_critical_path, profiled_at_ns FROM ' +
            'dagprof_s3.nodes');
        const old = server.url('dagprof_s2');
        /* A query command does not migrate: the join. */
        assert.deepEqual(await check(old, db, 'schema 2'), [0, 1]);
        assert.ok(!(await cols('dagprof_s2')).includes('start_ns'));
        /* serve migrates it and adds runs: old rows (no version) and new
         * ones; the rows by version are short of the runs' node count,
         * so the command reads them all through the join. */
        const more = [];
        for (let i = RUNS_PER_VERSION; i < RUNS_PER_VERSION + 6; i++) {
            more.push(scenario('1.1', i));
        }
        const { d: d2 } = await serveAndSend(old, more);
        assert.match(d2.log, /\[history\] clickhouse dagprof_s2: table nodes migrated to schema 3 \(version added\)/);
        assert.ok((await cols('dagprof_s2')).includes('start_ns'));
        profiles = profiles.concat(d2.profiles.map((p) => p.profile));
        db = sqlite(profiles, 'second');
        assert.deepEqual(await check(old, db, 'schema 2 + 3'), [1, 1]);
    } finally {
        server.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('a regression alert rule on a ClickHouse store fires once for the ' +
    'slow node and not again after a restart', { timeout: 150000 * h.SLOW },
async () => {
    const server = await ch.start();
    const dir = h.tmpDir();
    try {
        await checkRegressionAlert(server.url('dagprof_ralert'), dir);
        assert.ok(fs.existsSync(path.join(dir, 'regression-alerts')),
            'the fired alerts are kept in history.dir');
    } finally {
        server.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('a ClickHouse store that cannot be reached or parsed is an error',
    { timeout: 30000 * h.SLOW }, async () => {
        const port = await h.freePort();
        let r = dagprof(['runs', '--history',
            `clickhouse://127.0.0.1:${port}/x`]);
        assert.equal(r.code, 1);
        assert.match(r.err, /cannot be reached/);
        r = dagprof(['runs', '--history', 'clickhouse://127.0.0.1:99999/x']);
        assert.equal(r.code, 1);
        assert.match(r.err, /bad port/);
    });
