#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets in tests/fuzz (see
tests/data/fuzz/README.md): realistic OTLP traces taken from examples/ and
tests/data/, and crafted traces at the edges the processor must survive
(token counts near INT64_MAX, negative counts, huge costs, deep parent
chains, parent and dependency cycles, links to unknown spans, many nodes,
duplicate node ids, zero-length spans, extreme times), as OTLP/JSON and as
protobuf; alert rules; YAML configuration files. Byte-identical on every
run. Run from anywhere: python3 tests/data/fuzz/make_seeds.py
"""
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
CORPUS = os.path.join(HERE, "corpus")

INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)
UINT64_MAX = (1 << 64) - 1
T0 = 1736937000000000000  # 2025-01-15T10:30:00Z
MS = 1000000


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(*path):
    with open(os.path.join(ROOT, *path), "rb") as f:
        return f.read()


# ---- a trace model written as OTLP/JSON and as protobuf --------------------


class Span:
    def __init__(self, trace, sid, name, start, end, parent=None, attrs=None,
                 links=None, status=0):
        self.trace, self.sid, self.name = trace, sid, name
        self.start, self.end, self.parent = start, end, parent
        self.attrs = attrs or []
        self.links = links or []
        self.status = status


def tid(n):
    return "%032x" % (0x4bf92f3577b34da6a3ce929d0e0e4736 + n)


def sid(n):
    return "%016x" % (0x00f067aa0ba902b7 + n)


def json_value(v):
    if isinstance(v, tuple) and v[0] == "raw":  # intValue as a JSON number
        return {"intValue": v[1]}
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [json_value(i) for i in v]}}
    return {"stringValue": v}


def json_request(spans, resource=None):
    out = []
    for s in spans:
        j = {"traceId": s.trace, "spanId": s.sid, "name": s.name,
             "kind": 1, "startTimeUnixNano": str(s.start),
             "endTimeUnixNano": str(s.end),
             "attributes": [{"key": k, "value": json_value(v)}
                            for k, v in s.attrs]}
        if s.parent:
            j["parentSpanId"] = s.parent
        if s.links:
            j["links"] = [{"traceId": t, "spanId": i} for t, i in s.links]
        if s.status:
            j["status"] = {"code": s.status}
        out.append(j)
    res = {"attributes": [{"key": k, "value": json_value(v)}
                          for k, v in (resource or
                                       [("service.name", "agents")])]}
    return json.dumps({"resourceSpans": [{
        "resource": res,
        "scopeSpans": [{"scope": {"name": "fuzz-seed"}, "spans": out}]}]},
        separators=(",", ":"))


def varint(n):
    n &= UINT64_MAX
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_bytes(field, b):
    if isinstance(b, str):
        b = b.encode("utf-8")
    return varint(field << 3 | 2) + varint(len(b)) + b


def f_varint(field, n):
    return varint(field << 3) + varint(n)


def f_fixed64(field, n):
    return varint(field << 3 | 1) + struct.pack("<Q", n & UINT64_MAX)


def pb_value(v):
    if isinstance(v, tuple):
        v = int(v[1])
    if isinstance(v, bool):
        return f_varint(2, int(v))
    if isinstance(v, int):
        return f_varint(3, v)
    if isinstance(v, float):
        return varint(4 << 3 | 1) + struct.pack("<d", v)
    if isinstance(v, list):
        return f_bytes(5, b"".join(f_bytes(1, pb_value(i)) for i in v))
    return f_bytes(1, v)


def pb_attrs(field, kvs):
    return b"".join(f_bytes(field, f_bytes(1, k) + f_bytes(2, pb_value(v)))
                    for k, v in kvs)


def pb_request(spans, resource=None):
    body = b""
    for s in spans:
        m = (f_bytes(1, bytes.fromhex(s.trace)) +
             f_bytes(2, bytes.fromhex(s.sid)) +
             (f_bytes(4, bytes.fromhex(s.parent)) if s.parent else b"") +
             f_bytes(5, s.name) + f_varint(6, 1) +
             f_fixed64(7, s.start) + f_fixed64(8, s.end) +
             pb_attrs(9, s.attrs) +
             b"".join(f_bytes(13, f_bytes(1, bytes.fromhex(t)) +
                              f_bytes(2, bytes.fromhex(i)))
                      for t, i in s.links) +
             (f_bytes(15, f_varint(3, s.status)) if s.status else b""))
        body += f_bytes(2, m)
    scope = f_bytes(1, f_bytes(1, "fuzz-seed")) + body
    res = f_bytes(1, pb_attrs(1, resource or [("service.name", "agents")]))
    return f_bytes(1, res + f_bytes(2, scope))


# ---- crafted traces --------------------------------------------------------


def llm(trace, n, parent, start, end, model, tin, tout, extra=None):
    a = [("gen_ai.operation.name", "chat"),
         ("gen_ai.request.model", model), ("gen_ai.response.model", model),
         ("gen_ai.usage.input_tokens", tin),
         ("gen_ai.usage.output_tokens", tout)]
    return Span(trace, sid(n), "chat " + model, start, end, parent,
                a + (extra or []))


def tool(trace, n, parent, start, end, name, args):
    return Span(trace, sid(n), "execute_tool " + name, start, end, parent,
                [("gen_ai.operation.name", "execute_tool"),
                 ("gen_ai.tool.name", name),
                 ("gen_ai.tool.call.arguments", args)])


def node(trace, n, parent, start, end, node_id, extra=None, status=0,
         links=None):
    return Span(trace, sid(n), "invoke_agent " + node_id, start, end, parent,
                [("gen_ai.operation.name", "invoke_agent"),
                 ("dag.node.id", node_id)] + (extra or []), links, status)


def root(trace, n, start, end, dag="fuzz-dag"):
    return Span(trace, sid(n), "workflow", start, end, None,
                [("dag.id", dag), ("gen_ai.operation.name", "invoke_workflow")])


def huge_tokens():
    t = tid(1)
    return [root(t, 0, T0, T0 + 9000 * MS),
            node(t, 1, sid(0), T0, T0 + 4000 * MS, "plan"),
            llm(t, 2, sid(1), T0 + 10 * MS, T0 + 900 * MS,
                "claude-sonnet-4-5", INT64_MAX, INT64_MAX - 1,
                [("gen_ai.usage.cache_read.input_tokens", INT64_MAX),
                 ("gen_ai.usage.cache_creation.input_tokens", INT64_MAX),
                 ("gen_ai.usage.reasoning.output_tokens", INT64_MAX)]),
            llm(t, 3, sid(1), T0 + 1000 * MS, T0 + 1900 * MS,
                "claude-sonnet-4-5", INT64_MAX // 2 + 1, INT64_MAX // 2 + 1),
            llm(t, 4, sid(1), T0 + 2000 * MS, T0 + 2900 * MS,
                "claude-opus-4-1", ("raw", 9223372036854775807),
                ("raw", 9223372036854775806)),
            node(t, 5, sid(0), T0 + 4000 * MS, T0 + 9000 * MS, "write"),
            llm(t, 6, sid(5), T0 + 4100 * MS, T0 + 8000 * MS,
                "gpt-4o", 6917529027641081856, 1,
                [("llm.token_count.prompt", INT64_MAX)]),
            llm(t, 7, sid(5), T0 + 8000 * MS, T0 + 8900 * MS,
                "gpt-4o-mini", 1, 6917529027641081856)]


def negative_tokens():
    t = tid(2)
    return [root(t, 0, T0, T0 + 3000 * MS),
            node(t, 1, sid(0), T0, T0 + 3000 * MS, "neg"),
            llm(t, 2, sid(1), T0, T0 + 1000 * MS, "claude-haiku-4-5", -1,
                INT64_MIN,
                [("gen_ai.usage.cache_read.input_tokens", -5),
                 ("llm.token_count.prompt", "-7"),
                 ("gen_ai.usage.reasoning_tokens", -1e19)]),
            llm(t, 3, sid(1), T0 + 1000 * MS, T0 + 2000 * MS,
                "claude-haiku-4-5", -1e300, 1e300,
                [("gen_ai.usage.prompt_tokens", "9223372036854775808"),
                 ("gen_ai.usage.completion_tokens", 9.2e18)]),
            llm(t, 4, sid(1), T0 + 2000 * MS, T0 + 3000 * MS,
                "claude-haiku-4-5", 100, 50,
                [("gen_ai.usage.cache_read.input_tokens", 5000),
                 ("gen_ai.usage.reasoning.output_tokens", 900)])]


def huge_costs():
    t = tid(3)
    spans = [root(t, 0, T0, T0 + 5000 * MS), node(t, 1, sid(0), T0,
                                                  T0 + 5000 * MS, "spend")]
    costs = [9.0e6, 8.999999e6, 1e308, "nan", "inf", -1.0, "1e6",
             8999999.999999999, 0.000000000001]
    for i, c in enumerate(costs):
        key = ["gen_ai.usage.cost", "llm.cost.total",
               "llm.usage.total_cost"][i % 3]
        spans.append(llm(t, 2 + i, sid(1), T0 + i * 500 * MS,
                         T0 + (i + 1) * 500 * MS, "acme-unpriced-%d" % (i % 2),
                         1000, 1000, [(key, c)]))
    spans.append(llm(t, 20, sid(1), T0, T0 + 5000 * MS, "claude-opus-4-1",
                     INT64_MAX, INT64_MAX))
    return spans


def bare_node(trace, n, parent, start, end, node_id, extra=None, links=None):
    """A node span with nothing but its id (small seeds of many spans)."""
    return Span(trace, sid(n), "n", start, end, parent,
                [("dag.node.id", node_id)] + (extra or []), links)


def deep_chain(n=150):
    t = tid(4)
    spans = [root(t, 0, T0, T0 + (n + 1) * MS)]
    for i in range(1, n + 1):
        spans.append(bare_node(t, i, sid(i - 1), T0 + i * MS // 2,
                               T0 + (n + 1) * MS - i, "n%d" % i,
                               [("dag.node.depends_on", "n%d" % (i - 1))]))
    spans.append(llm(t, n + 1, sid(n), T0 + n * MS // 2, T0 + n * MS // 2 + 1,
                     "claude-sonnet-4-5", 10, 10))
    return spans


def parent_cycle():
    t = tid(5)
    return [node(t, 1, sid(2), T0, T0 + 100 * MS, "a"),
            node(t, 2, sid(3), T0 + 10 * MS, T0 + 90 * MS, "b"),
            node(t, 3, sid(1), T0 + 20 * MS, T0 + 80 * MS, "c"),
            node(t, 4, sid(4), T0 + 30 * MS, T0 + 70 * MS, "self"),
            llm(t, 5, sid(3), T0 + 21 * MS, T0 + 22 * MS, "gpt-4o", 5, 5),
            tool(t, 6, sid(5), T0 + 23 * MS, T0 + 24 * MS, "loop", "{}")]


def unknown_links():
    t = tid(6)
    return [root(t, 0, T0, T0 + 1000 * MS),
            node(t, 1, sid(0), T0, T0 + 400 * MS, "first"),
            node(t, 2, sid(0), T0 + 500 * MS, T0 + 1000 * MS, "second",
                 links=[(t, sid(1)), (t, sid(999)), (tid(99), sid(1)),
                        (t, sid(2)), (t, "0000000000000000")]),
            node(t, 3, sid(777), T0 + 500 * MS, T0 + 900 * MS, "orphan",
                 links=[(t, sid(3))])]


def many_nodes(n=150):
    t = tid(7)
    spans = [root(t, 0, T0, T0 + 10000 * MS),
             node(t, 1, sid(0), T0, T0 + 100 * MS, "start")]
    for i in range(n):
        spans.append(bare_node(t, 10 + i, sid(0), T0 + 100 * MS + i * 7 * MS,
                               T0 + 5000 * MS + i * 11 * MS, "w%d" % i,
                               links=[(t, sid(1))] if i % 2 else None))
    spans.append(node(t, 5, sid(0), T0 + 9000 * MS, T0 + 10000 * MS, "join",
                      [("dag.node.depends_on",
                        ",".join("w%d" % i for i in range(n)))]))
    return spans


def duplicate_ids():
    t = tid(8)
    spans = [root(t, 0, T0, T0 + 6000 * MS)]
    for i in range(6):
        spans.append(node(t, 1 + i, sid(0), T0 + i * 1000 * MS,
                          T0 + i * 1000 * MS + 900 * MS, "same",
                          [("dag.retries", i)] if i == 3 else None,
                          status=2 if i % 2 == 0 else 1))
        spans.append(node(t, 20 + i, sid(1 + i), T0 + i * 1000 * MS + 10 * MS,
                          T0 + i * 1000 * MS + 500 * MS, "same"))
        spans.append(llm(t, 40 + i, sid(20 + i), T0 + i * 1000 * MS + 20 * MS,
                         T0 + i * 1000 * MS + 400 * MS, "claude-sonnet-4-5",
                         1000 * i, 100 * i))
    spans.append(Span(t, sid(1), "duplicate span id", T0, T0 + 1 * MS, sid(0),
                      [("dag.node.id", "other")]))
    return spans


def zero_length():
    t = tid(9)
    return [root(t, 0, T0, T0),
            node(t, 1, sid(0), T0, T0, "z1"),
            node(t, 2, sid(0), T0, T0, "z2",
                 [("dag.node.depends_on", ["z1", "z2", "nope"])]),
            llm(t, 3, sid(1), T0, T0, "gpt-4o", 1, 1),
            tool(t, 4, sid(2), T0, T0, "noop", "{}"),
            tool(t, 5, sid(2), T0, T0, "noop", "{}"),
            tool(t, 6, sid(2), T0, T0, "noop", "{}")]


def dependency_cycle():
    t = tid(10)
    return [root(t, 0, T0, T0 + 400 * MS),
            node(t, 1, sid(0), T0, T0 + 100 * MS, "a",
                 [("dag.node.depends_on", ["c"])]),
            node(t, 2, sid(0), T0 + 100 * MS, T0 + 200 * MS, "b",
                 [("dag.node.depends_on", "[\"a\", 'c', ]")]),
            node(t, 3, sid(0), T0 + 200 * MS, T0 + 300 * MS, "c",
                 [("dag.node.depends_on", "b,a,c")]),
            node(t, 4, sid(0), T0 + 300 * MS, T0 + 400 * MS, "d",
                 [("dag.node.depends_on", [])],
                 links=[(t, sid(4)), (t, sid(1)), (t, sid(3))])]


def extreme_times():
    t = tid(11)
    return [Span(t, sid(0), "root", 0, UINT64_MAX, None, [("dag.id", "x")]),
            node(t, 1, sid(0), 0, 1, "epoch"),
            node(t, 2, sid(0), UINT64_MAX - 1, UINT64_MAX, "end"),
            node(t, 3, sid(0), 1 << 63, (1 << 63) + 5, "mid"),
            llm(t, 4, sid(3), (1 << 63) - 1, 1 << 63, "gpt-4o", 1, 1),
            node(t, 5, sid(0), T0 + 5, T0 + 4, "backwards")]


def conventions():
    """OpenInference, OpenLLMetry and LangGraph spellings in one trace."""
    t = tid(12)
    meta = json.dumps({"langgraph_node": "retrieve", "langgraph_step": 1})
    return [Span(t, sid(0), "LangGraph", T0, T0 + 3000 * MS, None,
                 [("openinference.span.kind", "CHAIN")]),
            Span(t, sid(1), "retrieve", T0, T0 + 1000 * MS, sid(0),
                 [("metadata", meta)]),
            Span(t, sid(2), "ChatAnthropic", T0 + 10 * MS, T0 + 900 * MS,
                 sid(1), [("openinference.span.kind", "LLM"),
                          ("llm.model_name", "claude-3-5-haiku-20241022"),
                          ("llm.token_count.prompt", 1200),
                          ("llm.token_count.completion", 300),
                          ("llm.token_count.prompt_details.cache_read", 400),
                          ("llm.token_count.prompt_details.cache_write", 100),
                          ("llm.token_count.completion_details.reasoning",
                           50),
                          ("llm.input_messages.0.message.content", "hi"),
                          ("input.value", "question")]),
            Span(t, sid(3), "grade", T0 + 1000 * MS, T0 + 3000 * MS, sid(0),
                 [("graph.node.id", "grade"),
                  ("graph.node.parent_id", "retrieve")]),
            Span(t, sid(4), "openai.chat", T0 + 1100 * MS, T0 + 2000 * MS,
                 sid(3), [("traceloop.span.kind", "llm"),
                          ("gen_ai.request.model", "gpt-4o-mini"),
                          ("gen_ai.usage.prompt_tokens", 800),
                          ("gen_ai.usage.completion_tokens", 90),
                          ("gen_ai.prompt.0.content", "grade this")]),
            Span(t, sid(5), "search.tool", T0 + 2000 * MS, T0 + 2900 * MS,
                 sid(3), [("traceloop.span.kind", "tool"),
                          ("traceloop.entity.name", "search"),
                          ("tool.name", "search"),
                          ("tool.parameters", "{\"q\":\"x\"}")]),
            Span(t, sid(6), "agent", T0 + 2000 * MS, T0 + 2100 * MS, sid(3),
                 [("traceloop.span.kind", "agent"),
                  ("gen_ai.agent.name", "helper"),
                  ("dag.cache_key", "k1"), ("dag.model", "claude-opus-4-1")])]


def many_traces():
    """More traces than the target's max_traces (8): eviction, no roots."""
    spans = []
    for k in range(12):
        t = tid(100 + k)
        if k % 3:
            spans.append(root(t, 0, T0 + k * MS, T0 + (k + 50) * MS,
                              "dag-%d" % (k % 2)))
        spans.append(node(t, 1, sid(0), T0 + k * MS, T0 + (k + 40) * MS,
                          "n", status=k % 3))
        spans.append(llm(t, 2, sid(1), T0 + k * MS, T0 + (k + 30) * MS,
                         "claude-haiku-4-5", 100 + k, 10 + k))
    return spans


