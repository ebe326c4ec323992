#!/usr/bin/env python3
"""demo_bridge.py: plays a radio bridge against a running patrolgw and prints what
happens: each message sent, its reply, every alert (and update of one) seen on
<prefix>/alerts/#, and the notice the reporter gets when a partner acknowledges
("R1042 ACK by police 14:07": it answers nothing that was sent, docs/alerts.md).

Used by scripts/demo.sh; runs on its own too:
    demo_bridge.py --port 1883 [--network shopwatch] [--unit alpha1]
                   [--partner-network police] [--partner-unit pc2291]
Exit status: 0 if every message got a reply, 1 otherwise.
"""

import argparse
import json
import os
import re
import sys
import threading
import time
import uuid

try:
    import paho.mqtt.client as mqtt
except ImportError:
    sys.exit("demo_bridge.py needs paho-mqtt (Debian: apt-get install python3-paho-mqtt)")


# The reporter's notice of a partner's first ACK, as plain text (a bridge that
# sent plain text gets it so; a JSON bridge gets {"msg_id": null, "kind": "notice"}).
NOTICE = re.compile(r"^R\d+ ACK by \S+ \d\d:\d\d$")


class Style:
    """ANSI colours on a terminal, plain text otherwise (or with NO_COLOR)."""

    def __init__(self, enabled):
        self.on = enabled

    def _c(self, code, s):
        return "\033[%sm%s\033[0m" % (code, s) if self.on else s

    def sent(self, s):
        return self._c("36", s)

    def ok(self, s):
        return self._c("32", s)

    def err(self, s):
        return self._c("31", s)

    def alert(self, s):
        return self._c("1;33", s)

    def dim(self, s):
        return self._c("2", s)


