/*
 * serve_tls.test.js - TLS and bearer tokens on both receivers, with the
 * OpenTelemetry JS SDK exporters as the clients.
 *
 * A throwaway CA, server certificate (for 127.0.0.1 and localhost),
 * client CA and client certificate, and a foreign CA with its own client
 * certificate are made here with the `openssl` command. Then:
 *  - TLS + tokens: the gRPC, HTTP/protobuf and HTTP/JSON exporters over
 *    TLS with the token are profiled; without the token gRPC answers
 *    UNAUTHENTICATED and HTTP 401 (body "unauthenticated", nothing more);
 *    a client that does not trust the CA, or speaks plaintext, gets no
 *    export through; GET /healthz is open, /metrics needs the token
 *    (auth.healthz / auth.metrics), a wrong or missing token on /metrics is
 *    401, and auth.receivers false lets exports through without one;
 *  - mutual TLS: with client_ca_file, exporters presenting the client
 *    certificate are profiled, none or a foreign one is refused;
 *  - SIGHUP: a new tokens file and a certificate from a new CA are picked
 *    up without a restart (the old token then fails, clients trusting the
 *    new CA succeed on both receivers), and a broken certificate file at
 *    reload keeps the working one.
 * Every wait is bounded; every address is 127.0.0.1.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');

const h = require('./harness');

after(h.killAll);

function openssl(dir, args) {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/* A CA and, signed by it, a certificate named `name` for the server
 * (SAN 127.0.0.1, localhost) or a client. Returns the PEM texts. */
function makeCa(dir, ca) {
    openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout',
        `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj',
        `/CN=${ca}`]);
}
function makeCert(dir, ca, name, server) {
    openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout',
        `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    const ext = path.join(dir, `${name}.ext`);
    fs.writeFileSync(ext, server
        ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' +
            'extendedKeyUsage=serverAuth\n'
        : 'extendedKeyUsage=clientAuth\n');
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`,
        '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`,
        '-days', '2', '-extfile', ext]);
}

const DIR = h.tmpDir();
makeCa(DIR, 'ca');
makeCert(DIR, 'ca', 'server', true);
makeCa(DIR, 'clientca');
makeCert(DIR, 'clientca', 'client', false);
makeCa(DIR, 'foreign');
makeCert(DIR, 'foreign', 'stranger', false);
makeCa(DIR, 'ca2');
makeCert(DIR, 'ca2', 'server2', true);
const pem = (n) => fs.readFileSync(path.join(DIR, n), 'utf8');
const file = (n) => path.join(DIR, n);
const TOKEN = 'tok-3f9a1c-first';
const TOKEN2 = 'tok-7b22e0-second';

/* Copies of the server's files that SIGHUP tests may replace. */
function serverFiles(tag) {
    for (const ext of ['pem', 'key']) {
        fs.copyFileSync(file(`server.${ext}`), file(`live-${tag}.${ext}`));
    }
    fs.writeFileSync(file(`tokens-${tag}`), `# tokens\n${TOKEN}\n`);
    return {
        cert: file(`live-${tag}.pem`), key: file(`live-${tag}.key`),
        tokens: file(`tokens-${tag}`),
    };
}

function tlsFlags(f, extra = []) {
    return ['--grpc-tls-cert-file', f.cert, '--grpc-tls-key-file', f.key,
        '--http-tls-cert-file', f.cert, '--http-tls-key-file', f.key,
        '--bearer-tokens-file', f.tokens, '--grace', '200ms'].concat(extra);
}

/* One HTTPS request: { status, headers, body } or { error }. */
function httpsGet(port, p, opts = {}) {
    return new Promise((resolve) => {
        const req = https.request({ host: '127.0.0.1', port, path: p,
            method: opts.method || 'GET', headers: opts.headers || {},
            ca: opts.ca === undefined ? pem('ca.pem') : opts.ca,
            cert: opts.cert, key: opts.key, agent: false,
            timeout: 10000 * h.SLOW }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode,
                headers: res.headers, body: Buffer.concat(chunks).toString() }));
        });
        req.on('error', (e) => resolve({ error: e.code || e.message }));
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.end(opts.body);
    });
}

const SCENARIO = h.loadScenario('code-review.scenario.json');
let seedN = 0;

/* Sends one new trace with a real SDK exporter over TLS. Returns
 * { traceId, res } (res as otel_client.sendRequests). */
