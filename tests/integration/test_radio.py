"""Radio-bridge path end to end: a real mosquitto, the real patrolgw, paho clients.

Most tests share one gateway (default partner rules, see gwtest.DEFAULT_PARTNERS)
and use a unit name of their own; tests that restart or reconfigure things get
their own broker and gateway.
"""

import csv
import datetime
import json
import re
import signal
import threading
import time
import uuid

import pytest

import gwtest
from gwtest import (PREFIX, alert_topic, in_topic, json_request, out_topic, refnum,
                    reply_text, t, wait_until)

NET = "shopwatch"


def new_unit(tag="u"):
    return "%s%s" % (tag, uuid.uuid4().hex[:8])


def ask(c, net, unit, payload, timeout=None):
    """Publishes a request at QoS 1 and returns the reply (a gwtest.Msg)."""
    c.publish(in_topic(net, unit), payload, qos=1)
    return c.inbox.take_topic(out_topic(net, unit), timeout or t(10))


def ask_json(c, net, unit, text, msg_id=None, bridge=None):
    m = ask(c, net, unit, json_request(unit, text, msg_id, bridge))
    o = m.json()
    assert isinstance(o, dict), "JSON request got a non-object reply %r" % m.payload
    return o


def accepted_ref(reply, code, prio, loc):
    """The ref number of `OK R<n> CODE P<n> LOC` (more may follow after a space)."""
    rx = r"^OK R(\d+) %s P%d %s(?: .*)?$" % (re.escape(code), prio, re.escape(loc))
    m = re.match(rx, reply)
    assert m, "reply %r does not match %s" % (reply, rx)
    assert len(reply) <= 160 - 4, "reply %r leaves no room for ' DUP'" % reply
    return int(m.group(1))


def gazetteer():
    with open(gwtest.GAZETTEER_CSV, newline="", encoding="utf-8-sig") as f:
        return {r["zone"].strip().upper(): r for r in csv.DictReader(f)}


def code_table():
    with open(gwtest.CODES_CSV, newline="", encoding="utf-8-sig") as f:
        return {r["code"].strip().upper(): r for r in csv.DictReader(f)}


# --------------------------------------------------------------------------- reports

def test_text_report_gets_plain_reply_and_is_stored(radio):
    e, b, g, c = radio
    unit = new_unit()
    text = "ASB P2 HB12 youths throwing bottles"
    m = ask(c, NET, unit, text)
    reply = m.text
    assert not reply.lstrip().startswith("{"), "a text request must get a plain text reply: %r" % reply
    assert m.qos == 1, "the reply was published at QoS %s" % m.qos
    ref = accepted_ref(reply, "ASB", 2, "HB12")

    db = g.db()
    r = db.report(ref)
    assert r["code"] == "ASB"
    assert r["priority"] == 2
    assert r["location"] == "HB12"
    assert r["zone"] == "HB12"
    assert r["details"] == "youths throwing bottles"
    assert r["channel"] == "radio"
    assert r["status"] == "open"
    assert r["reporter"] == "%s/%s" % (NET, unit)
    assert isinstance(r["lat"], float) and isinstance(r["lon"], float)

    msg = db.report_message(ref)
    assert msg["outcome"] == "accepted"
    assert msg["channel"] == "radio"
    assert (msg["network"], msg["unit"]) == (NET, unit)
    assert msg["text"] == text
    assert msg["reply"] == reply
    assert refnum(msg["ref"]) == ref
    assert msg["msg_id"] is None
    assert msg["dup_of"] is None


def test_report_separators_case_and_details_kept_as_typed(radio):
    e, b, g, c = radio
    unit = new_unit()
    text = "  asb/hb12;p2   Ünïcode détails, kept  as typed  "
    reply = ask(c, NET, unit, text).text
    ref = accepted_ref(reply, "ASB", 2, "HB12")
    assert g.db().report(ref)["details"] == "Ünïcode détails, kept  as typed"


