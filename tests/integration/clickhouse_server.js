/*
 * clickhouse_server.js - a private clickhouse-server (Debian's package,
 * 18.16) for the tests: its own config in a temp dir, HTTP and native
 * ports free on 127.0.0.1, a passwordless `default` user limited to
 * 127.0.0.1, HTTP keep-alive longer than node fetch's (the server's 3 s
 * default closes sockets fetch then reuses: "fetch failed"), queries kept
 * in system.query_log (tests check which statements dagprof sent: see
 * finished()). start()
 * resolves once `SELECT 1` answers over HTTP (bounded wait); stop() kills
 * it and removes the dir.
 */
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./harness');

function findServer() {
    for (const dir of ['/usr/sbin', '/usr/bin']) {
        const f = path.join(dir, 'clickhouse-server');
        if (fs.existsSync(f)) return f;
    }
    const r = spawnSync('sh', ['-c', 'command -v clickhouse-server'],
        { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
}

async function start() {
    const bin = findServer();
    if (!bin) {
        throw new Error('clickhouse-server not found: apt-get install ' +
            'clickhouse-server (scripts/setup.sh installs it)');
    }
    const dir = h.tmpDir();
    const [http, tcp, inter] = [await h.freePort(), await h.freePort(),
        await h.freePort()];
    fs.writeFileSync(path.join(dir, 'users.xml'), `<yandex>
  <profiles><default><log_queries>1</log_queries></default></profiles>
  <users><default><password></password>
    <networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`);
    fs.writeFileSync(path.join(dir, 'config.xml'), `<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${http}</http_port>
  <tcp_port>${tcp}</tcp_port>
  <interserver_http_port>${inter}</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>536870912</mark_cache_size>
  <keep_alive_timeout>600</keep_alive_timeout>
  <query_log><database>system</database><table>query_log</table>
    <flush_interval_milliseconds>1000</flush_interval_milliseconds></query_log>
</yandex>
`);
    const log = fs.openSync(path.join(dir, 'server.log'), 'w');
    const child = spawn(bin, [`--config-file=${dir}/config.xml`],
        { cwd: dir, stdio: ['ignore', log, log] });
    let exited = false;
    child.on('exit', () => { exited = true; });
    const query = async (sql) => {
        const res = await fetch(`http://127.0.0.1:${http}/`,
            { method: 'POST', body: sql });
        const text = await res.text();
        if (!res.ok) throw new Error(`clickhouse: ${text}`);
        return text;
    };
    await h.waitFor(async () => {
        if (exited) return true;
        try { return (await query('SELECT 1')).trim() === '1'; } catch {
            return false;
        }
    }, 'clickhouse-server to answer', 30000 * h.SLOW, 200);
    if (exited) {
        throw new Error('clickhouse-server exited: ' +
            fs.readFileSync(path.join(dir, 'server.log'), 'utf8'));
    }
    /* How many statements the server has finished whose text contains
     * every string of parts (after SYSTEM FLUSH LOGS). */
    const finished = async (...parts) => {
        await query('SYSTEM FLUSH LOGS');
        const like = parts.map((p) => `position(query, '${
            p.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}') > 0`)
            .join(' AND ');
        return Number(await query('SELECT count() FROM system.query_log ' +
            `WHERE type = 2 AND ${like} AND position(query, ` +
            "'system.query_log') = 0"));
    };
    return {
        port: http,
        query,
        finished,
        url: (db) => `clickhouse://127.0.0.1:${http}/${db}`,
        stop() {
            if (!exited) child.kill('SIGKILL');
            fs.closeSync(log);
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

module.exports = { start };
