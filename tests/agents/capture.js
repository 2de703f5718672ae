#!/usr/bin/env node
/*
 * capture.js - regenerates tests/data/agents/: one run of each workflow
 * under its instrumentation against the fake OpenAI server, written as
 * OTLP/JSON lines (JsonTraceSerializer, one ExportTraceServiceRequest per
 * line, the format `dagprof report` reads), with, beside each,
 * NAME.truth.json: the expected profile facts per DESIGN.md (truth.js:
 * node ids, kinds, parents, dependencies and their source, critical path,
 * peak concurrency, tokens and cost per node and run); and rewrites the
 * generated blocks of its README.md (the truth per capture, and the compact
 * span trees of span_tree.js).
 *
 *   node capture.js [OUTDIR]      (default ../data/agents)
 *   node capture.js --readme-only [OUTDIR]   (README blocks from the files)
 *
 * Nothing is exported over the network; only the fake server on 127.0.0.1
 * is used. Trace ids and timings differ on every capture.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const h = require('./harness');
const { startFakeLlm } = require('./fake_llm');
const { expectedRun, toMs } = require('./truth');
const { spansOf } = require('./span_tree');

const SHAPES = [
    ['fanout-openinference', 'openai-fanout', 'openinference'],
    ['fanout-genai', 'openai-fanout', 'genai'],
    ['fanout-openllmetry', 'openai-fanout', 'openllmetry'],
    ['langgraph-react', 'react', 'langchain'],
    ['langgraph-send', 'send', 'langchain'],
    ['langgraph-subgraph', 'subgraph', 'langchain'],
];

const r3 = (ns) => Math.round(toMs(ns) * 1000) / 1000;

/* The truth in plain JSON (ms, USD). */
function truthJson(t) {
    const nodes = t.order.map((id) => {
        const n = t.nodes[id];
        return {
            nodeId: id, kind: n.kind, parent: n.parent, children: n.children,
            start: r3(n.startNs), end: r3(n.endNs),
            dependsOn: n.dependsOn, dependencySource: n.dependencySource,
            dependencyWait: r3(n.dependencyWaitNs),
            queueDelay: r3(n.queueDelayNs),
            models: n.models, tokens: n.tokens, cost: n.costPico / 1e12,
            toolCalls: n.toolCalls.map((c) => c.tool),
        };
    });
    return {
        dagId: t.dagId, serviceName: t.serviceName, version: t.version,
        sessionId: t.sessionId, spanCount: t.spanCount,
        totalDuration: r3(t.wallNs), criticalPath: t.criticalPath,
        criticalPathDuration: r3(t.criticalPathNs),
        sumExecution: r3(t.sumExecNs), peakConcurrency: t.peakConcurrency,
        totalTokens: Object.assign({}, t.tokens, { byNode: t.byNodeTokens }),
        totalCost: {
            totalCost: t.costPico / 1e12,
            byModel: Object.fromEntries(Object.entries(t.costByModel)
                .map(([k, v]) => [k, v / 1e12])),
            byNode: Object.fromEntries(Object.entries(t.byNodeCost)
                .map(([k, v]) => [k, v / 1e12])),
        },
        warnings: [],
        nodeMetrics: nodes,
    };
}

