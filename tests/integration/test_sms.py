"""SMS channel end to end: the real patrolgw driving libgammu's dummy modem
(a folder of SMS backup files, see smstest.py), a real mosquitto, patrolctl.

What was sent is what the gateway recorded handing to the modem (sms_out rows
and a debug log line): the dummy driver keeps nothing it sends.
"""

import datetime
import json
import os
import re
import time

import pytest

import gwtest
from gwtest import in_topic, t, wait_until
from smstest import Modem, register, sms_gateway, sms_out, wait_sent

OP = "+447700900123"        # an operative, registered as 07700 900123
DUTY = "+447700900999"      # a police duty phone, registered as a partner contact
OK_REPORT = re.compile(r"^OK R(\d+) (\S+) P([1-4]) (.+)$")


def reply_to(g, number, n=1):
    rows = wait_sent(g, number, n, kind="reply")
    return rows[n - 1]


def test_single_part_gsm7_report_is_journaled_and_answered(env):
    g, modem, _ = sms_gateway(env)
    register(g, "ALPHA1", "07700 900123")
    modem.deliver("07700 900123", "ASB P2 HB12 youths throwing bottles at bus shelter")
    row = reply_to(g, OP)
    m = OK_REPORT.match(row["text"])
    assert m, row["text"]
    assert row["coding"] == "gsm7" and row["kind"] == "reply" and row["attempts"] == 1
    ref = int(m.group(1))
    db = g.db()
    rep = db.report(ref)
    assert rep["channel"] == "sms" and rep["code"] == "ASB" and rep["reporter"] == "ALPHA1"
    assert rep["details"] == "youths throwing bottles at bus shelter"
    msg = db.one("SELECT * FROM messages WHERE ref = ? AND outcome = 'accepted'", ref)
    assert msg["channel"] == "sms" and msg["sender"] == OP and msg["reply"] == row["text"]
    assert row["message_id"] == msg["id"]
    part = db.one("SELECT * FROM sms_parts WHERE message_id = ?", msg["id"])
    assert part["sender"] == OP and part["total"] == 1 and part["state"] == "done"
    assert part["smsc_time"] > 0
    # Deleted from the modem once committed; the debug log shows the hand-over.
    modem.wait_empty()
    g.wait_log(r"handing sms %d to the modem" % row["id"])
    # Health reaches gateway_status for patrolctl status.
    wait_until(lambda: db.scalar("SELECT value FROM gateway_status WHERE key = 'sms_modem'")
               == "connected", t(10), "sms_modem status")
    assert db.scalar("SELECT value FROM gateway_status WHERE key = 'sms_signal_percent'") == "42"


def test_three_part_concatenated_report(env):
    g, modem, _ = sms_gateway(env)
    register(g, "ALPHA1", "07700 900123")
    text = ("THEFT P3 HB03 male red jacket left Boots with razors, towards bus station, "
            "second male waiting outside in grey hoodie on a bike, both about twenty, "
            "staff say the same pair took perfume last week, CCTV asked to look")
    parts = [text[0:70], text[70:140], text[140:]]
    for seq, chunk in enumerate(parts, 1):
        modem.deliver("07700 900123", chunk, udh=(0x42, 3, seq))
    row = reply_to(g, OP)
    assert row["coding"] == "gsm7"
    ref = int(OK_REPORT.match(row["text"]).group(1))
    db = g.db()
    assert db.report(ref)["details"] == text[len("THEFT P3 HB03 "):]
    assert db.scalar("SELECT count(*) FROM reports") == 1
    ps = db.q("SELECT * FROM sms_parts ORDER BY part")
    assert [(p["ref"], p["part"], p["total"], p["state"]) for p in ps] == \
        [(0x42, 1, 3, "done"), (0x42, 2, 3, "done"), (0x42, 3, 3, "done")]
    modem.wait_empty()
    assert len(sms_out(g)) == 1


