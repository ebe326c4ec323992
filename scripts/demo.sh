#!/usr/bin/env bash
# demo.sh: the Herne Bay sample deployment on this machine, end to end.
#
# Starts a private mosquitto on a free loopback port (docs/examples/mosquitto.conf
# plus a listener), patrolgw with docs/examples/hernebay/patrolgw.conf (port and
# store path replaced), registers an operative and a police contact with
# patrolctl, and plays a radio bridge (scripts/demo_bridge.py): reports, a typo,
# a bad location, a duplicate, a P1 that alerts the police, ON/OFF, an ACK (and
# the reporter's notice "R1004 ACK by police 14:07"), an update forwarded.
# Then two operatives text reports through a simulated GSM modem (libgammu's
# dummy driver: a folder, $PATROL_DEMO_DIR/modem) with patrolsim, which prints
# each SMS, the SMS reply the gateway sent, the SMS alerts to the police duty
# phone (PC2291's phone in the demo), which acknowledges them by SMS, and the
# operative's SMS notice of that ACK.
#
# Usage: scripts/demo.sh [--once]
#   (default)  after the script, keep everything running and follow the gateway
#              log until Ctrl-C, which stops everything and prints a summary
#   --once     exit after the script (the exit status says whether it went well)
# Environment:
#   PATROL_BUILD     a build dir with patrolgw and patrolctl: use it as is
#                    (default: run scripts/deps.sh demo and scripts/build.sh --bin if they
#                    exist, then use ./build)
#   PATROL_DEMO_DIR  where the run's files go (default ./demo-run, git-ignored)
# Works as root or not, without systemd; stops everything it started on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ONCE=0
for arg in "$@"; do
    case "$arg" in
        --once) ONCE=1 ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "demo.sh: unknown argument: $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

say() { printf '== %s\n' "$*"; }
die() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }

# Dependencies and build: only when no build dir was given.
if [ -n "${PATROL_BUILD:-}" ]; then
    BUILD=$PATROL_BUILD
else
    BUILD=$ROOT/build
    if [ -f "$ROOT/scripts/deps.sh" ]; then
        say "installing what the demo needs (scripts/deps.sh demo: build tools, libraries, mosquitto, python3-paho-mqtt)"
        bash "$ROOT/scripts/deps.sh" demo
    fi
    if [ -f "$ROOT/scripts/build.sh" ]; then
        say "building patrolgw, patrolctl, patrolsim (scripts/build.sh --bin)"
        bash "$ROOT/scripts/build.sh" --bin --quiet
    fi
