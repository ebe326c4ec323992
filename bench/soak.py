"""soak.py: a million radio reports through one gateway, with an SMS trickle
and alerts to live inboxes, and what the gateway holds after each 100,000.

One mosquitto, one patrolgw (Release build, synchronous = full, the test
partners: police and seafront alerted over MQTT, council by signed webhook to a
live HTTP inbox on loopback), libgammu's dummy modem with a registered operative
texting a report every 2 s, and mqtt_bench sending paced JSON reports in chunks
(--chunk, each its own msg_ids and seed; a report without a reply in 1 s is
resent with the same msg_id, as a bridge does). After each chunk: the chunk's
p99 reply latency and lost count, the gateway's RSS, open descriptors and CPU
seconds so far. At the end: the CPU the gateway uses in 5 s once the load
stops (it must be about 0), and the store's counts.

Usage: bash bench/soak.sh [--n 1000000] [--chunk 100000] [--rate 2000] [--keep]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "integration"))

import gwtest  # noqa: E402
import inboxes  # noqa: E402
import smstest  # noqa: E402

BENCH = Path(os.environ.get("PATROL_BENCH") or (gwtest.BUILD / "bench" / "mqtt_bench"))
OPERATIVE = "+447700900301"


class Count:
    """Stands in for a client's inbox: counts what arrives."""

    n = 0

    def add(self, _msg):
        self.n += 1


def proc(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    core = "/proc/%d/task/%d/stat" % (pid, pid)
    for key, path in (("cpu", "/proc/%d/stat" % pid), ("core", core)):
        with open(path) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out[key] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    out["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--chunk", type=int, default=100000)
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="patrol-soak."))
    env = gwtest.Env(tmp)
    hook = inboxes.HttpInbox(secret="soak-secret")
    stop = threading.Event()
    rc = 0
    try:
        hook.start()
        (tmp / "council.secret").write_text("soak-secret\n")
        b = env.broker()
        nets = subprocess.run([str(BENCH), "--list-networks"], capture_output=True, text=True,
                              check=True).stdout.split()
        modem = smstest.Modem(tmp / "modem")
        partners = dict(gwtest.DEFAULT_PARTNERS)
        extra = (smstest.sms_section(modem.dir, reply_limit=10000, poll_ms=1000)
                 + "[partner.council]\nmin_priority = 4\ncodes = ENV DMG\nmqtt = no\n"
                 + "webhook = %s\nwebhook_secret_file = %s\n" % (hook.url, tmp / "council.secret"))
        partners.pop("council", None)
        g = env.gateway(b, networks={n: False for n in nets}, partners=partners, extra=extra,
                        log_level="info")
        g.ctl("people", "add", "--callsign", "SOAK1", "--name", "Soak Operative", "--role",
              "operative", "--phone", OPERATIVE)
        alerts = env.client(b, ["%s/alerts/#" % gwtest.PREFIX])
        alerts.inbox = Count()  # counted, not kept: a million reports make many alerts
        pid = g.proc.pid

        def trickle():
            i = 0
            while not stop.wait(2.0):
                i += 1
                modem.deliver(OPERATIVE, "ASB P3 HB%02d soak sms %d" % (i % 12 + 1, i))

        th = threading.Thread(target=trickle, daemon=True)
        th.start()
        print("soak: %d reports in chunks of %d at %d/s, QoS 1, resend after 1 s; store %s" % (
            a.n, a.chunk, a.rate, g.db_path))
        print("| after | chunk p99 ms | chunk p50 ms | lost | resent | RSS MiB | peak MiB |"
              " fds | CPU s |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        done = 0
        k = 0
        while done < a.n:
            n = min(a.chunk, a.n - done)
            line = subprocess.run(
                [str(BENCH), "--port", str(b.port), "--label", "soak", "--load", "paced",
                 "--mode", "target", "--tag", "soak%d" % k, "--seed", str(1000 + k), "--n",
                 str(n), "--rate", str(a.rate), "--resend-ms", "1000"],
                capture_output=True, text=True, timeout=n / a.rate * 4 + 300).stdout
            done += n
            k += 1
            f = dict(re.findall(r"(\w+)=([0-9.]+)", line))
            p = proc(pid)
            print("| %d | %s | %s | %s | %s | %.1f | %.1f | %d | %.1f |" % (
                done, f.get("p99", "?"), f.get("p50", "?"), f.get("lost", "?"),
                f.get("resent", "?"), p["VmRSS"], p["VmHWM"], p["fds"], p["cpu"]), flush=True)
            if f.get("lost", "0") not in ("0",) or not g.alive():
                rc = 1
        stop.set()
        db = g.db()
        # The outbox may still be delivering the alerts the load queued (the
        # webhook inbox is one Python thread): idle is measured once the core
        # thread has nothing left to do, after at most 10 minutes of draining.
        drain_start = time.monotonic()
        time.sleep(5)
        while True:
            p0 = proc(pid)
            time.sleep(5)
            p1 = proc(pid)
            idle, idle_all = p1["core"] - p0["core"], p1["cpu"] - p0["cpu"]
            if idle <= 0.1 or time.monotonic() - drain_start > 600:
                break
            print("draining: the core thread used %.2f s of CPU in 5 s; alerts pending %d"
                  % (idle, db.scalar("SELECT count(*) FROM alerts WHERE state = 'pending'")),
                  flush=True)
        print("drained in %.0f s after the load stopped" % (time.monotonic() - drain_start))
        print("idle: the core thread used %.2f s of CPU in 5 s once drained; the"
              " whole process %.2f s (the modem thread polls the dummy driver's folder"
              " every poll_ms)" % (idle, idle_all))
        print("store: %d messages, %d reports, %d alerts (%s), %d SMS replies sent;"
              " MQTT alerts seen %d, webhook POSTs %d" % (
                  db.scalar("SELECT count(*) FROM messages"),
                  db.scalar("SELECT count(*) FROM reports"),
                  db.scalar("SELECT count(*) FROM alerts"),
                  ", ".join("%s %d" % (r["state"], r["n"]) for r in db.q(
                      "SELECT state, count(*) AS n FROM alerts GROUP BY state")),
                  db.scalar("SELECT count(*) FROM sms_out WHERE state = 'sent'"),
                  alerts.inbox.n, len(hook.requests)))
        if idle > 0.1:
            rc = 1
    finally:
        stop.set()
        try:
            env.close()
        finally:
            hook.stop()
            if a.keep:
                print("kept: %s" % tmp, file=sys.stderr)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
