"""The duty dashboard over HTTP (docs/dashboard.md): login and its audit trail,
throttling, CSRF, roles (a viewer cannot ACK, a duty user sees only their
partner), session expiry and ending, security headers, live updates (SSE),
HTML escaping, /metrics (strict Prometheus text, counters against what was
sent) and /healthz on a separate listener, and patrolctl users.

Partners (gwtest.DEFAULT_PARTNERS): police P1-P2 any code; council P1-P4 ENV
and DMG only; seafront P1-P3 zone HB12 only."""

import http.client
import json
import socket
import time
import ssl
import uuid

import pytest

import gwtest
import webtest
from gwtest import t
from webtest import Web


@pytest.fixture(scope="module")
def dash(request, tmp_path_factory, binaries):
    """One broker + gateway with the dashboard, users of every role, a client."""
    e = gwtest.Env(tmp_path_factory.mktemp("dash"))
    try:
        b = e.broker()
        g, port = webtest.dash_gateway(e, b)
        c = e.client(b, ["%s/out/#" % gwtest.PREFIX, "%s/alerts/#" % gwtest.PREFIX])
        webtest.add_user(g, "pat", "duty", "police")
        webtest.add_user(g, "cam", "duty", "council")
        webtest.add_user(g, "vic", "viewer")
        webtest.add_user(g, "cora", "coordinator")
    except BaseException:
        e.close()
        raise
    yield e, b, g, c, port
    e.close()


@pytest.fixture
def d(request, dash):
    e, b, g, c, port = dash
    assert g.alive(), "the gateway died:\n" + gwtest.tail(g.log_path)
    request.node._patrol_envs = getattr(request.node, "_patrol_envs", []) + [e]
    return dash


def send(c, text, unit="radio7", network="shopwatch"):
    """Publishes a message as a bridge would; returns the reply text."""
    mid = uuid.uuid4().hex[:12]
    c.publish(gwtest.in_topic(network, unit), gwtest.json_request(unit, text, mid))
    m = c.inbox.take(lambda m: m.topic == gwtest.out_topic(network, unit) and
                     msg_id_of(m) == mid, t(10), "the reply to " + text)
    return gwtest.reply_text(m)


def msg_id_of(m):
    """The msg_id a reply answers; None for other messages (e.g. an ACK notice)."""
    try:
        o = json.loads(m.payload)
    except ValueError:
        return None
    return o.get("msg_id") if isinstance(o, dict) else None


def send_report(c, text, unit="radio7", network="shopwatch"):
    """Publishes a report; returns its ref from the OK reply."""
    reply = send(c, text, unit, network)
    ok = gwtest.OK_REPORT.match(reply)
    assert ok, "not accepted: %r" % reply
    return int(ok.group(1))


def alerts_of(g, ref):
    """The outbox rows of a report's first alerts (not resends or notices)."""
    return g.db().q("SELECT * FROM alerts WHERE ref = ? AND kind = 'alert' ORDER BY partner", ref)


def alert_states(g, ref):
    return {r["partner"]: r["state"] for r in alerts_of(g, ref)}


def audit(g, action):
    return g.db().q("SELECT * FROM audit WHERE action = ? ORDER BY id", action)


# --------------------------------------------------------------------------- login

def test_security_headers_on_every_kind_of_response(d):
    _, _, _, _, port = d
    w = Web(port)
    for r in (w.get("/login"), w.get("/alerts"), w.get("/static/dash.js"), w.get("/nope"),
              w.post("/login", {"user": "x"})):
        csp = r.header("Content-Security-Policy") or ""
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, r
        assert r.header("X-Content-Type-Options") == "nosniff", r
        assert r.header("X-Frame-Options") == "DENY", r
        assert r.header("Referrer-Policy") == "no-referrer", r
    # Plain HTTP on loopback: no HSTS (it would be ignored and misleading).
    assert w.get("/login").header("Strict-Transport-Security") is None


def test_login_sets_a_strict_session_cookie_and_is_audited(d):
    _, _, g, _, port = d
    w = Web(port)
    assert w.get("/alerts").status == 303  # not logged in: to the login page
    r = w.login("pat")
    assert r.status == 303 and r.header("Location") == "/alerts", r
    cookie = [c for c in r.all("Set-Cookie") if c.startswith("patrol=")]
    assert len(cookie) == 1
    attrs = [a.strip().lower() for a in cookie[0].split(";")[1:]]
    assert "httponly" in attrs and "samesite=strict" in attrs and "path=/" in attrs
    assert "secure" not in attrs  # plain-HTTP loopback (docs/dashboard.md: Secure cookies)
    page = w.get("/alerts")
    assert page.status == 200 and "pat &middot; duty &middot; police" in page.body
    rows = [a for a in audit(g, "login") if a["actor"] == "pat"]
    assert rows and rows[-1]["object"] == "dashboard" and "role=duty" in rows[-1]["detail"]
    assert g.db().scalar("SELECT last_login_at FROM users WHERE name = 'pat'") > 0


