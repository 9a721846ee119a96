"""pytest fixtures for the Tencent SDK tests (issue #4), loaded by conftest.py.

Servers are shared per session; each test works in a fresh region (part of the tenant), so
tests never see each other's keys. The shared FIPS and SM servers run with quotas off (a busy
test may import more than 10 times in one real second); the quota has its own server with a
one-hour window stepped by the emulated clock.
"""

from __future__ import annotations

import pytest

import kmsgate_tencent
from kmsgate_sdk import ADMIN_TOKEN, ServerProcess

# The Tencent dialect only ever asks for RSA-2048 (and SM2 in the SM edition) wrapping keys.
LEAN_POOL = {
    "KMSGATE_POOL__RSA_3072": "0",
    "KMSGATE_POOL__RSA_4096": "0",
    "KMSGATE_POOL__RSA_2048": "2",
}
STRICT_TOML = f"""
[tencent]
strict_auth = true
[tencent.credentials.{kmsgate_tencent.SECRET_ID}]
secret_key = "{kmsgate_tencent.SECRET_KEY}"
account = "200000000002"
[tencent.credentials.AKIDkmsgateOtherAccount]
secret_key = "other-secret"
account = "300000000003"
"""


def _serve(srv: ServerProcess):
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


def _tencent(name, logs, extra=None):
    config = {**LEAN_POOL, **(extra or {})}
    return ServerProcess(name, logs, config, binary="kmsgate-tencent")


@pytest.fixture(scope="session")
def tencent_server(server_logs):
    """kmsgate-tencent, FIPS edition (the default), lenient auth, quotas off."""
    yield from _serve(_tencent("tencent-fips", server_logs, {
        "KMSGATE_POOL__SM2": "0",
        "KMSGATE_TENCENT__QUOTAS__ENABLED": "false",
    }))


@pytest.fixture(scope="session")
def tencent_sm_server(server_logs):
    """kmsgate-tencent, SM-CRYPTO edition (SM4 keys, SM2PKE wrapping)."""
    yield from _serve(_tencent("tencent-sm", server_logs, {
        "KMSGATE_TENCENT__EDITION": "sm",
        "KMSGATE_POOL__SM2": "2",
        "KMSGATE_TENCENT__QUOTAS__ENABLED": "false",
    }))


@pytest.fixture(scope="session")
def tencent_quota_server(server_logs):
    """Default quotas (ImportKeyMaterial 10 per window) with a one-hour window, so eleven calls
    always fall in one window and one clock step of an hour starts the next."""
    yield from _serve(_tencent("tencent-quota", server_logs, {
        "KMSGATE_POOL__SM2": "0",
        "KMSGATE_TENCENT__QUOTAS__WINDOW_SECS": "3600",
    }))


@pytest.fixture(scope="session")
def tencent_strict_server(server_logs):
    """Strict signatures; two SecretIds (from a TOML file) acting for two accounts. Strict auth
    closes /_kmsgate/ unless an admin token is set, so one is (the clock helpers send it)."""
    srv = kmsgate_tencent.configured_server("tencent-strict", server_logs, STRICT_TOML, {
        **LEAN_POOL, "KMSGATE_POOL__SM2": "0", "KMSGATE_ADMIN__TOKEN": ADMIN_TOKEN,
    })
    yield from _serve(srv)


@pytest.fixture(scope="session")
def tencent_impatient_server(server_logs):
    """A one-second request time limit, for the answer to a request that never arrives whole."""
    yield from _serve(_tencent("tencent-impatient", server_logs, {
        "KMSGATE_POOL__SM2": "0",
        "KMSGATE_POOL__RSA_2048": "0",
        "KMSGATE_LIMITS__REQUEST_TIMEOUT_SECS": "1",
    }))


@pytest.fixture
def region():
    return kmsgate_tencent.fresh_region()


@pytest.fixture
def tc(tencent_server, region):
    """A KmsClient on the FIPS server, in this test's own region."""
    return kmsgate_tencent.client(tencent_server.endpoint, region)


@pytest.fixture
def tc_sm(tencent_sm_server, region):
    return kmsgate_tencent.client(tencent_sm_server.endpoint, region)
