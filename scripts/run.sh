#!/usr/bin/env bash
# run.sh - the README's run command: sets up a Debian 12 machine, builds
# dagprof and runs its main job with the embedded defaults.
#
# Steps: scripts/setup.sh --no-node (Debian packages and the build in build/;
# Node.js is only needed by the tests), then the main job: `dagprof serve`
# with its defaults. Extra arguments are passed to `dagprof serve` (e.g.
# --config FILE, --output profiles.jsonl).
#
# Environment: DAGPROF_BUILD_DIR (default build).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DAGPROF_BUILD_TARGET=dagprof bash "$ROOT/scripts/setup.sh" --no-node

BUILD_DIR="${DAGPROF_BUILD_DIR:-build}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
DAGPROF="$BUILD_DIR/src/dagprof"
EXAMPLE="$ROOT/examples/code-review.jsonl"

# ---- main job -------------------------------------------------------------
# dagprof serve with the embedded defaults: OTLP/gRPC on 127.0.0.1:4317,
# OTLP/HTTP on 127.0.0.1:4318 (also GET /healthz), one JSON profile per
# finished run on stdout. Stop it with Ctrl-C or SIGTERM: every trace in
# memory is profiled before it exits.
cat >&2 <<HINT
== dagprof serve: its "ready" line below names the addresses it listens on;
   point any OTLP trace exporter at them (OTLP/HTTP: POST /v1/traces). With
   the defaults, from another shell:
     curl -s -H 'Content-Type: application/json' --data-binary @<(head -1 $EXAMPLE) http://127.0.0.1:4318/v1/traces
   Offline instead: $DAGPROF report $EXAMPLE --output text
   Every profile is kept in dagprof-data/history.db: $DAGPROF runs
   (also show, trends, regressions; each has --help)
HINT
exec "$DAGPROF" serve "$@"
# ---- end of main job ------------------------------------------------------
