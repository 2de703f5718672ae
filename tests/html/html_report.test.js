'use strict';
// html_report.test.js - `dagprof report --output html` in a real browser.
//
// For each input (the examples, every captured agent run in
// tests/data/agents, a generated 500-node run, a run whose names are
// hostile HTML, one with invalid UTF-8 in its names (protobuf), a profile
// file read back, and --summary) the page must:
//   - parse as strict XML (xmllint --noout: every element closed, every
//     entity known, no control character);
//   - name nothing outside itself (no http(s)://, no src= attribute, links
//     only to #anchors) and carry a CSP whose style hash is the SHA-256 of
//     the one <style> block (computed here with node's crypto);
//   - load in headless Chromium with no network (every host resolves to
//     nothing) without a single console message: a CSP violation, a
//     blocked resource or a script error would each print one. A page
//     with a tampered style block must print the violation (so the check
//     can fail);
//   - show in Chromium's DOM one timeline row per node of the JSON
//     profile of the same input, with the same node ids, execution times
//     and critical path.
// Pages, DOM dumps and screenshots are kept in DP_ARTIFACT_DIR. With
// DP_UPDATE_SCREENSHOT=1 the code-review screenshot replaces
// docs/report.png (the README's picture).

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFile } = require('node:child_process');
const { bigRun, hostileRun, invalidUtf8Run } = require('./gen_runs.js');

const BIN = process.env.DAGPROF_BIN;
const SRC = process.env.DP_SOURCE_DIR || path.resolve(__dirname, '../..');
const OUT = process.env.DP_ARTIFACT_DIR || path.join(SRC, 'build/tests/html-artifacts');
const CHROMIUM = process.env.DP_CHROMIUM || 'chromium';
const XMLLINT = process.env.DP_XMLLINT || 'xmllint';

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 256 << 20, timeout: opts.timeout || 60000, ...opts },
      (err, stdout, stderr) => resolve({
        code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
        err, stdout, stderr,
      }));
  });
}

function requireTool(p, what) {
  if (!p || p.endsWith('-NOTFOUND')) {
    assert.fail(`${what} not found: run scripts/setup.sh (it installs chromium and libxml2-utils)`);
  }
}

const decode = (s) => s
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
  .replace(/&#39;/g, "'").replace(/&nbsp;/g, '\u00a0')
  .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
  .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
  .replace(/&amp;/g, '&');

// What the page shows of a string from a span: controls but tab and line
// feed, DEL and C1 become U+FFFD (dp_html_escapen).
const shown = (s) => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffe\uffff]/g, '\ufffd');

let chromeRuns = 0;
// Loads file in Chromium (no network, fresh profile): returns its DOM,
// console lines and writes a screenshot.
async function browse(file, png, { dark = false, height = 1800 } = {}) {
  requireTool(CHROMIUM, 'chromium');
  const profile = fs.mkdtempSync(path.join(OUT, `chrome-${++chromeRuns}-`));
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--no-default-browser-check', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--hide-scrollbars',
    `--user-data-dir=${profile}`,
    '--host-resolver-rules=MAP * ~NOTFOUND',
    '--proxy-server=socks5://127.0.0.1:9', // nothing listens: no traffic leaves
    '--enable-logging=stderr', '--v=0',
    `--window-size=1280,${height}`, `--screenshot=${png}`, '--dump-dom',
  ];
  if (dark) args.push('--force-dark-mode', '--blink-settings=preferredColorScheme=0');
  args.push(`file://${file}`);
  const r = await run(CHROMIUM, args, { timeout: 120000 });
  fs.rmSync(profile, { recursive: true, force: true });
  assert.strictEqual(r.code, 0, `chromium failed on ${file}: ${r.stderr.slice(-2000)}`);
  const consoleLines = r.stderr.split('\n').filter((l) => /CONSOLE|Content Security Policy|Refused to/.test(l));
  fs.writeFileSync(file.replace(/\.html$/, '.dom.html'), r.stdout);
  return { dom: r.stdout, consoleLines };
}