fi
PATROLGW=$BUILD/patrolgw
PATROLCTL=$BUILD/patrolctl
PATROLSIM=$BUILD/patrolsim
MOSQUITTO=${PATROL_MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=$(command -v python3 || true)

[ -x "$PATROLGW" ] || die "$PATROLGW is missing: build first (cmake -S . -B build && cmake --build build)"
[ -x "$PATROLCTL" ] || die "$PATROLCTL is missing"
[ -x "$PATROLSIM" ] || die "$PATROLSIM is missing"
[ -x "$MOSQUITTO" ] || die "mosquitto is missing (Debian: apt-get install mosquitto)"
[ -n "$PYTHON" ] || die "python3 is missing"
"$PYTHON" -c 'import paho.mqtt.client' 2>/dev/null ||
    die "python3 cannot import paho.mqtt (Debian: apt-get install python3-paho-mqtt)"

RUN=${PATROL_DEMO_DIR:-$ROOT/demo-run}
SAMPLE=$ROOT/docs/examples/hernebay
rm -rf "$RUN"
mkdir -p "$RUN/mosquitto" "$RUN/modem"

MQ_PID=
GW_PID=
TAIL_PID=
STARTED=$(date +%s)
INTERRUPTED=0
# One line: what the gateway did in this run, from its store (read only).
# shellcheck disable=SC2317  # invoked by cleanup
summary() {
    local secs=$(( $(date +%s) - STARTED ))
    "$PYTHON" - "$RUN/patrolgw.db" "$1" "$secs" "$RUN" <<'PY' 2>/dev/null || echo "demo: stopped ($1); files in $RUN"
import sqlite3, sys
db, why, secs, run = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
by = dict(c.execute("SELECT outcome, count(*) FROM messages GROUP BY outcome").fetchall())
reports = c.execute("SELECT count(*) FROM reports").fetchone()[0]
alerts = c.execute("SELECT count(*) FROM alerts WHERE kind = 'alert'").fetchone()[0]
print("demo: stopped (%s) after %dm%02ds: %d messages (%d OK, %d DUP, %d ERR, %d refused),"
      " %d reports, %d alerts; everything it started is stopped; files in %s" % (
          why, secs // 60, secs % 60, sum(by.values()), by.get("accepted", 0),
          by.get("duplicate", 0), by.get("error", 0), by.get("rejected", 0), reports, alerts, run))
PY
}
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$TAIL_PID" ]; then kill "$TAIL_PID" 2>/dev/null || true; fi
    for pid in $GW_PID $MQ_PID; do
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$INTERRUPTED" = 1 ]; then
        # Ctrl-C is how the demo is meant to end: not a failure.
        echo
        summary "Ctrl-C"
        rc=0
    elif [ -n "$GW_PID$MQ_PID" ]; then
        say "stopped (files in $RUN)"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'INTERRUPTED=1; exit 130' INT
trap 'exit 143' TERM
# The broker and the gateway run in their own session: a Ctrl-C on the terminal
# reaches this script only, which stops them in order (cleanup above).
DETACH=()
if command -v setsid >/dev/null; then DETACH=(setsid); fi

PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# The broker: the shipped config plus a loopback listener.
{
    cat "$ROOT/docs/examples/mosquitto.conf"
    echo
    echo "# Appended by scripts/demo.sh."
    echo "listener $PORT 127.0.0.1"
    echo "allow_anonymous true"
    echo "persistence_location $RUN/mosquitto/"
    # As root mosquitto would switch to the mosquitto user, which may not exist or own $RUN.
    if [ "$(id -u)" = 0 ]; then echo "user root"; fi
} > "$RUN/mosquitto.conf"

# The gateway: the sample config, its tables beside it, with our port and store,
# and the police duty phone (PC2291's) alerted by SMS.
DUTY_PHONE=+447700900123
cp "$SAMPLE/codes.csv" "$SAMPLE/gazetteer.csv" "$RUN/"
awk -v port="$PORT" -v store="$RUN/patrolgw.db" -v duty="$DUTY_PHONE" '
    function flush() {
        if (sec == "mqtt" && !seen_port) print "port = " port
        if (sec == "mqtt" && !seen_host) print "host = 127.0.0.1"
        if (sec == "store" && !seen_path) print "path = " store
        if (sec == "partner.police") print "sms = " duty
    }
    /^[ \t]*\[/ {
        flush()
        sec = $0; gsub(/^[ \t]*\[|\][ \t]*(;.*)?$/, "", sec)
        seen_port = seen_host = seen_path = 0
        print; next
    }
    sec == "mqtt" && /^[ \t]*port[ \t]*=/ { print "port = " port; seen_port = 1; next }
    sec == "mqtt" && /^[ \t]*host[ \t]*=/ { print "host = 127.0.0.1"; seen_host = 1; next }
    sec == "store" && /^[ \t]*path[ \t]*=/ { print "path = " store; seen_path = 1; next }
    { print }
    END { flush() }
' "$SAMPLE/patrolgw.conf" > "$RUN/patrolgw.conf"
grep -q '^\[mqtt\]' "$RUN/patrolgw.conf" || printf '\n[mqtt]\nhost = 127.0.0.1\nport = %s\n' "$PORT" >> "$RUN/patrolgw.conf"
grep -q '^\[store\]' "$RUN/patrolgw.conf" || printf '\n[store]\npath = %s\n' "$RUN/patrolgw.db" >> "$RUN/patrolgw.conf"
# The SMS channel on libgammu's dummy driver: the "modem" is a folder
# (docs/sms.md, "Testing with the dummy driver"). Limits raised for a demo
# that texts faster than a patrol would.
cat >> "$RUN/patrolgw.conf" <<EOF

; Appended by scripts/demo.sh: a simulated GSM modem.
[sms]
model = dummy
connection = none
device = $RUN/modem
poll_ms = 100
send_per_minute = 120
reply_limit = 20
EOF
CONF=$RUN/patrolgw.conf

"$PATROLGW" --check-config "$CONF" || die "the demo config is invalid ($CONF)"

say "mosquitto on 127.0.0.1:$PORT (log: $RUN/mosquitto.log)"
"${DETACH[@]}" "$MOSQUITTO" -c "$RUN/mosquitto.conf" > "$RUN/mosquitto.log" 2>&1 &
MQ_PID=$!
up=0
for _ in $(seq 100); do
    if "$PYTHON" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$PORT" 2>/dev/null; then
        up=1
        break
    fi
    kill -0 "$MQ_PID" 2>/dev/null || break
    sleep 0.1
done
[ "$up" = 1 ] || { tail -n 20 "$RUN/mosquitto.log" >&2; die "mosquitto did not start"; }

# People first: the hbbcrp network only takes registered units.
say "registering an operative (ALPHA1, hbbcrp/alpha1) and a police contact (PC2291, police/pc2291)"
"$PATROLCTL" --config "$CONF" people add --callsign ALPHA1 --name "Sam Patel" \
    --role operative --unit hbbcrp/alpha1 > /dev/null
"$PATROLCTL" --config "$CONF" people add --callsign PC2291 --name "PC Dana Reeve" \
    --role partner --partner police --phone +447700900123 --unit police/pc2291 > /dev/null

say "patrolgw --config $CONF (log: $RUN/patrolgw.log)"
"${DETACH[@]}" "$PATROLGW" --config "$CONF" > "$RUN/patrolgw.log" 2>&1 &
GW_PID=$!
up=0
for _ in $(seq 300); do
    if grep -q 'subscribed to' "$RUN/patrolgw.log"; then
        up=1
        break
    fi
    kill -0 "$GW_PID" 2>/dev/null || break
    sleep 0.1
done
[ "$up" = 1 ] || { tail -n 30 "$RUN/patrolgw.log" >&2; die "patrolgw did not get ready"; }
echo

set +e
"$PYTHON" "$ROOT/scripts/demo_bridge.py" --port "$PORT" --network hbbcrp --unit alpha1 \
    --partner-network police --partner-unit pc2291
BRIDGE_RC=$?
set -e
echo

# SMS: wait for the modem (the dummy driver makes its folders when patrolgw connects).
up=0
for _ in $(seq 100); do
    if [ -d "$RUN/modem/sms/1" ]; then
        up=1
        break
    fi
    sleep 0.1
done
[ "$up" = 1 ] || { tail -n 30 "$RUN/patrolgw.log" >&2; die "patrolgw did not connect to the simulated modem"; }
say "part 2: two operatives text reports to the gateway's simulated GSM modem ($RUN/modem)"
cat <<'LEGEND'
patrolsim plays everyone but the gateway: two operatives texting (simsms1, simsms2), the
council and BCRP contacts on the radio (simpc1, simpc2, heard through the simulated radio
bridges simbridge1 and simbridge2) and the police, who answer on their duty phone (duty1).
  > sms NAME (number) TEXT     an SMS texted to the gateway
  > simbridgeN simpcN [id] ... a partner contact speaking on the radio, relayed by a bridge
  < ...                        the gateway's answer (an SMS reply, or a radio reply)
  ! alert PARTNER Rn ...       an alert on the partner's MQTT topic (its control-room screen)
  ! sms alert police to duty1  the same alert texted to the police duty phone
  * sms NAME Rn ACK by ...     the operative's SMS notice that a partner acknowledged
  ... DUP                      the gateway took the text for a copy of one it answered in the
                               last 10 minutes (same sender, same text: a phone re-sending)
                               and repeated that answer, changing nothing; "ON HB03 .. DUP"
                               and "OFF .. DUP" are a shift started or ended again with the
                               same words a few seconds later
LEGEND
set +e
# The police answer by SMS only: a radio ACK from a police contact would often come
# before the duty phone's SMS is sent, and the gateway would (rightly) not send it.
"$PATROLSIM" --config "$CONF" --register --operatives 0 --sms-operatives 2 --seed 4 \
    --count 10 --rate 2 --grace 15 --ack-prob 1 --partner council --partner bcrp
SIM_RC=$?
set -e
echo
if [ "$BRIDGE_RC" = 0 ] && [ "$SIM_RC" != 0 ]; then BRIDGE_RC=$SIM_RC; fi

if [ "$ONCE" = 1 ]; then
    kill -0 "$GW_PID" 2>/dev/null || die "patrolgw died during the demo"
    exit "$BRIDGE_RC"
fi

say "still running: broker 127.0.0.1:$PORT, config $CONF"
say "try, in another terminal (Debian package mosquitto-clients):"
say "  mosquitto_sub -p $PORT -t 'patrol/#' -v"
say "  mosquitto_pub -p $PORT -t patrol/in/hbbcrp/alpha1 -m 'ASB HB02 youths on the pier'"
say "  $PATROLSIM --config $CONF --operatives 0 --sms-operatives 2 --count 5"
say "  $PATROLCTL --config $CONF sms --all"
say "gateway log follows (one line per message); Ctrl-C stops everything"
tail -n +1 -f "$RUN/patrolgw.log" &
TAIL_PID=$!
while kill -0 "$GW_PID" 2>/dev/null; do
    sleep 1
done
gw_rc=0
wait "$GW_PID" 2>/dev/null || gw_rc=$?
GW_PID=
die "patrolgw stopped on its own (exit status $gw_rc; its log: $RUN/patrolgw.log)"
