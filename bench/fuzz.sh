#!/usr/bin/env bash
# fuzz.sh: the long fuzzing campaign. Runs every libFuzzer target of
# tests/fuzz/ (ASan+UBSan, built by tests/fuzz/run.sh's rules) until it has
# made RUNS executions or spent CAP seconds, two targets at a time (2 cores),
# and prints one Markdown row per target: executions, executions/s, edges and
# features covered, corpus size, crashes. With --keep, the inputs that found
# new coverage are merged (minimised, -merge=1) into tests/fuzz/corpus/<name>/
# so that the next CI run starts from them.
# Usage: bash bench/fuzz.sh [--runs N] [--cap SECONDS] [--keep] [target...]
#   (defaults: 10,000,000 runs, 3,600 s cap, all targets)
# Exit status: 0 if no target crashed, 1 otherwise (the crash files are in
# build-fuzz/, named crash-<sha1>; reproduce with ./build-fuzz/fuzz_<name> FILE).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=10000000
CAP=3600
KEEP=0
want=()
while [ $# -gt 0 ]; do
    case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --cap) CAP=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) want+=("$1"); shift ;;
    esac
done
BUILD=${FUZZ_BUILD:-$ROOT/build-fuzz}
# Build every target (a 0-second run of each is the build).
FUZZ_BUILD=$BUILD bash "$ROOT/tests/fuzz/run.sh" 0 "${want[@]}" >/dev/null
targets=$(sed -n 's/^ALL="\(.*\)"$/\1/p' "$ROOT/tests/fuzz/run.sh")

run_one() { # name maxlen
    local name=$1 max=$2 dir=$BUILD/campaign/$1
    rm -rf "$dir"
    mkdir -p "$dir/corpus"
    local t0=$SECONDS
    (cd "$dir" && PATROL_SOURCE=$ROOT "$BUILD/fuzz_$name" -max_len="$max" -runs="$RUNS" \
        -max_total_time="$CAP" -print_final_stats=1 -artifact_prefix="$BUILD/" \
        corpus "$ROOT/tests/fuzz/corpus/$name" >"$dir/log" 2>&1) || true
    echo $(( SECONDS - t0 )) >"$dir/seconds"
}

pids=()
for t in $targets; do
    name=${t%%:*}
    if [ ${#want[@]} -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qx "$name"; then
        continue
    fi
    run_one "$name" "${t#*:}" &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then
        wait "${pids[0]}"
        pids=("${pids[@]:1}")
    fi
done
wait

echo "| target | executions | exec/s | edges | features | corpus | crashes | time |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
bad=0
for t in $targets; do
    name=${t%%:*}
    log=$BUILD/campaign/$name/log
    [ -f "$log" ] || continue
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    secs=$(cat "$BUILD/campaign/$name/seconds")
    rate=$(( ${execs:-0} / (secs > 0 ? secs : 1) ))
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
    crashes=$(grep -cE '^==[0-9]+==ERROR|^SUMMARY: (libFuzzer|UndefinedBehavior|AddressSanitizer)' \
        "$log" || true)
    [ "${crashes:-0}" -gt 0 ] && bad=1
    echo "| fuzz_$name | ${execs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | ${crashes:-0} | ${secs}s |"
    if [ "$KEEP" = 1 ]; then
        mkdir -p "$BUILD/campaign/$name/min"
        PATROL_SOURCE=$ROOT "$BUILD/fuzz_$name" -merge=1 -max_len="${t#*:}" \
            "$ROOT/tests/fuzz/corpus/$name" "$BUILD/campaign/$name/corpus" \
            >"$BUILD/campaign/$name/merge.log" 2>&1 || true
    fi
done
exit $bad
