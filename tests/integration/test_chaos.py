"""Seeded chaos run (tests/integration/chaos.py): radio, SMS, ACKs, dashboard
requests, kill -9 and SIGTERM, then every invariant. A short run per seed in CI;
bench/chaos.sh runs long ones. A failure names its seed: rerun it with
PATROL_CHAOS_SEED=<seed> PATROL_CHAOS_STEPS=<n>."""

import os

import chaos

SEEDS = [int(s) for s in (os.environ.get("PATROL_CHAOS_SEED") or "1,2").split(",")]
STEPS = int(os.environ.get("PATROL_CHAOS_STEPS") or 250)


def test_chaos_seeded_runs_keep_every_invariant(env):
    for seed in SEEDS:
        run = chaos.Run(env, seed, STEPS)
        env_tmp = env.tmp
        env.tmp = env_tmp / ("seed%d" % seed)
        try:
            run.play()
            run.check()
        finally:
            env.tmp = env_tmp
        print(run.figures())
        chaos.stop_all(run)
