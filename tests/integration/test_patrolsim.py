"""patrolsim against a real gateway: its summary agrees with what the gateway
journaled (counted here from the store), and a seed repeats a run exactly; its
SMS operatives text through libgammu's dummy modem (smstest.py) and read the
replies the gateway handed to the modem."""

import json
import os
import re
from collections import Counter

import pytest

import gwtest
from gwtest import t
from smstest import Modem, sms_section

PATROLSIM = gwtest.BUILD / "patrolsim"


@pytest.fixture(autouse=True)
def _sim_built():
    if not os.access(PATROLSIM, os.X_OK):
        pytest.fail("%s is missing" % PATROLSIM, pytrace=False)


def sim(g, *args, quiet=True):
    cp = gwtest.run([PATROLSIM, "--config", g.conf, "--json", *(["--quiet"] if quiet else []),
                     *args], timeout=t(120))
    assert cp.returncode == 0, "patrolsim failed: %s" % cp.stderr
    lines = cp.stdout.strip().splitlines()
    return json.loads(lines[-1]), lines[:-1]


def operative_stream(db):
    """What the operatives said, in order, one row per transmission and bridge:
    (unit, bridge, text) of each msg_id's first journal row; references in
    UPDs masked (they come from replies)."""
    rows = db.q("SELECT unit, bridge, msg_id, text FROM messages WHERE unit LIKE 'simop%'"
                " ORDER BY id")
    seen, out = set(), []
    for r in rows:
        if r["msg_id"] in seen:
            continue
        seen.add(r["msg_id"])
        out.append((r["unit"], r["bridge"], re.sub(r"^UPD R\d+", "UPD R?", r["text"])))
    return out


def test_summary_matches_the_gateway_journal(env):
    b = env.broker()
    g = env.gateway(b)
    s, lines = sim(g, "--register", "--seed", "5", "--count", "150", "--rate", "60",
                   "--operatives", "6", "--bridges", "3", quiet=False)
    db = g.db()
    msgs = db.q("SELECT * FROM messages")
    assert s["missing_replies"] == 0
    assert s["sent"] == len(msgs)
    assert s["answered"] == s["sent"]
    assert s["transmissions"] >= 150
    outcome = Counter(m["outcome"] for m in msgs)
    assert s["dup"] == outcome["duplicate"] > 0
    assert s["err"] == outcome["error"] > 0
    by_reason = Counter(m["reason"] for m in msgs if m["outcome"] == "error")
    for field, n in s["err_by_field"].items():
        assert n == by_reason.get(field, 0), field
    # The realistic mix: typos, wrong priorities and unknown places all happen.
    assert by_reason["CODE"] > 0 and by_reason["PRIORITY"] > 0 and by_reason["LOCATION"] > 0
    assert s["ok"] == outcome["accepted"]
    assert s["reports"] == db.scalar("SELECT count(*) FROM reports")
    assert s["alerts_seen"] == db.scalar("SELECT count(*) FROM alerts WHERE kind = 'alert'")
    assert s["acks_ok"] == db.scalar("SELECT count(*) FROM report_events WHERE kind = 'ack'") > 0
    assert s["acks_sent"] == s["acks_ok"]
    # Several bridges heard one transmission: the same text from one unit, several bridges.
    multi = db.scalar("SELECT count(*) FROM (SELECT unit, text FROM messages"
                      " GROUP BY unit, text HAVING count(DISTINCT bridge) > 1)")
    assert multi > 0
    # Resends (same msg_id again) were answered as duplicates.
    assert s["resends"] == db.scalar(
        "SELECT count(*) - count(DISTINCT msg_id) FROM messages") > 0
    # Shifts: every operative went ON and said OFF at the end. An OFF that is the
    # same text as one within the gateway's duplicate window is answered DUP and
    # closes nothing (INGEST_DUP_TEXT_MS), so only accepted final OFFs are checked.
    assert db.scalar("SELECT count(*) FROM shifts") > 0
    for i in range(1, 7):
        last = db.q("SELECT text, outcome FROM messages WHERE unit = ? ORDER BY id DESC LIMIT 1",
                    "simop%d" % i)
        if last and last[0]["text"] == "OFF" and last[0]["outcome"] == "accepted":
            assert db.scalar("SELECT count(*) FROM shifts WHERE reporter = ? AND off_at IS NULL",
                             "SIMOP%d" % i) == 0
    # It printed what it sent and what came back.
    assert sum(1 for x in lines if x.startswith("> ")) == s["sent"]
    assert sum(1 for x in lines if x.startswith("< ")) >= s["answered"]
    assert sum(1 for x in lines if x.startswith("! alert")) == s["alerts_seen"]
    # The people it registered.
    people = json.loads(g.ctl("people", "list", "--json").stdout)
    assert sorted(p["callsign"] for p in people) == sorted(
        ["SIMOP%d" % i for i in range(1, 7)] + ["SIMPC%d" % i for i in range(1, 4)])
    assert {p["partner"] for p in people if p["role"] == "partner"} == set(
        gwtest.DEFAULT_PARTNERS)