async function send(d, exporter, opts = {}) {
    const built = h.buildTraces(SCENARIO, `tls-${exporter}-${seedN++}`)[0];
    const endpoint = exporter === 'grpc'
        ? `https://127.0.0.1:${d.grpcPort}`
        : `https://127.0.0.1:${d.httpPort}/v1/traces`;
    const res = await h.client.sendRequests([built.spans], {
        exporter, endpoint, timeoutMillis: 5000 * h.SLOW,
        tls: opts.tls === undefined ? { ca: pem('ca.pem') } : opts.tls,
        headers: opts.token === null ? {}
            : { Authorization: `Bearer ${opts.token || TOKEN}` },
    });
    return { traceId: built.traceId, res };
}

async function assertProfiled(d, exporter, opts) {
    const { traceId, res } = await send(d, exporter, opts);
    assert.equal(res.failed, 0, `${exporter}: ${JSON.stringify(res.results)}`);
    const { profile } = await d.waitProfileOf(traceId);
    assert.equal(profile.dagId, 'code-review-dag');
    assert.equal(profile.spanCount, res.spans);
    return profile;
}

async function assertRefused(d, exporter, opts, what) {
    const { traceId, res } = await send(d, exporter, opts);
    assert.ok(res.failed > 0, `${exporter} ${what}: an export got through`);
    await h.sleep(400);
    assert.equal(d.profilesOf(traceId).length, 0, `${what}: profiled`);
    return res.results.find((r) => !r.ok);
}

test('TLS and bearer tokens: SDK exporters over TLS with the token are ' +
    'profiled; without it, or without the CA, nothing gets in', async () => {
    const f = serverFiles('a');
    const d = await h.startServe(tlsFlags(f));
    assert.match(d.log, /tls grpc\+http, 1 bearer token\(s\)/);
    for (const e of ['grpc', 'proto', 'http']) await assertProfiled(d, e);

    /* No token: UNAUTHENTICATED / 401, and nothing more is said. */
    const g = await assertRefused(d, 'grpc', { token: null }, 'no token');
    assert.equal(g.code, h.grpc.status.UNAUTHENTICATED, JSON.stringify(g));
    assert.match(g.error, /unauthenticated/);
    const p = await assertRefused(d, 'proto', { token: 'wrong' },
        'wrong token');
    assert.match(p.error, /401|Unauthorized/i, JSON.stringify(p));
    const raw = await httpsGet(d.httpPort, '/v1/traces', { method: 'POST',
        headers: { 'Content-Type': 'application/json',
            Authorization: `Bearer ${TOKEN}x` }, body: '{}' });
    assert.equal(raw.status, 401);
    assert.equal(raw.body, 'unauthenticated\n');
    assert.equal(raw.headers['www-authenticate'], 'Bearer');

    /* A client that does not trust the CA, or speaks plaintext. */
    await assertRefused(d, 'grpc', { tls: { ca: pem('foreign.pem') } },
        'untrusted CA');
    await assertRefused(d, 'http', { tls: { ca: pem('foreign.pem') } },
        'untrusted CA');
    const plain = await h.client.sendRequests(
        [h.buildTraces(SCENARIO, 'tls-plain')[0].spans], { exporter: 'proto',
            endpoint: `http://127.0.0.1:${d.httpPort}/v1/traces`,
            timeoutMillis: 3000, headers: { Authorization: `Bearer ${TOKEN}` },
        });
    assert.ok(plain.failed > 0, 'plaintext HTTP got through');

    /* /healthz open for probes, /metrics behind the token (the defaults). */
    const hz = await httpsGet(d.httpPort, '/healthz');
    assert.equal(hz.status, 200);
    /* No token, and an unknown path: 401 before anything about routes. */
    assert.equal((await httpsGet(d.httpPort, '/nope')).status, 401);
    const hzStats = JSON.parse(hz.body);
    assert.equal(hzStats.profiles_emitted, 3);
    await d.stopClean();
});

