"""scripts/demo.sh --once end to end: the demo must show an OK reply, an ERR CODE
reply, a DUP and an alert by radio, the reporter's notice of the police ACK and
the update forwarded to the police, reports texted through the simulated modem
with their SMS replies, an SMS alert to the police duty phone, its SMS ACK and
the SMS operative's notice of it, and stop everything it started. Each reply comes
before the alerts it caused; each part has a legend (the simulated bridge, police
contacts and duty phone, DUP); the gateway logs one line per message at info, without
phone numbers or text. Without --once, Ctrl-C (SIGINT to the terminal's process group)
ends it cleanly with a one-line summary."""

import os
import re
import select
import signal
import socket
import subprocess
import time

import gwtest


def test_demo_once(binaries, tmp_path):
    run_dir = tmp_path / "demo-run"
    envv = dict(os.environ, PATROL_BUILD=str(gwtest.BUILD), PATROL_DEMO_DIR=str(run_dir),
                NO_COLOR="1")
    cp = subprocess.run(["bash", str(gwtest.SOURCE / "scripts" / "demo.sh"), "--once"],
                        capture_output=True, text=True, timeout=gwtest.t(120), env=envv,
                        stdin=subprocess.DEVNULL)
    out = cp.stdout
    assert cp.returncode == 0, "demo.sh exited %d\nstdout:\n%s\nstderr:\n%s\ngateway log:\n%s" % (
        cp.returncode, out, cp.stderr, gwtest.tail(run_dir / "patrolgw.log"))
    assert re.search(r"^<- .*OK R\d+ ASB P3 HB12", out, re.M), out
    assert re.search(r"^<- .*ERR CODE: ABS .*ASB", out, re.M), out
    assert re.search(r"^<- .*ERR LOCATION: ", out, re.M), out
    assert re.search(r"^<- .*OK R\d+ SUS P3 HB07.* DUP$", out, re.M), out
    assert re.search(r"ALERT to police: R\d+ RTC P1 at HB03", out), out
    m = re.search(r"^<- police/pc2291 +OK ACK (R\d+)$", out, re.M)
    assert m, out
    ref = m.group(1)
    # The reporter is told, once, on its reply topic; not taken for a reply.
    assert len(re.findall(r"^  \*\* NOTICE to hbbcrp/alpha1: %s ACK by police \d\d:\d\d$" % ref,
                          out, re.M)) == 1, out
    assert re.search(r"^<- hbbcrp/alpha1 +OK UPD %s$" % ref, out, re.M), out
    assert re.search(r"^  !! UPDATE to police: %s RTC P1 at HB03 - cyclist sitting up" % ref,
                     out, re.M), out
    assert re.search(r"^demo: every message answered; \d+ alert\(s\) and [1-9]\d* update\(s\)"
                     r" seen, 1 ACK notice\(s\) to the reporter$", out, re.M), out
    assert re.search(r"^<- .*OK ON HB12 \d\d:\d\d", out, re.M), out
    assert re.search(r"^<- .*OK OFF \d+h\d\d", out, re.M), out
    # SMS through the dummy modem (patrolsim): texts, their replies, a duty-phone alert.
    assert re.search(r"^> sms simsms1 \(07700 900201\) ", out, re.M), out
    assert re.search(r"^< sms simsms\d OK R\d+ \S+ P[1-4] ", out, re.M), out
    m = re.search(r"^! sms alert police to duty1: P[12] \S+ \S+ R(\d+) .*Reply ACK (\d+)$",
                  out, re.M)
    assert m and m.group(1) == m.group(2), out
    assert re.search(r"^< sms duty1 OK ACK R%s$" % m.group(1), out, re.M), out
    # The operative who texted that report is told by SMS that the police have it.
    assert re.search(r"^\* sms simsms\d R%s ACK by police \d\d:\d\d$" % m.group(1), out, re.M), out
    assert re.search(r"^summary \(seed 4\): .* [1-9]\d* ACK notices to reporters;"
                     r" 0 missing replies$", out, re.M), out
    assert re.search(r"^SMS: \d+ texted \(\d+ parts\), \d+ replies, [1-9]\d* ACK notices,"
                     r" 0 replies dropped \(reply limit\), 0 not sent \(failed\);"
                     r" [1-9]\d* duty-phone alerts \(and \d+ resent, \d+ updates\),"
                     r" \d+ not needed \(acknowledged before sending\)$", out, re.M), out
    assert "\033[" not in out, "colour codes in non-tty output"
    lines = out.splitlines()

    def first(pattern):
        for i, ln in enumerate(lines):
            if re.search(pattern, ln):
                return i
        raise AssertionError("%s not in the output:\n%s" % (pattern, out))

    # Replies before the alerts they caused: by radio...
    for m in re.finditer(r"^  !! ALERT to \w+: (R\d+) ", out, re.M):
        assert first(r"^<- \S+ +OK %s " % m.group(1)) < first(re.escape(m.group(0).strip("\n"))), out
    # ...and by SMS (the reply is read back from the store, the alert comes on MQTT).
    for m in re.finditer(r"^! (?:alert \w+|sms alert \w+ to \w+:) .*?R(\d+)", out, re.M):
        if re.search(r"^< sms \S+ OK R%s " % m.group(1), out, re.M):
            assert first(r"^< sms \S+ OK R%s " % m.group(1)) < first(re.escape(m.group(0))), out
    # The legends: who is simulated, and what DUP means.
    assert re.search(r"^Part 1, the radio\. This script plays a radio bridge", out, re.M), out
    assert "police line" in out and "simbridge1" in out and "duty1" in out, out
    assert len(re.findall(r"^ +\.\.\. DUP +the gateway", out, re.M)) == 2, out
    # One info line per message in the gateway's log, without numbers or text.
    log = (run_dir / "patrolgw.log").read_text()
    per_msg = re.findall(r"^\S+ info ingest: (radio|sms) message \d+: \w+.*$", log, re.M)
    assert len(per_msg) >= 20, log
    for ln in log.splitlines():
        if " debug " not in ln:
            assert not re.search(r"\+?44 ?7700|07700|throwing bottles|cyclist", ln), ln
    # Everything the demo started is gone: nothing listens on its port any more.
    conf = (run_dir / "mosquitto.conf").read_text()
    port = int(re.search(r"^listener (\d+)", conf, re.M).group(1))
    s = socket.socket()
    try:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the demo's broker is still running"
    finally:
        s.close()


