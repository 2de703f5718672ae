/*
 * workflows.js - the agent workflows the suite runs, written the way teams
 * write them, against the fake OpenAI server (fake_llm.js):
 *
 *   openai-fanout: plan -> search-1, search-2, search-3 in parallel ->
 *     synthesize, with the plain `openai` client; each step is an explicit
 *     span in one of three conventions (below) and the instrumentation's LLM
 *     span is inside it.
 *   react: LangGraph ReAct loop agent -> tools -> agent -> tools -> agent
 *     (StateGraph, conditional edge, ToolNode, ChatOpenAI.bindTools).
 *   send: LangGraph plan -> three `worker` executions via Send -> reduce.
 *   subgraph: LangGraph prepare -> team, where team invokes a compiled inner
 *     graph draft -> review.
 *
 * Every prompt carries a [[key]] marker that selects the fake server's
 * scripted reply; every request carries the run tag in x-dagprof-run.
 * The modules under instrumentation (openai, @langchain/*) are passed in by
 * run_workflow.js, which loads them after the instrumentation is set up.
 */
'use strict';

const { MODELS } = require('./fake_llm');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* How a team declares its step spans, per instrumentation family. */
const CONVENTIONS = {
    /* OpenInference: graph.node.id, and graph.node.parent_id where the step
     * has exactly one parent (a fan-in cannot be declared). */
    openinference: {
        root: (runTag) => ({ name: 'research', attributes: {
            'openinference.span.kind': 'CHAIN',
            'session.id': `sess-${runTag}` } }),
        node: (id, parentId) => ({ name: id, attributes: Object.assign({
            'openinference.span.kind': 'AGENT',
            'graph.node.id': id,
            'graph.node.name': id,
        }, parentId ? { 'graph.node.parent_id': parentId } : {}) }),
    },
    /* OTel GenAI semantic conventions: invoke_workflow root, invoke_agent
     * steps. */
    genai: {
        root: (runTag) => ({ name: 'invoke_workflow research', attributes: {
            'gen_ai.operation.name': 'invoke_workflow',
            'gen_ai.agent.name': 'research',
            'gen_ai.conversation.id': `sess-${runTag}` } }),
        node: (id) => ({ name: `invoke_agent ${id}`, attributes: {
            'gen_ai.operation.name': 'invoke_agent',
            'gen_ai.agent.name': id,
            'gen_ai.provider.name': 'openai' } }),
    },
    /* OpenLLMetry: what the Traceloop SDK's withWorkflow / withTask write. */
    openllmetry: {
        root: () => ({ name: 'research.workflow', attributes: {
            'traceloop.span.kind': 'workflow',
            'traceloop.workflow.name': 'research',
            'traceloop.entity.name': 'research',
            'traceloop.entity.path': '' } }),
        node: (id) => ({ name: `${id}.task`, attributes: {
            'traceloop.span.kind': 'task',
            'traceloop.workflow.name': 'research',
            'traceloop.entity.name': id,
            'traceloop.entity.path': 'research' } }),
    },
};

const SEARCHES = ['search-1', 'search-2', 'search-3'];

/* plan -> 3 parallel searches -> synthesize with the plain openai client. */
async function openaiFanout(ctx) {
    const { tracer, OpenAI, llmUrl, runTag, convention } = ctx;
    const conv = CONVENTIONS[convention];
    const client = new OpenAI({ apiKey: 'sk-fake', baseURL: llmUrl,
        defaultHeaders: { 'x-dagprof-run': runTag }, maxRetries: 0,
        timeout: 10000 });
    const ask = (key, model, question) => client.chat.completions.create({
        model,
        messages: [
            { role: 'system', content: `You are a research agent. [[${key}]]` },
            { role: 'user', content: question },
        ],
    });
    const step = (id, parentId, fn) => {
        const d = conv.node(id, parentId);
        return tracer.startActiveSpan(d.name, { attributes: d.attributes },
            async (span) => {
                try {
                    return await fn();
                } finally {
                    span.end();
                }
            });
    };
    const r = conv.root(runTag);
    return tracer.startActiveSpan(r.name, { attributes: r.attributes },
        async (root) => {
            try {
                const plan = await step('plan', null, () =>
                    ask('plan', MODELS.planner, 'Plan research on ACME.'));
                const angles = plan.choices[0].message.content;
                const found = await Promise.all(SEARCHES.map((id) =>
                    step(id, 'plan', () => ask(id, MODELS.worker,
                        `Search: ${angles}`))));
                await step('synthesize', null, () => ask('synthesize',
                    MODELS.planner, found.map((f) =>
                        f.choices[0].message.content).join('\n')));
                return root.spanContext().traceId;
            } finally {
                root.end();
            }
        });
}

