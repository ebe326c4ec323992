#!/usr/bin/env bash
# chaos.sh: long seeded chaos runs against the real gateway (bench/chaos.py,
# tests/integration/chaos.py): one Markdown row per seed, exit 1 if any
# invariant failed (the failing seed's report goes to stderr; replay it with
# PATROL_CHAOS_SEED=<seed> PATROL_CHAOS_STEPS=<n> in tests/integration/test_chaos.py).
# Usage: bash bench/chaos.sh [--seeds 1-8] [--steps 3000] [--kill-every 0.01] [--keep]
# Uses ./build (the test build: scripts/build.sh) unless PATROL_BUILD is set.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATROL_BUILD="${PATROL_BUILD:-$ROOT/build}"
export PATROL_SOURCE="$ROOT"
[ -x "$PATROL_BUILD/patrolgw" ] || bash "$ROOT/scripts/build.sh" "$PATROL_BUILD" >/dev/null
exec /usr/bin/python3 "$ROOT/bench/chaos.py" "$@"
