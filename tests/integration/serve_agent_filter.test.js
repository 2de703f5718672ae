/*
 * serve_agent_filter.test.js - DESIGN.md "Which traces are agent runs",
 * end to end: an ordinary service trace (GET /checkout -> POST /pay ->
 * SELECT) reaching `dagprof serve` produces no profile and is counted in
 * /healthz traces_not_agent (the same counter /metrics exposes as
 * dagprof_traces_not_agent_total, see test_prometheus), while an agent trace sent with it is profiled; with
 * --profile-all-traces true the service trace is profiled too. Loopback
 * only; every wait is bounded.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');

after(() => h.killAll());

const SERVICE = fs.readFileSync(path.join(__dirname, '..', 'data', 'report',
    'service-trace.jsonl'), 'utf8').trim();
const SERVICE_TRACE = '0af7651916cd43dd8448eb211c80319c';
const AGENT = fs.readFileSync(path.join(__dirname, '..', '..', 'examples',
    'code-review.jsonl'), 'utf8').split('\n')[0];

test('a service trace is dropped and counted; an agent trace is profiled',
    { timeout: 60000 * h.SLOW }, async () => {
    const d = await h.startServe(['--grace', '200ms', '--idle-timeout', '2s']);
    for (const body of [SERVICE, AGENT]) {
        const r = await h.postJson(d.httpPort, body);
        assert.equal(r.status, 200);
    }
    const agentTrace = JSON.parse(AGENT).resourceSpans[0].scopeSpans[0]
        .spans[0].traceId;
    await d.waitProfileOf(agentTrace, 10000 * h.SLOW);
    await h.waitFor(async () => (await d.healthz()).traces_not_agent === 1,
        'traces_not_agent = 1', 10000 * h.SLOW, 50);
    assert.equal(d.profilesOf(SERVICE_TRACE).length, 0);
    await d.stopClean();
    assert.equal(d.profiles.length, 1);
});

test('--profile-all-traces true profiles the service trace',
    { timeout: 60000 * h.SLOW }, async () => {
    const d = await h.startServe(['--grace', '200ms',
        '--profile-all-traces', 'true']);
    const r = await h.postJson(d.httpPort, SERVICE);
    assert.equal(r.status, 200);
    const { profile } = await d.waitProfileOf(SERVICE_TRACE, 10000 * h.SLOW);
    assert.equal(profile.dagId, 'GET /checkout');
    assert.equal(profile.serviceName, 'shop');
    assert.equal((await d.healthz()).traces_not_agent, 0);
    await d.stopClean();
});

test('the ready line names the bound ports, the exporters and the rules',
    { timeout: 30000 * h.SLOW }, async () => {
    const d = await h.startServe([]);
    const m = /ready: otlp\/grpc \S+ port (\d+), otlp\/http \S+ port (\d+), exporters (\S+), (\d+) alert rule\(s\)/
        .exec(d.log);
    assert.ok(m, `ready line: ${d.log}`);
    assert.equal(Number(m[1]), d.grpcPort);
    assert.equal(Number(m[2]), d.httpPort);
    assert.equal(m[3], 'jsonl');
    assert.equal(m[4], '0');
    await d.stopClean();
});