def test_ucs2_report_with_emoji_and_non_latin_details(env):
    g, modem, _ = sms_gateway(env, partners_extra="[partner.police]\nsms = 07700900999\n")
    register(g, "ALPHA1", "07700 900123")
    details = "мужчина на стене 😢 Χρήστος talking to him"
    modem.deliver("07700 900123", "MH P1 HB12 " + details, unicode=True)
    row = reply_to(g, OP)
    # The reply itself is plain GSM-7 (nothing in it needs more).
    assert row["coding"] == "gsm7" and OK_REPORT.match(row["text"])
    ref = int(OK_REPORT.match(row["text"]).group(1))
    db = g.db()
    assert db.report(ref)["details"] == details
    assert db.one("SELECT coding FROM sms_parts")["coding"] == "ucs2"
    # The duty-phone alert echoes the details: UCS-2, shortened to one SMS (70 units).
    alert = wait_sent(g, DUTY, kind="alert")[0]
    assert alert["coding"] == "ucs2"
    assert alert["text"].startswith("P1 MH HB12 R%d " % ref)
    assert alert["text"].endswith(". Reply ACK %d" % ref)
    assert len(alert["text"].encode("utf-16-be")) // 2 <= 70
    assert ".." in alert["text"] and "мужчина" in alert["text"]


def test_parts_in_two_polls_and_a_missing_part_times_out(env):
    g, modem, _ = sms_gateway(env, multipart_timeout=2)
    register(g, "ALPHA1", "07700 900123")
    db = g.db()
    # Message A: parts 1 and 3 first, part 2 in a later poll.
    a = ["ASB P3 HB03 six youths ", "throwing bottles ", "at the bus shelter"]
    modem.deliver("07700 900123", a[0], udh=(7, 3, 1))
    modem.deliver("07700 900123", a[2], udh=(7, 3, 3))
    wait_until(lambda: db.scalar("SELECT count(*) FROM sms_parts WHERE state = 'waiting'") == 2,
               t(10), "two waiting parts")
    # Journaled, they leave the modem at once: waiting parts must not fill a SIM.
    modem.wait_empty()
    assert db.scalar("SELECT count(*) FROM messages") == 0
    modem.deliver("07700 900123", a[1], udh=(7, 3, 2))
    row = reply_to(g, OP)
    ref = int(OK_REPORT.match(row["text"]).group(1))
    assert db.report(ref)["details"] == "six youths throwing bottles at the bus shelter"
    modem.wait_empty()
    # Message B: part 2 of 2 never comes; after the timeout what arrived is kept and answered.
    modem.deliver("07700 900123", "DMG P4 HB12 bus shelter glass ", udh=(8, 2, 1))
    row = reply_to(g, OP, 2)
    ref_b = int(OK_REPORT.match(row["text"]).group(1))
    assert db.report(ref_b)["details"] == "bus shelter glass"
    g.wait_log(r"message of 2 parts taken with 1 missing after the timeout")
    modem.wait_empty()


def test_national_and_international_senders_are_one_person(env):
    g, modem, _ = sms_gateway(env)
    register(g, "ALPHA1", "07700 900123")
    for i, number in enumerate(["07700 900123", "+447700900123", "00447700900123"]):
        modem.deliver(number, "ENG P4 HB0%d spoke to %d shopkeepers" % (i + 1, i + 2))
    rows = wait_sent(g, OP, 3, kind="reply")
    db = g.db()
    for r in rows:
        assert OK_REPORT.match(r["text"]), r["text"]
    assert {x["reporter"] for x in db.q("SELECT reporter FROM reports")} == {"ALPHA1"}
    assert {x["sender"] for x in db.q("SELECT sender FROM messages")} == {OP}


def test_unregistered_short_code_and_denied_senders_get_no_reply(env):
    g, modem, _ = sms_gateway(env, deny="07700900777")
    register(g, "ALPHA1", "07700 900123")
    register(g, "DENIED1", "07700 900777")
    modem.deliver("07700 900555", "ASB P3 HB03 youths")      # not registered
    modem.deliver("80080", "Your bill is ready")            # short code
    modem.deliver("VODAFONE", "Top up now")                 # alphanumeric sender
    modem.deliver("07700 900777", "ASB P3 HB03 youths")      # on the deny list
    modem.wait_empty()
    db = g.db()
    wait_until(lambda: db.scalar("SELECT count(*) FROM messages") == 4, t(10), "4 journal rows")
    got = {m["sender"]: m for m in db.q("SELECT * FROM messages")}
    assert got["+447700900555"]["outcome"] == "rejected"
    assert got["+447700900555"]["reason"] == "unregistered sender"
    assert got["80080"]["reason"] == "short code or alphanumeric sender"
    assert got["VODAFONE"]["reason"] == "short code or alphanumeric sender"
    assert got["+447700900777"]["reason"] == "denied sender"
    for m in got.values():
        assert m["outcome"] == "rejected" and m["reply"] is None
    # The journal commit is the one that would have queued a reply: none was.
    assert sms_out(g) == []
    assert db.scalar("SELECT count(*) FROM reports") == 0
    assert got["VODAFONE"]["text"] is None and bytes(got["VODAFONE"]["payload"]) == b"Top up now"


