"""Both ways to reach kmsgate-huawei: plain HTTP requests carrying an X-Auth-Token from IAM's
POST /v3/auth/tokens (the whole BYOK flow, exactly as the seeds' example requests look), and
huaweicloudsdkkms's SDK-HMAC-SHA256 in strict mode; project scoping and token expiry."""

from __future__ import annotations

import base64
import os

from huaweicloudsdkkms.v2 import model as m

import kmsgate_huawei as hw
from kmsgate_huawei_fixtures import STRICT_PROJECT_TOKEN


def test_byok_with_plain_http_and_an_iam_token(huawei_server, hw_project):
    ep, project = huawei_server.endpoint, hw_project
    status, token, body = hw.get_token(ep, project, ("anyone", "any-password", "any-domain"))
    assert status == 201, body
    assert token and token.startswith("MII")
    assert body["token"]["project"]["id"] == project

    status, _, out = hw.kms_call(ep, token, project, "create-key", {"key_alias": "http-byok", "origin": "external"})
    assert status == 200, out
    key_id = out["key_info"]["key_id"]
    status, _, p = hw.kms_call(
        ep, token, project, "get-parameters-for-import",
        {"key_id": key_id, "wrapping_algorithm": "RSAES_OAEP_SHA_256", "sequence": "919c82d4-8046-4722-9094-35c3c6524cff"},
    )
    assert status == 200, p
    assert isinstance(p["expiration_time"], int)
    material = os.urandom(32)
    # seed 001's example body, with our values
    request = {
        "key_id": key_id,
        "import_token": p["import_token"],
        "encrypted_key_material": hw.wrap(p["public_key"], "RSAES_OAEP_SHA_256", material),
        "expiration_time": int(huawei_server.now()) + 600,
        "sequence": "919c82d4-8046-4722-9094-35c3c6524cff",
    }
    status, _, out = hw.kms_call(ep, token, project, "import-key-material", request)
    assert (status, out) == (200, {})
    status, _, out = hw.kms_call(ep, token, project, "describe-key", {"key_id": key_id})
    assert (status, out["key_info"]["key_state"]) == (200, "2")
    status, _, enc = hw.kms_call(ep, token, project, "encrypt-data", {"key_id": key_id, "plain_text": "over http"})
    assert status == 200, enc
    status, _, dec = hw.kms_call(ep, token, project, "decrypt-data", {"cipher_text": enc["cipher_text"]})
    assert (status, dec["plain_text"]) == (200, "over http")
    assert base64.b64decode(dec["plain_text_base64"]) == b"over http"
    # errors keep Huawei's shape
    status, _, err = hw.kms_call(ep, token, project, "import-key-material", {**request, "import_token": "A" * 199})
    assert (status, hw.error_code(err)) == (400, "KMS.0308")
    status, _, err = hw.kms_call(ep, token, project, "no-such-api", {})
    assert (status, hw.error_code(err)) == (404, "APIG.0101")
    # no credentials at all
    status, _, err = hw.http(ep, "POST", f"/v1.0/{project}/kms/list-keys", {})
    assert (status, hw.error_code(err)) == (401, "APIG.0301")


def test_strict_tokens_are_scoped_and_expire(huawei_strict_server, huawei_strict_projects):
    ep = huawei_strict_server.endpoint
    mine, static_project = huawei_strict_projects
    status, _, body = hw.get_token(ep, mine, ("alice", "wrong", "acme"))
    assert status == 401, body
    status, _, body = hw.get_token(ep, static_project)
    assert status == 401, body  # alice may not use that project
    status, token, body = hw.get_token(ep, mine)
    assert status == 201, body

    status, _, out = hw.kms_call(ep, token, mine, "list-keys", {})
    assert status == 200, out
    status, _, err = hw.kms_call(ep, token, static_project, "list-keys", {})
    assert (status, hw.error_code(err)) == (403, "APIG.0301")
    status, _, err = hw.kms_call(ep, "MIIforged" + "A" * 100, mine, "list-keys", {})
    assert (status, hw.error_code(err)) == (401, "APIG.0301")
    # the static token opens only its own project, and never expires
    static = STRICT_PROJECT_TOKEN
    assert hw.kms_call(ep, static, static_project, "list-keys", {})[0] == 200
    assert hw.kms_call(ep, static, mine, "list-keys", {})[0] == 403
    # issued tokens expire after 24 h of emulated time
    huawei_strict_server.advance(24 * 3600)
    status, _, err = hw.kms_call(ep, token, mine, "list-keys", {})
    assert (status, hw.error_code(err)) == (401, "APIG.0301")
    assert "token expires" in err["error_msg"]
    assert hw.kms_call(ep, static, static_project, "list-keys", {})[0] == 200


def test_strict_sdk_signatures(huawei_strict_server, huawei_strict_projects):
    ep = huawei_strict_server.endpoint
    mine, other = huawei_strict_projects
    kms = hw.client(ep, mine)
    key_id = hw.create_key(kms, "kms", "SM4")
    assert hw.decrypt(kms, hw.encrypt(kms, key_id, "signed")) == "signed"
    # aliases: a GET with a signed query string
    kms.create_alias(m.CreateAliasRequest(body=m.CreateAliasRequestBody(key_id=key_id, alias="strict-alias")))
    listed = kms.list_aliases(m.ListAliasesRequest(key_id=key_id, limit="10"))
    assert listed.body[0].aliases[0].alias == "strict-alias"

    with hw.raises_code("APIG.0301", 401):
        hw.create_key(hw.client(ep, mine, sk="wrong-secret"))
    with hw.raises_code("APIG.0301", 401):
        hw.create_key(hw.client(ep, mine, ak="HPUANOBODY"))
    limited = hw.client(ep, mine, ak="HPUALIMITED", sk="limited-secret")
    hw.create_key(limited)
    with hw.raises_code("APIG.0301", 403):
        hw.create_key(hw.client(ep, other, ak="HPUALIMITED", sk="limited-secret"))
    # projects never share keys
    with hw.raises_code("KMS.0207", 404):
        hw.describe(hw.client(ep, other), key_id)
