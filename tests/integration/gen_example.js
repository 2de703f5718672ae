#!/usr/bin/env node
/*
 * gen_example.js - regenerates the example traces in examples/ with the
 * official OpenTelemetry JS SDK (through otel_client.js). It sits before
 * dagprof in the flow: its outputs are what `dagprof report` reads in the
 * README, in scripts/run.sh and in tests.
 *
 *   examples/code-review.jsonl   the code-review scenario as OTLP/JSON lines
 *                                (Collector file-exporter format)
 *   examples/code-review.pb      the same trace, length-delimited protobuf
 *   examples/multi-run.jsonl     6 runs of code-review-dag with varied timings
 *                                and tokens (2 of them without the retry) and
 *                                2 runs of doc-summary-dag, one request each
 *   examples/history-runs.pb     40 runs of code-review-dag for the history
 *                                commands: 20 of version 1.4.2 (hourly from
 *                                2025-01-13) and 20 of 1.5.0 (from
 *                                2025-01-15) in which review-performance
 *                                takes 30% longer; timings vary by +-7%,
 *                                the same way in both versions
 *
 * Everything is deterministic (seeded ids and variations), so running it again
 * gives byte-identical files. `--check` regenerates in memory and exits 1 if a
 * committed file differs. `--out-dir DIR` writes elsewhere.
 */
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const client = require('./otel_client');

const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');

function loadScenario(name) {
    return JSON.parse(fs.readFileSync(path.join(EXAMPLES, name), 'utf8'));
}

/* Uniform number in [lo, hi) from sha256(seed:key): stable across runs. */
function rand(seed, key, lo, hi) {
    const h = crypto.createHash('sha256').update(`${seed}:${key}`).digest();
    return lo + (h.readUInt32BE(0) / 0x100000000) * (hi - lo);
}

/*
 * A monotone piecewise-linear time warp: each 1000 ms segment of the original
 * timeline is stretched by its own factor in [lo, hi). Being monotone, it keeps
 * every ordering (children inside parents, dependencies ending before their
 * dependants start) while changing every duration and gap.
 */
function makeWarp(seed, lo, hi) {
    const seg = 1000;
    const cache = [0];
    const edge = (k) => {
        while (cache.length <= k) {
            const i = cache.length - 1;
            cache.push(cache[i] + seg * rand(seed, `seg${i}`, lo, hi));
        }
        return cache[k];
    };
    return (t) => {
        const k = Math.floor(t / seg);
        const f = rand(seed, `seg${k}`, lo, hi);
        return Math.round(edge(k) + (t - k * seg) * f);
    };
}

function clone(x) {
    return JSON.parse(JSON.stringify(x));
}

/* Labels of a span and all its descendants. */
function subtree(spans, label) {
    const out = new Set([label]);
    let grew = true;
    while (grew) {
        grew = false;
        for (const s of spans) {
            if (s.parent && out.has(s.parent) && !out.has(s.id)) {
                out.add(s.id);
                grew = true;
            }
        }
    }
    return out;
}

function shiftSubtree(sc, label, deltaMs) {
    const ids = subtree(sc.spans, label);
    for (const s of sc.spans) {
        if (!ids.has(s.id)) continue;
        s.start += deltaMs;
        s.end += deltaMs;
        for (const e of s.events || []) e.time += deltaMs;
    }
}

function dropSubtree(sc, label) {
    const ids = subtree(sc.spans, label);
    sc.spans = sc.spans.filter((s) => !ids.has(s.id));
}

/*
 * code-review-dag without the failed first attempt of review-performance:
 * attempt 2 starts when attempt 1 did, aggregate-results starts 14 ms after
 * its last dependency ends, and the root ends 12 ms after it.
 */
function withoutRetry(sc) {
    const out = clone(sc);
    const byId = (id) => out.spans.find((s) => s.id === id);
    const first = byId('review-performance-1');
    const second = byId('review-performance-2');
    shiftSubtree(out, 'review-performance-2', first.start - second.start);
    dropSubtree(out, 'review-performance-1');
    delete second.attributes['dag.attempt'];
    const agg = byId('aggregate-results');
    const ready = Math.max(...agg.links.map((l) => byId(l).end));
    const delta = ready + 14 - agg.start;
    shiftSubtree(out, 'aggregate-results', delta);
    byId('root').end = byId('aggregate-results').end + 12;
    return out;
}

/* Warp times and scale token counts of a scenario, keyed by a seed. */
function vary(sc, seed, baseTime) {
    const out = clone(sc);
    const warp = makeWarp(seed, 0.7, 1.5);
    for (const s of out.spans) {
        s.start = warp(s.start);
        s.end = warp(s.end);
        for (const e of s.events || []) e.time = warp(e.time);
        for (const k of ['gen_ai.usage.input_tokens',
            'gen_ai.usage.output_tokens']) {
            if (typeof s.attributes[k] === 'number') {
                s.attributes[k] = Math.round(s.attributes[k] *
                    rand(seed, `${s.id}:${k}`, 0.75, 1.3));
            }
        }
    }
    out.seed = seed;
    out.baseTime = baseTime;
    return out;
}

