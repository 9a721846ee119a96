"""tencent.require_signed_action (issue #14): the SDK's TC3 signature covers only
content-type;host, so with the setting on its TC3 calls are refused; its legacy signature
(signMethod="HmacSHA256") covers Action and Region as parameters and passes; a client that
signs x-tc-action and x-tc-region itself passes, and cannot be resent as another action."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
from typing import Callable

import pytest

import kmsgate_tencent as kt
from kmsgate_sdk import ADMIN_TOKEN
from kmsgate_tencent import call, raises_code

TOML = f"""
[tencent]
strict_auth = true
require_signed_action = true
[tencent.credentials.{kt.SECRET_ID}]
secret_key = "{kt.SECRET_KEY}"
"""


@pytest.fixture(scope="module")
def bound_server(server_logs):
    srv = kt.configured_server("tencent-signed-action", server_logs, TOML, {
        "KMSGATE_POOL__RSA_2048": "0", "KMSGATE_POOL__RSA_3072": "0",
        "KMSGATE_POOL__RSA_4096": "0", "KMSGATE_POOL__SM2": "0",
        "KMSGATE_ADMIN__TOKEN": ADMIN_TOKEN,
    })
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


def signed_post(endpoint: str, action: str, region: str, payload: dict) -> Callable[..., dict]:
    """A TC3 POST that signs content-type, host, x-tc-action and x-tc-region, as a function
    that sends it (headers given as keywords replace the signed ones) and returns its
    `Response` object."""
    host = kt.host_port(endpoint)
    body = json.dumps(payload).encode()
    ts = int(time.time())
    date = time.strftime("%Y-%m-%d", time.gmtime(ts))
    signed = {"content-type": "application/json", "host": host, "x-tc-action": action,
              "x-tc-region": region}
    names = ";".join(sorted(signed))
    canonical = "POST\n/\n\n" + "".join(f"{n}:{signed[n]}\n" for n in sorted(signed)) + \
        f"\n{names}\n{hashlib.sha256(body).hexdigest()}"
    scope = f"{date}/kms/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{ts}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"

    def mac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(("TC3" + kt.SECRET_KEY).encode(), date), "kms"), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json", "X-TC-Action": action, "X-TC-Region": region,
        "X-TC-Version": kt.VERSION, "X-TC-Timestamp": str(ts),
        "Authorization": f"TC3-HMAC-SHA256 Credential={kt.SECRET_ID}/{scope}, "
                         f"SignedHeaders={names}, Signature={signature}",
    }

    def send(**override) -> dict:
        req = urllib.request.Request(f"http://{host}/", data=body, method="POST",
                                     headers={**headers, **override})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())["Response"]
    return send


def test_sdk_tc3_calls_are_refused(bound_server, region):
    with raises_code("AuthFailure.InvalidAuthorization"):
        call(kt.client(bound_server.endpoint, region), "ListKeys")


def test_the_sdks_legacy_signature_binds_action_and_region(bound_server, region):
    legacy = kt.client(bound_server.endpoint, region, signMethod="HmacSHA256")
    key = call(legacy, "CreateKey", Alias="legacy")["KeyId"]
    assert kt.describe(legacy, key)["KeyState"] == "Enabled"


def test_a_signed_action_cannot_be_swapped(bound_server, region):
    created = signed_post(bound_server.endpoint, "CreateKey", region, {"Alias": "bound"})()
    assert "Error" not in created, created
    key = created["KeyId"]
    describe = signed_post(bound_server.endpoint, "DescribeKey", region, {"KeyId": key})
    assert describe()["KeyMetadata"]["KeyState"] == "Enabled"
    assert describe(**{"X-TC-Action": "DisableKey"})["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert describe(**{"X-TC-Region": "ap-shanghai"})["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert describe()["KeyMetadata"]["KeyState"] == "Enabled"
