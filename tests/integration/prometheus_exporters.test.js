/*
 * prometheus_exporters.test.js - end-to-end test of dagprof's exporters
 * and alerts with real destinations, all on 127.0.0.1.
 *
 * It starts `dagprof serve` (DAGPROF_BIN, set by CTest) with a config in
 * the shape of examples/dagprof-exporters.yaml: jsonl to a file,
 * prometheus, and a webhook pointing at an HTTP listener started here that
 * answers the first alert with 503 (so the retry path runs for real). It
 * sends the example code-review trace as OTLP/JSON, then checks:
 *   - the profile and the alerts are written to the jsonl file;
 *   - GET /metrics carries the run's series, and `promtool check metrics`
 *     accepts the exposition;
 *   - a real Prometheus server (Debian's `prometheus` package) scrapes
 *     /metrics, and its HTTP API returns the run's series;
 *   - the webhook received both alerts (one after a retry), with the rule,
 *     severity, DAG and trace id of the profile;
 *   - SIGTERM exits 0 and logs the exporters' final counts.
 * A second test points the webhook at a port nobody listens on and sends
 * SIGTERM while both alerts are being retried: the daemon exits 0 at the
 * shutdown deadline, the file has everything, and the two alerts are
 * counted as dropped at the deadline.
 * promtool and prometheus must be installed (scripts/setup.sh installs the
 * package): a missing one fails the test, never skips it. Every wait is
 * bounded.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { profileSchemaErrors } = require('./harness');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = process.env.DAGPROF_BIN || path.join(ROOT, 'build', 'src',
    'dagprof');
const SLOW = fs.existsSync(BIN) && fs.readFileSync(BIN).includes('__asan_init')
    ? 3 : 1;

const children = new Set();
function killAll() {
    for (const c of children) {
        try {
            c.kill('SIGKILL');
        } catch (e) { /* gone */ }
    }
}
process.on('exit', killAll);
after(killAll);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, what, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() >= deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${
                what}`);
        }
        await sleep(50);
    }
}

function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

function request(port, method, p, body, headers = {}) {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method, path: p,
            headers, timeout: 5000 }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode,
                headers: res.headers,
                body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('timeout', () => req.destroy(new Error('request timeout')));
        req.on('error', reject);
        if (body) req.write(body);
        req.end();
    });
}

function requireTool(name) {
    const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
    assert.ok(!r.error, `${name} is not installed: scripts/setup.sh ` +
        'installs Debian\'s prometheus package');
}

/* A webhook receiver: answers 503 to its first POST, 200 afterwards. */
function startWebhook(port) {
    const got = [];
    const srv = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const status = got.length === 0 ? 503 : 200;
            got.push({ method: req.method, url: req.url,
                type: req.headers['content-type'], status,
                body: Buffer.concat(chunks).toString('utf8') });
            res.writeHead(status, { 'Content-Length': 0 });
            res.end();
        });
    });
    return new Promise((resolve) => {
        srv.listen(port, '127.0.0.1', () => resolve({ srv, got }));
    });
}

function spawnLogged(cmd, args) {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'],
        env: Object.assign({ DAGPROF_HISTORY_ENABLED: 'false' },
            process.env) });
    children.add(child);
    const out = { log: '', exit: null };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c) => { out.log += c; });
    child.stderr.on('data', (c) => { out.log += c; });
    out.closed = new Promise((resolve) => child.on('close', (code, sig) => {
        out.exit = { code, sig };
        children.delete(child);
        resolve(out.exit);
    }));
    out.child = child;
    return out;
}

async function stop(proc, timeoutMs) {
    if (proc.exit) return proc.exit;
    proc.child.kill('SIGTERM');
    let timer;
    const res = await Promise.race([proc.closed, new Promise((r) => {
        timer = setTimeout(() => r(null), timeoutMs);
    })]);
    clearTimeout(timer);
    if (!res) {
        proc.child.kill('SIGKILL');
        throw new Error(`did not exit within ${timeoutMs} ms of SIGTERM`);
    }
    return res;
}

/* The jsonl file's records; every profile in it (not the alerts) is
 * validated against docs/profile.schema.json, as in the other suites. */
function readLines(file) {
    if (!fs.existsSync(file)) return [];
    const recs = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l)
        .map((l) => JSON.parse(l));
    for (const r of recs) {
        if (r.kind === 'alert') continue;
        const err = profileSchemaErrors(r);
        assert.equal(err, null, `${file}: profile ${r.traceId} does not ` +
            `validate against the schema: ${err}`);
    }
    return recs;
}

test('dagprof serve: jsonl file, /metrics scraped by Prometheus, alerts ' +
    'to a webhook', { timeout: 150000 }, async () => {
    requireTool('promtool');
    requireTool('prometheus');
    assert.ok(fs.existsSync(BIN), `dagprof binary not found: ${BIN}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dagprof-prom-'));
    const [grpcPort, httpPort, hookPort, promPort] = [await freePort(),
        await freePort(), await freePort(), await freePort()];
    const hook = await startWebhook(hookPort);
    const out = path.join(dir, 'profiles.jsonl');
    const cfg = path.join(dir, 'dagprof.yaml');
    /* The example config, with free ports and this test's files. */
    const example = fs.readFileSync(path.join(ROOT, 'examples',
        'dagprof-exporters.yaml'), 'utf8');
    assert.match(example, /^exporters:/m);
    fs.writeFileSync(cfg, [
        'receivers:',
        `  otlp: { grpc: { endpoint: "127.0.0.1:${grpcPort}" }, ` +
            `http: { endpoint: "127.0.0.1:${httpPort}" } }`,
        'processor: { grace: 200ms }',
        'exporters:',
        `  jsonl: { path: "${out}", max_size: 100MB, max_files: 5 }`,
        '  prometheus: { max_series: 100 }',
        `  webhook: { url: "http://127.0.0.1:${hookPort}/alerts", ` +
            'timeout: 5s, initial_backoff: 100ms }',
        'alerts:',
        '  - name: costly-run',
        '    dag: code-review-dag',
        '    condition: cost > 0.01',
        '    severity: critical',
        '  - name: slow-node',
        '    condition: node.executionTime > 1s',
        '    severity: warning',
        '  - name: never',
        '    condition: wall > 1h',
        '    severity: info',
        '',
    ].join('\n'));

    const d = spawnLogged(BIN, ['serve', '--config', cfg]);
    await waitFor(() => d.exit || /\[serve\] ready:/.test(d.log),
        'dagprof ready', 15000 * SLOW);
    assert.equal(d.exit, null, `dagprof exited early:\n${d.log}`);

    /* One run: the example code-review trace as OTLP/JSON. */
    const body = fs.readFileSync(path.join(ROOT, 'examples',
        'code-review.jsonl'), 'utf8').split('\n')[0];
    const traceId = JSON.parse(body).resourceSpans[0].scopeSpans[0]
        .spans[0].traceId;
    const r = await request(httpPort, 'POST', '/v1/traces', body,
        { 'Content-Type': 'application/json' });
    assert.equal(r.status, 200, r.body);

    /* The file: the profile, then its two alerts. */
    const lines = await waitFor(() => {
        const l = readLines(out);
        return l.filter((x) => x.kind === 'alert').length >= 2 ? l : null;
    }, 'profile and alerts in the jsonl file', 15000 * SLOW);
    const profiles = lines.filter((x) => x.kind !== 'alert');
    assert.equal(profiles.length, 1);
    const prof = profiles[0];
    assert.equal(prof.traceId, traceId);
    assert.equal(prof.dagId, 'code-review-dag');
    const alerts = lines.filter((x) => x.kind === 'alert');
    assert.deepEqual(alerts.map((a) => a.rule).sort(),
        ['costly-run', 'slow-node']);
    for (const a of alerts) {
        assert.equal(a.traceId, traceId);
        assert.equal(a.dagId, 'code-review-dag');
        assert.equal(a.profileId, prof.profileId);
        assert.ok(a.values.length >= 1);
    }
    const costly = alerts.find((a) => a.rule === 'costly-run');
    assert.equal(costly.severity, 'critical');
    assert.equal(costly.values[0].field, 'cost');
    assert.equal(costly.values[0].value, prof.metrics.totalCost.totalCost);

    /* GET /metrics and promtool. */
    const m = await request(httpPort, 'GET', '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    const wallS = prof.metrics.totalDuration / 1000;
    assert.match(m.body, new RegExp('^dagprof_dag_run_duration_seconds_count' +
        '\\{dag="code-review-dag"\\} 1$', 'm'));
    assert.match(m.body, new RegExp('^dagprof_dag_run_duration_seconds_sum' +
        `\\{dag="code-review-dag"\\} ${String(wallS).replace('.', '\\.')}$`,
    'm'));
    assert.match(m.body, /^dagprof_profiles_emitted_total 1$/m);
    assert.match(m.body,
        /^dagprof_exporter_dropped_total\{exporter="jsonl",kind="profile"\} 0$/m);
    const check = spawnSync('promtool', ['check', 'metrics'],
        { input: m.body, encoding: 'utf8' });
    assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
    assert.equal(check.stdout + check.stderr, '', 'promtool lint output');

    /* A real Prometheus scraping dagprof every second. */
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: dagprof',
        '    metrics_path: /metrics',
        `    static_configs: [ { targets: ["127.0.0.1:${httpPort}"] } ]`,
        '',
    ].join('\n'));
    const prom = spawnLogged('prometheus', [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
    ]);
    const query = async (q) => {
        const res = await request(promPort, 'GET',
            `/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => null);
        if (!res || res.status !== 200) return null;
        const j = JSON.parse(res.body);
        return j.status === 'success' ? j.data.result : null;
    };
    try {
        await waitFor(async () => prom.exit || (await request(promPort, 'GET',
            '/-/ready').catch(() => ({}))).status === 200, 'prometheus ready',
        30000);
        assert.equal(prom.exit, null, `prometheus exited:\n${prom.log}`);
        const runs = await waitFor(async () => {
            const res = await query(
                'dagprof_dag_run_duration_seconds_count{dag="code-review-dag"}');
            return res && res.length ? res : null;
        }, 'the run series in Prometheus', 30000 * SLOW);
        assert.equal(runs.length, 1);
        assert.equal(runs[0].metric.job, 'dagprof');
        assert.equal(runs[0].value[1], '1');
        const up = await query('up{job="dagprof"}');
        assert.equal(up[0].value[1], '1');
        const cost = await query('sum(dagprof_cost_usd_total)');
        assert.ok(Math.abs(Number(cost[0].value[1]) -
            prof.metrics.totalCost.totalCost) < 1e-9, JSON.stringify(cost));
        const tokens = await query(
            'sum(dagprof_tokens_total{type=~"input|output"})');
        assert.equal(Number(tokens[0].value[1]),
            prof.metrics.totalTokens.totalTokens);
        const le = await query('dagprof_dag_run_duration_seconds_bucket' +
            '{dag="code-review-dag",le="+Inf"}');
        assert.equal(le[0].value[1], '1');
    } finally {
        await stop(prom, 15000);
    }

    /* The webhook: both alerts delivered, the first after a 503. */
    await waitFor(() => hook.got.filter((g) => g.status === 200).length >= 2,
        'two alerts delivered to the webhook', 15000 * SLOW);
    assert.equal(hook.got[0].status, 503);
    for (const g of hook.got) {
        assert.equal(g.method, 'POST');
        assert.equal(g.url, '/alerts');
        assert.equal(g.type, 'application/json');
    }
    const delivered = hook.got.filter((g) => g.status === 200)
        .map((g) => JSON.parse(g.body));
    assert.deepEqual(delivered.map((a) => a.rule).sort(),
        ['costly-run', 'slow-node']);
    assert.equal(JSON.parse(hook.got[0].body).kind, 'alert');
    for (const a of delivered) assert.equal(a.traceId, traceId);

    const res = await stop(d, 20000 * SLOW);
    assert.equal(res.code, 0, d.log);
    assert.match(d.log, /exporter webhook: 2 exported, 0 dropped/);
    assert.match(d.log, /exporter jsonl: 3 exported, 0 dropped/);
    assert.match(d.log, /exporter prometheus: 1 exported, 0 dropped/);
    hook.srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
});

test('dagprof serve: SIGTERM with alerts queued for a dead webhook counts ' +
    'them as lost at the shutdown deadline and exits 1', { timeout: 90000 },
async () => {
    assert.ok(fs.existsSync(BIN), `dagprof binary not found: ${BIN}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dagprof-prom-'));
    /* Nothing listens on deadPort: every POST is a connection error. */
    const [grpcPort, httpPort, deadPort] = [await freePort(),
        await freePort(), await freePort()];
    const out = path.join(dir, 'profiles.jsonl');
    const cfg = path.join(dir, 'dagprof.yaml');
    fs.writeFileSync(cfg, [
        'receivers:',
        `  otlp: { grpc: { endpoint: "127.0.0.1:${grpcPort}" }, ` +
            `http: { endpoint: "127.0.0.1:${httpPort}" } }`,
        'processor: { grace: 200ms }',
        'shutdown_timeout: 1s',
        'exporters:',
        `  jsonl: { path: "${out}" }`,
        `  webhook: { url: "http://127.0.0.1:${deadPort}/alerts", ` +
            'timeout: 1s, initial_backoff: 50ms, max_backoff: 200ms, ' +
            'max_attempts: 1000 }',
        'alerts:',
        '  - { name: costly-run, condition: cost > 0.01, severity: critical }',
        '  - { name: slow-node, condition: node.executionTime > 1s }',
        '',
    ].join('\n'));
    const d = spawnLogged(BIN, ['serve', '--config', cfg]);
    await waitFor(() => d.exit || /\[serve\] ready:/.test(d.log),
        'dagprof ready', 15000 * SLOW);
    assert.equal(d.exit, null, `dagprof exited early:\n${d.log}`);
    const body = fs.readFileSync(path.join(ROOT, 'examples',
        'code-review.jsonl'), 'utf8').split('\n')[0];
    const r = await request(httpPort, 'POST', '/v1/traces', body,
        { 'Content-Type': 'application/json' });
    assert.equal(r.status, 200, r.body);
    await waitFor(() => readLines(out).length >= 3,
        'the profile and 2 alerts in the file', 15000 * SLOW);
    /* The webhook keeps failing: both alerts are being retried. */
    await waitFor(() => /exporter:webhook\].*Couldn't connect/.test(d.log),
        'a failed webhook POST', 10000 * SLOW);
    const t0 = Date.now();
    const res = await stop(d, 20000 * SLOW);
    const took = Date.now() - t0;
    /* Records lost to shutdown_timeout make the exit status 1. */
    assert.equal(res.code, 1, d.log);
    assert.match(d.log, /error \[serve\] exporter webhook: 0 profile\(s\) with 0 span\(s\) and 2 alert\(s\) lost: shutdown_timeout \(1000 ms\) expired/);
    assert.ok(took >= 900, `exited after ${took} ms, before the deadline`);
    assert.ok(took < 5000 * SLOW, `exited after ${took} ms`);
    assert.match(d.log, /exporter webhook: 0 exported, 2 dropped \(0 queue full, 0 refused, 0 retries exhausted, 2 at the shutdown deadline\)/);
    assert.match(d.log, /exporter jsonl: 3 exported, 0 dropped/);
    assert.equal(readLines(out).length, 3);
    fs.rmSync(dir, { recursive: true, force: true });
});
