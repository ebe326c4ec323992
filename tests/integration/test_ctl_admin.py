"""patrolctl administration against a store filled by a seeded patrolsim run
through a real gateway: people edit/remove, partners, tail, purge, audit,
backup, status. Figures are checked against counts computed here from the
store (read-only SQL), not against patrolctl's own code."""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import gwtest
from gwtest import t

PATROLSIM = gwtest.BUILD / "patrolsim"
SEED = 11
DAY_MS = 24 * 3600 * 1000


def run_sim(g, *args, timeout=None):
    cp = gwtest.run([PATROLSIM, "--config", g.conf, "--json", "--quiet", *args],
                    timeout=timeout or t(120))
    assert cp.returncode == 0, "patrolsim failed: %s" % cp.stderr
    return json.loads(cp.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def sim_env(request, tmp_path_factory, binaries):
    """A broker and a gateway, and a seeded patrolsim run with registered people."""
    if not os.access(PATROLSIM, os.X_OK):
        pytest.fail("%s is missing" % PATROLSIM, pytrace=False)
    e = gwtest.Env(tmp_path_factory.mktemp("admin"))
    try:
        b = e.broker()
        g = e.gateway(b)
        summary = run_sim(g, "--register", "--seed", str(SEED), "--count", "80",
                          "--rate", "40", "--operatives", "5", "--bridges", "3")
    except BaseException:
        e.close()
        raise
    yield e, b, g, summary
    e.close()


def ctl_json(g, *args, check=True):
    cp = g.ctl(*args, "--json", check=check)
    return json.loads(cp.stdout)


def dump(path, skip=("gateway_status",)):
    """Every table's rows, sorted, as a dict: the store's content."""
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {tb: sorted(con.execute("SELECT * FROM \"%s\"" % tb).fetchall(), key=repr)
                for tb in tables if tb not in skip}
    finally:
        con.close()


# --------------------------------------------------------------------- the run itself

def test_sim_run_filled_the_store(sim_env):
    e, b, g, s = sim_env
    db = g.db()
    assert s["missing_replies"] == 0
    assert s["sent"] == db.scalar("SELECT count(*) FROM messages")
    assert s["reports"] == db.scalar("SELECT count(*) FROM reports") > 10
    assert s["alerts_seen"] == db.scalar("SELECT count(*) FROM alerts WHERE kind = 'alert'") > 0
    assert s["acks_ok"] > 0


# --------------------------------------------------------------------- partners

def test_partners_health_matches_the_alerts_table(sim_env):
    e, b, g, s = sim_env
    rows = {r["partner"]: r for r in ctl_json(g, "partners")}
    assert set(rows) == set(gwtest.DEFAULT_PARTNERS)
    db = g.db()
    for name in gwtest.DEFAULT_PARTNERS:
        want = {st: db.scalar("SELECT count(*) FROM alerts WHERE partner = ? AND state = ? AND "
                              "kind <> 'notice'", name, st)
                for st in ("pending", "sent", "acked", "failed")}
        r = rows[name]
        assert r["configured"] is True
        assert (r["pending"], r["sent"], r["acked"], r["dead"]) == (
            want["pending"], want["sent"], want["acked"], want["failed"]), name
        last = db.scalar("SELECT max(sent_at) FROM alerts WHERE partner = ? AND kind <> 'notice'",
                         name)
        if last is None:
            assert r["last_success"] is None
        else:
            got = gwtest.parse_rfc3339(r["last_success"]).timestamp() * 1000
            assert abs(got - last) < 1
    # The police rule (P1-P2, any code or zone) is shown.
    assert rows["police"]["routing"].startswith("P1-P2, codes all, zones all")
    assert "zones HB12" in rows["seafront"]["routing"]
    # Every alert patrolsim saw was delivered; every ACK it got answered is an acked alert.
    assert db.scalar("SELECT count(*) FROM alerts WHERE kind = 'alert' AND state IN "
                     "('sent', 'acked')") == s["alerts_seen"]
    assert db.scalar("SELECT count(*) FROM alerts WHERE kind = 'alert' AND state = 'acked'") \
        == s["acks_ok"]
    text = g.ctl("partners").stdout
    assert "police" in text and "LAST_SUCCESS" in text


# --------------------------------------------------------------------- audit

def test_audit_lists_registrations_and_acks(sim_env):
    e, b, g, s = sim_env
    rows = ctl_json(g, "audit")
    db = g.db()
    assert len(rows) == db.scalar("SELECT count(*) FROM audit")
    adds = [r for r in rows if r["action"] == "people add"]
    assert sorted(r["object"] for r in adds) == sorted(
        ["SIMOP%d" % i for i in range(1, 6)] + ["SIMPC%d" % i for i in range(1, 4)])
    assert all(r["actor"] == "patrolsim" for r in adds)
    acks = [r for r in rows if r["action"] == "ack"]
    events = db.q("SELECT ref, by FROM report_events WHERE kind = 'ack' ORDER BY id")
    assert [(r["object"], r["actor"]) for r in acks] == [("R%d" % ev["ref"], ev["by"])
                                                         for ev in events]
    assert len(acks) == s["acks_ok"]
    v = ctl_json(g, "audit", "--verify")
    assert v["ok"] is True and v["rows"] == len(rows)
    assert v["head"] == db.scalar("SELECT hash FROM audit ORDER BY id DESC LIMIT 1")


def test_audit_verify_detects_a_row_changed_and_a_row_removed(sim_env, tmp_path):
    e, b, g, s = sim_env
    n = g.db().scalar("SELECT count(*) FROM audit")
    assert n >= 5
    changed = tmp_path / "changed.db"
    removed = tmp_path / "removed.db"
    g.ctl("backup", changed)
    g.ctl("backup", removed)
    assert gwtest.patrolctl("--db", changed, "audit", "--verify").returncode == 0
    # Changed behind patrolgw's back: row 3's detail, with plain SQL.
    con = sqlite3.connect(changed)
    con.execute("UPDATE audit SET actor = 'mallory' WHERE id = 3")
    con.commit()
    con.close()
    cp = gwtest.patrolctl("--db", changed, "audit", "--verify", check=False)
    assert cp.returncode == 1
    assert "row 3" in cp.stdout and "changed" in cp.stdout
    r = json.loads(gwtest.patrolctl("--db", changed, "audit", "--verify", "--json",
                                    check=False).stdout)
    assert r["ok"] is False and r["bad_id"] == 3
    # Removed: row 4 goes; row 5 is the first that no longer verifies.
    con = sqlite3.connect(removed)
    con.execute("DELETE FROM audit WHERE id = 4")
    con.commit()
    con.close()
    r = json.loads(gwtest.patrolctl("--db", removed, "audit", "--verify", "--json",
                                    check=False).stdout)
    assert r["ok"] is False and r["bad_id"] == 5 and "missing" in r["reason"]
    # Removed and renumbered to hide the gap: the chain still breaks at row 4.
    con = sqlite3.connect(removed)
    con.execute("UPDATE audit SET id = id - 1 WHERE id > 4")
    con.commit()
    con.close()
    r = json.loads(gwtest.patrolctl("--db", removed, "audit", "--verify", "--json",
                                    check=False).stdout)
    assert r["ok"] is False and r["bad_id"] == 4


def test_audit_verify_on_the_live_store_while_the_gateway_runs(sim_env):
    """A row changed in the gateway's own store, under the running gateway."""
    e, b, g, s = sim_env
    assert g.ctl("audit", "--verify").returncode == 0
    con = sqlite3.connect(g.db_path, timeout=t(10))
    try:
        old = con.execute("SELECT detail FROM audit WHERE id = 2").fetchone()[0]
        con.execute("UPDATE audit SET detail = 'role=partner units=1' WHERE id = 2")
        con.commit()
        cp = g.ctl("audit", "--verify", check=False)
        assert cp.returncode == 1 and "row 2" in cp.stdout
    finally:
        con.execute("UPDATE audit SET detail = ? WHERE id = 2", (old,))
        con.commit()
        con.close()
    assert g.ctl("audit", "--verify").returncode == 0


# --------------------------------------------------------------------- backup

def test_backup_while_running_restores_an_identical_store(sim_env, tmp_path):
    e, b, g, s = sim_env
    bak = tmp_path / "patrolgw.bak"
    cp = g.ctl("backup", bak)
    assert "backup written" in cp.stdout
    assert not Path(str(bak) + "-wal").exists()
    # Restored: copied to a new place and opened as a store.
    restored = tmp_path / "restored.db"
    shutil.copy(bak, restored)
    assert dump(restored) == dump(g.db_path)
    con = sqlite3.connect(restored)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA user_version").fetchone()[0] == \
        sqlite3.connect("file:%s?mode=ro" % g.db_path, uri=True).execute(
            "PRAGMA user_version").fetchone()[0]
    con.close()
    assert gwtest.patrolctl("--db", restored, "audit", "--verify").returncode == 0
    # An existing file is not overwritten without --force.
    cp = g.ctl("backup", bak, check=False)
    assert cp.returncode == 1 and "exists" in cp.stderr
    g.ctl("backup", "--force", bak)


