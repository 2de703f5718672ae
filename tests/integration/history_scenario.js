/*
 * history_scenario.js - the runs the history tests send (serve_history and
 * serve_history_clickhouse): two versions of one DAG, research 30% slower
 * in the newer one, two failed runs in the older.
 */
'use strict';

const RUNS_PER_VERSION = 24;
const DAY0 = Date.parse('2025-06-01T06:00:00Z');

/*
 * One run as a scenario: plan (LLM call), research (links plan; LLM and
 * tool call), write (links plan and research; LLM call). i varies the
 * times the same way in both versions; in version 1.1 research takes 30%
 * longer. Runs 3 and 7 of version 1.0 end with write failed.
 */
function scenario(version, i) {
    const j = (i * 37) % 23; /* 0..22, a different value per run */
    const plan = 400 + j * 3;
    let research = 2000 + j * 11;
    if (version === '1.1') research = Math.round(research * 1.3);
    const write = 600 + j * 5;
    const t1 = 10 + plan, t2 = t1 + 10 + research, t3 = t2 + 10 + write;
    const failed = version === '1.0' && (i === 3 || i === 7);
    const chat = (id, parent, start, end, input, output) => ({
        id, name: 'chat claude-sonnet-4-5', parent, start, end,
        attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'claude-sonnet-4-5',
            'gen_ai.usage.input_tokens': input,
            'gen_ai.usage.output_tokens': output,
        },
        status: 'ok',
    });
    const node = (id, start, end, links, status = 'ok') => ({
        id, name: `invoke_agent ${id}`, parent: 'root', start, end, links,
        attributes: { 'dag.node.id': id, 'gen_ai.operation.name':
            'invoke_agent', 'gen_ai.agent.name': id },
        status,
    });
    const base = new Date(DAY0 + (version === '1.1' ? 86400000 : 0) +
        i * 1800000).toISOString();
    return {
        seed: `history-${version}-${i}`,
        baseTime: base,
        resource: { 'service.name': 'history-agents',
            'service.version': version },
        spans: [
            { id: 'root', name: 'invoke_workflow hist-dag', start: 0,
                end: t3 + 10, attributes: { 'dag.id': 'hist-dag' },
                status: 'ok' },
            node('plan', 10, t1, []),
            chat('plan.chat', 'plan', 15, t1 - 5, 1000, 200),
            node('research', t1 + 10, t2, ['plan']),
            chat('research.chat', 'research', t1 + 15, t2 - 300, 2000, 400),
            { id: 'research.tool', name: 'execute_tool search',
                parent: 'research', start: t2 - 290, end: t2 - 5,
                attributes: { 'gen_ai.operation.name': 'execute_tool',
                    'gen_ai.tool.name': 'search' }, status: 'ok' },
            node('write', t2 + 10, t3, ['plan', 'research'],
                failed ? 'error' : 'ok'),
            chat('write.chat', 'write', t2 + 15, t3 - 5, 1500, 600),
        ],
    };
}

module.exports = { RUNS_PER_VERSION, DAY0, scenario };
