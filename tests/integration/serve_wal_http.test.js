/*
 * serve_wal_http.test.js - with durability: wal, concurrent OTLP/HTTP
 * requests share the log's fdatasync (group commit), as gRPC requests do:
 * the HTTP receiver defers each reply until the sync covering its append
 * is done instead of waiting for it on its one loop thread.
 *
 * 16 clients, each on its own connection, send a trace at the same time,
 * three rounds, half protobuf and half JSON. The log syncs once 16
 * requests wait or wal.sync_interval (here 1 s) after the first: when the
 * receiver waited for each sync in turn, every request had a sync of its
 * own (syncs = records); deferred, the waiting requests share them
 * (syncs < records). Every reply is 200 and comes after the append
 * (records = requests), and every trace is profiled. Then two requests
 * pipelined in one write on one connection: the second is parsed only
 * after the first one's deferred reply, and both are answered in order.
 *
 * Counts only, no timing; every wait is bounded; 127.0.0.1 only.
 */
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');

const h = require('./harness');

after(h.killAll);

const SMALL = h.loadScenario('small-dag.scenario.json'); /* 8 spans */
const CLIENTS = 16;
const ROUNDS = 3;

/* Sends raw bytes on one connection and resolves with everything read
 * once `n` HTTP status lines arrived (or rejects after timeoutMs). */
function rawExchange(port, bytes, n, timeoutMs) {
    return new Promise((resolve, reject) => {
        const sock = net.connect(port, '127.0.0.1');
        let got = '';
        const timer = setTimeout(() => {
            sock.destroy();
            reject(new Error(`${n} replies not received; got:\n${got}`));
        }, timeoutMs);
        sock.on('connect', () => sock.write(bytes));
        sock.on('data', (d) => {
            got += d.toString('latin1');
            if ((got.match(/HTTP\/1\.1 \d{3}/g) || []).length >= n &&
                /\r\n\r\n[^]*$/.test(got)) {
                clearTimeout(timer);
                sock.destroy();
                resolve(got);
            }
        });
        sock.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
        });
    });
}

function request(body, type) {
    return Buffer.concat([Buffer.from('POST /v1/traces HTTP/1.1\r\n' +
        `Host: x\r\nContent-Type: ${type}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
}

test('durability: wal: concurrent HTTP requests share fdatasyncs; ' +
    'pipelined requests wait for the reply before them',
{ timeout: 120000 * h.SLOW }, async () => {
    const dir = h.tmpDir();
    const d = await h.startServe(['--durability', 'wal',
        '--wal-dir', path.join(dir, 'wal'), '--wal-sync-interval', '1s',
        '--wal-sync-requests', String(CLIENTS), '--grace', '300ms']);
    const traces = h.buildTraces(SMALL, 'wal-http',
        { repeat: CLIENTS * ROUNDS + 2 });
    let sent = 0;
    for (let r = 0; r < ROUNDS; r++) {
        const replies = await Promise.all(Array.from({ length: CLIENTS },
            (_, k) => {
                const t = traces[r * CLIENTS + k];
                return k % 2 ? h.postJson(d.httpPort, h.jsonBody(t.spans))
                    : h.postProto(d.httpPort, h.protoBody(t.spans));
            }));
        for (const rep of replies) {
            assert.equal(rep.status, 200, `round ${r}: ${rep.body}`);
        }
        sent += CLIENTS;
    }
    const hz = await d.healthz();
    assert.equal(hz.wal.records, sent, 'one log record per request');
    assert.ok(hz.wal.syncs < hz.wal.records, 'concurrent requests shared ' +
        `fdatasyncs: ${hz.wal.syncs} syncs for ${hz.wal.records} requests`);
    assert.equal(hz.wal.errors, 0);

    /* Two requests in one write: both answered 200, in order. */
    const a = traces[sent];
    const b = traces[sent + 1];
    const got = await rawExchange(d.httpPort, Buffer.concat([
        request(h.protoBody(a.spans), 'application/x-protobuf'),
        request(h.jsonBody(b.spans), 'application/json')]), 2,
    20000 * h.SLOW);
    const statuses = got.match(/HTTP\/1\.1 \d{3}/g);
    assert.deepEqual(statuses, ['HTTP/1.1 200', 'HTTP/1.1 200'], got);
    assert.match(got, /application\/x-protobuf[^]*application\/json/,
        'replies in request order (protobuf, then JSON)');
    sent += 2;
    const hz2 = await d.healthz();
    assert.equal(hz2.wal.records, sent);

    await d.waitProfiles(sent, 20000 * h.SLOW);
    const ids = new Set(d.profiles.map((p) => p.profile.traceId));
    for (let i = 0; i < sent; i++) {
        assert.ok(ids.has(traces[i].traceId), `trace ${i} profiled`);
    }
    await d.stopClean(15000 * h.SLOW);
});
