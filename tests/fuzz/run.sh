#!/bin/sh
# run.sh: builds the libFuzzer targets with clang (ASan+UBSan) and runs each
# one briefly: fuzz_parse for the given seconds, every other target for half
# of them. CI runs this; bench/fuzz.sh runs each target for millions of
# executions and records the figures.
# Usage: tests/fuzz/run.sh [seconds] [target...]   (default 30, all targets)
# Env: FUZZ_BUILD (build dir, default <source>/build-fuzz), FUZZ_JOBS (default 2).
# The seeds in tests/fuzz/corpus/<name>/ are read only; new inputs go to
# $FUZZ_BUILD/corpus-work/<name>. A crash leaves crash-* in $FUZZ_BUILD and
# exits non-zero.
set -eu

secs=${1:-30}
[ $# -gt 0 ] && shift
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$src/build-fuzz}
jobs=${FUZZ_JOBS:-2}

case $secs in
    ''|*[!0-9]*) echo "usage: $0 [seconds] [target...]" >&2; exit 2 ;;
esac

# Each target: its name (fuzz_<name>.c, corpus/<name>/) and its longest input.
ALL="parse:2048 sms_join:4096 radio:8192 ingest:4096 tables:65536 config:65536 web:2048"
want=${*:-}
targets=""
for t in $ALL; do
    name=${t%%:*}
    if [ -z "$want" ] || echo " $want " | grep -q " $name "; then
        targets="$targets $t"
    fi
done
[ -n "$targets" ] || { echo "run.sh: no such target: $want" >&2; exit 2; }

# The library is instrumented too (fuzzer-no-link), else libFuzzer has no
# coverage of the code it is fuzzing. Warnings are not errors here: the gcc
# build enforces them (scripts/build.sh), clang's extra ones are not a gate.
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DPATROL_FUZZ=ON \
    -DPATROL_SANITIZE=ON -DPATROL_TESTS=OFF -DPATROL_WERROR=OFF \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
names=""
for t in $targets; do names="$names fuzz_${t%%:*}"; done
# shellcheck disable=SC2086
cmake --build "$build" --target $names -j "$jobs" >"$build/fuzz-build.log" 2>&1 ||
    { tail -n 40 "$build/fuzz-build.log"; exit 1; }

cd "$build"
for t in $targets; do
    name=${t%%:*}
    max=${t#*:}
    s=$(( (secs + 1) / 2 ))
    [ "$name" = parse ] && s=$secs
    [ "$secs" = 0 ] && continue # 0 seconds: build only
    mkdir -p "corpus-work/$name"
    echo "== fuzz_$name for ${s}s"
    PATROL_SOURCE=$src "./fuzz_$name" -max_len="$max" -max_total_time="$s" \
        -print_final_stats=1 "corpus-work/$name" "$src/tests/fuzz/corpus/$name" \
        >"fuzz_$name.log" 2>&1 || { tail -n 60 "fuzz_$name.log"; exit 1; }
    grep -E '^stat::number_of_executed_units|^stat::new_units_added|^#[0-9]+.*DONE' \
        "fuzz_$name.log" | tr '\n' ' '
    echo
done
