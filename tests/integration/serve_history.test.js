/*
 * serve_history.test.js - the run history end to end: `dagprof serve`
 * with its history store on is fed runs of two versions of one DAG by the
 * OpenTelemetry JS SDK (gRPC exporter); in the newer version one node
 * (research) is 30% slower. After a clean stop the query commands run on
 * the store and their numbers are checked against the profiles the daemon
 * printed: `runs` (every run's wall, cost, tokens, top bottleneck),
 * `show` (the stored JSON is the printed profile; the text report), `trends`
 * (per version and per day: nearest-rank p50/p95, error rate), `regressions`
 * (research found with p < 0.01, plan and write and every cost unchanged),
 * `report --summary --history` and `compare --history`. A restart keeps the
 * history and adds to it. Errors: a missing store and an unknown trace id
 * exit 1 with a message; every command has --help. A `regression` alert
 * rule with a webhook (regression_alert.js) fires exactly once for
 * research, version 1.1, and not again after a restart.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');

after(h.killAll);

const { RUNS_PER_VERSION, scenario } = require('./history_scenario');
const { checkRegressionAlert } = require('./regression_alert');

function dagprof(args, opts = {}) {
    const r = spawnSync(h.BIN, args, { encoding: 'utf8',
        timeout: 30000 * h.SLOW, env: Object.assign({}, process.env,
            opts.env || {}) });
    return { code: r.status, out: r.stdout, err: r.stderr };
}

function jsonLines(text) {
    return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/* Nearest rank, as dagprof computes it: the ceil(p/100 n)-th smallest. */
function percentile(values, p) {
    const s = values.slice().sort((a, b) => a - b);
    return s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1];
}

/* Runs in 2025 are older than the default retention (30d): kept unless
 * a test asks for the default. */
async function serveAndSend(db, scenarios, retention = '0') {
    const d = await h.startServe(['--grace', '200ms', '--history-path', db,
        '--history-flush-interval', '100ms', '--history-retention', retention],
    { env: { DAGPROF_HISTORY_ENABLED: 'true' } });
    assert.match(d.log, /\[history\] storing profiles in /);
    const traces = h.buildTraces(scenarios, `hist-${scenarios.length}`);
    await h.sdkSend(d, 'grpc', traces.map((t) => t.spans));
    await d.waitProfiles(traces.length);
    const health = await d.settled();
    await d.stopClean();
    assert.equal(health.exporters.history.dropped_profiles, 0);
    return { d, traces };
}

