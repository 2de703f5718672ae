#!/usr/bin/env node
/*
 * otel_client.js - dagprof's test client built on the official OpenTelemetry
 * JS SDK. It sits in front of dagprof in the flow: it turns a JSON "scenario"
 * (a list of spans with labels, parents, ms offsets, attributes, links and
 * status) into real SDK spans (BasicTracerProvider, explicit start and end
 * times, span links, setStatus), then either sends them to a dagprof receiver
 * with one of the SDK's OTLP exporters (gRPC, HTTP/protobuf, HTTP/JSON)
 * through a SimpleSpanProcessor or BatchSpanProcessor, or writes them to a
 * file as OTLP/JSON lines (one ExportTraceServiceRequest per line, as the
 * Collector's file exporter writes) or as varint-length-delimited OTLP
 * protobuf, using the otlp-transformer serializers.
 *
 * Ids are deterministic: they come from a seeded generator (or from the
 * scenario), so the same scenario and seed give byte-identical files and the
 * same trace can be sent in parts from several processes.
 *
 * Use as a module (require('./otel_client')) or as a command; run with
 * --help for the command line. Scenario format:
 *
 *   { "traceId": "32 hex (optional)", "seed": "text (optional)",
 *     "baseTime": "2025-01-15T10:30:00Z" | epoch ms (optional),
 *     "resource": { "service.name": "...", ... },
 *     "scope": { "name": "...", "version": "..." },
 *     "spans": [ { "id": "label", "name": "span name", "parent": "label",
 *                  "spanId": "16 hex (optional)", "kind": "internal",
 *                  "start": 0, "end": 3421.5, "attributes": { ... },
 *                  "links": ["label", { "span": "label", "attributes": {} }],
 *                  "events": [ { "name": "...", "time": 10, "attributes": {} } ],
 *                  "status": "ok" | "error" | "unset" |
 *                            { "code": "error", "message": "..." } } ] }
 *
 * A scenario file may also hold an array of such objects (several traces).
 * start/end are milliseconds from baseTime (fractions allowed, kept to ns).
 */
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const api = require('@opentelemetry/api');
const {
    BasicTracerProvider,
    SimpleSpanProcessor,
    BatchSpanProcessor,
} = require('@opentelemetry/sdk-trace-base');
const {
    resourceFromAttributes,
    defaultResource,
} = require('@opentelemetry/resources');
const {
    JsonTraceSerializer,
    ProtobufTraceSerializer,
} = require('@opentelemetry/otlp-transformer');

const DEFAULT_BASE_TIME = '2025-01-15T10:30:00Z';
const DEFAULT_SEED = 'dagprof';
const NS_PER_MS = 1000000n;
const NS_PER_S = 1000000000n;

const KINDS = {
    internal: api.SpanKind.INTERNAL,
    server: api.SpanKind.SERVER,
    client: api.SpanKind.CLIENT,
    producer: api.SpanKind.PRODUCER,
    consumer: api.SpanKind.CONSUMER,
};

/* ---------------------------------------------------------------- ids -- */

/*
 * Deterministic IdGenerator for the SDK: ids are sha256(seed:kind:n) cut to
 * length, unless an explicit id was queued with setNext*() for the next call.
 */
class SeededIdGenerator {
    constructor(seed) {
        this.seed = String(seed);
        this.traces = 0;
        this.spans = 0;
        this.nextTraceId = null;
        this.nextSpanId = null;
    }

    hash(kind, n, len) {
        return crypto.createHash('sha256')
            .update(`${this.seed}:${kind}:${n}`)
            .digest('hex')
            .slice(0, len);
    }

    generateTraceId() {
        const id = this.nextTraceId || this.hash('trace', this.traces++, 32);
        this.nextTraceId = null;
        return id;
    }

    generateSpanId() {
        const id = this.nextSpanId || this.hash('span', this.spans++, 16);
        this.nextSpanId = null;
        return id;
    }
}

/* -------------------------------------------------------------- times -- */