def test_json_request_gets_json_reply_with_msg_id_and_ref(radio):
    e, b, g, c = radio
    unit = new_unit()
    mid = "m-" + uuid.uuid4().hex
    o = ask_json(c, NET, unit, "THEFT P3 HB05 male red jacket", mid, bridge="b1")
    assert set(o) >= {"msg_id", "ref", "reply"}, o
    assert o["msg_id"] == mid
    ref = accepted_ref(o["reply"], "THEFT", 3, "HB05")
    assert o["ref"] == "R%d" % ref

    db = g.db()
    msg = db.one("SELECT * FROM messages WHERE msg_id = ?", mid)
    assert msg["bridge"] == "b1"
    assert msg["outcome"] == "accepted"
    assert msg["text"] == "THEFT P3 HB05 male red jacket"
    assert db.report(ref)["details"] == "male red jacket"

    # Without a msg_id the reply says null.
    o = ask_json(c, NET, unit, "SUS HB05 grey van slow")
    assert o["msg_id"] is None
    ref2 = accepted_ref(o["reply"], "SUS", 3, "HB05")
    assert o["ref"] == "R%d" % ref2 and ref2 != ref
    # An error has a null ref.
    o = ask_json(c, NET, unit, "ABS HB05 x", "m-" + uuid.uuid4().hex)
    assert o["ref"] is None and o["reply"].startswith("ERR CODE: "), o


@pytest.mark.parametrize("json_req", [False, True], ids=["text", "json"])
def test_qos0_request_is_served(radio, json_req):
    e, b, g, c = radio
    unit = new_unit("q")
    text = "DRG HB10 dealing by the garages"
    c.publish(in_topic(NET, unit), json_request(unit, text, "q0-" + unit) if json_req else text,
              qos=0)
    m = c.inbox.take_topic(out_topic(NET, unit))
    accepted_ref(reply_text(m), "DRG", 3, "HB10")


# The tables and columns the contract names (tests read them).
SCHEMA = {
    "messages": "id channel network unit sender bridge msg_id payload text received_at outcome "
                "reason reply ref person_id dup_of",
    "reports": "ref code priority location zone lat lon details reporter person_id "
               "channel received_at status cleared_at",
    "alerts": "id alert_id ref partner channel state attempts created_at next_attempt_at "
              "sent_at acked_at acked_by last_error payload",
    "people": "id callsign name role partner phone active created_at",
    "radio_units": "network unit person_id",
    "shifts": "id",
    "report_events": "id",
}


def test_store_schema_has_the_contract_columns(radio):
    e, b, g, c = radio
    db = g.db()
    missing = {}
    for table, cols in SCHEMA.items():
        have = set(db.columns(table))
        lack = [col for col in cols.split() if col not in have]
        if lack:
            missing[table] = lack
    assert not missing, "store lacks columns: %s" % missing
    assert db.scalar("PRAGMA journal_mode") == "wal"


# --------------------------------------------------------------------------- errors

# (name, payload, reply regex, outcome)
ERROR_CASES = [
    ("unknown code", "ABS HB12 youths", r"^ERR CODE: .*\bASB\b", "error"),
    ("bad priority", "ASB P5 HB12 youths", r"^ERR PRIORITY: ", "error"),
    ("bad location", "ASB NOWHERE youths", r"^ERR LOCATION: ", "error"),
    ("missing location", "ASB", r"^ERR LOCATION: ", "error"),
    ("too long", "ASB HB12 " + "x" * 600, r"^ERR LENGTH: ", "error"),
    ("unknown ref", "CLR R987654321", r"^ERR REF: ", "error"),
    ("bad utf-8", b"ASB HB12 caf\xc3\x28 \xff\xfe", r"^ERR FORMAT: ", "rejected"),
    ("payload of 5000 bytes", ("ASB HB12 " + "x" * 4991).encode(), r"^ERR FORMAT: ", "rejected"),
    ("bad json", b'{"unit": "UNIT", "text": "ASB HB12 x", ', r"^ERR FORMAT: ", "rejected"),
    ("json without text", b'{"unit": "UNIT", "msg_id": "x1"}', r"^ERR FORMAT: ", "rejected"),
    ("bad utf-8 in json", b'{"unit": "UNIT", "text": "ASB HB12 \xff"}', r"^ERR FORMAT: ", "rejected"),
]


@pytest.mark.parametrize("name,payload,rx,outcome", ERROR_CASES, ids=[x[0] for x in ERROR_CASES])
def test_errors_get_err_reply_and_are_journaled(radio, name, payload, rx, outcome):
    e, b, g, c = radio
    unit = new_unit("e")
    if isinstance(payload, bytes):
        payload = payload.replace(b"UNIT", unit.encode())
    m = ask(c, NET, unit, payload)
    reply = reply_text(m)
    assert re.search(rx, reply), "%s: reply %r does not match %s" % (name, reply, rx)
    assert len(reply) <= 160, "reply longer than one SMS: %r" % reply
    if not (payload[:1] in ("{", b"{")):
        assert not m.text.startswith("{"), "a text request must get a plain reply: %r" % m.text

    db = g.db()
    msg = db.last_message(NET, unit)
    assert msg["outcome"] == outcome, msg
    assert msg["reason"], "no reason recorded: %r" % msg
    assert msg["reply"] == reply
    assert msg["ref"] is None


