/*
 * fake_llm.js - a local, deterministic OpenAI-compatible server for the
 * real-instrumentation tests.
 *
 * POST /v1/chat/completions (and a minimal non-streaming POST /v1/responses)
 * answer from SCRIPT, a table keyed by a marker `[[key]]` that the workflows
 * put in their prompts. Each entry gives the reply's latency (the server
 * waits that long before answering, so the timing of every LLM call is
 * known), its `usage` (prompt, completion, cached and reasoning tokens) and
 * either text or a tool call. An entry with `turns` is a multi-turn script
 * (the ReAct loop): the turn is the number of `tool` messages already in the
 * conversation. The `model` of the request is echoed in the reply.
 *
 * Every request is recorded (`requests`): the key, turn, run tag (header
 * `x-dagprof-run`), model, the usage answered and when it arrived and was
 * answered, so tests derive the expected tokens and cost from what the
 * server really answered. Listens on 127.0.0.1 only; port 0 by default.
 */
'use strict';

const http = require('node:http');

/* Model names: both are rows of data/pricing.json. */
const MODELS = {
    planner: 'gpt-4.1-mini',
    worker: 'gpt-4o-mini',
};

/*
 * usage: p = prompt_tokens (includes c = cached_tokens), o =
 * completion_tokens (includes r = reasoning_tokens). Latencies are chosen so
 * that the slowest parallel branch wins by >= 70 ms (the client's own
 * overhead per call varies by tens of ms on a loaded machine).
 */
const SCRIPT = {
    /* plan -> 3 parallel searches -> synthesize (plain openai client) */
    'plan': { latencyMs: 40, usage: { p: 1200, c: 512, o: 240, r: 64 },
        content: 'Search three angles: history, market, risks.' },
    'search-1': { latencyMs: 50, usage: { p: 800, c: 256, o: 410, r: 0 },
        content: 'History: founded 1998.' },
    'search-2': { latencyMs: 160, usage: { p: 950, c: 0, o: 620, r: 128 },
        content: 'Market: 12% share.' },
    'search-3': { latencyMs: 90, usage: { p: 870, c: 128, o: 380, r: 32 },
        content: 'Risks: supply chain.' },
    'synthesize': { latencyMs: 60, usage: { p: 2600, c: 1024, o: 700,
        r: 256 }, content: 'Summary: history, market and risks.' },

    /* LangGraph ReAct loop: 2 tool calls, then an answer */
    'react-agent': {
        turns: [
            { latencyMs: 45, usage: { p: 400, c: 0, o: 30, r: 16 },
                toolCall: { name: 'lookup', args: { query: 'population of Lyon' } } },
            { latencyMs: 55, usage: { p: 520, c: 384, o: 35, r: 16 },
                toolCall: { name: 'lookup', args: { query: 'area of Lyon' } } },
            { latencyMs: 65, usage: { p: 640, c: 512, o: 120, r: 48 },
                content: 'Lyon: 522,000 people on 47.87 km2.' },
        ],
    },

    /* LangGraph Send fan-out: plan -> worker x3 (Send) -> reduce */
    'send-plan': { latencyMs: 35, usage: { p: 300, c: 0, o: 60, r: 0 },
        content: 'alpha,beta,gamma' },
    'worker:alpha': { latencyMs: 60, usage: { p: 210, c: 64, o: 90, r: 10 },
        content: 'alpha done' },
    'worker:beta': { latencyMs: 170, usage: { p: 220, c: 64, o: 95, r: 20 },
        content: 'beta done' },
    'worker:gamma': { latencyMs: 95, usage: { p: 230, c: 128, o: 99, r: 0 },
        content: 'gamma done' },
    'send-reduce': { latencyMs: 50, usage: { p: 700, c: 256, o: 150, r: 40 },
        content: 'alpha, beta and gamma merged' },

    /* LangGraph subgraph: prepare -> team (inner graph: draft -> review) */
    'prepare': { latencyMs: 40, usage: { p: 150, c: 0, o: 40, r: 0 },
        content: 'outline ready' },
    'draft': { latencyMs: 80, usage: { p: 600, c: 128, o: 450, r: 100 },
        content: 'first draft' },
    'review': { latencyMs: 50, usage: { p: 900, c: 512, o: 200, r: 60 },
        content: 'approved' },
};

const MARKER_RE = /\[\[([^\]]+)\]\]/;

/* The text of a message content (string or array of parts). */
function contentText(content) {
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) {
        return content.map((p) => (p && (p.text || p.input_text)) || '')
            .join(' ');
    }
    return '';
}

/* The script key of a request: the first [[key]] in its messages. */
function scriptKey(messages) {
    for (const m of messages || []) {
        const t = contentText(m && m.content);
        const mm = MARKER_RE.exec(t);
        if (mm) return mm[1];
    }
    return null;
}

/* The entry for (key, turn): a turns script is indexed by turn. */
function scriptEntry(key, turn) {
    const e = SCRIPT[key];
    if (!e) return null;
    if (e.turns) return e.turns[Math.min(turn, e.turns.length - 1)];
    return e;
}

