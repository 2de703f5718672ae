#!/usr/bin/env bash
# setup.sh - prepares a Debian 12 machine for dagprof and builds it.
#
# First step of both README commands (scripts/run.sh and scripts/test.sh):
#   1. installs the Debian packages dagprof builds against (apt-get update and
#      install run only when something is missing, so a second run is quick);
#   2. with node (the default; the tests need it), makes sure Node.js and npm
#      exist (Debian's nodejs/npm when there is none; an existing node is
#      never replaced), installs Debian's prometheus (a real Prometheus and
#      promtool for the exporter tests), chromium and libxml2-utils (the
#      HTML report's browser test), the pinned OpenTelemetry JS SDK
#      of tests/integration and the pinned agent libraries and
#      instrumentations of tests/agents, each with `npm ci` (skipped when
#      its node_modules already matches its lock file);
#   3. configures and builds dagprof into build/ (RelWithDebInfo).
#
# Usage: scripts/setup.sh [--no-node] [--no-build]
# Environment: DAGPROF_BUILD_DIR (default build), DAGPROF_BUILD_TYPE
# (default RelWithDebInfo), DAGPROF_JOBS (default: number of cores),
# DAGPROF_BUILD_TARGET (default: everything; run.sh builds dagprof only).
# Works as root (CI) or, for a user, through sudo when it is installed.
# Everything it prints goes to stderr, so run.sh's stdout is only dagprof's.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WITH_NODE=1
WITH_BUILD=1
for arg in "$@"; do
    case "$arg" in
    --no-node) WITH_NODE=0 ;;
    --no-build) WITH_BUILD=0 ;;
    -h | --help)
        awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' \
            "${BASH_SOURCE[0]}"
        exit 0
        ;;
    *)
        echo "setup.sh: unknown argument: $arg" >&2
        exit 2
        ;;
    esac
done

BUILD_DIR="${DAGPROF_BUILD_DIR:-build}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
BUILD_TYPE="${DAGPROF_BUILD_TYPE:-RelWithDebInfo}"
JOBS="${DAGPROF_JOBS:-$(nproc 2>/dev/null || echo 2)}"

log() { echo "[setup] $*" >&2; }

# Packages dagprof builds and tests against; see README.md for why each.
PACKAGES=(
    build-essential cmake pkg-config
    libgrpc-dev protobuf-c-compiler libprotobuf-c-dev
    libuv1-dev libhttp-parser-dev zlib1g-dev
    libjansson-dev libyaml-dev libcurl4-openssl-dev libssl-dev
    libsqlite3-dev
    libcmocka-dev
)
# Tests only (with Node.js; not for --no-node): a real Prometheus server
# scrapes dagprof's /metrics and promtool checks the exposition; headless
# Chromium loads the HTML report (tests/html) and xmllint parses it;
# clang-format checks every C file against .clang-format (scripts/test.sh);
# clickhouse-server (started by tests/integration/clickhouse_server.js from
# a private config; the package's own service is not used) holds the
# ClickHouse history store's test.
TEST_PACKAGES=(prometheus chromium libxml2-utils clang-format
    clickhouse-server)
NODE_MIN="18.19.0" # oldest Node.js the pinned OpenTelemetry JS SDK supports
NODE_MIN_AGENTS="20.6.0" # oldest the pinned agent libraries (tests/agents) support

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    fi
fi

is_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = \
        "install ok installed" ]
}

# version_ge A B: true when version A >= version B (dotted numbers).
version_ge() {
    [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}

install_packages() {
    local missing=()
    local p
    for p in "${PACKAGES[@]}"; do
        is_installed "$p" || missing+=("$p")
    done
    if [ "$WITH_NODE" -eq 1 ]; then
        # Node may come from Debian or from elsewhere (with its own npm):
        # only install what is absent, never replace an existing node.
        command -v node >/dev/null 2>&1 || missing+=(nodejs)
        command -v npm >/dev/null 2>&1 || missing+=(npm)
        for p in "${TEST_PACKAGES[@]}"; do
            is_installed "$p" || missing+=("$p")
        done
    fi
    if [ "${#missing[@]}" -eq 0 ]; then
        log "Debian packages: all present"
        return 0
    fi
    if [ "$(id -u)" -ne 0 ] && [ "${#SUDO[@]}" -eq 0 ]; then
        echo "setup.sh: missing packages (${missing[*]}); run as root or" \
            "install sudo" >&2
        exit 1
    fi
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# npm_ci DIR: `npm ci` in DIR unless its node_modules already matches its
# package-lock.json (and this node).
npm_ci() {
    local dir="$1" have="$2"
    local stamp="$dir/node_modules/.dagprof-stamp"
    local want
    want="node-$have $(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        log "npm: ${dir#"$ROOT"/}/node_modules matches package-lock.json"
        return 0
    fi
    log "npm ci in ${dir#"$ROOT"/} (node $have, npm $(npm --version))"
    # --ignore-scripts: no dependency needs an install script here.
    (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts \
        --loglevel=error) >&2
    echo "$want" >"$stamp"
}

install_node_modules() {
    local have
    have="$(node --version 2>/dev/null | sed 's/^v//')"
    if ! version_ge "$have" "$NODE_MIN"; then
        echo "setup.sh: Node.js $have is older than $NODE_MIN, which the" \
            "OpenTelemetry JS SDK in tests/integration needs" >&2
        exit 1
    fi
    # Trust the system's certificate store too, as Debian's own Node.js does
    # (a Node.js from elsewhere ships its own list).
    local system_ca=/etc/ssl/certs/ca-certificates.crt
    if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$system_ca" ]; then
        export NODE_EXTRA_CA_CERTS="$system_ca"
    fi
    npm_ci "$ROOT/tests/integration" "$have"
    # The agent libraries (LangChain, the openai client) need Node 20.
    if version_ge "$have" "$NODE_MIN_AGENTS"; then
        npm_ci "$ROOT/tests/agents" "$have"
    else
        log "npm: skipping tests/agents (Node.js $have < $NODE_MIN_AGENTS);" \
            "its test will fail saying so"
    fi
}

# Configures only when the build tree is new or was made with another build
# type (cmake --build re-runs configure by itself when a CMakeLists.txt
# changed), and builds DAGPROF_BUILD_TARGET when set (run.sh: dagprof only).
build() {
    local cache="$BUILD_DIR/CMakeCache.txt"
    if [ ! -f "$cache" ] ||
        ! grep -qx "CMAKE_BUILD_TYPE:STRING=$BUILD_TYPE" "$cache"; then
        log "configure $BUILD_DIR ($BUILD_TYPE)"
        cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >&2
    fi
    local target=()
    [ -z "${DAGPROF_BUILD_TARGET:-}" ] || target=(--target "$DAGPROF_BUILD_TARGET")
    log "build $BUILD_DIR ${target[*]} (-j$JOBS)"
    cmake --build "$BUILD_DIR" -j "$JOBS" "${target[@]}" >&2
}

install_packages
if [ "$WITH_NODE" -eq 1 ]; then
    install_node_modules
fi
if [ "$WITH_BUILD" -eq 1 ]; then
    build
fi
