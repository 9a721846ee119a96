"""Fixtures: a kmsgate-aws process per session (plus dedicated ones for other configurations),
boto3 clients per region and account, and the emulated clock.

Every test gets a fresh random 12-digit account (= access key id), so tests never see each
other's keys although they share one server. Time-dependent tests take "now" from the server's
clock (GET /_kmsgate/clock), never from the local one, because earlier tests may have advanced it.
"""

from __future__ import annotations

import pytest

import kmsgate_sdk
from kmsgate_sdk import ServerProcess

# Each dialect's fixtures live in their own module; session-scoped servers are shared by all
# test modules only when registered here, once.
pytest_plugins = ("kmsgate_tencent_fixtures", "kmsgate_huawei_fixtures")


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory):
    return tmp_path_factory.mktemp("kmsgate-logs")


def _serve(name, logs, config=None):
    srv = ServerProcess(name, logs, config)
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def server(server_logs):
    """kmsgate-aws with the default configuration (lenient auth, default account 000000000000)."""
    yield from _serve("default", server_logs)


@pytest.fixture(scope="session")
def endpoint(server):
    return server.endpoint


@pytest.fixture
def make_client(server):
    """make_client(region="us-east-1", account=None, secret=...) -> boto3 KMS client; account None
    means a fresh random account."""

    def make(region="us-east-1", account=None, secret=kmsgate_sdk.SECRET, srv=None):
        return kmsgate_sdk.client((srv or server).endpoint, region, account, secret)

    return make


@pytest.fixture
def account():
    return kmsgate_sdk.random_account()


@pytest.fixture
def kms(make_client, account):
    """us-east-1 client for this test's own account."""
    return make_client("us-east-1", account)


@pytest.fixture
def kms_cn(make_client, account):
    """cn-north-1 client (SM4 keys, SM2 wrapping) for this test's own account."""
    return make_client("cn-north-1", account)


@pytest.fixture
def clock(server):
    """clock.now() / clock.advance(seconds) on the server's emulated clock."""
    return server


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, attach the last lines the involved server(s) wrote to stderr."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    for name, srv in funcargs.items():
        if isinstance(srv, ServerProcess):
            tail = srv.log_tail(4000).splitlines()[-40:]
            if tail:
                report.sections.append((f"{srv.binary.name} ({srv.name}) stderr, last lines", "\n".join(tail)))
