"""gwtest: shared helpers for the patrolgw integration tests.

Everything runs on loopback: a real mosquitto (docs/examples/mosquitto.conf plus a
listener on a free port), the real patrolgw and patrolctl binaries, paho-mqtt
clients, and the gateway's SQLite store read with python's sqlite3 (read-only).

Environment: PATROL_BUILD (binaries), PATROL_SOURCE (the repo), PATROL_SANITIZE=1
for an ASan build (every timeout is multiplied by SLOW).
"""

import datetime
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt

SOURCE = Path(os.environ.get("PATROL_SOURCE") or "/work/main")
BUILD = Path(os.environ.get("PATROL_BUILD") or "/work/main/build")
SANITIZE = (os.environ.get("PATROL_SANITIZE") or "0").strip().lower() in (
    "1", "on", "true", "yes")
# ASan/UBSan builds run a few times slower (valgrind far more): every deadline stretches.
SLOW = float(os.environ.get("PATROL_SLOW") or (3.0 if SANITIZE else 1.0))

PATROLGW = BUILD / "patrolgw"
# A command to run the gateway under, e.g. "valgrind --error-exitcode=99 --leak-check=full".
GW_WRAPPER = (os.environ.get("PATROL_GW_WRAPPER") or "").split()
PATROLCTL = BUILD / "patrolctl"
MOSQUITTO = Path(os.environ.get("PATROL_MOSQUITTO") or "/usr/sbin/mosquitto")
MOSQUITTO_CONF = SOURCE / "docs" / "examples" / "mosquitto.conf"
HERNEBAY = SOURCE / "docs" / "examples" / "hernebay"
CODES_CSV = HERNEBAY / "codes.csv"
GAZETTEER_CSV = HERNEBAY / "gazetteer.csv"
SAMPLE_CONF = HERNEBAY / "patrolgw.conf"

PREFIX = "patrol"

# Partner rules most tests use (see gw_config):
#   police:   P1..P2, any code, any zone
#   council:  P1..P4, only ENV and DMG
#   seafront: P1..P3, only zone HB12
DEFAULT_PARTNERS = {
    "police": {"min_priority": 2},
    "council": {"min_priority": 4, "codes": "ENV DMG"},
    "seafront": {"min_priority": 3, "zones": "HB12"},
}
# shopwatch is open; any network not named (e.g. "closednet", "police") requires registration.
DEFAULT_NETWORKS = {"shopwatch": False}

# Default priorities and alert flags of the contract's code table.
CODE_PRIORITY = {
    "RTC": 1, "MED": 1, "BLEED": 1, "VIO": 1, "WPN": 1, "FIRE": 1, "MISPER": 1,
    "MH": 2, "HATE": 2, "DOOR": 2, "ASB": 3, "DRG": 3, "THEFT": 3, "SUS": 3,
    "DMG": 4, "ENV": 4, "INFO": 4, "ENG": 4,
}
CODE_NAME = {
    "RTC": "road traffic collision", "ASB": "anti-social behaviour",
}

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")
OK_REPORT = re.compile(r"^OK R(\d+) (\S+) P([1-4]) (.+)$")


def t(seconds):
    """A deadline in seconds, stretched for sanitizer builds."""
    return seconds * SLOW


def now_rfc3339():
    d = datetime.datetime.now(datetime.timezone.utc)
    return d.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_rfc3339(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(cond, timeout, what, interval=0.02):
    """Polls cond() until it returns a truthy value (returned) or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def refnum(v):
    """1042 for 1042, "1042", "R1042" or "r1042"; None for None."""
    if v is None:
        return None
    if isinstance(v, int):
        return v
    s = str(v).strip()
    if s[:1] in ("R", "r"):
        s = s[1:]
    return int(s)


def tail(path, lines=80):
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        return "(cannot read %s: %s)" % (path, e)
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


def terminate(proc, timeout, sig=signal.SIGTERM):
    """SIGTERM (or sig), then SIGKILL after timeout. Returns the exit code."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        proc.send_signal(sig)
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


# --------------------------------------------------------------------------- broker

def broker_conf_text(port, persist_dir):
    """The shipped broker config plus the lines the tests and demo append."""
    text = MOSQUITTO_CONF.read_text()
    extra = [
        "",
        "# Appended by the patrolgw integration tests.",
        "listener %d 127.0.0.1" % port,
        "allow_anonymous true",
        "persistence_location %s/" % persist_dir,
    ]
    if os.geteuid() == 0:
        # Stay root: the test's temp dir is not readable by the mosquitto user.
        extra.append("user root")
    return text + "\n".join(extra) + "\n"


class Broker:
    """A real mosquitto on 127.0.0.1:port with persistence in its own dir."""

    def __init__(self, workdir, port=None):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.persist = self.dir / "persist"
        self.persist.mkdir(exist_ok=True)
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text(broker_conf_text(self.port, self.persist))
        self.log_path = self.dir / "mosquitto.log"
        self.proc = None
        self._logf = None

    def start(self, timeout=None):
        timeout = timeout or t(10)
        self._logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(MOSQUITTO), "-c", str(self.conf)],
                                     stdin=subprocess.DEVNULL, stdout=self._logf,
                                     stderr=subprocess.STDOUT)

        def listening():
            if self.proc.poll() is not None:
                raise AssertionError("mosquitto exited with %s:\n%s" % (
                    self.proc.returncode, tail(self.log_path)))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_until(listening, timeout, "mosquitto to listen on %d" % self.port)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=None):
        if self.proc is None:
            return None
        rc = terminate(self.proc, timeout or t(10), sig)
        if self._logf:
            self._logf.close()
            self._logf = None
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