test('serve keeps every run; runs, show, trends, regressions, summary and ' +
    'compare read them back; a restart keeps them', { timeout: 120000 *
    h.SLOW }, async () => {
    const dir = h.tmpDir();
    const db = path.join(dir, 'history.db');
    try {
        const scenarios = [];
        for (const v of ['1.0', '1.1']) {
            for (let i = 0; i < RUNS_PER_VERSION; i++) {
                scenarios.push(scenario(v, i));
            }
        }
        const { d } = await serveAndSend(db, scenarios);
        const profiles = d.profiles.map((p) => p.profile);
        assert.equal(profiles.length, 2 * RUNS_PER_VERSION);
        const byTrace = new Map(profiles.map((p) => [p.traceId, p]));

        /* runs: every run, numbers equal to its profile's. */
        let r = dagprof(['runs', '--history', db, '--limit', '0',
            '--output', 'json']);
        assert.equal(r.code, 0, r.err);
        const runs = jsonLines(r.out);
        assert.equal(runs.length, profiles.length);
        for (const run of runs) {
            const p = byTrace.get(run.traceId);
            assert.ok(p, `run ${run.traceId} has a profile`);
            assert.equal(run.dagId, 'hist-dag');
            assert.equal(run.version, p.version);
            assert.equal(run.serviceName, 'history-agents');
            assert.equal(run.wall, p.metrics.totalDuration);
            assert.equal(run.criticalPath, p.metrics.criticalPathDuration);
            assert.equal(run.cost, p.metrics.totalCost.totalCost);
            assert.equal(run.tokens, p.metrics.totalTokens.totalTokens);
            assert.equal(run.startTimeUnixNano, p.startTimeUnixNano);
            assert.equal(run.nodeCount, p.nodeMetrics.length);
            assert.equal(run.failedNodes, p.nodeMetrics.filter((n) =>
                n.status === 'error').length);
            const top = p.analysis.bottlenecks[0];
            assert.deepEqual(run.topBottleneck, top
                ? { type: top.type, nodeId: top.nodeId } : null);
        }
        /* Newest first; --slowest and --dag/--version filters. */
        const starts = runs.map((x) => BigInt(x.startTimeUnixNano));
        for (let i = 1; i < starts.length; i++) {
            assert.ok(starts[i - 1] >= starts[i], 'newest first');
        }
        r = dagprof(['runs', '--history', db, '--slowest', '--limit', '1',
            '--version', '1.0', '--output', 'json']);
        const slowest = jsonLines(r.out);
        assert.equal(slowest.length, 1);
        const wall10 = profiles.filter((p) => p.version === '1.0')
            .map((p) => p.metrics.totalDuration);
        assert.equal(slowest[0].wall, Math.max(...wall10));
        r = dagprof(['runs', '--history', db, '--output', 'text',
            '--since', '2025-06-02']);
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /^TRACE ID +DAG +VERSION +START/);
        assert.equal(r.out.trim().split('\n').length, 1 + 20); /* --limit 20 */
        assert.ok(!/ 1\.0 /.test(r.out), 'only runs since June 2 (1.1)');

        /* show: the stored JSON is the printed profile. */
        const one = profiles[5];
        r = dagprof(['show', '--history', db, one.traceId, '--output',
            'json']);
        assert.equal(r.code, 0, r.err);
        assert.deepEqual(JSON.parse(r.out), one);
        assert.equal(h.profileSchemaErrors(JSON.parse(r.out)), null);
        r = dagprof(['show', '--history', db, one.traceId.slice(0, 12),
            '--output', 'text']);
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, new RegExp(`traceId: "${one.traceId}"`));
        assert.match(r.out, /dagId: "hist-dag"/);
        /* show --output html: the report's page for the stored run. */
        r = dagprof(['show', '--history', db, one.traceId, '--output',
            'html']);
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /^<!DOCTYPE html>/);
        assert.match(r.out, /Content-Security-Policy/);
        assert.ok(r.out.includes(one.traceId), 'trace id on the page');
        assert.equal((r.out.match(/<section class="run"/g) || []).length, 1);
        for (const n of one.nodeMetrics || [])
            assert.ok(r.out.includes(n.nodeId), `node ${n.nodeId} shown`);
        assert.match(r.out, /<\/html>\s*$/);
        r = dagprof(['show', '--history', db, 'ffffffffffffffff']);
        assert.equal(r.code, 1);
        assert.match(r.err, /no run with trace id ffffffffffffffff/);

        /* trends by version: nearest-rank percentiles of the profiles. */
        r = dagprof(['trends', '--history', db, '--dag', 'hist-dag', '--by',
            'version', '--since', '2025-01-01', '--output', 'json']);
        assert.equal(r.code, 0, r.err);
        const tv = jsonLines(r.out);
        assert.deepEqual(tv.map((b) => b.bucket), ['1.0', '1.1']);
        for (const b of tv) {
            const ps = profiles.filter((p) => p.version === b.bucket);
            const walls = ps.map((p) => p.metrics.totalDuration);
            const costs = ps.map((p) => p.metrics.totalCost.totalCost);
            assert.equal(b.runs, ps.length);
            assert.equal(b.wallP50, percentile(walls, 50));
            assert.equal(b.wallP95, percentile(walls, 95));
            assert.equal(b.costP50, percentile(costs, 50));
            assert.equal(b.costP95, percentile(costs, 95));
            assert.equal(b.tokens, ps.reduce((s, p) =>
                s + p.metrics.totalTokens.totalTokens, 0));
        }
        assert.equal(tv[0].errors, 2);
        assert.equal(tv[0].errorRate, Number((2 / 24).toFixed(4)));
        assert.equal(tv[1].errors, 0);
        /* trends by day (text): one row per day and the sparklines. */
        r = dagprof(['trends', '--history', db, '--dag', 'hist-dag',
            '--since', '2025-01-01', '--output', 'text']);
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /^hist-dag by day: 48 runs in 2 buckets/);
        assert.match(r.out, /\n2025-06-01 +24 /);
        assert.match(r.out, /\n2025-06-02 +24 /);
        /* 1.1 is slower: the wall sparkline rises, the error rate falls. */
        assert.match(r.out, /\nwall p50 +_#\n/);
        assert.match(r.out, /\nerror rate +#_\n/);

        /* A window with no runs: no lines and exit 0, in both outputs. */
        r = dagprof(['trends', '--history', db, '--dag', 'hist-dag',
            '--since', '1d', '--output', 'json']);
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out, '');
        r = dagprof(['trends', '--history', db, '--dag', 'hist-dag',
            '--since', '1d', '--output', 'text']);
        assert.equal(r.code, 0, r.err);

        /* regressions: research +30%, found; nothing else flagged. */
        r = dagprof(['regressions', '--history', db, '--dag', 'hist-dag',
            '--since', '2025-01-01', '--output', 'json']);
        assert.equal(r.code, 0, r.err);
        const rows = jsonLines(r.out);
        const row = (id) => rows.find((x) => x.nodeId === id);
        assert.equal(rows[0].nodeId, null, 'the run comes first');
        assert.equal(rows[0].baseline, '1.0');
        assert.equal(rows[0].candidate, '1.1');
        const research = row('research');
        assert.equal(research.baselineRuns, 24);
        assert.equal(research.time.verdict, 'regression');
        assert.ok(research.time.pValue < 0.01, `p ${research.time.pValue}`);
        assert.ok(Math.abs(research.time.changePercent - 30) < 1,
            `change ${research.time.changePercent}`);
        const exec = (v, id) => percentile(profiles.filter((p) =>
            p.version === v).map((p) => p.nodeMetrics.find((n) =>
            n.nodeId === id).executionTime), 50);
        assert.equal(research.time.baselineP50, exec('1.0', 'research'));
        assert.equal(research.time.candidateP50, exec('1.1', 'research'));
        for (const id of ['plan', 'write']) {
            assert.equal(row(id).time.verdict, 'no change', id);
        }
        for (const x of rows) {
            assert.equal(x.cost.verdict, 'no change', `${x.nodeId} cost`);
        }
        r = dagprof(['regressions', '--history', db, '--dag', 'hist-dag',
            '--since', '2025-01-01', '--output', 'text',
            '--fail-on-regression']);
        assert.equal(r.code, 3, r.err);
        assert.match(r.out, /research +time +24\/24 .* regression\n/);
        r = dagprof(['regressions', '--history', db, '--dag', 'hist-dag',
            '--baseline', '1.1', '--candidate', '1.0', '--since', '2025-01-01',
            '--output', 'json']);
        assert.equal(jsonLines(r.out).find((x) => x.nodeId === 'research')
            .time.verdict, 'improvement');
        r = dagprof(['regressions', '--history', db, '--dag', 'hist-dag',
            '--candidate', '9.9', '--since', '2025-01-01']);
        assert.equal(r.code, 1);
        assert.match(r.err, /no runs of hist-dag version 9\.9 \(versions, /);

        /* The views across runs read the store too. */
        r = dagprof(['report', '--summary', '--history', db, '--since',
            '2025-01-01', '--output', 'json']);
        assert.equal(r.code, 0, r.err);
        const sum = jsonLines(r.out);
        assert.equal(sum.length, 1);
        assert.equal(sum[0].runs, 48);
        r = dagprof(['compare', '--history', db, '--dag', 'hist-dag', '1.0',
            '1.1', '--output', 'json']);
        assert.equal(r.code, 0, r.err);
        const cmp = JSON.parse(r.out);
        assert.equal(JSON.stringify(cmp).includes('"runs":24'), true);

        /* A restart keeps the history and adds to it. */
        await serveAndSend(db, [scenario('1.1', 99)]);
        r = dagprof(['runs', '--history', db, '--limit', '0', '--output',
            'json']);
        assert.equal(jsonLines(r.out).length, 49);

        /* With a 30-day retention the next start deletes them all (they
         * started in 2025) in the background, and keeps the new run. */
        const { d: d3, traces } = await serveAndSend(db,
            [scenario('1.1', 100)], '30d');
        assert.match(d3.log, /\[history\] retention: 49 run\(s\) deleted/);
        r = dagprof(['runs', '--history', db, '--limit', '0', '--output',
            'json']);
        assert.deepEqual(jsonLines(r.out).map((x) => x.traceId),
            [traces[0].traceId]);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('a regression alert rule fires once for the slow node, through the ' +
    'webhook, and not again after a restart', { timeout: 120000 * h.SLOW },
async () => {
    const dir = h.tmpDir();
    try {
        const db = path.join(dir, 'history.db');
        await checkRegressionAlert(db, dir);
        assert.ok(fs.existsSync(`${db}.alerts`), 'the fired alerts are kept');
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('history commands: --help, a missing store, usage errors',
    { timeout: 30000 * h.SLOW }, async () => {
        for (const cmd of ['runs', 'show', 'trends', 'regressions']) {
            const r = dagprof([cmd, '--help']);
            assert.equal(r.code, 0, `${cmd} --help`);
            assert.match(r.out, new RegExp(`^usage: dagprof ${cmd}`));
            assert.match(r.out, /--history PATH/);
        }
        const missing = path.join(h.tmpDir(), 'nothing.db');
        let r = dagprof(['runs', '--history', missing]);
        assert.equal(r.code, 1);
        assert.match(r.err, /no history store there/);
        r = dagprof(['trends', '--history', missing]);
        assert.equal(r.code, 2);
        assert.match(r.err, /--dag D is required/);
        r = dagprof(['runs', '--history', missing, '--since', 'yesterday']);
        assert.equal(r.code, 2);
        assert.match(r.err, /--since must be a duration/);
        r = dagprof(['show', '--history', missing, 'xyz']);
        assert.equal(r.code, 2);
        assert.match(r.err, /not a trace id/);
        /* The store's default path comes from the configuration. */
        r = dagprof(['runs'], { env: { DAGPROF_HISTORY_DIR: path.dirname(
            missing) } });
        assert.equal(r.code, 1);
        assert.match(r.err, /nothing\.db|history\.db: no history store/);
    });
