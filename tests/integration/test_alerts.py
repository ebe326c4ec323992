"""Partner inboxes end to end (issue 4): the real patrolgw and mosquitto, a real
SMTP server and a real HTTP receiver on loopback (inboxes.py), libgammu's dummy
modem for duty phones. E-mail and webhook deliveries, retries with the same
id, dead-letters, fallback to SMS, kill -9 with deliveries failing, ACK over
MQTT and its rules, the reporter told once."""

import json
import os
import re
import subprocess
import time

import pytest

import gwtest
import inboxes
import smstest
from gwtest import t, wait_until

SECRET = "w3bh00k-s3cret"
NET = "shopwatch"


def report(c, unit, text):
    """Publishes a report from a shopwatch unit; returns its ref number."""
    c.publish(gwtest.in_topic(NET, unit), text, qos=1)
    m = c.inbox.take_topic(gwtest.out_topic(NET, unit), t(10))
    ok = gwtest.OK_REPORT.match(m.text)
    assert ok, m.text
    return int(ok.group(1))


def conf(tmp, partners, extra=""):
    secret = tmp / "hook.secret"
    secret.write_text(SECRET + "\n")
    return ("[alerts]\nretry = 1s\nretry_max = 2s\n\n" + partners.replace("@SECRET@", str(secret))
            + extra)


def rows(g, where, *args):
    return g.db().q("SELECT * FROM alerts WHERE %s ORDER BY id" % where, *args)


@pytest.fixture
def env(tmp_path):
    e = gwtest.Env(tmp_path)
    try:
        yield e
    finally:
        e.close()


def test_email_alert_has_subject_body_and_message_id(env):
    with inboxes.SmtpInbox() as smtp:
        extra = conf(env.tmp, "[smtp]\nurl = %s\nfrom = patrolgw@hernebay.example\ntls = none\n\n"
                     "[partner.police]\nmin_priority = P2\nmqtt = no\n"
                     "email = control@police.example duty@police.example\n" % smtp.url)
        b = env.broker()
        g = env.gateway(b, partners={}, extra=extra)
        c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
        ref = report(c, "em1", "RTC P1 HB03 car v cyclist, amb called")
        m = smtp.wait_for(1, t(15))[0]
        assert m["Subject"] == "[P1] RTC HB03 R%d" % ref
        assert m["Message-ID"].strip("<>").startswith("R%d-police" % ref)
        assert sorted(m.rcpt_tos) == ["control@police.example", "duty@police.example"]
        body = m.text()
        assert "car v cyclist, amb called" in body and "ACK %d" % ref in body
        assert "patrol/ack/police" in body
        assert not re.search(r"\+44\d{6,}", body), "a phone number in the e-mail"
        r = wait_until(lambda: [x for x in rows(g, "ref = ? AND channel = 'email'", ref)
                                if x["state"] == "sent"] or None, t(10), "email row sent")
        assert r[0]["attempts"] == 1


def test_smtp_down_then_up_delivers_once(env):
    smtp = inboxes.SmtpInbox()
    extra = conf(env.tmp, "[smtp]\nurl = %s\nfrom = gw@example.org\ntls = none\ntimeout = 3s\n\n"
                 "[partner.police]\nmin_priority = P2\nmqtt = no\nemail = control@police.example\n"
                 % smtp.url)
    b = env.broker()
    g = env.gateway(b, partners={}, extra=extra)
    c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
    ref = report(c, "em2", "VIO P1 HB02 fight")
    # The server is down: attempts fail and are counted, the row stays pending.
    wait_until(lambda: rows(g, "ref = ? AND channel = 'email' AND attempts >= 2 AND "
                               "state = 'pending' AND last_error IS NOT NULL", ref) or None,
               t(20), "two failed e-mail attempts")
    smtp.start()
    try:
        smtp.wait_for(1, t(20))
        wait_until(lambda: rows(g, "ref = ? AND channel = 'email' AND state = 'sent'", ref) or None,
                   t(10), "email row sent")
        ids = [m["Message-ID"] for m in smtp.messages]
        assert len(ids) == 1, ids
    finally:
        smtp.stop()


