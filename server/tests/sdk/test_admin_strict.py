"""Who may use /_kmsgate/ (issue #12). As soon as one dialect runs with strict auth, every
/_kmsgate/ endpoint answers 404 unless admin.token is set, and then only to
`Authorization: Bearer <token>` (401 otherwise); /health and /metrics stay open. The probe that
motivated it: an unauthenticated clock advance on the Tencent listener must not purge an AWS
key pending deletion in a strict process."""

from __future__ import annotations

import http.client
import urllib.parse

import pytest

import kmsgate_huawei as hw
import kmsgate_ops as ops
import kmsgate_tencent as kt
from kmsgate_sdk import ServerProcess, client, describe, raises_code

AWS_ID, AWS_SECRET = "210987654321", "strict-aws-secret-for-admin-tests"
TC_ID, TC_SECRET = "AKIDstrictAdminTests", "strict-tencent-secret-for-admin-tests"
TOKEN = "admin-token-for-strict-tests"
DAY = 86400

STRICT = {
    "aws": {
        "KMSGATE_AWS__STRICT_AUTH": "true",
        f"KMSGATE_AWS__CREDENTIALS__{AWS_ID}": AWS_SECRET,
    },
    "tencent": {
        "KMSGATE_TENCENT__STRICT_AUTH": "true",
        f"KMSGATE_TENCENT__CREDENTIALS__{TC_ID}__SECRET_KEY": TC_SECRET,
    },
    "huawei": {
        "KMSGATE_HUAWEI__STRICT_AUTH": "true",
        f"KMSGATE_HUAWEI__CREDENTIALS__{hw.AK}__SECRET_KEY": hw.SK,
    },
}

ADMIN_CALLS = [
    ("GET", "/_kmsgate/clock", None),
    ("POST", "/_kmsgate/clock/advance", {"seconds": 30 * DAY}),
    ("POST", "/_kmsgate/clock/set", {"epoch_seconds": 4_000_000_000}),
    ("POST", "/_kmsgate/clock/reset", None),
    ("POST", "/_kmsgate/reset", None),
    ("POST", "/_kmsgate/reset", {"tenant": {"account": AWS_ID, "region": "us-east-1"}}),
    ("GET", "/_kmsgate/no-such-endpoint", None),
]

# Spellings of the admin paths a router might take for the real thing.
BYPASSES = [
    "/_kmsgate/clock/advance/",
    "//_kmsgate/clock/advance",
    "/_kmsgate//clock/advance",
    "/_kmsgate/./clock/advance",
    "/x/../_kmsgate/clock/advance",
    "/%5Fkmsgate/clock/advance",
    "/_kmsgate/clock%2Fadvance",
    "/_KMSGATE/clock/advance",
    "/_kmsgate/clock/advance?seconds=2592000",
]


def raw_post(endpoint: str, path: str, body: bytes, headers: dict | None = None) -> tuple[int, bytes]:
    """A POST with the path sent exactly as written (no client-side normalisation)."""
    url = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def clock_offset(srv: ServerProcess, endpoint: str | None = None) -> float:
    """The clock offset as /metrics (open to all) reports it."""
    return ops.scrape(srv, endpoint).value("kmsgate_clock_offset_seconds")


def assert_open_endpoints(srv: ServerProcess, endpoint: str) -> None:
    status, _, body = srv.admin_request("GET", "/health", token=False, endpoint=endpoint)
    assert (status, body) == (200, {"status": "ok", "unreadable_records": 0}), (status, body)
    status, headers, text = srv.admin_request("GET", "/metrics", token=False, endpoint=endpoint)
    assert status == 200, text
    assert ops.Metrics(text).has("kmsgate_clock_offset_seconds")


@pytest.mark.parametrize("dialect", ["aws", "tencent", "huawei"])
def test_strict_without_admin_token_hides_every_admin_endpoint(server_logs, dialect):
    srv = ServerProcess(f"strict-admin-closed-{dialect}", server_logs, ops.lean(STRICT[dialect]),
                        binary=f"kmsgate-{dialect}")
    srv.start()
    try:
        for method, path, body in ADMIN_CALLS:
            for token in (None, TOKEN, ""):
                status, _, out = srv.admin_request(method, path, body, token=token)
                assert status == 404, (method, path, token, status, out)
        for path in BYPASSES:
            status, raw = raw_post(srv.endpoint, path, b'{"seconds": 2592000}')
            assert not 200 <= status < 300, (path, status, raw)
        assert clock_offset(srv) == 0
        assert_open_endpoints(srv, srv.endpoint)
    finally:
        srv.stop()


