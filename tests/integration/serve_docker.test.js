/*
 * serve_docker.test.js - what can be checked of docker/ on a machine that
 * cannot run containers (and cannot fetch the otelcol-contrib binary: only
 * the Debian and npm registries are reachable), against the real dagprof.
 *
 *  - compose.yaml, otelcol.yaml, otelcol-compose.yaml, prometheus.yml and
 *    the Grafana provisioning files parse as YAML (npm `yaml`, pinned);
 *    every file compose mounts or builds from exists; every service named
 *    in depends_on, a collector exporter or a scrape target exists; every
 *    port and endpoint matches dagprof's defaults as `dagprof serve
 *    --print-config` prints them and docker/dagprof.yaml sets them;
 *  - the collector configs: every pipeline component is defined, dagprof
 *    is reached through `loadbalancing` routed by traceID with a queue and
 *    retries that match dagprof's backpressure replies;
 *  - the Dockerfile: its build stage runs scripts/setup.sh exactly as
 *    scripts/run.sh does and the README's `cmake --install` (no package
 *    list of its own), its runtime packages provide every library the
 *    built binary needs (objdump NEEDED -> dpkg -S), its EXPOSE,
 *    HEALTHCHECK, VOLUME, USER and CMD agree with docker/dagprof.yaml;
 *  - the image's steps outside a container: `cmake --install` of this
 *    build into a temporary prefix, that binary started on
 *    docker/dagprof.yaml (endpoints overridden by DAGPROF_* variables,
 *    which win over the file), /healthz as the HEALTHCHECK asks it, the
 *    example traces sent, and every metric and label the Grafana
 *    dashboard queries present in the /metrics scrape; a real Prometheus
 *    (Debian's package) scraping it with docker/prometheus.yml's dagprof
 *    job evaluates every dashboard query without error, and `promtool
 *    check config` accepts docker/prometheus.yml.
 * Every wait is bounded; every address is 127.0.0.1.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');

let YAML;
try {
    YAML = require('yaml');
} catch (e) {
    throw new Error('serve_docker.test.js: npm package `yaml` missing in ' +
        'tests/integration/node_modules; run scripts/setup.sh (npm ci)');
}

after(h.killAll);

const ROOT = path.resolve(__dirname, '..', '..');
const DOCKER = path.join(ROOT, 'docker');
const BUILD_DIR = path.resolve(path.dirname(h.BIN), '..');

const readText = (f) => fs.readFileSync(f, 'utf8');
const readYaml = (f) => YAML.parse(readText(f));
const portOf = (endpoint) => Number(String(endpoint).split(':').pop());
const hostOf = (endpoint) => String(endpoint).replace(/:\d+$/, '');

/* Environment without DAGPROF_* variables, so defaults are the table's. */
function cleanEnv(extra = {}) {
    const env = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (!k.startsWith('DAGPROF_')) env[k] = v;
    }
    return Object.assign(env, extra);
}

function printConfig(args = []) {
    const r = spawnSync(h.BIN, ['serve', ...args, '--print-config'],
        { encoding: 'utf8', env: cleanEnv() });
    assert.equal(r.status, 0, `dagprof serve --print-config: ${r.stderr}`);
    return YAML.parse(r.stdout);
}

const DEFAULTS = printConfig();
const GRPC_PORT = portOf(DEFAULTS.receivers.otlp.grpc.endpoint);
const HTTP_PORT = portOf(DEFAULTS.receivers.otlp.http.endpoint);
/* dagprof's backpressure reply asks clients to retry after 1 s (gRPC
 * RetryInfo, HTTP Retry-After; receiver/otlp_http.c retry_after_s). */
const DAGPROF_RETRY_AFTER_S = 1;

/* Go-style durations used by the collector: 500ms, 1s, 5m, 1h30m. */
function goDurationS(s) {
    let total = 0;
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
    let m;
    let seen = '';
    while ((m = re.exec(s)) !== null) {
        seen += m[0];
        total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
    }
    assert.equal(seen, s, `not a duration: ${s}`);
    return total;
}

