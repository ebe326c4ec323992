"""chaos: seeded random sequences against the real gateway, and the invariants
that must hold after any of them.

One run starts a broker, the dummy modem and patrolgw with the dashboard, then
plays `steps` actions chosen by a seeded random generator: radio reports from
registered, unregistered and open-network units (JSON with a msg_id, resent
unchanged by the bridge until answered, sometimes repeated at once), SMS from
registered and unknown numbers (single, concatenated with parts repeated,
shuffled or missing, UCS-2, binary), ACKs by SMS and on the MQTT ACK topic,
dashboard requests (a failed login, /healthz, /metrics), kill -9 and SIGTERM
with a restart. Then it waits for the bridge's last answers and checks:

- the gateway is running, and never exited unless the run stopped it;
- every radio message was answered, and made at most one report; every valid
  report from a unit allowed to report made exactly one;
- every OK reply names a committed report made from that message's text;
- every SMS from a registered number was journaled once per distinct text,
  no unknown number was ever sent anything;
- every committed SMS part is in a message, or still waiting within its
  multipart timeout;
- no report was made twice (each text carries a unique tag);
- the store passes PRAGMA integrity_check.

tests/integration/test_chaos.py runs a short seeded run in CI;
bench/chaos.sh runs long ones and prints the figures.
"""

import json
import os
import random
import signal
import time
import uuid

import gwtest
import smstest
import webtest
from gwtest import PREFIX, t, wait_until

OPEN_NET = "shopwatch"
CLOSED_NET = "closednet"
OPERATIVES = {"OP1": ("+447700900101", "r1"), "OP2": ("+447700900102", "r2")}
CONTACT = ("POL1", "+447700900201", "police")
UNKNOWN = ["+447700900999", "+447700900998"]
ZONES = ["HB%02d" % i for i in range(1, 13)]
CODES = ["ASB", "THEFT", "RTC", "DMG", "SUS", "MISPER", "ENV"]
MULTIPART_TIMEOUT = 4  # seconds: incomplete sets are joined within a run