CRAFTED = [("huge_tokens", huge_tokens), ("negative_tokens", negative_tokens),
           ("huge_costs", huge_costs), ("deep_chain", deep_chain),
           ("parent_cycle", parent_cycle), ("unknown_links", unknown_links),
           ("many_nodes", many_nodes), ("duplicate_ids", duplicate_ids),
           ("zero_length", zero_length),
           ("dependency_cycle", dependency_cycle),
           ("extreme_times", extreme_times), ("conventions", conventions),
           ("many_traces", many_traces)]


def end_to_end():
    e2e = "fuzz_end_to_end"
    # Realistic traces, as the serve JSON path gets them: one request each.
    write(e2e, "code_review.json", read("examples", "code-review.jsonl"))
    runs = read("examples", "multi-run.jsonl").split(b"\n")
    write(e2e, "multi_run_doc_summary.json", runs[2])
    write(e2e, "multi_run_no_retry.json", runs[3])
    for i, line in enumerate(read("tests", "data", "decode",
                                  "lines.json").split(b"\n")):
        if line.strip():
            write(e2e, "decode_lines_%d.json" % i, line)
    write(e2e, "decode_pretty.json", read("tests", "data", "decode",
                                          "pretty.json"))
    for i, line in enumerate(read("tests", "data", "summary",
                                  "otlp.jsonl").split(b"\n")):
        if line.strip():
            write(e2e, "summary_otlp_%d.json" % i, line)
    # Selector 0x00: one bare protobuf request (serve's protobuf path).
    write(e2e, "proto_same_trace.bin",
          b"\x00" + read("tests", "data", "decode", "same_trace_bare.pb"))
    # Selector 0x01: whole trace files (report's reader).
    write(e2e, "file_code_review_pb.bin",
          b"\x01" + read("examples", "code-review.pb"))
    write(e2e, "file_lines.bin",
          b"\x01" + read("tests", "data", "decode", "lines.json"))
    write(e2e, "file_bad_lines.bin",
          b"\x01" + read("tests", "data", "decode", "bad_lines.json"))
    for name, make in CRAFTED:
        spans = make()
        write(e2e, name + ".json", json_request(spans))
        write(e2e, name + ".pb.bin", b"\x00" + pb_request(spans))


