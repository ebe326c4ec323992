"""alerts_bench.py: report-in to alert-out latency per partner channel (run by
bench/alerts_bench.sh; bench/README.md, "Partner alerts").

A real mosquitto on a free loopback port; patrolgw (a fresh store per phase)
with four partners, each alerted for every P1-P2 report (min_priority = P2):

    police   MQTT    <prefix>/alerts/police, read by a paho subscriber
    council  e-mail  a real SMTP server (tests/integration/inboxes.py SmtpInbox)
    cctv     webhook a signed-webhook receiver (inboxes.py HttpInbox, 200)
    fire     webhook healthy (its own HttpInbox) in phase "healthy"; down in the
                     other phases: "refused" (nothing listens on its port) or
                     "hang" (a receiver that never answers: webhook_timeout)

Reports are published at QoS 1 on <prefix>/in/shopwatch/<unit>, paced by an
absolute schedule (report i is due at t0 + i/rate), RATE a second for SECONDS;
a seeded share (20 %) are P1-P2 and alert, the rest are P3-P4 or ENG and do not.
Each report's details end with a token "#b<phase>.<i>"; every inbox stamps each
arrival with time.monotonic() (CLOCK_MONOTONIC, one clock for every process on
the machine) and the token read from the alert tells which report it was.
Latency = arrival - scheduled publish time of the report, so a publisher that
falls behind counts against the figures, never for them.

Every inbox and the publisher run in processes of their own (no GIL shared
between them). Phases run in rounds (healthy, refused, hang, healthy, ...), so
each comparison is between phases of one run; the medians over the rounds count.
"""

import argparse
import multiprocessing as mp
import json
import os
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SRC / "tests" / "integration"))

import gwtest  # noqa: E402
from inboxes import HttpInbox, SmtpInbox, free_port  # noqa: E402

PREFIX = gwtest.PREFIX
NETWORK = "shopwatch"
TOKEN = re.compile(r"#b(\d+)\.(\d+)")
SECRET = "bench-webhook-secret"
PHASES = ("healthy", "refused", "hang")
# (channel label, partner) of the healthy partners whose latency is compared.
HEALTHY = (("mqtt", "police"), ("email", "council"), ("webhook", "cctv"))

# P1-P2 (alert every partner) and P3-P4/ENG (alert nobody), as operatives type them.
ALERTING = ("RTC P1 HB03 car v cyclist amb called", "VIO HB12 fight outside pub 4 males",
            "MED PIER female collapsed conscious breathing", "MH HB05 male on sea wall",
            "MISPER HB01 elderly female with dementia missing 1hr",
            "WPN CLOCK male seen with knife in waistband", "ASB P2 HB06 youths throwing bottles")
QUIET = ("ASB HB12 6 youths throwing bottles", "THEFT HB01 male red jacket",
         "ENG HB07 spoke to shopkeepers", "SUS HB09 white van circling slowly",
         "ENV HB04 fly tipping mattresses in alley", "DMG HB02 graffiti on shutters",
         "DRG HB10 cannabis smell group of 4", "INFO HB11 shop owner reports threats")


def pct(xs, p):
    """The p-th percentile (nearest rank) of xs; None when empty."""
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))]


# ------------------------------------------------------------------ child processes

def _child_setup():
    # Ctrl-C reaches the whole process group: the parent alone handles it and
    # stops its children in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class MqttInbox:
    """The MQTT partner: a paho subscriber on <prefix>/alerts/<partner>."""

    def __init__(self, port, partner):
        import paho.mqtt.client as mqtt
        self.got = []
        self.c = mqtt.Client(client_id="alerts-bench-sub-%d" % os.getpid(), clean_session=True)
        self.c.on_message = lambda c, u, m: self.got.append((time.monotonic(), m.payload))
        self.c.on_connect = lambda c, u, f, rc: c.subscribe("%s/alerts/%s" % (PREFIX, partner), 1)
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        gwtest.wait_until(lambda: self.c.is_connected(), 10, "the MQTT inbox to connect")
        time.sleep(0.2)  # the SUBACK

    def take(self):
        n = len(self.got)
        out = self.got[:n]
        del self.got[:n]
        return [(t, json.loads(p).get("details", "")) for t, p in out]

    def count(self):
        return len(self.got)

    def stop(self):
        self.c.loop_stop()
        self.c.disconnect()


