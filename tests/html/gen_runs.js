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

  // The same spans as one bare protobuf ExportTraceServiceRequest (field
  // numbers of opentelemetry-proto). Every "@@BAD@@" in a string becomes 7
  // bytes of invalid UTF-8 (the same length, so no length prefix moves):
  // OTLP/JSON cannot carry them, protobuf strings can.
  finishProto(endMs) {
    this.finish(endMs);
    const varint = (n) => {
      const out = [];
      let v = BigInt(n);
      do {
        let b = Number(v & 0x7fn);
        v >>= 7n;
        if (v) b |= 0x80;
        out.push(b);
      } while (v);
      return Buffer.from(out);
    };
    const tag = (f, wt) => varint((f << 3) | wt);
    const bytes = (f, buf) => Buffer.concat([tag(f, 2), varint(buf.length), buf]);
    const fixed64 = (f, v) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(v));
      return Buffer.concat([tag(f, 1), b]);
    };
    const any = (v) => {
      if (v.stringValue !== undefined) return bytes(1, Buffer.from(v.stringValue, 'utf8'));
      if (v.intValue !== undefined) return Buffer.concat([tag(3, 0), varint(v.intValue)]);
      return bytes(5, Buffer.concat(v.arrayValue.values.map((x) => bytes(1, any(x)))));
    };
    const kv = (a) => Buffer.concat([bytes(1, Buffer.from(a.key)), bytes(2, any(a.value))]);
    const span = (s) => Buffer.concat([
      bytes(1, Buffer.from(s.traceId, 'hex')),
      bytes(2, Buffer.from(s.spanId, 'hex')),
      s.parentSpanId ? bytes(4, Buffer.from(s.parentSpanId, 'hex')) : Buffer.alloc(0),
      bytes(5, Buffer.from(s.name, 'utf8')),
      Buffer.concat([tag(6, 0), varint(s.kind)]),
      fixed64(7, s.startTimeUnixNano),
      fixed64(8, s.endTimeUnixNano),
      ...s.attributes.map((a) => bytes(9, kv(a))),
      bytes(15, Buffer.concat([tag(3, 0), varint(s.status.code)])),
    ]);
    const resource = bytes(1, Buffer.concat([str('service.name', 'html-test')].map((a) => bytes(1, kv(a)))));
    const scope = bytes(1, bytes(1, Buffer.from('gen_runs')));
    const scopeSpans = bytes(2, Buffer.concat([scope, ...this.spans.map((s) => bytes(2, span(s)))]));
    const out = bytes(1, Buffer.concat([resource, scopeSpans]));
    const bad = Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80]);
    for (let i = out.indexOf('@@BAD@@'); i >= 0; i = out.indexOf('@@BAD@@', i + 7)) bad.copy(out, i);
    return out;
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

// The hostile run's shape with invalid UTF-8 in a node id, the model and a
// tool name, as protobuf.
function invalidUtf8Run(traceNo = 0x777) {
  const t = new Trace(traceNo, 'utf8-dag', 1767232800000000000n);
  const a = t.node(null, 'bad@@BAD@@id <x>', 0, 300, []);
  t.llm(a, 'model@@BAD@@', 10, 200, 100, 10);
  t.tool(a, 'tool@@BAD@@&', 210, 290);
  t.node(null, 'after', 300, 500, ['bad@@BAD@@id <x>']);
  return t.finishProto(510);
}

module.exports = { bigRun, hostileRun, invalidUtf8Run };

if (require.main === module) {
  const what = process.argv[2];
  if (what === 'big') process.stdout.write(bigRun(Number(process.argv[3] || 500)) + '\n');
  else if (what === 'hostile') process.stdout.write(hostileRun() + '\n');
  else if (what === 'utf8') process.stdout.write(invalidUtf8Run());
  else {
    process.stderr.write('usage: node gen_runs.js big [NODES] | hostile | utf8 (protobuf)\n');
    process.exit(2);
  }
}
