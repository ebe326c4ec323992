"""kill -9 crash test: no message lost, none stored twice, alerts exactly once per
(ref, partner) with a stable alert_id, none left pending.

A simulated bridge streams 5,000 distinct JSON messages (msg_id each) at QoS 1
with a window in flight and resends anything without a reply after 2 s, while
the gateway is killed with SIGKILL at spread points and restarted on the same
config and store. A second client watches patrol/alerts/# throughout.
"""

import random
import threading
import time

import gwtest
from gwtest import PREFIX, refnum, t

NET = "shopwatch"
N = 5000
KILL_AT = (800, 2000, 3200, 4300)  # replies received when each SIGKILL lands

ZONES = ["HB%02d" % i for i in range(1, 13)]
LOCATIONS = ZONES * 3 + ["PIER", "CT6 5AB", "ct65ab", "CT6", "51.3731,1.1281"]
CODES = list(gwtest.CODE_PRIORITY) + ["CRASH", "FIGHT", "KNIFE", "SHOP", "FLY", "DRUGS"]
ALIASES = {"CRASH": "RTC", "FIGHT": "VIO", "KNIFE": "WPN", "SHOP": "THEFT",
           "FLY": "ENV", "DRUGS": "DRG"}
DETAILS = ["youths throwing bottles", "male red jacket", "car v cyclist amb called",
           "grey van slow", "male on sea wall", "bins on fire", "two dogs loose",
           "shop alarm ringing", "graffiti on shelter", "chat with residents", ""]
ERRORS = ["ABS HB12 %s", "ASB P7 HB02 %s", "ASB NOWHERE %s", "UPD R999999999 %s",
          "XQZW HB03 %s", "RTC P0 HB01 %s"]


def make_messages(seed=20261123):
    """[(unit, text, msg_id, kind)] with kind "report" or "error"; every text unique."""
    rnd = random.Random(seed)
    out = []
    for i in range(N):
        unit = "u%02d" % rnd.randrange(25)
        tag = "#%d" % i
        if rnd.random() < 0.1:
            text = rnd.choice(ERRORS) % tag
            kind = "error"
        else:
            code = rnd.choice(CODES)
            loc = rnd.choice(LOCATIONS)
            det = ("%s %s" % (rnd.choice(DETAILS), tag)).strip()
            if rnd.random() < 0.5:
                text = "%s %s %s" % (code, loc, det)
            elif rnd.random() < 0.5:
                text = "%s P%d %s %s" % (code, rnd.randint(1, 4), loc, det)
            else:
                text = "%s %s P%d %s" % (code, loc, rnd.randint(1, 4), det)
            kind = "report"
        out.append((unit, text, "c-%05d" % i, kind))
    return out


def partners_for(code, priority, zone):
    """The partners DEFAULT_PARTNERS says this report alerts."""
    if code == "ENG":
        return set()
    out = set()
    for name, rule in gwtest.DEFAULT_PARTNERS.items():
        if priority > rule.get("min_priority", 4):
            continue
        codes = rule.get("codes", "").split()
        zones = rule.get("zones", "").split()
        if codes and code not in codes:
            continue
        if zones and zone not in zones:
            continue
        out.add(name)
    return out