def inbox_main(kind, port, arg, conn):
    """One inbox in a process of its own: 'count', 'take' (arrivals since the
    last take: (monotonic time, details text)), 'stop'."""
    _child_setup()
    if kind == "mqtt":
        box = MqttInbox(port, arg)
        take, count = box.take, box.count
    elif kind == "smtp":
        box = SmtpInbox(port=port).start()

        def take():
            n = len(box.messages)
            got = box.messages[:n]
            del box.messages[:n]
            return [(m.received_at, m.text()) for m in got]

        def count():
            return len(box.messages)
    else:  # "http" (answers 200) or "hang" (never answers)
        hang = kind == "hang"
        box = HttpInbox(secret=SECRET, port=port, default="hang" if hang else 200,
                        hang_s=float(arg or 60)).start()

        def take():
            n = len(box.requests)
            got = box.requests[:n]
            del box.requests[:n]
            return [(r.received_at, "" if r.signature_ok is False else r.json().get("details", ""))
                    for r in got]

        def count():
            return len(box.requests)
    conn.send("ready")
    while True:
        cmd = conn.recv()
        if cmd == "count":
            conn.send(count())
        elif cmd == "take":
            conn.send(take())
        else:
            box.stop()
            conn.send("stopped")
            return


def publisher_main(port, msgs, rate, conn):
    """Publishes msgs [(topic, payload)] at QoS 1, message i at t0 + i/rate
    (t0 shortly after the start); sends back t0 and how it kept the pace."""
    _child_setup()
    import paho.mqtt.client as mqtt
    acked = [0]
    c = mqtt.Client(client_id="alerts-bench-pub-%d" % os.getpid(), clean_session=True)
    c.max_inflight_messages_set(65535)
    c.on_publish = lambda c_, u, mid: acked.__setitem__(0, acked[0] + 1)
    c.connect("127.0.0.1", port)
    c.loop_start()
    gwtest.wait_until(lambda: c.is_connected(), 10, "the publisher to connect")
    lags = []
    t0 = time.monotonic() + 0.5
    for i, (topic, payload) in enumerate(msgs):
        due = t0 + i / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
            now = time.monotonic()
        lags.append(now - due)
        c.publish(topic, payload, qos=1)
    t_end = time.monotonic()
    deadline = time.monotonic() + 30
    while acked[0] < len(msgs) and time.monotonic() < deadline:
        time.sleep(0.01)
    c.loop_stop()
    c.disconnect()
    conn.send({"t0": t0, "t_end": t_end, "acked": acked[0],
               "lag_p99": pct(lags, 99) * 1000.0, "lag_max": max(lags) * 1000.0})


class Child:
    def __init__(self, target, *args):
        self.conn, theirs = mp.Pipe()
        self.proc = mp.Process(target=target, args=(*args, theirs), daemon=True)
        self.proc.start()

    def ask(self, cmd, timeout=60):
        self.conn.send(cmd)
        return self.recv(timeout)

    def recv(self, timeout):
        if not self.conn.poll(timeout):
            raise RuntimeError("a bench process did not answer in %ss" % timeout)
        return self.conn.recv()

    def stop(self):
        if self.proc.is_alive():
            try:
                self.ask("stop", 10)
            except (OSError, EOFError, RuntimeError):
                pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


# ------------------------------------------------------------------ one phase

def make_messages(phase_no, n, share, seed):
    """n radio payloads; returns (msgs, indexes of the alerting reports)."""
    rng = random.Random(seed * 1000 + phase_no)
    msgs, alerting = [], set()
    for i in range(n):
        if rng.random() < share:
            text = rng.choice(ALERTING)
            alerting.add(i)
        else:
            text = rng.choice(QUIET)
        unit = "u%02d" % (i % 24)
        payload = json.dumps({"unit": unit, "text": "%s #b%d.%d" % (text, phase_no, i),
                              "msg_id": "b%d-%d" % (phase_no, i), "ts": gwtest.now_rfc3339(),
                              "bridge": "bench"})
        msgs.append(("%s/in/%s/%s" % (PREFIX, NETWORK, unit), payload))
    return msgs, alerting


