/*
 * serve_profile_schema.test.js - the published shape of the JSON profile.
 *
 * docs/profile.schema.json is the contract for what `dagprof serve` and
 * `dagprof report --output json` print; harness.js validates every profile a
 * daemon prints against it. This test holds the offline side: every profile
 * `dagprof report` writes for the shipped examples, the captured agent
 * traces, an ordinary service trace (profiled with --profile-all-traces,
 * so every token count is null) and edited copies of the example (a
 * rootless, incomplete run; a session, a warning, an unpriced model and a
 * failed node) validates; the
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

const INPUTS = [...jsonlIn('examples'), ...jsonlIn('tests/data/agents'),
    ...jsonlIn('tests/data/report')];

/* --profile-all-traces true: the ordinary service traces under
 * tests/data/report/ give a profile too; agent traces are unchanged. */
test('every profile of examples/, tests/data/agents/ and tests/data/report/ ' +
    'validates', { timeout: 60000 * h.SLOW }, () => {
    assert.ok(INPUTS.includes('examples/code-review.jsonl'));
    assert.ok(INPUTS.includes('tests/data/report/service-trace.jsonl'));
    assert.ok(INPUTS.length >= 9, `inputs: ${INPUTS.join(', ')}`);
    let n = 0;
    for (const f of INPUTS) {
        n += assertValid(report(['--profile-all-traces', 'true', f]), f)
            .length;
    }
    assert.ok(n >= INPUTS.length);
});

/* examples/code-review.jsonl (OTLP/JSON lines), edited span by span. */
function editedExample(edit) {
    const file = path.join(ROOT, 'examples', 'code-review.jsonl');
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim())
        .map((l) => {
            const req = JSON.parse(l);
            for (const rs of req.resourceSpans) {
                for (const ss of rs.scopeSpans) {
                    ss.spans = ss.spans.filter((sp) => edit(sp) !== false);
                }
            }
            return JSON.stringify(req);
        }).join('\n') + '\n';
}

function intAttr(span, key) {
    const a = span.attributes.find((x) => x.key === key);
    return a ? Number(a.value.intValue) : undefined;
}

test('edge cases validate: a rootless run (incomplete), and a run with a ' +
    'session, a warning, an unpriced model and a failed node',
{ timeout: 30000 * h.SLOW }, () => {
    const dir = h.tmpDir();
    try {
        /* Without its root span the run is profiled at end of input as
         * complete: false, root_missing (and dagId "unknown": dag.id was
         * on the root). */
        const rootless = path.join(dir, 'rootless.jsonl');
        fs.writeFileSync(rootless, editedExample((sp) =>
            Boolean(sp.parentSpanId)));
        const [a, ...restA] = assertValid(report([rootless]), 'rootless');
        assert.equal(restA.length, 0);
        assert.equal(a.complete, false);
        assert.equal(a.incompleteReason, 'root_missing');
        assert.equal(a.dagId, 'unknown');

        const odd = path.join(dir, 'odd.jsonl');
        fs.writeFileSync(odd, editedExample((sp) => {
            if (!sp.parentSpanId) {
                sp.attributes.push({ key: 'gen_ai.conversation.id',
                    value: { stringValue: 'sess-42' } });
            }
            if (sp.name === 'invoke_agent aggregate-results') {
                sp.status = { code: 2, message: 'boom' };
            }
            const input = intAttr(sp, 'gen_ai.usage.input_tokens');
            if (input === 2670) { /* aggregate-results' call */
                for (const at of sp.attributes) {
                    if (/^gen_ai\.(request|response)\.model$/.test(at.key)) {
                        at.value = { stringValue: 'acme-llm-1' };
                    }
                }
            }
            if (input === 4870) { /* check-security's call */
                sp.attributes.push({
                    key: 'gen_ai.usage.cache_read.input_tokens',
                    value: { intValue: 99999 } });
            }
            return true;
        }));
        const [b, ...restB] = assertValid(report([odd]), 'odd');
        assert.equal(restB.length, 0);
        assert.equal(b.complete, true);
        assert.equal(b.sessionId, 'sess-42');
        assert.equal(b.warnings.length, 1, JSON.stringify(b.warnings));
        assert.deepEqual(b.metrics.unpricedModels,
            [{ model: 'acme-llm-1', tokens: 3430 }]);
        assert.equal(typeof b.metrics.totalTokens.cacheReadTokens, 'number');
        assert.equal(b.nodeMetrics.find((n) =>
            n.nodeId === 'aggregate-results').status, 'error');
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
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
