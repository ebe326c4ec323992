#!/usr/bin/env bash
# run.sh: the ingest benchmark (bench/README.md says what each figure means).
#
# Builds a Release build in build-bench/, starts one mosquitto on a free
# loopback port, and on the same message mix measures (a) the broker alone
# relaying, (b) the zero-work echo client, (c) patrolgw, each closed loop then
# paced; then the parser alone. Prints a summary and the targets with PASS/FAIL.
#
#   bash bench/run.sh [--n N] [--paced-n N] [--rate R] [--window W]
#                     [--build-dir DIR] [--no-build] [--no-gateway] [--keep]
#                     [--compare PATROLGW]
#   bash bench/run.sh --n 2000 --paced-n 500      # a quick smoke run
#
# Exit status: 0 when every measurement ran (targets may still FAIL: read the
# summary; --strict makes a FAIL exit 3), 1 on an error, 2 on bad usage.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=100000
PACED_N=""
RATE=1000
WINDOW=64
BUILD="$SRC/build-bench"
DO_BUILD=1
DO_GATEWAY=1
KEEP=0
SAMPLE_PARTNERS=0
STRICT=0
COMPARE=""
REPEAT=3
PARSE_SECONDS=2

usage() {
    sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'
Options:
  --n N            messages per closed-loop run (100000)
  --paced-n N      messages per paced run (default: the same as --n)
  --rate R         paced rate, messages/s (1000)
  --window W       closed loop: messages in flight (64)
  --repeat K       closed loop: rounds of the three targets; the median counts (3)
  --build-dir DIR  where to build (build-bench/ in the source tree)
  --no-build       use the binaries already in the build dir
  --no-gateway     skip (c): measure only the broker, the echo and the parser
  --keep           keep the temp dir (logs, configs, databases, per-message latencies)
  --sample-partners  route alerts with the sample's partners (council: every report but ENG)
                   instead of bench/partners.conf (about a third of the reports alert)
  --strict         exit 3 if a target FAILs
  --compare BIN    also measure another patrolgw binary (e.g. a build of main
                   before a change) in every round, right after this one, as
                   "compare"; the targets judge only this build's patrolgw
EOF
}

die() { echo "run.sh: $*" >&2; exit 1; }

num_arg() {
    [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: $1 needs a positive integer" >&2; exit 2; }
}

while [ $# -gt 0 ]; do
    case "$1" in
        --n) num_arg "$1" "${2:-}"; N=$2; shift 2 ;;
        --paced-n) num_arg "$1" "${2:-}"; PACED_N=$2; shift 2 ;;
        --compare) [ -n "${2:-}" ] || { echo "run.sh: --compare needs a path" >&2; exit 2; }
                   COMPARE=$2; shift 2 ;;
        --rate) num_arg "$1" "${2:-}"; RATE=$2; shift 2 ;;
        --window) num_arg "$1" "${2:-}"; WINDOW=$2; shift 2 ;;
        --repeat) num_arg "$1" "${2:-}"; REPEAT=$2; shift 2 ;;
        --build-dir) [ -n "${2:-}" ] || { usage >&2; exit 2; }; BUILD=$2; shift 2 ;;
        --no-build) DO_BUILD=0; shift ;;
        --no-gateway) DO_GATEWAY=0; shift ;;
        --keep) KEEP=1; shift ;;
        --sample-partners) SAMPLE_PARTNERS=1; shift ;;
        --strict) STRICT=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
PACED_N=${PACED_N:-$N}

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || die "python3 is needed (free port, store check)"
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || die "mosquitto is not installed"
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)

# ------------------------------------------------------------------ cleanup
TMP=$(mktemp -d /tmp/patrol-bench.XXXXXX)
PIDS=()

stop_pid() { # pid [seconds]: SIGTERM, then SIGKILL after the grace time; returns its status
    local pid=$1 grace=${2:-10} i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "run.sh: pid $pid did not stop in ${grace}s: SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null
}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid" 5 || true
    done
    if [ "$KEEP" = 1 ]; then
        echo "run.sh: kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_line FILE PATTERN PID SECONDS: until PATTERN is in FILE; fails if PID dies.
