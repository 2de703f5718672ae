/*
 * harness.js - what dagprof's `serve` integration tests share.
 *
 * It sits between the tests (serve_*.test.js) and the two real programs they
 * drive: the `dagprof` binary under test (DAGPROF_BIN, set by CTest) and the
 * official OpenTelemetry JS SDK, reached through otel_client.js. It starts
 * `dagprof serve` on free loopback ports, waits for its "ready" log line,
 * collects the JSON-line profiles it prints, answers /healthz, and stops it
 * with SIGTERM within a bound. It also sends raw OTLP requests (HTTP/1.1 and
 * gRPC with a pass-through serializer) for the error replies the SDK never
 * produces, and runs `dagprof report` on OTLP files for the offline side of
 * the comparisons. Every address is 127.0.0.1; every wait is bounded.
 * Every profile the daemon prints is validated against
 * docs/profile.schema.json (ajv) as it arrives.
 */
'use strict';

const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

const HERE = __dirname;
const ROOT = path.resolve(HERE, '..', '..');

/* ------------------------------------------------------ prerequisites -- */

/*
 * The SDK packages come from `npm ci` (scripts/setup.sh). Missing packages
 * are a test failure with a message saying how to install them, never a
 * skip.
 */
function requireSdk() {
    const need = [
        '@opentelemetry/exporter-trace-otlp-grpc',
        '@opentelemetry/exporter-trace-otlp-proto',
        '@opentelemetry/exporter-trace-otlp-http',
        '@opentelemetry/otlp-transformer',
        '@grpc/grpc-js',
        'ajv',
    ];
    const missing = need.filter((m) => {
        try {
            require.resolve(m, { paths: [HERE] });
            return false;
        } catch (e) {
            return true;
        }
    });
    if (missing.length) {
        throw new Error(`integration tests: missing npm packages (${missing
            .join(', ')}) in ${path.join(HERE, 'node_modules')}; run ` +
            'scripts/setup.sh (it runs `npm ci` in tests/integration)');
    }
}
requireSdk();

const grpc = require('@grpc/grpc-js');
const {
    JsonTraceSerializer,
    ProtobufTraceSerializer,
} = require('@opentelemetry/otlp-transformer');
const client = require('./otel_client');
const Ajv = require('ajv');

/* ------------------------------------------------------ profile schema -- */

const SCHEMA_FILE = path.join(ROOT, 'docs', 'profile.schema.json');
const PROFILE_SCHEMA = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
const ajv = new Ajv({ allErrors: true });
const validateProfile = ajv.compile(PROFILE_SCHEMA);

/* Null when profile satisfies docs/profile.schema.json, else the schema
 * errors as one message naming each failing path and keyword. */
function profileSchemaErrors(profile) {
    if (validateProfile(profile)) return null;
    return ajv.errorsText(validateProfile.errors, { separator: '; ' }) +
        ` (${SCHEMA_FILE})`;
}

/* The dagprof binary: DAGPROF_BIN (CTest sets it), else build/src/dagprof. */
function dagprofBin() {
    const bin = process.env.DAGPROF_BIN ||
        path.join(ROOT, 'build', 'src', 'dagprof');
    if (!fs.existsSync(bin)) {
        throw new Error(`dagprof binary not found: ${bin} (build it, or set ` +
            'DAGPROF_BIN)');
    }
    return bin;
}

/* True when the binary is an AddressSanitizer build (slower start-up). */
function isSanitized(bin) {
    try {
        return fs.readFileSync(bin).includes('__asan_init');
    } catch (e) {
        return false;
    }
}

const BIN = dagprofBin();
const SANITIZED = isSanitized(BIN);
/* Wall-clock bounds stretch under ASan; assertions on timing stay loose. */
const SLOW = SANITIZED ? 3 : 1;

/* ------------------------------------------------------------ helpers -- */

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/*
 * Polls fn (sync or async) every intervalMs until it returns a truthy value,
 * which is returned; throws with `what` after timeoutMs.
 */
