"""kmsgate-aws on a data directory: what a client did before a restart is still there after it
(keys, imported material, aliases, tags, import tokens)."""

from __future__ import annotations

import os

import pytest

import kmsgate_wrap as w
from kmsgate_sdk import (
    ServerProcess,
    client,
    create_external_key,
    describe,
    import_material,
    import_params,
    random_account,
)


@pytest.fixture(scope="module")
def state(server_logs, tmp_path_factory):
    """Does the work on a first process, restarts it on the same data dir, yields the facts."""
    srv = ServerProcess("persistent", server_logs, data_dir=tmp_path_factory.mktemp("data"))
    account = random_account()
    facts = {"account": account}
    try:
        srv.start()
        kms = client(srv.endpoint, "us-east-1", account)
        ext = create_external_key(kms, Tags=[{"TagKey": "keep", "TagValue": "me"}])["KeyId"]
        material = os.urandom(32)
        facts["material_id"] = import_material(kms, ext, material)["KeyMaterialId"]
        facts["ext"], facts["material"] = ext, material
        facts["ext_ct"] = kms.encrypt(KeyId=ext, Plaintext=b"byok", EncryptionContext={"c": "1"})[
            "CiphertextBlob"
        ]
        kms.create_alias(AliasName="alias/persisted", TargetKeyId=ext)
        gen = kms.create_key(Description="generated")["KeyMetadata"]["KeyId"]
        facts["gen"] = gen
        facts["gen_ct"] = kms.encrypt(KeyId=gen, Plaintext=b"generated")["CiphertextBlob"]
        kms.disable_key(KeyId=gen)

        later = create_external_key(kms)["KeyId"]
        params = import_params(kms, later, "RSA_2048", "RSA_AES_KEY_WRAP_SHA_256")
        facts["later"] = later
        facts["later_token"] = params["ImportToken"]
        facts["later_wrapped"] = w.wrap_material(
            params["PublicKey"], "RSA_AES_KEY_WRAP_SHA_256", os.urandom(32)
        )

        kms_cn = client(srv.endpoint, "cn-north-1", account)
        sm4 = kms_cn.create_key()["KeyMetadata"]["KeyId"]
        facts["sm4"] = sm4
        facts["sm4_ct"] = kms_cn.encrypt(KeyId=sm4, Plaintext=b"sm4")["CiphertextBlob"]

        srv.stop()
        srv.start()
        facts["kms"] = client(srv.endpoint, "us-east-1", account)
        facts["kms_cn"] = client(srv.endpoint, "cn-north-1", account)
        yield facts
    finally:
        srv.stop()


def test_imported_material_survives_restart(state):
    kms = state["kms"]
    meta = describe(kms, state["ext"])
    assert meta["KeyState"] == "Enabled"
    assert meta["CurrentKeyMaterialId"] == state["material_id"]
    dec = kms.decrypt(CiphertextBlob=state["ext_ct"], EncryptionContext={"c": "1"})
    assert dec["Plaintext"] == b"byok"
    # the same material is still recognised as the same
    again = import_material(kms, state["ext"], state["material"])
    assert again["KeyMaterialId"] == state["material_id"]


def test_generated_key_and_its_state_survive_restart(state):
    kms = state["kms"]
    meta = describe(kms, state["gen"])
    assert meta["KeyState"] == "Disabled"
    assert meta["Description"] == "generated"
    kms.enable_key(KeyId=state["gen"])
    assert kms.decrypt(CiphertextBlob=state["gen_ct"])["Plaintext"] == b"generated"


def test_sm4_key_survives_restart(state):
    kms_cn = state["kms_cn"]
    assert kms_cn.decrypt(CiphertextBlob=state["sm4_ct"])["Plaintext"] == b"sm4"


def test_alias_and_tags_survive_restart(state):
    kms = state["kms"]
    assert describe(kms, "alias/persisted")["KeyId"] == state["ext"]
    tags = kms.list_resource_tags(KeyId=state["ext"])["Tags"]
    assert tags == [{"TagKey": "keep", "TagValue": "me"}]
    listed = {k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]}
    assert {state["ext"], state["gen"], state["later"]} <= listed


def test_import_token_issued_before_restart(state):
    kms = state["kms"]
    kms.import_key_material(
        KeyId=state["later"],
        ImportToken=state["later_token"],
        EncryptedKeyMaterial=state["later_wrapped"],
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    assert describe(kms, state["later"])["KeyState"] == "Enabled"
