/*
 * harness.js - what the real-instrumentation suite shares: the dagprof
 * binary under test (DAGPROF_BIN, set by CTest; else build/src/dagprof),
 * `dagprof serve` on free loopback ports (started, read and stopped as
 * tests/integration/harness.js does), the instrumented application
 * processes (run_workflow.js, one per workflow and instrumentation), and
 * `dagprof report` on their capture files. Every address is 127.0.0.1;
 * every wait is bounded. Every profile read here, live or offline, is
 * validated against docs/profile.schema.json (ajv), as in
 * tests/integration/harness.js.
 */
'use strict';

const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const HERE = __dirname;
const ROOT = path.resolve(HERE, '..', '..');

/* Missing npm packages are a failure that says how to install them. */
function requirePackages() {
    const need = ['openai', '@langchain/langgraph', '@langchain/openai',
        '@arizeai/openinference-instrumentation-openai',
        '@arizeai/openinference-instrumentation-langchain',
        '@opentelemetry/instrumentation-openai',
        '@traceloop/instrumentation-openai',
        '@opentelemetry/sdk-trace-node',
        '@opentelemetry/exporter-trace-otlp-grpc', 'ajv'];
    const missing = need.filter((m) => {
        try {
            require.resolve(m, { paths: [HERE] });
            return false;
        } catch (e) {
            return true;
        }
    });
    if (missing.length) {
        throw new Error(`agents tests: missing npm packages (${missing.join(
            ', ')}) in ${path.join(HERE, 'node_modules')}; run ` +
            'scripts/setup.sh (it runs `npm ci` in tests/agents)');
    }
}
requirePackages();

const Ajv = require('ajv');

const SCHEMA_FILE = path.join(ROOT, 'docs', 'profile.schema.json');
const ajv = new Ajv({ allErrors: true });
const validateProfile = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA_FILE,
    'utf8')));

/* Null when profile satisfies docs/profile.schema.json, else the schema
 * errors in one message. */
function profileSchemaErrors(profile) {
    if (validateProfile(profile)) return null;
    return ajv.errorsText(validateProfile.errors, { separator: '; ' }) +
        ` (${SCHEMA_FILE})`;
}

function dagprofBin() {
    const bin = process.env.DAGPROF_BIN ||
        path.join(ROOT, 'build', 'src', 'dagprof');
    if (!fs.existsSync(bin)) {
        throw new Error(`dagprof binary not found: ${bin} (build it, or set ` +
            'DAGPROF_BIN)');
    }
    return bin;
}

const BIN = dagprofBin();
const SANITIZED = (() => {
    try {
        return fs.readFileSync(BIN).includes('__asan_init');
    } catch (e) {
        return false;
    }
})();
const SLOW = SANITIZED ? 3 : 1;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, what, timeoutMs = 10000, intervalMs = 20) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() >= deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${
                what}`);
        }
        await sleep(intervalMs);
    }
}

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
    return fs.mkdtempSync(path.join(os.tmpdir(), 'dagprof-agents-'));
}

const live = new Set();
function killAll() {
    for (const c of live) {
        try {
            c.kill('SIGKILL');
        } catch (e) { /* gone */ }
    }
}
process.on('exit', killAll);

const READY_RE =
    /\[serve\] ready: otlp\/grpc \S+ port (\d+), otlp\/http \S+ port (\d+)/;

/* One running `dagprof serve`; profiles parsed from its stdout and
 * validated as they arrive. A profile that does not validate makes every
 * later lookup throw its schema errors (and `schemaErrors` non-empty). */
class Daemon {
    constructor(child, grpcPort, httpPort) {
        this.child = child;
        this.grpcPort = grpcPort;
        this.httpPort = httpPort;
        this.profiles = [];
        this.badLines = [];
        this.schemaErrors = [];
        this.log = '';
        this.rest = '';
        this.exit = null;
        this.closed = new Promise((resolve) => {
            child.on('close', (code, signal) => {
                this.exit = { code, signal };
                live.delete(child);
                resolve(this.exit);
            });
        });
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk) => {
            const lines = (this.rest + chunk).split('\n');
            this.rest = lines.pop();
            for (const line of lines) {
                if (!line.trim()) continue;
                let p;
                try {
                    p = JSON.parse(line);
                } catch (e) {
                    this.badLines.push(line);
                    continue;
                }
                const err = profileSchemaErrors(p);
                if (err) {
                    this.schemaErrors.push(`profile ${this.profiles.length
                    } (trace ${p && p.traceId}): ${err}`);
                }
                this.profiles.push(p);
            }
        });
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (c) => {
            this.log += c;
        });
    }

    get httpTracesUrl() { return `http://127.0.0.1:${this.httpPort}/v1/traces`; }
    get grpcUrl() { return `http://127.0.0.1:${this.grpcPort}`; }

    logTail(n = 30) {
        return this.log.split('\n').slice(-n).join('\n');
    }

    assertValid() {
        if (this.schemaErrors.length) {
            throw new Error('dagprof serve printed a profile that does not ' +
                `validate:\n${this.schemaErrors.join('\n')}`);
        }
    }

    profilesOf(traceId) {
        this.assertValid();
        return this.profiles.filter((p) => p.traceId === traceId);
    }

    waitProfileOf(traceId, timeoutMs = 15000 * SLOW) {
        this.assertValid();
        return waitFor(() => this.profiles.find((p) => p.traceId === traceId)
            || (this.exit && Promise.reject(new Error(
                `dagprof serve exited: ${this.logTail()}`))),
        `the profile of trace ${traceId}`, timeoutMs);
    }

    async stop(timeoutMs = 15000 * SLOW) {
        if (this.exit) return this.exit;
        this.child.kill('SIGTERM');
        let timer;
        const res = await Promise.race([this.closed, new Promise((r) => {
            timer = setTimeout(() => r(null), timeoutMs);
        })]);
        clearTimeout(timer);
        if (!res) {
            this.child.kill('SIGKILL');
            await this.closed;
            throw new Error(`dagprof serve did not stop within ${timeoutMs} ms`);
        }
        return res;
    }
}

