'use strict';
// gen_runs.js - OTLP/JSON trace files for the HTML report's browser test:
// a run of many nodes in groups (bigRun) and a small run whose node, model
// and tool names are hostile to HTML (hostileRun). Plain Node.js, no
// dependencies. As a command: node gen_runs.js big|hostile [nodes] > FILE.

let spanSeq = 0;
const hex = (n, len) => n.toString(16).padStart(len, '0');
const newSpanId = () => hex(++spanSeq, 16);

const str = (key, v) => ({ key, value: { stringValue: v } });
const int = (key, v) => ({ key, value: { intValue: v } });
const arr = (key, vs) => ({
  key,
  value: { arrayValue: { values: vs.map((v) => ({ stringValue: v })) } },
});

const MS = 1000000n;

class Trace {
  constructor(traceNo, dagId, baseNs) {
    this.traceId = hex(traceNo, 32);
    this.base = baseNs;
    this.spans = [];
    this.root = this.span(null, dagId, 0, 0, [str('dag.id', dagId)]);
  }

  span(parent, name, startMs, endMs, attributes, error) {
    const s = {
      traceId: this.traceId,
      spanId: newSpanId(),
      name,
      kind: 1,
      startTimeUnixNano: String(this.base + BigInt(Math.round(startMs * 1000)) * (MS / 1000n)),
      endTimeUnixNano: String(this.base + BigInt(Math.round(endMs * 1000)) * (MS / 1000n)),
      attributes,
      status: { code: error ? 2 : 1 },
    };
    if (parent) s.parentSpanId = parent.spanId;
    this.spans.push(s);
    return s;
  }

  node(parent, id, startMs, endMs, deps, error) {
    const attrs = [str('dag.node.id', id)];
    if (deps) attrs.push(arr('dag.node.depends_on', deps));
    return this.span(parent || this.root, id, startMs, endMs, attrs, error);
  }

  llm(parent, model, startMs, endMs, input, output, error) {
    return this.span(parent, `chat ${model}`, startMs, endMs, [
      str('gen_ai.operation.name', 'chat'),
      str('gen_ai.request.model', model),
      int('gen_ai.usage.input_tokens', input),
      int('gen_ai.usage.output_tokens', output),
    ], error);
  }

  tool(parent, name, startMs, endMs, error) {
    return this.span(parent, `execute_tool ${name}`, startMs, endMs, [
      str('gen_ai.operation.name', 'execute_tool'),
      str('gen_ai.tool.name', name),
    ], error);
  }

  finish(endMs) {
    this.root.endTimeUnixNano = String(this.base + BigInt(Math.round(endMs)) * MS);
    return JSON.stringify({
      resourceSpans: [{
        resource: { attributes: [str('service.name', 'html-test'), str('service.version', '1.0.0')] },
        scopeSpans: [{ scope: { name: 'gen_runs' }, spans: this.spans }],
      }],
    });
  }
}

// A run of `nodes` nodes: groups of 24 leaves (4 parallel chains of 6,
// each leaf an LLM call and every third a tool call), each group after the
// one before; the last group takes the remainder. One leaf per group
// needed a retry (its first attempt failed).
function bigRun(nodes = 500, traceNo = 0x500) {
  const t = new Trace(traceNo, 'big-dag', 1767225600000000000n);
  const perGroup = 25; // the group and its 24 leaves
  const groups = Math.max(1, Math.ceil(nodes / perGroup));
  let made = 0;
  let end = 0;
  for (let g = 0; g < groups && made < nodes; g++) {
    const g0 = g * 1600;
    const leaves = Math.min(24, nodes - made - 1);
    const grp = t.node(null, `stage-${String(g).padStart(2, '0')}`, g0, g0 + 1550,
      g > 0 ? [`stage-${String(g - 1).padStart(2, '0')}`] : []);
    made++;
    for (let i = 0; i < leaves; i++) {
      const chain = i % 4;
      const step = Math.floor(i / 4);
      const s = g0 + step * 250 + chain * 7 + 5;
      const e = s + 230;
      const id = `stage-${String(g).padStart(2, '0')}/worker-${chain}-step-${step}`;
      const deps = step > 0
        ? [`stage-${String(g).padStart(2, '0')}/worker-${chain}-step-${step - 1}`] : [];
      if (i === 5) {
        const a = t.node(grp, id, s, s + 60, deps, true);
        t.llm(a, 'claude-sonnet-4-5', s + 2, s + 58, 900, 0, true);
        const b = t.node(grp, id, s + 80, e, deps);
        t.span(b, 'attempt', s + 80, e, [int('dag.node.attempt', 2)]);
        t.llm(b, 'claude-sonnet-4-5', s + 85, e - 5, 1800, 300);
      } else {
        const n = t.node(grp, id, s, e, deps);
        t.llm(n, i % 2 ? 'claude-haiku-4-5' : 'claude-sonnet-4-5', s + 5, s + 150, 1200 + i * 10, 200 + i);
        if (i % 3 === 0) t.tool(n, 'search', s + 155, e - 5);
      }
      made++;
      end = Math.max(end, e);
    }
  }
  return t.finish(end + 10);
}

// A small run whose strings try to break out of HTML: script tags, quotes
// of both kinds, ampersands and a raw control character in node ids, the
// model and the tool name.
function hostileRun(traceNo = 0x666) {
  const t = new Trace(traceNo, '<script>alert("dag")</script>', 1767229200000000000n);
  const a = '<script>alert(1)</script>';
  const b = `"quoted" & 'single' <b>bold</b>`;
  const c = 'tab\there\u0007bell & </svg><img src=x onerror=alert(2)>';
  const na = t.node(null, a, 0, 400, []);
  t.llm(na, '<img src=x onerror=alert(3)>', 10, 300, 1000, 200);
  t.tool(na, `tool"><script>alert(4)</script>`, 310, 390);
  const nb = t.node(null, b, 410, 800, [a]);
  t.llm(nb, 'model & "co"', 420, 790, 5000, 400);
  const nc = t.node(null, c, 420, 700, [a]);
  t.tool(nc, "it's <tool>", 430, 690, true);
  return t.finish(810);
}

module.exports = { bigRun, hostileRun };

if (require.main === module) {
  const what = process.argv[2];
  if (what === 'big') process.stdout.write(bigRun(Number(process.argv[3] || 500)) + '\n');
  else if (what === 'hostile') process.stdout.write(hostileRun() + '\n');
  else {
    process.stderr.write('usage: node gen_runs.js big [NODES] | hostile\n');
    process.exit(2);
  }
}