# --------------------------------------------------------------------------- gateway

def gw_config(port, *, partners=None, networks=None, codes=None, gazetteer=None,
              store="patrolgw.db", synchronous="full", client_id="patrolgw",
              prefix=PREFIX, radius_km=1, log_level="info", extra=""):
    """A gateway config (INI text) for a broker on 127.0.0.1:port."""
    partners = DEFAULT_PARTNERS if partners is None else partners
    networks = DEFAULT_NETWORKS if networks is None else networks
    codes = CODES_CSV if codes is None else codes
    gazetteer = GAZETTEER_CSV if gazetteer is None else gazetteer
    out = [
        "[gateway]", "log_level = %s" % log_level, "",
        "[store]", "path = %s" % store, "synchronous = %s" % synchronous, "",
        "[mqtt]", "host = 127.0.0.1", "port = %d" % port, "prefix = %s" % prefix,
        "client_id = %s" % client_id, "",
        "[protocol]", "codes = %s" % codes, "gazetteer = %s" % gazetteer,
        "radius_km = %s" % radius_km, "",
    ]
    for net, req in networks.items():
        out += ["[network.%s]" % net,
                "require_registration = %s" % ("yes" if req else "no"), ""]
    for name, rule in partners.items():
        out += ["[partner.%s]" % name,
                "min_priority = %s" % rule.get("min_priority", 4),
                "codes = %s" % rule.get("codes", ""),
                "zones = %s" % rule.get("zones", ""), ""]
    return "\n".join(out) + "\n" + extra


SANITIZER_MARKS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer",
                   b"runtime error:", b"WARNING: ThreadSanitizer")
# What valgrind (PATROL_GW_WRAPPER) prints for an error, also in a killed run.
VALGRIND_ERROR = re.compile(rb"^==\d+== (Invalid (read|write|free)|Conditional jump|"
                            rb"Use of uninitialised|Syscall param|Mismatched free|"
                            rb"Source and destination overlap|.*definitely lost in)", re.M)


