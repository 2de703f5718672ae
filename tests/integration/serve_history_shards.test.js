/*
 * serve_history_shards.test.js - a fleet's shared history on ClickHouse
 * (issue 10, item 5): two `dagprof serve` shards started at the same time
 * with the same `--history-path clickhouse://...` (both create the tables
 * at once), the history scenario's 48 runs of two versions sent with the
 * OpenTelemetry JS SDK through the trace-id router of the scale-out test
 * (trace_router.js), so each shard stores its share. The query commands
 * (runs, trends, regressions, report --summary --history) must see the
 * union: 48 runs, and output byte for byte equal to one SQLite store fed
 * the same profiles. Then a run stored twice (the same profiles loaded
 * again with `report --history`) stays once in every answer, and
 * OPTIMIZE ... FINAL collapses the copies (ReplacingMergeTree). Then a
 * store made by an earlier dagprof (MergeTree, child tables without
 * profiled_at_ns) is migrated on open and dedupes too, and
 * history.max_size deletes the oldest runs of a store over its size.
 * Last, two shards with the same `regression` alert rule and one webhook:
 * both see the regression in the shared store, exactly one alert per
 * regressed node (and at most one for the run) reaches the webhook, the
 * claims kept in the store's regression_alerts table.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');
const ch = require('./clickhouse_server');
const { makeRing } = require('./trace_router');
const { RUNS_PER_VERSION, scenario } = require('./history_scenario');
const { ruleConfig, startWebhook } = require('./regression_alert');

after(h.killAll);

const TOTAL = 2 * RUNS_PER_VERSION;

function dagprof(args) {
    const r = spawnSync(h.BIN, args, { encoding: 'utf8',
        timeout: 30000 * h.SLOW });
    return { code: r.status, out: r.stdout, err: r.stderr };
}

function jsonLines(text) {
    return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function allScenarios() {
    const out = [];
    for (const v of ['1.0', '1.1']) {
        for (let i = 0; i < RUNS_PER_VERSION; i++) out.push(scenario(v, i));
    }
    return out;
}

/* The commands whose answers must be the same on two stores. */
function sameAnswers(storeA, storeB, what) {
    const cmds = [
        ['runs', '--limit', '0', '--output', 'json'],
        ['runs', '--slowest', '--limit', '5', '--output', 'text'],
        ['runs', '--costliest', '--version', '1.1', '--output', 'json'],
        ['trends', '--dag', 'hist-dag', '--by', 'version', '--since',
            '2025-01-01', '--output', 'json'],
        ['trends', '--dag', 'hist-dag', '--by', 'day', '--since',
            '2025-01-01', '--output', 'text'],
        ['regressions', '--dag', 'hist-dag', '--since', '2025-01-01',
            '--output', 'json'],
        ['regressions', '--dag', 'hist-dag', '--since', '2025-01-01',
            '--output', 'text'],
        ['report', '--summary', '--since', '2025-01-01', '--output', 'json'],
    ];
    const outs = {};
    for (const args of cmds) {
        const a = dagprof(args.concat(['--history', storeA]));
        const b = dagprof(args.concat(['--history', storeB]));
        const name = `${what}: ${args.slice(0, 2).join(' ')}`;
        assert.equal(a.code, 0, `${name}: ${a.err}`);
        assert.equal(b.code, 0, `${name}: ${b.err}`);
        assert.equal(a.out, b.out, name);
        assert.ok(a.out.length > 0, name);
        outs[args.join(' ')] = a.out;
    }
    /* The union: every run once. */
    const runs = jsonLines(outs['runs --limit 0 --output json']);
    assert.equal(runs.length, TOTAL, `${what}: runs`);
    assert.equal(new Set(runs.map((r) => r.traceId)).size, TOTAL);
    const trends = jsonLines(outs[
        'trends --dag hist-dag --by version --since 2025-01-01 --output json']);
    assert.equal(trends.reduce((n, b) => n + b.runs, 0), TOTAL,
        `${what}: trends runs`);
    const reg = jsonLines(outs[
        'regressions --dag hist-dag --since 2025-01-01 --output json']);
    const research = reg.find((x) => x.nodeId === 'research');
    assert.equal(research.time.verdict, 'regression', what);
    assert.equal(research.baselineRuns + research.candidateRuns, TOTAL);
    const flagged = reg.filter((x) => x.time.verdict === 'regression')
        .map((x) => x.nodeId);
    assert.deepEqual(flagged.filter((n) => n !== null), ['research'], what);
}

const count = async (server, sql) => Number((await server.query(sql)).trim());