def test_smtp_permanent_reject_is_dead_lettered(env):
    with inboxes.SmtpInbox(mode="reject") as smtp:
        extra = conf(env.tmp, "[smtp]\nurl = %s\nfrom = gw@example.org\ntls = none\n\n"
                     "[partner.police]\nmin_priority = P2\nmqtt = no\nemail = nobody@police.example\n"
                     % smtp.url)
        b = env.broker()
        g = env.gateway(b, partners={}, extra=extra)
        c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
        ref = report(c, "em3", "MED P1 HB03 man collapsed")
        r = wait_until(lambda: rows(g, "ref = ? AND channel = 'email' AND state = 'failed'", ref)
                       or None, t(15), "email dead-lettered")
        assert r[0]["attempts"] == 1 and r[0]["dead_at"] is not None
        assert g.db().scalar("SELECT count(*) FROM report_events WHERE ref = ? AND kind = 'failed'",
                             ref) == 1
        assert smtp.refused and smtp.messages == []


def test_webhook_signed_retried_with_same_key(env):
    with inboxes.HttpInbox(secret=SECRET) as hook:
        hook.answer(500, 503)
        extra = conf(env.tmp, "[partner.council]\nmin_priority = P4\ncodes = DMG ENV\nmqtt = no\n"
                     "webhook = %s\nwebhook_secret_file = @SECRET@\n" % hook.url)
        b = env.broker()
        g = env.gateway(b, partners={}, extra=extra)
        c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
        ref = report(c, "wh1", "DMG P3 HB12 bus shelter smashed")
        reqs = hook.wait_for(3, t(20))
        assert all(r.signature_ok for r in reqs), reqs
        keys = {r.headers["Idempotency-Key"] for r in reqs}
        assert keys == {"R%d-council" % ref}
        assert reqs[0].json()["ref"] == "R%d" % ref and reqs[0].json()["kind"] == "alert"
        r = wait_until(lambda: rows(g, "ref = ? AND channel = 'webhook' AND state = 'sent'", ref)
                       or None, t(10), "webhook row sent")
        assert r[0]["attempts"] == 3


def test_webhook_timeout_is_retried(env):
    with inboxes.HttpInbox(secret=SECRET, hang_s=10) as hook:
        hook.answer("hang")
        extra = conf(env.tmp, "[partner.council]\nmin_priority = P4\ncodes = DMG ENV\nmqtt = no\n"
                     "webhook = %s\nwebhook_secret_file = @SECRET@\nwebhook_timeout = 1s\n" % hook.url)
        b = env.broker()
        g = env.gateway(b, partners={}, extra=extra)
        c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
        ref = report(c, "wh2", "ENV P4 HB12 fly tipping")
        reqs = hook.wait_for(2, t(20))
        assert reqs[0].headers["Idempotency-Key"] == reqs[1].headers["Idempotency-Key"]
        wait_until(lambda: rows(g, "ref = ? AND channel = 'webhook' AND state = 'sent'", ref)
                   or None, t(10), "webhook row sent")
        # While the partner hung, reports kept being answered (ingest never waits).


def test_hanging_webhook_does_not_hold_up_other_partners(env):
    # parallel = 4 for three destinations (two webhooks, the SMTP server): each
    # has one slot. Before the slots were shared by destination, the hanging
    # partner's transfers took every slot until their 60 s timeout.
    with inboxes.HttpInbox(secret=SECRET, default="hang", hang_s=70) as dead, \
            inboxes.HttpInbox(secret=SECRET) as hook, inboxes.SmtpInbox() as smtp:
        partners = ""
        for name, url in (("fire", dead.url), ("cctv", hook.url)):
            partners += ("[partner.%s]\nmin_priority = P2\nmqtt = no\nwebhook = %s\n"
                         "webhook_secret_file = @SECRET@\nwebhook_timeout = 60s\n\n" % (name, url))
        partners += "[partner.council]\nmin_priority = P2\nmqtt = no\nemail = duty@council.example\n\n"
        extra = conf(env.tmp, partners, "[smtp]\nurl = %s\nfrom = gw@example.org\ntls = none\n"
                     % smtp.url).replace("retry_max = 2s\n", "retry_max = 2s\nparallel = 4\n", 1)
        b = env.broker()
        g = env.gateway(b, partners={}, extra=extra)
        c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
        refs = [report(c, "hang%d" % i, "RTC P1 HB03 car v cyclist %d" % i) for i in range(6)]
        got = hook.wait_for(6, t(30))
        assert {r.json()["ref"] for r in got} == {"R%d" % r for r in refs}
        mails = smtp.wait_for(6, t(30))
        assert {m["X-Patrol-Ref"] for m in mails} == {"R%d" % r for r in refs}
        # The hanging partner holds its one slot: one request at a time.
        assert len(dead.requests) == 1, dead.requests
        assert len(rows(g, "partner = 'fire' AND state = 'pending'")) == 6