class Gateway:
    """patrolgw --config <workdir>/patrolgw.conf, logging to <workdir>/patrolgw.log."""

    def __init__(self, workdir, conf_text):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf = self.dir / "patrolgw.conf"
        self.conf.write_text(conf_text)
        self.log_path = self.dir / "patrolgw.log"
        self.db_path = self.dir / "patrolgw.db"
        self.proc = None
        self.starts = 0
        self.log_offset = 0
        self._logf = None
        self.exit_expected = False  # set when the test stopped or killed it

    def write_config(self, conf_text):
        tmp = self.conf.with_suffix(".tmp")
        tmp.write_text(conf_text)
        os.replace(tmp, self.conf)

    def log_size(self):
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_since(self, offset=None):
        offset = self.log_offset if offset is None else offset
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def start(self, wait=True, timeout=None, args=()):
        self.starts += 1
        if self._logf is None:
            self._logf = open(self.log_path, "ab")
        self._logf.write(b"=== patrolgw start %d ===\n" % self.starts)
        self._logf.flush()
        self.log_offset = self.log_size()
        self.exit_expected = False
        self.proc = subprocess.Popen([*GW_WRAPPER, str(PATROLGW), "--config", str(self.conf), *args],
                                     cwd=str(self.dir), stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_log(self, pattern, timeout=None, offset=None, what=None):
        """Waits for a log line matching regex pattern after offset; returns the match."""
        rx = re.compile(pattern, re.I | re.M)
        off = self.log_offset if offset is None else offset

        def seen():
            m = rx.search(self.log_since(off))
            if m:
                return m
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError("patrolgw exited with %s while waiting for /%s/:\n%s" % (
                    self.proc.returncode, pattern, tail(self.log_path)))
            return None

        return wait_until(seen, timeout or t(15), what or "/%s/ in the gateway log" % pattern)

    def wait_ready(self, timeout=None):
        self.wait_log(r"subscribed to", timeout or t(20), what="patrolgw to subscribe")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        assert self.alive(), "patrolgw is not running:\n" + tail(self.log_path)
        self.proc.send_signal(sig)

    def kill(self):
        """SIGKILL, as a crash would."""
        self.exit_expected = True
        self.proc.kill()
        return self.proc.wait()

    def stop(self, sig=signal.SIGTERM, timeout=None):
        if self.proc is None:
            return None
        self.exit_expected = True
        rc = terminate(self.proc, timeout or t(15), sig)
        return rc

    def close(self):
        if self._logf:
            self._logf.close()
            self._logf = None

    def sanitizer_report(self):
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return None
        for mark in SANITIZER_MARKS:
            if mark in data:
                return mark.decode()
        m = VALGRIND_ERROR.search(data)
        if m:
            return m.group(0).decode("utf-8", "replace")
        return None

    def db(self):
        return Store(self.db_path)

    def ctl(self, *args, check=True, timeout=None):
        return patrolctl("--config", str(self.conf), *args, check=check, timeout=timeout)


def run(argv, check=False, timeout=None, input=None):
    """Runs argv, returns CompletedProcess (text). check: rc must be 0."""
    cp = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                        timeout=timeout or t(30), input=input,
                        stdin=None if input is not None else subprocess.DEVNULL)
    if check and cp.returncode != 0:
        raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s" % (
            " ".join(str(a) for a in argv), cp.returncode, cp.stdout, cp.stderr))
    return cp


def patrolctl(*args, check=True, timeout=None):
    return run([PATROLCTL, *args], check=check, timeout=timeout)


# --------------------------------------------------------------------------- store

class Store:
    """Read-only queries on the gateway's SQLite store (safe while it runs: WAL)."""

    def __init__(self, path):
        self.path = Path(path)

    def q(self, sql, *args):
        con = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=t(10))
        try:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute(sql, args).fetchall()]
        finally:
            con.close()

    def one(self, sql, *args):
        rows = self.q(sql, *args)
        assert len(rows) == 1, "expected one row for %s %r, got %r" % (sql, args, rows)
        return rows[0]

    def scalar(self, sql, *args):
        rows = self.q(sql, *args)
        return next(iter(rows[0].values())) if rows else None

    def columns(self, table):
        return [r["name"] for r in self.q("SELECT name FROM pragma_table_info(?)", table)]

    def report_join(self):
        """SQL condition joining reports r to the message m that made it: the
        accepted message with the same ref (or reports.message_id, if the store
        ever gets that column)."""
        if "message_id" in self.columns("reports"):
            return "r.message_id = m.id"
        return "m.ref = r.ref AND m.outcome = 'accepted'"

    def report_message(self, ref):
        return self.one("SELECT m.* FROM reports r JOIN messages m ON %s WHERE r.ref = ?"
                        % self.report_join(), refnum(ref))

    def report(self, ref):
        return self.one("SELECT * FROM reports WHERE ref = ? OR ref = ?",
                        refnum(ref), "R%d" % refnum(ref))

    def alerts_for(self, ref):
        return self.q("SELECT * FROM alerts WHERE ref = ? OR ref = ? ORDER BY partner",
                      refnum(ref), "R%d" % refnum(ref))

    def last_message(self, network, unit):
        rows = self.q("SELECT * FROM messages WHERE network = ? AND unit = ? "
                      "ORDER BY id DESC LIMIT 1", network, unit)
        assert rows, "no messages row for %s/%s" % (network, unit)
        return rows[0]


# --------------------------------------------------------------------------- mqtt

class Msg:
    __slots__ = ("topic", "payload", "qos", "at")

    def __init__(self, topic, payload, qos=None):
        self.topic = topic
        self.payload = bytes(payload)
        self.qos = qos
        self.at = time.monotonic()

    @property
    def text(self):
        return self.payload.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.payload)

    def __repr__(self):
        return "Msg(%s, %r)" % (self.topic, self.payload[:200])


