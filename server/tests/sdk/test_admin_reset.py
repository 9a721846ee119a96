"""POST /_kmsgate/reset (issue #12): removes the keys and aliases of one tenant, named in the
listener's own cloud's terms, or of every tenant; checked through each cloud's real SDK. After a
reset a README-style snippet that creates a key and an alias with a fixed name runs again
without AlreadyExists / KMS.1104."""

from __future__ import annotations

import pytest
from huaweicloudsdkkms.v2 import model as m

import kmsgate_huawei as hw
import kmsgate_ops as ops
import kmsgate_sdk
import kmsgate_tencent as kt
from kmsgate_sdk import ServerProcess, random_account, raises_code

TENCENT_UIN = "100000000001"  # every unconfigured SecretId acts for tencent.default_account


def customer_aliases(kms) -> dict[str, str | None]:
    aliases = kms.list_aliases(Limit=100)["Aliases"]
    return {a["AliasName"]: a.get("TargetKeyId") for a in aliases if not a["AliasName"].startswith("alias/aws/")}


# ---- README-style snippets (a fixed alias name, as a README would have it) --------------------


def aws_snippet(kms) -> str:
    key_id = kms.create_key(Description="readme")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/readme-app", TargetKeyId=key_id)
    return key_id


def tencent_snippet(c) -> str:
    return kt.call(c, "CreateKey", Alias="readme-app", Description="readme")["KeyId"]


def huawei_snippet(kms) -> str:
    key_id = hw.create_key(kms, alias="readme-app")
    kms.create_alias(m.CreateAliasRequest(body=m.CreateAliasRequestBody(key_id=key_id, alias="readme-alias")))
    return key_id


# ---- one tenant, through each SDK -------------------------------------------------------------


