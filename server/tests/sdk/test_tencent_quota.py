"""ImportKeyMaterial's quota (10 requests per second per account and region), made
deterministic: the quota server's window is one hour of the emulated clock, so the eleven calls
below always share a window, and one clock step of an hour starts the next."""

from __future__ import annotations

import os

import kmsgate_tencent as kt
from kmsgate_tencent import call, create_external, describe, params_for, raises_code, wrap


def test_eleventh_import_in_a_window_is_throttled_and_changes_nothing(tencent_quota_server):
    c = kt.client(tencent_quota_server.endpoint, kt.fresh_region())
    key = create_external(c)
    p = params_for(c, key)
    material = os.urandom(32)
    good = dict(KeyId=key, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrap(p, "RSAES_OAEP_SHA_256", material))
    # Ten calls pass the quota; they fail on their own merits (a token kmsgate never issued).
    for _ in range(10):
        with raises_code("InvalidParameter"):
            call(c, "ImportKeyMaterial", **{**good, "ImportToken": kt.b64(os.urandom(300))})
    # The eleventh, a valid import, is throttled before anything happens.
    with raises_code("RequestLimitExceeded"):
        call(c, "ImportKeyMaterial", **good)
    assert describe(c, key)["KeyState"] == "PendingImport"
    # Other actions and other tenants are not limited.
    call(c, "ListKeys")
    other = kt.client(tencent_quota_server.endpoint, kt.fresh_region())
    with raises_code("ResourceUnavailable.CmkNotFound"):
        call(other, "ImportKeyMaterial", **good)
    # The next window (the token lives 24 h, so it is still good).
    tencent_quota_server.advance(3600)
    call(c, "ImportKeyMaterial", **good)
    assert describe(c, key)["KeyState"] == "Enabled"