def partner_conf(tmp, smtp_port, hook_url, fire_url, a):
    secret = tmp / "webhook.secret"
    secret.write_text(SECRET + "\n")
    os.chmod(secret, 0o600)
    lines = ["[smtp]", "url = smtp://127.0.0.1:%d" % smtp_port, "from = patrolgw@bench.example",
             "tls = none", ""]
    if a.parallel:
        lines += ["[alerts]", "parallel = %d" % a.parallel, ""]
    lines += ["[partner.police]", "min_priority = P2", ""]
    lines += ["[partner.council]", "min_priority = P2", "mqtt = no",
              "email = control-room@council.example", ""]
    for name, url in (("cctv", hook_url), ("fire", fire_url)):
        lines += ["[partner.%s]" % name, "min_priority = P2", "mqtt = no", "webhook = %s" % url,
                  "webhook_secret_file = %s" % secret, "webhook_timeout = %s" % a.webhook_timeout,
                  ""]
    return "\n".join(lines) + "\n"


def forget_session(port, client_id):
    """Drops the gateway's persistent session, so the broker queues nothing for
    it during the later phases."""
    import paho.mqtt.client as mqtt
    c = mqtt.Client(client_id=client_id, clean_session=True)
    c.connect("127.0.0.1", port)
    c.loop_start()
    gwtest.wait_until(lambda: c.is_connected(), 10, "the session to be dropped")
    c.loop_stop()
    c.disconnect()


def run_phase(ctx, phase_no, phase, a):
    tmp, broker, boxes = ctx["tmp"], ctx["broker"], ctx["boxes"]
    fire_url = {"healthy": ctx["urls"]["fire"], "refused": ctx["urls"]["refused"],
                "hang": ctx["urls"]["hang"]}[phase]
    cid = "patrolgw-alerts-bench-%d" % phase_no
    conf = gwtest.gw_config(broker.port, partners={}, networks={NETWORK: False}, client_id=cid,
                            synchronous="full", log_level=a.log_level, extra=partner_conf(
                                tmp, ctx["smtp_port"], ctx["urls"]["cctv"], fire_url, a))
    g = gwtest.Gateway(tmp / ("gw-%d-%s" % (phase_no, phase)), conf)
    ctx["gateways"].append(g)
    g.start()
    for b in boxes.values():  # nothing from an earlier phase counts
        b.ask("take")
    n = int(a.rate * a.seconds)
    msgs, alerting = make_messages(phase_no, n, a.share, a.seed)
    pub = Child(publisher_main, broker.port, msgs, float(a.rate))
    ctx["children"].append(pub)
    res = pub.recv(a.seconds + 60)
    pub.stop()
    # Drain: until every healthy inbox has them all, or nothing new for 10 s.
    want = len(alerting)
    last, since = None, time.monotonic()
    give_up = since + 60
    while time.monotonic() - since < 10 and time.monotonic() < give_up:
        counts = tuple(boxes[k].ask("count") for k in ("mqtt", "email", "webhook"))
        if min(counts) >= want and (phase != "healthy" or boxes["fire"].ask("count") >= want):
            break
        if counts != last:
            last, since = counts, time.monotonic()
        time.sleep(0.1)
    got = {k: b.ask("take") for k, b in boxes.items()}
    alive = g.alive()
    g.stop()
    forget_session(broker.port, cid)
    store = store_figures(g.db_path)
    out = {"phase": phase, "n": n, "alerting": want, "pub": res, "store": store,
           "alive": alive, "chan": {}}
    for k, arrivals in got.items():
        first = {}
        dups = 0
        for t, text in arrivals:
            m = TOKEN.search(text or "")
            if not m or int(m.group(1)) != phase_no:
                continue
            i = int(m.group(2))
            if i in first:
                dups += 1
                continue
            first[i] = (t - (res["t0"] + i / float(a.rate))) * 1000.0
        lat = list(first.values())
        out["chan"][k] = {"n": len(lat), "dups": dups, "p50": pct(lat, 50), "p99": pct(lat, 99),
                          "max": max(lat) if lat else None, "lost": want - len(lat)}
    if a.keep:
        with open(tmp / ("latencies-%d-%s.json" % (phase_no, phase)), "w") as f:
            json.dump(out, f)
    return out