function checkStatic(name, html) {
  assert.ok(!/https?:\/\//i.test(html), `${name}: names an http(s) URL`);
  // Every '<' of the page starts a tag (names are escaped), and no '>'
  // appears inside one: scan the tags themselves.
  const tagsWithValues = html.match(/<[^>]*>/g).join('\n');
  const tags = tagsWithValues.replace(/="[^"]*"/g, '=""'); // names only
  assert.ok(!/\ssrc=/i.test(tags), `${name}: has a src attribute`);
  assert.ok(!/<script/i.test(tags), `${name}: has a script element`);
  assert.ok(!/\sstyle=/i.test(tags), `${name}: has a style attribute`);
  assert.ok(!/\son[a-z]+=/i.test(tags), `${name}: has an event handler attribute`);
  for (const m of tagsWithValues.matchAll(/\shref="([^"]*)"/g)) {
    assert.ok(m[1].startsWith('#'), `${name}: link outside the page: ${m[1]}`);
  }
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)];
  assert.strictEqual(styles.length, 1, `${name}: one style block`);
  const hash = crypto.createHash('sha256').update(styles[0][1], 'utf8').digest('base64');
  const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"\/>/);
  assert.ok(csp, `${name}: CSP meta`);
  assert.ok(csp.index < styles[0].index, `${name}: CSP before the style block`);
  assert.match(csp[1], /^default-src 'none'; /);
  assert.ok(csp[1].includes(`style-src 'sha256-${hash}'`), `${name}: CSP hash ${hash} not in ${csp[1]}`);
  assert.ok(!csp[1].includes('unsafe'), `${name}: unsafe in CSP`);
}

async function xmlParse(file) {
  requireTool(XMLLINT, 'xmllint');
  const r = await run(XMLLINT, ['--noout', '--nonet', file]);
  assert.strictEqual(r.code, 0, `xmllint ${file}: ${r.stderr.slice(0, 2000)}`);
  assert.strictEqual(r.stderr, '', `xmllint ${file}: ${r.stderr.slice(0, 2000)}`);
}

// Rows of every run section in a DOM (Chromium's serialization).
function sections(dom) {
  const out = new Map();
  const re = /<section class="run" id="run-(\d+)" data-trace="([0-9a-f]+)" data-nodes="(\d+)">([\s\S]*?)<\/section>/g;
  for (const m of dom.matchAll(re)) {
    const rows = [...m[4].matchAll(/<g class="row (leaf|group)( crit)?( err)?" data-node="([^"]*)" data-start-ms="([^"]*)" data-end-ms="([^"]*)" data-exec-ms="([^"]*)">/g)]
      .map((r) => ({ kind: r[1], crit: !!r[2], id: decode(r[4]), start: +r[5], end: +r[6], exec: +r[7] }));
    const svgRows = m[4].match(/data-rows="(\d+)"/);
    out.set(m[2], { nodes: +m[3], rows, svgRows: svgRows ? +svgRows[1] : -1, html: m[4] });
  }
  return out;
}

