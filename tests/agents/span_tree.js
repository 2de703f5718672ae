#!/usr/bin/env node
/*
 * span_tree.js - prints the span tree of each trace in OTLP/JSON-lines
 * files, compactly: name, start/end in ms from the trace's first start, the
 * attributes that say what a span is (kind, node and model attributes,
 * tokens) and, for LangChain spans, the langgraph_* keys of `metadata`.
 *
 *   node span_tree.js FILE... [--all-attrs]
 */
'use strict';

const fs = require('node:fs');

const SHOW = [
    'openinference.span.kind', 'gen_ai.operation.name', 'traceloop.span.kind',
    'graph.node.id', 'graph.node.parent_id', 'gen_ai.agent.name',
    'traceloop.entity.name', 'dag.node.id', 'tool.name', 'gen_ai.tool.name',
    'llm.model_name', 'gen_ai.request.model', 'gen_ai.response.model',
    'llm.token_count.prompt', 'llm.token_count.completion',
    'llm.token_count.prompt_details.cache_read',
    'llm.token_count.completion_details.reasoning',
    'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens',
    'session.id', 'gen_ai.conversation.id',
];
const ABBREV = {
    'openinference.span.kind': 'oi.kind', 'gen_ai.operation.name': 'gen_ai.op',
    'traceloop.span.kind': 'tl.kind', 'traceloop.entity.name': 'tl.entity',
    'llm.token_count.prompt': 'tok.in', 'llm.token_count.completion':
        'tok.out', 'llm.token_count.prompt_details.cache_read': 'tok.cache',
    'llm.token_count.completion_details.reasoning': 'tok.reason',
    'gen_ai.usage.input_tokens': 'usage.in', 'gen_ai.usage.output_tokens':
        'usage.out', 'gen_ai.request.model': 'req.model',
    'gen_ai.response.model': 'resp.model', 'llm.model_name': 'model',
};

function attrValue(v) {
    if (!v) return undefined;
    if ('stringValue' in v) return v.stringValue;
    if ('intValue' in v) return Number(v.intValue);
    if ('doubleValue' in v) return v.doubleValue;
    if ('boolValue' in v) return v.boolValue;
    if ('arrayValue' in v) return (v.arrayValue.values || []).map(attrValue);
    return undefined;
}

function spansOf(req) {
    const out = [];
    for (const rs of req.resourceSpans || []) {
        for (const ss of rs.scopeSpans || []) {
            for (const s of ss.spans || []) {
                const attrs = {};
                for (const a of s.attributes || []) {
                    attrs[a.key] = attrValue(a.value);
                }
                out.push({ traceId: s.traceId, spanId: s.spanId,
                    parent: s.parentSpanId || null, name: s.name,
                    start: BigInt(s.startTimeUnixNano),
                    end: BigInt(s.endTimeUnixNano), attrs,
                    scope: ss.scope && ss.scope.name, links:
                        (s.links || []).length });
            }
        }
    }
    return out;
}

function fmtMs(ns) {
    return (Number(ns) / 1e6).toFixed(3);
}

function describe(s, allAttrs) {
    const parts = [];
    for (const k of allAttrs ? Object.keys(s.attrs).sort() : SHOW) {
        if (s.attrs[k] === undefined) continue;
        if (allAttrs && /^(input|output|llm\.(input|output)_messages)/.test(k)) {
            continue;
        }
        parts.push(`${ABBREV[k] || k}=${JSON.stringify(s.attrs[k])}`);
    }
    if (typeof s.attrs.metadata === 'string') {
        try {
            const md = JSON.parse(s.attrs.metadata);
            const lg = Object.keys(md).filter((k) => k.startsWith('langgraph_')
                && k !== 'langgraph_triggers')
                .map((k) => `${k.replace('langgraph_', '')}=${
                    JSON.stringify(md[k])}`);
            if (lg.length) parts.push(`md{${lg.join(' ')}}`);
        } catch (e) { /* not JSON */ }
    }
    if (s.links) parts.push(`links=${s.links}`);
    return parts.join(' ');
}

function printTree(spans, allAttrs, out) {
    const t0 = spans.reduce((m, s) => (s.start < m ? s.start : m),
        spans[0].start);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const kids = new Map();
    const roots = [];
    for (const s of spans) {
        if (s.parent && byId.has(s.parent)) {
            if (!kids.has(s.parent)) kids.set(s.parent, []);
            kids.get(s.parent).push(s);
        } else {
            roots.push(s);
        }
    }
    const order = (a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1
        : a.end < b.end ? -1 : 1);
    const walk = (s, depth) => {
        out.push(`${'  '.repeat(depth)}${s.name} [${fmtMs(s.start - t0)} .. ${
            fmtMs(s.end - t0)}] ${describe(s, allAttrs)}`.trimEnd());
        for (const k of (kids.get(s.spanId) || []).sort(order)) {
            walk(k, depth + 1);
        }
    };
    for (const r of roots.sort(order)) walk(r, 0);
}

function main() {
    const files = process.argv.slice(2).filter((a) => !a.startsWith('--'));
    const allAttrs = process.argv.includes('--all-attrs');
    const out = [];
    for (const f of files) {
        for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
            if (!line.trim()) continue;
            const spans = spansOf(JSON.parse(line));
            const traces = new Map();
            for (const s of spans) {
                if (!traces.has(s.traceId)) traces.set(s.traceId, []);
                traces.get(s.traceId).push(s);
            }
            for (const [tid, ss] of traces) {
                out.push(`# ${f} trace ${tid} (${ss.length} spans)`);
                printTree(ss, allAttrs, out);
            }
        }
    }
    process.stdout.write(out.join('\n') + '\n');
}

if (require.main === module) main();

module.exports = { spansOf, attrValue };
