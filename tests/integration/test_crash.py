"""kill -9 crash test: no message lost, none stored twice, alerts exactly once per
(ref, partner) with a stable alert_id, none left pending.

A simulated bridge streams 5,000 distinct JSON messages (msg_id each) at QoS 1
with a window in flight and resends anything without a reply after 2 s, while
the gateway is killed with SIGKILL at spread points and restarted on the same
config and store. A second client watches patrol/alerts/# throughout.

The SMS channel's crash point is tested on its own: a kill -9 after the commit
of an SMS and before its deletion from the (dummy) modem, found by freezing the
gateway with SIGSTOP and checking the frozen store and modem folder.
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
          "XQZW HB03 %s", "ASB P0 HB01 %s"]


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


def all_stopped(pid):
    """True when every thread of pid is stopped (state T in /proc)."""
    import os
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            if f.read().rsplit(")", 1)[1].split()[0] not in ("T", "t"):
                return False
    return True


def test_kill9_between_the_sms_commit_and_the_modem_delete(env):
    """An SMS is journaled and answered in one commit, and only then deleted
    from the modem. A kill -9 between the two leaves it on the modem: after the
    restart it is read again, found in the sms_parts journal, answered DUP, and
    makes no second report.

    The moment is found, not forced: 600 SMS wait on the modem when the gateway
    starts; the modem thread reads them all in one walk and deletes what the core
    committed only after that walk. As soon as the first message is committed
    the gateway is frozen with SIGSTOP and the frozen state is checked: SMS
    whose parts are committed ("done") while their files are still in the
    modem's inbox. Only then comes the SIGKILL. If a try finds none (the walk
    already over), the gateway is resumed and the next batch tries again."""
    import signal
    from smstest import Modem, register, sms_section

    b = env.broker()
    modem = Modem(env.tmp / "crash-modem")
    extra = sms_section(modem.dir, reply_limit=10000, send_per_minute=6000, poll_ms=50)
    g = env.gateway(b, extra=extra)
    senders = ["07700 9003%02d" % i for i in range(20)]
    for i, n in enumerate(senders):
        register(g, "SMSOP%d" % i, n)
    db = g.db()
    per_try = 600
    window, texts, tries = [], [], 0
    while not window:
        tries += 1
        assert tries <= 5, "never caught a committed SMS still on the modem in 5 tries"
        g.stop()
        base = len(texts)
        before = db.scalar("SELECT count(*) FROM messages")
        batch = ["ENG P4 HB03 crash check #%d" % (base + i) for i in range(per_try)]
        for i, text in enumerate(batch):
            modem.deliver(senders[i % len(senders)], text)
        texts += batch
        g.start(wait=False)
        gwtest.wait_until(lambda: db.scalar("SELECT count(*) FROM messages") > before,
                          t(30), "the first message of the batch committed", interval=0.001)
        g.proc.send_signal(signal.SIGSTOP)
        # Frozen: nothing commits or deletes while we look. A stop is not
        # instant: on a loaded machine threads run on for a moment.
        gwtest.wait_until(lambda: all_stopped(g.proc.pid), t(10), "every thread stopped")
        done = db.q("SELECT p.folder, p.location, m.text FROM sms_parts p"
                    " JOIN messages m ON m.id = p.message_id WHERE p.state = 'done'")
        # The dummy driver's location of file sms/<folder>/<N> is folder * 10000 + N.
        window = [d["text"] for d in done
                  if (modem.dir / "sms" / str(d["folder"]) / str(d["location"] % 10000)).exists()]
        if window:
            g.kill()  # SIGKILL ends a stopped process too
        else:
            g.proc.send_signal(signal.SIGCONT)
            modem.wait_empty(t(60))
    # Restart: everything left on the modem is read; the window's SMS again.
    g.start()
    modem.wait_empty(t(60))
    gwtest.wait_until(lambda: db.scalar("SELECT count(*) FROM messages") >= len(texts)
                      + len(window), t(60), "every SMS journaled")
    gwtest.wait_until(lambda: db.scalar("SELECT count(*) FROM sms_out WHERE state = 'pending'")
                      == 0, t(60), "every reply sent")
    assert g.stop() == 0
    msgs = db.q("SELECT id, text, outcome, reply FROM messages WHERE channel = 'sms'")
    by_text = {}
    for m in msgs:
        by_text.setdefault(m["text"], []).append(m)
    # Nothing lost: every SMS journaled, accepted once, one report each.
    assert set(by_text) == set(texts)
    assert db.scalar("SELECT count(*) FROM reports") == len(texts)
    for text in texts:
        accepted = [m for m in by_text[text] if m["outcome"] == "accepted"]
        assert len(accepted) == 1, (text, by_text[text])
    # The SMS caught in the window were read again: one journal part each, answered DUP.
    assert db.scalar("SELECT count(*) FROM sms_parts") == len(texts)
    for text in window:
        rows = by_text[text]
        assert [m["outcome"] for m in rows] == ["accepted", "duplicate"], rows
        assert rows[1]["reply"] == rows[0]["reply"] + " DUP"
    # And no SMS outside the window was read twice.
    assert sum(len(v) for v in by_text.values()) == len(texts) + len(window)
    replies = db.q("SELECT text FROM sms_out WHERE kind = 'reply'")
    assert len(replies) == len(texts) + len(window)
    assert all(r["text"].startswith("OK R") for r in replies)
    print("caught %d committed SMS still on the modem (try %d of at most 5)" % (len(window), tries))
