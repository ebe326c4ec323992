#!/usr/bin/env bash
# broker.sh: a mosquitto for trying patrolgw by hand (README, "Running it"), in the
# foreground: docs/examples/mosquitto.conf plus a loopback listener. Ctrl-C stops it.
#
# Usage: scripts/broker.sh [PORT]      (default 1883, the sample config's port)
# Environment:
#   PATROL_BROKER_DIR  where mosquitto keeps its database and its config
#                      (default ${XDG_STATE_HOME:-~/.local/state}/patrolgw-broker)
# When something already listens on 127.0.0.1:PORT (on a Debian machine with systemd,
# installing mosquitto starts its service on port 1883, loopback only) it says so and
# exits 0: patrolgw can use that one.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
PORT=${1:-1883}
case $PORT in
  '' | *[!0-9]*) echo "broker.sh: PORT must be a number (try --help)" >&2; exit 2 ;;
esac
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$MOSQUITTO" ] || { echo "broker.sh: mosquitto is missing: bash scripts/deps.sh broker" >&2; exit 1; }

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "broker.sh: a broker already listens on 127.0.0.1:$PORT; patrolgw can use it (nothing started)"
  exit 0
fi

DIR=${PATROL_BROKER_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/patrolgw-broker}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
{
  cat "$ROOT/docs/examples/mosquitto.conf"
  echo
  echo "# Appended by scripts/broker.sh: loopback only, no passwords (not for production)."
  echo "listener $PORT 127.0.0.1"
  echo "allow_anonymous true"
  echo "persistence_location $DIR/"
  # As root mosquitto would switch to the mosquitto user, who cannot write $DIR.
  if [ "$(id -u)" = 0 ]; then echo "user root"; fi
} >"$DIR/mosquitto.conf"
echo "broker.sh: mosquitto on 127.0.0.1:$PORT (config and database in $DIR); Ctrl-C stops it"
exec "$MOSQUITTO" -c "$DIR/mosquitto.conf"
