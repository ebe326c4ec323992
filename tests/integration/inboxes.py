"""inboxes: partner inboxes on loopback for the e-mail and webhook tests.

SmtpInbox is a real SMTP server (Debian's python3-aiosmtpd, run in this
process) that keeps every message it accepts, parsed with the email module,
and can be told to refuse recipients permanently (550) or for now (451), or
to refuse the message at DATA, and to ask for a login. HttpInbox is a real
HTTP server (http.server in a thread) that records every request, checks the
patrolgw webhook signature with the partner's secret, and answers each request
as told: a status (200, 500, 400, ...) or "hang" (no answer: the sender's
timeout). Both stop and start again on the same port, to play a server that
is down for a while, keep what they received across a restart, and listen on
127.0.0.1 only.

    with SmtpInbox() as smtp, HttpInbox(secret="s3cret") as hook:
        ...config: [smtp] url = smtp.url ; webhook = hook.url
        msgs = smtp.wait_for(1, timeout=10)
        reqs = hook.wait_for(1, timeout=10)

Run with Debian's /usr/bin/python3 (python3-aiosmtpd is installed for it).
"""

import email
import email.policy
import hashlib
import hmac
import http.server
import json
import socket
import threading
import time
from collections import deque

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

HOST = "127.0.0.1"


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(0.02)


# ---------------------------------------------------------------- webhooks

def sign(secret, ts, body):
    """The patrolgw webhook signature: hex HMAC-SHA256(secret, ts + "." + body)."""
    if isinstance(secret, str):
        secret = secret.encode()
    if isinstance(ts, int):
        ts = str(ts)
    return hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_signature(secret, headers, body, max_age_s=None, now=None):
    """True if headers (X-Patrol-Timestamp, X-Patrol-Signature) sign body with
    secret, and, with max_age_s, the timestamp is at most that old (or early)."""
    ts = headers.get("X-Patrol-Timestamp") or ""
    got = headers.get("X-Patrol-Signature") or ""
    if not ts.isdigit() or not got.startswith("sha256="):
        return False
    if max_age_s is not None:
        now = time.time() if now is None else now
        if abs(now - int(ts)) > max_age_s:
            return False
    return hmac.compare_digest(got[len("sha256="):], sign(secret, ts, body))


class HttpRequest:
    """One request as the receiver saw it."""

    def __init__(self, method, path, headers, body, signature_ok):
        self.received_at = time.monotonic()  # CLOCK_MONOTONIC: the benches time arrivals
        self.method = method
        self.path = path
        self.headers = headers          # email.message.Message: case-insensitive get()
        self.body = body                # bytes
        self.signature_ok = signature_ok  # None when the inbox has no secret
        self.answered = None            # the status sent, or "hang"

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%s %s %s sig=%s>" % (self.method, self.path, self.answered, self.signature_ok)