ALERT_SEEDS = {
    "readme": "cost > 0.50\nwall > 30s\twarning\t3\t5\tcode-review-dag\n"
              "parallelizationEfficiency < 0.5\n"
              "bottleneck.type == excessive_retries\tcritical\n"
              "node.executionTime > 10s\tinfo\nunpricedModels > 0",
    "fields": "\n".join([
        "totalDuration >= 1h", "criticalPathDuration <= 250ms",
        "sumExecution != 0ms", "totalCost == $0.3591",
        "dagParallelism > 1.5", "achievedParallelism < 2",
        "peakConcurrency >= 3", "spanCount > 10", "lateSpans == 0",
        "totalTokens > 30000", "inputTokens > 1", "outputTokens < 1e9",
        "cacheReadTokens >= 2000", "cacheWriteTokens > 0",
        "reasoningTokens > 0", "retries >= 1", "nodes == 5",
        "bottlenecks > 0", "complete == true", "node.duration > 1.5s",
        "node.waitTime > 3421.25ms", "node.dependencyWait >= 1m",
        "node.queueDelay >= 250ms", "node.selfTime > 0us",
        "node.llmTime > 0ns", "node.toolTime > 0h", "node.cost > 0.01 USD",
        "node.tokens > 100", "node.retries >= 1", "node.attempts > 1",
        "bottleneck.severity != low", "bottleneck.impact > 77.5"]),
    "windows": "cost > 0\twarning\t1\t64\n"
               "wall > 0ms\tcritical\t64\t64\tsyn-dag\n"
               "nodes > 0\tinfo\t2\t3\t\tdup\n"
               "nodes > 1\tinfo\t2\t3\t\tdup\n"
               "cost > 0\twarning\t0\t5\n"
               "cost > 0\tfatal\n\n",
    "bad": "wall > 30\ncost > 0.1234567890123\ncost > 99999999\n"
           "complete > true\nbottleneck.type == nope\nfoo > 1\n"
           "wall >> 1s\n  \nnode.tokens > nan\nwall > 1e400s",
    # condition: regression: fields 7-9 are min_change, p_value, min_runs.
    "regression": "regression\twarning\t\t\tcode-review-dag\treg-1\t10%"
                  "\t0.01\t20\n"
                  "regression\tcritical\t\t\td\treg-2\t0.25\t1\t2\n"
                  "regression\tinfo\t\t\t\tno-dag\n"
                  "regression\twarning\t3\t5\td\twindowed\n"
                  "regression\twarning\t\t\td\tbad-mc\t-5%\n"
                  "regression\twarning\t\t\td\tbad-p\t0.1\t1%\n"
                  "regression\twarning\t\t\td\tbad-n\t\t\t1e3\n"
                  "wall > 1s\twarning\t\t\td\tnot-reg\t0.1\n"
                  "  regression  \twarning\t\t\td\treg-1\n",
    # A synthetic profile with extreme numbers after the NUL.
    "extremes": b"totalTokens > 0\nnode.tokens > 0\ncost > 9000000\n"
                b"inputTokens > 9.2e18\n\x00" +
                b"\x58" + b"\x01" * 40 + b"\x02" * 40 + b"\x03" * 40,
}