test('auth switches: /metrics open or closed, /healthz closed, exports ' +
    'without a token when auth.receivers is false', async () => {
    const f = serverFiles('b');
    const cfg = path.join(DIR, 'auth-b.yaml');
    fs.writeFileSync(cfg, 'exporters:\n  jsonl: { path: "-" }\n' +
        '  prometheus: {}\n');
    let d = await h.startServe(['--config', cfg].concat(tlsFlags(f,
        ['--auth-healthz', 'true', '--auth-receivers', 'false'])));
    assert.equal((await httpsGet(d.httpPort, '/healthz')).status, 401);
    assert.equal((await httpsGet(d.httpPort, '/metrics')).status, 401);
    const bad = await httpsGet(d.httpPort, '/metrics', {
        headers: { Authorization: 'Bearer nope' } });
    assert.equal(bad.status, 401);
    const m = await httpsGet(d.httpPort, '/metrics', {
        headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(m.status, 200);
    assert.match(m.body, /^dagprof_spans_received_total /m);
    await assertProfiled(d, 'grpc', { token: null });
    await assertProfiled(d, 'http', { token: null });
    await d.stopClean();

    d = await h.startServe(['--config', cfg].concat(tlsFlags(f,
        ['--auth-metrics', 'false'])));
    assert.equal((await httpsGet(d.httpPort, '/metrics')).status, 200);
    await d.stopClean();
});

test('mutual TLS: only clients with a certificate from client_ca_file ' +
    'get in', async () => {
    const f = serverFiles('c');
    const d = await h.startServe(tlsFlags(f, [
        '--grpc-tls-client-ca-file', file('clientca.pem'),
        '--http-tls-client-ca-file', file('clientca.pem')]));
    assert.match(d.log, /TLS with client certificates/);
    const mine = { ca: pem('ca.pem'), cert: pem('client.pem'),
        key: pem('client.key') };
    const theirs = { ca: pem('ca.pem'), cert: pem('stranger.pem'),
        key: pem('stranger.key') };
    for (const e of ['grpc', 'proto']) {
        await assertProfiled(d, e, { tls: mine });
        await assertRefused(d, e, { tls: { ca: pem('ca.pem') } },
            'no client certificate');
        await assertRefused(d, e, { tls: theirs }, 'a foreign client ' +
            'certificate');
    }
    await d.stopClean();
});

test('SIGHUP reloads the tokens and the certificates; a broken file keeps ' +
    'the working one', async () => {
    const f = serverFiles('d');
    const d = await h.startServe(tlsFlags(f, ['--log-level', 'info']));
    await assertProfiled(d, 'proto');

    /* New token, new CA. */
    fs.writeFileSync(f.tokens, `${TOKEN2}\n`);
    fs.copyFileSync(file('server2.pem'), f.cert);
    fs.copyFileSync(file('server2.key'), f.key);
    d.child.kill('SIGHUP');
    await h.waitFor(() => /bearer_tokens_file: 1 token/.test(d.log) &&
        /http\.tls: reloaded/.test(d.log), 'the reload log lines',
    10000 * h.SLOW);
    const ca2 = { ca: pem('ca2.pem') };
    await assertRefused(d, 'grpc', { tls: ca2 }, 'the old token');
    await assertProfiled(d, 'grpc', { tls: ca2, token: TOKEN2 });
    await assertProfiled(d, 'proto', { tls: ca2, token: TOKEN2 });
    await assertRefused(d, 'proto', { token: TOKEN2 }, 'the old CA');

    /* A half-written rotation: the certificate does not match the key.
     * Both receivers keep serving the working one. */
    fs.copyFileSync(file('server.pem'), f.cert);
    fs.writeFileSync(f.tokens, '\n');
    d.child.kill('SIGHUP');
    await h.waitFor(() => /http\.tls: reload failed, keeping/.test(d.log) &&
        /bearer_tokens_file: reload failed, keeping/.test(d.log),
    'the failed reload log lines', 10000 * h.SLOW);
    await assertProfiled(d, 'proto', { tls: ca2, token: TOKEN2 });
    await assertProfiled(d, 'grpc', { tls: ca2, token: TOKEN2 });
    assert.match(d.log, /grpc\] TLS reload failed, keeping the current/);
    await d.stopClean();
});

test('start-up refuses bad TLS settings, naming the key or file', () => {
    const run = (args) => spawnSync(h.BIN, ['serve', '--grpc-endpoint',
        '127.0.0.1:0', '--http-endpoint', '127.0.0.1:0'].concat(args),
    { encoding: 'utf8', timeout: 10000 });
    let r = run(['--http-tls-cert-file', file('server.pem')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /receivers\.otlp\.http\.tls\.cert_file is set but receivers\.otlp\.http\.tls\.key_file is not/);
    r = run(['--grpc-tls-cert-file', file('server.pem'),
        '--grpc-tls-key-file', file('client.key')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /client\.key/);
    r = run(['--bearer-tokens-file', file('nope')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /auth\.bearer_tokens_file: .*nope: cannot open/);
});

/* A TLS OTLP/gRPC sink for the Logs and Metrics services (raw bodies):
 * what the otlp exporter pushes. Resolves { port, calls, close }. */
async function tlsSink() {
    const grpc = h.grpc;
    const calls = [];
    const server = new grpc.Server();
    for (const svc of ['logs', 'metrics']) {
        const Svc = svc[0].toUpperCase() + svc.slice(1);
        const def = { Export: {
            path: `/opentelemetry.proto.collector.${svc}.v1.${Svc}Service/Export`,
            requestStream: false, responseStream: false,
            requestSerialize: (b) => b, requestDeserialize: (b) => b,
            responseSerialize: (b) => b, responseDeserialize: (b) => b,
        } };
        server.addService(def, { Export: (call, cb) => {
            calls.push({ svc, md: call.metadata.getMap(),
                bytes: call.request.length });
            cb(null, Buffer.alloc(0));
        } });
    }
    const creds = grpc.ServerCredentials.createSsl(null, [{
        cert_chain: Buffer.from(pem('server.pem')),
        private_key: Buffer.from(pem('server.key')) }], false);
    const port = await new Promise((resolve, reject) => server.bindAsync(
        '127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
    return { port, calls, close: () => server.forceShutdown() };
}

test('the otlp exporter pushes over TLS to an https:// endpoint, taking ' +
    'OTEL_EXPORTER_OTLP_* for the keys it leaves unset', async () => {
    const sink = await tlsSink();
    const cfg = path.join(DIR, 'push.yaml');
    fs.writeFileSync(cfg, 'exporters:\n  otlp: { timeout: 5s }\n' +
        '  jsonl: { path: "-" }\n');
    try {
        const d = await h.startServe(['--config', cfg, '--grace', '200ms'], {
            env: {
                OTEL_EXPORTER_OTLP_ENDPOINT: `https://127.0.0.1:${sink.port}`,
                OTEL_EXPORTER_OTLP_CERTIFICATE: file('ca.pem'),
                OTEL_EXPORTER_OTLP_HEADERS:
                    'Authorization=Bearer%20push-token,x-team=agents',
            } });
        assert.match(d.log, /OTLP\/gRPC push to 127\.0\.0\.1:\d+ \(TLS,/);
        const r = await h.postJson(d.httpPort, fs.readFileSync(path.join(
            __dirname, '..', '..', 'examples', 'code-review.jsonl'), 'utf8')
            .split('\n')[0]);
        assert.equal(r.status, 200);
        await h.waitFor(() => sink.calls.some((c) => c.svc === 'logs'),
            'the profile log over TLS', 15000 * h.SLOW);
        const log = sink.calls.find((c) => c.svc === 'logs');
        assert.equal(log.md.authorization, 'Bearer push-token');
        assert.equal(log.md['x-team'], 'agents');
        assert.ok(log.bytes > 1000, 'the profile JSON is in the log body');
        await d.stopClean();

        /* A CA that did not sign the sink's certificate: nothing arrives,
         * and the loss is counted, never silent. */
        const before = sink.calls.length;
        const d2 = await h.startServe(['--config', cfg, '--grace', '200ms'], {
            env: {
                OTEL_EXPORTER_OTLP_ENDPOINT: `https://127.0.0.1:${sink.port}`,
                OTEL_EXPORTER_OTLP_CERTIFICATE: file('foreign.pem'),
            } });
        await h.postJson(d2.httpPort, fs.readFileSync(path.join(__dirname,
            '..', '..', 'examples', 'code-review.jsonl'), 'utf8')
            .split('\n')[0]);
        await d2.waitProfiles(1);
        await h.sleep(1500);
        assert.equal(sink.calls.length, before, 'pushed past a bad CA');
        const hz = await d2.healthz();
        const otlp = Array.isArray(hz.exporters)
            ? hz.exporters.find((e) => e.name === 'otlp') : hz.exporters.otlp;
        assert.equal(otlp.exported, 0, JSON.stringify(otlp));
        await d2.stop();
    } finally {
        sink.close();
    }
});