/* Epoch nanoseconds (BigInt) of a scenario baseTime (RFC 3339 or epoch ms). */
function baseTimeNs(base) {
    if (base === undefined || base === null) base = DEFAULT_BASE_TIME;
    if (base === 'now') return BigInt(Date.now()) * NS_PER_MS;
    if (typeof base === 'number') return BigInt(Math.round(base * 1e6));
    const ms = Date.parse(base);
    if (Number.isNaN(ms)) throw new Error(`bad baseTime: ${base}`);
    return BigInt(ms) * NS_PER_MS;
}

/* HrTime [s, ns] for base + offset ms (offset kept to the nanosecond). */
function hrTime(baseNs, offsetMs) {
    if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs)) {
        throw new Error(`bad time offset: ${offsetMs}`);
    }
    const ns = baseNs + BigInt(Math.round(offsetMs * 1e6));
    return [Number(ns / NS_PER_S), Number(ns % NS_PER_S)];
}

/* ----------------------------------------------------------- building -- */

function parseStatus(status) {
    if (status === undefined || status === null || status === 'unset') {
        return null;
    }
    const s = typeof status === 'string' ? { code: status } : status;
    const code = String(s.code || 'unset').toLowerCase();
    if (code === 'ok') return { code: api.SpanStatusCode.OK };
    if (code === 'error') {
        const out = { code: api.SpanStatusCode.ERROR };
        if (s.message) out.message = String(s.message);
        return out;
    }
    if (code === 'unset') return null;
    throw new Error(`bad status: ${JSON.stringify(status)}`);
}

function parseLink(link) {
    if (typeof link === 'string') return { span: link, attributes: undefined };
    if (link && typeof link.span === 'string') {
        return { span: link.span, attributes: link.attributes };
    }
    throw new Error(`bad link: ${JSON.stringify(link)}`);
}

/*
 * Order scenario spans so that every parent is started before its children
 * (scenario order otherwise). Throws on an unknown parent or a cycle.
 */
function creationOrder(spans) {
    const byId = new Map();
    spans.forEach((s, i) => {
        if (typeof s.id !== 'string' || !s.id) {
            throw new Error(`span #${i} has no "id" label`);
        }
        if (byId.has(s.id)) throw new Error(`duplicate span label ${s.id}`);
        byId.set(s.id, s);
    });
    const out = [];
    const state = new Map(); /* 1 visiting, 2 done */
    const visit = (s) => {
        if (state.get(s.id) === 2) return;
        if (state.get(s.id) === 1) throw new Error(`parent cycle at ${s.id}`);
        state.set(s.id, 1);
        if (s.parent !== undefined && s.parent !== null) {
            const p = byId.get(s.parent);
            if (!p) throw new Error(`span ${s.id}: unknown parent ${s.parent}`);
            visit(p);
        }
        state.set(s.id, 2);
        out.push(s);
    };
    spans.forEach(visit);
    return { order: out, byId };
}

/* Depth of a span label in the parent tree (root = 0). */
function depthOf(byId, s) {
    let d = 0;
    for (let p = s.parent; p !== undefined && p !== null; p = byId.get(p).parent) {
        d++;
    }
    return d;
}

/* A SpanProcessor that keeps ended spans in end order, synchronously. */
class CollectingProcessor {
    constructor() { this.spans = []; }
    onStart() {}
    onEnd(span) { this.spans.push(span); }
    forceFlush() { return Promise.resolve(); }
    shutdown() { return Promise.resolve(); }
}

/*
 * Build one trace from a scenario object with the SDK. Returns the
 * ReadableSpans in the order they ended (end time, then deepest first, then
 * scenario order), their trace id, and a label -> span id map.
 * opts: { seed, baseTime, idGenerator, repeatIndex }.
 */