async function waitFor(fn, what, timeoutMs = 10000, intervalMs = 20) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (let i = 0; ; i++) {
        last = await fn();
        if (last) return last;
        if (Date.now() >= deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${
                what} (${i + 1} polls)`);
        }
        await sleep(intervalMs);
    }
}

/* A free loopback TCP port: bind port 0, read it, release it. */
function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

function tmpDir() {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'dagprof-it-'));
}

/* A scenario file under scenarios/ or examples/, parsed. */
function loadScenario(name) {
    const candidates = [path.join(HERE, 'scenarios', name),
        path.join(ROOT, 'examples', name)];
    const file = candidates.find((f) => fs.existsSync(f));
    if (!file) throw new Error(`scenario not found: ${name}`);
    return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/* A profile without its wall-clock stamp, for comparisons. */
function stripVolatile(profile) {
    const p = Object.assign({}, profile);
    delete p.profiledAt;
    return p;
}

/* ------------------------------------------------------------- daemon -- */

/*
 * Daemons still running when a test file ends (a failed assertion skipped
 * its stop) are killed, so the file's process can exit and report: each
 * test file calls after(h.killAll).
 */
const live = new Set();
function killAll() {
    for (const d of live) {
        d.closeGrpc();
        try {
            d.child.kill('SIGKILL');
        } catch (e) { /* already gone */ }
    }
}
process.on('exit', killAll);

const READY_RE = /\[serve\] ready: otlp\/grpc \S+ port (\d+), otlp\/http \S+ port (\d+)/;

/*
 * One running `dagprof serve`. Profiles printed on stdout are parsed as they
 * arrive into `profiles` ({ profile, at } with at = Date.now()); stderr is
 * kept in `log`. Each one is validated against docs/profile.schema.json
 * here, the one place every test's profiles pass through: a profile that
 * does not validate makes every later read of `profiles` (and so every
 * wait and lookup below) throw the schema errors.
 */
class Daemon {
    constructor(child, grpcPort, httpPort) {
        this.child = child;
        this.pid = child.pid;
        this.grpcPort = grpcPort;
        this.httpPort = httpPort;
        this.allProfiles = [];
        this.schemaErrors = [];
        this.log = '';
        this.stdoutRest = '';
        this.badLines = [];
        this.exit = null; /* { code, signal } once closed */
        this.closed = new Promise((resolve) => {
            child.on('close', (code, signal) => {
                this.exit = { code, signal };
                live.delete(this);
                resolve(this.exit);
            });
        });
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk) => this.onStdout(chunk));
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk) => {
            this.log += chunk;
            if (process.env.DAGPROF_IT_VERBOSE) process.stderr.write(chunk);
        });
        this.grpcClient = null;
    }

    onStdout(chunk) {
        const lines = (this.stdoutRest + chunk).split('\n');
        this.stdoutRest = lines.pop();
        for (const line of lines) {
            if (!line.trim()) continue;
            let profile;
            try {
                profile = JSON.parse(line);
            } catch (e) {
                this.badLines.push(line);
                continue;
            }
            const err = profileSchemaErrors(profile);
            if (err) {
                this.schemaErrors.push(`profile ${this.allProfiles.length} ` +
                    `(trace ${profile && profile.traceId}): ${err}`);
            }
            this.allProfiles.push({ profile, at: Date.now() });
        }
    }

    /* The profiles so far; throws when one of them broke the schema. */
    get profiles() {
        if (this.schemaErrors.length) {
            throw new Error('dagprof serve printed a profile that does not ' +
                `validate:\n${this.schemaErrors.join('\n')}`);
        }
        return this.allProfiles;
    }

    get httpUrl() { return `http://127.0.0.1:${this.httpPort}`; }
    get grpcUrl() { return `http://127.0.0.1:${this.grpcPort}`; }

    /* The last lines of the daemon's log, for assertion messages. */
    logTail(n = 25) {
        return this.log.split('\n').slice(-n).join('\n');
    }

    /* Profiles of one trace id (all of them: tests assert there is one). */
    profilesOf(traceId) {
        return this.profiles.filter((p) => p.profile.traceId === traceId)
            .map((p) => p.profile);
    }

    /* Waits until `n` profiles in total have been printed. */
    async waitProfiles(n, timeoutMs = 10000 * SLOW) {
        await waitFor(() => this.profiles.length >= n || this.exit,
            `${n} profile(s)`, timeoutMs);
        return this.profiles.map((p) => p.profile);
    }

    /* Waits for the profile of traceId and returns { profile, at }. */
    async waitProfileOf(traceId, timeoutMs = 10000 * SLOW) {
        return waitFor(() => this.profiles.find((p) =>
            p.profile.traceId === traceId), `the profile of ${traceId}`,
        timeoutMs);
    }

    /* GET /healthz, parsed. */
    async healthz() {
        const r = await httpRequest(this.httpPort, { method: 'GET',
            path: '/healthz' });
        assert.equal(r.status, 200, `/healthz: ${r.body}`);
        return JSON.parse(r.body.toString('utf8'));
    }

    /* Waits until /healthz shows no span waiting in a shard queue. */
    async settled(pred = () => true, what = 'queues to drain',
        timeoutMs = 10000 * SLOW) {
        return waitFor(async () => {
            const h = await this.healthz();
            return h.spans_queued === 0 && pred(h) ? h : null;
        }, what, timeoutMs, 25);
    }

    /* Peak resident set size (VmHWM) in KiB, from /proc. */
    peakRssKiB() {
        const st = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
        const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(st);
        return m ? Number(m[1]) : null;
    }

    /*
     * Sends signal and waits for the process to exit and its stdout to
     * close, at most timeoutMs (then SIGKILL and throw). Returns
     * { code, signal, ms }.
     */
    async stop(signal = 'SIGTERM', timeoutMs = 15000 * SLOW) {
        this.closeGrpc();
        if (this.exit) return Object.assign({ ms: 0 }, this.exit);
        const t0 = Date.now();
        this.child.kill(signal);
        let timer;
        const timeout = new Promise((resolve) => {
            timer = setTimeout(() => resolve(null), timeoutMs);
        });
        const res = await Promise.race([this.closed, timeout]);
        clearTimeout(timer);
        if (!res) {
            this.child.kill('SIGKILL');
            await this.closed;
            throw new Error(`dagprof serve did not exit within ${timeoutMs
            } ms of ${signal}; log:\n${this.logTail()}`);
        }
        return Object.assign({ ms: Date.now() - t0 }, res);
    }

    /* Stops with signal (SIGTERM) and asserts a clean exit (code 0, so no
     * sanitizer report either) with only JSON lines on stdout. */
    async stopClean(timeoutMs, signal = 'SIGTERM') {
        const r = await this.stop(signal, timeoutMs);
        assert.equal(r.code, 0, `dagprof serve exit ${r.code}/${r.signal
        }; log:\n${this.logTail(60)}`);
        assert.deepEqual(this.badLines, [], 'stdout lines that are not JSON');
        assert.deepEqual(this.schemaErrors, [],
            'profiles that do not validate against the schema');
        return r;
    }

    /* A raw gRPC client for this daemon (closed by stop()). */
    grpc() {
        if (!this.grpcClient) {
            this.grpcClient = new grpc.Client(`127.0.0.1:${this.grpcPort}`,
                grpc.credentials.createInsecure());
        }
        return this.grpcClient;
    }

    closeGrpc() {
        if (this.grpcClient) this.grpcClient.close();
        this.grpcClient = null;
    }
}

/*
 * Starts `dagprof serve` on two free loopback ports with extra flags
 * (e.g. ['--grace', '500ms']) and resolves once its "ready" line is logged.
 * A port taken between picking and binding is retried with new ports (at
 * most 3 tries).
 */
async function startServe(flags = [], opts = {}) {
    let lastErr;
    for (let attempt = 0; attempt < 3; attempt++) {
        const grpcPort = await freePort();
        let httpPort = await freePort();
        for (let i = 0; httpPort === grpcPort && i < 5; i++) {
            httpPort = await freePort();
        }
        const args = ['serve', '--grpc-endpoint', `127.0.0.1:${grpcPort}`,
            '--http-endpoint', `127.0.0.1:${httpPort}`,
            '--log-level', 'info'].concat(flags);
        /* The history store is off unless a test turns it on (it would
         * otherwise be written to dagprof-data/ in the working directory). */
        const child = spawn(BIN, args, {
            stdio: ['ignore', 'pipe', 'pipe'],
            env: Object.assign({ DAGPROF_HISTORY_ENABLED: 'false' },
                process.env, opts.env || {}),
        });
        const d = new Daemon(child, grpcPort, httpPort);
        live.add(d);
        try {
            const m = await waitFor(() => d.exit ? 'exited'
                : READY_RE.exec(d.log), 'the "ready" log line',
            15000 * SLOW, 10);
            if (m === 'exited') {
                throw new Error(`dagprof serve exited (${d.exit.code}) ` +
                    `before ready:\n${d.logTail()}`);
            }
            assert.equal(Number(m[1]), grpcPort, 'gRPC port in ready line');
            assert.equal(Number(m[2]), httpPort, 'HTTP port in ready line');
            return d;
        } catch (e) {
            lastErr = e;
            if (!d.exit) await d.stop('SIGKILL').catch(() => {});
            if (!/endpoint|bind|address/i.test(d.log)) throw e;
        }
    }
    throw lastErr;
}

/* --------------------------------------------------------- raw sends -- */

/*
 * One HTTP/1.1 request on a new connection. opts: { method, path, headers,
 * body (Buffer|string), timeoutMs }. Resolves { status, headers, body }.
 */
function httpRequest(port, opts = {}) {
    return new Promise((resolve, reject) => {
        const body = opts.body === undefined ? null
            : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
        const headers = Object.assign({}, opts.headers || {});
        if (body && headers['Content-Length'] === undefined) {
            headers['Content-Length'] = body.length;
        }
        const req = http.request({
            host: '127.0.0.1', port, method: opts.method || 'POST',
            path: opts.path || '/v1/traces', headers, agent: opts.agent || false,
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode,
                headers: res.headers, body: Buffer.concat(chunks) }));
            res.on('error', reject);
        });
        req.setTimeout(opts.timeoutMs || 10000 * SLOW, () => {
            req.destroy(new Error(`HTTP ${opts.method || 'POST'} ${
                opts.path || '/v1/traces'} timed out`));
        });
        req.on('error', reject);
        /* The server may answer (413) before it has read the whole body:
         * a write error after that is not the request's outcome. */
        if (body) req.write(body, () => {});
        req.end();
    });
}

