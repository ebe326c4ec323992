#!/bin/sh
# run.sh: builds the libFuzzer targets with clang and runs fuzz_parse (for the
# given seconds) and fuzz_sms_join (for half of them).
# Usage: tests/fuzz/run.sh [seconds]   (default 30)
# Env: FUZZ_BUILD (build dir, default <source>/build-fuzz), FUZZ_JOBS (default 2).
# New inputs go to $FUZZ_BUILD/corpus-work; the seeds in tests/fuzz/corpus are
# read only. A crash leaves crash-* in $FUZZ_BUILD and exits non-zero.
set -eu

secs=${1:-30}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$src/build-fuzz}
jobs=${FUZZ_JOBS:-2}

case $secs in
    ''|*[!0-9]*) echo "usage: $0 [seconds]" >&2; exit 2 ;;
esac

# The library is instrumented too (fuzzer-no-link), else libFuzzer has no
# coverage of the parser it is fuzzing.
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DPATROL_FUZZ=ON \
    -DPATROL_SANITIZE=ON -DPATROL_TESTS=OFF \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
cmake --build "$build" --target fuzz_parse fuzz_sms_join -j "$jobs"

mkdir -p "$build/corpus-work"
cd "$build"
PATROL_SOURCE=$src ./fuzz_parse -max_len=2048 -max_total_time="$secs" \
    -print_final_stats=1 "$build/corpus-work" "$src/tests/fuzz/corpus"
# SMS multipart assembly and text decoding (outside input from the modem).
mkdir -p "$build/corpus-work-sms"
./fuzz_sms_join -max_len=4096 -max_total_time="$(( (secs + 1) / 2 ))" \
    -print_final_stats=1 "$build/corpus-work-sms"