def test_a_part_delivered_twice_leaves_no_copy_on_the_modem(env):
    """The network delivers a part twice (two modem locations, the same part):
    one sms_parts row, one report, and both copies deleted. Before the fix the
    row moved to the newer location and the older copy stayed on the SIM for
    good; enough of them fill it."""
    g, modem, _ = sms_gateway(env, multipart_timeout=30)
    register(g, "ALPHA1", "07700 900123")
    db = g.db()
    when = datetime.datetime(2026, 11, 23, 9, 31, 0, tzinfo=datetime.timezone.utc)
    modem.deliver("07700 900123", "ASB P3 HB03 six youths ", udh=(9, 2, 1), smsc_time=when)
    modem.deliver("07700 900123", "ASB P3 HB03 six youths ", udh=(9, 2, 1), smsc_time=when)
    wait_until(lambda: db.scalar("SELECT count(*) FROM sms_parts") == 1 and
               not modem.inbox_files(), t(10), "the part journaled once and both copies gone")
    modem.deliver("07700 900123", "throwing bottles", udh=(9, 2, 2), smsc_time=when)
    row = reply_to(g, OP)
    ref = int(OK_REPORT.match(row["text"]).group(1))
    assert db.report(ref)["details"] == "six youths throwing bottles"
    assert db.scalar("SELECT count(*) FROM reports") == 1
    modem.wait_empty()


def test_same_sms_read_twice_makes_one_report_and_a_dup_reply(env):
    g, modem, _ = sms_gateway(env)
    register(g, "ALPHA1", "07700 900123")
    when = datetime.datetime(2026, 11, 23, 9, 30, 5, tzinfo=datetime.timezone.utc)
    text = "RTC P2 HB03 car v cyclist first aid given"
    modem.deliver("07700 900123", text, smsc_time=when)
    first = reply_to(g, OP)
    modem.wait_empty()
    # What a crash after the commit and before the deletion leaves: the same
    # SMS on the modem again, read by a restarted gateway.
    g.stop()
    modem.deliver("07700 900123", text, smsc_time=when)
    g.start()
    second = reply_to(g, OP, 2)
    assert second["text"] == first["text"] + " DUP"
    db = g.db()
    assert db.scalar("SELECT count(*) FROM reports") == 1
    assert db.scalar("SELECT count(*) FROM sms_parts") == 1
    dup = db.one("SELECT * FROM messages WHERE outcome = 'duplicate'")
    assert dup["channel"] == "sms" and dup["reply"] == second["text"]
    modem.wait_empty()
    # Read again while running (no restart): the same answer, still one report.
    modem.deliver("07700 900123", text, smsc_time=when)
    third = reply_to(g, OP, 3)
    assert third["text"] == second["text"]
    assert db.scalar("SELECT count(*) FROM reports") == 1


def test_p1_alerts_a_duty_phone_and_ack_from_it_is_accepted(env):
    g, modem, _ = sms_gateway(env, partners_extra="[partner.police]\nsms = 07700900999\n")
    register(g, "ALPHA1", "07700 900123")
    register(g, "POLDUTY", "07700 900999", role="partner", partner="police")
    modem.deliver("07700 900123", "RTC P1 HB03 car v cyclist amb called")
    ref = int(OK_REPORT.match(reply_to(g, OP)["text"]).group(1))
    alert = wait_sent(g, DUTY, kind="alert")[0]
    assert alert["text"] == "P1 RTC HB03 R%d car v cyclist amb called. Reply ACK %d" % (ref, ref)
    assert alert["coding"] == "gsm7" and alert["ref"] == ref
    db = g.db()
    arow = db.one("SELECT * FROM alerts WHERE ref = ? AND channel = 'sms'", ref)
    assert arow["partner"] == "police" and arow["state"] == "sent" and alert["alert_row"] == arow["id"]
    modem.deliver("07700 900999", "ACK %d" % ref)
    ack = reply_to(g, DUTY)
    assert ack["text"] == "OK ACK R%d" % ref
    wait_until(lambda: db.one("SELECT state FROM alerts WHERE id = ?", arow["id"])["state"]
               == "acked", t(10), "the SMS alert acknowledged")
    assert db.one("SELECT acked_by FROM alerts WHERE id = ?", arow["id"])["acked_by"] == "POLDUTY"