def test_admin_token_is_required_on_every_listener(server_logs):
    srv = ServerProcess.serve("strict-admin-token", server_logs,
                              ops.lean({**STRICT["aws"], "KMSGATE_ADMIN__TOKEN": TOKEN}))
    srv.start()
    try:
        for dialect, ep in srv.endpoints.items():
            for method, path, body in ADMIN_CALLS:
                if path == "/_kmsgate/clock/advance":
                    body = {"seconds": 60}
                for token in (None, "", "wrong-token", TOKEN + "x", TOKEN[:-1]):
                    status, headers, out = srv.admin_request(method, path, body, token=token, endpoint=ep)
                    assert status == 401, (dialect, method, path, token, status, out)
                    assert headers.get("WWW-Authenticate", headers.get("www-authenticate")) == "Bearer"
                    assert isinstance(out, dict) and out.get("error"), out
                for scheme in (f"Basic {TOKEN}", f"Token {TOKEN}", TOKEN):
                    status, _, out = srv.admin_request(method, path, body, token=False, endpoint=ep,
                                                       headers={"Authorization": scheme})
                    assert status == 401, (dialect, path, scheme, status, out)
            for path in BYPASSES:
                status, raw = raw_post(ep, path, b'{"seconds": 2592000}')
                assert not 200 <= status < 300, (dialect, path, status, raw)
            assert clock_offset(srv, ep) == 0
            assert_open_endpoints(srv, ep)
            # with the token, each listener's admin endpoints work
            status, _, out = srv.admin_request("GET", "/_kmsgate/clock", token=TOKEN, endpoint=ep)
            assert status == 200 and "generation" in out, out
            status, _, out = srv.admin_request("POST", "/_kmsgate/no-such-endpoint", token=TOKEN, endpoint=ep)
            assert status == 404, out
        moved = srv.advance(60)
        assert moved["after"] >= moved["before"] + 60
    finally:
        srv.stop()


@pytest.mark.parametrize("admin_token", [None, TOKEN], ids=["no-admin-token", "admin-token"])
def test_unauthenticated_clock_advance_cannot_purge_a_strict_aws_key(server_logs, admin_token):
    config = {**STRICT["aws"], **({"KMSGATE_ADMIN__TOKEN": admin_token} if admin_token else {})}
    srv = ServerProcess.serve(f"strict-probe-{'token' if admin_token else 'closed'}", server_logs, ops.lean(config))
    srv.start()
    try:
        kms = client(srv.endpoint, "us-east-1", AWS_ID, AWS_SECRET)
        key_id = kms.create_key(Description="must survive")["KeyMetadata"]["KeyId"]
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        assert describe(kms, key_id)["KeyState"] == "PendingDeletion"
        # another tenant's view of the process stays unauthenticated too
        tc = kt.client(srv.endpoints["tencent"], "ap-guangzhou")
        kt.call(tc, "CreateKey", Alias="lenient-tencent-key")

        refused = 401 if admin_token else 404
        for ep in (srv.endpoints["tencent"], srv.endpoints["huawei"], srv.endpoints["aws"]):
            for method, path, body in (
                ("POST", "/_kmsgate/clock/advance", {"seconds": 30 * DAY}),
                ("POST", "/_kmsgate/clock/set", {"epoch_seconds": 4_000_000_000}),
                ("POST", "/_kmsgate/reset", None),
            ):
                status, _, out = srv.admin_request(method, path, body, token=None, endpoint=ep)
                assert status == refused, (ep, path, status, out)
            for path in BYPASSES:
                status, raw = raw_post(ep, path, b'{"seconds": 2592000}')
                assert not 200 <= status < 300, (ep, path, status, raw)
        assert clock_offset(srv) == 0
        meta = describe(kms, key_id)
        assert (meta["KeyState"], meta["Description"]) == ("PendingDeletion", "must survive")
        assert kt.call(tc, "ListKeys")["TotalCount"] == 1
        kms.cancel_key_deletion(KeyId=key_id)
        assert describe(kms, key_id)["KeyState"] == "Disabled"

        if admin_token:
            # the same advance with the token does what the probe wanted, so the refusal above
            # is what protected the key
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
            status, _, out = srv.admin_request("POST", "/_kmsgate/clock/advance", {"seconds": 8 * DAY},
                                               token=admin_token, endpoint=srv.endpoints["tencent"])
            assert status == 200, out
            with raises_code("NotFoundException"):
                kms.describe_key(KeyId=key_id)
    finally:
        srv.stop()
