/*
 * regression_alert.js - the `regression` alert condition end to end, shared
 * by serve_history (SQLite) and serve_history_clickhouse: `dagprof serve`
 * with a config whose only alert rule is
 *   { condition: regression, dag: hist-dag, min_change: 10%, p_value: 0.01 }
 * and a webhook exporter pointing at a listener started here, fed the 48
 * runs of history_scenario (research 30% slower in 1.1). The webhook must
 * get exactly one alert for research (version 1.1 against 1.0, its
 * executionTime +30%, p < 0.01), none for plan or write, and at most one
 * for the run as a whole (its wall is slower too); a second look a few
 * watcher intervals later finds nothing new, and a restart on the same
 * store with one more 1.1 run fires nothing again (the fired alerts are
 * kept in the state file).
 */
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const h = require('./harness');
const { RUNS_PER_VERSION, scenario } = require('./history_scenario');

function startWebhook() {
    const got = [];
    const srv = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            got.push({ url: req.url,
                body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
            res.writeHead(200, { 'Content-Length': 0 });
            res.end();
        });
    });
    return new Promise((resolve) => {
        srv.listen(0, '127.0.0.1', () => resolve({ srv, got,
            port: srv.address().port }));
    });
}

/* The config with the one regression rule and the webhook exporter. */
function ruleConfig(dir, hookPort) {
    const cfg = path.join(dir, 'regression-alert.yaml');
    fs.writeFileSync(cfg, [
        'exporters:',
        '  jsonl: { path: "-", alerts: false }',
        `  webhook: { url: "http://127.0.0.1:${hookPort}/alerts", ` +
            'timeout: 5s }',
        'alerts:',
        '  - name: hist-dag-slower',
        '    dag: hist-dag',
        '    condition: regression',
        '    min_change: 10%',
        '    p_value: 0.01',
        '    severity: warning',
        '',
    ].join('\n'));
    return cfg;
}

async function serveWithRule(store, dir, hookPort, scenarios, extraEnv) {
    const cfg = ruleConfig(dir, hookPort);
    const d = await h.startServe(['--config', cfg, '--grace', '200ms',
        '--history-path', store, '--history-flush-interval', '100ms',
        '--history-retention', '0', '--history-dir', dir],
    { env: Object.assign({ DAGPROF_HISTORY_ENABLED: 'true' },
        extraEnv || {}) });
    assert.match(d.log, /\[alerts\] 1 regression rule\(s\) on /);
    const traces = h.buildTraces(scenarios, `ralert-${scenarios.length}`);
    await h.sdkSend(d, 'grpc', traces.map((t) => t.spans));
    await d.waitProfiles(traces.length);
    return d;
}

/* Runs the check on store (a SQLite path or clickhouse:// URL); dir is
 * the test's temporary directory. */
async function checkRegressionAlert(store, dir) {
    const hook = await startWebhook();
    try {
        const scenarios = [];
        for (const v of ['1.0', '1.1']) {
            for (let i = 0; i < RUNS_PER_VERSION; i++) {
                scenarios.push(scenario(v, i));
            }
        }
        const d = await serveWithRule(store, dir, hook.port, scenarios);
        const research = () => hook.got.filter((g) =>
            g.body.nodeId === 'research');
        /* The watcher looks every second (history.flush_interval, at
         * least 1 s); the last batch is committed within 100 ms. */
        await h.waitFor(() => research().length >= 1,
            'the regression alert for research at the webhook', 15000 * h.SLOW,
            50);
        /* A few more looks: nothing new, nothing for other nodes. */
        await h.sleep(3000);
        await d.stopClean();
        assert.equal(research().length, 1, 'one alert for research');
        const a = research()[0];
        assert.equal(a.url, '/alerts');
        assert.equal(a.body.kind, 'alert');
        assert.equal(a.body.rule, 'hist-dag-slower');
        assert.equal(a.body.severity, 'warning');
        assert.equal(a.body.condition, 'regression');
        assert.equal(a.body.dagId, 'hist-dag');
        assert.equal(a.body.version, '1.1');
        assert.equal(a.body.baseline, '1.0');
        assert.ok(a.body.candidateRuns >= 20 && a.body.baselineRuns >= 20);
        const t = a.body.values.find((v) => v.field === 'node.executionTime');
        assert.ok(t, 'executionTime regressed');
        assert.ok(t.pValue < 0.01, `p ${t.pValue}`);
        assert.ok(Math.abs(t.changePercent - 30) < 3,
            `change ${t.changePercent}`);
        assert.ok(!a.body.values.some((v) => v.field === 'node.cost'),
            'cost did not change');
        for (const g of hook.got) {
            assert.ok(g.body.nodeId === 'research' || g.body.nodeId === null,
                `no alert for ${g.body.nodeId}`);
            assert.equal(g.body.version, '1.1');
        }
        assert.ok(hook.got.filter((g) => g.body.nodeId === null).length <= 1,
            'at most one alert for the run');
        assert.match(d.log,
            /\[alerts\] hist-dag-slower \(warning\) fired: hist-dag version 1\.1 against 1\.0, research/);

        /* A restart with one more 1.1 run: the watcher compares again
         * (the counts changed) and fires nothing it fired before. */
        const before = hook.got.length;
        const d2 = await serveWithRule(store, dir, hook.port,
            [scenario('1.1', 99)]);
        await h.sleep(3000);
        await d2.stopClean();
        assert.equal(hook.got.length, before, 'no alert after the restart');
        assert.doesNotMatch(d2.log, /fired: hist-dag/);
    } finally {
        hook.srv.close();
    }
}

module.exports = { checkRegressionAlert, ruleConfig, startWebhook };
