"""Threads and signals: signals are the core's. Every other thread of the
gateway (the SMS modem thread, the curl worker, libmicrohttpd's threads,
including one serving a connection) blocks SIGTERM, SIGINT and SIGHUP, so a
signal always reaches the core's handler and never interrupts a library
thread's system call."""

import http.client
import os

import gwtest
import webtest
from gwtest import t
from smstest import Modem, sms_section
from webtest import Web

SIGNALS = (1, 2, 15)  # SIGHUP, SIGINT, SIGTERM


def blocked(pid, tid):
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        for line in f:
            if line.startswith("SigBlk:"):
                mask = int(line.split()[1], 16)
                return {s for s in SIGNALS if mask & (1 << (s - 1))}
    return set()


def unmasked_threads(pid):
    """Thread id -> the signals it does not block, for each thread but the core."""
    out = {}
    for tid in map(int, os.listdir("/proc/%d/task" % pid)):
        if tid == pid:
            continue
        try:
            missing = set(SIGNALS) - blocked(pid, tid)
        except OSError:
            continue  # ended meanwhile
        if missing:
            out[tid] = sorted(missing)
    return out


def test_only_the_core_thread_takes_signals(env):
    b = env.broker()
    modem = Modem(env.tmp / "modem")
    port, mport = gwtest.free_port(), gwtest.free_port()
    g = env.gateway(b, extra=sms_section(modem.dir) + webtest.http_section(port, metrics_port=mport))
    g.wait_log(r"dashboard on http", what="the dashboard to listen")
    webtest.add_user(g, "pat", "viewer")
    pid = g.proc.pid
    assert len(os.listdir("/proc/%d/task" % pid)) >= 3  # modem, curl, dashboard at least
    assert unmasked_threads(pid) == {}
    assert not blocked(pid, pid), "the core must take the signals"
    # With a connection open (libmicrohttpd may serve it on its own thread).
    w = Web(port)
    assert w.login("pat").status == 303
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=t(20))
    con.request("GET", "/events", headers={"Cookie": "patrol=%s" % w.cookies["patrol"]})
    r = con.getresponse()
    assert r.status == 200 and r.readline().startswith(b"retry:")
    try:
        assert unmasked_threads(pid) == {}
    finally:
        con.close()
    # SIGHUP reaches the core: a reload.
    off = g.log_size()
    g.send_signal(1)
    g.wait_log(r"SIGHUP: reloading", offset=off)
    assert g.alive()


def test_reload_keeps_the_running_timezone(env):
    """setenv("TZ") while the dashboard threads call mktime/localtime_r is a
    data race: the timezone is set once, before any thread starts, and a
    reload that changes it says it needs a restart."""
    b = env.broker()
    tz = "[gateway]\ntimezone = Europe/London\n"
    g = env.gateway(b, extra=tz)
    g.write_config(gwtest.gw_config(b.port, extra=tz.replace("Europe/London", "Asia/Tokyo")))
    off = g.log_size()
    g.send_signal(1)
    g.wait_log(r"reloaded:", offset=off)
    assert "timezone changes take effect at the next restart" in g.log_since(off)
    assert g.alive()