def test_webhook_400_dead_letters_and_falls_back_to_sms(env):
    with inboxes.HttpInbox(secret=SECRET) as hook:
        hook.answer(400)
        modem = smstest.Modem(env.tmp / "modem")
        extra = conf(env.tmp, "[partner.council]\nmin_priority = P4\ncodes = DMG ENV\nmqtt = no\n"
                     "webhook = %s\nwebhook_secret_file = @SECRET@\nsms = 07700900777\n"
                     "fallback = sms\n" % hook.url, smstest.sms_section(modem.dir))
        b = env.broker()
        g = env.gateway(b, partners={}, extra=extra)
        c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
        ref = report(c, "wh3", "DMG P3 HB12 phone box smashed")
        hook.wait_for(1, t(15))
        wait_until(lambda: rows(g, "ref = ? AND channel = 'webhook' AND state = 'failed'", ref)
                   or None, t(10), "webhook dead-lettered")
        sent = smstest.wait_sent(g, "+447700900777", 1, t(20), kind="alert")
        assert "R%d" % ref in sent[0]["text"] or str(ref) in sent[0]["text"]
        assert len(hook.requests) == 1, "a 400 is not retried"
        kinds = [e["kind"] for e in g.db().q("SELECT kind FROM report_events WHERE ref = ? "
                                             "ORDER BY id", ref)]
        assert "failed" in kinds and "fallback" in kinds


def test_sms_given_up_dead_letters_and_falls_back_to_webhook(env):
    """The duty phone cannot be reached (modem gone): after [sms] give_up_after
    the SMS alert is dead-lettered like any other delivery (state failed,
    dead_at, timeline event failed) and fallback = webhook takes over."""
    with inboxes.HttpInbox(secret=SECRET) as hook:
        modem = smstest.Modem(env.tmp / "modem")
        extra = conf(env.tmp, "[partner.council]\nmin_priority = P4\ncodes = DMG ENV\nmqtt = no\n"
                     "sms = 07700900777\nwebhook = %s\nwebhook_secret_file = @SECRET@\n"
                     "fallback = webhook\n" % hook.url,
                     smstest.sms_section(modem.dir, give_up_after=2))
        b = env.broker()
        g = env.gateway(b, partners={}, extra=extra)
        c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
        db = g.db()
        wait_until(lambda: db.scalar("SELECT value FROM gateway_status WHERE key = 'sms_modem'")
                   == "connected", t(10), "the modem connected")
        off = g.log_size()
        modem.unplug()
        g.wait_log(r"modem lost", offset=off)
        ref = report(c, "gu1", "DMG P3 HB12 phone box smashed")
        wait_until(lambda: rows(g, "ref = ? AND channel = 'sms' AND state = 'failed'", ref)
                   or None, t(20), "the SMS alert given up")
        row = rows(g, "ref = ? AND channel = 'sms'", ref)[0]
        assert row["dead_at"], row
        req = hook.wait_for(1, t(20))[0]
        assert req.json()["ref"] in ("R%d" % ref, ref), req.json()
        fb = rows(g, "ref = ? AND channel = 'webhook'", ref)
        assert [r["kind"] for r in fb] == ["fallback"], fb
        kinds = [e["kind"] for e in db.q("SELECT kind FROM report_events WHERE ref = ? "
                                         "ORDER BY id", ref)]
        assert "failed" in kinds and "fallback" in kinds, kinds