def test_a_seed_repeats_the_run(env):
    b = env.broker()
    g1 = env.gateway(b, name="gw1", client_id="gw1", prefix="one")
    g2 = env.gateway(b, name="gw2", client_id="gw2", prefix="two")
    g3 = env.gateway(b, name="gw3", client_id="gw3", prefix="three")
    args = ("--register", "--count", "60", "--rate", "50", "--operatives", "3")
    s1, _ = sim(g1, "--seed", "42", *args)
    s2, _ = sim(g2, "--seed", "42", *args)
    s3, _ = sim(g3, "--seed", "43", *args)
    a, b2, c = (operative_stream(g.db()) for g in (g1, g2, g3))
    assert len(a) > 60
    assert a == b2
    assert a != c
    for k in ("transmissions", "sent", "dup", "err", "err_by_field", "reports"):
        assert s1[k] == s2[k], k


def test_unregistered_partner_contacts_cannot_ack(env):
    b = env.broker()
    g = env.gateway(b)
    s, _ = sim(g, "--seed", "3", "--count", "40", "--rate", "50")
    assert s["alerts_seen"] > 0 and s["acks_sent"] > 0
    assert s["acks_ok"] == 0
    assert s["err_by_field"]["AUTH"] == s["acks_sent"]
    assert g.db().scalar("SELECT count(*) FROM report_events WHERE kind = 'ack'") == 0


def test_cli():
    cp = gwtest.run([PATROLSIM, "--help"])
    assert cp.returncode == 0 and cp.stdout.startswith("usage: patrolsim")
    cp = gwtest.run([PATROLSIM, "--bogus", "1"])
    assert cp.returncode == 2 and "unknown option" in cp.stderr
    cp = gwtest.run([PATROLSIM, "--register"])
    assert cp.returncode == 2 and "--config" in cp.stderr
    cp = gwtest.run([PATROLSIM, "--port", str(gwtest.free_port()), "--count", "1"],
                    timeout=t(30))
    assert cp.returncode == 1 and "connect" in cp.stderr


def sms_env(env, name="gw", **cfg):
    """A broker and a gateway with the dummy modem and a police duty phone."""
    b = env.broker()
    modem = Modem(env.tmp / (name + "-modem"))
    extra = sms_section(modem.dir) + "[partner.police]\nsms = 07700900999\n"
    return env.gateway(b, name=name, extra=extra, **cfg), modem