def test_reply_limit_per_number(env):
    g, modem, _ = sms_gateway(env, reply_limit=3, reply_window=600)
    register(g, "ALPHA1", "07700 900123")
    for i in range(5):
        modem.deliver("07700 900123", "ENG P4 HB03 spoke to %d shopkeepers" % (i + 1))
    db = g.db()
    wait_until(lambda: db.scalar("SELECT count(*) FROM messages") == 5, t(10), "5 messages")
    rows = sms_out(g)
    assert len(rows) == 5
    assert [r["state"] == "dropped" for r in rows].count(True) == 2
    assert all(r["last_error"] == "reply limit" for r in rows if r["state"] == "dropped")
    # Every message was still journaled and made its report.
    assert db.scalar("SELECT count(*) FROM reports") == 5
    wait_sent(g, OP, 3)
    # A restart does not reset the count (it is counted in the store).
    g.stop()
    g.start()
    modem.deliver("07700 900123", "ENG P4 HB03 spoke to 9 shopkeepers")
    wait_until(lambda: db.scalar("SELECT count(*) FROM messages") == 6, t(10), "6 messages")
    assert sms_out(g)[-1]["state"] == "dropped"


def test_send_rate_per_modem(env):
    g, modem, _ = sms_gateway(env, send_per_minute=3)
    numbers = ["07700 90010%d" % i for i in range(5)]
    for i, n in enumerate(numbers):
        register(g, "OP%d" % i, n)
    off = g.log_size()
    for n in numbers:
        modem.deliver(n, "ENG P4 HB03 spoke to a shopkeeper")
    db = g.db()
    wait_until(lambda: db.scalar("SELECT count(*) FROM sms_out") == 5, t(10), "5 replies queued")
    g.wait_log(r"send rate limit reached \(3 a minute\): 2 SMS wait", offset=off)
    sent = wait_until(lambda: db.q("SELECT sent_at FROM sms_out WHERE state = 'sent'"
                                   " ORDER BY sent_at") if len(sms_out(g, "state = 'sent'")) >= 3
                      else None, t(10), "3 sent")
    assert len(sent) == 3
    assert db.scalar("SELECT count(*) FROM sms_out WHERE state = 'pending'") == 2
    # Over any 60 s window, at most 3 sent.
    assert sent[-1]["sent_at"] - sent[0]["sent_at"] < 60000


def test_unplugged_modem_keeps_the_queue_and_comes_back(env):
    g, modem, b = sms_gateway(env, partners_extra="[partner.police]\nsms = 07700900999\n")
    c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
    db = g.db()
    wait_until(lambda: db.scalar("SELECT value FROM gateway_status WHERE key = 'sms_modem'")
               == "connected", t(10), "the modem connected")
    off = g.log_size()
    aside = modem.unplug()
    g.wait_log(r"modem lost", offset=off)
    wait_until(lambda: db.scalar("SELECT value FROM gateway_status WHERE key = 'sms_modem'")
               == "down", t(10), "sms_modem down")
    # A P1 by radio while the modem is away: the duty-phone SMS waits in the queue.
    c.publish(in_topic("shopwatch", "radio9"), "RTC P1 HB03 car on its roof", qos=1)
    m = c.inbox.take_topic("%s/out/shopwatch/radio9" % gwtest.PREFIX, t(10))
    assert m.text.startswith("OK R")
    wait_until(lambda: len(sms_out(g, "kind = 'alert'")) == 1, t(10), "the alert queued")
    assert sms_out(g, "kind = 'alert'")[0]["state"] == "pending"
    modem.replug(aside)
    row = wait_sent(g, DUTY, kind="alert", timeout=t(20))[0]
    assert row["text"].startswith("P1 RTC HB03 R")
    g.wait_log(r"modem connected", offset=off)
    assert g.alive()
    # And it reads again.
    register(g, "ALPHA1", "07700 900123")
    modem.deliver("07700 900123", "ENG P4 HB03 back on air")
    reply_to(g, OP)


