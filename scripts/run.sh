#!/usr/bin/env bash
# run.sh - the README's run command: sets up a Debian 12 machine, builds
# dagprof and runs its main job with the embedded defaults.
#
# Steps: scripts/setup.sh --no-node (Debian packages and the build in build/;
# Node.js is only needed by the tests), then the main job. Until `dagprof
# serve` exists, the main job profiles the example trace shipped in examples/
# (the code-review DAG, OTLP/JSON as the Collector writes it) and prints the
# text report, then the same profile as JSON. Extra arguments are added to
# the dagprof command line of the main job.
#
# Environment: DAGPROF_BUILD_DIR (default build).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash "$ROOT/scripts/setup.sh" --no-node

BUILD_DIR="${DAGPROF_BUILD_DIR:-build}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
DAGPROF="$BUILD_DIR/src/dagprof"
EXAMPLE="$ROOT/examples/code-review.jsonl"

# ---- main job -------------------------------------------------------------
# MAIN JOB SWITCH: when `dagprof serve` lands, replace the two report
# commands below with:
#     exec "$DAGPROF" serve "$@"
echo "== dagprof report $EXAMPLE --output text" >&2
"$DAGPROF" report "$EXAMPLE" --output text "$@"
echo "== dagprof report $EXAMPLE --output json" >&2
"$DAGPROF" report "$EXAMPLE" --output json "$@"
# ---- end of main job ------------------------------------------------------
