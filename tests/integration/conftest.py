"""pytest fixtures for the patrolgw integration tests (see gwtest.py).

PATROL_BUILD and PATROL_SOURCE default to /work/main/build and /work/main.
On a failure the report carries the tail of every gateway and broker log the
test started.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gwtest  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for env in getattr(item, "_patrol_envs", []):
            for title, text in env.log_tails():
                rep.sections.append((title, text))


def pytest_report_header(config):
    return "patrolgw: build=%s source=%s sanitize=%s" % (
        gwtest.BUILD, gwtest.SOURCE, gwtest.SANITIZE)


@pytest.fixture(scope="session")
def binaries():
    """The binaries must exist: a missing one is a failure, not a skip."""
    for p in (gwtest.PATROLGW, gwtest.PATROLCTL, gwtest.MOSQUITTO):
        if not os.access(p, os.X_OK):
            pytest.fail("%s is missing (set PATROL_BUILD to a build dir)" % p, pytrace=False)
    for p in (gwtest.MOSQUITTO_CONF, gwtest.CODES_CSV, gwtest.GAZETTEER_CSV):
        if not os.path.isfile(p):
            pytest.fail("%s is missing" % p, pytrace=False)
    return gwtest.PATROLGW


@pytest.fixture
def env(request, tmp_path, binaries):
    """A fresh Env for one test: stopped in teardown, failing or not."""
    e = gwtest.Env(tmp_path)
    request.node._patrol_envs = getattr(request.node, "_patrol_envs", []) + [e]
    yield e
    e.close()


@pytest.fixture(scope="module")
def shared_env(request, tmp_path_factory, binaries):
    """One broker + gateway (default config) + client for a whole module."""
    e = gwtest.Env(tmp_path_factory.mktemp("shared"))
    try:
        b, g, c = e.standard()
    except BaseException:
        e.close()
        raise
    yield e, b, g, c
    e.close()


@pytest.fixture
def radio(request, shared_env):
    """The module's shared gateway, its log attached to this test's failure report."""
    e, b, g, c = shared_env
    assert g.alive(), "the shared gateway died:\n" + gwtest.tail(g.log_path)
    request.node._patrol_envs = getattr(request.node, "_patrol_envs", []) + [e]
    return e, b, g, c