def test_backup_during_traffic_is_consistent(sim_env, tmp_path):
    """Backups taken while patrolsim streams: each is one commit's view."""
    e, b, g, s = sim_env
    sim = subprocess.Popen([str(PATROLSIM), "--config", str(g.conf), "--quiet", "--json",
                            "--seed", "99", "--count", "120", "--rate", "100"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        copies = []
        for i in range(4):
            p = tmp_path / ("during%d.db" % i)
            g.ctl("backup", p)
            copies.append(p)
        out, err = sim.communicate(timeout=t(120))
        assert sim.returncode == 0, err
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait()
    for p in copies:
        con = sqlite3.connect(p)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            # Every report has its journaled message and its received event: they
            # were committed together.
            orphans = con.execute(
                "SELECT count(*) FROM reports r WHERE NOT EXISTS (SELECT 1 FROM messages m"
                " WHERE m.ref = r.ref AND m.outcome = 'accepted')"
                " OR NOT EXISTS (SELECT 1 FROM report_events ev WHERE ev.ref = r.ref"
                " AND ev.kind = 'received')").fetchone()[0]
            assert orphans == 0
        finally:
            con.close()


# --------------------------------------------------------------------- status

def test_status_running(sim_env):
    e, b, g, s = sim_env
    r = ctl_json(g, "status")
    assert r["running"] is True and r["pid_alive"] is True
    assert int(r["status"]["pid"]) == g.proc.pid
    assert r["status"]["state"] == "running"
    assert r["heartbeat_age_s"] < t(15)
    db = g.db()
    assert r["queues"]["alerts_pending"] == db.scalar(
        "SELECT count(*) FROM alerts WHERE state = 'pending'")
    assert r["queues"]["reports_open"] == db.scalar(
        "SELECT count(*) FROM reports WHERE status = 'open'")
    cp = g.ctl("status")
    assert cp.returncode == 0 and "running (pid %d" % g.proc.pid in cp.stdout


def test_status_stopped_and_killed(env):
    b = env.broker()
    g = env.gateway(b)
    g.wait_log(r"subscribed to")
    gwtest.wait_until(lambda: g.ctl("status", check=False).returncode == 0, t(15),
                      "status to say running")
    g.stop()
    cp = g.ctl("status", check=False)
    assert cp.returncode == 1 and "NOT running" in cp.stdout and "stopped" in cp.stdout
    assert ctl_json(g, "status", check=False)["running"] is False
    g.start()
    gwtest.wait_until(lambda: ctl_json(g, "status", check=False)["status"].get("pid")
                      == str(g.proc.pid), t(15), "the new pid in the status rows")
    assert g.ctl("status", check=False).returncode == 0
    g.kill()
    r = ctl_json(g, "status", check=False)
    assert r["running"] is False and r["pid_alive"] is False
    assert "gone" in r["reason"]
    # A store patrolgw never ran on.
    fresh = env.tmp / "fresh.db"
    gwtest.patrolctl("--db", fresh, "people", "add", "--callsign", "NEW1", "--name", "N",
                     "--role", "operative")
    cp = gwtest.patrolctl("--db", fresh, "status", check=False)
    assert cp.returncode == 1 and "never run" in cp.stdout


# --------------------------------------------------------------------- tail

def test_tail_shows_reports_alerts_and_acks_as_committed(sim_env):
    e, b, g, s = sim_env
    tail = subprocess.Popen([str(gwtest.PATROLCTL), "--config", str(g.conf), "tail", "--json",
                             "--count", "4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        # Its start line says from where it watches.
        line = tail.stderr.readline()
        assert "watching" in line, line
        c = e.client(b, ["%s/out/#" % gwtest.PREFIX])
        c.publish(gwtest.in_topic("shopwatch", "simop1"),
                  gwtest.json_request("simop1", "RTC P1 HB12 car v cyclist", msg_id="tail-1"))
        m = c.inbox.take(lambda m: m.topic == gwtest.out_topic("shopwatch", "simop1") and
                         "tail-1" in m.text, t(10))
        ref = gwtest.OK_REPORT.match(gwtest.reply_text(m)).group(1)
        # police (P1-P2) and seafront (HB12) are alerted; SIMPC1 is police's contact.
        c.publish(gwtest.in_topic("shopwatch", "simpc1"),
                  gwtest.json_request("simpc1", "ACK R%s" % ref, msg_id="tail-2"))
        out, err = tail.communicate(timeout=t(20))
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait()
    assert tail.returncode == 0, err
    items = [json.loads(x) for x in out.splitlines()]
    assert [i["kind"] for i in items] == ["report", "alert", "alert", "ack"]
    assert all(i["ref"] == "R" + ref for i in items)
    assert items[0]["code"] == "RTC" and items[0]["priority"] == 1 and items[0]["zone"] == "HB12"
    assert items[0]["reporter"] == "SIMOP1"
    assert sorted(i["partner"] for i in items[1:3]) == ["police", "seafront"]
    assert items[3]["by"] == "SIMPC1" and items[3]["partner"] == "police"


def test_tail_stops_on_ctrl_c(sim_env):
    e, b, g, s = sim_env
    tail = subprocess.Popen([str(gwtest.PATROLCTL), "--config", str(g.conf), "tail"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "watching" in tail.stderr.readline()
        tail.send_signal(signal.SIGINT)
        assert tail.wait(timeout=t(10)) == 0
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait()


# --------------------------------------------------------------------- people

def test_people_edit_and_remove_keep_reports_pseudonymised(sim_env):
    e, b, g, s = sim_env
    db = g.db()
    cp = g.ctl("people", "edit", "SIMOP2", "--name", "Alex Reed", "--phone", "07700 900456",
               "--unit", "shopwatch/simop2", "--unit", "shopwatch/spare9", "--actor", "coord1")
    assert "name,phone,units" in cp.stdout
    p = db.one("SELECT * FROM people WHERE callsign = 'SIMOP2'")
    assert (p["name"], p["phone"]) == ("Alex Reed", "+447700900456")
    assert sorted(r["unit"] for r in db.q("SELECT unit FROM radio_units WHERE person_id = ?",
                                          p["id"])) == ["simop2", "spare9"]
    reports_before = db.scalar("SELECT count(*) FROM reports")
    mine = db.scalar("SELECT count(*) FROM reports WHERE reporter = 'SIMOP2'")
    shifts = db.scalar("SELECT count(*) FROM shifts WHERE reporter = 'SIMOP2'")
    assert mine > 0
    cp = g.ctl("people", "remove", "SIMOP2", "--actor", "coord1")
    pseudonym = "removed-%d" % p["id"]
    assert pseudonym in cp.stdout
    q = db.one("SELECT * FROM people WHERE id = ?", p["id"])
    assert q["callsign"] == q["name"] == pseudonym
    assert q["phone"] is None and q["active"] == 0 and q["removed_at"] is not None
    assert db.scalar("SELECT count(*) FROM radio_units WHERE person_id = ?", p["id"]) == 0
    assert db.scalar("SELECT count(*) FROM reports") == reports_before
    assert db.scalar("SELECT count(*) FROM reports WHERE reporter = 'SIMOP2'") == 0
    assert db.scalar("SELECT count(*) FROM reports WHERE reporter = ?", pseudonym) == mine
    assert db.scalar("SELECT count(*) FROM shifts WHERE reporter = ?", pseudonym) == shifts
    assert db.scalar("SELECT count(*) FROM report_events WHERE by = 'SIMOP2'") == 0
    listed = [x["callsign"] for x in json.loads(g.ctl("people", "list", "--json").stdout)]
    assert "SIMOP2" not in listed and pseudonym in listed
    rows = ctl_json(g, "audit")
    assert [(r["actor"], r["action"], r["object"]) for r in rows[-2:]] == [
        ("coord1", "people edit", "SIMOP2"), ("coord1", "people remove", pseudonym)]
    assert "Alex" not in json.dumps(rows) and "900456" not in json.dumps(rows)
    assert g.ctl("audit", "--verify").returncode == 0
    # Gone: a second remove, an edit, or an enable of the pseudonym are refused.
    assert g.ctl("people", "remove", "SIMOP2", check=False).returncode == 1
    assert g.ctl("people", "enable", pseudonym, check=False).returncode == 1
    assert g.ctl("people", "edit", "NOSUCH", "--name", "X", check=False).returncode == 1
    assert g.ctl("people", "add", "--callsign", "removed-99", "--name", "X", "--role",
                 "operative", check=False).returncode == 2


def test_people_disable_enable_are_audited(sim_env):
    e, b, g, s = sim_env
    g.ctl("people", "disable", "SIMOP3", "--actor", "coord2")
    g.ctl("people", "enable", "SIMOP3")
    rows = ctl_json(g, "audit")
    import pwd
    me = pwd.getpwuid(os.getuid()).pw_name
    assert [(r["actor"], r["action"], r["object"]) for r in rows[-2:]] == [
        ("coord2", "people disable", "SIMOP3"), (me, "people enable", "SIMOP3")]
    assert g.ctl("people", "disable", "SIMOP3", "--actor", "two words",
                 check=False).returncode == 2


# --------------------------------------------------------------------- purge

def _purge_store(g, tmp_path, details_days, phone_days):
    """A copy of the sim store plus old rows, and a config with the policy."""
    db = tmp_path / "purge.db"
    g.ctl("backup", db)
    now = int(time.time() * 1000)
    con = sqlite3.connect(db)
    # Old SMS traffic from a phone number: 10, 4 and 1 days ago.
    for age_days, n in ((10, 3), (4, 2), (1, 1)):
        at = now - age_days * DAY_MS
        for i in range(n):
            con.execute(
                "INSERT INTO messages (channel, sender, payload, text, received_at, outcome,"
                " reason, reply) VALUES ('sms', '+447700900123', ?, ?, ?, 'accepted', NULL,"
                " 'OK')", (b"ASB HB01 old text", "ASB HB01 old text %d" % i, at))
            cur = con.execute(
                "INSERT INTO reports (code, priority, location, zone, details, reporter,"
                " channel, received_at) VALUES ('ASB', 3, 'HB01', 'HB01', 'old details',"
                " '+447700900123', 'sms', ?)", (at,))
            con.execute("INSERT INTO report_events (ref, at, kind, by, detail) VALUES"
                        " (?, ?, 'update', '+447700900123', 'old update text')",
                        (cur.lastrowid, at))
    con.commit()
    con.close()
    conf = tmp_path / "purge.conf"
    conf.write_text(gwtest.gw_config(1883, store=db, extra="[retention]\ndetails_days = %d\n"
                                     "phone_days = %d\n" % (details_days, phone_days)))
    return db, conf, now


def test_purge_erases_what_the_policy_says_and_nothing_else(sim_env, tmp_path):
    e, b, g, s = sim_env
    db, conf, now = _purge_store(g, tmp_path, details_days=5, phone_days=2)
    before = dump(db)
    ro = gwtest.Store(db)
    dcut, pcut = now - 5 * DAY_MS, now - 2 * DAY_MS
    # What the policy says, counted here.
    want = {
        "report_details": ro.scalar("SELECT count(*) FROM reports WHERE received_at < ?"
                                    " AND details <> ''", dcut),
        "message_texts": ro.scalar("SELECT count(*) FROM messages WHERE received_at < ?", dcut),
        "event_details": ro.scalar("SELECT count(*) FROM report_events WHERE at < ? AND"
                                   " detail IS NOT NULL AND kind IN ('update','cleared')", dcut),
        "message_phones": ro.scalar("SELECT count(*) FROM messages WHERE received_at < ?"
                                    " AND sender LIKE '+%'", pcut),
        "report_phones": ro.scalar("SELECT count(*) FROM reports WHERE received_at < ?"
                                   " AND reporter LIKE '+%'", pcut),
    }
    assert want == {"report_details": 3, "message_texts": 3, "event_details": 3,
                    "message_phones": 5, "report_phones": 5}
    fresh_before = {tb: ro.q("SELECT * FROM %s WHERE received_at >= ? ORDER BY 1" % tb, pcut)
                    for tb in ("reports", "messages")}
    ctl = ["--config", conf]
    dry = json.loads(gwtest.patrolctl(*ctl, "purge", "--dry-run", "--json").stdout)
    for k, v in want.items():
        assert dry[k] == v, k
    assert dry["audit_id"] is None
    assert dump(db) == before, "a dry run changed the store"
    res = json.loads(gwtest.patrolctl(*ctl, "purge", "--json", "--actor", "dpo").stdout)
    for k, v in want.items():
        assert res[k] == v, k
    after = dump(db)
    # Rows (and so counts) are all kept.
    for tb in before:
        if tb != "audit":
            assert len(after[tb]) == len(before[tb]), tb
    # The old rows lost their details and numbers; nothing else changed.
    assert ro.scalar("SELECT count(*) FROM reports WHERE details = 'old details'") == 3
    assert ro.scalar("SELECT count(*) FROM reports WHERE reporter = '+447700900123'") == 1
    assert ro.scalar("SELECT count(*) FROM messages WHERE sender = '+447700900123'") == 1
    assert ro.scalar("SELECT count(*) FROM messages WHERE text LIKE 'ASB HB01 old text%'") == 3
    assert ro.scalar("SELECT count(*) FROM messages WHERE received_at < ? AND"
                     " (text IS NOT NULL OR length(payload) > 0)", dcut) == 0
    for tb in ("reports", "messages"):
        assert ro.q("SELECT * FROM %s WHERE received_at >= ? ORDER BY 1" % tb, pcut) == \
            fresh_before[tb], tb
    # Between the two cut-offs only the phone number went.
    mid = ro.q("SELECT sender, text FROM messages WHERE received_at >= ? AND received_at < ?",
               dcut, pcut)
    assert len(mid) == 2 and all(m["sender"] is None and m["text"] for m in mid)
    for tb in ("people", "radio_units", "alerts", "shifts"):
        assert after[tb] == before[tb], tb
    # The purge is in the audit trail, and the trail verifies.
    rows = json.loads(gwtest.patrolctl("--db", db, "audit", "--json").stdout)
    assert rows[-1]["action"] == "purge" and rows[-1]["actor"] == "dpo"
    assert rows[-1]["id"] == res["audit_id"]
    assert "report_details=3" in rows[-1]["detail"] and "message_phones=5" in rows[-1]["detail"]
    assert gwtest.patrolctl("--db", db, "audit", "--verify").returncode == 0
    # A second purge has nothing left to erase.
    again = json.loads(gwtest.patrolctl(*ctl, "purge", "--json").stdout)
    assert again["total"] == 0


def test_purge_with_the_clock_moved_on(sim_env, tmp_path):
    """PATROL_CLOCK_OFFSET_MS: a year and a day later, the whole sim run is old."""
    e, b, g, s = sim_env
    db, conf, now = _purge_store(g, tmp_path, details_days=365, phone_days=90)
    ro = gwtest.Store(db)
    reports = ro.scalar("SELECT count(*) FROM reports WHERE details <> ''")
    messages = ro.scalar("SELECT count(*) FROM messages")
    envv = dict(os.environ, PATROL_CLOCK_OFFSET_MS=str(366 * DAY_MS))
    cp = subprocess.run([str(gwtest.PATROLCTL), "--config", str(conf), "purge", "--json"],
                        capture_output=True, text=True, env=envv, timeout=t(30))
    assert cp.returncode == 0, cp.stderr
    res = json.loads(cp.stdout)
    assert res["report_details"] == reports
    assert res["message_texts"] == messages
    assert ro.scalar("SELECT count(*) FROM reports WHERE details <> ''") == 0
    assert ro.scalar("SELECT count(*) FROM reports") >= reports


def test_purge_dry_run_takes_no_write_lock(env):
    """A dry run only counts: it must not wait for (nor take) the write lock."""
    b = env.broker()
    g = env.gateway(b, extra="[retention]\ndetails_days = 30\nphone_days = 7\n")
    g.wait_log(r"subscribed to")
    con = sqlite3.connect(str(g.db_path), timeout=0.1, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        t0 = time.monotonic()
        cp = g.ctl("purge", "--dry-run", "--json", check=False, timeout=t(20))
        took = time.monotonic() - t0
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert cp.returncode == 0, cp.stderr
    assert json.loads(cp.stdout)["total"] == 0
    assert took < 2.0, "the dry run waited %.1f s for the write lock" % took


def test_the_core_does_not_wait_a_whole_turn_on_a_held_write_lock(env):
    """A write lock held elsewhere (patrolctl) must not stall each core turn for
    seconds: the turn gives up quickly, answers nothing of what it could not
    commit, and the bridge's resend is answered once the lock is free."""
    b = env.broker()
    g = env.gateway(b)
    c = env.client(b, ["%s/out/#" % gwtest.PREFIX])
    g.wait_log(r"subscribed to")
    con = sqlite3.connect(str(g.db_path), timeout=5, isolation_level=None)
    req = gwtest.json_request("u1", "ASB HB12 youths by the pier", msg_id="m-lock-1")
    try:
        con.execute("BEGIN IMMEDIATE")
        off = g.log_size()
        t0 = time.monotonic()
        c.publish(gwtest.in_topic("shopwatch", "u1"), req, qos=1)
        g.wait_log(r"store error: 1 messages not committed", timeout=t(3), offset=off)
        assert time.monotonic() - t0 < 2.0
        time.sleep(0.5)
        assert not [m for m in c.inbox.snapshot() if m.topic == gwtest.out_topic("shopwatch", "u1")]
    finally:
        con.execute("ROLLBACK")
        con.close()
    c.publish(gwtest.in_topic("shopwatch", "u1"), req, qos=1)  # the bridge resends
    m = c.inbox.take_topic(gwtest.out_topic("shopwatch", "u1"), t(10))
    assert gwtest.reply_text(m).startswith("OK R"), m.payload


def test_help_and_usage_errors():
    for cmd in ("partners", "tail", "purge", "audit", "backup", "status"):
        cp = gwtest.patrolctl(cmd, "--help")
        assert cp.stdout.startswith("usage: patrolctl " + cmd), cmd
        cp = gwtest.patrolctl("--db", "/nonexistent/x.db", cmd, "--bogus", check=False)
        assert cp.returncode == 2 and "unknown option" in cp.stderr, cmd
    for sub in ("edit", "remove", "disable", "enable", "add"):
        assert gwtest.patrolctl("people", sub, "--help").stdout.startswith("usage:")
    assert gwtest.patrolctl("backup", check=False).returncode == 2
