"""Fault injection: the store's disk fills up, another process holds the store's
write lock, the gateway is frozen (SIGSTOP). A bridge streams reports the whole
time and resends what is not answered. After each fault: the gateway is still
running and recovers by itself, every message is answered, each made exactly
one report, the store passes integrity_check, and the log said what happened.
(The broker restart and the modem unplugged are in test_radio.py and
test_sms.py; kill -9 in test_crash.py and test_chaos.py.)

PATROL_FAULT_SECONDS sets how long each fault lasts (default 8; bench runs use 60).
"""

import os
import re
import sqlite3
import signal
import subprocess
import threading
import time

import pytest

import gwtest
from gwtest import refnum, t

NET = "shopwatch"
FAULT_S = float(os.environ.get("PATROL_FAULT_SECONDS") or 8)


def stream(env, b, n, tag, during):
    """Runs a bridge over n reports; `during(bridge)` runs in a thread meanwhile."""
    items = [("u%02d" % (i % 8), "ASB P3 HB%02d %s %d" % (i % 12 + 1, tag, i),
              "%s-%04d" % (tag, i)) for i in range(n)]
    bridge = gwtest.Bridge(b.port, NET, name="bridge-" + tag, window=16, resend_s=1.5)
    failure = []

    def fault():
        try:
            during(bridge)
        except BaseException as ex:  # noqa: BLE001 - reported by the main thread
            failure.append(ex)

    th = threading.Thread(target=fault, daemon=True)
    th.start()
    try:
        bridge.run(items, timeout=t(120 + 2 * FAULT_S))
    finally:
        bridge.close()
    th.join(t(30 + FAULT_S))
    assert not th.is_alive(), "the fault thread did not finish"
    assert not failure, failure
    return items, bridge


def check_once(db, items, bridge, tag):
    """Every message answered with one reference and made exactly one report."""
    assert db.scalar("PRAGMA integrity_check") == "ok"
    for _, _, mid in items:
        got = bridge.replies[mid]
        refs = {refnum(o.get("ref")) for o in got}
        assert len(refs) == 1 and got[0]["reply"].startswith("OK R"), (mid, got)
    rows = db.q("SELECT m.msg_id, COUNT(r.ref) AS n FROM messages m JOIN reports r ON %s"
                " WHERE m.msg_id LIKE ? GROUP BY m.msg_id" % db.report_join(), tag + "-%")
    counts = {r["msg_id"]: r["n"] for r in rows}
    assert counts == {mid: 1 for _, _, mid in items}, {
        k: v for k, v in counts.items() if v != 1}


@pytest.fixture
def small_fs(env):
    """A 6 MiB tmpfs of the test's own (root only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.fail("the disk-full test mounts a small tmpfs: run the suite as root")
    d = env.tmp / "small"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", str(d)],
                   check=True)
    yield d
    for g in env.gateways:
        g.stop()
    subprocess.run(["umount", "-l", str(d)], check=False)


def test_disk_full_then_space_again_loses_nothing(env, small_fs):
    b = env.broker()
    store = small_fs / "patrolgw.db"
    g = env.gateway(b, store=str(store))
    filler = small_fs / "filler"

    def fill(bridge):
        gwtest.wait_until(lambda: bridge.replied() >= 60, t(60), "60 replies before the fault")
        off = g.log_size()
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass  # ENOSPC: the disk is full
        # What an operator sees: the log names the fault.
        g.wait_log(r"(disk|database or disk) is full|no space", offset=off, timeout=t(30),
                   what="the log to say the disk is full")
        time.sleep(FAULT_S)
        assert g.alive(), "patrolgw died on a full disk:\n" + gwtest.tail(g.log_path)
        filler.unlink()

    items, bridge = stream(env, b, 300, "full", fill)
    assert g.alive()
    check_once(gwtest.Store(store), items, bridge, "full")
    # patrolctl status says it happened once the store can be written again.
    def said():
        out = g.ctl("status").stdout
        m = re.search(r"store_errors_since_start\D*(\d+)", out)
        return m and int(m.group(1)) > 0 and "last_store_error_at" in out and out
    gwtest.wait_until(said, t(15), "patrolctl status to count the store errors")


def test_store_write_locked_by_another_process_loses_nothing(env):
    b = env.broker()
    g = env.gateway(b)

    def lock(bridge):
        gwtest.wait_until(lambda: bridge.replied() >= 60, t(60), "60 replies before the fault")
        con = sqlite3.connect(str(g.db_path), timeout=30, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            replied = bridge.replied()
            time.sleep(FAULT_S)
            # Nothing is answered while the store cannot be written.
            assert bridge.replied() <= replied + 16, (replied, bridge.replied())
            assert g.alive()
        finally:
            con.execute("ROLLBACK")
            con.close()

    items, bridge = stream(env, b, 300, "lock", lock)
    assert g.alive()
    check_once(g.db(), items, bridge, "lock")


def test_frozen_gateway_resumes_and_loses_nothing(env):
    b = env.broker()
    g = env.gateway(b)

    def freeze(bridge):
        gwtest.wait_until(lambda: bridge.replied() >= 60, t(60), "60 replies before the fault")
        g.send_signal(signal.SIGSTOP)
        try:
            time.sleep(FAULT_S)
        finally:
            g.proc.send_signal(signal.SIGCONT)

    items, bridge = stream(env, b, 300, "stop", freeze)
    assert g.alive()
    check_once(g.db(), items, bridge, "stop")