def test_send_given_up_after_the_configured_time(env):
    g, modem, b = sms_gateway(env, give_up_after=2,
                              partners_extra="[partner.police]\nsms = 07700900999\n")
    c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
    db = g.db()
    wait_until(lambda: db.scalar("SELECT value FROM gateway_status WHERE key = 'sms_modem'")
               == "connected", t(10), "the modem connected")
    off = g.log_size()
    modem.unplug()
    g.wait_log(r"modem lost", offset=off)
    c.publish(in_topic("shopwatch", "radio9"), "FIRE P1 HB03 bin fire spreading", qos=1)
    c.inbox.take_topic("%s/out/shopwatch/radio9" % gwtest.PREFIX, t(10))
    wait_until(lambda: [r["state"] for r in sms_out(g)] == ["failed"], t(20),
               "the alert SMS marked failed")
    assert "given up" in sms_out(g)[0]["last_error"]
    g.wait_log(r"gave up on 1 SMS not sent within 2 s", offset=off)
    assert db.one("SELECT state FROM alerts WHERE channel = 'sms'")["state"] == "failed"


def test_delivery_report_is_recorded(env):
    g, modem, _ = sms_gateway(env)
    register(g, "ALPHA1", "07700 900123")
    modem.deliver("07700 900123", "ENG P4 HB03 spoke to a shopkeeper")
    row = reply_to(g, OP)
    assert row["msg_ref"] is not None
    modem.deliver("+447700900123", "", pdu="Status_Report",
                  extra="MessageReference = %d" % row["msg_ref"])
    db = g.db()
    wait_until(lambda: db.one("SELECT delivery FROM sms_out WHERE id = ?", row["id"])["delivery"],
               t(10), "the delivery recorded")
    modem.wait_empty()


def test_no_sms_section_no_modem_thread(env):
    b = env.broker()
    g = env.gateway(b)
    assert "sms" not in g.log_since(0).lower().replace("sms_", "")
    assert g.db().q("SELECT * FROM gateway_status WHERE key LIKE 'sms_%'") == []