function openaiUsage(u) {
    return {
        prompt_tokens: u.p,
        completion_tokens: u.o,
        total_tokens: u.p + u.o,
        prompt_tokens_details: { cached_tokens: u.c, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: u.r, audio_tokens: 0,
            accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    };
}

function chatCompletion(id, model, entry, seq) {
    const message = { role: 'assistant', content: null, refusal: null,
        annotations: [] };
    let finish = 'stop';
    if (entry.toolCall) {
        message.tool_calls = [{
            id: `call_${seq}`,
            type: 'function',
            function: { name: entry.toolCall.name,
                arguments: JSON.stringify(entry.toolCall.args) },
        }];
        finish = 'tool_calls';
    } else {
        message.content = entry.content;
    }
    return {
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message, logprobs: null,
            finish_reason: finish }],
        usage: openaiUsage(entry.usage),
        service_tier: 'default',
        system_fingerprint: 'fp_dagprof_fake',
    };
}

function responsesReply(id, model, entry, seq) {
    const output = entry.toolCall ? [{
        type: 'function_call', id: `fc_${seq}`, call_id: `call_${seq}`,
        name: entry.toolCall.name,
        arguments: JSON.stringify(entry.toolCall.args), status: 'completed',
    }] : [{
        type: 'message', id: `msg_${seq}`, role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: entry.content,
            annotations: [] }],
    }];
    const u = entry.usage;
    return {
        id, object: 'response', created_at: Math.floor(Date.now() / 1000),
        status: 'completed', model, output,
        usage: { input_tokens: u.p, output_tokens: u.o,
            total_tokens: u.p + u.o,
            input_tokens_details: { cached_tokens: u.c },
            output_tokens_details: { reasoning_tokens: u.r } },
    };
}

/*
 * Starts the server. Resolves { url (…/v1), port, requests, close() }.
 * opts.latencyScale multiplies every latency (default 1).
 */
function startFakeLlm(opts = {}) {
    const scale = opts.latencyScale || 1;
    const requests = [];
    const t0 = Date.now();
    let seq = 0;
    const server = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const receivedAt = Date.now();
            const fail = (status, msg) => {
                res.writeHead(status, { 'Content-Type': 'application/json' });
                res.end(JSON.stringify({ error: { message: msg,
                    type: 'invalid_request_error' } }));
            };
            const path = req.url.split('?')[0];
            if (req.method !== 'POST' || (path !== '/v1/chat/completions' &&
                path !== '/v1/responses')) {
                return fail(404, `fake_llm: no route ${req.method} ${path}`);
            }
            let body;
            try {
                body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch (e) {
                return fail(400, 'fake_llm: body is not JSON');
            }
            if (body.stream) {
                return fail(400, 'fake_llm: streaming is not scripted');
            }
            const isResponses = path === '/v1/responses';
            const messages = isResponses
                ? (typeof body.input === 'string'
                    ? [{ role: 'user', content: body.input }]
                    : (body.input || []).map((m) => ({ role: m.role ||
                        (m.type === 'function_call_output' ? 'tool' : ''),
                    content: m.content })))
                : body.messages;
            const key = scriptKey(messages);
            const turn = (messages || []).filter((m) => m && m.role === 'tool')
                .length;
            const entry = key && scriptEntry(key, turn);
            if (!entry) {
                return fail(400, `fake_llm: no script for ${key}`);
            }
            const n = ++seq;
            const rec = {
                seq: n, path, key, turn,
                run: req.headers['x-dagprof-run'] || null,
                model: body.model,
                usage: Object.assign({}, entry.usage),
                toolCall: entry.toolCall ? entry.toolCall.name : null,
                latencyMs: entry.latencyMs * scale,
                receivedAt: receivedAt - t0,
                respondedAt: null,
                receivedAtEpochMs: receivedAt,
                respondedAtEpochMs: null,
            };
            requests.push(rec);
            setTimeout(() => {
                const id = `${isResponses ? 'resp' : 'chatcmpl'}-fake${n}`;
                const reply = isResponses
                    ? responsesReply(id, body.model, entry, n)
                    : chatCompletion(id, body.model, entry, n);
                const now = Date.now();
                rec.respondedAt = now - t0;
                rec.respondedAtEpochMs = now;
                res.writeHead(200, { 'Content-Type': 'application/json',
                    'x-request-id': `req_fake_${n}` });
                res.end(JSON.stringify(reply));
            }, entry.latencyMs * scale);
        });
    });
    return new Promise((resolve, reject) => {
        server.on('error', reject);
        server.listen(opts.port || 0, '127.0.0.1', () => {
            const { port } = server.address();
            resolve({
                port,
                url: `http://127.0.0.1:${port}/v1`,
                requests,
                /* Requests of one run tag. */
                requestsOf: (run) => requests.filter((r) => r.run === run),
                close: () => new Promise((r) => {
                    server.closeAllConnections();
                    server.close(() => r());
                }),
            });
        });
    });
}

module.exports = { startFakeLlm, SCRIPT, MODELS, scriptKey };

if (require.main === module) {
    /* Standalone: node fake_llm.js [port] prints its URL and serves. */
    startFakeLlm({ port: Number(process.argv[2]) || 0 }).then((s) => {
        console.log(s.url);
    });
}