class Inbox:
    """Messages received by a client; take() waits for one matching a predicate."""

    def __init__(self):
        self._cv = threading.Condition()
        self._pending = []
        self.seen = []

    def add(self, msg):
        with self._cv:
            self._pending.append(msg)
            self.seen.append(msg)
            self._cv.notify_all()

    def take(self, pred, timeout, what="a message"):
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for i, m in enumerate(self._pending):
                    if pred(m):
                        return self._pending.pop(i)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out after %.1fs waiting for %s; pending: %r" % (
                        timeout, what, self._pending[-10:]))
                self._cv.wait(left)

    def take_topic(self, topic, timeout=None):
        return self.take(lambda m: m.topic == topic, timeout or t(10), "a message on " + topic)

    def snapshot(self):
        with self._cv:
            return list(self.seen)


class Client:
    """A paho (v1 API) client with an Inbox; resubscribes after every reconnect."""

    def __init__(self, port, subscriptions=(), client_id=None, qos=1, username=None,
                 password=None):
        self.inbox = Inbox()
        self.qos = qos
        self.subs = list(subscriptions)
        self.client_id = client_id or "it-%s" % uuid.uuid4().hex[:12]
        self.connected = threading.Event()
        self._cv = threading.Condition()
        self._acked = set()
        self.on_message_hook = None
        c = mqtt.Client(client_id=self.client_id, clean_session=True,
                        protocol=mqtt.MQTTv311)
        c.max_inflight_messages_set(200)
        c.max_queued_messages_set(0)
        c.reconnect_delay_set(min_delay=0.1, max_delay=1)
        if username is not None:
            c.username_pw_set(username, password)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        self.c = c
        self._first_mids = []
        c.connect("127.0.0.1", port, keepalive=30)
        c.loop_start()
        if not self.connected.wait(t(10)):
            raise AssertionError("MQTT client %s could not connect to %d" % (self.client_id, port))
        for mid in list(self._first_mids):
            self._wait_mid(mid)

    def _on_connect(self, client, userdata, flags, rc):
        if rc != 0:
            return
        mids = []
        for topic in self.subs:
            res, mid = client.subscribe(topic, self.qos)
            if res == mqtt.MQTT_ERR_SUCCESS:
                mids.append(mid)
        self._first_mids = mids
        self.connected.set()

    def _on_disconnect(self, client, userdata, rc):
        self.connected.clear()

    def _on_message(self, client, userdata, message):
        m = Msg(message.topic, message.payload, message.qos)
        self.inbox.add(m)
        if self.on_message_hook:
            self.on_message_hook(m)

    def _on_subscribe(self, client, userdata, mid, granted_qos):
        with self._cv:
            self._acked.add(mid)
            self._cv.notify_all()

    def _wait_mid(self, mid):
        with self._cv:
            if not self._cv.wait_for(lambda: mid in self._acked, t(10)):
                raise AssertionError("no SUBACK for mid %d" % mid)

    def subscribe(self, topic):
        self.subs.append(topic)
        res, mid = self.c.subscribe(topic, self.qos)
        assert res == mqtt.MQTT_ERR_SUCCESS, "subscribe %s: %s" % (topic, res)
        self._wait_mid(mid)

    def publish(self, topic, payload, qos=1, wait=False):
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        info = self.c.publish(topic, payload, qos=qos)
        if wait:
            info.wait_for_publish(t(10))
            assert info.is_published(), "publish to %s was not acknowledged" % topic
        return info

    def close(self):
        try:
            self.c.disconnect()
        finally:
            self.c.loop_stop()


def in_topic(network, unit):
    return "%s/in/%s/%s" % (PREFIX, network, unit)


def out_topic(network, unit):
    return "%s/out/%s/%s" % (PREFIX, network, unit)


def alert_topic(partner):
    return "%s/alerts/%s" % (PREFIX, partner)


def json_request(unit, text, msg_id=None, bridge=None, ts=True):
    o = {"unit": unit, "text": text}
    if msg_id is not None:
        o["msg_id"] = msg_id
    if ts:
        o["ts"] = now_rfc3339()
    if bridge is not None:
        o["bridge"] = bridge
    return json.dumps(o)


def reply_text(msg):
    """The reply of a text request (the payload) or of a JSON request (its "reply")."""
    try:
        o = json.loads(msg.payload)
    except ValueError:
        return msg.text
    if isinstance(o, dict) and "reply" in o:
        return o["reply"]
    return msg.text


# --------------------------------------------------------------------------- env