def test_unknown_code_suggests_nearest(radio):
    e, b, g, c = radio
    reply = ask(c, NET, new_unit("e"), "ABS HB12 youths").text
    assert reply.startswith("ERR CODE: ABS"), reply
    assert "ASB" in reply and "HELP" in reply, reply


# --------------------------------------------------------------------------- alerts

def wait_alert(c, partner, ref, timeout=None):
    return c.inbox.take(
        lambda m: m.topic == alert_topic(partner) and refnum(m.json().get("ref")) == ref,
        timeout or t(10), "an alert for R%d on %s" % (ref, alert_topic(partner)))


def alerts_seen(c, ref):
    out = []
    for m in c.inbox.snapshot():
        if m.topic.startswith(PREFIX + "/alerts/"):
            try:
                o = m.json()
            except ValueError:
                continue
            if refnum(o.get("ref")) == ref:
                out.append((m.topic.rsplit("/", 1)[1], o))
    return out


def barrier(c, partners=("police", "council", "seafront")):
    """Sends a report that alerts every partner and waits for all its alerts:
    anything published for earlier reports has arrived by then."""
    unit = new_unit("bar")
    ref = accepted_ref(ask(c, NET, unit, "DMG P1 HB12 barrier").text, "DMG", 1, "HB12")
    for p in partners:
        wait_alert(c, p, ref)
    return ref


def test_p1_alert_has_every_field(radio):
    e, b, g, c = radio
    unit = new_unit()
    before = datetime.datetime.now(datetime.timezone.utc)
    ref = accepted_ref(ask(c, NET, unit, "RTC P1 HB03 car v cyclist").text, "RTC", 1, "HB03")
    m = wait_alert(c, "police", ref)
    assert m.qos == 1, "the alert was published at QoS %s" % m.qos
    a = m.json()
    for k in ("alert_id", "ref", "code", "code_name", "priority", "location", "zone",
              "lat", "lon", "details", "reporter", "channel", "received_at"):
        assert k in a, "alert lacks %s: %r" % (k, a)
    assert isinstance(a["alert_id"], str) and a["alert_id"], a
    assert a["ref"] == "R%d" % ref
    assert a["code"] == "RTC"
    assert a["code_name"] == code_table()["RTC"]["name"]
    assert type(a["priority"]) is int and a["priority"] == 1
    assert a["location"] == "HB03"
    assert a["zone"] == "HB03"
    z = gazetteer()["HB03"]
    assert type(a["lat"]) in (int, float) and type(a["lon"]) in (int, float), a
    assert abs(a["lat"] - float(z["lat"])) < 1e-6 and abs(a["lon"] - float(z["lon"])) < 1e-6
    assert a["details"] == "car v cyclist"
    assert a["reporter"] == "%s/%s" % (NET, unit)
    assert a["channel"] == "radio"
    assert gwtest.RFC3339_UTC.match(a["received_at"]), a["received_at"]
    at = gwtest.parse_rfc3339(a["received_at"])
    assert before - datetime.timedelta(seconds=5) <= at <= before + datetime.timedelta(seconds=t(60))

    db = g.db()
    rows = db.alerts_for(ref)
    assert [r["partner"] for r in rows] == ["police"], rows
    assert rows[0]["alert_id"] == a["alert_id"]
    assert rows[0]["channel"] == "mqtt"
    gwtest.wait_until(lambda: db.alerts_for(ref)[0]["state"] == "sent", t(10),
                      "the alert to be marked sent")


def test_alert_with_null_zone_and_typed_coordinates(radio):
    e, b, g, c = radio
    # Far from every Herne Bay zone: no zone, but the typed coordinates.
    reply = ask(c, NET, new_unit(), "MED P1 51.5007,-0.1246 collapsed male").text
    m = gwtest.OK_REPORT.match(reply)
    assert m and m.group(2) == "MED" and m.group(3) == "1", reply
    loc = m.group(4).split()[0]
    lat, lon = (float(x) for x in loc.split(","))
    assert abs(lat - 51.5007) < 1e-9 and abs(lon + 0.1246) < 1e-9, reply
    a = wait_alert(c, "police", int(m.group(1))).json()
    assert a["zone"] is None
    assert a["location"] == loc
    assert abs(a["lat"] - 51.5007) < 1e-9 and abs(a["lon"] + 0.1246) < 1e-9