function buildTrace(scenario, opts = {}) {
    if (!scenario || !Array.isArray(scenario.spans)) {
        throw new Error('scenario needs a "spans" array');
    }
    const gen = opts.idGenerator ||
        new SeededIdGenerator(scenario.seed || opts.seed || DEFAULT_SEED);
    const base = baseTimeNs(opts.baseTime !== undefined ? opts.baseTime
        : scenario.baseTime);
    const resAttrs = Object.assign({ 'service.name': 'dagprof-test-client' },
        scenario.resource || {});
    const collector = new CollectingProcessor();
    const provider = new BasicTracerProvider({
        resource: defaultResource().merge(resourceFromAttributes(resAttrs)),
        idGenerator: gen,
        spanProcessors: [collector],
        spanLimits: { attributeCountLimit: 1024, linkCountLimit: 1024 },
    });
    const scope = scenario.scope || {};
    const tracer = provider.getTracer(scope.name || 'dagprof-scenario',
        scope.version || '0.1.0');

    const { order, byId } = creationOrder(scenario.spans);
    const live = new Map(); /* label -> SDK span */
    const lateLinks = [];
    let rootSeen = false;

    for (const s of order) {
        const hasParent = s.parent !== undefined && s.parent !== null;
        if (s.spanId) gen.nextSpanId = s.spanId;
        if (!hasParent) {
            if (rootSeen && !scenario.traceId) {
                /* A second parentless span shares the trace id. */
                gen.nextTraceId = live.values().next().value
                    .spanContext().traceId;
            } else if (scenario.traceId) {
                gen.nextTraceId = scenario.traceId;
            }
            rootSeen = true;
        }
        const ctx = hasParent
            ? api.trace.setSpan(api.context.active(), live.get(s.parent))
            : api.ROOT_CONTEXT;
        const startLinks = [];
        for (const l of (s.links || []).map(parseLink)) {
            if (!byId.has(l.span)) {
                throw new Error(`span ${s.id}: unknown link target ${l.span}`);
            }
            if (live.has(l.span)) {
                startLinks.push({ context: live.get(l.span).spanContext(),
                    attributes: l.attributes });
            } else {
                lateLinks.push({ from: s.id, link: l });
            }
        }
        const kind = KINDS[String(s.kind || 'internal').toLowerCase()];
        if (kind === undefined) throw new Error(`span ${s.id}: bad kind`);
        const span = tracer.startSpan(s.name || s.id, {
            kind,
            startTime: hrTime(base, s.start),
            attributes: s.attributes || {},
            links: startLinks,
        }, ctx);
        for (const e of s.events || []) {
            span.addEvent(e.name, e.attributes || {},
                hrTime(base, e.time === undefined ? s.start : e.time));
        }
        const st = parseStatus(s.status);
        if (st) span.setStatus(st);
        live.set(s.id, span);
    }
    for (const { from, link } of lateLinks) {
        live.get(from).addLink({ context: live.get(link.span).spanContext(),
            attributes: link.attributes });
    }

    const index = new Map(scenario.spans.map((s, i) => [s.id, i]));
    const ends = scenario.spans.slice().sort((a, b) => {
        if (a.end !== b.end) return a.end - b.end;
        const da = depthOf(byId, a), db = depthOf(byId, b);
        if (da !== db) return db - da;
        return index.get(a.id) - index.get(b.id);
    });
    for (const s of ends) {
        if (typeof s.end !== 'number') throw new Error(`span ${s.id}: no end`);
        live.get(s.id).end(hrTime(base, s.end));
    }
    const ids = {};
    for (const [label, span] of live) ids[label] = span.spanContext().spanId;
    const first = live.get(order[0].id);
    return {
        spans: collector.spans.slice(),
        traceId: first ? first.spanContext().traceId : null,
        spanIds: ids,
    };
}

/*
 * Build every trace of a scenario list, repeated `repeat` times. Each repeat
 * gets new ids (same seeded generator) and starts `repeatGapMs` after the
 * previous run's base time. Returns [{ spans, traceId, spanIds }].
 */
function buildTraces(scenarios, opts = {}) {
    const list = Array.isArray(scenarios) ? scenarios : [scenarios];
    const repeat = opts.repeat || 1;
    const gen = new SeededIdGenerator(opts.seed ||
        (list[0] && list[0].seed) || DEFAULT_SEED);
    const out = [];
    for (let r = 0; r < repeat; r++) {
        for (const sc of list) {
            let base = opts.baseTime !== undefined ? opts.baseTime : sc.baseTime;
            if (r > 0) {
                const ns = baseTimeNs(base) +
                    BigInt(r) * BigInt(opts.repeatGapMs || 60000) * NS_PER_MS;
                base = Number(ns / 1000n) / 1000; /* epoch ms, us precise */
            }
            const copy = r > 0 ? Object.assign({}, sc, { traceId: undefined })
                : sc;
            const spanIdsFixed = r > 0 && copy.spans.some((s) => s.spanId);
            if (spanIdsFixed) {
                copy.spans = copy.spans.map((s) =>
                    Object.assign({}, s, { spanId: undefined }));
            }
            out.push(buildTrace(copy, { idGenerator: gen, baseTime: base }));
        }
    }
    return out;
}

