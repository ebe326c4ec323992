#!/usr/bin/env bash
# Static checks for the C code: cppcheck and clang-tidy (.clang-tidy), both
# must be clean. Usage: scripts/lint.sh [BUILD_DIR]  (needs compile_commands.json)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
cd "$ROOT"
SOURCES=(protocol/*.c gateway/*.c tools/*.c)
cppcheck --enable=warning,performance,portability --error-exitcode=1 --inline-suppr -q \
  -I protocol -I gateway "${SOURCES[@]}"
clang-tidy -p "$BUILD" --quiet "${SOURCES[@]}" 2>/dev/null >"$BUILD/clang-tidy.log" || {
  grep -E "warning:|error:" -A3 "$BUILD/clang-tidy.log"; echo "lint: clang-tidy failed"; exit 1; }
bash scripts/check_thread_calls.sh >/dev/null
echo "lint: clean"
