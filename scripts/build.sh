#!/usr/bin/env bash
# Builds patrolgw.
# Usage: scripts/build.sh [--bin] [--quiet] [BUILD_DIR] [extra cmake args...]
#   (default)  everything: patrolgw, patrolctl, patrolsim, the tests and the
#              benchmarks, in build/ (RelWithDebInfo, no sanitizers)
#   --bin      only the three programs (patrolgw, patrolctl, patrolsim): no tests
#              or benchmarks, so `scripts/deps.sh demo` is enough
#   --quiet    one line per stage; cmake's output goes to BUILD_DIR/build.log
#              (its tail is printed if the build fails)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN=0
QUIET=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN=1; shift ;;
    --quiet) QUIET=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
BUILD="${1:-$ROOT/build}"
shift || true
if [ "$BIN" = 1 ]; then
  # A new build dir is configured without tests and benchmarks (no cmocka needed);
  # one that has them keeps them (its ctest still works): only the three are built.
  SCOPE=()
  [ -f "$BUILD/CMakeCache.txt" ] || SCOPE=(-DPATROL_TESTS=OFF -DPATROL_BENCH=OFF)
  TARGETS=(--target patrolgw patrolctl patrolsim)
else
  # Everything, also in a build dir first configured by --bin.
  SCOPE=(-DPATROL_TESTS=ON -DPATROL_BENCH=ON)
  TARGETS=()
fi
LOG="$BUILD/build.log"
mkdir -p "$BUILD"
start=$(date +%s)
if [ "$QUIET" = 1 ]; then
  {
    cmake -S "$ROOT" -B "$BUILD" -DPATROL_WERROR=ON "${SCOPE[@]}" "$@" &&
      cmake --build "$BUILD" -j"$(nproc)" "${TARGETS[@]}"
  } >"$LOG" 2>&1 || {
    tail -n 40 "$LOG" >&2
    echo "build.sh: the build failed (full log: $LOG)" >&2
    exit 1
  }
  echo "build: $( [ "$BIN" = 1 ] && echo "patrolgw, patrolctl, patrolsim" || echo "everything" ) in $(( $(date +%s) - start ))s (log: $LOG)"
else
  cmake -S "$ROOT" -B "$BUILD" -DPATROL_WERROR=ON "${SCOPE[@]}" "$@" >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" "${TARGETS[@]}"
fi