class Demo:
    def __init__(self, args, style):
        self.args = args
        self.st = style
        self.prefix = args.prefix
        self.lock = threading.Lock()
        self.cv = threading.Condition(self.lock)
        self.print_lock = threading.Lock()
        self.replies = {}   # reply topic -> [payload str]
        self.alerts = []    # (partner, dict): first alerts
        self.updates = []   # (partner, dict): UPD/CLR forwarded, resends, reminders
        self.notices = []   # (reply topic, text)
        self.failures = 0
        # While a message waits for its reply, alert and notice lines wait too:
        # the gateway publishes a report's alerts as it answers, and they can
        # arrive first. They are printed right after the reply.
        self.waiting = False
        self.held = []
        self.connected = threading.Event()
        c = mqtt.Client(client_id="demo-bridge-%s" % uuid.uuid4().hex[:6], clean_session=True)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        self.c = c

    def _on_connect(self, client, userdata, flags, rc):
        if rc == 0:
            client.subscribe("%s/out/#" % self.prefix, 1)
            client.subscribe("%s/alerts/#" % self.prefix, 1)
            self.connected.set()

    def _on_message(self, client, userdata, msg):
        text = msg.payload.decode("utf-8", "replace")
        with self.cv:
            if msg.topic.startswith(self.prefix + "/alerts/"):
                partner = msg.topic.rsplit("/", 1)[1]
                try:
                    a = json.loads(text)
                except ValueError:
                    a = {"raw": text}
                if a.get("kind", "alert") == "alert":
                    self.alerts.append((partner, a))
                else:
                    self.updates.append((partner, a))
                self.print_alert(partner, a)
            elif self._notice(text) is not None:
                # Not the reply to anything sent: never taken for one.
                self.notices.append((msg.topic, self._notice(text)))
                self.out_after_reply(self.st.ok("  ** NOTICE to %s: %s" % (
                    msg.topic.split("/", 2)[2], self._notice(text))))
            else:
                self.replies.setdefault(msg.topic, []).append(text)
            self.cv.notify_all()

    @staticmethod
    def _notice(text):
        """The notice's text if this out-topic message is an ACK notice, else None."""
        try:
            j = json.loads(text)
        except ValueError:
            j = None
        if isinstance(j, dict):
            return j.get("reply") if j.get("kind") == "notice" else None
        return text if NOTICE.match(text) else None

    def out(self, line=""):
        # One write per line under its own lock: the MQTT thread prints alerts
        # and notices while the main thread prints replies.
        with self.print_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def out_after_reply(self, line):
        """An alert or notice line: held while a reply is awaited (caller holds cv)."""
        if self.waiting:
            self.held.append(line)
        else:
            self.out(line)

    def release(self):
        """Prints the lines held while a reply was awaited (caller holds cv)."""
        self.waiting = False
        held, self.held = self.held, []
        for line in held:
            self.out(line)

    def print_alert(self, partner, a):
        kind = a.get("kind", "alert")
        if kind == "update":
            self.out_after_reply(self.st.alert("  !! %s to %s: %s %s P%s at %s - %s, by %s [%s]" % (
                "CLEARED" if a.get("update") == "cleared" else "UPDATE", partner, a.get("ref"),
                a.get("code"), a.get("priority"), a.get("zone") or a.get("location") or "?",
                a.get("text") or "-", a.get("by") or "?", a.get("alert_id"))))
            return
        if kind != "alert":
            self.out_after_reply(self.st.alert("  !! %s to %s: %s (%s) [%s]" % (
                kind.upper(), partner, a.get("ref"), a.get("note") or kind, a.get("alert_id"))))
            return
        who = a.get("reporter") or "?"
        where = a.get("location") or "?"
        if a.get("zone") and a.get("zone") != where:
            where += " (%s)" % a["zone"]
        self.out_after_reply(self.st.alert("  !! ALERT to %s: %s %s P%s at %s - %s, from %s [%s]" % (
            partner, a.get("ref"), a.get("code"), a.get("priority"), where,
            a.get("details") or "-", who, a.get("alert_id"))))

    def connect(self):
        self.c.connect(self.args.host, self.args.port, keepalive=30)
        self.c.loop_start()
        if not self.connected.wait(10):
            sys.exit("demo_bridge: cannot connect to %s:%d" % (self.args.host, self.args.port))
        time.sleep(0.2)  # let the SUBACKs land before the first publish

    def send(self, network, unit, text, msg_id=None, bridge=None, note=""):
        """Publishes one message (JSON when msg_id is given) and waits for its reply."""
        topic = "%s/in/%s/%s" % (self.prefix, network, unit)
        reply_topic = "%s/out/%s/%s" % (self.prefix, network, unit)
        if msg_id is not None:
            payload = json.dumps({"unit": unit, "text": text, "msg_id": msg_id,
                                  "bridge": bridge or "demo-bridge"})
        else:
            payload = text
        with self.cv:
            before = len(self.replies.get(reply_topic, []))
            self.waiting = True
        label = "%s/%s" % (network, unit)
        extra = " (msg_id %s)" % msg_id if msg_id else ""
        self.out(self.st.sent("-> %-20s %s%s" % (label, text, extra)) +
                 (self.st.dim("   # " + note) if note else ""))
        self.c.publish(topic, payload.encode("utf-8"), qos=1)
        deadline = time.monotonic() + self.args.timeout
        with self.cv:
            while len(self.replies.get(reply_topic, [])) <= before:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.failures += 1
                    self.out(self.st.err("<- (no reply within %.0fs)" % self.args.timeout))
                    self.release()
                    return None
                self.cv.wait(left)
            raw = self.replies[reply_topic][before]
        reply = raw
        if msg_id is not None:
            try:
                reply = json.loads(raw).get("reply", raw)
            except (ValueError, AttributeError):
                pass
        paint = self.st.err if reply.startswith("ERR") else self.st.ok
        with self.cv:
            self.out(paint("<- %-20s %s" % (label, reply)))
            self.release()
        return reply

    def wait_alert(self, ref, timeout):
        deadline = time.monotonic() + timeout
        with self.cv:
            while not any(a.get("ref") == ref for _, a in self.alerts):
                left = deadline - time.monotonic()
                if left <= 0:
                    self.out(self.st.err("   (no alert for %s within %.0fs)" % (ref, timeout)))
                    self.failures += 1
                    return False
                self.cv.wait(left)
        return True

    def wait_notice(self, ref, timeout):
        """Waits for the reporter's notice that ref was acknowledged."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while not any(t.split()[0] == ref for _, t in self.notices):
                left = deadline - time.monotonic()
                if left <= 0:
                    self.out(self.st.err("   (no ACK notice for %s within %.0fs)" % (ref, timeout)))
                    self.failures += 1
                    return False
                self.cv.wait(left)
        return True

    def pause(self):
        time.sleep(self.args.pause)

    def script(self):
        a = self.args
        net, unit = a.network, a.unit
        pn, pu = a.partner_network, a.partner_unit
        for line in (
            "Part 1, the radio. This script plays a radio bridge (the box that relays what is",
            "said on the %s radio network to MQTT) for the operative on unit %s, and the" % (net, unit),
            "police line: the police contact on unit %s/%s, who reads the police's alerts" % (pn, pu),
            "and acknowledges one. patrolgw, the gateway, is the real program.",
            "  -> UNIT TEXT   what the simulated bridge relays (%s/in/NETWORK/UNIT)" % self.prefix,
            "  <- UNIT REPLY  the gateway's answer to it, one SMS-sized line (%s/out/...)" % self.prefix,
            "  !! ALERT/UPDATE to PARTNER  what the gateway sends a partner (police, council,",
            "                 bcrp) on %s/alerts/PARTNER, after the reply that caused it" % self.prefix,
            "  ** NOTICE      the reporter is told that a partner acknowledged its report",
            "  ... DUP        the gateway has answered this message before (here the same",
            "                 msg_id heard by a second bridge; also the same text from the same",
            "                 sender within 10 minutes): it repeats its answer, makes nothing new",
        ):
            self.out(self.st.dim(line) if line.startswith("  ") else line)
        self.out()
        self.send(net, unit, "ASB P3 HB12 youths throwing bottles on the pier", note="a report")
        self.pause()
        self.send(net, unit, "THEFT CT6 male red jacket left the shop", note="a postcode district")
        self.pause()
        self.send(net, unit, "ABS HB05 group shouting by the bandstand", note="a typo in the code")
        self.pause()
        self.send(net, unit, "ASB XX99 group shouting", note="a location nobody knows")
        self.pause()
        mid = "demo-%s" % uuid.uuid4().hex[:8]
        self.send(net, unit, "SUS HB07 grey van slow past the school", msg_id=mid,
                  note="sent by the bridge")
        self.pause()
        self.send(net, unit, "SUS HB07 grey van slow past the school", msg_id=mid,
                  bridge="demo-bridge-2", note="the same msg_id resent: a duplicate")
        self.pause()
        reply = self.send(net, unit, "RTC P1 HB03 car v cyclist amb called",
                          note="P1: the police are alerted")
        ref = reply.split()[1] if reply and reply.startswith("OK R") else None
        if ref:
            self.wait_alert(ref, self.args.timeout)
        self.pause()
        self.send(net, unit, "ON HB12", note="shift starts")
        self.pause()
        if ref:
            self.send(a.partner_network, a.partner_unit, "ACK %s" % ref,
                      note="the police contact acknowledges; the reporter is told")
            self.wait_notice(ref, self.args.timeout)
            self.pause()
            self.send(net, unit, "UPD %s cyclist sitting up, ambulance on scene" % ref,
                      note="an update, forwarded to the partners alerted")
            self.pause()
        self.send(net, unit, "OFF", note="shift ends")
        self.pause()
        self.send(net, unit, "HELP")
        self.out()
        with self.cv:
            n_alerts, n_updates, n_notices = len(self.alerts), len(self.updates), len(self.notices)
        if self.failures:
            self.out(self.st.err("demo: %d step(s) got no answer" % self.failures))
        else:
            self.out(self.st.ok("demo: every message answered; %d alert(s) and %d update(s) "
                                "seen, %d ACK notice(s) to the reporter" % (
                                    n_alerts, n_updates, n_notices)))
        return 1 if self.failures else 0

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--prefix", default="patrol")
    p.add_argument("--network", default="shopwatch")
    p.add_argument("--unit", default="alpha1")
    p.add_argument("--partner-network", default="police")
    p.add_argument("--partner-unit", default="pc2291")
    p.add_argument("--pause", type=float, default=0.5, help="seconds between messages")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a reply")
    args = p.parse_args()
    style = Style(sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    d = Demo(args, style)
    d.connect()
    try:
        rc = d.script()
    except KeyboardInterrupt:
        rc = 130  # Ctrl-C: demo.sh stops everything and says so
    finally:
        d.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