async function main() {
    const out = path.resolve(process.argv.filter((a) =>
        !a.startsWith('--'))[2] ||
        path.join(__dirname, '..', 'data', 'agents'));
    fs.mkdirSync(out, { recursive: true });
    const fake = await startFakeLlm();
    const trees = [];
    const truths = [];
    try {
        for (const [name, workflow, instr] of SHAPES) {
            const file = path.join(out, `${name}.jsonl`);
            const res = await h.runWorkflow({ workflow, instr,
                llmUrl: fake.url, runs: 1, tag: `capture-${name}`,
                capture: file });
            const run = res.runs[0];
            const spans = spansOf(JSON.parse(fs.readFileSync(file, 'utf8')
                .trim().split('\n')[0]));
            const truth = expectedRun({ workflow, instr, spans,
                requests: fake.requestsOf(run.runTag),
                serviceName: `agents-${workflow}-${instr}` });
            fs.writeFileSync(path.join(out, `${name}.truth.json`),
                JSON.stringify(truthJson(truth), null, 1) + '\n');
            const tree = execFileSync(process.execPath, [
                path.join(__dirname, 'span_tree.js'), file],
            { encoding: 'utf8' }).replace(/^# .*\//m, '# ');
            trees.push(tree.trimEnd());
            truths.push([name, truthJson(truth)]);
            process.stderr.write(`${name}: trace ${run.traceId}, ${
                run.spans} spans\n`);
        }
    } finally {
        await fake.close();
    }
    updateReadme(path.join(out, 'README.md'), truths, trees);
}

/* The expected truth of each capture, one line per node. */
function truthTable(truths) {
    const lines = [];
    for (const [name, t] of truths) {
        lines.push(`${name}.jsonl: dagId \`${t.dagId}\`, ${t.spanCount} spans, ` +
            `criticalPath [${t.criticalPath.join(', ')}], peakConcurrency ${
                t.peakConcurrency}, tokens in/out/cacheRead/cacheWrite/` +
            `reasoning ${['inputTokens', 'outputTokens', 'cacheReadTokens',
                'cacheWriteTokens', 'reasoningTokens'].map((k) =>
                String(t.totalTokens[k])).join('/')}, cost $${
                t.totalCost.totalCost}`);
        for (const n of t.nodeMetrics) {
            lines.push(`  ${n.nodeId.padEnd(10)} ${n.kind.padEnd(5)} parent=${
                n.parent} dependsOn=[${n.dependsOn.join(',')}] (${
                n.dependencySource}) tokens ${n.tokens.inputTokens}/${
                n.tokens.outputTokens}/${n.tokens.cacheReadTokens}/${
                n.tokens.cacheWriteTokens}/${n.tokens.reasoningTokens} cost $${
                n.cost}${n.toolCalls.length ? ` tools [${n.toolCalls}]` : ''}`);
        }
    }
    return lines.join('\n');
}

/* Rewrites the generated blocks of the README (between the markers). */
function updateReadme(file, truths, trees) {
    if (!fs.existsSync(file)) return;
    let text = fs.readFileSync(file, 'utf8');
    const put = (tag, body) => {
        const re = new RegExp(`(<!-- ${tag}:begin -->\\n)[\\s\\S]*?(<!-- ${
            tag}:end -->)`);
        text = text.replace(re, (m, a, b) => `${a}\`\`\`\n${body}\n\`\`\`\n${b}`);
    };
    put('truth', truthTable(truths));
    put('trees', trees.join('\n\n'));
    fs.writeFileSync(file, text);
}

/* --readme-only: rewrites the README blocks from the files already there. */
function readmeOnly(out) {
    const trees = [];
    const truths = [];
    for (const [name] of SHAPES) {
        const file = path.join(out, `${name}.jsonl`);
        trees.push(execFileSync(process.execPath, [
            path.join(__dirname, 'span_tree.js'), file],
        { encoding: 'utf8' }).replace(/^# .*\//m, '# ').trimEnd());
        truths.push([name, JSON.parse(fs.readFileSync(path.join(out,
            `${name}.truth.json`), 'utf8'))]);
    }
    updateReadme(path.join(out, 'README.md'), truths, trees);
}

if (process.argv.includes('--readme-only')) {
    readmeOnly(path.resolve(process.argv.filter((a) => !a.startsWith('--'))[2]
        || path.join(__dirname, '..', 'data', 'agents')));
} else {
    main().catch((e) => {
        process.stderr.write(`capture: ${e.stack || e}\n`);
        process.exit(1);
    });
}