def test_wrong_password_is_refused_and_audited_without_the_password(d):
    _, _, g, _, port = d
    w = Web(port)
    r = w.login("cam", "not the password")
    assert r.status == 401 and "Wrong user name or password" in r.body
    assert "patrol" not in w.cookies
    rows = [a for a in audit(g, "login failed") if a["object"] == "cam"]
    assert rows and rows[-1]["actor"] == "dashboard"
    assert "not the password" not in json.dumps(g.db().q("SELECT * FROM audit"))
    assert "not the password" not in g.log_since(0)


def test_login_form_needs_its_csrf_cookie(d):
    _, _, _, _, port = d
    w = Web(port)
    token = w.csrf("/login")
    other = Web(port)  # no login cookie: a cross-site form post
    r = other.post("/login", {"csrf": token, "user": "pat", "password": webtest.PASSWORD})
    assert r.status == 403 and "patrol" not in other.cookies


# --------------------------------------------------------------------------- roles and CSRF

def test_duty_user_sees_and_acks_only_their_partner(d):
    _, _, g, c, port = d
    police_ref = send_report(c, "RTC P1 HB03 car v cyclist amb called")
    council_ref = send_report(c, "DMG P4 HB05 bus shelter glass smashed")
    assert set(alert_states(g, police_ref)) == {"police"}
    assert set(alert_states(g, council_ref)) == {"council"}
    pat, cam, cora = Web(port), Web(port), Web(port)
    for w, who in ((pat, "pat"), (cam, "cam"), (cora, "cora")):
        assert w.login(who).status == 303
    lp, lc, lco = (w.get("/alerts/list").body for w in (pat, cam, cora))
    assert 'id="a%d-police"' % police_ref in lp and "R%d" % council_ref not in lp
    assert 'id="a%d-council"' % council_ref in lc and "R%d" % police_ref not in lc
    assert 'id="a%d-police"' % police_ref in lco and 'id="a%d-council"' % council_ref in lco
    # Another partner's report does not exist for a duty user.
    assert pat.get("/report?ref=%d" % council_ref).status == 404
    assert pat.get("/report?ref=%d" % police_ref).status == 200
    found = pat.get("/search?code=DMG").body
    assert "R%d" % council_ref not in found
    # ACK for another partner: refused, nothing recorded.
    r = pat.ack(council_ref, "council")
    assert r.status == 403
    assert alert_states(g, council_ref) == {"council": "sent"} or \
        alert_states(g, council_ref) == {"council": "pending"}
    # Their own: acknowledged, with who and how.
    r = pat.ack(police_ref, "police")
    assert r.status == 303 and "done=acked" in r.header("Location"), r
    a = g.db().one("SELECT * FROM chases WHERE ref = ? AND partner = 'police'", police_ref)
    assert a["acked_by"] == "pat" and a["acked_via"] == "dashboard"
    assert alert_states(g, police_ref) == {"police": "acked"}
    ev = g.db().q("SELECT * FROM report_events WHERE ref = ? AND kind = 'ack'", police_ref)
    assert len(ev) == 1 and ev[0]["by"] == "pat" and ev[0]["partner"] == "police"
    assert any(r["actor"] == "pat" and str(police_ref) in (r["object"] or "")
               for r in audit(g, "ack"))
    # Again: said so (ingest_ack records it but does not announce it again).
    r = pat.ack(police_ref, "police")
    assert r.status == 303 and "done=again" in r.header("Location")
    assert "Already acknowledged" in pat.get(r.header("Location")).body
    # A coordinator may ACK for any partner.
    r = cora.ack(council_ref, "council")
    assert r.status == 303 and alert_states(g, council_ref) == {"council": "acked"}


