#!/usr/bin/env bash
# check-format.sh - fails when a tracked C file differs from what
# .clang-format makes of it; prints each such file and how to fix it.
#
#   scripts/check-format.sh          check every tracked *.c and *.h
#   scripts/check-format.sh --fix    rewrite them in place
#
# Headers are formatted as C (clang-format would guess Objective-C for a
# table of designated initializers such as `[':'] = ...`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
command -v clang-format >/dev/null || {
    echo "check-format.sh: clang-format not found (scripts/setup.sh installs it)" >&2
    exit 2
}
fix=0
[ "${1:-}" = --fix ] && fix=1
bad=0
while IFS= read -r f; do
    want="$(clang-format --style=file --assume-filename="${f%.h}.c" < "$f")"
    if [ "$want" != "$(cat "$f")" ]; then
        if [ "$fix" = 1 ]; then
            printf '%s\n' "$want" > "$f"
            echo "formatted $f"
        else
            echo "not formatted: $f" >&2
            bad=$((bad + 1))
        fi
    fi
done < <(git ls-files '*.c' '*.h')
if [ "$bad" -gt 0 ]; then
    echo "check-format.sh: $bad file(s) differ from .clang-format;" \
        "run scripts/check-format.sh --fix" >&2
    exit 1
fi
