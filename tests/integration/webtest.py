"""webtest: helpers for the duty dashboard's tests (test_dashboard*.py).

A gateway with an [http] section, dashboard users made with patrolctl, a
small HTTP client that keeps its own cookies (http.client, no third-party
packages), and a strict parser of the Prometheus text format (0.0.4).
"""

import http.client
import re
import urllib.parse

import gwtest
from gwtest import t

PASSWORD = "correct horse battery"


def http_section(port, **keys):
    lines = ["[http]", "port = %d" % port]
    for k, v in keys.items():
        lines.append("%s = %s" % (k, v))
    return "\n".join(lines) + "\n"


def dash_gateway(env, broker, name="gw", partners=None, **http_keys):
    """A gateway with the dashboard on a free loopback port; returns (gateway, http port)."""
    port = gwtest.free_port()
    g = env.gateway(broker, name=name, partners=partners,
                    extra=http_section(port, **http_keys))
    g.wait_log(r"dashboard on http", what="the dashboard to listen")
    return g, port


def add_user(g, name, role, partner=None, password=PASSWORD, check=True):
    argv = [gwtest.PATROLCTL, "--config", g.conf, "users", "add", name, "--role", role,
            "--actor", "test"]
    if partner:
        argv += ["--partner", partner]
    return gwtest.run(argv, check=check, input=password + "\n")


def ctl_users(g, *args, input=None, check=True):
    return gwtest.run([gwtest.PATROLCTL, "--config", g.conf, "users", *args, "--actor", "test"],
                      check=check, input=input)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers        # list of (name, value)
        self.body = body              # str

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:300])


CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


class Web:
    """One browser-like client: its own cookies, no redirects followed."""

    def __init__(self, port, host="127.0.0.1", tls=None, source=None):
        self.host = host
        self.port = port
        self.tls = tls                # an ssl.SSLContext: HTTPS
        self.source = (source, 0) if source else None  # another loopback address: another client
        self.cookies = {}

    def request(self, method, path, form=None, headers=None, timeout=None):
        if self.tls is not None:
            con = http.client.HTTPSConnection(self.host, self.port, timeout=timeout or t(30),
                                              context=self.tls, source_address=self.source)
        else:
            con = http.client.HTTPConnection(self.host, self.port, timeout=timeout or t(30),
                                             source_address=self.source)
        try:
            hdrs = dict(headers or {})
            if self.cookies:
                hdrs["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
            body = None
            if form is not None:
                body = urllib.parse.urlencode(form)
                hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            con.request(method, path, body=body, headers=hdrs)
            r = con.getresponse()
            data = r.read().decode("utf-8", "replace")
            resp = Response(r.status, r.getheaders(), data)
        finally:
            con.close()
        for sc in resp.all("Set-Cookie"):
            name, _, rest = sc.partition("=")
            value = rest.split(";", 1)[0]
            if re.search(r"(?i)max-age=0(;|$)", sc):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form, **kw):
        return self.request("POST", path, form=form, **kw)

    def csrf(self, path="/alerts"):
        r = self.get(path)
        m = CSRF.search(r.body)
        assert m, "no CSRF token on %s: %r" % (path, r)
        return m.group(1)

    def login(self, user, password=PASSWORD):
        token = self.csrf("/login")
        return self.post("/login", {"csrf": token, "user": user, "password": password})

    def ack(self, ref, partner, csrf=None):
        token = self.csrf() if csrf is None else csrf
        return self.post("/ack", {"csrf": token, "ref": str(gwtest.refnum(ref)),
                                  "partner": partner, "back": "alerts"})


# --------------------------------------------------------------------------- Prometheus text

METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(%s)(\{(.*)\})? (\S+)$" % METRIC_NAME)
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def _labels(text):
    out = {}
    pos = 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        assert m, "bad labels at %r" % text[pos:]
        name = m.group(1)
        assert name not in out, "label %s twice in %r" % (name, text)
        out[name] = re.sub(r"\\(.)", lambda x: {"n": "\n"}.get(x.group(1), x.group(1)), m.group(2))
        pos = m.end()
        if pos < len(text):
            assert text[pos] == ",", "expected a comma in %r" % text
            pos += 1
    return out


def parse_prometheus(text):
    """Strict parse of the text format. Returns {family: {"type", "help", "samples":
    [(name, labels dict, float)]}}. Fails on anything malformed: a sample before its
    TYPE, a sample name not of its family, duplicates, bad numbers, unsorted or
    non-cumulative histogram buckets."""
    fams = {}
    current = None
    seen = set()
    assert text.endswith("\n"), "the exposition must end with a newline"
    for ln in text.split("\n")[:-1]:
        assert ln.strip() == ln and ln, "blank or padded line: %r" % ln
        if ln.startswith("# HELP "):
            name, _, help_ = ln[7:].partition(" ")
            assert re.fullmatch(METRIC_NAME, name), ln
            assert name not in fams, "family %s declared twice" % name
            fams[name] = {"type": None, "help": help_, "samples": []}
            current = name
            continue
        if ln.startswith("# TYPE "):
            name, _, typ = ln[7:].partition(" ")
            assert name == current and fams[name]["type"] is None, "TYPE out of place: %r" % ln
            assert typ in TYPES, ln
            fams[name]["type"] = typ
            continue
        assert not ln.startswith("#"), "unexpected comment %r" % ln
        m = SAMPLE.match(ln)
        assert m, "bad sample line %r" % ln
        name, labels, value = m.group(1), _labels(m.group(3) or ""), m.group(4)
        assert current and fams[current]["type"], "sample before its TYPE: %r" % ln
        typ = fams[current]["type"]
        allowed = {current}
        if typ == "histogram":
            allowed = {current + "_bucket", current + "_sum", current + "_count"}
        assert name in allowed, "sample %s outside its family %s" % (name, current)
        if value in ("+Inf", "-Inf", "NaN"):
            v = float(value.replace("Inf", "inf"))
        else:
            assert re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", value), "bad value %r" % ln
            v = float(value)
        key = (name, tuple(sorted(labels.items())))
        assert key not in seen, "duplicate sample %r" % ln
        seen.add(key)
        if typ == "counter":
            assert name.endswith("_total") and v >= 0, ln
        fams[current]["samples"].append((name, labels, v))
    for name, f in fams.items():
        assert f["type"], "family %s without TYPE" % name
        if f["type"] == "histogram":
            _check_histogram(name, f["samples"])
    return fams


def _check_histogram(name, samples):
    series = {}
    for n, labels, v in samples:
        base = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
        s = series.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if n.endswith("_bucket"):
            s["buckets"].append((float(labels["le"].replace("Inf", "inf")), v))
        elif n.endswith("_sum"):
            s["sum"] = v
        else:
            s["count"] = v
    for base, s in series.items():
        les = [le for le, _ in s["buckets"]]
        assert les == sorted(les) and les[-1] == float("inf"), "%s%r: buckets %r" % (name, base, les)
        counts = [c for _, c in s["buckets"]]
        assert counts == sorted(counts), "%s%r: not cumulative %r" % (name, base, counts)
        assert s["count"] == counts[-1], "%s%r: count != +Inf bucket" % (name, base)
        assert s["sum"] is not None and s["sum"] >= 0


def sample(fams, family, name=None, **labels):
    """The value of the one sample of family with exactly these labels (0 if absent)."""
    name = name or family
    found = [v for n, lab, v in fams.get(family, {"samples": []})["samples"]
             if n == name and lab == labels]
    assert len(found) <= 1
    return found[0] if found else 0.0