def test_duty_report_page_shows_only_their_partners_events(d):
    _, _, g, c, port = d
    ref = send_report(c, "ASB P2 HB12 youths on the pier throwing stones")
    assert set(alert_states(g, ref)) == {"police", "seafront"}
    cora, pat = Web(port), Web(port)
    assert cora.login("cora").status == 303 and pat.login("pat").status == 303
    assert cora.ack(ref, "seafront").status == 303
    page = pat.get("/report?ref=%d" % ref)
    assert page.status == 200
    assert "seafront" not in page.body, "another partner's events on a duty user's page"
    assert "police" in page.body and "received" in page.body
    assert "seafront" in cora.get("/report?ref=%d" % ref).body


def test_live_events_of_a_duty_user_ignore_other_partners(d):
    _, _, _, c, port = d
    w = Web(port)
    assert w.login("pat").status == 303
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=t(8))
    con.request("GET", "/events", headers={"Cookie": "patrol=%s" % w.cookies["patrol"]})
    r = con.getresponse()
    assert r.status == 200 and r.readline().startswith(b"retry:")
    try:
        send_report(c, "DMG P4 HB05 council bench broken")  # council only
        lines = []
        # Keep-alive lines come every few seconds: bound the wait by a deadline,
        # not by the socket timeout (t(8) is 24 s under ASan, longer than their gap).
        deadline = time.monotonic() + 7
        try:
            while time.monotonic() < deadline:
                line = r.readline()
                assert line, "the event stream closed"
                lines.append(line)
                assert not line.startswith(b"event: change"), \
                    "a duty user's stream signalled another partner's alert: %r" % lines
        except socket.timeout:
            pass  # nothing for police within (more than) the 5 s recheck: right
    finally:
        con.close()


def test_viewer_cannot_ack(d):
    _, _, g, c, port = d
    ref = send_report(c, "VIO P1 HB07 fight outside the arcade")
    w = Web(port)
    assert w.login("vic").status == 303
    listing = w.get("/alerts/list").body
    assert 'id="a%d-police"' % ref in listing and 'class="ack"' not in listing
    r = w.ack(ref, "police")
    assert r.status == 403 and "Viewers cannot acknowledge" in r.body
    assert alert_states(g, ref)["police"] != "acked"
    assert not g.db().q("SELECT * FROM report_events WHERE ref = ? AND kind = 'ack'", ref)


def test_csrf_token_is_checked_on_every_post(d):
    _, _, g, c, port = d
    ref = send_report(c, "WPN P1 HB02 male with knife seen near the pier")
    a, b = Web(port), Web(port)
    assert a.login("pat").status == 303 and b.login("cora").status == 303
    theirs = b.csrf()
    for form in ({}, {"csrf": ""}, {"csrf": "0" * 64}, {"csrf": theirs}, {"csrf": "x' or 1=1"}):
        r = a.post("/ack", dict(form, ref=str(ref), partner="police"))
        assert r.status == 403 and "CSRF" in r.body, (form, r)
        r = a.post("/logout", form)
        assert r.status == 403, (form, r)
    assert alert_states(g, ref)["police"] != "acked"
    assert a.get("/alerts").status == 200  # still logged in


def test_logout_ends_the_session_and_is_audited(d):
    _, _, g, _, port = d
    w = Web(port)
    assert w.login("cam").status == 303
    stolen = dict(w.cookies)
    r = w.post("/logout", {"csrf": w.csrf()})
    assert r.status == 303 and r.header("Location") == "/login"
    assert "patrol" not in w.cookies
    replay = Web(port)
    replay.cookies = stolen
    assert replay.get("/alerts").status == 303  # the old cookie is dead on the server
    assert any(r["actor"] == "cam" for r in audit(g, "logout"))


def test_disabling_a_user_or_changing_the_password_ends_their_sessions(d):
    _, _, g, _, port = d
    webtest.add_user(g, "tmp1", "viewer")
    w = Web(port)
    assert w.login("tmp1").status == 303 and w.get("/alerts").status == 200
    webtest.ctl_users(g, "passwd", "tmp1", input="a new password 1\n")
    assert w.get("/alerts").status == 303
    assert w.login("tmp1").status == 401
    assert w.login("tmp1", "a new password 1").status == 303
    webtest.ctl_users(g, "disable", "tmp1")
    assert w.get("/alerts").status == 303
    assert w.login("tmp1", "a new password 1").status == 401
    assert [r["object"] for r in audit(g, "users disable")] == ["tmp1"]


# --------------------------------------------------------------------------- pages

def test_store_text_is_escaped_on_every_page(d):
    _, _, _, c, port = d
    ref = send_report(c, "RTC P1 HB03 <script>alert(1)</script> & \"quotes\"")
    w = Web(port)
    assert w.login("cora").status == 303
    for path in ("/alerts/list", "/report?ref=%d" % ref, "/search?code=RTC"):
        body = w.get(path).body
        assert "<script>alert(1)" not in body, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" in body, path


