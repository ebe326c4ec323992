"""smstest: the simulated GSM modem for the SMS channel tests.

libgammu's dummy driver keeps the phone's SMS in a folder: an incoming SMS is a
file DIR/sms/1/<N> (SIM inbox; sms/3 is the phone's inbox) in Gammu's SMS backup
format (libgammu-dev: formats/smsbackup.rst). Modem.deliver() writes one the way
a network would deliver it (temp name, then rename, so the driver never reads
half a file). The dummy driver keeps nothing it sends, so tests see what was
sent through the gateway's own record: the sms_out rows.
"""

import datetime
import itertools
import os
import shutil
from pathlib import Path

import gwtest
from gwtest import t, wait_until


def ucs2_hex(text):
    """Text as Gammu keeps it in a backup: UTF-16 big-endian, in hex."""
    return text.encode("utf-16-be").hex().upper()


class Modem:
    """The dummy driver's folder."""

    _counter = itertools.count(1)

    def __init__(self, path):
        self.dir = Path(path)
        self.dir.mkdir(parents=True, exist_ok=True)
        for folder in range(1, 6):
            (self.dir / "sms" / str(folder)).mkdir(parents=True, exist_ok=True)
        self.n = 0

    def deliver(self, number, text, unicode=None, udh=None, smsc_time=None, folder=1,
                pdu="Deliver", extra=""):
        """Puts an SMS in the inbox; returns its file. udh: (ref, total, seq)."""
        if unicode is None:
            unicode = any(ord(ch) > 0x7F for ch in text)
        when = smsc_time or datetime.datetime.now(datetime.timezone.utc)
        lines = ["[SMSBackup000]",
                 "PDU = %s" % pdu,
                 "State = UnRead",
                 'Number = "%s"' % number,
                 "DateTime = %s" % when.strftime("%Y%m%dT%H%M%S"),
                 "Coding = %s" % ("Unicode" if unicode else "Default"),
                 "Folder = %d" % folder]
        if udh is not None:
            ref, total, seq = udh
            lines.append("UDH = 050003%02X%02X%02X" % (ref, total, seq))
        hx = ucs2_hex(text)
        # Gammu splits the hex text over Text00, Text01, ... lines of 200 digits.
        for i in range(0, max(len(hx), 1), 200):
            lines.append("Text%02d = %s" % (i // 200, hx[i:i + 200]))
        if extra:
            lines.append(extra)
        inbox = self.dir / "sms" / str(folder)
        while True:
            self.n += 1
            name = inbox / str(self.n)
            if not name.exists():
                break
        tmp = inbox / (".tmp-%d" % self.n)
        tmp.write_text("\n".join(lines) + "\n")
        os.replace(tmp, name)
        return name

    def inbox_files(self):
        out = []
        for folder in (1, 3):
            d = self.dir / "sms" / str(folder)
            if d.is_dir():
                out += [p for p in d.iterdir() if not p.name.startswith(".")]
        return out

    def wait_empty(self, timeout=None):
        wait_until(lambda: not self.inbox_files(), timeout or t(10),
                   "the modem's inbox to be emptied")

    def unplug(self):
        """The modem goes away: its folder vanishes (kept aside)."""
        aside = self.dir.with_name(self.dir.name + ".unplugged")
        os.replace(self.dir, aside)
        return aside

    def replug(self, aside):
        os.replace(aside, self.dir)


def sms_section(modem_dir, **keys):
    """An [sms] section for the dummy driver; keys override the defaults."""
    conf = {"model": "dummy", "connection": "none", "device": str(modem_dir),
            "poll_ms": 50, "retry_ms": 200, "retry_max_ms": 1000,
            "multipart_timeout": 30, "send_per_minute": 600, "reply_limit": 50}
    conf.update(keys)
    return "[sms]\n" + "".join("%s = %s\n" % (k, v) for k, v in conf.items()) + "\n"


def sms_out(g, where="1=1", *args):
    return g.db().q("SELECT * FROM sms_out WHERE %s ORDER BY id" % where, *args)


def wait_sent(g, to, count=1, timeout=None, kind=None):
    """Waits until `count` SMS to `to` are sent; returns the sent rows."""
    def sent():
        rows = g.db().q("SELECT * FROM sms_out WHERE to_number = ? AND state = 'sent'"
                        + (" AND kind = '%s'" % kind if kind else "") + " ORDER BY id", to)
        return rows if len(rows) >= count else None
    return wait_until(sent, timeout or t(10), "%d SMS sent to %s" % (count, to))


def register(g, callsign, phone, role="operative", partner=None):
    args = ["people", "add", "--callsign", callsign, "--name", "Test " + callsign,
            "--role", role, "--phone", phone]
    if partner:
        args += ["--partner", partner]
    g.ctl(*args)


def sms_gateway(env, tmp_name="gw", partners_extra="", start=True, **sms_keys):
    """A broker and a gateway with the dummy modem; returns (gateway, modem)."""
    b = env.broker()
    modem = Modem(env.tmp / (tmp_name + "-modem"))
    extra = sms_section(modem.dir, **sms_keys) + partners_extra
    g = env.gateway(b, start=start, name=tmp_name, log_level="debug", extra=extra)
    return g, modem, b


def clean_modem_dir(path):
    shutil.rmtree(path, ignore_errors=True)
