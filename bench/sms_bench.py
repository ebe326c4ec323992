"""sms_bench.py: the SMS channel's figures (run by bench/sms_bench.sh).

1. Latency: end-to-end time from an SMS appearing on the simulated modem (the
   dummy driver's file renamed into its inbox) to its reply being handed to the
   modem (the gateway's debug line "handing sms N to the modem", time-stamped in
   ms), one message at a time, N messages, poll_ms low: p50, p90, p99, max.
2. Drain: how many SMS a second the modem thread and the core take off the
   modem (read, journal, delete) when M are waiting at once.

Reuses the integration helpers (tests/integration/gwtest.py, smstest.py): a real
mosquitto on a free loopback port, the real patrolgw and patrolctl.
"""

import argparse
import datetime
import os
import re
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SRC / "tests" / "integration"))

import gwtest  # noqa: E402
from gwtest import wait_until  # noqa: E402
from smstest import Modem, register, sms_section  # noqa: E402

HANDED = re.compile(r"^(\S+) debug sms: handing sms (\d+) to the modem", re.M)
READ = re.compile(r"^(\S+) debug sms: read an SMS from the modem", re.M)


def parse_ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def start(env, name, poll_ms, **keys):
    b = env.broker(name=name + "-broker")
    modem = Modem(env.tmp / (name + "-modem"))
    extra = sms_section(modem.dir, poll_ms=poll_ms, reply_limit=10000,
                        send_per_minute=6000, **keys)
    g = env.gateway(b, name=name, log_level="debug", synchronous="full", extra=extra)
    wait_until(lambda: g.db().scalar("SELECT value FROM gateway_status WHERE key = 'sms_modem'")
               == "connected", 20, "the modem")
    register(g, "BENCH1", "07700 900123")
    return g, modem


def latency(env, n, poll_ms):
    g, modem = start(env, "lat", poll_ms)
    appeared = {}
    db = g.db()
    for i in range(n):
        t0 = time.time()
        modem.deliver("07700 900123", "ENG P4 HB03 bench message %d" % i)
        appeared[i + 1] = t0  # sms_out ids follow the messages: one reply each
        wait_until(lambda: db.scalar("SELECT count(*) FROM sms_out") >= i + 1, 10,
                   "reply %d" % (i + 1), interval=0.001)
    wait_until(lambda: len(HANDED.findall(g.log_since(0))) >= n, 10, "the log lines")
    lat, core = [], []
    log = g.log_since(0)
    reads = [parse_ts(ts) for ts in READ.findall(log)]
    for ts, sid in HANDED.findall(log):
        sid = int(sid)
        if sid in appeared:
            lat.append((parse_ts(ts) - appeared[sid]) * 1000.0)
            # One message at a time: the sid-th SMS read is this one.
            core.append((parse_ts(ts) - reads[sid - 1]) * 1000.0)
    return lat, core


def drain(env, m, poll_ms):
    g, modem = start(env, "drain", poll_ms)
    g.stop()
    for i in range(m):
        modem.deliver("07700 900123", "ENG P4 HB03 drain message %d" % i)
    t0 = time.monotonic()
    g.start()
    db = g.db()
    wait_until(lambda: db.scalar("SELECT count(*) FROM messages") >= m, 600, "all journaled",
               interval=0.01)
    t_journal = time.monotonic() - t0
    wait_until(lambda: not modem.inbox_files(), 600, "the inbox empty", interval=0.01)
    t_empty = time.monotonic() - t0
    return t_journal, t_empty


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000, help="latency messages")
    ap.add_argument("--drain", type=int, default=1000, help="SMS waiting for the drain run")
    ap.add_argument("--poll-ms", type=int, default=10)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sms-bench-") as tmp:
        env = gwtest.Env(tmp)
        try:
            lat, core = latency(env, a.n, a.poll_ms)
            tj, te = drain(env, a.drain, a.poll_ms)
        finally:
            env.close()
    print("SMS latency, appeared on the modem -> reply handed to the modem "
          "(%d messages, poll_ms %d):" % (len(lat), a.poll_ms))
    print("  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms" % (
        pct(lat, 50), pct(lat, 90), pct(lat, 99), max(lat)))
    print("  of which read by the modem thread -> reply handed to the modem (journal, parse,"
          " commit, queue): p50 %.1f ms  p99 %.1f ms  max %.1f ms" % (
              pct(core, 50), pct(core, 99), max(core)))
    print("SMS drain, %d waiting at start (read, journaled, replies queued, deleted):" % a.drain)
    print("  all journaled in %.2f s = %.0f SMS/s; inbox empty in %.2f s = %.0f SMS/s" % (
        tj, a.drain / tj, te, a.drain / te))


if __name__ == "__main__":
    main()