def test_aws_reset_of_one_tenant(server):
    account, other_account = random_account(), random_account()
    kms = kmsgate_sdk.client(server.endpoint, "us-east-1", account)
    kms_cn = kmsgate_sdk.client(server.endpoint, "cn-north-1", account)  # same account, other region
    other = kmsgate_sdk.client(server.endpoint, "us-east-1", other_account)

    first = aws_snippet(kms)
    with raises_code("AlreadyExistsException"):
        aws_snippet(kms)  # the snippet's fixed alias is taken now (its second key stays)
    ext = kmsgate_sdk.create_external_key(kms)["KeyId"]
    kms.tag_resource(KeyId=ext, Tags=[{"TagKey": "t", "TagValue": "v"}])
    kms.create_alias(AliasName="alias/second", TargetKeyId=ext)
    ct = kms.encrypt(KeyId=first, Plaintext=b"gone")["CiphertextBlob"]
    cn_key = aws_snippet(kms_cn)
    other_key = aws_snippet(other)
    mine = {k["KeyId"] for k in kms.list_keys()["Keys"]}
    assert len(mine) == 3

    out = server.reset({"account": account, "region": "us-east-1"})
    assert out == {"tenant": f"aws/{account}/us-east-1", "keys_removed": 3, "aliases_removed": 2}

    assert kms.list_keys()["Keys"] == []
    assert customer_aliases(kms) == {}
    for key_id in (first, ext, "alias/readme-app"):
        with raises_code("NotFoundException"):
            kms.describe_key(KeyId=key_id)
    with raises_code("NotFoundException", "InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=ct)
    # the other tenants keep theirs
    assert kmsgate_sdk.describe(kms_cn, "alias/readme-app")["KeyId"] == cn_key
    assert kmsgate_sdk.describe(other, "alias/readme-app")["KeyId"] == other_key
    assert kms_cn.encrypt(KeyId=cn_key, Plaintext=b"kept")["KeyId"].endswith(cn_key)

    again = aws_snippet(kms)  # no AlreadyExistsException
    assert customer_aliases(kms) == {"alias/readme-app": again}
    # a reset of a tenant with nothing in it removes nothing
    out = server.reset({"account": random_account(), "region": "eu-west-1"})
    assert (out["keys_removed"], out["aliases_removed"]) == (0, 0)


def test_tencent_reset_of_one_tenant(tencent_server):
    region, other_region = kt.fresh_region(), kt.fresh_region()
    c = kt.client(tencent_server.endpoint, region)
    other = kt.client(tencent_server.endpoint, other_region)

    first = tencent_snippet(c)
    with kt.raises_code("InvalidParameterValue.AliasAlreadyExists"):
        tencent_snippet(c)
    ext = kt.create_external(c, alias="byok")
    kt.import_material(c, ext, kt.material("fips"))
    blob = kt.call(c, "Encrypt", KeyId=first, Plaintext=kt.b64(b"gone"))["CiphertextBlob"]
    kept = tencent_snippet(other)
    assert kt.call(c, "ListKeys")["TotalCount"] == 2

    out = tencent_server.reset({"uin": TENCENT_UIN, "region": region})
    assert out == {"tenant": f"tencent/{TENCENT_UIN}/{region}", "keys_removed": 2, "aliases_removed": 2}

    assert kt.call(c, "ListKeys")["TotalCount"] == 0
    assert kt.call(c, "ListKeyDetail")["TotalCount"] == 0
    for key_id in (first, ext):
        with kt.raises_code("ResourceUnavailable.CmkNotFound"):
            kt.describe(c, key_id)
    with kt.raises_code("FailedOperation.DecryptError", "ResourceUnavailable.CmkNotFound"):
        kt.call(c, "Decrypt", CiphertextBlob=blob)
    assert kt.describe(other, kept)["Alias"] == "readme-app"
    kt.roundtrip(other, kept)

    again = tencent_snippet(c)  # no AliasAlreadyExists
    assert kt.describe(c, again)["Alias"] == "readme-app"


def test_huawei_reset_of_one_tenant(huawei_server):
    project, other_project = hw.random_project(), hw.random_project()
    kms = hw.client(huawei_server.endpoint, project)
    other = hw.client(huawei_server.endpoint, other_project)

    first = huawei_snippet(kms)
    with hw.raises_code("KMS.1104"):
        huawei_snippet(kms)
    sm4 = hw.create_key(kms, "kms", "SM4")
    ct = hw.encrypt(kms, first, "gone")
    kept = huawei_snippet(other)
    assert kms.list_keys(m.ListKeysRequest(body=m.ListKeysRequestBody(key_spec="ALL"))).total == 2

    out = huawei_server.reset({"project_id": project})
    assert out["tenant"] == f"huawei/{project}"
    assert out["keys_removed"] == 2
    # the alias made by create-alias, and each key's key_alias (kept as an alias too)
    assert out["aliases_removed"] == 3, out

    listed = kms.list_keys(m.ListKeysRequest(body=m.ListKeysRequestBody(key_spec="ALL")))
    assert (listed.total, listed.keys) == (0, [])
    assert kms.list_aliases(m.ListAliasesRequest()).body[0].aliases == []
    for key_id in (first, sm4):
        with hw.raises_code("KMS.0207", 404):
            hw.describe(kms, key_id)
    with pytest.raises(Exception):
        hw.decrypt(kms, ct)
    assert hw.describe(other, kept).key_alias == "readme-app"
    assert hw.decrypt(other, hw.encrypt(other, kept, "kept")) == "kept"

    again = huawei_snippet(kms)  # no KMS.1104
    assert hw.describe(kms, again).key_alias == "readme-app"


# ---- malformed tenants ------------------------------------------------------------------------

AWS_T = {"account": "111122223333", "region": "us-east-1"}
TENCENT_T = {"uin": TENCENT_UIN, "region": "ap-guangzhou"}
HUAWEI_T = {"project_id": "0123456789abcdef0123456789abcdef"}

MALFORMED = {
    "aws": [
        {"tenant": {"account": "1111", "region": "us-east-1"}},
        {"tenant": {"account": "111122223333"}},
        {"tenant": {**AWS_T, "extra": "x"}},
        {"tenant": {"account": 111122223333, "region": "us-east-1"}},
        {"tenant": TENCENT_T},
        {"tenant": HUAWEI_T},
    ],
    "tencent": [
        {"tenant": {"uin": "not-a-uin", "region": "ap-guangzhou"}},
        {"tenant": {"uin": TENCENT_UIN}},
        {"tenant": AWS_T},
        {"tenant": HUAWEI_T},
    ],
    "huawei": [
        {"tenant": {"project_id": "has spaces and !"}},
        {"tenant": {"project_id": ""}},
        {"tenant": {**HUAWEI_T, "region": "cn-north-4"}},
        {"tenant": AWS_T},
        {"tenant": TENCENT_T},
    ],
}
COMMON_MALFORMED = [
    {"tenant": "aws/111122223333/us-east-1"},
    {"tenant": None},
    {"tenant": {}},
    {"tenants": {}},
    {"tenant": AWS_T, "also": 1},
    [],
    b"not json",
    b"[1]",
]


@pytest.mark.parametrize("dialect", ["aws", "tencent", "huawei"])
def test_malformed_tenants_are_400_and_remove_nothing(request, dialect):
    srv = request.getfixturevalue({"aws": "server", "tencent": "tencent_server", "huawei": "huawei_server"}[dialect])
    # something that a wrongly broad reset would remove
    if dialect == "aws":
        kms = kmsgate_sdk.client(srv.endpoint, "us-east-1", random_account())
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        still_there = lambda: kmsgate_sdk.describe(kms, key)["KeyState"] == "Enabled"  # noqa: E731
    elif dialect == "tencent":
        c = kt.client(srv.endpoint, kt.fresh_region())
        key = kt.call(c, "CreateKey", Alias="k")["KeyId"]
        still_there = lambda: kt.describe(c, key)["KeyState"] == "Enabled"  # noqa: E731
    else:
        kms = hw.client(srv.endpoint, hw.random_project())
        key = hw.create_key(kms)
        still_there = lambda: hw.describe(kms, key).key_state == "2"  # noqa: E731
    for body in MALFORMED[dialect] + COMMON_MALFORMED:
        status, headers, out = srv.admin_request("POST", "/_kmsgate/reset", body)
        assert status == 400, (body, status, out)
        assert isinstance(out, dict) and isinstance(out.get("error"), str) and out["error"], (body, out)
        assert headers.get("Content-Type", headers.get("content-type", "")).startswith("application/json")
    assert still_there()
    # the wrong method
    status, _, out = srv.admin_request("GET", "/_kmsgate/reset")
    assert status == 405, out
    assert still_there()


# ---- every tenant, across the three listeners of one process ----------------------------------


@pytest.fixture
def serve(server_logs):
    yield from ops.started(ServerProcess.serve("reset-serve", server_logs, ops.lean()))


@pytest.mark.parametrize("body", [None, {}])
def test_reset_of_every_tenant_under_serve(serve, body):
    ep = serve.endpoints
    aws = kmsgate_sdk.client(ep["aws"], "us-east-1", random_account())
    aws_other = kmsgate_sdk.client(ep["aws"], "eu-west-1", random_account())
    tc = kt.client(ep["tencent"], kt.fresh_region())
    hk = hw.client(ep["huawei"], hw.random_project())
    aws_snippet(aws)
    aws_snippet(aws_other)
    tencent_snippet(tc)
    huawei_snippet(hk)
    serve.advance(3600)
    clock_before = serve.clock()

    # any listener resets the whole process, whatever cloud the keys were made through
    status, _, out = serve.admin_request("POST", "/_kmsgate/reset", body, endpoint=ep["tencent"])
    assert status == 200, out
    # 4 keys; aliases: AWS 2, Tencent 1, Huawei 2 (key_alias and create-alias)
    assert out == {"tenant": None, "keys_removed": 4, "aliases_removed": 5}

    assert aws.list_keys()["Keys"] == [] and customer_aliases(aws) == {}
    assert aws_other.list_keys()["Keys"] == []
    assert kt.call(tc, "ListKeys")["TotalCount"] == 0
    assert hk.list_keys(m.ListKeysRequest(body=m.ListKeysRequestBody(key_spec="ALL"))).total == 0
    assert ops.scrape(serve).value("kmsgate_keys") == 0
    # the clock is left alone
    after = serve.clock()
    assert after["generation"] == clock_before["generation"]
    assert after["offset_seconds"] >= clock_before["offset_seconds"]

    # every snippet runs again
    aws_snippet(aws)
    aws_snippet(aws_other)
    tencent_snippet(tc)
    huawei_snippet(hk)
    out = serve.reset(endpoint=ep["huawei"])
    assert (out["keys_removed"], out["aliases_removed"]) == (4, 5)
    out = serve.reset(endpoint=ep["aws"])
    assert out == {"tenant": None, "keys_removed": 0, "aliases_removed": 0}


# ---- --reset at start -------------------------------------------------------------------------


def test_reset_flag_starts_from_an_empty_store_and_keeps_the_clock(server_logs, tmp_path):
    """`--reset` (any binary): a durable store starts empty; the emulated clock is kept."""
    srv = ServerProcess.serve("reset-flag", server_logs, ops.lean(), data_dir=tmp_path / "data")
    account = random_account()
    try:
        srv.start()
        kms = kmsgate_sdk.client(srv.endpoints["aws"], "us-east-1", account)
        aws_snippet(kms)
        tencent_snippet(kt.client(srv.endpoints["tencent"], "ap-guangzhou"))
        srv.advance(5 * 86400)
        clock = srv.clock()

        srv.stop()
        srv.start()  # a plain restart keeps everything
        kms = kmsgate_sdk.client(srv.endpoints["aws"], "us-east-1", account)
        assert len(kms.list_keys()["Keys"]) == 1

        srv.stop()
        srv.args = ["--reset"]
        srv.start()
        kms = kmsgate_sdk.client(srv.endpoints["aws"], "us-east-1", account)
        assert kms.list_keys()["Keys"] == [] and customer_aliases(kms) == {}
        tc = kt.client(srv.endpoints["tencent"], "ap-guangzhou")
        assert kt.call(tc, "ListKeys")["TotalCount"] == 0
        after = srv.clock()
        assert after["generation"] == clock["generation"]
        assert abs(after["offset_seconds"] - clock["offset_seconds"]) < 1, (clock, after)
        aws_snippet(kms)  # the snippet runs again
        tencent_snippet(tc)

        srv.stop()
        srv.args = []
        srv.start()  # and what was made after the reset is kept
        kms = kmsgate_sdk.client(srv.endpoints["aws"], "us-east-1", account)
        assert len(kms.list_keys()["Keys"]) == 1
    finally:
        srv.stop()