class Run:
    """One seeded run; .play() then .check() (raises AssertionError with details)."""

    def __init__(self, env, seed, steps, kill_every=0.04, log=None):
        self.env = env
        self.rnd = random.Random(seed)
        self.seed = seed
        self.steps = steps
        self.kill_every = kill_every
        self.log = log or (lambda *a: None)
        self.tag_n = 0
        self.radio = {}        # msg_id -> dict(unit, net, text, tag, allowed, valid, sends)
        self.answered = {}     # msg_id -> [reply text, ...]
        self.inflight = {}     # msg_id -> last send (monotonic)
        self.sms_texts = {}    # tag -> (number, text, registered)
        self.kills = 0
        self.terms = 0
        self.counts = {}
        self.udh_ref = 0

    # ------------------------------------------------------------------ setup
    def start(self):
        e = self.env
        self.broker = e.broker()
        self.modem = smstest.Modem(e.tmp / "chaos-modem")
        port = gwtest.free_port()
        self.http_port = port
        extra = (smstest.sms_section(self.modem.dir, multipart_timeout=MULTIPART_TIMEOUT,
                                     reply_limit=1000)
                 + webtest.http_section(port))
        self.gw = e.gateway(self.broker, name="chaos", log_level="info", extra=extra,
                            networks={OPEN_NET: False, CLOSED_NET: True})
        g = self.gw
        for cs, (phone, unit) in OPERATIVES.items():
            g.ctl("people", "add", "--callsign", cs, "--name", "Op " + cs, "--role", "operative",
                  "--phone", phone, "--unit", "%s/%s" % (CLOSED_NET, unit))
        cs, phone, partner = CONTACT
        g.ctl("people", "add", "--callsign", cs, "--name", "Contact", "--role", "partner",
              "--partner", partner, "--phone", phone)
        self.client = e.client(self.broker, ["%s/out/#" % PREFIX])
        self.client.on_message_hook = self._on_reply
        self.web = webtest.Web(port)

    def _on_reply(self, m):
        try:
            o = json.loads(m.payload)
        except ValueError:
            return
        mid = o.get("msg_id") if isinstance(o, dict) else None
        if mid in self.radio:
            self.answered.setdefault(mid, []).append(o.get("reply", ""))
            self.inflight.pop(mid, None)

    # ------------------------------------------------------------------ actions
    def _tag(self):
        self.tag_n += 1
        return "q%05dq" % self.tag_n

    def _count(self, what):
        self.counts[what] = self.counts.get(what, 0) + 1

    def _report_text(self, tag, valid=True):
        r = self.rnd
        if not valid:
            return r.choice(["ABS HB12 %s", "ASB P7 HB02 %s", "ASB NOWHERE %s", "XQZW %s"]) % tag
        pr = " P%d" % r.randint(1, 4) if r.random() < 0.5 else ""
        return "%s%s %s %s" % (r.choice(CODES), pr, r.choice(ZONES), tag)

    def _publish_radio(self, mid):
        m = self.radio[mid]
        payload = json.dumps({"msg_id": mid, "bridge": "chaos", "text": m["text"]})
        m["sends"] += 1
        self.inflight[mid] = time.monotonic()
        self.client.publish("%s/in/%s/%s" % (PREFIX, m["net"], m["unit"]), payload, qos=1)

    def act_radio(self):
        r = self.rnd
        choice = r.random()
        if choice < 0.45:
            net, unit, allowed = OPEN_NET, "u%d" % r.randrange(4), True
        elif choice < 0.85:
            net, unit, allowed = CLOSED_NET, r.choice(["r1", "r2"]), True
        else:
            net, unit, allowed = CLOSED_NET, "intruder", False
        tag = self._tag()
        valid = r.random() < 0.85
        mid = "chaos-%d-%s" % (self.seed, tag)
        self.radio[mid] = dict(net=net, unit=unit, text=self._report_text(tag, valid), tag=tag,
                               allowed=allowed, valid=valid, sends=0)
        self._publish_radio(mid)
        if r.random() < 0.2:  # a second bridge heard it too
            self._publish_radio(mid)
        self._count("radio")

    def act_sms(self):
        r = self.rnd
        registered = r.random() < 0.8
        number = r.choice([p for p, _ in OPERATIVES.values()]) if registered else r.choice(UNKNOWN)
        tag = self._tag()
        text = self._report_text(tag, r.random() < 0.9)
        kind = r.random()
        complete = True
        if kind < 0.6:
            self.modem.deliver(number, text)
        elif kind < 0.75:
            text = text + " caf\u00e9 \u2013 \u20ac \U0001f6a8"
            self.modem.deliver(number, text, unicode=True)
        else:
            complete = self._multipart(number, text)
        self.sms_texts[tag] = (number, text, registered, complete)
        self._count("sms")

    def _multipart(self, number, text):
        r = self.rnd
        total = r.randint(2, 4)
        cut = max(1, len(text) // total)
        parts = [text[i * cut:(i + 1) * cut] if i < total - 1 else text[i * cut:]
                 for i in range(total)]
        self.udh_ref = (self.udh_ref + 1) % 256
        order = list(range(total))
        r.shuffle(order)
        complete = True
        if r.random() < 0.2:
            order.pop()  # a part that never comes
            complete = False
            self._count("sms_part_missing")
        if r.random() < 0.3:
            order.append(r.choice(order))  # a part delivered twice
        for i in order:
            self.modem.deliver(number, parts[i], udh=(self.udh_ref, total, i + 1))
        return complete

    def act_flood(self):
        """A stranger's flood of concatenated parts that never complete, each
        part twice (the crash loop of issue 16, item 1: 8 sets of 16 parts)."""
        number = self.rnd.choice(UNKNOWN)
        for _ in range(8):
            self.udh_ref = (self.udh_ref + 1) % 256
            for part in range(1, 16):  # part 16 never comes
                for _ in range(2):
                    self.modem.deliver(number, "x%d" % part, udh=(self.udh_ref, 16, part))
        self._count("sms_flood")

    def act_ack(self):
        r = self.rnd
        refs = [int(x.split()[1][1:]) for v in self.answered.values() for x in v
                if x.startswith("OK R")]
        ref = r.choice(refs) if refs and r.random() < 0.8 else r.randint(1, 99999)
        if r.random() < 0.5:
            self.modem.deliver(CONTACT[1], "ACK R%d" % ref)
        else:
            self.client.publish("%s/ack/%s" % (PREFIX, CONTACT[2]),
                                json.dumps({"ref": "R%d" % ref, "by": CONTACT[0]}), qos=1)
        self._count("ack")

    def act_web(self):
        r = self.rnd
        try:
            k = r.random()
            if k < 0.4:
                self.web.post("/login", {"name": "nobody%d" % r.randrange(5),
                                         "password": uuid.uuid4().hex}, timeout=t(10))
            elif k < 0.7:
                self.web.get("/healthz", timeout=t(10))
            else:
                self.web.get("/metrics", timeout=t(10))
        except OSError:
            if self.gw.alive():
                raise
        self._count("web")

    def act_kill(self):
        g = self.gw
        assert g.alive(), "patrolgw died on its own (seed %d):\n%s" % (
            self.seed, gwtest.tail(g.log_path))
        if self.rnd.random() < 0.75:
            g.kill()
            self.kills += 1
        else:
            rc = g.stop()
            assert rc == 0, "patrolgw exited %s on SIGTERM (seed %d)" % (rc, self.seed)
            self.terms += 1
        if self.rnd.random() < 0.5:
            time.sleep(self.rnd.uniform(0, 1.0))  # the bridge keeps sending meanwhile
        g.start()

    def resend(self, resend_s=2.0):
        now = time.monotonic()
        for mid, at in list(self.inflight.items()):
            if now - at >= resend_s:
                self._publish_radio(mid)
                self._count("radio_resend")

    # ------------------------------------------------------------------ run
    def play(self):
        self.start()
        actions = [(0.45, self.act_radio), (0.245, self.act_sms), (0.1, self.act_ack),
                   (0.2, self.act_web), (0.005, self.act_flood)]
        for _ in range(self.steps):
            x = self.rnd.random()
            if x < self.kill_every:
                self.act_kill()
            else:
                x = self.rnd.random()
                for w, fn in actions:
                    if x < w:
                        fn()
                        break
                    x -= w
            self.resend()
            time.sleep(self.rnd.uniform(0, 0.03))
        self.settle()

    def settle(self, timeout=None):
        """Resends until every radio message is answered."""
        deadline = time.monotonic() + (timeout or t(60))
        while self.inflight and time.monotonic() < deadline:
            self.resend()
            time.sleep(0.1)
        # SMS: the modem's inbox empties, incomplete sets time out.
        self.modem.wait_empty(t(30))
        time.sleep(MULTIPART_TIMEOUT + 1)

    # ------------------------------------------------------------------ invariants
    def cpu_seconds(self):
        """utime + stime of the gateway's core thread (the main thread), in
        seconds. The modem thread polls by design (libgammu's dummy driver
        walks its folder each poll_ms); the core must wait in poll()."""
        pid = self.gw.proc.pid
        with open("/proc/%d/task/%d/stat" % (pid, pid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def check(self):
        g = self.gw
        problems = []
        if not g.alive():
            problems.append("patrolgw is not running:\n" + gwtest.tail(g.log_path))
        else:
            # Idle: after the run the core waits in poll() (issue 16, item 2).
            before = self.cpu_seconds()
            time.sleep(2)
            used = self.cpu_seconds() - before
            if used > 0.2:
                problems.append("patrolgw's core used %.2f s of CPU in 2 s of idleness" % used)
        db = g.db()
        if db.scalar("PRAGMA integrity_check") != "ok":
            problems.append("integrity_check failed")
        reports = db.q("SELECT ref, details, channel FROM reports")
        by_tag = {}
        for rep in reports:
            for word in rep["details"].split():
                if word.startswith("q") and word.endswith("q") and len(word) == 7:
                    by_tag.setdefault(word, []).append(rep["ref"])
        twice = {k: v for k, v in by_tag.items() if len(v) > 1}
        if twice:
            problems.append("reports made twice: %s" % sorted(twice.items())[:10])
        refs = {rep["ref"]: rep["details"] for rep in reports}
        unanswered = [mid for mid in self.radio if mid not in self.answered]
        if unanswered:
            problems.append("%d radio messages never answered, e.g. %s" % (
                len(unanswered), unanswered[:5]))
        for mid, m in self.radio.items():
            made = by_tag.get(m["tag"], [])
            if m["allowed"] and m["valid"] and len(made) != 1:
                problems.append("radio %s (%s/%s %r) made %d reports" % (
                    mid, m["net"], m["unit"], m["text"], len(made)))
            if not (m["allowed"] and m["valid"]) and made:
                problems.append("radio %s (%s/%s %r) made report(s) %s" % (
                    mid, m["net"], m["unit"], m["text"], made))
            for reply in self.answered.get(mid, []):
                if reply.startswith("OK R"):
                    ref = int(reply.split()[1][1:])
                    if ref not in refs or m["tag"] not in refs[ref]:
                        problems.append("reply %r to %s names no committed report of its "
                                        "text" % (reply, mid))
        for number in UNKNOWN:
            n = db.scalar("SELECT count(*) FROM sms_out WHERE to_number = ?", number)
            if n:
                problems.append("%d SMS sent to the unknown number %s" % (n, number))
        now_ms = int(time.time() * 1000)
        stale = db.scalar("SELECT count(*) FROM sms_parts WHERE state = 'waiting'"
                          " AND received_at < ?", now_ms - (MULTIPART_TIMEOUT + 30) * 1000)
        if stale:
            problems.append("%d SMS parts still waiting past their timeout" % stale)
        orphan = db.scalar("SELECT count(*) FROM sms_parts WHERE state = 'done' AND"
                           " (message_id IS NULL OR message_id NOT IN (SELECT id FROM messages))")
        if orphan:
            problems.append("%d SMS parts done without their message" % orphan)
        for tag, (number, text, registered, complete) in self.sms_texts.items():
            rows = db.q("SELECT id, outcome FROM messages WHERE channel = 'sms'"
                        " AND instr(text, ?) > 0", tag)
            # A set with a missing part is joined with a space where it was:
            # the tag may be in the part that never came.
            if complete and not rows:
                problems.append("SMS %r from %s never journaled" % (text, number))
            made = by_tag.get(tag, [])
            if not registered and made:
                problems.append("SMS %r from an unknown number made report(s) %s" % (text, made))
        if problems:
            raise AssertionError("chaos seed %d, %d steps (%s, %d kill -9, %d SIGTERM):\n- %s" % (
                self.seed, self.steps, self.counts, self.kills, self.terms,
                "\n- ".join(problems[:30])))

    def figures(self):
        db = self.gw.db()
        return dict(seed=self.seed, steps=self.steps, kills=self.kills, terms=self.terms,
                    messages=db.scalar("SELECT count(*) FROM messages"),
                    reports=db.scalar("SELECT count(*) FROM reports"),
                    sms_parts=db.scalar("SELECT count(*) FROM sms_parts"),
                    **self.counts)


def stop_all(run):
    """SIGTERM the gateway; it must exit 0."""
    if run.gw.alive():
        assert run.gw.stop(signal.SIGTERM) == 0


def wait_gone(path, timeout):
    wait_until(lambda: not path.exists(), timeout, "%s to go" % path)