def test_patrolctl_sms_lists_failed_dropped_and_pending_with_masked_numbers(env):
    g, modem, b = sms_gateway(env, reply_limit=1, give_up_after=3,
                              partners_extra="[partner.police]\nsms = 07700900999\n")
    c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
    register(g, "ALPHA1", "07700 900123")
    # One reply sent, the next one over the reply limit: dropped.
    modem.deliver("07700 900123", "ENG P4 HB03 spoke to a shopkeeper")
    modem.deliver("07700 900123", "ENG P4 HB04 spoke to two shopkeepers")
    wait_until(lambda: len(sms_out(g)) == 2 and sms_out(g)[0]["state"] == "sent", t(10),
               "one reply sent, one dropped")
    # The modem goes away; a P1 by radio queues a duty-phone alert that waits, then fails.
    off = g.log_size()
    modem.unplug()
    g.wait_log(r"modem lost", offset=off)
    c.publish(in_topic("shopwatch", "radio9"), "RTC P1 HB03 car on its roof", qos=1)
    c.inbox.take_topic("%s/out/shopwatch/radio9" % gwtest.PREFIX, t(10))
    wait_until(lambda: len(sms_out(g, "kind = 'alert'")) == 1, t(10), "the alert queued")
    pending = json.loads(g.ctl("sms", "--pending", "--json").stdout)
    assert [(r["kind"], r["partner"], r["state"]) for r in pending] == [("alert", "police", "pending")]
    assert pending[0]["to"] == "+44770*****99" and pending[0]["to_masked"] is True
    assert "text" not in pending[0] and pending[0]["next_attempt_at"]
    wait_until(lambda: sms_out(g, "kind = 'alert'")[0]["state"] == "failed", t(20),
               "the alert SMS given up")
    rows = sms_out(g)
    failed = json.loads(g.ctl("sms", "--failed", "--json").stdout)
    assert [r["id"] for r in failed] == [rows[1]["id"], rows[2]["id"]]
    assert [(r["kind"], r["state"], r["last_error"]) for r in failed] == [
        ("reply", "dropped", "reply limit"), ("alert", "failed", rows[2]["last_error"])]
    assert "given up" in failed[1]["last_error"]
    assert failed[1]["ref"] == "R%d" % rows[2]["ref"] and failed[0]["to"] == "+44770*****23"
    assert json.loads(g.ctl("sms", "--pending", "--json").stdout) == []
    # Default: everything not sent; --all: the sent reply too.
    assert [r["id"] for r in json.loads(g.ctl("sms", "--json").stdout)] == [r["id"] for r in failed]
    assert len(json.loads(g.ctl("sms", "--all", "--json").stdout)) == 3
    assert len(json.loads(g.ctl("sms", "--all", "--limit", "1", "--json").stdout)) == 1
    assert json.loads(g.ctl("sms", "--all", "--since", "2999-01-01", "--json").stdout) == []
    # The table: masked numbers, no texts, no full number anywhere.
    out = g.ctl("sms").stdout
    assert "LAST ERROR" in out and "alert/police" in out and "reply limit" in out
    assert "+44770*****23" in out and "+447700900123" not in out and "07700" not in out
    assert "shopkeepers" not in out and "car on its roof" not in out
    assert g.ctl("sms", "--pending").stdout.strip() == "no SMS pending"
    # Nothing was audited so far; --reveal shows numbers and texts and is audited first.
    db = g.db()
    assert db.scalar("SELECT count(*) FROM audit WHERE action = 'sms reveal'") == 0
    out = g.ctl("sms", "--failed", "--reveal", "--actor", "dpo-check").stdout
    assert "+447700900123" in out and "+447700900999" in out
    assert "text: ENG P4 HB04 spoke to two shopkeepers" not in out  # replies, not messages
    assert "text: OK R" in out and "text: P1 RTC HB03 R" in out
    audit = db.one("SELECT * FROM audit WHERE action = 'sms reveal'")
    assert audit["actor"] == "dpo-check" and "--failed" in audit["detail"]
    assert "+44" not in audit["detail"]
    revealed = json.loads(g.ctl("sms", "--all", "--json", "--reveal").stdout)
    assert revealed[0]["to"] == OP and revealed[0]["to_masked"] is False and revealed[0]["text"]
    assert db.scalar("SELECT count(*) FROM audit WHERE action = 'sms reveal'") == 2
    assert g.ctl("audit", "--verify").returncode == 0
    # Usage errors.
    for args in (["--failed", "--pending"], ["--limit", "0"], ["--actor", "x"], ["--bogus"],
                 ["--since", "yesterday"]):
        cp = g.ctl("sms", *args, check=False)
        assert cp.returncode == 2, (args, cp.stderr)
    assert g.ctl("sms", "--help").stdout.startswith("usage: patrolctl sms")


def gammurc_text(sections):
    """A gammurc: {section name: modem folder} for the dummy driver."""
    return "".join("[%s]\nmodel = dummy\nconnection = none\ndevice = %s\n\n" % (name, d)
                   for name, d in sections.items())


def sms_config_gateway(env, sms_keys, name="gw"):
    """A gateway whose [sms] section is exactly sms_keys (no dummy-folder defaults)."""
    b = env.broker()
    extra = "[sms]\n" + "".join("%s = %s\n" % kv for kv in sms_keys.items()) + "\n"
    return env.gateway(b, start=False, name=name, log_level="debug", extra=extra)