# (text, code, priority, location, partners that must be alerted)
ALERT_RULES = [
    ("RTC P1 HB03 car v cyclist", "RTC", 1, "HB03", {"police"}),
    ("ASB P3 HB12 youths on pier", "ASB", 3, "HB12", {"seafront"}),
    ("ASB HB03 youths by shops", "ASB", 3, "HB03", set()),
    ("ENV HB05 fly tipping", "ENV", 4, "HB05", {"council"}),
    ("DMG P2 HB12 graffiti on shelter", "DMG", 2, "HB12", {"police", "council", "seafront"}),
    ("ENG P1 HB12 chat with residents", "ENG", 1, "HB12", set()),
    ("ENG HB03 leaflets", "ENG", 4, "HB03", set()),
    ("MH P3 HB12 man on sea wall", "MH", 3, "HB12", {"seafront"}),
    ("VIO P2 HB01 fight outside pub", "VIO", 2, "HB01", {"police"}),
]


def test_alerts_follow_partner_rules_and_eng_never_alerts(radio):
    e, b, g, c = radio
    db = g.db()
    refs = []
    for text, code, prio, loc, want in ALERT_RULES:
        ref = accepted_ref(ask(c, NET, new_unit(), text).text, code, prio, loc)
        refs.append(ref)
        got = {r["partner"] for r in db.alerts_for(ref)}
        assert got == want, "%r: alerts for %s, expected %s" % (text, sorted(got), sorted(want))
    for (text, code, prio, loc, want), ref in zip(ALERT_RULES, refs):
        for p in want:
            wait_alert(c, p, ref)
    barrier(c)
    for (text, code, prio, loc, want), ref in zip(ALERT_RULES, refs):
        seen = alerts_seen(c, ref)
        assert {p for p, _ in seen} == want, "%r: published to %s" % (text, seen)
        assert len(seen) == len(want), "%r: alerts published twice: %s" % (text, seen)


# --------------------------------------------------------------------------- duplicates

def test_duplicate_msg_id_replays_reply_with_dup(radio):
    e, b, g, c = radio
    unit = new_unit()
    mid = "dup-" + uuid.uuid4().hex
    o1 = ask_json(c, NET, unit, "THEFT HB05 male red jacket", mid, bridge="b1")
    ref = accepted_ref(o1["reply"], "THEFT", 3, "HB05")
    # Same msg_id from another bridge, even with other text: a duplicate.
    o2 = ask_json(c, NET, unit, "THEFT HB06 something else entirely", mid, bridge="b2")
    assert o2["reply"] == o1["reply"] + " DUP"
    assert o2["ref"] == o1["ref"] == "R%d" % ref
    assert o2["msg_id"] == mid

    db = g.db()
    rows = db.q("SELECT * FROM messages WHERE msg_id = ? ORDER BY id", mid)
    assert [r["outcome"] for r in rows] == ["accepted", "duplicate"], rows
    assert rows[1]["dup_of"] == rows[0]["id"]
    assert rows[1]["reply"] == o2["reply"]
    n = db.scalar("SELECT COUNT(*) FROM reports r JOIN messages m ON %s "
                  "WHERE m.msg_id = ?" % db.report_join(), mid)
    assert n == 1
    assert db.q("SELECT ref FROM reports WHERE details = 'something else entirely'") == []


def test_duplicate_text_across_bridges_one_report_one_alert(radio):
    e, b, g, c = radio
    unit = new_unit()
    text = "RTC P1 HB07 bus v car two injured %s" % unit
    o1 = ask_json(c, NET, unit, text, "north-" + uuid.uuid4().hex, bridge="north")
    ref = accepted_ref(o1["reply"], "RTC", 1, "HB07")
    mid2 = "south-" + uuid.uuid4().hex
    o2 = ask_json(c, NET, unit, text, mid2, bridge="south")
    assert o2["reply"] == o1["reply"] + " DUP"
    assert o2["msg_id"] == mid2
    assert o2["ref"] == "R%d" % ref

    db = g.db()
    assert db.scalar("SELECT COUNT(*) FROM reports WHERE details = ?",
                     "bus v car two injured %s" % unit) == 1
    assert [r["partner"] for r in db.alerts_for(ref)] == ["police"]
    msg2 = db.one("SELECT * FROM messages WHERE msg_id = ?", mid2)
    assert msg2["outcome"] == "duplicate" and msg2["bridge"] == "south"

    wait_alert(c, "police", ref)
    barrier(c)
    ids = {o["alert_id"] for p, o in alerts_seen(c, ref)}
    assert len(alerts_seen(c, ref)) == 1, alerts_seen(c, ref)
    assert len(ids) == 1


