"""Command-line behaviour: patrolgw --help / --check-config, patrolctl parse and people."""

import json
import re
import shutil

import pytest

import gwtest
from gwtest import PATROLCTL, PATROLGW, run


def both(cp):
    return cp.stdout + cp.stderr


# --------------------------------------------------------------------------- patrolgw

def test_patrolgw_help(binaries):
    cp = run([PATROLGW, "--help"])
    assert cp.returncode == 0, both(cp)
    for opt in ("--config", "--check-config", "--log-level"):
        assert opt in both(cp), "--help does not mention %s:\n%s" % (opt, both(cp))


@pytest.mark.parametrize("argv", [[], ["--bogus"], ["--config"], ["--log-level", "loud",
                                                                 "--config", "x.conf"]],
                         ids=["no args", "unknown option", "missing value", "bad log level"])
def test_patrolgw_usage_errors(binaries, argv):
    cp = run([PATROLGW, *argv], timeout=gwtest.t(10))
    assert cp.returncode != 0, "patrolgw %s exited 0" % argv
    assert cp.stderr.strip(), "no message on stderr for %s" % argv


def test_check_config_accepts_the_sample_deployment(binaries):
    cp = run([PATROLGW, "--check-config", gwtest.SAMPLE_CONF])
    assert cp.returncode == 0, both(cp)


def test_check_config_accepts_defaults_and_relative_paths(binaries, tmp_path):
    empty = tmp_path / "empty.conf"
    empty.write_text("")
    cp = run([PATROLGW, "--check-config", empty])
    assert cp.returncode == 0, "an empty config (all defaults) was refused: " + both(cp)

    # Relative table paths are relative to the config's folder, not the cwd.
    d = tmp_path / "site"
    d.mkdir()
    shutil.copy(gwtest.CODES_CSV, d / "my-codes.csv")
    shutil.copy(gwtest.GAZETTEER_CSV, d / "my-gaz.csv")
    conf = d / "gw.conf"
    conf.write_text(gwtest.gw_config(1883, codes="my-codes.csv", gazetteer="my-gaz.csv"))
    cp = run([PATROLGW, "--check-config", conf])
    assert cp.returncode == 0, both(cp)


BAD_CODES = "code,aliases,name,priority,alert\nASB,,anti-social behaviour,3,yes\nASB,,again,3,yes\n"
BAD_GAZ = "zone,name,lat,lon,aliases,districts\nHB01,Town,91.5,1.1,,\n"

# (id, config text, files to write beside it, regex the message must match)
BAD_CONFIGS = [
    ("bad synchronous", "[store]\nsynchronous = sometimes\n", {}, r"synchronous"),
    ("port not a number", "[mqtt]\nport = notaport\n", {}, r"port"),
    ("port out of range", "[mqtt]\nport = 70000\n", {}, r"port"),
    ("bad log level", "[gateway]\nlog_level = loud\n", {}, r"log_level"),
    ("min_priority 9", "[partner.police]\nmin_priority = 9\n", {}, r"min_priority"),
    ("min_priority 0", "[partner.police]\nmin_priority = 0\n", {}, r"min_priority"),
    ("unknown partner code", "[partner.police]\ncodes = ASB NOPE\n", {}, r"NOPE"),
    ("bad require_registration", "[network.x]\nrequire_registration = perhaps\n", {},
     r"require_registration"),
    ("negative radius", "[protocol]\nradius_km = -1\n", {}, r"radius"),
    ("missing codes file", "[protocol]\ncodes = missing.csv\n", {}, r"missing\.csv"),
    ("duplicate code in table", "[protocol]\ncodes = codes.csv\n", {"codes.csv": BAD_CODES},
     r"codes\.csv:3"),
    ("bad latitude in gazetteer", "[protocol]\ngazetteer = gaz.csv\n", {"gaz.csv": BAD_GAZ},
     r"gaz\.csv:2"),
    ("not INI", "this is not an ini file\n", {}, r"\S"),
]