/* POST an OTLP protobuf body to /v1/traces. */
function postProto(port, body, extraHeaders = {}) {
    return httpRequest(port, { body, headers: Object.assign(
        { 'Content-Type': 'application/x-protobuf' }, extraHeaders) });
}

/* POST an OTLP/JSON body to /v1/traces. */
function postJson(port, body, extraHeaders = {}) {
    return httpRequest(port, { body, headers: Object.assign(
        { 'Content-Type': 'application/json' }, extraHeaders) });
}

const EXPORT_METHOD =
    '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/*
 * One unary gRPC Export call with a raw Buffer body (no serializer of its
 * own). Resolves { code, details, response: Buffer|null }.
 */
function grpcExport(grpcClient, body, opts = {}) {
    return new Promise((resolve) => {
        const callOpts = { deadline: Date.now() + (opts.timeoutMs ||
            10000 * SLOW) };
        grpcClient.makeUnaryRequest(EXPORT_METHOD, (b) => b, (b) => b, body,
            new grpc.Metadata(), callOpts, (err, response) => {
                if (err) {
                    resolve({ code: err.code, details: err.details,
                        response: null });
                } else {
                    resolve({ code: grpc.status.OK, details: '', response });
                }
            });
    });
}

/* ExportTraceServiceResponse (protobuf) -> { partialSuccess? }. */
function decodeProtoResponse(buf) {
    return ProtobufTraceSerializer.deserializeResponse(new Uint8Array(buf));
}

