/*
 * serve_scaleout.test.js - scale-out, shown: two `dagprof serve` shards
 * behind a router that splits traffic by trace id the way the
 * OpenTelemetry Collector's `loadbalancing` exporter does (routing_key:
 * traceID; a consistent-hash ring of the backends, 100 points each, CRC-32
 * of the trace id), fed by "agents" whose export batches mix spans of
 * several traces and spread each trace's spans over several batches.
 *
 * The router is in the test (the collector binary cannot be fetched on
 * this machine): it takes each batch of SDK spans, groups them by trace
 * id, and exports each group with the SDK's OTLP/gRPC exporter to the
 * shard the ring picks, as the collector's exporter does per backend.
 * Checks: every trace is profiled exactly once, on the shard the ring
 * names, complete, with all its spans; the union of both shards' profiles
 * equals `dagprof report` over all the traces at once. Then the same
 * traffic routed per batch (round robin, what a plain L4 load balancer
 * does) splits traces: the same trace id is profiled on both shards, in
 * pieces, which is what README "Scaling out" warns about.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');

const h = require('./harness');
const { makeRing } = require('./trace_router');

after(h.killAll);

/* The agents' traffic: traces of three DAGs, each split into 3 parts, the
 * parts interleaved into batches of 4 (so a batch holds parts of up to 4
 * traces and a trace arrives in 3 batches). */
function agentTraffic(seed) {
    const scenarios = [h.loadScenario('code-review.scenario.json'),
        h.loadScenario('doc-summary.scenario.json'),
        h.loadScenario('small-dag.scenario.json')];
    const traces = h.buildTraces(scenarios, seed, { repeat: 8 });
    const parts = traces.map((t) => h.client.planRequests([t],
        { split: 3, order: 'shuffle', seed }));
    const batches = [];
    for (let round = 0; round < 3; round++) {
        for (let i = 0; i < parts.length; i += 5) {
            batches.push([].concat(...parts.slice(i, i + 5)
                .map((p) => p[round] || [])));
        }
    }
    return { traces, batches };
}

const traceOf = (span) => span.spanContext().traceId;

async function exportTo(shard, spans) {
    const res = await h.client.sendRequests([spans], { exporter: 'grpc',
        endpoint: shard.d.grpcUrl, timeoutMillis: 10000 * h.SLOW });
    assert.equal(res.failed, 0, JSON.stringify(res.results));
}

async function startShards() {
    /* grace longer than the whole send, so no trace is finalized between
     * its parts (the sends here are sequential and slow under ASan). */
    const flags = ['--grace', `${3 * h.SLOW}s`, '--idle-timeout',
        `${4 * h.SLOW}s`];
    return [{ name: 'dagprof-1:4317', d: await h.startServe(flags) },
        { name: 'dagprof-2:4317', d: await h.startServe(flags) }];
}

test('two shards behind a trace-id router: every trace profiled once, ' +
    'the union equals one dagprof over everything', async () => {
    const shards = await startShards();
    const route = makeRing(shards);
    const { traces, batches } = agentTraffic('scaleout');
    assert.ok(traces.length === 24 && batches.length >= 12);
    /* Each batch really mixes traces, each trace really spans batches. */
    assert.ok(batches.some((b) => new Set(b.map(traceOf)).size > 1));
    const batchesOf = new Map();
    batches.forEach((b, i) => b.forEach((s) => {
        const t = traceOf(s);
        batchesOf.set(t, (batchesOf.get(t) || new Set()).add(i));
    }));
    assert.ok([...batchesOf.values()].every((s) => s.size > 1));

    const expectedShard = new Map();
    for (const batch of batches) {
        const groups = new Map();
        for (const s of batch) {
            const shard = route(traceOf(s));
            expectedShard.set(traceOf(s), shard);
            if (!groups.has(shard)) groups.set(shard, []);
            groups.get(shard).push(s);
        }
        for (const [shard, spans] of groups) await exportTo(shard, spans);
    }
    const perShard = shards.map((s) => [...expectedShard.values()]
        .filter((x) => x === s).length);
    assert.ok(perShard.every((n) => n > 0), `both shards get traces (${
        perShard})`);

    const total = traces.length;
    await h.waitFor(() => shards.reduce((n, s) => n + s.d.profiles.length, 0)
        >= total, `${total} profiles`, 20000 * h.SLOW);
    await h.sleep(1000); /* a split trace would show up as an extra */
    const offline = new Map(h.offlineReport(traces.map((t) => t.spans))
        .map((p) => [p.traceId, p]));
    const seen = new Map();
    for (const s of shards) {
        for (const { profile } of s.d.profiles) {
            assert.ok(!seen.has(profile.traceId),
                `trace ${profile.traceId} profiled twice`);
            seen.set(profile.traceId, s);
            assert.equal(expectedShard.get(profile.traceId), s,
                'profiled on the shard the ring picks');
            h.assertSameProfile(profile, offline.get(profile.traceId),
                `trace ${profile.traceId}`);
            assert.equal(profile.complete, true);
        }
    }
    assert.equal(seen.size, total);
    assert.deepEqual([...seen.keys()].sort(), [...offline.keys()].sort());
    for (const s of shards) await s.d.stopClean();
});

test('the same traffic routed per batch (round robin) splits traces ' +
    'across shards', async () => {
    const shards = await startShards();
    const { traces, batches } = agentTraffic('scaleout-rr');
    for (let i = 0; i < batches.length; i++) {
        await exportTo(shards[i % 2], batches[i]);
    }
    await h.sleep(6000 * h.SLOW); /* past idle_timeout: partials emitted */
    const ids = shards.map((s) => new Set(s.d.profiles.map((p) =>
        p.profile.traceId)));
    const both = [...ids[0]].filter((t) => ids[1].has(t));
    assert.ok(both.length > 0, 'some trace is profiled on both shards');
    const full = new Map(traces.map((t) => [t.traceId, t.spans.length]));
    const partial = shards.flatMap((s) => s.d.profiles.map((p) => p.profile))
        .filter((p) => p.spanCount < full.get(p.traceId));
    assert.ok(partial.length >= both.length, 'those profiles are pieces');
    for (const s of shards) await s.d.stopClean();
});
