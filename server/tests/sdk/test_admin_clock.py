"""The emulated clock's controls (issue #12): GET /_kmsgate/clock, clock/advance, clock/set
(never before real time) and clock/reset (back to real time, a new generation). Moving the
clock back never revives anything: expired material stays erased, purged keys stay purged,
expired import tokens and X-Auth-Tokens stay refused. In durable mode the clock survives a
restart. Every process here is the test's own, so moving its clock back disturbs no other
test."""

from __future__ import annotations

import os
import time

import pytest

import kmsgate_huawei as hw
import kmsgate_ops as ops
import kmsgate_wrap as w
from kmsgate_sdk import (
    ADMIN_TOKEN,
    ServerProcess,
    client,
    create_external_key,
    describe,
    epoch,
    import_material,
    import_params,
    random_account,
    raises_code,
)

HOUR = 3600
DAY = 24 * HOUR
# The emulated clock and this process's clock read the same real time, give or take a slow
# machine.
SLACK = 60


@pytest.fixture
def aws(server_logs, request):
    yield from ops.started(ServerProcess(f"clock-{request.node.name}", server_logs, ops.lean()))


def _is_clock(state: dict) -> None:
    assert set(state) == {"now", "offset_seconds", "generation"}, state
    assert isinstance(state["generation"], int), state


def test_clock_endpoints(aws):
    start = aws.clock()
    _is_clock(start)
    assert (start["offset_seconds"], start["generation"]) == (0, 0)
    assert abs(start["now"] - time.time()) < SLACK

    moved = aws._admin("POST", "/_kmsgate/clock/advance", {"seconds": HOUR})
    _is_clock(moved)
    assert (moved["offset_seconds"], moved["generation"]) == (HOUR, 0)
    assert abs(moved["now"] - (time.time() + HOUR)) < SLACK

    # set: forward to an instant
    target = int(time.time()) + 2 * DAY
    at = aws.clock_set(target)
    _is_clock(at)
    assert abs(at["now"] - target) < SLACK
    assert abs(at["offset_seconds"] - 2 * DAY) < SLACK
    assert aws.clock()["now"] >= target

    # set: never before real time (and a refusal changes nothing)
    for earlier in (int(time.time()) - HOUR, 1000, 0):
        status, _, out = aws.admin_request("POST", "/_kmsgate/clock/set", {"epoch_seconds": earlier})
        assert status == 400, out
        assert "real time" in out["error"], out
    assert aws.clock()["now"] >= target
    for bad in ({"epoch_seconds": 1.5}, {"epoch_seconds": str(target)}, {"seconds": target}, {},
                {"epoch_seconds": target, "also": 1}, b"not json"):
        status, _, out = aws.admin_request("POST", "/_kmsgate/clock/set", bad)
        assert status == 400 and out["error"], (bad, status, out)

    # reset: back to real time, a new generation
    generation = aws.clock()["generation"]
    back = aws.clock_reset()
    _is_clock(back)
    assert back["offset_seconds"] == 0
    assert back["generation"] == generation + 1
    assert abs(back["now"] - time.time()) < SLACK
    # already at real time: nothing moves back, so no new generation (kms-core documents this)
    status, _, out = aws.admin_request("POST", "/_kmsgate/clock/reset", {})
    assert status == 200 and (out["offset_seconds"], out["generation"]) == (0, generation + 1), out
    # set to an instant before the emulated now (but after real time) is a move back too
    aws.clock_set(int(time.time()) + 2 * DAY)
    assert aws.clock()["generation"] == generation + 1
    back = aws.clock_set(int(time.time()) + DAY)
    assert abs(back["offset_seconds"] - DAY) < SLACK
    assert back["generation"] == generation + 2, back
    aws.clock_reset()
    status, _, out = aws.admin_request("POST", "/_kmsgate/clock/reset", {"seconds": 0})
    assert status == 400 and out["error"], out
    for path, method in (("/_kmsgate/clock", "POST"), ("/_kmsgate/clock/advance", "GET"),
                         ("/_kmsgate/clock/set", "GET"), ("/_kmsgate/clock/reset", "GET")):
        status, headers, out = aws.admin_request(method, path)
        assert status == 405, (path, method, status, out)
    status, _, out = aws.admin_request("GET", "/_kmsgate/no-such-thing")
    assert status == 404, out