/* rejectedSpans of a decoded response (int64: number or string), or 0. */
function rejectedSpans(resp) {
    const ps = resp && resp.partialSuccess;
    if (!ps || ps.rejectedSpans === undefined || ps.rejectedSpans === null) {
        return 0;
    }
    return Number(ps.rejectedSpans.toString());
}

/* ------------------------------------------------------------- traces -- */

/*
 * Builds the traces of a scenario with the SDK (see otel_client.buildTraces)
 * with a seed of the test's own, so every test has distinct trace ids.
 */
function buildTraces(scenario, seed, opts = {}) {
    return client.buildTraces(scenario, Object.assign({ seed }, opts));
}

/* Serialized request bodies for a list of SDK spans. */
function protoBody(spans) {
    return Buffer.from(ProtobufTraceSerializer.serializeRequest(spans));
}
function jsonBody(spans) {
    return Buffer.from(JsonTraceSerializer.serializeRequest(spans));
}

/*
 * A copy of an SDK span whose ids are replaced (hex strings; a short trace
 * id makes the span invalid for OTLP). The serializers read ids through
 * spanContext() only.
 */
function withIds(span, ids) {
    const ctx = Object.assign({}, span.spanContext(), ids);
    return Object.create(span, { spanContext: { value: () => ctx } });
}