async function startServe(flags = []) {
    let lastErr;
    for (let attempt = 0; attempt < 3; attempt++) {
        const grpcPort = await freePort();
        let httpPort = await freePort();
        while (httpPort === grpcPort) httpPort = await freePort();
        const child = spawn(BIN, ['serve', '--grpc-endpoint',
            `127.0.0.1:${grpcPort}`, '--http-endpoint',
            `127.0.0.1:${httpPort}`, '--log-level', 'info'].concat(flags),
        { stdio: ['ignore', 'pipe', 'pipe'],
            env: Object.assign({ DAGPROF_HISTORY_ENABLED: 'false' },
                process.env) });
        live.add(child);
        const d = new Daemon(child, grpcPort, httpPort);
        try {
            const m = await waitFor(() => d.exit ? 'exited'
                : READY_RE.exec(d.log), 'the "ready" log line', 15000 * SLOW,
            10);
            if (m === 'exited') {
                throw new Error(`dagprof serve exited before ready:\n${
                    d.logTail()}`);
            }
            return d;
        } catch (e) {
            lastErr = e;
            if (!d.exit) await d.stop().catch(() => {});
            if (!/endpoint|bind|address/i.test(d.log)) throw e;
        }
    }
    throw lastErr;
}

/*
 * Runs run_workflow.js (one instrumented application process) and resolves
 * its JSON result line; rejects on a non-zero exit or after timeoutMs.
 */
function runWorkflow(opts) {
    const args = [path.join(HERE, 'run_workflow.js'),
        '--workflow', opts.workflow, '--instr', opts.instr,
        '--llm', opts.llmUrl, '--runs', String(opts.runs || 3),
        '--tag', opts.tag];
    if (opts.daemon) {
        args.push('--http', opts.daemon.httpTracesUrl,
            '--grpc', opts.daemon.grpcUrl);
    }
    if (opts.protocols) args.push('--protocols', opts.protocols.join(','));
    if (opts.capture) args.push('--capture', opts.capture);
    const timeoutMs = opts.timeoutMs || 60000;
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, { cwd: HERE,
            stdio: ['ignore', 'pipe', 'pipe'] });
        live.add(child);
        let out = '';
        let err = '';
        child.stdout.on('data', (c) => { out += c; });
        child.stderr.on('data', (c) => { err += c; });
        const timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`run_workflow ${opts.workflow}/${opts.instr} ` +
                `timed out after ${timeoutMs} ms; stderr:\n${err}`));
        }, timeoutMs);
        child.on('close', (code) => {
            clearTimeout(timer);
            live.delete(child);
            if (code !== 0) {
                return reject(new Error(`run_workflow ${opts.workflow}/${
                    opts.instr} exited ${code}; stderr:\n${err}`));
            }
            try {
                resolve(Object.assign(JSON.parse(out.trim().split('\n')
                    .pop()), { stderr: err }));
            } catch (e) {
                reject(new Error(`run_workflow output is not JSON: ${out}`));
            }
        });
    });
}

/* `dagprof report --output json FILE`: the profiles, one per trace. */
function offlineReport(file) {
    const r = spawnSync(BIN, ['report', '--output', 'json', file], {
        encoding: 'utf8', timeout: 30000 * SLOW });
    assert.equal(r.status, 0, `dagprof report ${file}: ${r.stderr}`);
    return r.stdout.split('\n').filter((l) => l.trim()).map((l, i) => {
        const p = JSON.parse(l);
        const err = profileSchemaErrors(p);
        assert.equal(err, null, `dagprof report ${file}: profile ${i} (trace ${
            p.traceId}) does not validate`);
        return p;
    });
}

function stripVolatile(p) {
    const c = Object.assign({}, p);
    delete c.profiledAt;
    return c;
}

module.exports = {
    ROOT, HERE, BIN, SANITIZED, SLOW, sleep, waitFor, freePort, tmpDir,
    startServe, runWorkflow, offlineReport, stripVolatile, killAll,
    profileSchemaErrors, SCHEMA_FILE,
};
