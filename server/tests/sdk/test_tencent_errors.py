"""Every error code of seed 003 (and the reference's codes where they fit), as the Tencent SDK
raises them from kmsgate-tencent: HTTP 200 envelopes with Error.Code and a RequestId.

InternalError is the one code a client cannot provoke (it needs a failing store); the dialect's
Rust tests drive it through a store that fails (tests/dialect/surface.rs)."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

import kmsgate_tencent as kt
from kmsgate_tencent import b64, call, create_external, describe, import_material, params_for, raises_code, wrap


def test_cmk_not_found_and_malformed_key_ids(tc):
    with raises_code("ResourceUnavailable.CmkNotFound"):
        call(tc, "DescribeKey", KeyId=str(uuid.uuid4()))
    with raises_code("ResourceUnavailable.CmkNotFound"):
        params_for(tc, str(uuid.uuid4()))
    with raises_code("InvalidParameterValue.InvalidKeyId"):
        call(tc, "DescribeKey", KeyId="not-a-key-id")


def test_not_external_cmk(tc):
    key = call(tc, "CreateKey", Alias="generated", Type=1)["KeyId"]
    with raises_code("UnsupportedOperation.NotExternalCmk"):
        params_for(tc, key)
    with raises_code("UnsupportedOperation.NotExternalCmk"):
        call(tc, "DeleteImportedKeyMaterial", KeyId=key)


def test_cmk_state_not_support_and_cmk_disabled(tc):
    key = create_external(tc)
    material = os.urandom(32)
    with raises_code("ResourceUnavailable.CmkStateNotSupport"):
        call(tc, "Encrypt", KeyId=key, Plaintext=b64(b"x"))
    import_material(tc, key, material)
    call(tc, "DisableKey", KeyId=key)
    with raises_code("ResourceUnavailable.CmkDisabled"):
        call(tc, "Encrypt", KeyId=key, Plaintext=b64(b"x"))
    # Tencent imports only into Enabled or PendingImport keys.
    with raises_code("ResourceUnavailable.CmkStateNotSupport"):
        import_material(tc, key, material)
    call(tc, "ScheduleKeyDeletion", KeyId=key, PendingWindowInDays=7)
    assert describe(tc, key)["KeyState"] == "PendingDelete"
    with raises_code("ResourceUnavailable.CmkStateNotSupport"):
        params_for(tc, key)


def test_decrypt_material_error(tc):
    key = create_external(tc)
    p = params_for(tc, key)
    other = params_for(tc, key)
    for wrapped in (b64(os.urandom(256)), wrap(other, "RSAES_OAEP_SHA_256", os.urandom(32))):
        with raises_code("InvalidParameter.DecryptMaterialError"):
            call(tc, "ImportKeyMaterial", KeyId=key, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrapped)


def test_invalid_parameter(tc, tencent_server):
    key = create_external(tc)
    p = params_for(tc, key)
    wrapped = wrap(p, "RSAES_OAEP_SHA_256", os.urandom(32))
    # A token kmsgate never issued; a token of another CMK; a ValidTo in the past.
    with raises_code("InvalidParameter"):
        call(tc, "ImportKeyMaterial", KeyId=key, ImportToken=b64(os.urandom(300)), EncryptedKeyMaterial=wrapped)
    other = create_external(tc)
    with raises_code("InvalidParameter"):
        call(tc, "ImportKeyMaterial", KeyId=other, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrapped)
    with raises_code("InvalidParameter"):
        call(tc, "ImportKeyMaterial", KeyId=key, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrapped,
             ValidTo=int(tencent_server.now()) - 1)
    # A value of the wrong type (the SDK sends what it is given).
    cc = kt.common_client(tencent_server.endpoint, tc.region)
    with raises_code("InvalidParameter"):
        cc.call_json("ImportKeyMaterial", {"KeyId": key, "ImportToken": p["ImportToken"],
                                           "EncryptedKeyMaterial": wrapped, "ValidTo": "soon"})
    assert describe(tc, key)["KeyState"] == "PendingImport"


def test_wrapping_parameters(tc):
    key = create_external(tc)
    for algorithm, spec in (("RSA_AES_KEY_WRAP_SHA_256", "RSA_2048"), ("RSAES_OAEP_SHA_256", "RSA_4096")):
        with raises_code("InvalidParameterValue"):
            params_for(tc, key, algorithm, spec)


def test_platform_codes(tencent_server, region):
    cc = kt.common_client(tencent_server.endpoint, region)
    with raises_code("InvalidAction"):
        cc.call_json("NoSuchAction", {})
    with raises_code("UnsupportedOperation"):
        cc.call_json("ArchiveKey", {"KeyId": str(uuid.uuid4())})
    with raises_code("UnknownParameter"):
        cc.call_json("DescribeKey", {"KeyId": str(uuid.uuid4()), "Surprise": 1})
    with raises_code("MissingParameter"):
        cc.call_json("DescribeKey", {})
    with raises_code("NoSuchVersion"):
        kt.common_client(tencent_server.endpoint, region, version="2017-01-01").call_json("ListKeys", {})
    # An empty region: the SDK leaves the X-TC-Region header out.
    with raises_code("MissingParameter"):
        call(kt.client(tencent_server.endpoint, ""), "ListKeys")


def test_service_temporary_unavailable_for_a_request_that_never_arrives(tencent_impatient_server):
    """The body stops short of its Content-Length: the request cannot start within the time
    limit, so nothing runs and the answer says to retry, in Tencent's envelope."""
    host, port = kt.host_port(tencent_impatient_server.endpoint).rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=60) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"X-TC-Action: ListKeys\r\nContent-Length: 100\r\n\r\n{")
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert b"content-type: application/json\r\n" in head.lower() + b"\r\n", head
    import json
    response = json.loads(body)["Response"]
    assert response["Error"]["Code"] == "UnsupportedOperation.ServiceTemporaryUnavailable", response
    assert response["RequestId"]


def test_errors_reach_the_sdk_as_exceptions_with_request_ids(tc):
    with pytest.raises(TencentCloudSDKException) as info:
        call(tc, "DescribeKey", KeyId=str(uuid.uuid4()))
    assert info.value.get_code() == "ResourceUnavailable.CmkNotFound"
    uuid.UUID(info.value.get_request_id())
    assert str(uuid.UUID(int=0)) != info.value.get_request_id()
