"""pytest fixtures for the Huawei SDK tests (issue #5), loaded by conftest.py: a permissive
kmsgate-huawei and a strict one per session, a fresh project per test, SDK clients."""

from __future__ import annotations

import pytest

import kmsgate_huawei as hw
from kmsgate_sdk import ADMIN_TOKEN, ServerProcess

STRICT_PROJECT_TOKEN = "MIIkmsgate-static-test-token"
# The Huawei dialect only ever asks for RSA_2048 and SM2 wrapping keys: no RSA_3072/RSA_4096
# pairs made ahead for nothing (they cost seconds of CPU the other tests wait for).
LEAN_POOL = {"KMSGATE_POOL__RSA_3072": "0", "KMSGATE_POOL__RSA_4096": "0"}


def _serve(name, logs, config=None):
    srv = ServerProcess(name, logs, {**LEAN_POOL, **(config or {})}, binary="kmsgate-huawei")
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def huawei_server(server_logs):
    """kmsgate-huawei with the default configuration (permissive auth)."""
    yield from _serve("huawei-default", server_logs)


@pytest.fixture(scope="session")
def huawei_strict_projects():
    """(project the strict AK/user may use, project only the static token opens)."""
    return hw.random_project(), hw.random_project()


@pytest.fixture(scope="session")
def huawei_strict_server(server_logs, huawei_strict_projects):
    """kmsgate-huawei in strict mode: one AK for any project, one limited to the first project,
    one IAM user limited to the first project, a static token for the second. Strict auth closes
    the /_kmsgate/ endpoints unless an admin token is set, so one is (the clock helpers send it)."""
    mine, static = huawei_strict_projects
    name, password, domain = hw.STRICT_USER
    config = {
        "KMSGATE_HUAWEI__STRICT_AUTH": "true",
        "KMSGATE_ADMIN__TOKEN": ADMIN_TOKEN,
        f"KMSGATE_HUAWEI__CREDENTIALS__{hw.AK}__SECRET_KEY": hw.SK,
        "KMSGATE_HUAWEI__CREDENTIALS__HPUALIMITED__SECRET_KEY": "limited-secret",
        "KMSGATE_HUAWEI__CREDENTIALS__HPUALIMITED__PROJECTS": mine,
        f"KMSGATE_HUAWEI__USERS__{name}__PASSWORD": password,
        f"KMSGATE_HUAWEI__USERS__{name}__DOMAIN": domain,
        f"KMSGATE_HUAWEI__USERS__{name}__PROJECTS": mine,
        # map keys keep their case through the environment
        f"KMSGATE_HUAWEI__STATIC_TOKENS__{STRICT_PROJECT_TOKEN}": static,
    }
    yield from _serve("huawei-strict", server_logs, config)


@pytest.fixture
def hw_project():
    return hw.random_project()


@pytest.fixture
def hw_kms(huawei_server, hw_project):
    """huaweicloudsdkkms client for this test's own project on the permissive server."""
    return hw.client(huawei_server.endpoint, hw_project)
