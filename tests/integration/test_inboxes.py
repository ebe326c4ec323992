"""Self-tests of the loopback partner inboxes (inboxes.py) that the e-mail and
webhook tests deliver to: each behaviour the other tests rely on, checked with
Python's own SMTP and HTTP clients."""

import json
import smtplib
import socket
import urllib.error
import urllib.request
from email.message import EmailMessage

import pytest

from inboxes import HttpInbox, SmtpInbox, sign, verify_signature

# test_smtp_login asks for AUTH over plain SMTP on loopback, on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def _mail(subject="[P1] RTC HB03 R1042", body="caf\u00e9 first aid given\n"):
    m = EmailMessage()
    m["From"] = "patrolgw@example.org"
    m["To"] = "duty@police.example, cctv@council.example"
    m["Subject"] = subject
    m["Message-ID"] = "<R1042-police@patrolgw>"
    m.set_content(body, charset="utf-8", cte="quoted-printable")
    return m


def _send(inbox, m, login=None):
    with smtplib.SMTP("127.0.0.1", inbox.port, timeout=10) as s:
        if login:
            s.login(*login)
        s.send_message(m)


def _post(inbox, body, headers=None, timeout=10):
    req = urllib.request.Request(inbox.url, data=body, method="POST",
                                 headers=dict({"Content-Type": "application/json"},
                                              **(headers or {})))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _refused(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# ---------------------------------------------------------------- SMTP

def test_smtp_accepts_and_parses():
    with SmtpInbox() as inbox:
        _send(inbox, _mail())
        [m] = inbox.wait_for(1, timeout=10)
    assert m.rcpt_tos == ["duty@police.example", "cctv@council.example"]
    assert m.mail_from == "patrolgw@example.org"
    assert m["Subject"] == "[P1] RTC HB03 R1042"
    assert m["Message-ID"] == "<R1042-police@patrolgw>"
    assert m.text() == "caf\u00e9 first aid given\n"   # quoted-printable decoded
    assert b"caf=C3=A9" in m.raw


@pytest.mark.parametrize("mode,code", [("reject", 550), ("tempfail", 451)])
def test_smtp_refuses_recipients(mode, code):
    with SmtpInbox(mode=mode) as inbox:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as ei:
            _send(inbox, _mail())
        assert {c for c, _ in ei.value.recipients.values()} == {code}
        assert inbox.messages == []
        assert inbox.refused == [("rcpt", code), ("rcpt", code)]


@pytest.mark.parametrize("mode,code", [("reject_data", 554), ("tempfail_data", 451)])
def test_smtp_refuses_at_data(mode, code):
    with SmtpInbox(mode=mode) as inbox:
        with pytest.raises(smtplib.SMTPDataError) as ei:
            _send(inbox, _mail())
        assert ei.value.smtp_code == code
        assert inbox.messages == [] and inbox.refused == [("data", code)]


def test_smtp_mode_switch_and_restart_on_same_port():
    inbox = SmtpInbox(mode="tempfail").start()
    try:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            _send(inbox, _mail())
        inbox.set_mode("accept")
        _send(inbox, _mail(subject="one"))
        port = inbox.port
        inbox.stop()
        assert _refused(port), "a stopped inbox must refuse connections"
        with pytest.raises(OSError):
            _send(inbox, _mail(subject="lost"))
        inbox.start()
        assert inbox.port == port
        _send(inbox, _mail(subject="two"))
        msgs = inbox.wait_for(2, timeout=10)
        assert [m["Subject"] for m in msgs] == ["one", "two"]
    finally:
        inbox.stop()


def test_smtp_login():
    with SmtpInbox(credentials=("gw", "pw1")) as inbox:
        with pytest.raises(smtplib.SMTPException):
            _send(inbox, _mail())                         # no login: refused
        with pytest.raises(smtplib.SMTPAuthenticationError):
            _send(inbox, _mail(), login=("gw", "wrong"))
        _send(inbox, _mail(), login=("gw", "pw1"))
        assert len(inbox.wait_for(1, timeout=10)) == 1
        assert inbox.logins == ["gw"]


# ---------------------------------------------------------------- HTTP

def test_signature_vector():
    # The vector of tests/unit/test_webhook.c (computed with `openssl dgst
    # -sha256 -hmac`): the receiver's check and the gateway's signer agree.
    vec = "eee557afb051be4372533e40ad2af2f63c281436d4c020863f63d99912fc3096"
    assert sign("whsec_test", "1795430400", b'{"ref":"R1042"}') == vec
    assert sign(b"whsec_test", 1795430400, b'{"ref":"R1042"}') == vec
    h = {"X-Patrol-Timestamp": "1795430400",
         "X-Patrol-Signature": "sha256=" + sign("k", "1795430400", b"{}")}
    assert verify_signature("k", h, b"{}")
    assert not verify_signature("k", h, b"{} ")
    assert not verify_signature("other", h, b"{}")
    assert not verify_signature("k", dict(h, **{"X-Patrol-Timestamp": "1795430401"}), b"{}")
    assert not verify_signature("k", h, b"{}", max_age_s=300, now=1795430400 + 301)
    assert verify_signature("k", h, b"{}", max_age_s=300, now=1795430400 + 299)


def test_http_records_and_verifies():
    body = json.dumps({"alert_id": "R1042-police", "ref": "R1042"}).encode()
    with HttpInbox(secret="s3cret") as inbox:
        good = {"X-Patrol-Timestamp": "1795430400",
                "X-Patrol-Signature": "sha256=" + sign("s3cret", "1795430400", body),
                "Idempotency-Key": "R1042-police"}
        bad = dict(good, **{"X-Patrol-Signature": "sha256=" + sign("nope", "1795430400", body)})
        assert _post(inbox, body, good) == 200
        assert _post(inbox, body, bad) == 200
        r1, r2 = inbox.wait_for(2, timeout=10)
    assert (r1.method, r1.path, r1.body, r1.answered) == ("POST", "/hook", body, 200)
    assert r1.headers["idempotency-key"] == "R1042-police"      # case-insensitive
    assert r1.json()["ref"] == "R1042"
    assert r1.signature_ok is True and r2.signature_ok is False


def test_http_answers_as_planned():
    with HttpInbox() as inbox:
        inbox.answer(500, 400, 429)
        got = [_post(inbox, b"{}") for _ in range(4)]
        assert got == [500, 400, 429, 200]
        assert [r.answered for r in inbox.requests] == [500, 400, 429, 200]
        assert inbox.requests[0].signature_ok is None           # no secret given
        with pytest.raises(ValueError):
            inbox.answer(42)


def test_http_hang_is_a_client_timeout():
    inbox = HttpInbox(hang_s=30).start()
    try:
        inbox.answer("hang")
        with pytest.raises((socket.timeout, urllib.error.URLError, TimeoutError)):
            _post(inbox, b"{}", timeout=0.5)
        assert _post(inbox, b"{}") == 200                       # the next one is answered
        assert [r.answered for r in inbox.wait_for(2, timeout=10)] == ["hang", 200]
    finally:
        inbox.stop()                                            # releases the hanging handler


def test_http_restart_on_same_port():
    inbox = HttpInbox().start()
    try:
        assert _post(inbox, b"{}") == 200
        port = inbox.port
        inbox.stop()
        assert _refused(port)
        with pytest.raises(urllib.error.URLError):
            _post(inbox, b"{}", timeout=2)
        inbox.start()
        assert inbox.port == port
        assert _post(inbox, b"{}") == 200
        assert len(inbox.requests) == 2
    finally:
        inbox.stop()