def test_clock_control_off_hides_only_the_clock(server_logs):
    srv = ServerProcess("clock-control-off", server_logs, ops.lean({"KMSGATE_ADMIN__CLOCK_CONTROL": "false"}))
    srv.start()
    try:
        for method, path, body in (("GET", "/_kmsgate/clock", None),
                                   ("POST", "/_kmsgate/clock/advance", {"seconds": DAY}),
                                   ("POST", "/_kmsgate/clock/set", {"epoch_seconds": int(time.time()) + DAY}),
                                   ("POST", "/_kmsgate/clock/reset", None)):
            status, _, out = srv.admin_request(method, path, body)
            assert status == 404, (path, status, out)
            assert "clock_control" in out["error"], out
        assert ops.scrape(srv).value("kmsgate_clock_offset_seconds") == 0
        # the state control is not a clock control
        status, _, out = srv.admin_request("POST", "/_kmsgate/reset",
                                           {"tenant": {"account": random_account(), "region": "us-east-1"}})
        assert status == 200, out
    finally:
        srv.stop()


def test_clock_set_drives_expiry_like_advance(aws):
    kms = client(aws.endpoint, "us-east-1", random_account())
    key_id = create_external_key(kms)["KeyId"]
    now = aws.now()
    import_material(kms, key_id, os.urandom(32), valid_to=now + HOUR)
    aws.clock_set(int(now) + HOUR - 120)
    assert describe(kms, key_id)["KeyState"] == "Enabled"
    aws.clock_set(int(now) + 2 * HOUR)
    assert describe(kms, key_id)["KeyState"] == "PendingImport"


def test_moving_back_never_revives(aws):
    """boto3: material past its ValidTo, an import token past its 24 hours and a key past its
    deletion date stay expired, refused and purged after clock/reset."""
    kms = client(aws.endpoint, "us-east-1", random_account())
    now = aws.now()
    # two keys whose material expires in 3 hours: one looked at before the move back, one not
    # (the server must age it at the later instant, not only on access)
    seen = create_external_key(kms)["KeyId"]
    unseen = create_external_key(kms)["KeyId"]
    material = os.urandom(32)
    import_material(kms, seen, material, valid_to=now + 3 * HOUR)
    import_material(kms, unseen, os.urandom(32), valid_to=now + 3 * HOUR)
    ct = kms.encrypt(KeyId=seen, Plaintext=b"before")["CiphertextBlob"]
    # an import token (24 hours) never used in time
    waiting = create_external_key(kms)["KeyId"]
    params = import_params(kms, waiting, "RSA_2048", "RSAES_OAEP_SHA_256")
    wrapped = w.wrap_material(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32))
    # a key due for deletion in 7 days
    doomed = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    # a key that must simply stay as it is
    plain = kms.create_key()["KeyMetadata"]["KeyId"]

    aws.advance(8 * DAY)
    assert describe(kms, seen)["KeyState"] == "PendingImport"
    generation = aws.clock()["generation"]
    back = aws.clock_reset()
    assert (back["offset_seconds"], back["generation"]) == (0, generation + 1)
    assert back["now"] < now + HOUR  # really back

    for key_id in (seen, unseen):
        meta = describe(kms, key_id)
        assert (meta["KeyState"], meta["Enabled"]) == ("PendingImport", False), meta
        with raises_code("KMSInvalidStateException"):
            kms.encrypt(KeyId=key_id, Plaintext=b"after")
    with raises_code("KMSInvalidStateException"):
        kms.decrypt(CiphertextBlob=ct)
    with raises_code("ExpiredImportTokenException"):
        kms.import_key_material(
            KeyId=waiting,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrapped,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
    assert describe(kms, waiting)["KeyState"] == "PendingImport"
    with raises_code("NotFoundException"):
        kms.describe_key(KeyId=doomed)
    assert describe(kms, plain)["KeyState"] == "Enabled"

    # what is issued after the move back lives by the clock as it is now
    fresh = import_params(kms, waiting, "RSA_2048", "RSAES_OAEP_SHA_256")
    assert abs(epoch(fresh["ParametersValidTo"]) - (aws.now() + DAY)) < SLACK
    import_material(kms, seen, material, valid_to=aws.now() + HOUR)
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"before"


def test_an_import_token_not_yet_expired_survives_a_move_back(aws):
    kms = client(aws.endpoint, "us-east-1", random_account())
    key_id = create_external_key(kms)["KeyId"]
    params = import_params(kms, key_id, "RSA_2048", "RSAES_OAEP_SHA_256")
    aws.advance(HOUR)
    aws.clock_reset()
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=w.wrap_material(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32)),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    assert describe(kms, key_id)["KeyState"] == "Enabled"