def test_every_page_renders_for_a_coordinator(d):
    _, _, _, c, port = d
    assert send(c, "ON HB12", unit="radio9").startswith("OK")
    send_report(c, "ASB P3 HB12 youths throwing bottles at bus shelter")
    w = Web(port)
    assert w.login("cora").status == 303
    pages = {
        "/patrols": "shopwatch/radio9",
        "/hotspots?days=7&code=ASB": "<svg",
        "/health": "broker_state",
        "/search?since=2000-01-01&priority=3&zone=HB12": "youths throwing bottles",
    }
    for path, needle in pages.items():
        r = w.get(path)
        assert r.status == 200 and needle in r.body, (path, r)
    assert w.get("/search?since=yesterday").status == 200  # a bad date is said, not a 500
    assert w.get("/report?ref=999999").status == 404


def test_live_events_announce_a_new_alert(d):
    _, _, _, c, port = d
    w = Web(port)
    assert w.login("pat").status == 303
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=t(20))
    con.request("GET", "/events", headers={"Cookie": "patrol=%s" % w.cookies["patrol"]})
    r = con.getresponse()
    assert r.status == 200 and r.getheader("Content-Type").startswith("text/event-stream")
    first = r.readline()
    assert first.startswith(b"retry:")
    send_report(c, "FIRE P1 HB04 bin fire spreading to fence")
    try:
        while True:  # ends with an event, or the socket timeout fails the test
            line = r.readline()
            assert line, "the event stream closed"
            if line.startswith(b"event: change"):
                break
    except socket.timeout:
        raise AssertionError("no change event within the timeout")
    finally:
        con.close()


def test_unauthenticated_live_endpoints_say_401(d):
    _, _, _, _, port = d
    w = Web(port)
    assert w.get("/events").status == 401
    assert w.get("/alerts/list").status == 401
    assert w.post("/ack", {"ref": "1001", "partner": "police"}).status == 303


# --------------------------------------------------------------------------- patrolctl users

def test_patrolctl_users_checks_its_input(d):
    _, _, g, _, _ = d
    assert webtest.add_user(g, "pat", "viewer", check=False).returncode == 1  # taken
    assert webtest.add_user(g, "short", "viewer", password="abc", check=False).returncode == 1
    assert webtest.add_user(g, "Bad Name", "viewer", check=False).returncode == 2
    assert webtest.add_user(g, "nopartner", "duty", check=False).returncode == 2
    assert webtest.add_user(g, "ghost", "duty", "nosuchpartner", check=False).returncode == 1
    listing = json.loads(gwtest.run([gwtest.PATROLCTL, "--config", g.conf, "users", "list",
                                     "--json"], check=True).stdout)
    names = {u["name"]: u for u in listing}
    assert names["pat"]["role"] == "duty" and names["pat"]["partner"] == "police"
    assert "short" not in names and "ghost" not in names
    stored = g.db().one("SELECT pwhash FROM users WHERE name = 'pat'")["pwhash"]
    assert stored.startswith("$argon2id$") and webtest.PASSWORD not in stored
    assert [r["object"] for r in audit(g, "users add")].count("pat") == 1


# --------------------------------------------------------------------------- throttling, expiry

def test_wrong_passwords_lock_the_name_out(env):
    b = env.broker()
    g, port = webtest.dash_gateway(env, b, login_max_failures=3, login_lockout="10m")
    webtest.add_user(g, "pat", "duty", "police")
    webtest.add_user(g, "cam", "duty", "council")
    w = Web(port)
    for _ in range(3):
        assert w.login("pat", "wrong password").status == 401
    r = w.login("pat")  # the right password, but locked out
    assert r.status == 429 and "Too many failed attempts" in r.body, r
    assert "patrol" not in w.cookies
    assert Web(port).login("cam").status == 303  # another name is not locked
    rows = [a for a in audit(g, "login failed") if a["object"] == "pat"]
    assert len(rows) == 4 and "throttled" in rows[-1]["detail"]


def test_address_lockout_covers_guessed_names(env):
    b = env.broker()
    g, port = webtest.dash_gateway(env, b, login_max_failures=2, login_lockout="10m")
    webtest.add_user(g, "pat", "duty", "police")
    w = Web(port)
    for i in range(8):  # 4 x login_max_failures from one address, each name new
        assert w.login("guess%d" % i, "x").status == 401
    assert w.login("pat").status == 429