@pytest.mark.parametrize("name,text,files,rx", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_check_config_refuses(binaries, tmp_path, name, text, files, rx):
    for fname, content in files.items():
        (tmp_path / fname).write_text(content)
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    cp = run([PATROLGW, "--check-config", conf])
    assert cp.returncode == 1, "%s: exit %d\n%s" % (name, cp.returncode, both(cp))
    assert re.search(rx, both(cp), re.I), "%s: message %r does not match %s" % (
        name, both(cp), rx)


def test_check_config_missing_file(binaries, tmp_path):
    cp = run([PATROLGW, "--check-config", tmp_path / "nope.conf"])
    assert cp.returncode == 1
    assert "nope.conf" in both(cp)


def test_gateway_refuses_to_start_on_bad_config(binaries, tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("[store]\nsynchronous = sometimes\n")
    cp = run([PATROLGW, "--config", conf], timeout=gwtest.t(10))
    assert cp.returncode != 0
    assert "synchronous" in both(cp)


# --------------------------------------------------------------------------- patrolctl parse

def parse(*texts, tables=True, input=None):
    args = [PATROLCTL, "parse"]
    if tables:
        args += ["--codes", gwtest.CODES_CSV, "--gazetteer", gwtest.GAZETTEER_CSV]
    cp = run(args + list(texts), input=input)
    assert cp.returncode == 0, both(cp)
    lines = [ln for ln in cp.stdout.splitlines() if ln.strip()]
    return [json.loads(ln) for ln in lines]


# (text, fields the object must have with these values)
PARSE_CASES = [
    ("ASB P2 HB12 youths throwing bottles",
     {"ok": True, "kind": "report", "code": "ASB", "code_name": "anti-social behaviour",
      "priority": 2, "priority_given": True, "location": "HB12", "zone": "HB12",
      "lat": 51.376, "lon": 1.188, "details": "youths throwing bottles"}),
    ("crash hb03 car v cyclist",
     {"ok": True, "code": "RTC", "priority": 1, "priority_given": False, "location": "HB03",
      "details": "car v cyclist"}),
    ("THEFT ct65ab male red jacket",
     {"ok": True, "code": "THEFT", "priority": 3, "location": "CT6 5AB", "zone": "HB03"}),
    ("THEFT/CT6;P2 male", {"ok": True, "code": "THEFT", "priority": 2, "location": "CT6",
                            "zone": "HB01", "details": "male"}),
    ("MED P1 51.3731,1.1281", {"ok": True, "code": "MED", "location": "51.3731,1.1281",
                               "zone": "HB01", "lat": 51.3731, "lon": 1.1281, "details": ""}),
    ("pier asb", {"ok": False, "field": "CODE"}),
    ("UPD r1042 more info", {"ok": True, "kind": "upd", "ref": "R1042", "details": "more info"}),
    ("CLR 7", {"ok": True, "kind": "clr", "ref": "R7"}),
    ("ACK R12a", {"ok": False, "field": "REF"}),
    ("ON PIER", {"ok": True, "kind": "on", "zone": "HB02"}),
    ("OFF", {"ok": True, "kind": "off"}),
    ("?", {"ok": True, "kind": "help"}),
    ("ABS HB12 youths", {"ok": False, "field": "CODE"}),
    ("ASB P5 HB12", {"ok": False, "field": "PRIORITY"}),
    ("ASB", {"ok": False, "field": "LOCATION"}),
    ("ASB XX99 x", {"ok": False, "field": "LOCATION"}),
    ("ASB HB12 " + "x" * 480, {"ok": False, "field": "LENGTH"}),
]


def test_parse_prints_one_json_object_per_message(binaries):
    objs = parse(*[c[0] for c in PARSE_CASES])
    assert len(objs) == len(PARSE_CASES), objs
    for (text, want), o in zip(PARSE_CASES, objs):
        got = {k: o.get(k) for k in want}
        assert got == want, "%r: got %s" % (text, o)
        if not o["ok"]:
            assert o["reply"].startswith("ERR %s: " % o["field"]), o
            assert len(o["reply"]) <= 156, o
    code_err = objs[[c[0] for c in PARSE_CASES].index("ABS HB12 youths")]
    assert code_err["reply"].startswith("ERR CODE: ABS") and "ASB" in code_err["reply"]


def test_parse_reads_stdin_lines(binaries):
    objs = parse(input="ASB HB01 x\nRTC P1 PIER y\n")
    assert [(o["code"], o["priority"], o["zone"]) for o in objs] == [
        ("ASB", 3, "HB01"), ("RTC", 1, "HB02")], objs


def test_parse_builtin_table_without_files(binaries):
    objs = parse("FIGHT 51.3731,1.1281 outside pub", "ASB HB12", tables=False)
    assert (objs[0]["ok"], objs[0]["code"], objs[0]["zone"]) == (True, "VIO", None), objs[0]
    # No gazetteer: a zone code is not a location.
    assert (objs[1]["ok"], objs[1]["field"]) == (False, "LOCATION"), objs[1]


# --------------------------------------------------------------------------- patrolctl people

@pytest.fixture
def ctl_conf(binaries, tmp_path):
    conf = tmp_path / "gw.conf"
    conf.write_text(gwtest.gw_config(1883))
    return conf, gwtest.Store(tmp_path / "patrolgw.db")


def ctl(conf, *args, check=True):
    return gwtest.patrolctl("--config", conf, *args, check=check)


def test_people_add_list_disable(ctl_conf):
    conf, db = ctl_conf
    ctl(conf, "people", "add", "--callsign", "HB7", "--name", "Sam Patel", "--role",
        "operative", "--unit", "shopwatch/radio7", "--unit", "pubwatch/r7")
    ctl(conf, "people", "add", "--callsign", "PC2291", "--name", "PC Dana Reeve", "--role",
        "partner", "--partner", "police", "--phone", "+447700900123", "--unit", "police/pc2291")

    p = db.one("SELECT * FROM people WHERE callsign = 'HB7'")
    assert (p["name"], p["role"], p["active"]) == ("Sam Patel", "operative", 1)
    units = db.q("SELECT network, unit FROM radio_units WHERE person_id = ? ORDER BY network",
                 p["id"])
    assert [(u["network"], u["unit"]) for u in units] == [("pubwatch", "r7"), ("shopwatch", "radio7")]
    pc = db.one("SELECT * FROM people WHERE callsign = 'PC2291'")
    assert (pc["role"], pc["partner"], pc["phone"]) == ("partner", "police", "+447700900123")

    out = ctl(conf, "people", "list").stdout
    assert "HB7" in out and "PC2291" in out and "shopwatch/radio7" in out, out

    listed = json.loads(ctl(conf, "people", "list", "--json").stdout)
    assert "HB7" in json.dumps(listed) and "PC2291" in json.dumps(listed), listed

    ctl(conf, "people", "disable", "HB7")
    assert db.one("SELECT active FROM people WHERE callsign = 'HB7'")["active"] == 0
    ctl(conf, "people", "enable", "HB7")
    assert db.one("SELECT active FROM people WHERE callsign = 'HB7'")["active"] == 1


PEOPLE_ERRORS = [
    ("taken callsign", ["--callsign", "DUP1", "--name", "B", "--role", "operative"]),
    ("bad role", ["--callsign", "X1", "--name", "X", "--role", "boss"]),
    ("partner without --partner", ["--callsign", "X2", "--name", "X", "--role", "partner"]),
    ("bad unit", ["--callsign", "X3", "--name", "X", "--role", "operative", "--unit", "nounit"]),
    ("bad phone", ["--callsign", "X4", "--name", "X", "--role", "operative", "--phone", "12ab"]),
    ("no name", ["--callsign", "X5", "--role", "operative"]),
    ("unit already taken", ["--callsign", "X6", "--name", "X", "--role", "operative",
                            "--unit", "shopwatch/dup1"]),
]


@pytest.mark.parametrize("name,args", PEOPLE_ERRORS, ids=[c[0] for c in PEOPLE_ERRORS])
def test_people_add_refuses(ctl_conf, name, args):
    conf, db = ctl_conf
    ctl(conf, "people", "add", "--callsign", "DUP1", "--name", "A", "--role", "operative",
        "--unit", "shopwatch/dup1")
    cp = ctl(conf, "people", "add", *args, check=False)
    assert cp.returncode != 0, "%s accepted: %s" % (name, both(cp))
    assert cp.stderr.strip(), "%s: no message" % name
    assert db.scalar("SELECT COUNT(*) FROM people") == 1


def test_people_disable_unknown(ctl_conf):
    conf, db = ctl_conf
    cp = ctl(conf, "people", "disable", "NOBODY", check=False)
    assert cp.returncode != 0 and "NOBODY" in both(cp)


def test_patrolctl_usage(binaries):
    for argv in ([], ["frobnicate"]):
        cp = run([PATROLCTL, *argv])
        assert cp.returncode == 2, (argv, both(cp))
        assert "people" in both(cp) and "parse" in both(cp), both(cp)
    cp = run([PATROLCTL, "people", "add", "--bogus", "x"])
    assert cp.returncode == 2 and "--bogus" in cp.stderr, both(cp)


# Every command and subcommand answers --help on stdout with exit 0, without a config
# or a store (none is given here: /etc/patrolgw may not exist).
HELP_COMMANDS = [
    ["people"], ["people", "add"], ["people", "list"], ["people", "disable"],
    ["people", "enable"], ["people", "edit"], ["people", "remove"], ["parse"],
    ["check-config"], ["reports"], ["show"], ["export"], ["stats"], ["report"], ["partners"],
    ["tail"], ["purge"], ["audit"], ["backup"], ["status"], ["users"], ["users", "add"],
    ["users", "passwd"], ["users", "disable"], ["users", "enable"], ["users", "list"], ["sms"],
]


@pytest.mark.parametrize("cmd", HELP_COMMANDS, ids=[" ".join(c) for c in HELP_COMMANDS])
def test_patrolctl_command_help(binaries, tmp_path, cmd):
    cp = run([PATROLCTL, "--config", str(tmp_path / "absent.conf"), *cmd, "--help"])
    assert cp.returncode == 0, both(cp)
    assert cp.stdout.startswith("usage: patrolctl "), both(cp)
    assert "patrolctl " + cmd[0] in cp.stdout.replace("[--config FILE] ", ""), both(cp)


def test_patrolsim_help(binaries):
    cp = run([gwtest.BUILD / "patrolsim", "--help"])
    assert cp.returncode == 0 and "--config" in cp.stdout, both(cp)


def test_parse_says_which_tables(binaries):
    cp = run([PATROLCTL, "parse", "ASB HB12 x"])
    assert cp.returncode == 0, both(cp)
    assert "built-in code table" in cp.stderr and "no gazetteer" in cp.stderr, both(cp)
    cp = run([PATROLCTL, "parse", "--codes", gwtest.CODES_CSV, "--gazetteer",
              gwtest.GAZETTEER_CSV, "ASB HB12 x"])
    assert cp.returncode == 0 and cp.stderr == "", both(cp)


# --------------------------------------------------------------------------- file modes

def test_store_wal_backups_and_exports_are_never_world_readable(env):
    """Outside the systemd unit (UMask=0027) the files with personal data must
    not come out 0644: patrolgw and patrolctl set their own umask."""
    import os
    import stat

    def mode(p):
        return stat.S_IMODE(os.stat(p).st_mode)

    old = os.umask(0o022)
    try:
        fresh = env.tmp / "fresh.db"
        gwtest.patrolctl("--db", fresh, "people", "add", "--callsign", "NEW1", "--name", "N",
                         "--role", "operative")
        b = env.broker()
        g = env.gateway(b)
        g.wait_log(r"subscribed to")
        store = env.tmp / "gw" / "patrolgw.db"
        files = [fresh, store, env.tmp / "gw" / "patrolgw.db-wal"]
        g.ctl("backup", str(env.tmp / "copy.db"))
        g.ctl("export", "--format", "csv", "--out", str(env.tmp / "r.csv"))
        files += [env.tmp / "copy.db", env.tmp / "r.csv"]
    finally:
        os.umask(old)
    for p in files:
        assert os.path.exists(p), p
        assert mode(p) & 0o007 == 0 and mode(p) & 0o020 == 0, "%s is %o" % (p, mode(p))
