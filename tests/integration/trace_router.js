/*
 * trace_router.js - the trace-id router of the scale-out tests, as the
 * OpenTelemetry Collector's `loadbalancing` exporter routes (routing_key:
 * traceID): a consistent-hash ring of the backends, 100 points each,
 * CRC-32 (IEEE) of the trace id's bytes; a trace id goes to the first
 * point at or after its hash, wrapping.
 */
'use strict';

/* CRC-32 (IEEE), as Go's hash/crc32.ChecksumIEEE. */
const CRC_TABLE = (() => {
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
        let c = n;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        t[n] = c >>> 0;
    }
    return t;
})();
function crc32(buf) {
    let c = 0xffffffff;
    for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
}

/* backends: objects with a `name`; returns traceIdHex -> backend. */
function makeRing(backends) {
    const points = [];
    for (const b of backends) {
        for (let i = 0; i < 100; i++) {
            points.push({ pos: crc32(Buffer.from(`${b.name}-${i}`)), b });
        }
    }
    points.sort((x, y) => x.pos - y.pos);
    return (traceIdHex) => {
        const key = crc32(Buffer.from(traceIdHex, 'hex'));
        const p = points.find((q) => q.pos >= key) || points[0];
        return p.b;
    };
}

module.exports = { crc32, makeRing };
