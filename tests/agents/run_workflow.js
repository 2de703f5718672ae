#!/usr/bin/env node
/*
 * run_workflow.js - one instrumented agent process, set up as an application
 * sets itself up: tracing first (tracing.js), then the instrumentation, then
 * the instrumented libraries, then the workflow, run several times.
 *
 *   node run_workflow.js --workflow openai-fanout|react|send|subgraph
 *       --instr genai|openinference|openllmetry|langchain
 *       --llm http://127.0.0.1:PORT/v1 [--runs 3] [--tag PREFIX]
 *       [--http http://127.0.0.1:PORT/v1/traces] [--grpc http://127.0.0.1:PORT]
 *       [--protocols http,grpc] [--capture FILE]
 *
 * Run i exports over protocols[i % n] (default: alternate http, grpc; none
 * when neither endpoint is given). After each run the process waits for the
 * instrumentation's spans (LangChain callbacks may end spans after invoke
 * returns), flushes the exporter and records the run's trace id. --capture
 * writes every run's spans as one OTLP/JSON line per run. Prints one JSON
 * line: { workflow, instr, runs: [{ runTag, protocol, traceId, spans }],
 * exports: [...] } and exits 1 on any failure (an export that failed too).
 */
'use strict';

const fs = require('node:fs');
const { setupTracing, jsonLine } = require('./tracing');
const { WORKFLOWS } = require('./workflows');

function parseArgs(argv) {
    const a = { runs: 3, tag: 'run', protocols: null };
    for (let i = 2; i < argv.length; i++) {
        const k = argv[i];
        const v = argv[i + 1];
        switch (k) {
        case '--workflow': a.workflow = v; i++; break;
        case '--instr': a.instr = v; i++; break;
        case '--llm': a.llm = v; i++; break;
        case '--runs': a.runs = Number(v); i++; break;
        case '--tag': a.tag = v; i++; break;
        case '--http': a.http = v; i++; break;
        case '--grpc': a.grpc = v; i++; break;
        case '--protocols': a.protocols = v.split(','); i++; break;
        case '--capture': a.capture = v; i++; break;
        default: throw new Error(`run_workflow: unknown argument ${k}`);
        }
    }
    if (!WORKFLOWS[a.workflow]) throw new Error('run_workflow: --workflow');
    if (!a.llm) throw new Error('run_workflow: --llm URL required');
    if (!a.protocols) {
        a.protocols = [a.http && 'http', a.grpc && 'grpc'].filter(Boolean);
    }
    return a;
}

/*
 * Sets up the instrumentation for `instr` and loads the libraries it
 * instruments; returns what the workflows need.
 */
function instrument(instr, tracing) {
    const provider = tracing.provider;
    if (instr === 'genai') {
        /* OTel contrib: patches openai when it is required (CommonJS). */
        const { OpenAIInstrumentation } =
            require('@opentelemetry/instrumentation-openai');
        const inst = new OpenAIInstrumentation();
        inst.setTracerProvider(provider);
        return { OpenAI: require('openai').OpenAI, inst };
    }
    if (instr === 'openinference') {
        const { OpenAIInstrumentation } =
            require('@arizeai/openinference-instrumentation-openai');
        const inst = new OpenAIInstrumentation({ tracerProvider: provider });
        const openai = require('openai');
        /* Patched on require already; manuallyInstrument is a no-op then
         * (it checks), and the way to do it for ESM apps. */
        inst.manuallyInstrument(openai);
        return { OpenAI: openai.OpenAI, inst };
    }
    if (instr === 'openllmetry') {
        const { OpenAIInstrumentation } =
            require('@traceloop/instrumentation-openai');
        const inst = new OpenAIInstrumentation();
        inst.setTracerProvider(provider);
        return { OpenAI: require('openai').OpenAI, inst };
    }
    if (instr === 'langchain') {
        const { LangChainInstrumentation } =
            require('@arizeai/openinference-instrumentation-langchain');
        const CallbackManagerModule =
            require('@langchain/core/callbacks/manager');
        const inst = new LangChainInstrumentation({ tracerProvider: provider });
        inst.manuallyInstrument(CallbackManagerModule);
        const messages = require('@langchain/core/messages');
        return {
            inst,
            lc: {
                langgraph: require('@langchain/langgraph'),
                ToolNode: require('@langchain/langgraph/prebuilt').ToolNode,
                tool: require('@langchain/core/tools').tool,
                ChatOpenAI: require('@langchain/openai').ChatOpenAI,
                SystemMessage: messages.SystemMessage,
                HumanMessage: messages.HumanMessage,
                awaitAllCallbacks:
                    require('@langchain/core/callbacks/promises')
                        .awaitAllCallbacks,
            },
        };
    }
    throw new Error(`run_workflow: unknown --instr ${instr}`);
}

/* Trace ids of root spans captured after index `from`. */
function newRoots(tracing, from) {
    return tracing.capture.spans.slice(from)
        .filter((s) => !s.parentSpanContext)
        .map((s) => s.spanContext().traceId);
}

async function main() {
    const args = parseArgs(process.argv);
    const tracing = setupTracing({
        serviceName: `agents-${args.workflow}-${args.instr}`,
        serviceVersion: '1.0.0',
        httpEndpoint: args.http,
        grpcEndpoint: args.grpc,
    });
    const libs = instrument(args.instr, tracing);
    const workflow = WORKFLOWS[args.workflow];
    const runs = [];
    const lines = [];
    for (let i = 0; i < args.runs; i++) {
        const protocol = args.protocols.length
            ? args.protocols[i % args.protocols.length] : null;
        tracing.exporter.use(protocol);
        const runTag = `${args.tag}-${i + 1}`;
        const from = tracing.capture.spans.length;
        await workflow(Object.assign({
            tracer: tracing.tracer,
            llmUrl: args.llm,
            runTag,
            convention: args.instr,
        }, libs));
        if (libs.lc) await libs.lc.awaitAllCallbacks();
        await tracing.flush();
        const roots = newRoots(tracing, from);
        if (roots.length !== 1) {
            throw new Error(`run ${runTag}: ${roots.length} root spans`);
        }
        const spans = tracing.captured(roots[0]);
        runs.push({ runTag, protocol, traceId: roots[0],
            spans: spans.length });
        lines.push(jsonLine(spans));
    }
    if (args.capture) fs.writeFileSync(args.capture, lines.join('\n') + '\n');
    const exports = tracing.exporter.results;
    await tracing.shutdown();
    const failed = exports.filter((e) => e.code !== 0);
    process.stdout.write(JSON.stringify({ workflow: args.workflow,
        instr: args.instr, runs, exports }) + '\n');
    if (failed.length) {
        process.stderr.write(`run_workflow: ${failed.length} export(s) ` +
            `failed: ${JSON.stringify(failed)}\n`);
        process.exitCode = 1;
    }
}

main().catch((e) => {
    process.stderr.write(`run_workflow: ${e && e.stack || e}\n`);
    process.exit(1);
});