async function profilesOf(input, args = []) {
  const r = await run(BIN, ['report', '--output', 'json', ...args, input]);
  assert.strictEqual(r.code, 0, `report --output json ${input}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

function compareRows(name, profiles, secs) {
  assert.strictEqual(secs.size, profiles.length, `${name}: one section per profile`);
  for (const p of profiles) {
    const s = secs.get(p.traceId);
    assert.ok(s, `${name}: section for ${p.traceId}`);
    assert.strictEqual(s.rows.length, p.nodeMetrics.length, `${name}: one row per node`);
    assert.strictEqual(s.nodes, p.nodeMetrics.length);
    assert.strictEqual(s.svgRows, p.nodeMetrics.length);
    const byId = new Map(s.rows.map((r) => [r.id, r]));
    assert.strictEqual(byId.size, s.rows.length, `${name}: row ids unique`);
    const crit = new Set(p.metrics.criticalPath.map(shown));
    for (const n of p.nodeMetrics) {
      const r = byId.get(shown(n.nodeId));
      assert.ok(r, `${name}: row for node ${JSON.stringify(n.nodeId)}`);
      assert.strictEqual(r.kind, n.kind);
      assert.ok(Math.abs(r.exec - n.executionTime) < 0.0005, `${name} ${n.nodeId}: exec ${r.exec} vs ${n.executionTime}`);
      assert.ok(Math.abs(r.start - n.start) < 0.0005);
      assert.ok(Math.abs(r.end - n.end) < 0.0005);
      assert.strictEqual(r.crit, crit.has(shown(n.nodeId)), `${name} ${n.nodeId}: critical mark`);
    }
  }
}

async function render(name, args) {
  const file = path.join(OUT, `${name}.html`);
  const r = await run(BIN, ['report', '--output', 'html', ...args]);
  assert.strictEqual(r.code, 0, `report --output html ${args.join(' ')}: ${r.stderr}`);
  fs.writeFileSync(file, r.stdout);
  return { file, html: r.stdout };
}

const cases = [];

test.before(() => {
  assert.ok(BIN && fs.existsSync(BIN), 'DAGPROF_BIN must name the built dagprof');
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'big-500.jsonl'), bigRun(500) + '\n');
  fs.writeFileSync(path.join(OUT, 'hostile.jsonl'), hostileRun() + '\n');
  fs.writeFileSync(path.join(OUT, 'invalid-utf8.pb'), invalidUtf8Run());
});

const inputs = [
  ['code-review', () => path.join(SRC, 'examples/code-review.jsonl'), { shot: true }],
  ['multi-run', () => path.join(SRC, 'examples/multi-run.jsonl'), {}],
  ['big-500', () => path.join(OUT, 'big-500.jsonl'), { shot: true, height: 2400 }],
  ['hostile', () => path.join(OUT, 'hostile.jsonl'), { shot: true }],
  ['invalid-utf8', () => path.join(OUT, 'invalid-utf8.pb'), { args: ['--format', 'proto'] }],
  ...fs.readdirSync(path.join(SRC, 'tests/data/agents')).filter((f) => f.endsWith('.jsonl')).sort()
    .map((f) => [`agents-${f.replace(/\.jsonl$/, '')}`, () => path.join(SRC, 'tests/data/agents', f), {}]),
];

// Chromium spends most of its ~10 s per page waiting, not computing: three
// pages at a time.
test.describe('pages', { concurrency: 3 }, () => {
for (const [name, input, opt] of inputs) {
  test(`${name}: strict parse, self-contained, no console message, one row per node`, async () => {
    const { file, html } = await render(name, [...(opt.args || []), input()]);
    checkStatic(name, html);
    await xmlParse(file);
    const profiles = await profilesOf(input(), opt.args);
    assert.ok(profiles.length >= 1);
    compareRows(`${name} (page)`, profiles, sections(html));
    const { dom, consoleLines } = await browse(file, path.join(OUT, `${name}.png`), { height: opt.height || 1800 });
    assert.deepStrictEqual(consoleLines, [], `${name}: console messages`);
    compareRows(`${name} (browser DOM)`, profiles, sections(dom));
    assert.ok(!/<(script|img|iframe|object)\b/i.test(dom), `${name}: an element the page never writes`);
    const png = fs.readFileSync(path.join(OUT, `${name}.png`));
    assert.strictEqual(png.subarray(1, 4).toString(), 'PNG');
    assert.ok(png.length > 10000, `${name}: screenshot of ${png.length} bytes`);
    if (name === 'big-500') {
      assert.strictEqual(sections(dom).values().next().value.rows.length, 500);
      assert.match(dom, /<svg class="gantt big"/);
    }
    if (name === 'hostile') {
      // The title, the DAG header and the labels show the names as text.
      assert.match(dom, /&lt;script&gt;alert\("dag"\)&lt;\/script&gt;/);
    }
    if (name === 'invalid-utf8') {
      // Each maximal invalid subpart is one U+FFFD, as in the JSON profile.
      assert.match(dom, /data-node="bad\ufffd{7}id &lt;x&gt;"/);
      assert.match(html, /model\ufffd{7}/);
    }
    if (name === 'multi-run') {
      const dags = new Set(profiles.map((p) => p.dagId));
      assert.strictEqual((dom.match(/<section class="trend"/g) || []).length, dags.size);
      assert.match(dom, /<section class="runlist"><h2>All 8 runs<\/h2>/);
    }
    if (opt.shot) cases.push(name);
  });
}
});

test('dark colour scheme: the code-review page in dark mode', async () => {
  const { file } = await render('code-review-dark', [path.join(SRC, 'examples/code-review.jsonl')]);
  const { consoleLines } = await browse(file, path.join(OUT, 'code-review-dark.png'), { dark: true, height: 1400 });
  assert.deepStrictEqual(consoleLines, []);
  assert.ok(fs.statSync(path.join(OUT, 'code-review-dark.png')).size > 10000);
});

test('--summary and a profile file read back render too', async () => {
  const multi = path.join(SRC, 'examples/multi-run.jsonl');
  const profiles = await profilesOf(multi);
  const profFile = path.join(OUT, 'multi-run.profiles.jsonl');
  fs.writeFileSync(profFile, profiles.map((p) => JSON.stringify(p)).join('\n') + '\n');
  const back = await render('multi-run-profiles', [profFile]);
  checkStatic('profiles', back.html);
  await xmlParse(back.file);
  compareRows('profile file', profiles, sections(back.html));
  assert.match(back.html, /not the calls' times/);

  const sum = await render('summary', ['--summary', multi]);
  checkStatic('summary', sum.html);
  await xmlParse(sum.file);
  const { dom, consoleLines } = await browse(sum.file, path.join(OUT, 'summary.png'), { height: 1200 });
  assert.deepStrictEqual(consoleLines, []);
  const byDag = new Map();
  for (const p of profiles) byDag.set(p.dagId, (byDag.get(p.dagId) || 0) + 1);
  const trends = [...dom.matchAll(/<section class="trend" id="dag-\d+" data-runs="(\d+)">\s*<h2>([^<]*) /g)];
  assert.strictEqual(trends.length, byDag.size);
  for (const t of trends) assert.strictEqual(+t[1], byDag.get(decode(t[2])));
  assert.ok(!dom.includes('<section class="run"'), 'no run sections with --summary');
});

test('whatif --output html: baseline and predicted timelines, strict parse, no console message', async () => {
  const input = path.join(SRC, 'examples/code-review.jsonl');
  const file = path.join(OUT, 'whatif.html');
  const r = await run(BIN, ['whatif', '--output', 'html', input, 'workers=1']);
  assert.strictEqual(r.code, 0, `whatif --output html: ${r.stderr}`);
  fs.writeFileSync(file, r.stdout);
  checkStatic('whatif', r.stdout);
  await xmlParse(file);
  const j = await run(BIN, ['whatif', '--output', 'json', input, 'workers=1']);
  assert.strictEqual(j.code, 0, j.stderr);
  const w = JSON.parse(j.stdout);
  const { dom, consoleLines } = await browse(file, path.join(OUT, 'whatif.png'), { height: 1400 });
  assert.deepStrictEqual(consoleLines, [], 'whatif: console messages');
  for (const [which, startKey, endKey] of [['baseline', 'start', 'end'], ['predicted', 'predictedStart', 'predictedEnd']]) {
    const m = dom.match(new RegExp(`<section class="whatif" id="whatif-${which}"[^>]*>([\\s\\S]*?)</section>`));
    assert.ok(m, `whatif: ${which} section in the DOM`);
    const rows = [...m[1].matchAll(/<g class="row (leaf|group)( crit)?( err)?" data-node="([^"]*)" data-start-ms="([^"]*)" data-end-ms="([^"]*)"/g)];
    assert.strictEqual(rows.length, w.nodes.length, `whatif ${which}: one row per node`);
    for (const n of w.nodes) {
      const row = rows.find((x) => decode(x[4]) === n.nodeId);
      assert.ok(row, `whatif ${which}: row for ${n.nodeId}`);
      assert.ok(Math.abs(+row[5] - n[startKey]) < 0.0005 && Math.abs(+row[6] - n[endKey]) < 0.0005,
        `whatif ${which} ${n.nodeId}: times`);
    }
  }
  assert.match(dom, /<table class="whatif-summary">/);
});

test('a tampered style block is reported by the browser (the CSP check can fail)', async () => {
  const src = fs.readFileSync(path.join(OUT, 'code-review.html'), 'utf8');
  const bad = path.join(OUT, 'tampered.html');
  fs.writeFileSync(bad, src.replace('<style>', '<style>/* changed */'));
  const { consoleLines } = await browse(bad, path.join(OUT, 'tampered.png'), { height: 600 });
  assert.ok(consoleLines.some((l) => /Content Security Policy/.test(l)), `no violation reported: ${consoleLines}`);
});

test.after(() => {
  if (process.env.DP_UPDATE_SCREENSHOT === '1' && cases.includes('code-review')) {
    fs.copyFileSync(path.join(OUT, 'code-review.png'), path.join(SRC, 'docs/report.png'));
  }
});