def test_gammurc_file_and_section_choose_the_modem(env):
    modem = Modem(env.tmp / "rc-modem")
    elsewhere = env.tmp / "rc-other"
    elsewhere.mkdir()
    rc = env.tmp / "gammurc"
    # [gammu] (section 0) is another phone; [gammu1] is the modem the SMS arrive on.
    rc.write_text(gammurc_text({"gammu": elsewhere, "gammu1": modem.dir}))
    g = sms_config_gateway(env, {"gammurc": rc, "gammurc_section": 1, "poll_ms": 50})
    g.start()
    register(g, "ALPHA1", "07700 900123")
    modem.deliver("07700 900123", "ASB P3 HB03 youths by the shelter")
    row = reply_to(g, OP)
    assert OK_REPORT.match(row["text"]), row["text"]
    modem.wait_empty()
    # The other section's phone was never used: the driver made no folders there.
    assert not (elsewhere / "sms").exists()
    g.stop()
    # Section 0 now: SMS on the first modem are no longer read; the other phone is.
    g.write_config(g.conf.read_text().replace("gammurc_section = 1", "gammurc_section = 0"))
    g.start()
    g.wait_log(r"modem connected")
    wait_until(lambda: (elsewhere / "sms" / "1").is_dir(), t(10), "the section-0 phone used")
    modem.deliver("07700 900123", "ASB P3 HB04 youths again")
    other = Modem(elsewhere)
    other.deliver("07700 900123", "ENG P4 HB05 spoke to a shopkeeper")
    row = reply_to(g, OP, 2)
    assert OK_REPORT.match(row["text"]).group(2) == "ENG"
    other.wait_empty()
    assert len(modem.inbox_files()) == 1, "an SMS was read from the section-1 modem"


def test_missing_gammurc_is_a_start_up_error(env):
    g = sms_config_gateway(env, {"gammurc": env.tmp / "no-such-gammurc"})
    g.start(wait=False)
    assert g.proc.wait(timeout=t(15)) != 0
    g.exit_expected = True
    assert re.search(r"\[sms\] gammurc: cannot read .*no-such-gammurc", g.log_since(0))


def test_pin_file_is_read_and_never_logged(env):
    modem = Modem(env.tmp / "pin-modem")
    pin = env.tmp / "sim.pin"
    pin.write_text("7931\n")
    os.chmod(pin, 0o600)
    g = sms_config_gateway(env, {"model": "dummy", "connection": "none",
                                 "device": modem.dir, "pin_file": pin, "poll_ms": 50})
    g.start()
    register(g, "ALPHA1", "07700 900123")
    modem.deliver("07700 900123", "ENG P4 HB03 spoke to a shopkeeper")
    reply_to(g, OP)
    # The dummy driver's SIM asks for no PIN (so none is entered); the file was
    # read at start (the tests below show an unreadable one stops the start), and
    # its content appears nowhere, not even at debug level.
    log = g.log_since(0)
    assert "modem: connected" in log and "SIM present" in log
    assert not re.search(r"(?<![\d.])7931(?!\d)", log), "the PIN is in the log"
    g.stop()
    for what, make in (("missing", lambda p: None),
                       ("empty", lambda p: p.write_text("")),
                       ("a folder", lambda p: p.mkdir())):
        bad = env.tmp / ("pin-" + what.replace(" ", "-"))
        make(bad)
        g.write_config(re.sub(r"pin_file = .*", "pin_file = %s" % bad, g.conf.read_text()))
        off = g.log_size()
        g.start(wait=False)
        assert g.proc.wait(timeout=t(15)) != 0, what
        g.exit_expected = True
        text = g.log_since(off)
        assert "[sms] pin_file: cannot read a PIN from %s" % bad in text, (what, text)
        assert "subscribed to" not in text, what


def test_timed_out_parts_of_many_messages_in_one_scan_do_not_abort(env):
    """An unregistered number sends 8 concatenated messages of 16 parts, 15
    parts of each, each part twice (240 SMS), never completing them. They time
    out in the same scan: more modem deletions than one turn queues. The
    gateway must neither abort (it did, and again at every restart since the
    parts stay committed) nor lose any: the rest is carried to the next turns."""
    g, modem, _ = sms_gateway(env, start=False, multipart_timeout=3, reply_limit=50)
    for ref in range(8):
        for part in range(1, 16):
            for copy in range(2):  # two different texts: both rows kept
                modem.deliver("07700 900555", "flood %d part %d copy %d " % (ref, part, copy),
                              udh=(0x40 + ref, 16, part))
    g.start()
    db = g.db()
    wait_until(lambda: db.scalar("SELECT count(*) FROM messages WHERE channel = 'sms'") == 8,
               t(30), "the 8 messages journaled")
    modem.wait_empty(t(30))
    assert g.alive(), gwtest.tail(g.log_path)
    assert db.scalar("SELECT count(*) FROM sms_parts WHERE state = 'waiting'") == 0
    assert db.scalar("SELECT count(*) FROM sms_parts") == 240
    # Read again after a restart: nothing is waiting, nothing is made twice.
    g.stop()
    g.start()
    time.sleep(1)
    assert g.alive(), gwtest.tail(g.log_path)
    assert db.scalar("SELECT count(*) FROM messages WHERE channel = 'sms'") == 8