wait_line() {
    local file=$1 pat=$2 pid=$3 secs=$4 i
    for ((i = 0; i < secs * 10; i++)); do
        grep -q -- "$pat" "$file" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# field LINE KEY: the value of key=value in a result line, units stripped.
field() {
    sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<<"$1"
}

# ------------------------------------------------------------------ build
if [ "$DO_BUILD" = 1 ]; then
    echo "== build: Release in $BUILD"
    targets=(mqtt_bench mqtt_echo parse_bench)
    [ "$DO_GATEWAY" = 1 ] && targets+=(patrolgw)
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DPATROL_SANITIZE=OFF \
        -DPATROL_TESTS=OFF >"$TMP/cmake.log" 2>&1 \
        || { tail -n 30 "$TMP/cmake.log" >&2; die "cmake configure failed (log above)"; }
    cmake --build "$BUILD" -j2 --target "${targets[@]}" >>"$TMP/cmake.log" 2>&1 \
        || { tail -n 30 "$TMP/cmake.log" >&2
             die "build failed (log above); --no-gateway skips patrolgw"; }
fi
BENCH="$BUILD/bench/mqtt_bench"
ECHO="$BUILD/bench/mqtt_echo"
PARSE="$BUILD/bench/parse_bench"
GW="$BUILD/patrolgw"
for b in "$BENCH" "$ECHO" "$PARSE"; do
    [ -x "$b" ] || die "$b is missing (build it, or drop --no-build)"
done
if [ -n "$COMPARE" ] && [ ! -x "$COMPARE" ]; then
    die "--compare $COMPARE is not an executable"
fi
if [ "$DO_GATEWAY" = 1 ] && [ ! -x "$GW" ]; then
    die "$GW is missing; --no-gateway skips it"
fi

# ------------------------------------------------------------------ machine
echo "== machine"
echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores;" \
    "memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo);" \
    "kernel $(uname -r)"
echo "mosquitto: $("$MOSQUITTO" -h 2>&1 | sed -n 's/^mosquitto version //p' | head -n 1);" \
    "libmosquitto $(pkg-config --modversion libmosquitto 2>/dev/null || echo '?');" \
    "sqlite $(pkg-config --modversion sqlite3 2>/dev/null || echo '?');" \
    "cc: $(cc --version | head -n 1)"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)" \
    "(anything else running skews the figures)"
echo "load: N=$N closed (window $WINDOW), paced N=$PACED_N at ${RATE}/s, QoS 1, JSON payloads"

# ------------------------------------------------------------------ broker
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
EXAMPLE_MQ="$SRC/docs/examples/mosquitto.conf"
MQCONF="$TMP/mosquitto.conf"
{
    echo "# generated by bench/run.sh"
    echo "per_listener_settings false"
    echo "listener $PORT 127.0.0.1"
    echo "allow_anonymous true"
    echo "persistence false"
    if [ -f "$EXAMPLE_MQ" ]; then
        echo "# tuning taken from docs/examples/mosquitto.conf"
        keys='max_queued_messages|max_queued_bytes|max_inflight_messages|max_inflight_bytes'
        keys+='|set_tcp_nodelay|queue_qos0_messages|max_packet_size|message_size_limit'
        keys+='|upgrade_outgoing_qos'
        grep -E "^[[:space:]]*($keys)[[:space:]]" "$EXAMPLE_MQ" || true
    fi
} >"$MQCONF"
# The settings the bench needs, where the example did not set them.
for kv in "max_queued_messages 100000" "max_inflight_messages 100" "set_tcp_nodelay true"; do
    grep -q "^${kv%% *}[[:space:]]" "$MQCONF" || echo "$kv" >>"$MQCONF"
done
printf 'log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\n' >>"$MQCONF"
tuning="own tuning"
[ -f "$EXAMPLE_MQ" ] && tuning="tuning from docs/examples/mosquitto.conf"
echo "== broker: mosquitto on 127.0.0.1:$PORT ($tuning;" \
    "$(grep -E '^(max_queued_messages|max_inflight_messages|set_tcp_nodelay|persistence) ' "$MQCONF" |
        tr '\n' ',' | sed 's/,$//; s/,/, /g'))"