/*
 * code-review-dag without the retry, with review-performance (and what it
 * holds) stretched by `factor` about its start; aggregate-results waits for
 * it as withoutRetry() lays out.
 */
function slowerReview(sc, factor) {
    const out = withoutRetry(sc);
    const byId = (id) => out.spans.find((s) => s.id === id);
    const node = byId('review-performance-2');
    const t0 = node.start;
    for (const id of subtree(out.spans, 'review-performance-2')) {
        const s = byId(id);
        s.start = Math.round(t0 + (s.start - t0) * factor);
        s.end = Math.round(t0 + (s.end - t0) * factor);
    }
    const agg = byId('aggregate-results');
    const ready = Math.max(...agg.links.map((l) => byId(l).end));
    shiftSubtree(out, 'aggregate-results', ready + 14 - agg.start);
    byId('root').end = byId('aggregate-results').end + 12;
    return out;
}

/* vary() with a mild warp (+-7%) and the tokens unchanged. */
function varyMild(sc, seed, baseTime, version) {
    const out = clone(sc);
    const warp = makeWarp(seed, 0.93, 1.07);
    for (const s of out.spans) {
        s.start = warp(s.start);
        s.end = warp(s.end);
        for (const e of s.events || []) e.time = warp(e.time);
    }
    out.seed = `${seed}:${version}`;
    out.baseTime = baseTime;
    out.resource = Object.assign({}, out.resource,
        { 'service.version': version });
    return out;
}

function isoPlusMinutes(iso, minutes) {
    return new Date(Date.parse(iso) + minutes * 60000).toISOString();
}

/* Returns { filename: Buffer|string } for every generated example. */
function generate() {
    const review = loadScenario('code-review.scenario.json');
    const docs = loadScenario('doc-summary.scenario.json');
    const files = {};

    const one = client.buildTraces(review);
    const reqs = client.planRequests(one);
    files['code-review.jsonl'] = client.toOtlpJsonLines(reqs);
    files['code-review.pb'] = client.toOtlpProtoDelimited(reqs);

    const runs = [];
    for (let k = 0; k < 6; k++) {
        const base = isoPlusMinutes(review.baseTime, 20 * k);
        const shape = k === 2 || k === 4 ? withoutRetry(review) : review;
        runs.push(vary(shape, `multi-run:code-review-dag:${k}`, base));
    }
    for (let k = 0; k < 2; k++) {
        const base = isoPlusMinutes(docs.baseTime, 30 * k);
        runs.push(vary(docs, `multi-run:doc-summary-dag:${k}`, base));
    }
    runs.sort((a, b) => Date.parse(a.baseTime) - Date.parse(b.baseTime));
    const traces = runs.map((sc) => client.buildTrace(sc));
    files['multi-run.jsonl'] = client.toOtlpJsonLines(
        client.planRequests(traces));

    const history = [];
    for (const [version, day, shape] of [
        ['1.4.2', '2025-01-13T00:30:00.000Z', withoutRetry(review)],
        ['1.5.0', '2025-01-15T00:30:00.000Z', slowerReview(review, 1.3)]]) {
        for (let k = 0; k < 20; k++) {
            history.push(varyMild(shape, `history:${k}`,
                isoPlusMinutes(day, 150 * k), version));
        }
    }
    files['history-runs.pb'] = client.toOtlpProtoDelimited(
        client.planRequests(history.map((sc) => client.buildTrace(sc))));
    return files;
}

function main(argv) {
    let outDir = EXAMPLES;
    let check = false;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === '--check') check = true;
        else if (argv[i] === '--out-dir' && i + 1 < argv.length) {
            outDir = path.resolve(argv[++i]);
        } else {
            process.stderr.write('usage: gen_example.js [--check] ' +
                '[--out-dir DIR]\n');
            return 2;
        }
    }
    const files = generate();
    let stale = 0;
    for (const [name, data] of Object.entries(files)) {
        const file = path.join(outDir, name);
        const buf = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
        if (check) {
            const same = fs.existsSync(file) &&
                Buffer.compare(fs.readFileSync(file), buf) === 0;
            if (!same) stale++;
            process.stdout.write(`${same ? 'up to date' : 'STALE'}: ${file}\n`);
        } else {
            fs.writeFileSync(file, buf);
            process.stdout.write(`wrote ${file} (${buf.length} bytes)\n`);
        }
    }
    return stale ? 1 : 0;
}

module.exports = { generate, makeWarp, withoutRetry, vary };

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
