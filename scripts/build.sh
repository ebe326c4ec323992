#!/usr/bin/env bash
# Builds patrolgw. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# Default: build/ (RelWithDebInfo, no sanitizers).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
shift || true
cmake -S "$ROOT" -B "$BUILD" -DPATROL_WERROR=ON "$@" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