def test_sms_operatives_text_through_the_modem_and_read_the_replies(env):
    g, modem = sms_env(env)
    g.wait_log(r"modem: connected")
    # The grace period is a deadline (the modem is read every 50 ms; slower under ASan).
    s, lines = sim(g, "--register", "--seed", "7", "--count", "80", "--rate", "40",
                   "--operatives", "2", "--sms-operatives", "3", "--grace", str(t(15)),
                   quiet=False)
    db = g.db()
    msgs = db.q("SELECT * FROM messages")
    sms_msgs = [m for m in msgs if m["channel"] == "sms"]
    # Every SMS texted was journaled once, every message got its answer.
    assert s["missing_replies"] == 0
    assert s["sent"] == len(msgs)
    assert s["sms_sent"] == len(sms_msgs) > 0
    assert {m["sender"] for m in sms_msgs} <= {"+447700900201", "+447700900202",
                                               "+447700900203", "+447700900999"}
    # National ("07700 900201") and international forms are one person each.
    reporters = {r["reporter"] for r in db.q("SELECT reporter FROM reports WHERE channel = 'sms'")}
    assert reporters and reporters <= {"SIMSMS1", "SIMSMS2", "SIMSMS3"}
    # Replies: what the gateway handed to the modem, as patrolsim counted them. A
    # reply row that answers no message is the reporter's notice of a partner's
    # first ACK (docs/alerts.md): counted apart, never taken for a reply.
    sent = db.q("SELECT * FROM sms_out WHERE state = 'sent' ORDER BY id")
    replies = [r for r in sent if r["kind"] == "reply" and r["message_id"] is not None]
    sms_notices = [r for r in sent if r["kind"] == "reply" and r["message_id"] is None]
    assert s["sms_replies"] == len(replies)
    assert s["sms_dropped"] == 0 and s["sms_failed"] == 0
    assert s["answered"] == s["sent"]
    outcome = Counter(m["outcome"] for m in msgs)
    assert s["ok"] == outcome["accepted"] and s["err"] == outcome["error"]
    assert s["dup"] == outcome["duplicate"]
    # Notices: one per partner's first ACK of a report, on the reporter's channel.
    acked = {ch: db.scalar("SELECT count(*) FROM chases c JOIN reports r ON r.ref = c.ref"
                           " WHERE c.acked_at IS NOT NULL AND r.channel = ?", ch)
             for ch in ("sms", "radio")}
    assert s["sms_notices"] == len(sms_notices) == acked["sms"] > 0
    assert all(re.fullmatch(r"R\d+ ACK by (police|council|seafront) \d\d:\d\d", r["text"])
               for r in sms_notices)
    assert s["notices"] - s["sms_notices"] == acked["radio"] == db.scalar(
        "SELECT count(*) FROM alerts WHERE kind = 'notice'")
    assert s["notices"] == s["notices_due"]
    # Some texts went as two-part concatenated SMS, joined by the gateway.
    parts = db.q("SELECT * FROM sms_parts")
    assert s["sms_parts"] > s["sms_sent"]
    assert any(p["total"] == 2 for p in parts)
    assert all(p["state"] == "done" for p in parts)
    # The police duty phone: first alerts (some acknowledged by SMS), UPDs of them
    # forwarded as updates (not new alerts, not acknowledged again), and alerts an
    # ACK made unnecessary before the modem took them (dropped, 'acknowledged').
    duty = Counter((r["akind"], r["state"], r["last_error"]) for r in db.q(
        "SELECT a.kind AS akind, o.state, o.last_error FROM sms_out o"
        " JOIN alerts a ON a.id = o.alert_row WHERE o.kind = 'alert'"))
    assert s["sms_alerts"] == duty[("alert", "sent", None)] > 0
    assert s["sms_updates"] == duty[("update", "sent", None)]
    assert s["sms_resends"] == sum(n for (k, st, _), n in duty.items()
                                   if k in ("resend", "escalation", "reminder", "fallback")
                                   and st == "sent")
    assert s["sms_cancelled"] == sum(n for (_, st, e), n in duty.items()
                                     if st == "dropped" and e == "acknowledged")
    assert sum(duty.values()) == (s["sms_alerts"] + s["sms_updates"] + s["sms_resends"] +
                                  s["sms_cancelled"])
    first = Counter(r["channel"] for r in db.q("SELECT channel FROM alerts WHERE kind = 'alert'"))
    assert s["alerts_seen"] == first["mqtt"] + s["sms_alerts"]
    assert s["updates_seen"] == s["sms_updates"] + db.scalar(
        "SELECT count(*) FROM alerts WHERE kind = 'update' AND channel = 'mqtt'")
    duty_acks = db.scalar("SELECT count(*) FROM report_events WHERE kind = 'ack'"
                          " AND by = 'SIMDUTY1'")
    assert duty_acks > 0
    assert s["acks_ok"] == db.scalar("SELECT count(*) FROM report_events WHERE kind = 'ack'")
    # It printed what it texted and what came back.
    assert sum(1 for x in lines if x.startswith("> sms ")) == s["sms_sent"]
    assert sum(1 for x in lines if x.startswith("< sms ")) == s["sms_replies"]
    assert sum(1 for x in lines if x.startswith("* sms ")) == s["sms_notices"]
    assert sum(1 for x in lines if x.startswith("* ")) == s["notices"]
    assert sum(1 for x in lines if x.startswith("! sms alert police to duty1: ")) == s["sms_alerts"]
    assert sum(1 for x in lines if x.startswith("! sms update police to duty1: ")) == \
        s["sms_updates"]
    assert any("[2 parts]" in x for x in lines)
    modem.wait_empty()


def test_sms_seed_repeats_what_is_texted(env):
    texts = []
    for name in ("gwa", "gwb"):
        g, _ = sms_env(env, name=name, client_id=name, prefix=name)
        g.wait_log(r"modem: connected")
        # Slow enough that each reply (and the reference an UPD needs) is back
        # before the operative's next text (man patrolsim: what a seed repeats).
        sim(g, "--register", "--seed", "11", "--count", "30", "--rate", "4",
            "--operatives", "0", "--sms-operatives", "2", "--grace", str(t(15)))
        # The operatives' texts (ACKs follow alerts, whose timing varies).
        texts.append([(m["sender"], re.sub(r"^UPD R\d+", "UPD R?", m["text"] or ""))
                      for m in g.db().q("SELECT sender, text FROM messages WHERE channel = 'sms'"
                                        " AND sender LIKE '+4477009002%' ORDER BY id")])
    assert len(texts[0]) >= 30 and texts[0] == texts[1]


def test_sms_cli_errors(env):
    b = env.broker()
    g = env.gateway(b)
    cp = gwtest.run([PATROLSIM, "--sms-operatives", "2", "--port", str(b.port)])
    assert cp.returncode == 2 and "--config" in cp.stderr
    cp = gwtest.run([PATROLSIM, "--config", g.conf, "--sms-operatives", "2"])
    assert cp.returncode == 2 and "dummy modem" in cp.stderr
    cp = gwtest.run([PATROLSIM, "--config", g.conf, "--sms-operatives", "1",
                     "--modem", str(env.tmp / "nowhere")])
    assert cp.returncode == 1 and "not a dummy modem" in cp.stderr
    cp = gwtest.run([PATROLSIM, "--config", g.conf, "--operatives", "0"])
    assert cp.returncode == 2 and "no operatives" in cp.stderr