def test_duplicate_plain_text_same_unit(radio):
    e, b, g, c = radio
    unit = new_unit()
    text = "SUS HB09 two men checking car doors"
    r1 = ask(c, NET, unit, text).text
    accepted_ref(r1, "SUS", 3, "HB09")
    r2 = ask(c, NET, unit, text).text
    assert r2 == r1 + " DUP"
    # Another unit sending the same text is not a duplicate.
    r3 = ask(c, NET, new_unit(), text).text
    assert not r3.endswith(" DUP") and refnum(r3.split()[1]) != refnum(r1.split()[1])


# --------------------------------------------------------------------------- registration

def test_unregistered_unit_is_refused_until_registered(radio):
    e, b, g, c = radio
    net, unit = "closednet", new_unit("cu")
    text = "ASB HB04 youths at bus stop"
    reply = ask(c, net, unit, text).text
    assert reply.startswith("ERR AUTH: "), reply
    db = g.db()
    msg = db.last_message(net, unit)
    assert msg["outcome"] == "rejected" and msg["reason"], msg
    assert msg["ref"] is None

    callsign = "CW" + unit[-4:].upper()
    g.ctl("people", "add", "--callsign", callsign, "--name", "Casey Walker",
          "--role", "operative", "--unit", "%s/%s" % (net, unit))
    listing = g.ctl("people", "list").stdout
    assert callsign in listing

    # The operative resends the same text once registered: accepted now.
    reply = ask(c, net, unit, text).text
    ref = accepted_ref(reply, "ASB", 3, "HB04")
    r = db.report(ref)
    assert r["reporter"] == callsign
    assert r["person_id"] is not None
    person = db.one("SELECT * FROM people WHERE callsign = ?", callsign)
    assert person["id"] == r["person_id"] and person["role"] == "operative"

    # Disabled again: refused again.
    g.ctl("people", "disable", callsign)
    reply = ask(c, net, unit, "ASB HB04 they came back").text
    assert reply.startswith("ERR AUTH: "), reply


def test_json_unit_cannot_spoof_a_registered_unit(radio):
    """Hardening 14: on a network that requires registration the topic's unit is
    the sender; a JSON "unit" that differs is refused (ERR AUTH, on the topic's
    reply topic) and the journal keeps the topic's unit."""
    e, b, g, c = radio
    db = g.db()
    ref = accepted_ref(ask(c, NET, new_unit(), "VIO P1 HB02 fight at the arcade").text,
                       "VIO", 1, "HB02")
    pc = new_unit("pc")
    callsign = "PS" + pc[-4:].upper()
    g.ctl("people", "add", "--callsign", callsign, "--name", "PC Spoofed", "--role", "partner",
          "--partner", "police", "--unit", "police/%s" % pc)
    evil = new_unit("evil")
    m = ask(c, "police", evil, json.dumps({"unit": pc, "text": "ACK R%d" % ref, "msg_id": "e1"}))
    assert m.json()["reply"].startswith("ERR AUTH: "), m.payload
    assert [x["state"] for x in db.alerts_for(ref) if x["kind"] == "alert"] != ["acked"]
    assert db.scalar("SELECT COUNT(*) FROM chases WHERE ref = ? AND acked_at IS NOT NULL", ref) == 0
    msg = db.one("SELECT * FROM messages WHERE msg_id = 'e1' AND network = 'police'")
    assert (msg["unit"], msg["sender"], msg["outcome"]) == (evil, "police/" + evil, "rejected"), msg
    assert msg["person_id"] is None
    # Nothing was published on the spoofed unit's reply topic.
    barrier(c)
    assert not [x for x in c.inbox.snapshot() if x.topic == out_topic("police", pc)]

    # On an open network a bridge may still name the unit it relays for, but
    # never as a registered person: the reporter is network/unit, not the callsign.
    op = new_unit("op")
    g.ctl("people", "add", "--callsign", "OP" + op[-4:].upper(), "--name", "Op Erative",
          "--role", "operative", "--unit", "%s/%s" % (NET, op))
    bridge = new_unit("br")
    c.publish(in_topic(NET, bridge), json.dumps({"unit": op, "text": "ASB HB04 relayed",
                                                  "msg_id": "rel-" + op}), qos=1)
    o = c.inbox.take_topic(out_topic(NET, op), t(10)).json()
    ref2 = accepted_ref(o["reply"], "ASB", 3, "HB04")
    assert db.report(ref2)["reporter"] == "%s/%s" % (NET, op)
    assert db.report(ref2)["person_id"] is None
    msg = db.one("SELECT * FROM messages WHERE msg_id = ?", "rel-" + op)
    assert (msg["unit"], msg["sender"]) == (bridge, "%s/%s" % (NET, op)), msg