test('two serve shards behind a trace-id router share one ClickHouse; ' +
    'the queries see the union, a run stored twice counts once',
{ timeout: 150000 * h.SLOW }, async () => {
    const server = await ch.start();
    const dir = h.tmpDir();
    try {
        const store = server.url('dagprof_fleet');
        /* Both shards create the database and tables at the same time. */
        const flags = ['--grace', '200ms', '--history-path', store,
            '--history-flush-interval', '100ms', '--history-batch-size', '8',
            '--history-retention', '0'];
        const env = { env: { DAGPROF_HISTORY_ENABLED: 'true' } };
        const [d1, d2] = await Promise.all([h.startServe(flags, env),
            h.startServe(flags, env)]);
        const shards = [{ name: 'dagprof-1:4317', d: d1 },
            { name: 'dagprof-2:4317', d: d2 }];
        for (const s of shards) {
            assert.match(s.d.log, /\[history\] storing profiles in clickhouse:/);
        }
        const route = makeRing(shards);
        const traces = h.buildTraces(allScenarios(), 'chshards');
        const per = new Map(shards.map((s) => [s, []]));
        for (const t of traces) {
            per.get(route(t.spans[0].spanContext().traceId)).push(t.spans);
        }
        for (const s of shards) {
            assert.ok(per.get(s).length > 0, `${s.name} gets traces`);
            await h.sdkSend(s.d, 'grpc', per.get(s));
        }
        for (const s of shards) await s.d.waitProfiles(per.get(s).length);
        const profiles = [];
        for (const s of shards) {
            const health = await s.d.settled();
            await s.d.stopClean();
            /* No failed statement, the concurrent DDL included. */
            assert.doesNotMatch(s.d.log, /clickhouse http:/, s.d.log);
            assert.equal(health.exporters.history.dropped_profiles, 0);
            for (const p of s.d.profiles) {
                assert.equal(route(p.profile.traceId), s,
                    'profiled on the shard the ring picks');
                profiles.push(p.profile);
            }
        }
        assert.equal(profiles.length, TOTAL);
        for (const t of ['runs', 'nodes', 'bottlenecks', 'profiles']) {
            const ddl = await server.query(
                `SHOW CREATE TABLE dagprof_fleet.${t}`);
            assert.match(ddl, /ReplacingMergeTree\(profiled_at_ns\)/, t);
            assert.match(ddl, /ORDER BY \(dag_id, start, trace_id/, t);
        }
        assert.equal(await count(server,
            'SELECT count() FROM dagprof_fleet.runs'), TOTAL);

        /* One SQLite store fed the same profiles. */
        const file = path.join(dir, 'profiles.jsonl');
        fs.writeFileSync(file, profiles.map((p) => JSON.stringify(p))
            .join('\n') + '\n');
        const db = path.join(dir, 'history.db');
        let r = dagprof(['report', '--history', db, file]);
        assert.equal(r.code, 0, r.err);
        sameAnswers(store, db, 'two shards');

        /* Stored twice: SQLite replaces, ClickHouse reads each trace once
         * (the latest store) and collapses the copies when it merges. */
        for (const s of [store, db]) {
            r = dagprof(['report', '--history', s, file]);
            assert.equal(r.code, 0, r.err);
        }
        assert.equal(await count(server,
            'SELECT count() FROM dagprof_fleet.runs'), 2 * TOTAL);
        sameAnswers(store, db, 'stored twice');
        r = dagprof(['show', profiles[3].traceId, '--output', 'json',
            '--history', store]);
        assert.equal(r.code, 0, r.err);
        assert.deepEqual(JSON.parse(r.out), profiles[3]);
        for (const t of ['runs', 'nodes', 'bottlenecks', 'profiles']) {
            await server.query(`OPTIMIZE TABLE dagprof_fleet.${t} FINAL`);
        }
        assert.equal(await count(server,
            'SELECT count() FROM dagprof_fleet.runs'), TOTAL);
        assert.equal(await count(server,
            'SELECT count() FROM dagprof_fleet.nodes'), await count(server,
            'SELECT sum(node_count) FROM dagprof_fleet.runs'));
        sameAnswers(store, db, 'after the merge');

        /* history.max_size: a store over half its size loses about its
         * oldest half (one mutation per table). */
        const used = await count(server, "SELECT sum(bytes) FROM " +
            "system.parts WHERE active AND database = 'dagprof_fleet'");
        const d3 = await h.startServe(['--history-path', store,
            '--history-retention', '0', '--history-max-size',
            String(Math.floor(used / 2))], env);
        await h.waitFor(() => /\[history\] retention: \d+ run\(s\) deleted/
            .test(d3.log), 'retention by size', 20000 * h.SLOW, 100);
        await d3.stopClean();
        const deleted = Number(/retention: (\d+) run/.exec(d3.log)[1]);
        assert.ok(deleted > 0 && deleted < TOTAL, `deleted ${deleted}`);
        await h.waitFor(async () => await count(server,
            'SELECT count() FROM dagprof_fleet.runs') === TOTAL - deleted,
        'the size mutation', 30000 * h.SLOW, 200);
        r = dagprof(['runs', '--history', store, '--limit', '0', '--output',
            'json']);
        const kept = jsonLines(r.out);
        assert.equal(kept.length, TOTAL - deleted);
        const oldestKept = Math.min(...kept.map((x) =>
            Number(BigInt(x.startTimeUnixNano) / 1000000n)));
        const gone = profiles.filter((p) => !kept.some((k) =>
            k.traceId === p.traceId));
        assert.equal(gone.length, deleted);
        for (const p of gone) {
            assert.ok(Number(BigInt(p.startTimeUnixNano) / 1000000n) <=
                oldestKept, 'the oldest runs go first');
        }
    } finally {
        server.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

/* The tables of dagprof before the dedupe (schema 1). */
const V1_DDL = {
    runs: '(trace_id String, profile_id String, dag_id String, version ' +
        'Nullable(String), session_id Nullable(String), service_name ' +
        'Nullable(String), start_ns Int64, start DateTime, profiled_at_ns ' +
        'Int64, wall_ns Int64, critical_path_ns Int64, sum_execution_ns ' +
        'Int64, efficiency Float64, total_tokens Int64, cost_pusd Int64, ' +
        'complete UInt8, incomplete_reason Nullable(String), span_count ' +
        'UInt64, node_count UInt32, top_bottleneck Nullable(String), ' +
        'top_bottleneck_node Nullable(String), failed_nodes UInt32)',
    nodes: '(trace_id String, dag_id String, start DateTime, idx UInt32, ' +
        'node_id String, kind String, parent_id Nullable(String), ' +
        'execution_ns Int64, wait_ns Int64, duration_ns Int64, attempts ' +
        'Int64, retries Int64, status String, cost_pusd Int64, ' +
        'own_cost_pusd Int64, on_critical_path UInt8)',
    bottlenecks: '(trace_id String, dag_id String, start DateTime, idx ' +
        'UInt32, type String, node_id String, severity String, impact ' +
        'Float64)',
    profiles: '(trace_id String, dag_id String, start DateTime, json ' +
        'String)',
};

test('a store of schema 1 (MergeTree) is migrated on open and dedupes',
    { timeout: 120000 * h.SLOW }, async () => {
        const server = await ch.start();
        const dir = h.tmpDir();
        try {
            await server.query('CREATE DATABASE dagprof_old');
            for (const [t, cols] of Object.entries(V1_DDL)) {
                await server.query(`CREATE TABLE dagprof_old.${t} ${cols} ` +
                    'ENGINE = MergeTree() PARTITION BY toYYYYMM(start) ' +
                    'ORDER BY (dag_id, start)');
            }
            const store = server.url('dagprof_old');
            const d = await h.startServe(['--grace', '200ms'], {});
            const traces = h.buildTraces(allScenarios(), 'chmigrate');
            await h.sdkSend(d, 'grpc', traces.map((t) => t.spans));
            await d.waitProfiles(traces.length);
            await d.stopClean();
            const profiles = d.profiles.map((p) => p.profile);
            const write = (name, list) => {
                const f = path.join(dir, name);
                fs.writeFileSync(f, list.map((p) => JSON.stringify(p))
                    .join('\n') + '\n');
                return f;
            };
            /* Rows as schema 1 wrote them: runs 0-7 stored through the
             * current tables of another database, copied without the
             * column schema 1 lacks. */
            let r = dagprof(['report', '--history', server.url('dagprof_tmp'),
                write('old.jsonl', profiles.slice(0, 8))]);
            assert.equal(r.code, 0, r.err);
            for (const [t, cols] of Object.entries(V1_DDL)) {
                const names = cols.slice(1, -1).split(', ')
                    .map((c) => c.split(' ')[0]).join(', ');
                await server.query(`INSERT INTO dagprof_old.${t} SELECT ` +
                    `${names} FROM dagprof_tmp.${t}`);
            }
            assert.equal(await count(server,
                'SELECT count() FROM dagprof_old.runs'), 8);
            /* Runs 4-47 loaded by two opens at once: both migrate, neither
             * fails; runs 4-7 are then stored three times. */
            const file = write('new.jsonl', profiles.slice(4));
            const both = await Promise.all([0, 1].map(() => new Promise(
                (resolve) => {
                    const c = spawn(h.BIN,
                        ['report', '--history', store, file],
                        { stdio: ['ignore', 'ignore', 'pipe'] });
                    let err = '';
                    c.stderr.on('data', (b) => { err += b; });
                    c.on('exit', (code) => resolve({ code, err }));
                })));
            for (const b of both) {
                assert.equal(b.code, 0, b.err);
                assert.doesNotMatch(b.err, /clickhouse http:/, b.err);
            }
            for (const t of ['nodes', 'bottlenecks', 'profiles']) {
                assert.equal(await count(server, 'SELECT count() FROM ' +
                    "system.columns WHERE database = 'dagprof_old' AND " +
                    `table = '${t}' AND name = 'profiled_at_ns'`), 1, t);
            }
            /* Schema 1's engine stays; the copies stay on disk ... */
            assert.match(await server.query(
                'SHOW CREATE TABLE dagprof_old.runs'), /MergeTree\(\)/);
            assert.equal(await count(server,
                'SELECT count() FROM dagprof_old.runs'), 8 + 2 * (TOTAL - 4));
            /* ... and are read once, the same as one SQLite store. */
            const db = path.join(dir, 'history.db');
            r = dagprof(['report', '--history', db,
                write('all.jsonl', profiles)]);
            assert.equal(r.code, 0, r.err);
            sameAnswers(store, db, 'migrated store');
        } finally {
            server.stop();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

test('two shards with one regression rule on one ClickHouse: each ' +
    'regression is alerted once, by one shard', { timeout: 150000 * h.SLOW },
async () => {
    const server = await ch.start();
    const hook = await startWebhook();
    const dirs = [h.tmpDir(), h.tmpDir()];
    try {
        const store = server.url('dagprof_alerts');
        const env = { env: { DAGPROF_HISTORY_ENABLED: 'true' } };
        /* Each shard its own history.dir (its own local state file), as on
         * two machines: only the store is shared. */
        const [d1, d2] = await Promise.all(dirs.map((dir) => h.startServe([
            '--config', ruleConfig(dir, hook.port), '--grace', '200ms',
            '--history-path', store, '--history-flush-interval', '100ms',
            '--history-batch-size', '8', '--history-retention', '0',
            '--history-dir', dir], env)));
        const shards = [{ name: 'dagprof-1:4317', d: d1 },
            { name: 'dagprof-2:4317', d: d2 }];
        for (const s of shards) {
            assert.match(s.d.log, /\[alerts\] 1 regression rule\(s\) on /);
        }
        const route = makeRing(shards);
        const traces = h.buildTraces(allScenarios(), 'chalerts');
        const per = new Map(shards.map((s) => [s, []]));
        for (const t of traces) {
            per.get(route(t.spans[0].spanContext().traceId)).push(t.spans);
        }
        for (const s of shards) {
            assert.ok(per.get(s).length > 0, `${s.name} gets traces`);
            await h.sdkSend(s.d, 'grpc', per.get(s));
        }
        for (const s of shards) await s.d.waitProfiles(per.get(s).length);
        const research = () => hook.got.filter((g) =>
            g.body.nodeId === 'research');
        await h.waitFor(() => research().length >= 1,
            'the regression alert for research', 20000 * h.SLOW, 50);
        /* Both shards look every second; both must have decided. */
        const decided = (s) => /hist-dag version 1\.1 against 1\.0, research/
            .test(s.d.log);
        await h.waitFor(() => shards.every(decided),
            'both shards decide on research', 20000 * h.SLOW, 50);
        await h.sleep(2500);
        for (const s of shards) await s.d.stopClean();
        assert.equal(research().length, 1, 'one alert for research');
        const fired = shards.filter((s) =>
            /\(warning\) fired: hist-dag version 1\.1 against 1\.0, research/
                .test(s.d.log));
        assert.equal(fired.length, 1, 'one shard fired it');
        const other = shards.find((s) => s !== fired[0]);
        assert.match(other.d.log,
            /research: fired by another dagprof sharing the store/);
        for (const g of hook.got) {
            assert.ok(g.body.nodeId === 'research' || g.body.nodeId === null,
                `no alert for ${g.body.nodeId}`);
        }
        assert.ok(hook.got.filter((g) => g.body.nodeId === null).length <= 1,
            'at most one alert for the run');
        /* The claims: one key per alerted row, at least one claim each. */
        const keys = (await server.query('SELECT DISTINCT key FROM ' +
            'dagprof_alerts.regression_alerts ORDER BY key FORMAT ' +
            'JSONEachRow')).split('\n').filter((l) => l).map((l) =>
            JSON.parse(JSON.parse(l).key));
        assert.ok(keys.some((k) => k[3] === 'research'), 'research claimed');
        assert.equal(keys.length, hook.got.length,
            'every claimed key alerted once');
    } finally {
        hook.srv.close();
        server.stop();
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
});