def test_reply_goes_ahead_of_a_storm_of_duty_phone_alerts(env):
    """20 P1s from an anonymous radio unit queue 20 duty-phone SMS (the SMS cap
    off), more than the modem's rate (10 a minute) sends in a minute. An
    operative's report that comes after them must be answered within seconds,
    not after the storm (it was: the queue sent in order, so the reply waited
    for the rate window to pass, and behind every alert queued before it)."""
    g, modem, b = sms_gateway(env, send_per_minute=10, partners_extra=(
        "[partner.police]\nsms = 07700900999\nsms_alert_limit = 0\n"))
    register(g, "ALPHA1", "07700 900123")
    c = env.client(b)
    for i in range(20):
        c.publish(in_topic("shopwatch", "anon%d" % i), "RTC P1 HB03 car %d on its roof" % i)
    db = g.db()
    wait_until(lambda: db.scalar("SELECT count(*) FROM sms_out WHERE kind = 'alert'") == 20,
               t(20), "20 duty-phone SMS queued")
    # The modem is at its rate: alerts wait.
    wait_until(lambda: db.scalar("SELECT count(*) FROM sms_out WHERE kind = 'alert'"
                                 " AND state = 'sent'") >= 8, t(20), "alerts sent up to the rate")
    modem.deliver("07700 900123", "ENG P4 HB03 spoke to a shopkeeper")
    row = reply_to(g, OP)
    assert OK_REPORT.match(row["text"])
    # Answered within seconds of its message, not after the minute's window ...
    assert row["sent_at"] - row["created_at"] < t(20) * 1000
    # ... and ahead of the alerts still queued.
    assert db.scalar("SELECT count(*) FROM sms_out WHERE kind = 'alert' AND state = 'pending'") >= 10
    assert g.alive()


def test_duty_phone_cap_sends_a_digest_instead_of_a_storm(env):
    """12 P1s in a few seconds to a partner whose duty phone takes 3 alert SMS a
    10 s window: 3 SMS, then one digest SMS at the end of the window saying
    how many more and which; every alert is still stored, on the partner's
    other channel at once, and can be acknowledged from the duty phone."""
    g, modem, b = sms_gateway(env, partners_extra=(
        "[partner.police]\nsms = 07700900999\nsms_alert_limit = 3\nsms_alert_window = 10s\n"))
    register(g, "POLDUTY", "07700 900999", role="partner", partner="police")
    c = env.client(b, ["%s/alerts/police" % gwtest.PREFIX])
    db = g.db()
    # Start just after a window begins, so the 12 fall into one window.
    time.sleep(10 - (time.time() % 10) + 0.2)
    for i in range(12):
        c.publish(in_topic("shopwatch", "anon%d" % i), "FIRE P1 HB03 bin fire %d" % i)
    wait_until(lambda: db.scalar("SELECT count(*) FROM chases WHERE partner = 'police'") == 12,
               t(10), "12 alerts for police")
    # MQTT gets every one at once.
    for _ in range(12):
        c.inbox.take_topic("%s/alerts/police" % gwtest.PREFIX, t(10))
    assert db.scalar("SELECT count(*) FROM alerts WHERE channel = 'sms' AND state = 'held'") == 9
    # An ACK from the duty phone of one held alert takes it out of the digest.
    held = db.q("SELECT ref FROM alerts WHERE channel = 'sms' AND state = 'held' ORDER BY id")
    modem.deliver("07700 900999", "ACK %d" % held[0]["ref"])
    reply_to(g, DUTY)
    rows = wait_sent(g, DUTY, 4, kind="alert", timeout=t(20))
    digest = rows[3]["text"]
    assert digest.startswith("DIGEST police 8 alerts: R%d P1 FIRE HB03; " % held[1]["ref"])
    assert digest.endswith(" more, see dashboard") and len(digest) <= 160
    assert db.scalar("SELECT count(*) FROM alerts WHERE state = 'digested' AND parent ="
                     " (SELECT id FROM alerts WHERE kind = 'digest')") == 8
    assert db.scalar("SELECT count(*) FROM sms_out WHERE kind = 'alert'") == 4
    assert g.alive()