def store_figures(db_path):
    db = gwtest.Store(db_path)
    reports = db.scalar("SELECT count(*) FROM reports")
    alerted = db.scalar("SELECT count(DISTINCT ref) FROM chases")
    rows = db.q("SELECT partner, channel, state, count(*) AS n FROM alerts "
                "GROUP BY partner, channel, state ORDER BY 1, 2, 3")
    return {"reports": reports, "alerted": alerted,
            "alerts": " ".join("%s/%s/%s=%d" % (r["partner"], r["channel"], r["state"], r["n"])
                               for r in rows)}


# ------------------------------------------------------------------ report

def fmt(v, nd=1):
    return "-" if v is None else ("%.*f" % (nd, v))


def summary(results, a):
    rows = {}  # (phase, channel) -> [per-round dicts]
    for r in results:
        for k, c in r["chan"].items():
            rows.setdefault((r["phase"], k), []).append(c)
    med = {}
    print()
    print("== summary: %d/s for %ss per phase, %d round(s); latency = inbox arrival - scheduled "
          "publish (ms); p50/p99 are medians of the rounds, max the largest" % (
              a.rate, a.seconds, a.rounds))
    print("%-8s %-9s %7s %5s %5s %8s %8s %9s   %s" % ("phase", "channel", "n", "lost", "dups",
                                                    "p50", "p99", "max", "p99 of each round"))
    for phase in a.phases:
        for k in ("mqtt", "email", "webhook", "fire"):
            cs = rows.get((phase, k))
            if not cs or (k == "fire" and phase != "healthy"):
                continue
            p50s = [c["p50"] for c in cs if c["p50"] is not None]
            p99s = [c["p99"] for c in cs if c["p99"] is not None]
            maxs = [c["max"] for c in cs if c["max"] is not None]
            m50 = statistics.median(p50s) if p50s else None
            m99 = statistics.median(p99s) if p99s else None
            med[(phase, k)] = m99
            label = k if k != "fire" else "fire(%s)" % {"healthy": "webhook"}.get(phase, phase)
            print("%-8s %-9s %7d %5d %5d %8s %8s %9s   %s" % (
                phase, label, sum(c["n"] for c in cs),
                sum(c["lost"] for c in cs),
                sum(c["dups"] for c in cs), fmt(m50), fmt(m99), fmt(max(maxs) if maxs else None),
                " ".join(fmt(x) for x in p99s)))
    print()
    print("publisher: achieved rate, send lag p99 / max (ms), per phase:")
    for r in results:
        p = r["pub"]
        rate = (r["n"] - 1) / (p["t_end"] - p["t0"]) if p["t_end"] > p["t0"] else 0
        print("  %-8s %7.0f/s  lag p99 %s  max %s  acked %d/%d" % (
            r["phase"], rate, fmt(p["lag_p99"], 2), fmt(p["lag_max"], 1), p["acked"], r["n"]))
    print("store (after each phase): reports, reports that alerted (share), alert rows by "
          "partner/channel/state:")
    for r in results:
        s = r["store"]
        share = 100.0 * s["alerted"] / r["n"] if r["n"] else 0
        print("  %-8s reports=%d alerted=%d (%.1f%% of %d published; %d expected)%s  %s" % (
            r["phase"], s["reports"], s["alerted"], share, r["n"], r["alerting"],
            "" if r["alive"] else " GATEWAY DIED", s["alerts"]))
    print("load average after the run: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))

    print()
    print("== targets")
    fails = 0

    def verdict(text, ok):
        nonlocal fails
        print("%s  %s" % ("PASS" if ok else "FAIL", text))
        fails += 0 if ok else 1

    worst = max((v for (ph, k), v in med.items() if k == "mqtt" and v is not None), default=None)
    verdict("MQTT p99 < 20 ms in every phase (worst phase median: %s ms)" % fmt(worst),
            worst is not None and worst < 20)
    for phase in a.phases:
        if phase == "healthy" or "healthy" not in a.phases:
            continue
        for k, _ in HEALTHY:
            base, down = med.get(("healthy", k)), med.get((phase, k))
            if base is None or down is None:
                verdict("%s p99 with the fire webhook %s: no figures" % (k, phase), False)
                continue
            d = (down - base) / base * 100.0
            verdict("%s p99 with the fire webhook %s: %s ms vs %s ms healthy (%+.1f%%) < +10%%" % (
                k, phase, fmt(down), fmt(base), d), d < 10.0)
    lost = sum(c["lost"] for r in results for k, c in r["chan"].items()
               if k in ("mqtt", "email", "webhook") or (k == "fire" and r["phase"] == "healthy"))
    verdict("every alert reached every healthy inbox (lost %d)" % lost, lost == 0)
    return fails


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=int, default=1000, help="reports a second (1000)")
    ap.add_argument("--seconds", type=float, default=20, help="per phase (20)")
    ap.add_argument("--share", type=float, default=0.2, help="share of reports that alert (0.2)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the phases (3)")
    ap.add_argument("--phases", default=",".join(PHASES),
                    help="comma-separated, of %s (all)" % ",".join(PHASES))
    ap.add_argument("--parallel", type=int, default=0,
                    help="[alerts] parallel (default: the gateway's own, 8)")
    ap.add_argument("--webhook-timeout", default="10s", help="webhook_timeout (10s, the default)")
    ap.add_argument("--log-level", default="info", help="patrolgw's (info; debug times each "
                    "e-mail and webhook transfer in the kept logs)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--strict", action="store_true", help="exit 3 if a target FAILs")
    a = ap.parse_args()
    a.phases = [p for p in a.phases.split(",") if p]
    if not a.phases or any(p not in PHASES for p in a.phases):
        ap.error("--phases: %s" % ",".join(PHASES))

    # SIGTERM: the same clean-up as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    tmp = Path(tempfile.mkdtemp(prefix="patrol-alerts-bench-"))
    ctx = {"tmp": tmp, "children": [], "gateways": [], "boxes": {}, "broker": None}
    results = []
    try:
        print("== alerts bench: %d reports/s, %.0f%% alerting, %ss per phase, phases %s x %d "
              "round(s); patrolgw %s" % (a.rate, a.share * 100, a.seconds, ",".join(a.phases),
                                         a.rounds, gwtest.PATROLGW))
        print("load average before the run: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
        broker = gwtest.Broker(tmp / "broker")
        ctx["broker"] = broker
        broker.start()
        ports = {k: free_port() for k in ("smtp", "cctv", "fire", "hang", "refused")}
        ctx["smtp_port"] = ports["smtp"]
        ctx["urls"] = {k: "http://127.0.0.1:%d/hook" % ports[k] for k in ("cctv", "fire", "hang",
                                                                           "refused")}
        hang_s = 600
        specs = {"mqtt": ("mqtt", broker.port, "police"), "email": ("smtp", ports["smtp"], None),
                 "webhook": ("http", ports["cctv"], None), "fire": ("http", ports["fire"], None),
                 "hang": ("hang", ports["hang"], hang_s)}
        for k, (kind, port, arg) in specs.items():
            ch = Child(inbox_main, kind, port, arg)
            ctx["children"].append(ch)
            ctx["boxes"][k] = ch
        for ch in ctx["boxes"].values():
            if ch.recv(30) != "ready":
                raise RuntimeError("an inbox did not start")
        phase_no = 0
        for rnd in range(1, a.rounds + 1):
            for phase in a.phases:
                phase_no += 1
                r = run_phase(ctx, phase_no, phase, a)
                results.append(r)
                c = r["chan"]
                print("round %d %-8s " % (rnd, phase) + "  ".join(
                    "%s n=%d p50=%s p99=%s max=%s" % (k, c[k]["n"], fmt(c[k]["p50"]),
                                                      fmt(c[k]["p99"]), fmt(c[k]["max"]))
                    for k in ("mqtt", "email", "webhook", "fire") if c[k]["n"] or k != "fire")
                    + ("  (the hanging receiver got %d requests)" % (c["hang"]["n"] + c["hang"]["dups"])
                       if phase == "hang" else ""),
                    flush=True)
        fails = summary(results, a)
        return 3 if (a.strict and fails) else 0
    except KeyboardInterrupt:
        print("\nalerts_bench: interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for g in ctx["gateways"]:
            g.stop()
            g.close()
        for ch in ctx["children"]:
            ch.stop()
        if ctx["broker"]:
            ctx["broker"].stop()
        if a.keep:
            print("alerts_bench: kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