/*
 * Sends requests (arrays of SDK spans) with a real SDK exporter
 * ('grpc' | 'proto' | 'http') to the daemon, one export call per request,
 * and asserts that every export succeeded.
 */
async function sdkSend(d, exporter, requests, opts = {}) {
    const endpoint = exporter === 'grpc' ? d.grpcUrl : `${d.httpUrl}/v1/traces`;
    const res = await client.sendRequests(requests, Object.assign({
        exporter, endpoint, timeoutMillis: 10000 * SLOW }, opts));
    assert.equal(res.failed, 0, `${exporter} export failed: ${
        JSON.stringify(res.results)}\n${d.logTail()}`);
    assert.equal(res.requests, requests.length, `${exporter} export calls`);
    return res;
}

/*
 * The offline side: writes the requests with otel_client's file encoder
 * (format 'json' = OTLP/JSON lines, 'proto' = length-delimited protobuf),
 * runs `dagprof report --output json` on it and returns the profiles.
 * Each is validated against docs/profile.schema.json, as the daemon's are.
 */
function offlineReport(requests, format = 'json') {
    const dir = tmpDir();
    try {
        const file = path.join(dir, format === 'json' ? 'trace.jsonl'
            : 'trace.pb');
        fs.writeFileSync(file, client.encodeRequests(requests, format));
        const r = spawnSync(BIN, ['report', '--output', 'json', file], {
            encoding: 'utf8', timeout: 30000 * SLOW });
        assert.equal(r.status, 0, `dagprof report: ${r.stderr}`);
        return r.stdout.split('\n').filter((l) => l.trim()).map((l, i) => {
            const p = JSON.parse(l);
            const err = profileSchemaErrors(p);
            assert.equal(err, null, `dagprof report: profile ${i} (trace ${
                p.traceId}) does not validate`);
            return p;
        });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/*
 * Profiles read from a file or pipe a daemon wrote (`--output`, a jsonl
 * exporter): complete JSON lines, each parsed and validated against
 * docs/profile.schema.json like the ones the daemon prints on stdout.
 */
function parseProfiles(lines, what) {
    return lines.filter((l) => l.trim()).map((l, i) => {
        const p = JSON.parse(l);
        const err = profileSchemaErrors(p);
        assert.equal(err, null, `${what}: profile ${i} (trace ${p.traceId
        }) does not validate`);
        return p;
    });
}

/* Asserts a live profile equals the offline one (ignoring profiledAt). */
function assertSameProfile(liveProfile, offline, what) {
    assert.ok(liveProfile, `${what}: no live profile`);
    assert.deepStrictEqual(stripVolatile(liveProfile), stripVolatile(offline),
        `${what}: live profile differs from dagprof report`);
}

/* Deflate helpers for Content-Encoding: gzip bodies. */
const gzip = (buf) => zlib.gzipSync(buf);

module.exports = {
    BIN,
    SANITIZED,
    SLOW,
    sleep,
    waitFor,
    freePort,
    tmpDir,
    loadScenario,
    stripVolatile,
    SCHEMA_FILE,
    PROFILE_SCHEMA,
    profileSchemaErrors,
    startServe,
    killAll,
    Daemon,
    httpRequest,
    postProto,
    postJson,
    grpcExport,
    decodeProtoResponse,
    rejectedSpans,
    buildTraces,
    protoBody,
    jsonBody,
    withIds,
    sdkSend,
    offlineReport,
    parseProfiles,
    assertSameProfile,
    gzip,
    client,
    grpc,
};