@pytest.mark.parametrize("json_req", [False, True], ids=["text", "json"])
def test_bridge_that_echoes_replies_does_not_loop(radio, json_req):
    """Hardening 17: a bridge republishing <prefix>/out/... into <prefix>/in/...
    looped for ever (hundreds of journal rows a second). The echo is journaled
    and not answered."""
    e, b, g, c = radio
    unit = new_unit("echo")
    echo = e.client(b, [out_topic(NET, unit)])
    echo.on_message_hook = lambda m: echo.publish(in_topic(NET, unit), m.payload)
    first = json_request(unit, "ASB HB12 echo test", "echo-" + unit) if json_req else "ASB HB12 echo test"
    c.publish(in_topic(NET, unit), first, qos=1)
    time.sleep(t(3))
    db = g.db()
    n = db.scalar("SELECT COUNT(*) FROM messages WHERE network = ? AND unit = ?", NET, unit)
    assert n <= 3, "%d journal rows from a looping bridge" % n
    last = db.last_message(NET, unit)
    assert last["outcome"] == "rejected" and last["reason"] == "reply echoed", last
    assert last["reply"] is None


def test_unit_rate_limit_journals_a_flood_without_acting_on_it(env):
    """Hardening 18 (first part): 20 P1s in a few seconds from one open-network
    unit with unit_rate_limit = 5: five reports (and their alerts), the rest
    journaled 'rate limit (unit)' with no reply, counted in patrolctl status."""
    b, g, c = env.standard(extra="[gateway]\nunit_rate_limit = 5\n")
    unit = new_unit("flood")
    for i in range(20):
        c.publish(in_topic(NET, unit), "RTC P1 HB03 flood %d" % i, qos=1)
    db = g.db()
    wait_until(lambda: db.scalar("SELECT COUNT(*) FROM messages WHERE unit = ?", unit) == 20,
               t(15), "20 journal rows")
    # (Within one clock minute: 5 acted on; if the flood straddles a minute, up to 10.)
    n_reports = db.scalar("SELECT COUNT(*) FROM reports WHERE reporter = ?", "%s/%s" % (NET, unit))
    assert 5 <= n_reports <= 10, n_reports
    rows = db.q("SELECT outcome, reason, reply FROM messages WHERE unit = ? AND outcome = 'rejected'",
                unit)
    assert len(rows) == 20 - n_reports, rows
    assert all(r["reason"] == "rate limit (unit)" and r["reply"] is None for r in rows), rows
    barrier(c)
    replies = [m for m in c.inbox.snapshot() if m.topic == out_topic(NET, unit)]
    assert len(replies) == n_reports, replies

    def refused():
        st = json.loads(g.ctl("status", "--json").stdout)["status"]
        return st.get("rate_limited_units") == str(len(rows))
    wait_until(refused, t(15), "rate_limited_units in patrolctl status")


# --------------------------------------------------------------------------- commands

