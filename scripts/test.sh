#!/usr/bin/env bash
# test.sh - the README's test command: sets up a Debian 12 machine and runs
# every dagprof test twice.
#
#   1. scripts/setup.sh --no-build: Debian packages, Node.js + npm, and the
#      pinned OpenTelemetry JS SDK that the end-to-end tests use as client;
#   2. scripts/check-format.sh: every C file as .clang-format writes it
#      (a difference counts as one failure; --fix rewrites them);
#   3. build/ (RelWithDebInfo) and `ctest --output-on-failure` in it;
#   4. build-asan/ with -DDP_SANITIZE=ON (AddressSanitizer, LeakSanitizer,
#      UndefinedBehaviorSanitizer) and ctest again, with sanitizer errors fatal.
#
# Both test runs always happen, even when the first fails. The last line is
# "N passed, N failed" summed over both ctest runs (a configure or build
# step that fails, or a ctest run that dies, counts as one failed); the exit
# status is non-zero when anything failed. .ci/run calls this script.
#
# Environment: DAGPROF_BUILD_DIR (build), DAGPROF_ASAN_BUILD_DIR (build-asan),
# DAGPROF_JOBS (build jobs; cores), DAGPROF_CTEST_JOBS (ctest -j; 1),
# DAGPROF_SKIP_ASAN=1 to leave out step 4 while iterating locally.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

abs_dir() { case "$1" in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
BUILD_DIR="$(abs_dir "${DAGPROF_BUILD_DIR:-build}")"
ASAN_DIR="$(abs_dir "${DAGPROF_ASAN_BUILD_DIR:-build-asan}")"
JOBS="${DAGPROF_JOBS:-$(nproc 2>/dev/null || echo 2)}"
CTEST_JOBS="${DAGPROF_CTEST_JOBS:-1}"

LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/dagprof-test.XXXXXX")"
trap 'rm -rf "$LOG_DIR"' EXIT

PASSED=0
FAILED=0
SKIPPED=0
START=$SECONDS

log() { echo "[test] $*" >&2; }

# step NAME CMD...: runs a setup or build command; failure counts as one
# failed test and returns 1 (the caller decides whether to go on).
step() {
    local name="$1"
    shift
    local t0=$SECONDS rc=0
    log "$name"
    "$@" || rc=$?
    if [ "$rc" -ne 0 ]; then
        log "$name FAILED (exit $rc)"
        FAILED=$((FAILED + 1))
        return 1
    fi
    log "$name done in $((SECONDS - t0)) s"
}

# run_ctest NAME DIR [VAR=VALUE...]: runs ctest in DIR with the extra
# environment and adds its counts from ctest's closing line.
run_ctest() {
    local name="$1" dir="$2"
    shift 2
    local out="$LOG_DIR/$name.log" t0=$SECONDS rc=0
    log "ctest ($name) in $dir"
    (cd "$dir" && env "$@" ctest --output-on-failure -j "$CTEST_JOBS") \
        2>&1 | tee "$out" || rc=$?
    local line
    line="$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' \
        "$out" | tail -n1 || true)"
    if [ -n "$line" ]; then
        local failed total skipped
        failed="$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")"
        total="$(sed -E 's/.*failed out of ([0-9]+).*/\1/' <<<"$line")"
        # ctest counts skipped tests as passed; report them apart.
        skipped="$(grep -cE '^[[:space:]]*[0-9]+ - .*\((Skipped|Disabled)\)$' \
            "$out" || true)"
        PASSED=$((PASSED + total - failed - skipped))
        FAILED=$((FAILED + failed))
        SKIPPED=$((SKIPPED + skipped))
        if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
            FAILED=$((FAILED + 1)) # ctest failed without a failing test
        fi
    elif grep -q 'No tests were found' "$out"; then
        log "ctest ($name): no tests found"
        [ "$rc" -eq 0 ] || FAILED=$((FAILED + 1))
    else
        log "ctest ($name) printed no result line (exit $rc)"
        FAILED=$((FAILED + 1))
    fi
    log "ctest ($name) done in $((SECONDS - t0)) s"
}

configure_and_build() {
    local dir="$1"
    shift
    cmake -S "$ROOT" -B "$dir" "$@" && cmake --build "$dir" -j "$JOBS"
}

summary() {
    local extra=""
    [ "$SKIPPED" -eq 0 ] || extra=", $SKIPPED skipped"
    log "total time $((SECONDS - START)) s"
    echo "$PASSED passed, $FAILED failed$extra"
}

if ! step "setup" bash "$ROOT/scripts/setup.sh" --no-build; then
    summary
    exit 1
fi

step "format (scripts/check-format.sh)" bash "$ROOT/scripts/check-format.sh" ||
    true

if step "build ($BUILD_DIR)" configure_and_build "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDP_SANITIZE=OFF; then
    run_ctest release "$BUILD_DIR"
fi

if [ "${DAGPROF_SKIP_ASAN:-0}" != 1 ]; then
    if step "build ($ASAN_DIR, ASan+UBSan)" configure_and_build "$ASAN_DIR" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDP_SANITIZE=ON; then
        run_ctest asan "$ASAN_DIR" \
            ASAN_OPTIONS=detect_leaks=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    fi
else
    log "ASan run skipped (DAGPROF_SKIP_ASAN=1)"
fi

summary
[ "$FAILED" -eq 0 ]
