#!/usr/bin/env python3
"""Writes the protobuf fixtures of tests/data/decode/ with a hand-rolled
protobuf encoder (no protobuf library), so the decoder is checked against an
encoder other than protobuf-c. The trace is the one in lines.json and
pretty.json: test_trace_file.c asserts that all four files give the same
spans. Run from anywhere: python3 tests/data/decode/make_fixtures.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def varint(n):
    n &= (1 << 64) - 1  # int64 negatives: two's complement, 10 bytes
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(field, wire):
    return varint(field << 3 | wire)


def f_varint(field, n):
    return tag(field, 0) + varint(n)


def f_fixed64(field, n):
    return tag(field, 1) + struct.pack("<Q", n)


def f_double(field, d):
    return tag(field, 1) + struct.pack("<d", d)


def f_fixed32(field, n):
    return tag(field, 5) + struct.pack("<I", n)


def f_bytes(field, b):
    if isinstance(b, str):
        b = b.encode("utf-8")
    return tag(field, 2) + varint(len(b)) + b


def any_value(v):
    kind, x = v
    if kind == "s":
        return f_bytes(1, x)
    if kind == "b":
        return f_varint(2, 1 if x else 0)
    if kind == "i":
        return f_varint(3, x)
    if kind == "d":
        return f_double(4, x)
    if kind == "a":
        return f_bytes(5, b"".join(f_bytes(1, any_value(i)) for i in x))
    if kind == "kv":
        return f_bytes(6, b"".join(f_bytes(1, key_value(k, i)) for k, i in x))
    if kind == "bytes":
        return f_bytes(7, x)
    raise ValueError(kind)


def key_value(k, v):
    return f_bytes(1, k) + f_bytes(2, any_value(v))


def attrs(field, kvs):
    return b"".join(f_bytes(field, key_value(k, v)) for k, v in kvs)


TRACE = bytes.fromhex("5b8efff798038103d269b633813fc60c")
S1 = bytes.fromhex("eee19b7ec3c1b174")
S2 = bytes.fromhex("0102030405060708")
S3 = bytes.fromhex("a0b0c0d0e0f00a0b")

RESOURCE = attrs(1, [
    ("service.name", ("s", "review-agent")),
    ("dag.id", ("s", "code-review")),
    ("host.cpus", ("i", 8)),
]) + f_varint(2, 0)
SCOPE = f_bytes(1, "dagprof-fixture") + f_bytes(2, "1.0") + attrs(
    3, [("scope.attr", ("s", "ignored"))])


def span(trace, sid, parent, name, start, end, kvs=(), links=(),
         status=None, kind=1):
    b = f_bytes(1, trace) + f_bytes(2, sid) + f_bytes(3, "")
    if parent:
        b += f_bytes(4, parent)
    b += f_fixed32(16, 0x101)
    b += f_bytes(5, name) + f_varint(6, kind)
    b += f_fixed64(7, start) + f_fixed64(8, end)
    b += attrs(9, kvs) + f_varint(10, 0)
    # one event (field 11), read by nobody
    b += f_bytes(11, f_fixed64(1, start) + f_bytes(2, "event"))
    for lt, ls in links:
        b += f_bytes(13, f_bytes(1, lt) + f_bytes(2, ls) + f_fixed32(6, 1))
    if status is not None:
        b += f_bytes(15, f_bytes(2, status[1]) + f_varint(3, status[0]))
    b += f_varint(99, 12345)  # an unknown field: skipped
    return b


SPAN1 = span(TRACE, S1, None, "code-review", 1700000000000000000,
             1700000010000000000, status=(1, ""), kind=2)
SPAN2 = span(TRACE, S2, S1, "fetch-code", 1700000000100000000,
             1700000002000000000, kvs=[
                 ("dag.node.id", ("s", "fetch-code")),
                 ("gen_ai.usage.input_tokens", ("i", 1200)),
                 ("gen_ai.request.temperature", ("d", 0.25)),
                 ("cache.hit", ("b", False)),
                 ("dag.node.depends_on", ("a", [])),
             ])
SPAN3 = span(TRACE, S3, S1, "analyse-\u00fc", 1700000002000000000,
             1700000009500000000, kvs=[
                 ("dag.node.id", ("s", "analyze")),
                 ("dag.node.depends_on",
                  ("a", [("s", "fetch-code"), ("i", 7), ("a", [("i", 1)])])),
                 ("gen_ai.usage.output_tokens", ("i", -5)),
                 ("meta", ("kv", [("a", ("s", "b"))])),
             ], links=[(TRACE, S2), (TRACE, bytes.fromhex("01020304"))],
             status=(2, "boom"))


def resource_spans(spans):
    scope_spans = f_bytes(1, SCOPE) + b"".join(f_bytes(2, s) for s in spans)
    return f_bytes(1, RESOURCE) + f_bytes(2, scope_spans) + f_bytes(3, "")


def request(*rss):
    return b"".join(f_bytes(1, rs) for rs in rss)


def delimited(*msgs):
    return b"".join(varint(len(m)) + m for m in msgs)


def main():
    m1 = request(resource_spans([SPAN1, SPAN2]))
    m2 = request(resource_spans([SPAN3]))
    bare = request(resource_spans([SPAN1, SPAN2]), resource_spans([SPAN3]))
    with open(os.path.join(HERE, "same_trace.pb"), "wb") as f:
        f.write(delimited(m1, m2))
    with open(os.path.join(HERE, "same_trace_bare.pb"), "wb") as f:
        f.write(bare)


if __name__ == "__main__":
    main()
