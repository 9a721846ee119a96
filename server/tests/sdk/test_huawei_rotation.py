"""Key rotation through huaweicloudsdkkms (issue #17): enable_key_rotation,
disable_key_rotation, show_key_rotation_status (get-key-rotation-status, with key_materials[]),
update_key_rotation_interval (30-365), rotate_on_demand, automatic rotation on the emulated
clock (POST /_kmsgate/clock/advance), old ciphertexts after rotations, and KMS.0312 for
imported keys."""

from __future__ import annotations

import re

from huaweicloudsdkkms.v2 import model as m

import kmsgate_huawei as hw
from kmsgate_huawei import create_key, decrypt, describe, encrypt, raises_code

DAY = 86_400
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _op(key_id: str):
    return m.OperateKeyRequestBody(key_id=key_id)


def _status(kms, key_id: str):
    return kms.show_key_rotation_status(m.ShowKeyRotationStatusRequest(body=_op(key_id)))


def _interval(kms, key_id: str, days: int):
    body = m.UpdateKeyRotationIntervalRequestBody(key_id=key_id, rotation_interval=days)
    return kms.update_key_rotation_interval(m.UpdateKeyRotationIntervalRequest(body=body))


def _rotate(kms, key_id: str):
    body = m.RotateOnDemandRequestBody(key_id=key_id)
    return kms.rotate_on_demand(m.RotateOnDemandRequest(body=body))


def test_enable_status_interval_disable(hw_kms):
    key = create_key(hw_kms)
    s = _status(hw_kms, key)
    assert (s.key_rotation_enabled, s.number_of_rotations) == (False, 0)
    assert len(s.key_materials) == 1
    first = s.key_materials[0]
    assert re.match(UUID, first.material_id) and first.state == 2
    with raises_code("KMS.0313"):
        _interval(hw_kms, key, 90)

    hw_kms.enable_key_rotation(m.EnableKeyRotationRequest(body=_op(key)))
    s = _status(hw_kms, key)
    assert (s.key_rotation_enabled, s.rotation_interval) == (True, 365)
    assert describe(hw_kms, key).key_rotation_enabled == "true"
    with raises_code("KMS.0308"):
        _interval(hw_kms, key, 29)
    _interval(hw_kms, key, 90)
    assert _status(hw_kms, key).rotation_interval == 90

    hw_kms.disable_key_rotation(m.DisableKeyRotationRequest(body=_op(key)))
    assert _status(hw_kms, key).key_rotation_enabled is False
    assert describe(hw_kms, key).key_rotation_enabled == "false"


def test_automatic_rotation_on_the_clock(hw_kms, huawei_server):
    key = create_key(hw_kms, spec="SM4")
    hw_kms.enable_key_rotation(m.EnableKeyRotationRequest(body=_op(key)))
    _interval(hw_kms, key, 30)
    before = encrypt(hw_kms, key, "before")
    huawei_server.advance(30 * DAY + 60)
    s = _status(hw_kms, key)
    assert s.number_of_rotations == 1
    assert int(s.last_rotation_time) > 0
    assert len(s.key_materials) == 2
    assert len({x.material_id for x in s.key_materials}) == 2
    after = encrypt(hw_kms, key, "after")
    assert decrypt(hw_kms, before) == "before"
    assert decrypt(hw_kms, after) == "after"


def test_rotate_on_demand(hw_kms):
    key = create_key(hw_kms)
    before = encrypt(hw_kms, key, "old")
    assert _rotate(hw_kms, key).key_id == key
    s = _status(hw_kms, key)
    assert s.number_of_rotations == 1 and len(s.key_materials) == 2
    assert decrypt(hw_kms, before) == "old"


def test_imported_keys_cannot_rotate(hw_kms):
    key = create_key(hw_kms, origin="external")
    p = hw.params(hw_kms, key, "RSAES_OAEP_SHA_256")
    hw.import_material(hw_kms, key, p, hw.wrap(p.public_key, "RSAES_OAEP_SHA_256", hw.random_material("AES_256")))
    calls = (
        lambda: hw_kms.enable_key_rotation(m.EnableKeyRotationRequest(body=_op(key))),
        lambda: hw_kms.disable_key_rotation(m.DisableKeyRotationRequest(body=_op(key))),
        lambda: _interval(hw_kms, key, 90),
        lambda: _rotate(hw_kms, key),
    )
    for refused in calls:
        with raises_code("KMS.0312"):
            refused()
    s = _status(hw_kms, key)
    assert s.key_rotation_enabled is False and len(s.key_materials) == 1
    assert encrypt(hw_kms, key, "x")


def test_asymmetric_keys_cannot_rotate(hw_kms):
    # Huawei documents no rotation code for asymmetric keys: KMS.0308, an invalid parameter.
    key = create_key(hw_kms, spec="EC_P256")
    with raises_code("KMS.0308"):
        hw_kms.enable_key_rotation(m.EnableKeyRotationRequest(body=_op(key)))
    assert _status(hw_kms, key).key_rotation_enabled is False