def test_a_login_flood_does_not_stall_healthz_or_pages(env):
    """Bad logins (a high limit: as if from many addresses) hash one at a time;
    while they do, /healthz and the login page answer at once: a login holds no
    store connection while its password is checked."""
    import threading
    import time
    b = env.broker()
    g, port = webtest.dash_gateway(env, b, login_max_failures=1000)
    webtest.add_user(g, "pat", "duty", "police")
    stop = threading.Event()
    statuses = []

    def flood(i):
        w = Web(port, source="127.0.0.2")  # the probes below come from 127.0.0.1
        n = 0
        while not stop.is_set():
            try:
                statuses.append(w.login("flood%d-%d" % (i, n), "wrong password").status)
            except OSError:  # refused at the connection limit: part of a flood
                statuses.append(0)
            n += 1

    threads = [threading.Thread(target=flood, args=(i,)) for i in range(10)]
    for th in threads:
        th.start()
    worst = 0.0
    try:
        time.sleep(1.0)
        for _ in range(10):
            for path in ("/healthz", "/login"):
                t0 = time.monotonic()
                r = Web(port).get(path, timeout=t(30))
                worst = max(worst, time.monotonic() - t0)
                assert r.status == 200, (path, r)
            time.sleep(0.1)
    finally:
        stop.set()
        for th in threads:
            th.join()
    assert worst < t(0.5), "a page waited %.2f s behind the login flood" % worst
    assert 401 in statuses and set(statuses) <= {0, 401, 429, 503}, set(statuses)
    assert Web(port).login("pat").status == 303