def test_commands_upd_ack_clr_on_off_help(radio):
    e, b, g, c = radio
    db = g.db()
    unit = new_unit()
    ref = accepted_ref(ask(c, NET, unit, "VIO P1 HB02 fight outside chip shop").text,
                       "VIO", 1, "HB02")
    wait_alert(c, "police", ref)

    assert ask(c, NET, unit, "UPD R%d now 4 involved" % ref).text == "OK UPD R%d" % ref
    assert ask(c, NET, unit, "upd %d one left on foot" % ref).text == "OK UPD R%d" % ref

    # ACK comes from a registered partner contact (network "police" requires registration).
    pc = new_unit("pc")
    callsign = "PC" + pc[-4:].upper()
    g.ctl("people", "add", "--callsign", callsign, "--name", "PC Jones", "--role", "partner",
          "--partner", "police", "--phone", "+447700900123", "--unit", "police/%s" % pc)
    assert ask(c, "police", pc, "ACK R%d" % ref).text == "OK ACK R%d" % ref
    a = [x for x in db.alerts_for(ref) if x["kind"] == "alert"]
    assert [(x["partner"], x["state"]) for x in a] == [("police", "acked")], a
    assert a[0]["acked_at"] is not None and a[0]["acked_by"] is not None
    # The reporter is told once, on its own radio unit.
    notice = c.inbox.take_topic(out_topic(NET, unit), t(10)).text
    assert re.match(r"^R%d ACK by police \d\d:\d\d$" % ref, notice), notice
    assert ask(c, "police", pc, "ACK R%d again" % ref).text == "OK ACK R%d" % ref

    # An operative cannot ACK.
    assert ask(c, NET, unit, "ACK R%d" % ref).text.startswith("ERR "), "operative ACK accepted"

    assert ask(c, NET, unit, "CLR R%d all quiet now" % ref).text == "OK CLR R%d" % ref
    r = db.report(ref)
    assert r["status"] == "cleared" and r["cleared_at"] is not None

    assert re.match(r"^OK ON HB12 \d\d:\d\d$", ask(c, NET, unit, "ON HB12").text)
    assert re.match(r"^OK OFF \d+h\d\d$", ask(c, NET, unit, "OFF").text)
    assert re.match(r"^OK ON PIER|^OK ON HB\d\d \d\d:\d\d$", ask(c, NET, unit, "on pier").text)
    assert re.match(r"^OK OFF \d+h\d\d$", ask(c, NET, unit, "off").text)

    for word in ("HELP", "?"):
        h = ask(c, NET, unit, word).text
        assert "RTC" in h and "ASB" in h and len(h) <= 160, h
        assert not h.startswith("ERR"), h

    assert ask(c, NET, unit, "UPD R999999999 nothing").text.startswith("ERR REF: ")
    assert ask(c, NET, unit, "CLR Rx12").text.startswith("ERR REF: ")


# --------------------------------------------------------------------------- broker restart