"$MOSQUITTO" -c "$MQCONF" >"$TMP/mosquitto.log" 2>&1 &
MQ_PID=$!
PIDS+=("$MQ_PID")
wait_line "$TMP/mosquitto.log" "running" "$MQ_PID" 10 \
    || { cat "$TMP/mosquitto.log" >&2; die "mosquitto did not start"; }

RESULTS="$TMP/results.txt"
: >"$RESULTS"
# run_bench LABEL LOAD TAG ARGS...: one measurement, its line kept in RESULTS.
run_bench() {
    local label=$1 load=$2 tag=$3 line n secs
    shift 3
    if [ "$load" = closed ]; then n=$N; else n=$PACED_N; fi
    secs=$(( n / RATE * 2 + n / 1000 + 120 ))
    line=$(timeout "$secs" "$BENCH" --port "$PORT" --label "$label" --load "$load" --tag "$tag" \
        --n "$n" --window "$WINDOW" --rate "$RATE" --latencies "$TMP/latencies-$tag.txt" \
        "$@") || die "mqtt_bench $label $load failed"
    echo "$line"
    echo "$line" >>"$RESULTS"
    kill -0 "$MQ_PID" 2>/dev/null || die "mosquitto died (log: $TMP/mosquitto.log)"
}

# echo_run LOAD TAG: the echo client started, one measurement, stopped.
echo_run() {
    local load=$1 tag=$2 pid
    "$ECHO" --port "$PORT" >"$TMP/echo-$tag.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_line "$TMP/echo-$tag.log" "subscribed to" "$pid" 10 \
        || { cat "$TMP/echo-$tag.log" >&2; die "the echo client did not subscribe"; }
    run_bench echo "$load" "$tag" --mode target
    stop_pid "$pid" || die "the echo client did not stop cleanly"
}

SAMPLE="$SRC/docs/examples/hernebay"
NETWORKS=$("$BENCH" --list-networks)