def test_demo_ctrl_c(binaries, tmp_path):
    """Followed to its end, the demo keeps running; a Ctrl-C at the terminal (SIGINT to
    the whole foreground process group) stops everything it started and prints one
    summary line, exit status 0."""
    run_dir = tmp_path / "demo-run"
    envv = dict(os.environ, PATROL_BUILD=str(gwtest.BUILD), PATROL_DEMO_DIR=str(run_dir),
                NO_COLOR="1")
    p = subprocess.Popen(["bash", str(gwtest.SOURCE / "scripts" / "demo.sh")],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=envv,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    out = ""
    try:
        deadline = time.monotonic() + gwtest.t(120)
        while "gateway log follows" not in out:
            assert time.monotonic() < deadline and p.poll() is None, out
            if select.select([p.stdout], [], [], 1)[0]:
                ln = p.stdout.readline()
                out += ln
        time.sleep(1)
        os.killpg(p.pid, signal.SIGINT)
        rest, _ = p.communicate(timeout=gwtest.t(30))
        out += rest
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert p.returncode == 0, "demo.sh exited %d after Ctrl-C:\n%s" % (p.returncode, out)
    tail = [ln for ln in out.splitlines() if ln.strip()][-1]
    assert re.match(r"^demo: stopped \(Ctrl-C\) after \d+m\d\ds: [1-9]\d* messages \(\d+ OK,"
                    r" \d+ DUP, \d+ ERR, \d+ refused\), [1-9]\d* reports, [1-9]\d* alerts;"
                    r" everything it started is stopped; files in ", tail), out
    assert "exited" not in out and "Traceback" not in out, out
    conf = (run_dir / "mosquitto.conf").read_text()
    port = int(re.search(r"^listener (\d+)", conf, re.M).group(1))
    s = socket.socket()
    try:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the demo's broker is still running"
    finally:
        s.close()
    assert re.search(r"info gateway: stopped$", (run_dir / "patrolgw.log").read_text(), re.M)