/* ------------------------------------------------------- Dockerfile -- */

/* Instructions of a Dockerfile: { stage, op, args } with continuation
 * lines joined and comments dropped. */
function parseDockerfile(text) {
    const out = [];
    let stage = null;
    let cur = '';
    for (const raw of text.split('\n')) {
        const line = raw.trim();
        if (!cur && (line === '' || line.startsWith('#'))) continue;
        if (line.startsWith('#')) continue;
        cur += (cur ? ' ' : '') + line.replace(/\\$/, '').trim();
        if (line.endsWith('\\')) continue;
        const m = /^(\w+)\s+(.*)$/.exec(cur);
        assert.ok(m, `Dockerfile line: ${cur}`);
        const op = m[1].toUpperCase();
        if (op === 'FROM') {
            const as = /\bAS\s+(\S+)/i.exec(m[2]);
            stage = as ? as[1] : m[2];
        }
        out.push({ stage, op, args: m[2].replace(/\s+/g, ' ') });
        cur = '';
    }
    return out;
}

const DOCKERFILE = parseDockerfile(readText(path.join(DOCKER, 'Dockerfile')));
const DAGPROF_YAML = readYaml(path.join(DOCKER, 'dagprof.yaml'));
const IMAGE_GRPC_PORT = portOf(DAGPROF_YAML.receivers.otlp.grpc.endpoint);
const IMAGE_HTTP_PORT = portOf(DAGPROF_YAML.receivers.otlp.http.endpoint);
const only = (op, stage) => DOCKERFILE.filter((i) => i.op === op &&
    (!stage || i.stage === stage));
const jsonArgs = (i) => JSON.parse(i.args);

