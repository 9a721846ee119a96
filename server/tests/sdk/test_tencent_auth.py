"""Signatures and accounts: strict TC3 verification, the legacy HmacSHA256 signature, the GET
form, endpoints written with a scheme, stale timestamps, and SecretIds acting for accounts."""

from __future__ import annotations

import time
import uuid
from unittest import mock

import kmsgate_tencent as kt
from kmsgate_tencent import call, raises_code


def strict(server, region, secret_id=kt.SECRET_ID, secret_key=kt.SECRET_KEY, **kw):
    return kt.client(server.endpoint, region, secret_id, secret_key, **kw)


def test_strict_signatures(tencent_strict_server, region):
    good = strict(tencent_strict_server, region)
    key = call(good, "CreateKey", Alias="signed")["KeyId"]
    assert kt.describe(good, key)["CreatorUin"] == 200000000002
    with raises_code("AuthFailure.SignatureFailure"):
        call(strict(tencent_strict_server, region, secret_key="wrong"), "ListKeys")
    with raises_code("AuthFailure.SecretIdNotFound"):
        call(strict(tencent_strict_server, region, secret_id="AKIDunknown"), "ListKeys")
    # The legacy signature and the GET form are verified too.
    legacy = strict(tencent_strict_server, region, signMethod="HmacSHA256")
    assert kt.describe(legacy, key)["KeyId"] == key
    legacy_sha1 = strict(tencent_strict_server, region, signMethod="HmacSHA1")
    assert kt.describe(legacy_sha1, key)["KeyId"] == key
    with raises_code("AuthFailure.SignatureFailure"):
        call(strict(tencent_strict_server, region, secret_key="wrong", signMethod="HmacSHA256"), "ListKeys")
    get = strict(tencent_strict_server, region)
    get.profile.httpProfile.reqMethod = "GET"
    assert call(get, "DescribeKeys", KeyIds=[key])["KeyMetadatas"][0]["KeyId"] == key


def test_secret_ids_act_for_their_accounts(tencent_strict_server, region):
    mine = strict(tencent_strict_server, region)
    theirs = strict(tencent_strict_server, region, "AKIDkmsgateOtherAccount", "other-secret")
    key = call(mine, "CreateKey", Alias="same-name")["KeyId"]
    with raises_code("ResourceUnavailable.CmkNotFound"):
        kt.describe(theirs, key)
    other = call(theirs, "CreateKey", Alias="same-name")["KeyId"]
    assert kt.describe(theirs, other)["CreatorUin"] == 300000000003


def test_stale_timestamps_are_refused_even_leniently(tencent_server, region):
    c = kt.client(tencent_server.endpoint, region)
    with mock.patch("tencentcloud.common.abstract_client.time.time", return_value=time.time() - 3600):
        with raises_code("AuthFailure.SignatureExpire"):
            call(c, "ListKeys")
    # The emulated clock moving on does not age real signatures.
    tencent_server.advance(7200)
    call(c, "ListKeys")


def test_endpoint_with_scheme_is_accepted(tencent_strict_server, region):
    """With endpoint="http://host:port" the SDK sends (and signs) Host: http://host:port."""
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.kms.v20190118 import kms_client

    assert tencent_strict_server.endpoint.startswith("http://")
    hp = HttpProfile(endpoint=tencent_strict_server.endpoint, protocol="http")
    c = kms_client.KmsClient(credential.Credential(kt.SECRET_ID, kt.SECRET_KEY), region,
                             ClientProfile(httpProfile=hp))
    assert call(c, "ListKeys")["TotalCount"] == 0
    with raises_code("ResourceUnavailable.CmkNotFound"):
        call(c, "DescribeKey", KeyId=str(uuid.uuid4()))