def test_a_locked_name_stays_locked_whatever_addresses_try_it(env):
    """The throttle table is bounded; filling it from many addresses must not
    evict (and so unlock) a name locked out."""
    b = env.broker()
    g, port = webtest.dash_gateway(env, b, login_max_failures=2, login_lockout="10m")
    webtest.add_user(g, "pat", "duty", "police")
    w = Web(port)
    for _ in range(2):
        assert w.login("pat", "wrong password").status == 401
    assert w.login("pat").status == 429
    tok = w.csrf("/login")
    for i in range(600):  # more addresses than the table holds (GW_HTTP_THROTTLE_MAX)
        x = Web(port, source="127.0.%d.%d" % (1 + i // 200, 1 + i % 200))
        x.cookies = {"patrol-login": tok}
        r = x.post("/login", {"csrf": tok, "user": "pat", "password": "wrong password"})
        assert r.status == 429, (i, r)
    assert w.login("pat").status == 429, "the lockout of pat was forgotten"


def test_throttled_logins_are_aggregated_in_the_audit_trail(env):
    b = env.broker()
    g, port = webtest.dash_gateway(env, b, login_max_failures=2, login_lockout="10m")
    webtest.add_user(g, "pat", "duty", "police")
    w = Web(port)
    for _ in range(2):
        assert w.login("pat", "wrong password").status == 401
    for _ in range(60):
        assert w.login("pat", "wrong password").status == 429
    rows = [a for a in audit(g, "login failed") if a["object"] == "pat"]
    # Two failures, then the lockout's first refusal; the other refusals are
    # counted, not written one by one.
    assert len(rows) <= 4, [r["detail"] for r in rows]
    assert "throttled" in rows[2]["detail"]


def test_slow_clients_are_cut_off_and_do_not_starve_healthz_or_login(env):
    """Slowloris: 64 connections from 4 addresses (16 each, the per-address cap)
    that trickle a header line every half second. /healthz and the login page
    still answer at once, and the slow ones are closed after [http]
    request_timeout."""
    import time
    b = env.broker()
    g, port = webtest.dash_gateway(env, b, request_timeout="2s")
    slow = []
    for i in range(64):
        s = socket.create_connection(("127.0.0.1", port), timeout=t(5),
                                     source_address=("127.0.%d.1" % (10 + i // 16), 0))
        s.sendall(b"GET /alerts HTTP/1.1\r\nHost: x\r\n")
        slow.append(s)
    opened = time.monotonic()
    closed = {}

    def trickle():
        for i, s in enumerate(slow):
            if i in closed:
                continue
            try:
                s.setblocking(False)
                try:
                    if s.recv(4096) == b"":
                        closed[i] = time.monotonic() - opened
                        continue
                except BlockingIOError:
                    pass
                s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                closed[i] = time.monotonic() - opened

    worst = 0.0
    try:
        for _ in range(6):
            trickle()
            for path in ("/healthz", "/login"):
                t0 = time.monotonic()
                r = Web(port).get(path, timeout=t(5))
                worst = max(worst, time.monotonic() - t0)
                assert r.status == 200, (path, r)
            time.sleep(0.5)
        deadline = time.monotonic() + t(10)
        while len(closed) < len(slow) and time.monotonic() < deadline:
            trickle()
            time.sleep(0.5)
    finally:
        for s in slow:
            s.close()
    assert worst < t(1.0), "a page waited %.2f s behind the slow clients" % worst
    assert len(closed) == len(slow), "%d slow connections still open" % (len(slow) - len(closed))
    # Each connection arriving with 48 or more open (the last 16 slow ones, and
    # the 12 probes) cut the one waiting longest; the others lasted until
    # request_timeout (2 s), and not much longer.
    early = [v for v in closed.values() if v < 1.5]
    assert len(early) <= 16 + 12, sorted(closed.values())
    assert len(slow) - len(early) >= 30
    assert max(closed.values()) < t(6), sorted(closed.values())


def test_one_account_cannot_push_out_other_sessions(env):
    """Sessions are capped per user (8): a user's ninth login ends their own
    oldest session, never another user's."""
    b = env.broker()
    g, port = webtest.dash_gateway(env, b, login_max_failures=100)
    webtest.add_user(g, "pat", "duty", "police")
    webtest.add_user(g, "cam", "duty", "council")
    other = Web(port)
    assert other.login("cam").status == 303
    mine = []
    for _ in range(9):
        w = Web(port)
        assert w.login("pat").status == 303
        mine.append(w)
    assert mine[0].get("/alerts").status == 303, "pat's oldest session should have ended"
    assert all(w.get("/alerts").status == 200 for w in mine[1:])
    assert other.get("/alerts").status == 200


def test_repeated_log_lines_are_rate_limited(env):
    """A flood of refused logins must not write one log line each."""
    b = env.broker()
    g, port = webtest.dash_gateway(env, b, login_max_failures=1, login_lockout="10m")
    off = g.log_size()
    w = Web(port)
    assert w.login("nobody", "wrong password").status == 401
    for _ in range(60):
        assert w.login("nobody", "wrong password").status == 429
    lines = [l for l in g.log_since(off).splitlines() if "login refused: throttled" in l]
    assert 1 <= len(lines) <= 10, "%d lines for 60 refusals" % len(lines)


def test_sessions_expire(env):
    b = env.broker()
    g, port = webtest.dash_gateway(env, b, session_lifetime="2s")
    webtest.add_user(g, "pat", "duty", "police")
    w = Web(port)
    r = w.login("pat")
    assert r.status == 303 and "Max-Age=2;" in [c for c in r.all("Set-Cookie")
                                                if c.startswith("patrol=")][0]
    assert w.get("/alerts").status == 200
    gwtest.wait_until(lambda: w.get("/alerts").status == 303, t(20), "the session to expire")
    assert w.get("/alerts/list").status == 401


def test_behind_https_proxy_cookies_are_secure_and_host_prefixed(env):
    b = env.broker()
    g, port = webtest.dash_gateway(env, b, behind_https_proxy="yes")
    webtest.add_user(g, "pat", "duty", "police")
    w = Web(port)
    r = w.login("pat")
    assert r.status == 303
    cookie = [c for c in r.all("Set-Cookie") if c.startswith("__Host-patrol=")]
    assert cookie and "; Secure" in cookie[0] and "HttpOnly" in cookie[0]
    assert r.header("Strict-Transport-Security")
    assert w.get("/alerts").status == 200


def test_tls_serves_https_with_secure_cookies(env):
    # A self-signed certificate for 127.0.0.1, made by the openssl tool.
    cert, key = env.tmp / "dash.crt", env.tmp / "dash.key"
    gwtest.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", str(key), "-out", str(cert)])
    b = env.broker()
    g, port = webtest.dash_gateway(env, b, tls_cert=str(cert), tls_key=str(key))
    g.wait_log(r"dashboard on https://", what="the dashboard over TLS")
    webtest.add_user(g, "pat", "duty", "police")
    ctx = ssl.create_default_context(cafile=str(cert))
    w = Web(port, tls=ctx)
    r = w.login("pat")
    assert r.status == 303
    cookie = [c for c in r.all("Set-Cookie") if c.startswith("__Host-patrol=")]
    assert cookie and "; Secure" in cookie[0] and "HttpOnly" in cookie[0]
    assert r.header("Strict-Transport-Security")
    assert w.get("/alerts").status == 200
    # Plain HTTP on the TLS port gets no page.
    try:
        status = Web(port).get("/healthz").status
    except (OSError, http.client.HTTPException):
        status = None
    assert status != 200


# --------------------------------------------------------------------------- /metrics, /healthz

def test_metrics_counters_match_what_was_sent(env):
    b = env.broker()
    mport = gwtest.free_port()
    g, port = webtest.dash_gateway(env, b, metrics_port=mport)
    c = env.client(b, ["%s/out/#" % gwtest.PREFIX, "%s/alerts/#" % gwtest.PREFIX])
    sent = [("RTC P1 HB03 car v cyclist", "RTC", 1), ("ASB HB12 youths", "ASB", 3),
            ("ASB P2 HB05 group fighting", "ASB", 2), ("DMG HB05 glass", "DMG", 4),
            ("ENV P4 HB12 fly tipping", "ENV", 4)]
    refs = [send_report(c, text) for text, _, _ in sent]
    # One that is refused, and one duplicate (the same msg_id again).
    c.publish(gwtest.in_topic("shopwatch", "radio7"),
              gwtest.json_request("radio7", "XYZ nonsense", "bad-1"))
    c.inbox.take(lambda m: m.topic == gwtest.out_topic("shopwatch", "radio7")
                 and "ERR" in gwtest.reply_text(m), t(10), "the ERR reply")
    dup = gwtest.json_request("radio7", "MED P1 HB01 collapsed male", "dup-1")
    c.publish(gwtest.in_topic("shopwatch", "radio7"), dup)
    c.publish(gwtest.in_topic("shopwatch", "radio7"), dup)
    gwtest.wait_until(lambda: g.db().scalar("SELECT count(*) FROM messages WHERE msg_id = "
                                            "'dup-1'") == 2, t(10), "both copies journaled")
    alerts = sum(len(alerts_of(g, r)) for r in refs) + len(
        g.db().q("SELECT * FROM alerts a JOIN messages m ON m.ref = a.ref WHERE m.msg_id = 'dup-1'"
                 " AND m.outcome = 'accepted' AND a.kind = 'alert'"))
    assert alerts >= 6
    gwtest.wait_until(lambda: g.db().scalar("SELECT count(*) FROM alerts WHERE state = 'sent'"
                                            " AND kind = 'alert'") == alerts, t(15),
                      "every alert delivered")

    main = Web(port)
    assert main.get("/metrics").status == 404  # on its own listener only
    r = Web(mport).get("/metrics")
    assert r.status == 200 and r.header("Content-Type").startswith("text/plain; version=0.0.4")
    fams = webtest.parse_prometheus(r.body)
    s = webtest.sample
    assert s(fams, "patrolgw_messages_total", channel="radio", outcome="accepted") == 6
    assert s(fams, "patrolgw_messages_total", channel="radio", outcome="duplicate") == 1
    assert s(fams, "patrolgw_messages_total", channel="radio", outcome="error") == 1
    assert s(fams, "patrolgw_reports_total", code="ASB", priority="P3") == 1
    assert s(fams, "patrolgw_reports_total", code="ASB", priority="P2") == 1
    assert s(fams, "patrolgw_reports_total", code="RTC", priority="P1") == 1
    assert s(fams, "patrolgw_reports_total", code="MED", priority="P1") == 1
    assert sum(v for _, _, v in fams["patrolgw_reports_total"]["samples"]) == 6
    by_partner = {}
    for _, lab, v in fams["patrolgw_alerts"]["samples"]:
        by_partner[(lab["partner"], lab["state"])] = by_partner.get((lab["partner"], lab["state"]), 0) + v
    for (partner, state), n in by_partner.items():
        assert n == g.db().scalar("SELECT count(*) FROM alerts WHERE partner = ? AND state = ?"
                                  " AND kind IN ('alert', 'fallback')", partner, state)
    assert sum(by_partner.values()) == alerts
    count = sum(v for n, _, v in fams["patrolgw_alert_delivery_seconds"]["samples"]
                if n.endswith("_count"))
    assert count == alerts
    assert s(fams, "patrolgw_broker_connected") == 1
    assert s(fams, "patrolgw_store_bytes") > 0
    assert s(fams, "patrolgw_queue_depth", queue="alerts_pending") == 0

    h = Web(mport).get("/healthz")
    assert h.status == 200 and h.body.startswith("ok")
    assert main.get("/healthz").status == 404


# --------------------------------------------------------------------------- signed links

def ack_token(secret, ref, partner, expires_s):
    """A token as acklink_make makes it (docs/alerts.md, Acknowledgement links)."""
    import base64
    import hashlib
    import hmac
    body = "R%d.%s.%d" % (ref, partner, expires_s)
    sig = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return body + "." + base64.urlsafe_b64encode(sig).decode().rstrip("=")


def test_signed_ack_link_shows_a_button_and_the_post_acknowledges(env):
    import time
    secret = "s3cret-for-links-0123456789"
    (env.tmp / "gw").mkdir(parents=True, exist_ok=True)
    (env.tmp / "gw" / "ack.secret").write_text(secret + "\n")
    b = env.broker()
    port = gwtest.free_port()
    g = env.gateway(b, extra="[alerts]\nack_url = http://127.0.0.1:%d/ack\n"
                    "ack_secret_file = ack.secret\n\n" % port + webtest.http_section(port))
    g.wait_log(r"dashboard on http", what="the dashboard to listen")
    c = env.client(b, ["%s/out/#" % gwtest.PREFIX, "%s/alerts/#" % gwtest.PREFIX])
    ref = send_report(c, "MED P1 HB01 collapsed male not breathing")
    w = Web(port)
    good = ack_token(secret, ref, "police", int(time.time()) + 3600)
    page = w.get("/ack?t=" + good)
    assert page.status == 200 and 'action="/ack/link"' in page.body and "R%d" % ref in page.body
    assert g.db().one("SELECT acked_at FROM chases WHERE ref = ?", ref)["acked_at"] is None
    forged = ack_token("another secret", ref, "police", int(time.time()) + 3600)
    assert w.get("/ack?t=" + forged).status == 400
    assert w.post("/ack/link", {"t": forged}).status == 400
    other = ack_token(secret, ref, "council", int(time.time()) + 3600)
    assert w.post("/ack/link", {"t": other}).status == 409  # not alerted to council
    expired = ack_token(secret, ref, "police", int(time.time()) - 10)
    r = w.get("/ack?t=" + expired)
    assert r.status == 410 and "expired" in r.body
    r = w.post("/ack/link", {"t": good})
    assert r.status == 200 and "Acknowledged R%d" % ref in r.body, r
    ch = g.db().one("SELECT * FROM chases WHERE ref = ?", ref)
    assert ch["acked_via"] == "link" and ch["acked_by"] == "police"
    assert "already acknowledged" in w.post("/ack/link", {"t": good}).body


def test_ack_links_signed_after_a_secret_change_are_accepted_without_a_restart(env):
    """SIGHUP with a new ack secret: the dashboard checks links with the secret
    the alerts are signed with (the running config), not a copy made at start."""
    import signal
    import time
    (env.tmp / "gw").mkdir(parents=True, exist_ok=True)
    (env.tmp / "gw" / "ack.secret").write_text("the-first-secret-0123456789\n")
    b = env.broker()
    port = gwtest.free_port()
    g = env.gateway(b, extra="[alerts]\nack_url = http://127.0.0.1:%d/ack\n"
                    "ack_secret_file = ack.secret\n\n" % port + webtest.http_section(port))
    g.wait_log(r"dashboard on http", what="the dashboard to listen")
    c = env.client(b, ["%s/out/#" % gwtest.PREFIX, "%s/alerts/#" % gwtest.PREFIX])
    new = "the-second-secret-9876543210"
    (env.tmp / "gw" / "ack.secret").write_text(new + "\n")
    off = g.log_size()
    g.send_signal(signal.SIGHUP)
    g.wait_log(r"reloaded:", offset=off)
    ref = send_report(c, "MED P1 HB01 collapsed male not breathing")
    m = c.inbox.take(lambda m: m.topic == gwtest.alert_topic("police") and
                     json.loads(m.payload).get("ref") in (ref, "R%d" % ref), t(10),
                     "the police alert")
    url = json.loads(m.payload)["ack"]["url"]
    token = url.split("t=", 1)[1]
    assert token == ack_token(new, ref, "police", int(token.split(".")[2]))
    w = Web(port)
    page = w.get("/ack?t=" + token)
    assert page.status == 200 and 'action="/ack/link"' in page.body, page
    r = w.post("/ack/link", {"t": token})
    assert r.status == 200 and "Acknowledged R%d" % ref in r.body, r
    # A link signed with the secret replaced is refused: rotating the secret revokes them.
    old = ack_token("the-first-secret-0123456789", ref, "police", int(time.time()) + 3600)
    assert w.get("/ack?t=" + old).status == 400