def test_kill9_with_failing_deliveries_loses_nothing(env):
    with inboxes.HttpInbox(secret=SECRET, default=500) as hook:
        extra = conf(env.tmp, "[partner.council]\nmin_priority = P4\ncodes = DMG ENV\nmqtt = no\n"
                     "webhook = %s\nwebhook_secret_file = @SECRET@\ndead_after = 1h\n" % hook.url)
        b = env.broker()
        g = env.gateway(b, partners={}, extra=extra)
        c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
        refs = [report(c, "k9", "DMG P4 HB12 graffiti number %d" % i) for i in range(8)]
        hook.wait_for(8, t(20))
        g.kill()
        hook.default = 200
        g.start()
        wait_until(lambda: g.db().scalar("SELECT count(*) FROM alerts WHERE channel = 'webhook' "
                                         "AND state = 'sent'") == len(refs) or None,
                   t(30), "every webhook delivered after the restart")
        ok = {}
        with hook._lock:
            got = list(hook.requests)
        for r in got:
            if r.answered == 200:
                ok[r.headers["Idempotency-Key"]] = ok.get(r.headers["Idempotency-Key"], 0) + 1
        assert sorted(ok) == sorted("R%d-council" % r for r in refs)
        assert set(ok.values()) == {1}, ok


def test_ack_over_mqtt_and_its_rules(env):
    b = env.broker()
    extra = ("[partner.police]\nmin_priority = P2\n\n"
             "[partner.council]\nmin_priority = P4\ncodes = DMG ENV\n")
    g = env.gateway(b, partners={}, extra=extra)
    c = env.client(b, ["%s/out/#" % gwtest.PREFIX, "%s/ack/+/result" % gwtest.PREFIX])
    g.ctl("people", "add", "--callsign", "PC1", "--name", "PC One", "--role", "partner",
          "--partner", "police")
    g.ctl("people", "add", "--callsign", "CC1", "--name", "CC One", "--role", "partner",
          "--partner", "council")
    ref = report(c, "ak1", "RTC P1 HB03 car on its roof")
    ack_topic = "%s/ack/police" % gwtest.PREFIX
    res_topic = ack_topic + "/result"

    def ack(topic, payload):
        c.publish(topic, json.dumps(payload), qos=1)
        return c.inbox.take_topic(topic + "/result", t(10)).json()

    # Not a police contact, unknown callsign, bad JSON: rejected and journaled.
    assert ack(ack_topic, {"ref": "R%d" % ref, "by": "CC1"})["outcome"] == "rejected"
    assert ack(ack_topic, {"ref": "R%d" % ref, "by": "NOBODY"})["outcome"] == "rejected"
    c.publish(ack_topic, b"not json", qos=1)
    assert c.inbox.take_topic(res_topic, t(10)).json()["outcome"] == "rejected"
    # council was not alerted for an RTC: its contact cannot ACK it.
    r = ack("%s/ack/council" % gwtest.PREFIX, {"ref": "R%d" % ref, "by": "CC1"})
    assert r["outcome"] == "rejected" and "not alerted" in r["result"], r
    # The police contact: accepted; the reporter told once on its unit.
    r = ack(ack_topic, {"ref": "R%d" % ref, "by": "PC1"})
    assert r == {"ref": "R%d" % ref, "outcome": "accepted", "result": "OK ACK R%d" % ref}, r
    n = c.inbox.take_topic(gwtest.out_topic(NET, "ak1"), t(10)).text
    assert re.match(r"^R%d ACK by police \d\d:\d\d$" % ref, n), n
    assert ack(ack_topic, {"ref": ref, "by": "PC1"})["outcome"] == "accepted"
    db = g.db()
    assert db.scalar("SELECT count(*) FROM alerts WHERE kind = 'notice'") == 1
    assert db.scalar("SELECT count(*) FROM messages WHERE channel = 'ack' AND outcome = 'rejected'") == 4
    assert db.scalar("SELECT acked_by FROM chases WHERE ref = ? AND partner = 'police'", ref) == "PC1"
    assert db.scalar("SELECT count(*) FROM audit WHERE action = 'ack'") >= 3