class Env:
    """Everything one test started; close() stops it all (also on failure)."""

    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.brokers = []
        self.gateways = []
        self.clients = []
        self.expect_clean_stop = True

    def broker(self, port=None, name=None):
        b = Broker(self.tmp / (name or "broker%d" % len(self.brokers)), port)
        self.brokers.append(b)
        return b.start()

    def gateway(self, broker, start=True, name="gw", **cfg):
        g = Gateway(self.tmp / name, gw_config(broker.port, **cfg))
        self.gateways.append(g)
        if start:
            g.start()
        return g

    def client(self, broker, subscriptions=(), **kw):
        c = Client(broker.port, subscriptions, **kw)
        self.clients.append(c)
        return c

    def standard(self, **cfg):
        """A broker, a gateway with cfg, and a client subscribed to replies and alerts."""
        b = self.broker()
        g = self.gateway(b, **cfg)
        c = self.client(b, ["%s/out/#" % PREFIX, "%s/alerts/#" % PREFIX])
        return b, g, c

    def log_tails(self):
        out = []
        for g in self.gateways:
            out.append(("patrolgw log tail (%s)" % g.log_path, tail(g.log_path, 120)))
        for b in self.brokers:
            out.append(("mosquitto log tail (%s)" % b.log_path, tail(b.log_path, 30)))
        return out

    def close(self):
        problems = []
        for c in self.clients:
            try:
                c.close()
            except Exception:  # noqa: BLE001 - teardown must go on
                pass
        for g in self.gateways:
            if g.proc is None:
                g.close()
                continue
            was_alive = g.alive()
            expected = g.exit_expected
            rc = g.stop()
            g.close()
            if self.expect_clean_stop:
                if not was_alive:
                    if not expected:
                        problems.append("patrolgw had already exited with %s" % rc)
                elif rc != 0:
                    problems.append("patrolgw exited %s on SIGTERM (expected 0)" % rc)
            rep = g.sanitizer_report()
            if rep:
                problems.append("sanitizer report in %s: %s" % (g.log_path, rep))
        for b in self.brokers:
            b.stop()
        if problems:
            raise AssertionError("; ".join(problems))


# --------------------------------------------------------------------------- bridge

class Bridge:
    """A simulated radio bridge: JSON requests at QoS 1 on patrol/in/<net>/<unit>,
    at most `window` awaiting a reply, anything without a reply after `resend_s`
    is resent unchanged (same msg_id). Replies are matched by msg_id."""

    def __init__(self, port, network, name="bridge-a", window=32, resend_s=2.0):
        self.network = network
        self.name = name
        self.window = window
        self.resend_s = resend_s
        self._cv = threading.Condition()
        self.replies = {}      # msg_id -> [reply dict, ...]
        self.sent_count = {}   # msg_id -> times published
        self.resends = 0
        self._inflight = {}    # msg_id -> (last send time, topic, payload)
        self.client = Client(port, ["%s/out/%s/+" % (PREFIX, network)],
                             client_id="bridge-%s-%s" % (name, uuid.uuid4().hex[:6]))
        self.client.on_message_hook = self._on_reply

    def _on_reply(self, m):
        try:
            o = json.loads(m.payload)
            mid = o.get("msg_id")
        except (ValueError, AttributeError):
            return
        with self._cv:
            if mid in self.sent_count:
                self.replies.setdefault(mid, []).append(o)
                self._inflight.pop(mid, None)
                self._cv.notify_all()

    def replied(self):
        with self._cv:
            return len(self.replies)

    def _send(self, mid, topic, payload):
        self._inflight[mid] = (time.monotonic(), topic, payload)
        self.sent_count[mid] = self.sent_count.get(mid, 0) + 1
        self.client.publish(topic, payload, qos=1)

    def run(self, items, timeout):
        """items: [(unit, text, msg_id)]. Returns when every msg_id has a reply."""
        todo = list(items)
        todo.reverse()
        deadline = time.monotonic() + timeout
        with self._cv:
            for _, _, mid in items:
                self.sent_count.setdefault(mid, 0)
        while True:
            with self._cv:
                while todo and len(self._inflight) < self.window:
                    unit, text, mid = todo.pop()
                    if mid in self.replies:
                        continue
                    payload = json_request(unit, text, mid, bridge=self.name)
                    self._send(mid, in_topic(self.network, unit), payload)
                now = time.monotonic()
                for mid, (at, topic, payload) in list(self._inflight.items()):
                    if now - at >= self.resend_s:
                        self.resends += 1
                        self._send(mid, topic, payload)
                if not todo and not self._inflight:
                    return
                if now >= deadline:
                    raise AssertionError(
                        "bridge %s: %d messages still without a reply after %.0fs "
                        "(%d not sent yet, %d replied, %d resends)" % (
                            self.name, len(self._inflight), timeout, len(todo),
                            len(self.replies), self.resends))
                self._cv.wait(0.05)

    def close(self):
        self.client.close()