# gw_config DIR: the sample deployment with our broker, a store in DIR, open networks.
gw_config() {
    local dir=$1 net
    mkdir -p "$dir"
    {
        echo "; generated by bench/run.sh from docs/examples/hernebay/patrolgw.conf"
        if [ -f "$SAMPLE/patrolgw.conf" ]; then
            # Drop the keys set below; keep the rest (partners, networks, radius).
            awk '
                /^[[:space:]]*\[/ {
                    s = $0; sub(/\].*/, "", s); sub(/^[[:space:]]*\[/, "", s)
                    if (s ~ /^partner\./ && !sample_partners) next
                    print; next
                }
                {
                    k = $0; sub(/[[:space:]]*[=:].*/, "", k); gsub(/[[:space:]]/, "", k)
                    if (s == "gateway" && k == "log_level") next
                    if (s == "store" && (k == "path" || k == "synchronous")) next
                    if (s == "mqtt" && k != "" && k !~ /^[;#]/) next
                    if (s == "protocol" && (k == "codes" || k == "gazetteer")) next
                    if (s ~ /^network\./ && k == "require_registration") next
                    if (s ~ /^partner\./ && !sample_partners) next
                    print
                }' sample_partners="$SAMPLE_PARTNERS" "$SAMPLE/patrolgw.conf"
            if [ "$SAMPLE_PARTNERS" != 1 ]; then
                cat "$SRC/bench/partners.conf"
            fi
        else
            printf '[partner.police]\nmin_priority = 2\n'
        fi
        printf '\n[gateway]\nlog_level = info\n'
        printf '[store]\npath = %s/patrolgw.db\nsynchronous = full\n' "$dir"
        printf '[mqtt]\nhost = 127.0.0.1\nport = %s\nprefix = patrol\n' "$PORT"
        printf 'client_id = %s\n' "$GW_CLIENT_ID"
        printf '[protocol]\n'
        [ -f "$SAMPLE/codes.csv" ] && printf 'codes = %s\n' "$SAMPLE/codes.csv"
        [ -f "$SAMPLE/gazetteer.csv" ] && printf 'gazetteer = %s\n' "$SAMPLE/gazetteer.csv"
        for net in $NETWORKS; do
            printf '[network.%s]\nrequire_registration = no\n' "$net"
        done
        # Any network the sample names is open too.
        if [ -f "$SAMPLE/patrolgw.conf" ]; then
            sed -n 's/^[[:space:]]*\[network\.\([^]]*\)\].*/\1/p' "$SAMPLE/patrolgw.conf" |
                while read -r net; do
                    printf '[network.%s]\nrequire_registration = no\n' "$net"
                done
        fi
    } >"$dir/patrolgw.conf"
    "$GW" --check-config "$dir/patrolgw.conf" >"$dir/check.log" 2>&1 \
        || { cat "$dir/check.log" >&2; die "patrolgw --check-config rejected $dir/patrolgw.conf"; }
}

# store_check DB TAG: what the (fresh) store holds after the run.
store_check() {
    "$PY" - "$1" "$2" <<'EOF' || echo "store: cannot read $1"
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
like = sys.argv[2] + "-%"
out = dict(db.execute("SELECT outcome, COUNT(*) FROM messages WHERE msg_id LIKE ? GROUP BY outcome",
                      (like,)).fetchall())
stored = db.execute("SELECT COUNT(DISTINCT msg_id) FROM messages WHERE msg_id LIKE ? "
                    "AND outcome <> 'duplicate'", (like,)).fetchone()[0]
reports = db.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
alerts = dict(db.execute("SELECT state, COUNT(*) FROM alerts GROUP BY state").fetchall())
print("store: stored=%d %s reports=%d alerts=%d (%s)" % (
    stored, " ".join("%s=%d" % kv for kv in sorted(out.items())), reports,
    sum(alerts.values()), " ".join("%s=%d" % kv for kv in sorted(alerts.items()))))
EOF
}

GW_RSS=()
STORE_OK=1
GW_CLIENT_ID=patrolgw-bench
# proc_cost PID N: CPU time (user + system) and system calls of PID so far, per message of N.
proc_cost() {
    local pid=$1 n=$2 ticks cpu
    ticks=$(getconf CLK_TCK)
    cpu=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || return 0
    awk -v c="$cpu" -v t="$ticks" -v n="$n" \
        '/^syscr:/ {r = $2} /^syscw:/ {w = $2}
         END {printf "CPU %.1f us/msg, %.2f read + %.2f write calls/msg", c / t * 1e6 / n, r / n, w / n}' \
        "/proc/$pid/io" 2>/dev/null || true
}

# gw_run LOAD TAG [BIN LABEL]: a fresh store, patrolgw (BIN, by default this
# build's) started, one measurement, stopped, checked. LABEL names the results
# (gateway by default; --compare's binary is "compare").
gw_run() {
    local load=$1 tag=$2 bin=${3:-$GW} label=${4:-gateway} dir="$TMP/gw-$2" pid rss line stored replied lost n cost
    gw_config "$dir"
    "$bin" --config "$dir/patrolgw.conf" >"$dir/patrolgw.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_line "$dir/patrolgw.log" "subscribed to" "$pid" 30 \
        || { tail -n 20 "$dir/patrolgw.log" >&2; die "patrolgw did not subscribe"; }
    run_bench "$label" "$load" "$tag" --mode target
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$dir/patrolgw.log" >&2; die "patrolgw died"; }
    rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
    if [ "$load" = closed ]; then n=$N; else n=$PACED_N; fi
    cost=$(proc_cost "$pid" "$n")
    [ "$label" = gateway ] && GW_RSS+=("$rss")
    stop_pid "$pid" 30 \
        || { tail -n 20 "$dir/patrolgw.log" >&2; die "patrolgw did not stop cleanly"; }
    # patrolgw takes a persistent session: left behind, it would queue (and the
    # next patrolgw would get) every later run's messages.
    "$BENCH" --port "$PORT" --forget-session "$GW_CLIENT_ID" \
        || die "cannot drop patrolgw's session"
    line=$(store_check "$dir/patrolgw.db" "$tag")
    echo "  patrolgw ($label): $cost;"
    echo "  patrolgw ($label): peak RSS (VmHWM) $(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}') MiB;" \
        "log: $(grep -c ' warn ' "$dir/patrolgw.log" || true) warn," \
        "$(grep -c ' error ' "$dir/patrolgw.log" || true) error lines; $line"
    stored=$(field " $line" stored)
    lost=$(field "$(tail -n 1 "$RESULTS")" lost)
    if [ "$load" = closed ]; then replied=$((N - lost)); else replied=$((PACED_N - lost)); fi
    if [ -z "$stored" ]; then
        echo "  patrolgw: WARNING: could not count the stored messages"
        STORE_OK=0
    elif [ "$stored" -lt "$replied" ]; then
        echo "  patrolgw: WARNING: $replied replies but only $stored messages stored"
        STORE_OK=0
    fi
}

# ------------------------------------------------------------------ closed loop
# The three targets back to back, REPEAT rounds: background load on a shared
# machine drifts, and the median of rounds taken close together compares fairly.
echo "== closed loop: window $WINDOW, N=$N, $REPEAT round(s)"
echo "   (a) relay: publisher -> mosquitto -> subscriber;" \
    "(b) echo: ... -> mqtt_echo -> mosquitto -> ...; (c) gateway: ... -> patrolgw -> ..."
for ((round = 1; round <= REPEAT; round++)); do
    run_bench relay closed "rc$round" --mode relay
    echo_run closed "ec$round"
    if [ "$DO_GATEWAY" = 1 ]; then
        gw_run closed "gc$round"
        [ -z "$COMPARE" ] || gw_run closed "xc$round" "$COMPARE" compare
    fi
done

# ------------------------------------------------------------------ paced
echo "== paced: ${RATE}/s, N=$PACED_N"
run_bench relay paced rp --mode relay
echo_run paced ep
if [ "$DO_GATEWAY" = 1 ]; then
    gw_run paced gp
    [ -z "$COMPARE" ] || gw_run paced xp "$COMPARE" compare
fi

# ------------------------------------------------------------------ parser
echo "== parser alone: prc_parse on one thread, ~${PARSE_SECONDS}s"
"$BENCH" --dump-texts --n "$N" >"$TMP/texts.txt"
gaz_args=()
GAZ="$SRC/docs/examples/hernebay/gazetteer.csv"
[ -f "$GAZ" ] && gaz_args=(--gazetteer "$GAZ")
[ "${#gaz_args[@]}" -gt 0 ] || echo "run.sh: no sample gazetteer: parsing without one"
PARSE_LINE=$("$PARSE" "${gaz_args[@]}" --seconds "$PARSE_SECONDS" "$TMP/texts.txt") \
    || die "parse_bench failed"
echo "$PARSE_LINE"

# ------------------------------------------------------------------ summary
# res WHO LOAD: the result line; of several rounds, the one with the median rate.
res() {
    grep "^$1 $2 " "$RESULTS" | awk '{r = $0; sub(/.* rate=/, "", r); sub(/\/s.*/, "", r);
                                      print r, $0}' | sort -n |
        awk '{l[NR] = $0} END {if (NR) {m = l[int((NR + 1) / 2)]; sub(/^[^ ]* /, "", m); print m}}' \
        || true # no such run (--no-gateway)
}
# rates WHO LOAD: every round's rate, for the record.
rates() {
    grep "^$1 $2 " "$RESULTS" | sed 's/.* rate=\([0-9]*\).*/\1/' | tr '\n' ' ' | sed 's/ $//' \
        || true
}
echo
echo "== summary: N=$N closed (window $WINDOW, median of $REPEAT), paced N=$PACED_N at ${RATE}/s"
printf '%-9s %14s %9s %9s %6s %7s | %10s %9s %9s %6s\n' "" "closed msg/s" "p50 ms" "p99 ms" \
    "lost" "resent" "paced msg/s" "p50 ms" "p99 ms" "lost"
for who in relay echo gateway compare; do
    c=$(res "$who" closed)
    p=$(res "$who" paced)
    [ -n "$c$p" ] || continue
    printf '%-9s %14s %9s %9s %6s %7s | %10s %9s %9s %6s\n' "$who" \
        "$(field "$c" rate)" "$(field "$c" p50)" "$(field "$c" p99)" "$(field "$c" lost)" \
        "$(field "$c" resent)" \
        "$(field "$p" rate)" "$(field "$p" p50)" "$(field "$p" p99)" "$(field "$p" lost)"
done
if [ "$REPEAT" -gt 1 ]; then
    for who in relay echo gateway compare; do
        [ -z "$(rates "$who" closed)" ] || echo "closed-loop rates of each round, $who: $(rates "$who" closed)"
    done
fi
# Each round's rate over the same round's echo: rounds drift with the machine's load.
for who in gateway compare; do
    [ -n "$(rates "$who" closed)" ] && [ -n "$(rates echo closed)" ] || continue
    echo "closed-loop rate / echo of each round, $who: $(paste -d' ' <(rates "$who" closed | tr ' ' '\n') \
        <(rates echo closed | tr ' ' '\n') | awk '{printf "%s%.2f", (NR > 1 ? " " : ""), $1 / $2}')"
done
echo "parser one-core: $(field "$PARSE_LINE" rate) msg/s"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "== targets"
FAILS=0
verdict() { # description ok(0|1)
    if [ "$2" = 1 ]; then echo "PASS  $1"; else echo "FAIL  $1"; FAILS=$((FAILS + 1)); fi
}
if [ "$DO_GATEWAY" = 1 ]; then
    gw_rate=$(field "$(res gateway closed)" rate)
    echo_rate=$(field "$(res echo closed)" rate)
    gw_p99=$(field "$(res gateway paced)" p99)
    echo_p99=$(field "$(res echo paced)" p99)
    rss_max=0
    for r in "${GW_RSS[@]}"; do [ "$r" -gt "$rss_max" ] && rss_max=$r; done
    floor=$(awk -v e="$echo_rate" 'BEGIN {printf "%.0f", 0.8 * e}')
    verdict "patrolgw closed rate $gw_rate/s >= 0.8 x echo $echo_rate/s ($floor/s)" \
        "$(awk -v g="$gw_rate" -v e="$echo_rate" 'BEGIN {print (g >= 0.8 * e) ? 1 : 0}')"
    verdict "patrolgw paced p99 ${gw_p99} ms <= echo p99 ${echo_p99} ms + 5 ms" \
        "$(awk -v g="$gw_p99" -v e="$echo_p99" 'BEGIN {print (g <= e + 5) ? 1 : 0}')"
    verdict "patrolgw peak RSS $(awk -v k="$rss_max" 'BEGIN {printf "%.1f", k / 1024}') MiB < 32 MiB" \
        "$(awk -v k="$rss_max" 'BEGIN {print (k < 32 * 1024) ? 1 : 0}')"
    verdict "every replied message is in the store (synchronous = full, committed before its reply)" "$STORE_OK"
else
    echo "SKIP  patrolgw targets (--no-gateway)"
fi
lost_total=$(awk '{for (i = 1; i <= NF; i++) if ($i ~ /^lost=/) {sub(/lost=/, "", $i); s += $i}}
                  END {print s + 0}' "$RESULTS")
[ "$lost_total" = 0 ] || echo "NOTE  $lost_total replies never came (see lost= above)"
if grep -q ' bad=' "$RESULTS"; then
    echo "NOTE  some echoed payloads differed from what was sent (bad= above)"
fi
if grep -qv ' stray=0' "$RESULTS"; then
    echo "NOTE  replies with an unknown msg_id came in (stray= above): another client on the broker?"
fi
if [ "$STRICT" = 1 ] && [ "$FAILS" -gt 0 ]; then
    exit 3
fi
exit 0