class HttpInbox:
    """A webhook receiver on 127.0.0.1.

    answer(*plan): the next requests get these answers in order (an int
    status, or "hang"); after the plan, `default` (200). A hanging request is
    held without an answer until hang_s passes or the inbox stops."""

    def __init__(self, secret=None, port=None, default=200, hang_s=60.0):
        self.secret = secret
        self.port = port or free_port()
        self.default = default
        self.hang_s = hang_s
        self.requests = []
        self._plan = deque()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = None
        self._thread = None

    @property
    def url(self):
        return "http://%s:%d/hook" % (HOST, self.port)

    def answer(self, *plan):
        for a in plan:
            if a != "hang" and not (isinstance(a, int) and 100 <= a <= 599):
                raise ValueError("an answer is an HTTP status or 'hang': %r" % (a,))
        with self._lock:
            self._plan.extend(plan)

    def _next_answer(self):
        with self._lock:
            return self._plan.popleft() if self._plan else self.default

    def _record(self, req):
        with self._lock:
            self.requests.append(req)

    def start(self):
        inbox = self
        self._release.clear()

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n > 0 else b""
                ok = None
                if inbox.secret is not None:
                    ok = verify_signature(inbox.secret, self.headers, body)
                req = HttpRequest(self.command, self.path, self.headers, body, ok)
                how = inbox._next_answer()
                req.answered = how
                inbox._record(req)
                if how == "hang":
                    inbox._release.wait(inbox.hang_s)
                    self.close_connection = True
                    return
                payload = json.dumps({"status": how}).encode()
                self.send_response(how)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_PUT = do_GET = _any

            def log_message(self, fmt, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server((HOST, self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stops listening (connections are refused); hanging requests end unanswered."""
        if self._server is None:
            return
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None

    def wait_for(self, n, timeout):
        """Waits until at least n requests arrived; returns them all."""
        _wait(lambda: len(self.requests) >= n, timeout, "%d webhook requests" % n)
        with self._lock:
            return list(self.requests)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------- e-mail

class SmtpMessage:
    """One message as the server accepted it."""

    def __init__(self, mail_from, rcpt_tos, raw):
        self.received_at = time.monotonic()  # CLOCK_MONOTONIC: the benches time arrivals
        self.mail_from = mail_from
        self.rcpt_tos = list(rcpt_tos)
        self.raw = raw                  # bytes, as received
        # Parsed with "\n" line ends, as Python text has them.
        self.msg = email.message_from_bytes(raw.replace(b"\r\n", b"\n"),
                                            policy=email.policy.default)

    def __getitem__(self, header):
        return self.msg[header]

    def text(self):
        """The decoded text/plain body."""
        return self.msg.get_content()

    def __repr__(self):
        return "<mail %s to %s: %s>" % (self.msg["Message-ID"], self.rcpt_tos, self.msg["Subject"])


MODES = ("accept", "reject", "tempfail", "reject_data", "tempfail_data")


class SmtpInbox:
    """An SMTP server on 127.0.0.1.

    mode: "accept"; "reject" / "tempfail": every RCPT TO gets 550 / 451;
    "reject_data" / "tempfail_data": recipients accepted, the message refused
    with 554 / 451 after DATA. credentials=(user, password): AUTH required
    (over plain SMTP: loopback only)."""

    def __init__(self, port=None, mode="accept", credentials=None):
        if mode not in MODES:
            raise ValueError(mode)
        self.port = port or free_port()
        self.mode = mode
        self.credentials = credentials
        self.messages = []
        self.refused = []               # (stage, code) of every refusal
        self.logins = []                # user names that logged in
        self._lock = threading.Lock()
        self._controller = None

    @property
    def url(self):
        return "smtp://%s:%d" % (HOST, self.port)

    def set_mode(self, mode):
        if mode not in MODES:
            raise ValueError(mode)
        self.mode = mode

    def _handler(self):
        inbox = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if inbox.mode in ("reject", "tempfail"):
                    code = 550 if inbox.mode == "reject" else 451
                    with inbox._lock:
                        inbox.refused.append(("rcpt", code))
                    return ("550 5.1.1 mailbox unavailable" if code == 550
                            else "451 4.3.0 try again later")
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                if inbox.mode in ("reject_data", "tempfail_data"):
                    code = 554 if inbox.mode == "reject_data" else 451
                    with inbox._lock:
                        inbox.refused.append(("data", code))
                    return ("554 5.6.0 message refused" if code == 554
                            else "451 4.3.0 try again later")
                raw = envelope.original_content or envelope.content
                if isinstance(raw, str):
                    raw = raw.encode("utf-8", "surrogateescape")
                m = SmtpMessage(envelope.mail_from, envelope.rcpt_tos, raw)
                with inbox._lock:
                    inbox.messages.append(m)
                return "250 2.0.0 accepted"

        return Handler()

    def _authenticator(self, server, session, envelope, mechanism, auth_data):
        user = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
        pw = (auth_data.password.decode() if isinstance(auth_data.password, bytes)
              else auth_data.password)
        ok = (user, pw) == tuple(self.credentials)
        if ok:
            with self._lock:
                self.logins.append(user)
        # handled=False: aiosmtpd sends the 235 or 535 reply itself.
        return AuthResult(success=ok, handled=False)

    def start(self):
        kw = {}
        if self.credentials:
            kw = {"authenticator": self._authenticator, "auth_required": True,
                  "auth_require_tls": False}
        # aiosmtpd warns (UserWarning) of AUTH without TLS at each connection:
        # on purpose here, on loopback (test modules may filter it).
        self._controller = Controller(self._handler(), hostname=HOST, port=self.port,
                                      ready_timeout=10, **kw)
        self._controller.start()
        return self

    def stop(self):
        """Stops listening (connections are refused); what was received is kept."""
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    def wait_for(self, n, timeout):
        """Waits until at least n messages were accepted; returns them all."""
        _wait(lambda: len(self.messages) >= n, timeout, "%d e-mail messages" % n)
        with self._lock:
            return list(self.messages)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
