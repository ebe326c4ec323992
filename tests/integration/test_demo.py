"""scripts/demo.sh --once end to end: the demo must show an OK reply, an ERR CODE
reply, a DUP and an alert by radio, reports texted through the simulated modem
with their SMS replies, an SMS alert to the police duty phone and its SMS ACK,
and stop everything it started."""

import os
import re
import socket
import subprocess

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
    assert re.search(r"^<- .*OK ACK R\d+", out, re.M), out
    assert re.search(r"^<- .*OK ON HB12 \d\d:\d\d", out, re.M), out
    assert re.search(r"^<- .*OK OFF \d+h\d\d", out, re.M), out
    # SMS through the dummy modem (patrolsim): texts, their replies, a duty-phone alert.
    assert re.search(r"^> sms simsms1 \(07700 900201\) ", out, re.M), out
    assert re.search(r"^< sms simsms\d OK R\d+ \S+ P[1-4] ", out, re.M), out
    m = re.search(r"^! sms alert police to duty1: P[12] \S+ \S+ R(\d+) .*Reply ACK (\d+)$",
                  out, re.M)
    assert m and m.group(1) == m.group(2), out
    assert re.search(r"^< sms duty1 OK ACK R%s$" % m.group(1), out, re.M), out
    assert re.search(r"^summary \(seed 4\): .* 0 missing replies$", out, re.M), out
    assert re.search(r"^SMS: \d+ texted .* 0 not sent \(failed\); [1-9]\d* duty-phone alerts$",
                     out, re.M), out
    assert "\033[" not in out, "colour codes in non-tty output"
    # Everything the demo started is gone: nothing listens on its port any more.
    conf = (run_dir / "mosquitto.conf").read_text()
    port = int(re.search(r"^listener (\d+)", conf, re.M).group(1))
    s = socket.socket()
    try:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the demo's broker is still running"
    finally:
        s.close()