# ---- Huawei X-Auth-Tokens ---------------------------------------------------------------------


@pytest.fixture
def huawei_strict(server_logs):
    """A strict kmsgate-huawei (issued tokens are checked, expiry included) with one IAM user;
    strict auth needs the admin token for the clock."""
    name, password, domain = hw.STRICT_USER
    config = ops.lean({
        "KMSGATE_HUAWEI__STRICT_AUTH": "true",
        "KMSGATE_ADMIN__TOKEN": ADMIN_TOKEN,
        f"KMSGATE_HUAWEI__CREDENTIALS__{hw.AK}__SECRET_KEY": hw.SK,
        f"KMSGATE_HUAWEI__USERS__{name}__PASSWORD": password,
        f"KMSGATE_HUAWEI__USERS__{name}__DOMAIN": domain,
    })
    yield from ops.started(ServerProcess("clock-huawei-strict", server_logs, config, binary="kmsgate-huawei"))


def test_huawei_expired_token_stays_refused_after_clock_reset(huawei_strict):
    ep, project = huawei_strict.endpoint, hw.random_project()
    status, expiring, body = hw.get_token(ep, project)
    assert status == 201, body
    assert hw.kms_call(ep, expiring, project, "list-keys", {})[0] == 200

    huawei_strict.advance(DAY + 60)
    # issued after the advance: valid through the move back (it never expired)
    status, later, _ = hw.get_token(ep, project)
    assert status == 201
    status, _, err = hw.kms_call(ep, expiring, project, "list-keys", {})
    assert (status, hw.error_code(err)) == (401, "APIG.0301"), err
    assert "token expires" in err["error_msg"], err

    huawei_strict.clock_reset()
    status, _, err = hw.kms_call(ep, expiring, project, "list-keys", {})
    assert (status, hw.error_code(err)) == (401, "APIG.0301"), f"revived by clock/reset: {status} {err}"
    assert "token expires" in err["error_msg"], err
    # the SDK (AK/SK) and fresh tokens work as before
    kms = hw.client(ep, project)
    key_id = hw.create_key(kms)
    status, fresh, _ = hw.get_token(ep, project)
    assert status == 201
    status, _, out = hw.kms_call(ep, fresh, project, "describe-key", {"key_id": key_id})
    assert (status, out["key_info"]["key_id"]) == (200, key_id), out
    assert hw.kms_call(ep, later, project, "list-keys", {})[0] == 200


# ---- durable mode -----------------------------------------------------------------------------


def test_clock_survives_a_restart(server_logs, tmp_path):
    srv = ServerProcess("clock-durable", server_logs, ops.lean(), data_dir=tmp_path / "data")
    account = random_account()
    try:
        srv.start()
        kms = client(srv.endpoint, "us-east-1", account)
        key_id = create_external_key(kms)["KeyId"]
        params = import_params(kms, key_id, "RSA_2048", "RSAES_OAEP_SHA_256")
        wrapped = w.wrap_material(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32))
        srv.advance(DAY + HOUR)
        before = srv.clock()

        srv.stop()
        srv.start()
        after = srv.clock()
        assert after["generation"] == before["generation"]
        assert abs(after["offset_seconds"] - before["offset_seconds"]) < 1, (before, after)
        assert after["now"] >= before["now"]
        kms = client(srv.endpoint, "us-east-1", account)
        with raises_code("ExpiredImportTokenException"):
            kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"],
                                    EncryptedKeyMaterial=wrapped,
                                    ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")

        # a move back and its generation survive too: the expired token stays expired
        reset = srv.clock_reset()
        srv.stop()
        srv.start()
        again = srv.clock()
        assert (again["offset_seconds"], again["generation"]) == (0, reset["generation"]), again
        kms = client(srv.endpoint, "us-east-1", account)
        with raises_code("ExpiredImportTokenException"):
            kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"],
                                    EncryptedKeyMaterial=wrapped,
                                    ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")

        # and an instant set with clock/set
        target = int(time.time()) + 10 * DAY
        srv.clock_set(target)
        srv.stop()
        srv.start()
        assert srv.now() >= target
        assert abs(srv.clock()["offset_seconds"] - 10 * DAY) < SLACK
    finally:
        srv.stop()