CONFIG_SEEDS = {
    "all_sections": """\
receivers:
  otlp:
    grpc: { endpoint: "127.0.0.1:4317", max_message_size: 4MiB }
    http: { endpoint: "[::1]:4318", max_body_size: 20MB }
processor:
  grace: 1m30s
  idle_timeout: 2.5s
  late_window: 0
  max_traces: 1000000000
  max_spans_per_trace: 1
  shards: 64
  queue_spans: 1
output: "profiles \\"quoted\\".jsonl"
pricing: { file: "" }
log: { level: debug }
shutdown_timeout: 500ms
analysis:
  slow_node: { factor: 2, high_factor: 1e6 }
  high_token_usage: { factor: 0.5, high_factor: 5 }
  excessive_retries: { min: 1, high: 1000000 }
  tool_latency: { threshold: 1us, high: 9000000h }
  scheduling_delay: { min: 100ms, wall_fraction: 0, high_wall_fraction: 1 }
  sequential_bottleneck: { wall_fraction: 0.2, high_wall_fraction: 0.4 }
  parallelize: { efficiency_below: 0.8 }
  model_downgrade: { token_share: 0.3 }
  batch_operations: { min_calls: 2 }
  reduce_context: { mean_input_tokens: 1000000000000, target_tokens: 0 }
exporters:
  jsonl: { path: "-", max_size: 1GiB, max_files: 1000, alerts: false,
           queue_size: 1, max_attempts: 1, initial_backoff: 1ns,
           max_backoff: 1h, max_elapsed: 0 }
  otlp: { endpoint: "collector:4317", compression: none, timeout: 1s,
          headers: { authorization: "Bearer x", "x-tenant": "a:b" } }
  prometheus: { max_series: 1000000 }
  webhook: { url: "http://127.0.0.1:9000/alerts", headers: {} }
alerts:
  - name: costly-run
    condition: cost > 0.50
    severity: warning
  - { name: "slow \\u00e9", dag: code-review-dag, condition: "wall > 30s",
      severity: critical, window: { matches: 3, of: 5 } }
  - name: w64
    condition: node.queueDelay >= 250ms
    severity: info
    window: { of: 64, matches: 64 }
  - { name: version-slower, dag: code-review-dag, condition: regression,
      min_change: 10%, p_value: 0.01, min_runs: 20, severity: warning }
""",
    "empty": "",
    "null_sections": "exporters:\nalerts:\nprometheus:\n",
    "anchors": "processor: &p { grace: 2s }\nanalysis:\n  slow_node: *p\n",
    "flow_doc": "{processor: {shards: 2}, output: '-', exporters: {}, "
                "alerts: []}\n",
    "errors": "processor:\n  grace: 2 s\n  shards: [1, 2]\nunknown: 1\n",
    "control_chars": "output: \"a\\tb\\x01\\nc\"\nexporters:\n  jsonl:\n"
                     "    path: \"tab\\there\"\n",
}


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    end_to_end()
    for name, text in ALERT_SEEDS.items():
        write("fuzz_alerts", name + ".txt", text)
    write("fuzz_config", "example_dagprof.yaml",
          read("examples", "dagprof.yaml"))
    write("fuzz_config", "example_exporters.yaml",
          read("examples", "dagprof-exporters.yaml"))
    for name, text in CONFIG_SEEDS.items():
        write("fuzz_config", name + ".yaml", text)


if __name__ == "__main__":
    main()