/* ------------------------------------------------- ordering, splitting -- */

/* Deterministic shuffle (Fisher-Yates on a sha256 stream). */
function seededShuffle(arr, seed) {
    const a = arr.slice();
    for (let i = a.length - 1; i > 0; i--) {
        const h = crypto.createHash('sha256').update(`${seed}:${i}`).digest();
        const j = h.readUInt32BE(0) % (i + 1);
        [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
}

function isRoot(span) {
    return !span.parentSpanContext || !span.parentSpanContext.spanId;
}

/*
 * Reorder one trace's spans: "end" (as they ended; the root usually last),
 * "reverse", "root-first", "root-last", "shuffle".
 */
function orderSpans(spans, order = 'end', seed = DEFAULT_SEED) {
    switch (order) {
    case 'end': return spans.slice();
    case 'reverse': return spans.slice().reverse();
    case 'root-first':
        return spans.filter(isRoot).concat(spans.filter((s) => !isRoot(s)));
    case 'root-last':
        return spans.filter((s) => !isRoot(s)).concat(spans.filter(isRoot));
    case 'shuffle': return seededShuffle(spans, seed);
    default: throw new Error(`bad order: ${order}`);
    }
}

/* Split spans into n contiguous chunks of near-equal size (none empty). */
function splitSpans(spans, n = 1) {
    const parts = Math.max(1, Math.min(n, spans.length || 1));
    const out = [];
    let at = 0;
    for (let i = 0; i < parts; i++) {
        const size = Math.floor(spans.length / parts) +
            (i < spans.length % parts ? 1 : 0);
        out.push(spans.slice(at, at + size));
        at += size;
    }
    return out;
}

/*
 * The requests to send or write: each trace is ordered, split into `split`
 * chunks, and only the 1-based chunk numbers in `parts` are kept.
 */
function planRequests(traces, opts = {}) {
    const reqs = [];
    for (const t of traces) {
        const chunks = splitSpans(orderSpans(t.spans, opts.order, opts.seed),
            opts.split || 1);
        chunks.forEach((c, i) => {
            if (!opts.parts || opts.parts.includes(i + 1)) reqs.push(c);
        });
    }
    return reqs;
}

/* ------------------------------------------------------------- files -- */

/* One OTLP/JSON ExportTraceServiceRequest per request, newline-terminated. */
function toOtlpJsonLines(requests) {
    const dec = new TextDecoder();
    return requests
        .map((r) => dec.decode(JsonTraceSerializer.serializeRequest(r)) + '\n')
        .join('');
}

function varint(n) {
    const out = [];
    let v = n;
    while (v >= 0x80) {
        out.push((v & 0x7f) | 0x80);
        v = Math.floor(v / 128);
    }
    out.push(v);
    return Buffer.from(out);
}

/* Varint-length-delimited protobuf ExportTraceServiceRequest messages. */
function toOtlpProtoDelimited(requests) {
    const bufs = [];
    for (const r of requests) {
        const msg = Buffer.from(ProtobufTraceSerializer.serializeRequest(r));
        bufs.push(varint(msg.length), msg);
    }
    return Buffer.concat(bufs);
}

/* A single bare (not length-prefixed) protobuf message of all requests. */
function toOtlpProtoBare(requests) {
    return Buffer.from(ProtobufTraceSerializer.serializeRequest(
        [].concat(...requests)));
}

/* ----------------------------------------------------------- sending -- */

function makeExporter(kind, endpoint, opts = {}) {
    const cfg = {};
    if (opts.timeoutMillis) cfg.timeoutMillis = opts.timeoutMillis;
    if (opts.compression) cfg.compression = opts.compression;
    if (opts.headers && Object.keys(opts.headers).length) {
        cfg.headers = opts.headers;
    }
    if (kind === 'grpc') {
        const { OTLPTraceExporter } =
            require('@opentelemetry/exporter-trace-otlp-grpc');
        if (opts.headers && Object.keys(opts.headers).length) {
            const grpc = require('@grpc/grpc-js');
            const md = new grpc.Metadata();
            for (const [k, v] of Object.entries(opts.headers)) md.set(k, v);
            cfg.metadata = md;
            delete cfg.headers;
        }
        cfg.url = endpoint || 'http://127.0.0.1:4317';
        if (opts.tls) {
            /* TLS (an https:// URL): trust opts.tls.ca; with cert and key,
             * present that client certificate (mutual TLS). */
            const grpc = require('@grpc/grpc-js');
            const t = opts.tls;
            cfg.credentials = grpc.credentials.createSsl(
                t.ca ? Buffer.from(t.ca) : null,
                t.key ? Buffer.from(t.key) : null,
                t.cert ? Buffer.from(t.cert) : null);
        }
        return new OTLPTraceExporter(cfg);
    }
    /* A bare host:port gets the OTLP path; any other path is kept as is. */
    let url = endpoint || 'http://127.0.0.1:4318/v1/traces';
    if (new URL(url).pathname === '/') {
        url = url.replace(/\/+$/, '') + '/v1/traces';
    }
    cfg.url = url;
    if (opts.tls) {
        /* https:// with this CA (and client certificate); a fresh
         * connection per exporter, so each one handshakes. */
        cfg.httpAgentOptions = { ca: opts.tls.ca, cert: opts.tls.cert,
            key: opts.tls.key, keepAlive: false };
    }
    if (kind === 'proto') {
        const { OTLPTraceExporter } =
            require('@opentelemetry/exporter-trace-otlp-proto');
        return new OTLPTraceExporter(cfg);
    }
    if (kind === 'http') {
        const { OTLPTraceExporter } =
            require('@opentelemetry/exporter-trace-otlp-http');
        return new OTLPTraceExporter(cfg);
    }
    throw new Error(`bad exporter: ${kind} (grpc, proto or http)`);
}

/* Wraps a real exporter and records each export's outcome. */
class RecordingExporter {
    constructor(inner) {
        this.inner = inner;
        this.results = [];
    }

    export(spans, done) {
        this.inner.export(spans, (res) => {
            const rec = { spans: spans.length, ok: res.code === 0 };
            if (diagState.partial) {
                rec.partialSuccess = diagState.partial;
                diagState.partial = null;
            }
            if (res.error) {
                rec.error = String(res.error.message || res.error);
                if (res.error.code !== undefined) rec.code = res.error.code;
                if (res.error.data !== undefined) rec.data = res.error.data;
            }
            this.results.push(rec);
            done(res);
        });
    }

    forceFlush() {
        return this.inner.forceFlush ? this.inner.forceFlush()
            : Promise.resolve();
    }

    shutdown() { return this.inner.shutdown(); }
}

/*
 * Send planned requests with a real OTLP exporter through an SDK span
 * processor, one after the other. "batch" (default): a BatchSpanProcessor
 * gets each request's spans and is force-flushed, so each request is one
 * export call. "simple": a SimpleSpanProcessor exports every span as its own
 * request. Resolves to { requests, spans, failed, rejectedSpans, results },
 * each result { spans, ok, error?, code?, data?, partialSuccess? }.
 */
async function sendRequests(requests, opts = {}) {
    if (!diagState.installed) setLogLevel(opts.logLevel);
    const rec = new RecordingExporter(makeExporter(opts.exporter || 'grpc',
        opts.endpoint, opts));
    const maxChunk = Math.max(1, ...requests.map((r) => r.length));
    const proc = opts.processor === 'simple'
        ? new SimpleSpanProcessor(rec)
        : new BatchSpanProcessor(rec, {
            /* Larger than any chunk: only forceFlush starts an export. */
            maxExportBatchSize: maxChunk + 1,
            maxQueueSize: maxChunk + 2,
            scheduledDelayMillis: 3600000,
            exportTimeoutMillis: opts.timeoutMillis || 10000,
        });
    /* A failed export rejects the flush; its outcome is already recorded. */
    const settle = async (p) => {
        try {
            await p;
        } catch (e) {
            api.diag.debug(`export failed: ${e && e.message}`);
        }
    };
    for (const chunk of requests) {
        for (const span of chunk) {
            proc.onEnd(span);
            if (opts.processor === 'simple') await settle(proc.forceFlush());
        }
        await settle(proc.forceFlush());
    }
    await settle(proc.shutdown());
    const spans = rec.results.reduce((n, r) => n + r.spans, 0);
    const rejectedSpans = rec.results.reduce((n, r) => n +
        Number((r.partialSuccess && r.partialSuccess.rejectedSpans) || 0), 0);
    return {
        requests: rec.results.length,
        spans,
        failed: rec.results.filter((r) => !r.ok).length,
        rejectedSpans,
        results: rec.results,
    };
}

/* --------------------------------------------------------------- CLI -- */

const USAGE = `usage: otel_client.js --scenario FILE|- [options]

Builds the scenario's trace(s) with the OpenTelemetry JS SDK, then writes
and/or sends them. Prints one JSON summary line on stdout: trace ids,
counts, and each export's outcome (with any OTLP partial success).

  --scenario FILE     scenario JSON (object or array of objects); - = stdin
  --seed TEXT         id seed (default: scenario seed or "${DEFAULT_SEED}")
  --base-time T       RFC 3339, epoch ms, or "now" (default: scenario's)
  --repeat N          build each trace N times with new ids
  --repeat-gap MS     time between repeated runs (default 60000)
  --order O           end | reverse | root-first | root-last | shuffle
  --split N           write/send each trace as N requests
  --parts LIST        only these 1-based chunks, e.g. 1,3
  --out FILE          write to FILE (- = stdout, then no summary line)
  --format F          json (OTLP/JSON lines) | proto (length-delimited)
                      | proto-bare (one message) (default from extension)
  --exporter E        grpc | proto | http: send with that OTLP exporter
  --endpoint URL      default http://127.0.0.1:4317 (grpc),
                      http://127.0.0.1:4318/v1/traces (proto, http; a URL
                      without a path gets /v1/traces, other paths are kept)
  --processor P       batch (one request per chunk) | simple (per span)
  --compression C     gzip | none
  --header K=V        request header / gRPC metadata (repeatable)
  --timeout MS        export timeout (default 10000)
  --log-level L       none | error | warn | info | debug (stderr; default error)

Exit status: 0 ok, 1 some export failed, 2 bad usage or scenario.`;

function parseCli(argv) {
    const o = { headers: {} };
    const need = (i) => {
        if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
        return argv[i + 1];
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        switch (a) {
        case '-h': case '--help': o.help = true; break;
        case '--scenario': o.scenario = need(i); i++; break;
        case '--seed': o.seed = need(i); i++; break;
        case '--base-time': {
            const v = need(i); i++;
            o.baseTime = /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
            break;
        }
        case '--repeat': o.repeat = parseInt(need(i), 10); i++; break;
        case '--repeat-gap': o.repeatGapMs = Number(need(i)); i++; break;
        case '--order': o.order = need(i); i++; break;
        case '--split': o.split = parseInt(need(i), 10); i++; break;
        case '--parts':
            o.parts = need(i).split(',').map((x) => parseInt(x, 10)); i++;
            break;
        case '--out': o.out = need(i); i++; break;
        case '--format': o.format = need(i); i++; break;
        case '--exporter': o.exporter = need(i); i++; break;
        case '--endpoint': o.endpoint = need(i); i++; break;
        case '--processor': o.processor = need(i); i++; break;
        case '--compression': o.compression = need(i); i++; break;
        case '--header': {
            const v = need(i); i++;
            const eq = v.indexOf('=');
            if (eq <= 0) throw new Error(`bad header: ${v}`);
            o.headers[v.slice(0, eq)] = v.slice(eq + 1);
            break;
        }
        case '--timeout': o.timeoutMillis = parseInt(need(i), 10); i++; break;
        case '--log-level': o.logLevel = need(i); i++; break;
        default: throw new Error(`unknown argument: ${a}`);
        }
    }
    if (o.help) return o;
    if (!o.scenario) throw new Error('--scenario is required');
    if (!o.out && !o.exporter) throw new Error('give --out and/or --exporter');
    for (const [k, v] of [['repeat', o.repeat], ['split', o.split]]) {
        if (v !== undefined && !(v >= 1)) throw new Error(`bad --${k}`);
    }
    if (o.parts && o.parts.some((p) => !(p >= 1))) throw new Error('bad --parts');
    if (o.processor && !['batch', 'simple'].includes(o.processor)) {
        throw new Error(`bad --processor: ${o.processor}`);
    }
    if (o.compression === 'none') delete o.compression;
    return o;
}

/*
 * The SDK's diagnostics go to stderr at the chosen level. The exporters
 * report an OTLP partial success only as a diag warning, so warnings are
 * always taken in and the last partial success is kept for the recorder.
 */
const diagState = { installed: false, partial: null };

function setLogLevel(level = 'error') {
    const levels = {
        none: api.DiagLogLevel.NONE, error: api.DiagLogLevel.ERROR,
        warn: api.DiagLogLevel.WARN, info: api.DiagLogLevel.INFO,
        debug: api.DiagLogLevel.DEBUG,
    };
    if (!(level in levels)) throw new Error(`bad --log-level: ${level}`);
    const print = levels[level];
    const w = (tag, lvl) => (...a) => {
        if (tag === 'warn' && String(a[0]).startsWith(
            'Received Partial Success response')) {
            try {
                diagState.partial = JSON.parse(a[1]);
            } catch (e) {
                diagState.partial = { raw: String(a[1]) };
            }
        }
        if (lvl <= print) {
            process.stderr.write(
                `[otel_client] ${tag} ${a.map(String).join(' ')}\n`);
        }
    };
    const L = api.DiagLogLevel;
    api.diag.setLogger({ error: w('error', L.ERROR), warn: w('warn', L.WARN),
        info: w('info', L.INFO), debug: w('debug', L.DEBUG),
        verbose: w('verbose', L.VERBOSE) },
    { logLevel: Math.max(print, L.WARN), suppressOverrideMessage: true });
    diagState.installed = true;
}

function readScenario(file) {
    const text = file === '-' ? fs.readFileSync(0, 'utf8')
        : fs.readFileSync(file, 'utf8');
    return JSON.parse(text);
}

function formatFor(o) {
    if (o.format) return o.format;
    const ext = path.extname(o.out || '').toLowerCase();
    return ext === '.pb' || ext === '.bin' ? 'proto' : 'json';
}

/* Encode planned requests in a file format: Buffer or string. */
function encodeRequests(requests, format) {
    if (format === 'json') return toOtlpJsonLines(requests);
    if (format === 'proto') return toOtlpProtoDelimited(requests);
    if (format === 'proto-bare') return toOtlpProtoBare(requests);
    throw new Error(`bad --format: ${format}`);
}

async function main(argv) {
    let o;
    try {
        o = parseCli(argv);
        if (o.help) {
            process.stdout.write(USAGE + '\n');
            return 0;
        }
        setLogLevel(o.logLevel);
    } catch (e) {
        process.stderr.write(`otel_client: ${e.message}\n${USAGE}\n`);
        return 2;
    }
    let traces, requests;
    try {
        traces = buildTraces(readScenario(o.scenario), o);
        requests = planRequests(traces, o);
    } catch (e) {
        process.stderr.write(`otel_client: ${e.message}\n`);
        return 2;
    }
    const summary = {
        traceIds: traces.map((t) => t.traceId),
        spans: requests.reduce((n, r) => n + r.length, 0),
        requests: requests.length,
    };
    if (o.out) {
        const data = encodeRequests(requests, formatFor(o));
        if (o.out === '-') process.stdout.write(data);
        else fs.writeFileSync(o.out, data);
    }
    let status = 0;
    if (o.exporter) {
        const sent = await sendRequests(requests, o);
        summary.sent = sent;
        if (sent.failed > 0 || sent.spans !== summary.spans) status = 1;
    }
    if (o.out !== '-') process.stdout.write(JSON.stringify(summary) + '\n');
    return status;
}

module.exports = {
    SeededIdGenerator,
    buildTrace,
    buildTraces,
    orderSpans,
    splitSpans,
    planRequests,
    toOtlpJsonLines,
    toOtlpProtoDelimited,
    toOtlpProtoBare,
    encodeRequests,
    makeExporter,
    sendRequests,
    main,
};

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    }, (e) => {
        process.stderr.write(`otel_client: ${e.stack || e}\n`);
        process.exitCode = 2;
    });
}
