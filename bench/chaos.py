"""chaos.py: long seeded chaos runs (tests/integration/chaos.py) against the
real gateway: radio, SMS, ACKs, dashboard requests, floods, kill -9 and
SIGTERM, then every invariant; one line of figures per seed and the gateway's
RSS and descriptors at the end of each run.
Usage: bash bench/chaos.sh [--seeds 1-8] [--steps 3000] [--kill-every 0.01] [--keep]"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))

import chaos  # noqa: E402
import gwtest  # noqa: E402


def seeds(spec):
    out = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def proc_figures(pid):
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) // 1024
    fds = len(os.listdir("/proc/%d/fd" % pid))
    return rss, fds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-8")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--kill-every", type=float, default=0.01)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="patrol-chaos."))
    failed = 0
    print("| seed | steps | seconds | messages | reports | SMS parts | kill -9 | SIGTERM |"
          " RSS MiB | fds | invariants |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    try:
        for seed in seeds(a.seeds):
            env = gwtest.Env(tmp / ("seed%d" % seed))
            t0 = time.monotonic()
            run = chaos.Run(env, seed, a.steps, kill_every=a.kill_every)
            verdict = "hold"
            try:
                run.play()
                run.check()
            except AssertionError as e:
                verdict = "FAILED"
                failed += 1
                print(str(e), file=sys.stderr)
            rss, fds = proc_figures(run.gw.proc.pid) if run.gw.alive() else (0, 0)
            f = run.figures()
            print("| %d | %d | %.0f | %d | %d | %d | %d | %d | %d | %d | %s |" % (
                seed, a.steps, time.monotonic() - t0, f["messages"], f["reports"],
                f["sms_parts"], f["kills"], f["terms"], rss, fds, verdict), flush=True)
            env.expect_clean_stop = verdict == "hold"
            try:
                env.close()
            except AssertionError as e:
                print("seed %d teardown: %s" % (seed, e), file=sys.stderr)
                failed += 1
    finally:
        if a.keep:
            print("kept: %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