function chatModel(lc, ctx, extra = {}) {
    return new lc.ChatOpenAI(Object.assign({
        model: MODELS.worker,
        apiKey: 'sk-fake',
        maxRetries: 0,
        timeout: 10000,
        configuration: { baseURL: ctx.llmUrl,
            defaultHeaders: { 'x-dagprof-run': ctx.runTag } },
    }, extra));
}

/* Config of a graph invocation: a run name and a session for the trace. */
function invokeConfig(ctx, runName) {
    return { runName, metadata: { session_id: `sess-${ctx.runTag}` } };
}

/* Tool of the ReAct loop: a lookup that takes TOOL_MS. */
const TOOL_MS = 25;

async function react(ctx) {
    const { lc } = ctx;
    const { StateGraph, MessagesAnnotation, START, END } = lc.langgraph;
    const lookup = lc.tool(async ({ query }) => {
        await sleep(TOOL_MS);
        return `fact about ${query}`;
    }, {
        name: 'lookup',
        description: 'Look up one fact.',
        schema: { type: 'object', properties: { query: { type: 'string' } },
            required: ['query'] },
    });
    const model = chatModel(lc, ctx).bindTools([lookup]);
    const graph = new StateGraph(MessagesAnnotation)
        .addNode('agent', async (state) => ({
            messages: [await model.invoke(state.messages)] }))
        .addNode('tools', new lc.ToolNode([lookup]))
        .addEdge(START, 'agent')
        .addConditionalEdges('agent', (state) => {
            const last = state.messages[state.messages.length - 1];
            return last.tool_calls && last.tool_calls.length ? 'tools' : END;
        }, ['tools', END])
        .addEdge('tools', 'agent')
        .compile();
    await graph.invoke({ messages: [
        new lc.SystemMessage('Answer with the lookup tool. [[react-agent]]'),
        new lc.HumanMessage('How dense is Lyon?'),
    ] }, invokeConfig(ctx, 'react-agent'));
}

async function send(ctx) {
    const { lc } = ctx;
    const { StateGraph, Annotation, Send, START, END } = lc.langgraph;
    const State = Annotation.Root({
        topic: Annotation(),
        topics: Annotation(),
        results: Annotation({ reducer: (a, b) => a.concat(b),
            default: () => [] }),
        summary: Annotation(),
    });
    const model = chatModel(lc, ctx);
    const ask = async (key, text) => (await model.invoke([
        new lc.SystemMessage(`Work step. [[${key}]]`),
        new lc.HumanMessage(text)])).content;
    const graph = new StateGraph(State)
        .addNode('plan', async () => ({
            topics: (await ask('send-plan', 'Split the job.')).split(',') }))
        .addNode('worker', async (state) => ({
            results: [await ask(`worker:${state.topic}`, state.topic)] }))
        .addNode('reduce', async (state) => ({
            summary: await ask('send-reduce', state.results.join(';')) }))
        .addEdge(START, 'plan')
        .addConditionalEdges('plan', (state) => state.topics.map((t) =>
            new Send('worker', { topic: t })), ['worker'])
        .addEdge('worker', 'reduce')
        .addEdge('reduce', END)
        .compile();
    await graph.invoke({}, invokeConfig(ctx, 'send-fanout'));
}

async function subgraph(ctx) {
    const { lc } = ctx;
    const { StateGraph, Annotation, START, END } = lc.langgraph;
    const State = Annotation.Root({ text: Annotation() });
    const model = chatModel(lc, ctx);
    const ask = async (key, text) => (await model.invoke([
        new lc.SystemMessage(`Writing step. [[${key}]]`),
        new lc.HumanMessage(String(text || 'start'))])).content;
    const inner = new StateGraph(State)
        .addNode('draft', async (s) => ({ text: await ask('draft', s.text) }))
        .addNode('review', async (s) => ({
            text: await ask('review', s.text) }))
        .addEdge(START, 'draft')
        .addEdge('draft', 'review')
        .addEdge('review', END)
        .compile();
    const outer = new StateGraph(State)
        .addNode('prepare', async (s) => ({
            text: await ask('prepare', s.text) }))
        .addNode('team', async (s) => ({
            text: (await inner.invoke({ text: s.text })).text }))
        .addEdge(START, 'prepare')
        .addEdge('prepare', 'team')
        .addEdge('team', END)
        .compile();
    await outer.invoke({ text: 'topic' }, invokeConfig(ctx, 'writer'));
}

module.exports = {
    CONVENTIONS,
    TOOL_MS,
    SEARCHES,
    WORKFLOWS: { 'openai-fanout': openaiFanout, react, send, subgraph },
};