test('docker/dagprof.yaml: accepted by dagprof, defaults\' ports on every ' +
    'interface', () => {
    const eff = printConfig(['--config', path.join(DOCKER, 'dagprof.yaml')]);
    assert.equal(eff.receivers.otlp.grpc.endpoint, `0.0.0.0:${GRPC_PORT}`);
    assert.equal(eff.receivers.otlp.http.endpoint, `0.0.0.0:${HTTP_PORT}`);
    assert.ok(eff.exporters.prometheus, '/metrics needs the prometheus ' +
        'exporter');
    assert.match(eff.exporters.jsonl.path, /^\/var\/lib\/dagprof\//);
});

test('Dockerfile: build stage is the README\'s commands, runtime has what ' +
    'the binary links', () => {
    const stages = only('FROM').map((i) => i.args);
    assert.deepEqual(stages, ['debian:12-slim AS build',
        'debian:12-slim AS runtime']);
    const buildRuns = only('RUN', 'build').map((i) => i.args);
    /* No second package list: the build stage installs nothing itself. */
    for (const r of buildRuns) {
        assert.doesNotMatch(r, /apt-get|apt install|dpkg -i/,
            `build stage installs packages itself: ${r}`);
    }
    /* scripts/run.sh's own setup step, verbatim but for $ROOT. */
    const runSh = readText(path.join(ROOT, 'scripts', 'run.sh'));
    const setupLine = runSh.split('\n').find((l) => /scripts\/setup\.sh/.test(l) &&
        !l.trim().startsWith('#'));
    assert.ok(setupLine, 'scripts/run.sh calls scripts/setup.sh');
    const want = setupLine.trim().replace(/"\$ROOT\/scripts\/setup\.sh"/,
        'scripts/setup.sh');
    assert.ok(buildRuns.some((r) => r.includes(want)),
        `a build RUN runs \`${want}\` as scripts/run.sh does:\n${
            buildRuns.join('\n')}`);
    /* The packages-only step uses flags setup.sh has. */
    const setupSh = readText(path.join(ROOT, 'scripts', 'setup.sh'));
    for (const r of buildRuns) {
        for (const flag of (r.match(/setup\.sh((?: --[\w-]+)*)/) || ['', ''])[1]
            .trim().split(/\s+/).filter(Boolean)) {
            assert.match(setupSh, new RegExp(`^\\s*${flag}\\)`, 'm'),
                `setup.sh has no ${flag}`);
        }
    }
    /* The README's install command, verbatim. */
    const readme = readText(path.join(ROOT, 'README.md')).replace(/\s+/g, ' ');
    const install = /cmake --install build --prefix \S+/.exec(readme);
    assert.ok(install, 'README shows `cmake --install build --prefix ...`');
    const installCmd = install[0].replace(/`$/, '');
    assert.ok(buildRuns.some((r) => r.includes(installCmd)),
        `a build RUN runs the README's \`${installCmd}\``);
    const prefix = installCmd.split(' ').pop();
    /* What the runtime copies is what CMake installs there. */
    const cmake = readText(path.join(ROOT, 'CMakeLists.txt'));
    assert.match(cmake, /install\(TARGETS dagprof RUNTIME DESTINATION bin\)/);
    const copies = only('COPY', 'runtime').map((i) => i.args);
    assert.ok(copies.includes(`--from=build ${prefix}/bin/dagprof ${prefix
    }/bin/dagprof`), copies.join('\n'));

    /* Runtime packages provide every library the binary needs. */
    const rt = only('RUN', 'runtime').map((i) => i.args).join(' ');
    const pkgs = new Set(((/apt-get install -y --no-install-recommends ([^&]+)/
        .exec(rt)) || ['', ''])[1].trim().split(/\s+/));
    const od = spawnSync('objdump', ['-p', h.BIN], { encoding: 'utf8' });
    assert.equal(od.status, 0, `objdump: ${od.stderr}`);
    /* The image is built without DP_SANITIZE: a sanitizer build's own
     * runtime libraries are not the image's business. */
    const needed = [...od.stdout.matchAll(/NEEDED\s+(\S+)/g)].map((m) => m[1])
        .filter((l) => !/^lib(asan|ubsan|lsan|tsan)\.so/.test(l));
    assert.ok(needed.length >= 5, od.stdout);
    const ldd = spawnSync('ldd', [h.BIN], { encoding: 'utf8' }).stdout;
    const files = needed.map((lib) => {
        const m = new RegExp(`${lib.replace(/[.+]/g, '\\$&')} => (\\S+)`)
            .exec(ldd);
        assert.ok(m, `ldd does not resolve ${lib}`);
        return fs.realpathSync(m[1]);
    });
    /* One dpkg -S for all, under /lib and /usr/lib (usrmerge: a package
     * lists its files under either); a path no package has is an error
     * only when neither spelling is owned. */
    const spell = (f) => [f, f.startsWith('/usr/lib/')
        ? f.slice(4) : f.replace(/^\/lib\//, '/usr/lib/')];
    const owner = spawnSync('dpkg', ['-S', ...files.flatMap(spell)],
        { encoding: 'utf8' });
    needed.forEach((lib, i) => {
        const line = owner.stdout.split('\n').find((l) =>
            spell(files[i]).some((f) => l.endsWith(`: ${f}`)));
        assert.ok(line, `no Debian package owns ${files[i]}: ${owner.stderr}`);
        const pkg = line.split(':')[0];
        if (pkg === 'libc6') return; /* in every Debian image */
        assert.ok(pkgs.has(pkg), `${lib} comes from ${pkg}, which the ` +
            `runtime stage does not install (${[...pkgs].join(' ')})`);
    });
    assert.ok(pkgs.has('curl'), 'the HEALTHCHECK uses curl');

    /* Ports, health check, volume, user, config. */
    const expose = only('EXPOSE').flatMap((i) => i.args.split(' ').map(Number));
    assert.deepEqual(expose.sort(), [GRPC_PORT, HTTP_PORT].sort());
    assert.equal(IMAGE_GRPC_PORT, GRPC_PORT);
    assert.equal(IMAGE_HTTP_PORT, HTTP_PORT);
    const hc = only('HEALTHCHECK')[0].args;
    const url = /http:\/\/127\.0\.0\.1:(\d+)(\/\S*)/.exec(hc);
    assert.ok(url, hc);
    assert.equal(Number(url[1]), IMAGE_HTTP_PORT);
    assert.equal(url[2], '/healthz');
    const volume = jsonArgs(only('VOLUME')[0]);
    assert.deepEqual(volume, ['/var/lib/dagprof']);
    assert.ok(DAGPROF_YAML.exporters.jsonl.path.startsWith(volume[0] + '/'),
        'profiles are written to the volume');
    assert.equal(only('WORKDIR', 'runtime').pop().args, volume[0]);
    const user = only('USER', 'runtime').pop().args;
    assert.notEqual(user, 'root');
    assert.match(rt, new RegExp(`useradd .*\\b${user}\\b`));
    const entry = jsonArgs(only('ENTRYPOINT')[0]);
    assert.deepEqual(entry, [`${prefix}/bin/dagprof`, 'serve']);
    const cmd = jsonArgs(only('CMD')[0]);
    assert.equal(cmd[0], '--config');
    assert.ok(copies.includes(`docker/dagprof.yaml ${cmd[1]}`),
        `the image's config file is docker/dagprof.yaml at ${cmd[1]}`);
    /* Everything the build copies exists; the context skips local builds. */
    assert.ok(fs.existsSync(path.join(ROOT, 'scripts', 'setup.sh')));
    const ignore = readText(path.join(ROOT, '.dockerignore'));
    assert.match(ignore, /^build\*\/$/m);
    assert.match(ignore, /node_modules/);
});

/* ---------------------------------------------------------- compose -- */

const COMPOSE = readYaml(path.join(DOCKER, 'compose.yaml'));
const SERVICES = COMPOSE.services;
const DAGPROF_SERVICES = Object.keys(SERVICES).filter((s) =>
    /^dagprof-\d+$/.test(s));

/* host:container of a short-syntax volume entry. */
function mounts(svc) {
    return (SERVICES[svc].volumes || []).map((v) => {
        const [src, dst] = v.split(':');
        return { src, dst, bind: src.startsWith('.') || src.startsWith('/') };
    });
}

test('compose.yaml: every mounted file exists, every reference resolves', () => {
    assert.ok(DAGPROF_SERVICES.length >= 2, 'two dagprof shards');
    for (const [name, svc] of Object.entries(SERVICES)) {
        for (const m of mounts(name)) {
            if (m.bind) {
                assert.ok(fs.existsSync(path.resolve(DOCKER, m.src)),
                    `${name} mounts ${m.src}, which does not exist`);
            } else {
                assert.ok(COMPOSE.volumes && m.src in COMPOSE.volumes,
                    `${name}: volume ${m.src} is not declared`);
            }
        }
        for (const dep of svc.depends_on || []) {
            assert.ok(SERVICES[dep], `${name} depends on unknown ${dep}`);
        }
        if (svc.build) {
            const ctx = path.resolve(DOCKER, svc.build.context);
            assert.equal(ctx, ROOT, 'the build context is the repository');
            assert.ok(fs.existsSync(path.join(ctx, svc.build.dockerfile)));
        }
        assert.ok(svc.image, `${name} names its image`);
    }
    /* Shards: the image built here, one volume each at the image's VOLUME. */
    const vol = jsonArgs(only('VOLUME')[0])[0];
    const seen = new Set();
    for (const s of DAGPROF_SERVICES) {
        assert.equal(SERVICES[s].image, SERVICES[DAGPROF_SERVICES[0]].image);
        const data = mounts(s).filter((m) => m.dst === vol);
        assert.equal(data.length, 1, `${s} mounts a volume at ${vol}`);
        assert.ok(!data[0].bind && !seen.has(data[0].src),
            `${s} has its own named volume`);
        seen.add(data[0].src);
        /* Longer than dagprof's shutdown_timeout, so SIGTERM flushes. */
        assert.ok(goDurationS(SERVICES[s].stop_grace_period) >
            goDurationS(DEFAULTS.shutdown_timeout));
        for (const k of Object.keys(SERVICES[s].environment || {})) {
            assert.match(k, /^DAGPROF_/);
            const key = k.slice(8).toLowerCase();
            const r = spawnSync(h.BIN, ['serve', '--help'], { encoding: 'utf8' });
            assert.ok(r.stdout.includes(k), `${s}: ${k} (${key}) is not a ` +
                'dagprof variable');
        }
    }
    /* The collector: its config file at the path its command names. */
    const col = SERVICES.otelcol;
    assert.match(col.image, /^otel\/opentelemetry-collector-contrib:\d/);
    const cfgPath = /--config=(\S+)/.exec(col.command.join(' '))[1];
    const cfgMount = mounts('otelcol').find((m) => m.dst === cfgPath);
    assert.ok(cfgMount, `otelcol mounts its --config ${cfgPath}`);
    assert.equal(cfgMount.src, './otelcol-compose.yaml');
    /* Agents talk to the collector on dagprof's own default ports, so an
     * agent set up for dagprof alone needs no change. */
    assert.deepEqual(col.ports.map((p) => String(p).split(':').map(Number)),
        [[GRPC_PORT, GRPC_PORT], [HTTP_PORT, HTTP_PORT]]);
});

/* ------------------------------------------------ collector configs -- */

function checkCollector(file, shards) {
    const c = readYaml(path.join(DOCKER, file));
    const pipes = c.service.pipelines;
    for (const [pname, p] of Object.entries(pipes)) {
        for (const kind of ['receivers', 'processors', 'exporters']) {
            for (const comp of p[kind] || []) {
                assert.ok(c[kind] && comp in c[kind],
                    `${file}: pipeline ${pname} uses undefined ${kind} ${comp}`);
            }
        }
    }
    const r = c.receivers.otlp.protocols;
    assert.equal(portOf(r.grpc.endpoint), GRPC_PORT, `${file} grpc port`);
    assert.equal(portOf(r.http.endpoint), HTTP_PORT, `${file} http port`);
    const traces = pipes.traces.exporters;
    const lb = c.exporters['loadbalancing/dagprof'];
    assert.ok(traces.includes('loadbalancing/dagprof'),
        `${file}: traces go to dagprof through loadbalancing`);
    assert.ok(traces.some((e) => e !== 'loadbalancing/dagprof' &&
        !e.endsWith('/dagprof')), `${file}: traces also go to a backend`);
    assert.equal(lb.routing_key, 'traceID', 'only trace-id routing keeps a ' +
        'trace whole');
    assert.deepEqual(lb.resolver.static.hostnames,
        shards.map((s) => `${s}:${GRPC_PORT}`));
    const otlps = [lb.protocol.otlp];
    if (c.exporters['otlp/dagprof']) {
        const one = c.exporters['otlp/dagprof'];
        assert.equal(portOf(one.endpoint), GRPC_PORT);
        otlps.push(one);
    }
    for (const o of otlps) {
        assert.equal(o.compression, 'gzip', 'dagprof accepts gzip');
        assert.equal(o.sending_queue.enabled, true);
        assert.ok(o.sending_queue.queue_size > 0);
        assert.equal(o.retry_on_failure.enabled, true);
        assert.ok(goDurationS(o.retry_on_failure.initial_interval) >=
            DAGPROF_RETRY_AFTER_S, 'retries no sooner than dagprof asks');
        assert.ok(goDurationS(o.retry_on_failure.max_elapsed_time) >
            goDurationS(DEFAULTS.shutdown_timeout), 'retries outlast a restart');
        assert.ok(goDurationS(o.timeout) >= 1);
    }
    /* A full batch stays under dagprof's gRPC message limit at ~1 KB/span. */
    const maxMsg = /^(\d+)MiB$/.exec(DEFAULTS.receivers.otlp.grpc
        .max_message_size);
    assert.ok(maxMsg);
    assert.ok(c.processors.batch.send_batch_max_size * 1000 <=
        Number(maxMsg[1]) * 1048576);
    return c;
}

test('otelcol.yaml: both variants, routed by trace id, resiliency matched ' +
    'to dagprof', () => {
    const c = checkCollector('otelcol.yaml', ['dagprof-1', 'dagprof-2']);
    assert.ok(c.exporters['otlp/dagprof'], 'the single-instance variant');
});

test('otelcol-compose.yaml: the compose collector reaches the compose ' +
    'services', () => {
    const c = checkCollector('otelcol-compose.yaml', DAGPROF_SERVICES);
    const backend = c.exporters['otlp/backend'].endpoint;
    assert.ok(SERVICES[hostOf(backend)], `backend ${backend} is a service`);
    const reader = c.service.telemetry.metrics.readers[0].pull.exporter
        .prometheus;
    const prom = readYaml(path.join(DOCKER, 'prometheus.yml'));
    const job = prom.scrape_configs.find((j) => j.job_name === 'otelcol');
    assert.deepEqual(job.static_configs[0].targets, [`otelcol:${reader.port}`]);
});

test('prometheus.yml and Grafana provisioning: targets, datasource, ' +
    'dashboard', () => {
    const prom = readYaml(path.join(DOCKER, 'prometheus.yml'));
    const job = prom.scrape_configs.find((j) => j.job_name === 'dagprof');
    assert.equal(job.metrics_path, '/metrics');
    assert.deepEqual(job.static_configs[0].targets,
        DAGPROF_SERVICES.map((s) => `${s}:${IMAGE_HTTP_PORT}`));
    for (const j of prom.scrape_configs) {
        for (const t of j.static_configs[0].targets) {
            assert.ok(SERVICES[hostOf(t)], `scrape target ${t} is a service`);
        }
    }
    const pc = spawnSync('promtool', ['check', 'config',
        path.join(DOCKER, 'prometheus.yml')], { encoding: 'utf8' });
    assert.equal(pc.status, 0, `promtool check config: ${pc.stdout}${
        pc.stderr}`);
    const promSvc = SERVICES.prometheus;
    const cfgFile = /--config\.file=(\S+)/.exec(promSvc.command.join(' '))[1];
    assert.ok(mounts('prometheus').some((m) => m.src === './prometheus.yml' &&
        m.dst === cfgFile));

    const ds = readYaml(path.join(DOCKER, 'grafana', 'provisioning',
        'datasources', 'prometheus.yaml')).datasources[0];
    assert.equal(ds.type, 'prometheus');
    assert.ok(SERVICES[new URL(ds.url).hostname]);
    assert.equal(new URL(ds.url).port, '9090');
    const prov = readYaml(path.join(DOCKER, 'grafana', 'provisioning',
        'dashboards', 'dagprof.yaml')).providers[0];
    const dashMount = mounts('grafana').find((m) =>
        m.src === './grafana/dagprof.json');
    assert.equal(path.dirname(dashMount.dst), prov.options.path);
    const dash = JSON.parse(readText(path.join(DOCKER, 'grafana',
        'dagprof.json')));
    const uids = new Set();
    const walk = (o) => {
        if (Array.isArray(o)) o.forEach(walk);
        else if (o && typeof o === 'object') {
            if (o.datasource && o.datasource.uid) uids.add(o.datasource.uid);
            Object.values(o).forEach(walk);
        }
    };
    walk(dash);
    assert.deepEqual([...uids], [ds.uid]);
    const titles = dash.panels.map((p) => p.title).join(' | ');
    for (const want of [/Runs per DAG/, /p50 \/ p95/, /Cost per day by DAG/,
        /Cost per day by model/, /Tokens/, /Bottlenecks by type/,
        /Exporter drops/, /Ingest rate/, /CPU and memory/]) {
        assert.match(titles, want);
    }
});

/* ----------------------------------- installed binary and /metrics -- */

/* Every PromQL expression of the dashboard (panels and variables). */
function dashboardExprs() {
    const dash = JSON.parse(readText(path.join(DOCKER, 'grafana',
        'dagprof.json')));
    const exprs = [];
    for (const p of dash.panels) {
        for (const t of p.targets || []) exprs.push(t.expr);
    }
    for (const v of dash.templating.list) exprs.push(v.definition);
    return exprs;
}

/* { name -> Set(label names) } of a text exposition. */
function scrapeSeries(text) {
    const series = new Map();
    for (const line of text.split('\n')) {
        if (!line || line.startsWith('#')) continue;
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s/.exec(line);
        assert.ok(m, `exposition line: ${line}`);
        const labels = series.get(m[1]) || new Set();
        for (const l of (m[2] || '').matchAll(/([a-zA-Z_]\w*)="/g)) {
            labels.add(l[1]);
        }
        series.set(m[1], labels);
    }
    return series;
}

test('the image\'s steps outside a container: cmake --install, ' +
    'docker/dagprof.yaml, DAGPROF_* over the file, /healthz, and every ' +
    'dashboard metric in a real scrape', async () => {
    const dir = h.tmpDir();
    const prefix = path.join(dir, 'usr-local');
    const inst = spawnSync('cmake', ['--install', BUILD_DIR, '--prefix',
        prefix], { encoding: 'utf8' });
    assert.equal(inst.status, 0, `cmake --install: ${inst.stderr}`);
    const bin = path.join(prefix, 'bin', 'dagprof');
    assert.ok(fs.existsSync(bin), 'cmake --install puts bin/dagprof');
    assert.ok(fs.existsSync(path.join(prefix, 'share', 'dagprof')));

    /* The image's config, with the volume moved to this test's dir. */
    const cfg = path.join(dir, 'dagprof.yaml');
    const text = readText(path.join(DOCKER, 'dagprof.yaml'));
    assert.match(text, /\/var\/lib\/dagprof\//);
    /* Every mention (history.dir has no trailing slash): the test must
     * never open the machine's own /var/lib/dagprof. */
    const moved = text.replace(/\/var\/lib\/dagprof(?=[\/\s]|$)/gm, dir);
    assert.ok(!moved.split('\n').some((l) => !/^\s*#/.test(l) &&
        l.includes('/var/lib/dagprof')), 'the volume is moved everywhere');
    fs.writeFileSync(cfg, moved);
    const [grpcPort, httpPort, promPort] = [await h.freePort(),
        await h.freePort(), await h.freePort()];
    const child = spawn(bin, ['serve', '--config', cfg], {
        stdio: ['ignore', 'pipe', 'pipe'], cwd: dir,
        env: cleanEnv({
            DAGPROF_RECEIVERS_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpcPort}`,
            DAGPROF_RECEIVERS_OTLP_HTTP_ENDPOINT: `127.0.0.1:${httpPort}`,
            DAGPROF_PROCESSOR_GRACE: '200ms',
        }),
    });
    const d = new h.Daemon(child, grpcPort, httpPort);
    let prom = null;
    try {
        const m = await h.waitFor(() => d.exit ? 'exited' : /\[serve\] ready: .*port (\d+), .*port (\d+)/.exec(d.log),
            'ready', 15000 * h.SLOW);
        assert.notEqual(m, 'exited', d.logTail());
        assert.deepEqual([Number(m[1]), Number(m[2])], [grpcPort, httpPort],
            'DAGPROF_* variables win over the file');
        /* The HEALTHCHECK's request. */
        const hz = await h.httpRequest(httpPort, { method: 'GET',
            path: '/healthz' });
        assert.equal(hz.status, 200);

        const lines = readText(path.join(ROOT, 'examples', 'multi-run.jsonl'))
            .split('\n').filter(Boolean);
        for (const line of lines) {
            const r = await h.postJson(httpPort, line);
            assert.equal(r.status, 200, r.body.toString());
        }
        await h.waitFor(async () => (await d.healthz()).profiles_emitted >= 8,
            '8 profiles', 15000 * h.SLOW);
        const scrape = await h.httpRequest(httpPort, { method: 'GET',
            path: '/metrics' });
        assert.equal(scrape.status, 200);
        const series = scrapeSeries(scrape.body.toString('utf8'));
        const extra = new Set(['instance', 'job', 'le']);
        for (const expr of dashboardExprs()) {
            const names = [...expr.matchAll(/\b(?:dagprof|process)_[a-z0-9_]+/g)]
                .map((x) => x[0]);
            assert.ok(names.length, `no dagprof or process metric in ${expr}`);
            const labels = new Set([...extra]);
            for (const n of names) {
                assert.ok(series.has(n), `dashboard queries ${n}, which ` +
                    `/metrics does not have (${expr})`);
                for (const l of series.get(n)) labels.add(l);
            }
            const used = [...expr.matchAll(/by \(([^)]*)\)/g)]
                .flatMap((x) => x[1].split(',').map((s) => s.trim()))
                .concat([...expr.matchAll(/[{,]\s*([a-z_]+)\s*=~?/g)]
                    .map((x) => x[1]));
            for (const l of used) {
                assert.ok(labels.has(l), `label ${l} of ${expr} is not on ` +
                    `${names.join(', ')}`);
            }
        }

        /* A real Prometheus with docker/prometheus.yml's dagprof job,
         * pointed here, evaluates every dashboard query. */
        const pcfg = readYaml(path.join(DOCKER, 'prometheus.yml'));
        pcfg.global.scrape_interval = '1s';
        pcfg.scrape_configs = pcfg.scrape_configs.filter((j) =>
            j.job_name === 'dagprof');
        pcfg.scrape_configs[0].static_configs[0].targets =
            [`127.0.0.1:${httpPort}`];
        fs.writeFileSync(path.join(dir, 'prometheus.yml'),
            YAML.stringify(pcfg));
        prom = spawn('prometheus', [
            `--config.file=${path.join(dir, 'prometheus.yml')}`,
            `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
            `--web.listen-address=127.0.0.1:${promPort}`,
        ], { stdio: ['ignore', 'ignore', 'pipe'] });
        let promLog = '';
        prom.stderr.on('data', (c) => { promLog += c; });
        const query = async (q) => {
            const r = await h.httpRequest(promPort, { method: 'GET',
                path: `/api/v1/query?query=${encodeURIComponent(q)}` })
                .catch(() => null);
            if (!r) return null;
            let body = null;
            try {
                body = JSON.parse(r.body);
            } catch (e) { /* "Service Unavailable" while starting */ }
            return { status: r.status, body };
        };
        await h.waitFor(async () => {
            const r = await h.httpRequest(promPort, { method: 'GET',
                path: '/-/ready' }).catch(() => null);
            return r && r.status === 200;
        }, 'Prometheus ready', 30000 * h.SLOW, 100);
        await h.waitFor(async () => {
            const r = await query('dagprof_dag_run_duration_seconds_count');
            return r && r.status === 200 && r.body &&
                r.body.data.result.length === 2;
        }, 'Prometheus to scrape both DAGs', 30000 * h.SLOW, 200);
        for (const expr of dashboardExprs()) {
            const q = expr.replace(/^label_values\(([^,]+), \w+\)$/, '$1')
                .replace(/\$__rate_interval/g, '1m')
                .replace(/\$__range/g, '5m')
                .replace(/\$dag/g, '.*');
            const r = await query(q);
            assert.ok(r && r.status === 200 && r.body.status === 'success',
                `Prometheus refused ${q}: ${JSON.stringify(r && r.body)}\n${
                    promLog.slice(-2000)}`);
        }
        const cost = await query('sum by (model) (dagprof_cost_usd_total)');
        assert.ok(cost.body.data.result.length >= 2, 'cost by model');
    } finally {
        if (prom) {
            prom.kill('SIGTERM');
        }
        await d.stopClean();
    }
    const written = readText(path.join(dir, 'profiles.jsonl')).split('\n')
        .filter(Boolean).map((l) => JSON.parse(l));
    assert.equal(written.length, 8, 'profiles in the volume\'s jsonl');
    for (const p of written) assert.equal(h.profileSchemaErrors(p), null);
});
