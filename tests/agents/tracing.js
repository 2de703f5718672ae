/*
 * tracing.js - the OpenTelemetry SDK set-up of an instrumented agent process
 * (run_workflow.js), as an application does it at start-up:
 * NodeTracerProvider (AsyncLocalStorage context manager), a
 * BatchSpanProcessor feeding an OTLP exporter, and a second processor that
 * keeps every finished span for the capture file.
 *
 * The OTLP exporter can be switched between OTLP/HTTP (JSON, as
 * exporter-trace-otlp-http sends it) and OTLP/gRPC between runs, so one
 * process exports its runs over both protocols. `captured(traceId)` gives a
 * run's spans; `jsonLine(spans)` encodes them as one OTLP/JSON
 * ExportTraceServiceRequest (JsonTraceSerializer), the line format of
 * `dagprof report`.
 */
'use strict';

const api = require('@opentelemetry/api');
const { NodeTracerProvider, BatchSpanProcessor } =
    require('@opentelemetry/sdk-trace-node');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPTraceExporter: HttpExporter } =
    require('@opentelemetry/exporter-trace-otlp-http');
const { OTLPTraceExporter: GrpcExporter } =
    require('@opentelemetry/exporter-trace-otlp-grpc');
const { JsonTraceSerializer } = require('@opentelemetry/otlp-transformer');

/* An exporter that forwards to the protocol chosen with use(). */
class SwitchExporter {
    constructor(targets) {
        this.targets = targets; /* { http, grpc } (either may be absent) */
        this.current = null;
        this.results = [];
    }

    use(protocol) {
        if (protocol && !this.targets[protocol]) {
            throw new Error(`no ${protocol} exporter configured`);
        }
        this.current = protocol ? this.targets[protocol] : null;
    }

    export(spans, done) {
        if (!this.current) return done({ code: 0 });
        this.current.export(spans, (r) => {
            this.results.push({ spans: spans.length, code: r.code,
                error: r.error ? String(r.error.message || r.error) : null });
            done(r);
        });
    }

    async forceFlush() {
        for (const t of Object.values(this.targets)) {
            if (t && t.forceFlush) await t.forceFlush();
        }
    }

    async shutdown() {
        for (const t of Object.values(this.targets)) {
            if (t) await t.shutdown();
        }
    }
}

/* Keeps every ended span (in end order). */
class CaptureProcessor {
    constructor() { this.spans = []; }
    onStart() {}
    onEnd(span) { this.spans.push(span); }
    forceFlush() { return Promise.resolve(); }
    shutdown() { return Promise.resolve(); }
}

/*
 * opts: { serviceName, serviceVersion, httpEndpoint (…/v1/traces),
 * grpcEndpoint (http://127.0.0.1:port), scheduledDelayMillis }.
 */
function setupTracing(opts) {
    const targets = {};
    if (opts.httpEndpoint) {
        targets.http = new HttpExporter({ url: opts.httpEndpoint,
            timeoutMillis: 10000 });
    }
    if (opts.grpcEndpoint) {
        targets.grpc = new GrpcExporter({ url: opts.grpcEndpoint,
            timeoutMillis: 10000 });
    }
    const exporter = new SwitchExporter(targets);
    const capture = new CaptureProcessor();
    const provider = new NodeTracerProvider({
        resource: resourceFromAttributes({
            'service.name': opts.serviceName,
            'service.version': opts.serviceVersion || '1.0.0',
        }),
        spanProcessors: [
            new BatchSpanProcessor(exporter, {
                scheduledDelayMillis: opts.scheduledDelayMillis || 100,
                maxExportBatchSize: 512,
            }),
            capture,
        ],
    });
    provider.register();
    return {
        provider,
        exporter,
        capture,
        tracer: api.trace.getTracer('dagprof-agents-app', '0.1.0'),
        captured: (traceId) => capture.spans.filter((s) =>
            s.spanContext().traceId === traceId),
        flush: () => provider.forceFlush(),
        shutdown: () => provider.shutdown(),
    };
}

function jsonLine(spans) {
    return Buffer.from(JsonTraceSerializer.serializeRequest(spans))
        .toString('utf8');
}

module.exports = { setupTracing, jsonLine };
