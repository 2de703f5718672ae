/*
 * serve_ui.test.js - the web UI on the OTLP/HTTP listener (src/ui.c,
 * src/ui_dag.c): `dagprof serve` with history on gets runs of two versions
 * of one DAG and one run with hostile ids through the real OTel JS SDK
 * exporter, then GET /ui/ (filters, sort, paging), /ui/run/<trace>,
 * /ui/dag/<id> are checked for status, headers (CSP from dp_html_csp with
 * form-action 'self', text/html), content, escaping of `<script>` and
 * quotes, 404s; a second daemon with bearer tokens refuses /ui/ without
 * one.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const h = require('./harness');

after(h.killAll);

const DAY0 = Date.parse('2025-06-01T06:00:00Z');
const EVIL_DAG = '<script>alert("dag")</script>\'';
const EVIL_NODE = '<img src=x onerror="alert(1)">\'node';

function scenario(dag, version, i, nodeId = 'work') {
    const j = (i * 37) % 23;
    const t1 = 10 + 400 + j * 10;
    const base = new Date(DAY0 + (version === '1.1' ? 86400000 : 0) +
        i * 1800000).toISOString();
    return {
        seed: `ui-${dag}-${version}-${i}`,
        baseTime: base,
        resource: { 'service.name': 'ui-agents', 'service.version': version },
        spans: [
            { id: 'root', name: 'invoke_workflow', start: 0, end: t1 + 10,
                attributes: { 'dag.id': dag }, status: 'ok' },
            { id: nodeId, name: 'invoke_agent', parent: 'root', start: 10,
                end: t1, links: [], status: 'ok',
                attributes: { 'dag.node.id': nodeId,
                    'gen_ai.operation.name': 'invoke_agent' } },
            { id: 'c', name: 'chat', parent: nodeId, start: 15, end: t1 - 5,
                status: 'ok', attributes: { 'gen_ai.operation.name': 'chat',
                    'gen_ai.request.model': 'claude-sonnet-4-5',
                    'gen_ai.usage.input_tokens': 1000 + j,
                    'gen_ai.usage.output_tokens': 200 } },
        ],
    };
}

function get(d, p, headers = {}) {
    return h.httpRequest(d.httpPort, { method: 'GET', path: p, headers })
        .then((r) => Object.assign(r, { text: r.body.toString('utf8') }));
}

function assertHtml(r, what) {
    assert.equal(r.status, 200, `${what}: ${r.text.slice(0, 300)}`);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    const csp = r.headers['content-security-policy'];
    assert.match(csp, /^default-src 'none'; style-src 'sha256-[^']+';/);
    assert.match(csp, /form-action 'self'/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.match(r.text, /^<!DOCTYPE html>/);
    assert.match(r.text, /<\/html>\s*$/);
    /* Nothing from a span reaches the page unescaped. */
    assert.ok(!r.text.includes('<script'), `${what}: a <script> element`);
    assert.ok(!r.text.includes('<img'), `${what}: an <img> element`);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-ui-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the web UI lists, shows and trends stored runs, escaped', async () => {
    const db = path.join(tmp, 'ui.db');
    const scenarios = [];
    for (const v of ['1.0', '1.1'])
        for (let i = 0; i < 6; i++) scenarios.push(scenario('ui-dag', v, i));
    scenarios.push(scenario(EVIL_DAG, '1.0', 0, EVIL_NODE));
    const d = await h.startServe(['--grace', '200ms', '--history-path', db,
        '--history-flush-interval', '100ms', '--history-retention', '0'],
    { env: { DAGPROF_HISTORY_ENABLED: 'true' } });
    const traces = h.buildTraces(scenarios, 'ui');
    await h.sdkSend(d, 'http', traces.map((t) => t.spans));
    await d.waitProfiles(traces.length);
    await h.waitFor(async () => {
        const hz = await d.healthz();
        return hz.exporters.history && hz.exporters.history.delivered_profiles
            >= traces.length ? hz : null;
    }, 'history to store every run', 10000 * h.SLOW, 50).catch(() => null);
    const profiles = d.profiles.map((p) => p.profile);
    const evil = profiles.find((p) => p.dagId === EVIL_DAG);
    assert.ok(evil, 'the hostile run was profiled');

    /* The list: every run, newest first, each linking to its page. */
    let r;
    for (let i = 0; i < 50; i++) { /* until the history batch commits */
        r = await get(d, '/ui/?limit=200');
        if ((r.text.match(/href="\/ui\/run\//g) || []).length === 13) break;
        await new Promise((res) => setTimeout(res, 100));
    }
    assertHtml(r, '/ui/');
    assert.equal((r.text.match(/href="\/ui\/run\/[0-9a-f]{32}"/g) || [])
        .length, 13);
    assert.ok(r.text.includes('&lt;script&gt;alert(&quot;dag&quot;)' +
        '&lt;/script&gt;&#39;'), 'the hostile DAG id, escaped');
    assert.match(r.text, /<form[^>]*method="get"[^>]*action="\/ui\/"/);

    /* Filters: dag, version, complete; a value echoed escaped. */
    r = await get(d, '/ui/?dag=ui-dag&version=1.1&limit=200');
    assertHtml(r, 'filtered');
    assert.equal((r.text.match(/href="\/ui\/run\//g) || []).length, 6);
    r = await get(d, `/ui/?dag=${encodeURIComponent(EVIL_DAG)}`);
    assertHtml(r, 'hostile filter');
    assert.equal((r.text.match(/href="\/ui\/run\//g) || []).length, 1);
    assert.ok(r.text.includes(`href="/ui/run/${evil.traceId}"`));
    r = await get(d, '/ui/?complete=no');
    assertHtml(r, 'complete=no');
    assert.equal((r.text.match(/href="\/ui\/run\//g) || []).length, 0);
    assert.match(r.text, /No runs match/);

    /* Sort by wall, paged by 5: three pages, the slowest first. */
    const byWall = profiles.slice().sort((a, b) =>
        b.metrics.totalWallTime - a.metrics.totalWallTime);
    const seen = [];
    let next = '/ui/?sort=wall&limit=5';
    for (let page = 0; next && page < 5; page++) {
        r = await get(d, next);
        assertHtml(r, `page ${page}`);
        const ids = [...r.text.matchAll(/href="\/ui\/run\/([0-9a-f]{32})"/g)]
            .map((m) => m[1]);
        assert.ok(ids.length <= 5);
        seen.push(...ids);
        const m = r.text.match(/<a rel="next" href="([^"]+)"/);
        next = m ? m[1].replace(/&amp;/g, '&') : null;
        if (page > 0) assert.match(r.text, /<a rel="prev" href="/);
    }
    assert.equal(seen.length, 13);
    assert.equal(new Set(seen).size, 13);
    assert.equal(
        byWall[0].metrics.totalWallTime,
        profiles.find((p) => p.traceId === seen[0]).metrics.totalWallTime);

    /* Bad query values: 400, said escaped. */
    r = await get(d, '/ui/?limit=0');
    assert.equal(r.status, 400);
    assert.match(r.text, /limit must be a number from 1 to 200/);

    /* The run page: the report's run section of the stored profile. */
    r = await get(d, `/ui/run/${evil.traceId}`);
    assertHtml(r, 'run page');
    assert.equal((r.text.match(/<section class="run"/g) || []).length, 1);
    assert.ok(r.text.includes(evil.traceId));
    assert.ok(r.text.includes('&lt;img src=x onerror=&quot;alert(1)&quot;' +
        '&gt;&#39;node'), 'the hostile node id, escaped');
    assert.ok(r.text.includes(`href="/ui/dag/${encodeURIComponent(EVIL_DAG)
        .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16)
            .toUpperCase())}"`), 'link to the DAG page, encoded');
    r = await get(d, `/ui/run/${evil.traceId.slice(0, 12)}`);
    assertHtml(r, 'run by prefix');

    /* The DAG page: per version, per day, regressions. */
    r = await get(d, '/ui/dag/ui-dag');
    assertHtml(r, 'dag page');
    assert.match(r.text, /<h2>Version 1\.1<\/h2>/);
    assert.match(r.text, /<h2>Version 1\.0<\/h2>/);
    assert.match(r.text, /<h2>Per day<\/h2>/);
    assert.match(r.text, /<td>2025-06-01<\/td><td>6<\/td>/);
    assert.match(r.text, /<td>2025-06-02<\/td><td>6<\/td>/);
    assert.match(r.text, /Regressions: 1\.1 against 1\.0/);
    assert.match(r.text, /too few runs/); /* 6 runs a side < min_runs 20 */
    r = await get(d, `/ui/dag/${encodeURIComponent(EVIL_DAG)}`);
    assertHtml(r, 'hostile dag page');
    assert.match(r.text, /Needs runs of two versions/);

    /* 404s. */
    for (const p of ['/ui/run/ffffffffffffffffffffffffffffffff',
        '/ui/run/zz', '/ui/dag/no-such-dag', '/ui/nope', '/ui/run/a/b']) {
        r = await get(d, p);
        assert.equal(r.status, 404, p);
        assert.match(r.headers['content-type'], /^text\/html/);
    }
    await d.stopClean();
});

test('with bearer tokens /ui/ needs one; ui.enabled=false removes it',
    async () => {
        const db = path.join(tmp, 'auth.db');
        const tokens = path.join(tmp, 'tokens');
        fs.writeFileSync(tokens, 'ui-secret-token-0123456789\n');
        let d = await h.startServe(['--grace', '200ms', '--history-path', db,
            '--bearer-tokens-file', tokens],
        { env: { DAGPROF_HISTORY_ENABLED: 'true' } });
        let r = await get(d, '/ui/');
        assert.equal(r.status, 401);
        r = await get(d, '/ui/run/0123456789abcdef');
        assert.equal(r.status, 401);
        r = await get(d, '/ui/', { Authorization: 'Bearer wrong' });
        assert.equal(r.status, 401);
        r = await get(d, '/ui/',
            { Authorization: 'Bearer ui-secret-token-0123456789' });
        assert.equal(r.status, 200);
        assert.match(r.text, /No runs/);
        await d.stopClean();

        d = await h.startServe(['--grace', '200ms', '--history-path', db,
            '--ui-enabled', 'false'],
        { env: { DAGPROF_HISTORY_ENABLED: 'true' } });
        r = await get(d, '/ui/');
        assert.equal(r.status, 404);
        await d.stopClean();
    });
