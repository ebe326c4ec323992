#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine:
#   1. install what is missing;
#   2. normal build: unit and integration tests (ctest), cppcheck and
#      clang-tidy, then the unit tests under valgrind;
#   3. ASan+UBSan build: the same tests again;
#   4. a short libFuzzer run of every parser fuzz target (clang).
# Usage: bash scripts/test.sh [--quick]   (--quick: normal build only)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
JOBS="$(nproc)"
start=$(date +%s)

bash "$ROOT/scripts/deps.sh"

echo "== normal build"
bash "$ROOT/scripts/build.sh" "$ROOT/build" -DPATROL_SANITIZE=OFF
(cd "$ROOT/build" && ctest --output-on-failure -j"$JOBS")

echo "== static checks"
bash "$ROOT/scripts/lint.sh" "$ROOT/build"

echo "== unit tests under valgrind"
for t in "$ROOT"/build/tests/test_*; do
  [ -x "$t" ] || continue
  PATROL_SOURCE="$ROOT" valgrind -q --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite "$t" >/dev/null 2>"$ROOT/build/valgrind.log" || {
      cat "$ROOT/build/valgrind.log"; echo "valgrind: $t failed"; exit 1; }
done
echo "valgrind: clean"

if [ "$QUICK" = 1 ]; then
  exit 0
fi

echo "== ASan+UBSan build"
bash "$ROOT/scripts/build.sh" "$ROOT/build-asan" -DPATROL_SANITIZE=ON
(cd "$ROOT/build-asan" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j"$JOBS")

echo "== fuzzing (short run)"
if [ -x "$ROOT/tests/fuzz/run.sh" ] || [ -f "$ROOT/tests/fuzz/run.sh" ]; then
  FUZZ_SECONDS="${FUZZ_SECONDS:-30}" bash "$ROOT/tests/fuzz/run.sh" "${FUZZ_SECONDS:-30}"
fi

echo "== all tests passed in $(( $(date +%s) - start ))s"
