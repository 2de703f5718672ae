/*
 * serve_profile_schema.test.js - the published shape of the JSON profile.
 *
 * docs/profile.schema.json is the contract for what `dagprof serve` and
 * `dagprof report --output json` print; harness.js validates every profile a
 * daemon prints against it. This test holds the offline side: every profile
 * `dagprof report` writes for the shipped examples, the captured agent
 * traces and an ordinary service trace (profiled with
 * --profile-all-traces, so every token count is null) validates; the
 * validator rejects what the writer never prints; and docs/profile.md
 * documents every property name the schema defines.
 */
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');

const ROOT = path.resolve(__dirname, '..', '..');

function jsonlIn(dir) {
    return fs.readdirSync(path.join(ROOT, dir))
        .filter((f) => f.endsWith('.jsonl')).sort()
        .map((f) => path.join(dir, f));
}

/* `dagprof report --output json` with extra args; returns the lines. */
function report(args) {
    const r = spawnSync(h.BIN, ['report', '--output', 'json', ...args], {
        cwd: ROOT, encoding: 'utf8', timeout: 30000 * h.SLOW });
    assert.equal(r.status, 0, `dagprof report ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.split('\n').filter((l) => l.trim());
}

/* Validates every line; returns the parsed profiles. */
function assertValid(lines, what) {
    assert.ok(lines.length > 0, `${what}: no profile`);
    return lines.map((line, i) => {
        const p = JSON.parse(line);
        const err = h.profileSchemaErrors(p);
        assert.equal(err, null, `${what}: profile ${i} (trace ${p.traceId})`);
        return p;
    });
}

const INPUTS = [...jsonlIn('examples'), ...jsonlIn('tests/data/agents')];

test('every profile of examples/ and tests/data/agents/ validates',
    { timeout: 60000 * h.SLOW }, () => {
        assert.ok(INPUTS.includes('examples/code-review.jsonl'));
        assert.ok(INPUTS.length >= 8, `inputs: ${INPUTS.join(', ')}`);
        let n = 0;
        for (const f of INPUTS) n += assertValid(report([f]), f).length;
        assert.ok(n >= INPUTS.length);
    });

test('a service trace profiled anyway (null token counts) validates',
    { timeout: 30000 * h.SLOW }, () => {
        const f = 'tests/data/report/service-trace.jsonl';
        const [p, ...rest] = assertValid(
            report(['--profile-all-traces', 'true', f]), f);
        assert.equal(rest.length, 0);
        for (const t of [p.metrics.totalTokens,
            ...p.nodeMetrics.map((n) => n.tokens)]) {
            for (const k of ['inputTokens', 'outputTokens',
                'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens',
                'totalTokens']) {
                assert.equal(t[k], null, `${f}: ${k}`);
            }
        }
    });

test('the schema rejects what the writer never prints',
    { timeout: 30000 * h.SLOW }, () => {
        const [good] = report(['examples/code-review.jsonl']).map(JSON.parse);
        assert.equal(h.profileSchemaErrors(good), null);
        const cases = [
            ['an unknown member', (p) => { p.extra = 1; }, /additional/],
            ['a missing member', (p) => { delete p.sessionId; },
                /sessionId/],
            ['a short traceId', (p) => { p.traceId = 'abc'; }, /traceId/],
            ['startTimeUnixNano as a number',
                (p) => { p.startTimeUnixNano = 1; }, /startTimeUnixNano/],
            ['a reason on a complete run',
                (p) => { p.incompleteReason = 'evicted'; },
                /incompleteReason/],
            ['an incomplete run without reason',
                (p) => { p.complete = false; }, /incompleteReason/],
            ['an unknown reason', (p) => {
                p.complete = false; p.incompleteReason = 'bogus';
            }, /incompleteReason/],
            ['a fractional token count', (p) => {
                p.metrics.totalTokens.inputTokens = 1.5;
            }, /inputTokens/],
            ['a group without children',
                (p) => { p.nodeMetrics[0].kind = 'group'; }, /children/],
            ['an unknown bottleneck type', (p) => {
                p.analysis.bottlenecks[0].type = 'slow';
            }, /bottlenecks\/0\/type/],
        ];
        for (const [what, mutate, re] of cases) {
            const p = structuredClone(good);
            mutate(p);
            const err = h.profileSchemaErrors(p);
            assert.ok(err, `${what}: accepted`);
            assert.match(err, re, what);
        }
        /* An incomplete run with any of the four reasons is valid. */
        for (const r of ['root_missing', 'evicted', 'shutdown',
            'span_limit']) {
            const p = structuredClone(good);
            p.complete = false;
            p.incompleteReason = r;
            assert.equal(h.profileSchemaErrors(p), null, r);
        }
    });

/* Every name under a "properties" keyword anywhere in the schema. */
function propertyNames(schema, out = new Set()) {
    if (Array.isArray(schema)) {
        for (const s of schema) propertyNames(s, out);
    } else if (schema && typeof schema === 'object') {
        for (const [k, v] of Object.entries(schema)) {
            if (k === 'properties' && v && typeof v === 'object') {
                for (const name of Object.keys(v)) out.add(name);
            }
            propertyNames(v, out);
        }
    }
    return out;
}

test('docs/profile.md mentions every property the schema defines', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'profile.md'),
        'utf8');
    const names = [...propertyNames(h.PROFILE_SCHEMA)];
    assert.ok(names.length > 60, `only ${names.length} property names`);
    const missing = names.filter((n) => !doc.includes(`\`${n}\``));
    assert.deepEqual(missing, [], 'properties not in docs/profile.md ' +
        '(as `name`)');
});