def test_mqtt_ack_needs_the_partners_broker_account(env):
    """Hardening 16: a callsign is not a secret. With the shipped ACL
    (docs/examples/mosquitto.acl) and broker accounts, only the police's own
    account can publish on patrol/ack/police: a bridge (or anyone else) that
    knows a police callsign cannot acknowledge for the police."""
    acl = gwtest.SOURCE / "docs" / "examples" / "mosquitto.acl"
    assert acl.is_file(), "no shipped mosquitto ACL at %s" % acl
    b = gwtest.Broker(env.tmp / "aclbroker")
    passwd = b.dir / "passwd"
    accounts = {"patrolgw": "gw-pass", "bridge-hbbcrp": "bridge-pass", "police": "police-pass",
                "council": "council-pass"}
    first = True
    for user, pw in accounts.items():
        subprocess.run(["mosquitto_passwd"] + (["-c"] if first else []) + ["-b", str(passwd), user, pw],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        first = False
    os.chmod(passwd, 0o600)
    b.conf.write_text(re.sub(r"(?m)^allow_anonymous true$",
                             "allow_anonymous false\npassword_file %s\nacl_file %s" % (passwd, acl),
                             b.conf.read_text()))
    env.brokers.append(b)
    b.start()

    gw_pass = env.tmp / "mqtt.pass"
    gw_pass.write_text("gw-pass\n")
    text = gwtest.gw_config(b.port, partners={}, networks={"hbbcrp": True},
                            extra="[partner.police]\nmin_priority = P2\n")
    text = text.replace("[mqtt]\n", "[mqtt]\nusername = patrolgw\npassword_file = %s\n" % gw_pass, 1)
    g = gwtest.Gateway(env.tmp / "gw", text)
    env.gateways.append(g)
    g.start()
    g.ctl("people", "add", "--callsign", "BRAVO1", "--name", "B One", "--role", "operative",
          "--unit", "hbbcrp/radio7")
    g.ctl("people", "add", "--callsign", "PC1", "--name", "PC One", "--role", "partner",
          "--partner", "police")
    pre = gwtest.PREFIX
    bridge = env.client(b, ["%s/out/hbbcrp/+" % pre, "%s/alerts/#" % pre, "%s/ack/#" % pre],
                        username="bridge-hbbcrp", password="bridge-pass")
    police = env.client(b, ["%s/alerts/police" % pre, "%s/ack/police/result" % pre],
                        username="police", password="police-pass")

    bridge.publish("%s/in/hbbcrp/radio7" % pre, "RTC P1 HB03 car on its roof", qos=1)
    ok = gwtest.OK_REPORT.match(bridge.inbox.take_topic(gwtest.out_topic("hbbcrp", "radio7"),
                                                        t(10)).text)
    assert ok
    ref = int(ok.group(1))
    police.inbox.take(lambda m: m.topic == "%s/alerts/police" % pre, t(10), "the police alert")

    # The bridge knows PC1's callsign: its ACK on the police topic never reaches the gateway.
    bridge.publish("%s/ack/police" % pre, json.dumps({"ref": "R%d" % ref, "by": "PC1"}), qos=1,
                   wait=True)
    # A marker from the police account, answered: anything before it was handled.
    police.publish("%s/ack/police" % pre, json.dumps({"ref": "R%d" % ref, "by": "NOBODY"}), qos=1)
    r = police.inbox.take_topic("%s/ack/police/result" % pre, t(10)).json()
    assert r["outcome"] == "rejected", r
    db = g.db()
    assert db.scalar("SELECT count(*) FROM messages WHERE channel = 'ack'") == 1
    assert db.scalar("SELECT acked_at FROM chases WHERE ref = ? AND partner = 'police'", ref) is None
    # The bridge reads neither the police's alerts nor its ACK results.
    assert not [m for m in bridge.inbox.snapshot() if "/alerts/" in m.topic or "/ack/" in m.topic]
    # A bridge cannot speak for another network either.
    bridge.publish("%s/in/shopwatch/till1" % pre, "ASB HB12 not mine", qos=1, wait=True)

    # The police account: accepted.
    police.publish("%s/ack/police" % pre, json.dumps({"ref": "R%d" % ref, "by": "PC1"}), qos=1)
    r = police.inbox.take_topic("%s/ack/police/result" % pre, t(10)).json()
    assert r["outcome"] == "accepted", r
    assert db.scalar("SELECT acked_by FROM chases WHERE ref = ? AND partner = 'police'", ref) == "PC1"
    assert db.scalar("SELECT count(*) FROM messages WHERE network = 'shopwatch'") == 0


def test_ack_by_sms_stops_the_chase_and_tells_the_reporter_once(env):
    # A reporter by SMS, a duty phone that is also the partner contact, and a
    # resend after 2 s that the ACK must stop.
    g, modem, b = smstest.sms_gateway(env, partners_extra=(
        "[partner.police]\nmin_priority = P2\nsms = 07700900999\nresend_after = 2s\n"
        "escalate_after = 0\n"))
    smstest.register(g, "ALPHA1", "07700 900123")
    smstest.register(g, "PC9", "07700 900999", role="partner", partner="police")
    modem.deliver("07700 900123", "RTC P1 HB03 van on its side")
    reply = smstest.wait_sent(g, "+447700900123", 1, kind="reply")[0]["text"]
    ref = int(gwtest.OK_REPORT.match(reply).group(1))
    smstest.wait_sent(g, "+447700900999", 1, kind="alert")
    # An unregistered number's ACK: journaled as rejected, never answered.
    modem.deliver("07700 900555", "ACK %d" % ref)
    wait_until(lambda: g.db().scalar("SELECT count(*) FROM messages WHERE channel = 'sms' AND "
                                     "outcome = 'rejected' AND text = ?", "ACK %d" % ref) == 1 or None,
               t(10), "the stranger's ACK journaled")
    # The duty phone resends come until the partner contact acknowledges.
    smstest.wait_sent(g, "+447700900999", 2, t(15), kind="alert")
    modem.deliver("07700 900999", "ACK %d" % ref)
    ok = smstest.wait_sent(g, "+447700900999", 1, t(10), kind="reply")[0]["text"]
    assert ok == "OK ACK R%d" % ref
    notice = smstest.wait_sent(g, "+447700900123", 2, t(10), kind="reply")[1]["text"]
    assert re.match(r"^R%d ACK by police \d\d:\d\d$" % ref, notice), notice
    db = g.db()
    resends = db.scalar("SELECT resends FROM chases WHERE ref = ? AND partner = 'police'", ref)
    # What is left is the reminder, remind_after (1 h) after the ACK.
    assert db.scalar("SELECT next_at - acked_at FROM chases WHERE ref = ? AND partner = 'police'",
                     ref) == 3600 * 1000
    # Later: no more resends, no second notice.
    modem.deliver("07700 900999", "ACK %d again" % ref)
    smstest.wait_sent(g, "+447700900999", 2, t(10), kind="reply")
    time.sleep(3)  # longer than resend_after: nothing more may come (not a timing assertion)
    db = g.db()
    assert db.scalar("SELECT resends FROM chases WHERE ref = ? AND partner = 'police'", ref) == resends
    assert db.scalar("SELECT count(*) FROM sms_out WHERE to_number = '+447700900123' AND "
                     "kind = 'reply'") == 2
    assert db.scalar("SELECT count(*) FROM messages WHERE channel = 'sms' AND sender = ? AND "
                     "reply IS NOT NULL", "+447700900555") == 0


def test_webhook_failing_past_dead_after_falls_back_to_sms(env):
    with inboxes.HttpInbox(secret=SECRET, default=503) as hook:
        modem = smstest.Modem(env.tmp / "modem")
        extra = conf(env.tmp, "[partner.council]\nmin_priority = P4\ncodes = DMG ENV\nmqtt = no\n"
                     "webhook = %s\nwebhook_secret_file = @SECRET@\nsms = 07700900777\n"
                     "fallback = sms\ndead_after = 3s\n" % hook.url, smstest.sms_section(modem.dir))
        b = env.broker()
        g = env.gateway(b, partners={}, extra=extra)
        c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
        ref = report(c, "wh4", "ENV P4 HB12 burnt out moped")
        # Retried (5xx) until dead_after has passed, then dead-lettered; the duty phone gets it.
        sent = smstest.wait_sent(g, "+447700900777", 1, t(30), kind="alert")
        assert str(ref) in sent[0]["text"]
        dead = rows(g, "ref = ? AND channel = 'webhook' AND state = 'failed'", ref)
        assert len(dead) == 1 and dead[0]["attempts"] >= 2, dead
        assert dead[0]["dead_at"] - dead[0]["created_at"] >= 3000
        keys = {r.headers["Idempotency-Key"] for r in hook.requests}
        assert keys == {"R%d-council" % ref}