def test_kill9_many_times_loses_nothing_and_duplicates_nothing(env):
    b = env.broker()
    watcher = env.client(b, ["%s/alerts/#" % PREFIX])
    g = env.gateway(b)
    msgs = make_messages()
    bridge = gwtest.Bridge(b.port, NET, name="crash-bridge", window=64, resend_s=2.0)
    kills = []
    failure = []

    def killer():
        try:
            for at in KILL_AT:
                gwtest.wait_until(lambda: bridge.replied() >= at, t(240),
                                  "%d replies before a kill" % at, interval=0.005)
                assert g.alive(), "gateway died on its own:\n" + gwtest.tail(g.log_path)
                g.kill()
                kills.append(bridge.replied())
                g.start()
        except BaseException as ex:  # noqa: BLE001 - reported by the main thread
            failure.append(ex)

    th = threading.Thread(target=killer, daemon=True)
    t0 = time.monotonic()
    th.start()
    try:
        bridge.run([(u, text, mid) for u, text, mid, _ in msgs], timeout=t(240))
    finally:
        bridge.close()
    th.join(t(60))
    assert not failure, failure
    assert len(kills) == len(KILL_AT) >= 3, kills
    assert g.alive()
    t_stream = time.monotonic() - t0

    db = g.db()
    # After the last restart every alert gets sent, and every one is seen.
    gwtest.wait_until(lambda: db.scalar("SELECT COUNT(*) FROM alerts WHERE state = 'pending'") == 0,
                      t(60), "no pending alerts")

    def seen_ids():
        out = set()
        for m in watcher.inbox.snapshot():
            out.add(m.json()["alert_id"])
        return out

    def all_seen():
        stored = {r["alert_id"] for r in db.q("SELECT alert_id FROM alerts")}
        return stored <= seen_ids()

    gwtest.wait_until(all_seen, t(30), "every stored alert seen on %s/alerts/#" % PREFIX)
    t_alerts = time.monotonic() - t0
    assert g.stop() == 0, gwtest.tail(g.log_path)

    messages = db.q("SELECT id, msg_id, outcome, ref, reply FROM messages")
    reports = db.q("SELECT r.ref, r.code, r.priority, r.zone, m.msg_id FROM reports r "
                   "JOIN messages m ON %s" % db.report_join())
    alerts = db.q("SELECT alert_id, ref, partner, state FROM alerts")

    journaled = {m["msg_id"] for m in messages}
    missing = [mid for _, _, mid, _ in msgs if mid not in journaled]
    assert not missing, "%d msg_ids never journaled, e.g. %s" % (len(missing), missing[:5])

    no_reply = [mid for _, _, mid, _ in msgs if not bridge.replies.get(mid)]
    assert not no_reply, "%d messages without a reply: %s" % (len(no_reply), no_reply[:5])

    by_mid = {}
    for r in reports:
        by_mid.setdefault(r["msg_id"], []).append(r)
    bad = []
    for unit, text, mid, kind in msgs:
        got = by_mid.get(mid, [])
        want = 1 if kind == "report" else 0
        if len(got) != want:
            bad.append((mid, text, len(got)))
            continue
        first = bridge.replies[mid][0]["reply"]
        if kind == "report":
            if not first.startswith("OK R%d " % refnum(got[0]["ref"])):
                bad.append((mid, text, first))
        elif not first.startswith("ERR "):
            bad.append((mid, text, first))
        for o in bridge.replies[mid]:
            if o["reply"] not in (first, first + " DUP") and not o["reply"].startswith(first):
                bad.append((mid, "inconsistent replies", bridge.replies[mid]))
    assert not bad, "%d messages stored or answered wrongly, e.g. %s" % (len(bad), bad[:5])
    accepted = [m for m in messages if m["outcome"] == "accepted"]
    assert len(accepted) == len(reports), "accepted rows %d != reports %d" % (
        len(accepted), len(reports))

    # Alerts: one per (ref, partner) the rules select, none pending, all seen with one id.
    assert all(a["state"] in ("sent", "acked") for a in alerts), \
        [a for a in alerts if a["state"] not in ("sent", "acked")][:5]
    stored = {}
    for a in alerts:
        key = (refnum(a["ref"]), a["partner"])
        assert key not in stored, "two alerts for %s" % (key,)
        stored[key] = a["alert_id"]
    want = set()
    for r in reports:
        for p in partners_for(r["code"], r["priority"], r["zone"]):
            want.add((refnum(r["ref"]), p))
    assert set(stored) == want, "alerts missing: %s; unexpected: %s" % (
        sorted(want - set(stored))[:5], sorted(set(stored) - want)[:5])

    seen = {}
    for m in watcher.inbox.snapshot():
        o = m.json()
        key = (refnum(o["ref"]), m.topic.rsplit("/", 1)[1])
        seen.setdefault(key, set()).add(o["alert_id"])
    assert set(seen) == set(stored), "published for unknown (ref, partner): %s" % (
        sorted(set(seen) - set(stored))[:5])
    split = {k: v for k, v in seen.items() if v != {stored[k]}}
    assert not split, "alerts published under other ids: %s" % list(split.items())[:5]
    print("kills at replies %s; %d resends; %d reports; %d alerts; stream %.1fs, "
          "alerts settled at %.1fs" % (kills, bridge.resends, len(reports), len(alerts),
                                       t_stream, t_alerts))