def test_broker_restart_mid_stream_loses_nothing(env):
    b, g, c = env.standard()
    n = 200
    items = [("u%02d" % (i % 10), "ASB P3 HB%02d restart test %d" % (i % 12 + 1, i),
              "br-%04d" % i) for i in range(n)]
    bridge = gwtest.Bridge(b.port, NET, name="bridge-r", window=20, resend_s=2.0)
    restarted = threading.Event()
    failure = []

    def restart_broker():
        try:
            gwtest.wait_until(lambda: bridge.replied() >= n // 3, t(60), "a third of the replies")
            b.stop(signal.SIGTERM)
            b.start()
            restarted.set()
        except BaseException as ex:  # noqa: BLE001 - reported by the main thread
            failure.append(ex)

    th = threading.Thread(target=restart_broker, daemon=True)
    th.start()
    try:
        bridge.run(items, timeout=t(120))
    finally:
        bridge.close()
    th.join(t(30))
    assert not failure, failure
    assert restarted.is_set(), "the broker was never restarted"
    assert bridge.replied() == n
    assert g.alive(), "the gateway died across a broker restart"

    db = g.db()
    for unit, text, mid in items:
        got = bridge.replies[mid]
        ref = refnum(got[0]["ref"])
        assert got[0]["reply"].startswith("OK R%d ASB P3 " % ref), got
        for o in got:
            assert refnum(o["ref"]) == ref, "different refs for %s: %s" % (mid, got)
    rows = db.q("SELECT m.msg_id, COUNT(r.ref) AS n FROM messages m JOIN reports r "
                "ON %s WHERE m.msg_id LIKE 'br-%%' GROUP BY m.msg_id" % db.report_join())
    counts = {r["msg_id"]: r["n"] for r in rows}
    assert counts == {mid: 1 for _, _, mid in items}, "report counts differ: %s" % {
        k: v for k, v in counts.items() if v != 1}
    # The gateway is still serving.
    accepted_ref(ask(c, NET, "after", "ASB HB01 after the restart").text, "ASB", 3, "HB01")


# --------------------------------------------------------------------------- signals

def test_sighup_applies_new_partner_rules_and_refuses_bad_config(env):
    b, g, c = env.standard()
    db = g.db()
    ref = accepted_ref(ask(c, NET, new_unit(), "ASB P3 HB03 before reload").text, "ASB", 3, "HB03")
    assert db.alerts_for(ref) == []

    partners = dict(gwtest.DEFAULT_PARTNERS)
    partners["police"] = {"min_priority": 3, "codes": "ASB RTC"}
    g.write_config(gwtest.gw_config(b.port, partners=partners))
    off = g.log_size()
    g.send_signal(signal.SIGHUP)
    # Not "reloading ...": the line that says it is done.
    g.wait_log(r"^(?!.*reloading)(?!.*(fail|error|refus|invalid)).*reload", offset=off,
               what="a finished reload in the log")
    assert g.alive()
    ref = accepted_ref(ask(c, NET, new_unit(), "ASB P3 HB03 after reload").text, "ASB", 3, "HB03")
    assert [a["partner"] for a in db.alerts_for(ref)] == ["police"]
    wait_alert(c, "police", ref)
    # codes = ASB RTC now: a P1 MED no longer alerts the police.
    ref = accepted_ref(ask(c, NET, new_unit(), "MED P1 HB03 collapsed").text, "MED", 1, "HB03")
    assert db.alerts_for(ref) == []

    # An invalid config is refused; the gateway keeps the rules it has.
    good = g.conf.read_text()
    g.write_config(good.replace("codes = %s" % gwtest.CODES_CSV,
                                "codes = /nonexistent/codes.csv"))
    assert "/nonexistent/codes.csv" in g.conf.read_text()
    off = g.log_size()
    g.send_signal(signal.SIGHUP)
    g.wait_log(r"^(?!.*reloading).*(reload.*(fail|error|refus|invalid|keep)|"
               r"(fail|error|refus|invalid).*reload)", offset=off,
               what="a refused reload in the log")
    assert g.alive(), "an invalid config on SIGHUP stopped the gateway"
    ref = accepted_ref(ask(c, NET, new_unit(), "ASB P3 HB03 after bad reload").text,
                       "ASB", 3, "HB03")
    assert [a["partner"] for a in db.alerts_for(ref)] == ["police"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_clean_stop_exits_zero_and_restarts_on_same_store(env, sig):
    b, g, c = env.standard()
    ref = accepted_ref(ask(c, NET, "u1", "ASB HB01 before stop").text, "ASB", 3, "HB01")
    assert g.stop(sig) == 0, gwtest.tail(g.log_path)
    g.start()
    ref2 = accepted_ref(ask(c, NET, "u1", "ASB HB01 after restart").text, "ASB", 3, "HB01")
    assert ref2 > ref
    # The duplicate window survives a restart.
    assert ask(c, NET, "u1", "ASB HB01 before stop").text.endswith(" DUP")


def test_unsent_alerts_are_resent_after_restart_with_same_id(env):
    b, g, c = env.standard()
    db = g.db()
    ref = accepted_ref(ask(c, NET, new_unit(), "RTC P1 HB06 car into wall").text, "RTC", 1, "HB06")
    first = wait_alert(c, "police", ref).json()
    gwtest.wait_until(lambda: db.alerts_for(ref)[0]["state"] == "sent", t(10), "the alert sent")
    assert g.stop() == 0

    # What a kill -9 between PUBLISH and PUBACK leaves: the alert attempted once,
    # still pending, its next attempt set a retry interval ahead.
    con = gwtest.sqlite3.connect(str(g.db_path))
    try:
        with con:
            n = con.execute("UPDATE alerts SET state = 'pending', sent_at = NULL, attempts = 1, "
                            "next_attempt_at = CAST(strftime('%s','now') AS INTEGER) * 1000 "
                            "+ 30000 WHERE ref = ?", (ref,)).rowcount
        assert n == 1
    finally:
        con.close()

    # A restart means the earlier attempt's connection is gone: resend at once,
    # not a retry interval later (a P1 alert must not wait 30 s after a crash).
    g.start()
    again = wait_alert(c, "police", ref, timeout=t(5)).json()
    assert again["alert_id"] == first["alert_id"]
    assert again == first, "the resent alert differs from the original"
    gwtest.wait_until(lambda: db.alerts_for(ref)[0]["state"] == "sent", t(15),
                      "the resent alert to be marked sent")
    assert db.alerts_for(ref)[0]["attempts"] >= 2
