"""GET /metrics (issue #12): Prometheus text exposition on every listener, read with the official
Python client's parser. Request counters (by dialect, operation and wire code) and latency
histograms move as each cloud's SDK makes calls; the key gauges follow creation, disabling,
import and deletion; the clock offset follows an advance; ready wrapping key pairs are
reported by spec.

One `kmsgate serve` process per module, so the process-wide gauges count only this module's
keys; every check compares two scrapes."""

from __future__ import annotations

import pytest
from huaweicloudsdkkms.v2 import model as m

import kmsgate_huawei as hw
import kmsgate_ops as ops
import kmsgate_sdk
import kmsgate_tencent as kt
from kmsgate_ops import Metrics, scrape
from kmsgate_sdk import ServerProcess, random_account, raises_code

REQUESTS = "kmsgate_requests_total"
DURATION = "kmsgate_request_duration_seconds"


@pytest.fixture(scope="module")
def serve(server_logs):
    yield from ops.started(ServerProcess.serve("metrics-serve", server_logs, ops.lean()))


def family(metrics: Metrics, name: str):
    """A family by its exposition name (the parser drops a counter's `_total`)."""
    for candidate in (name, name.removesuffix("_total")):
        if candidate in metrics.families:
            return metrics.families[candidate]
    raise AssertionError(f"no metric family {name} in\n{metrics.text}")


def check_exposition(srv: ServerProcess, endpoint: str, requests_seen: bool = True) -> Metrics:
    status, headers, text = srv.admin_request("GET", "/metrics", token=False, endpoint=endpoint)
    assert status == 200, text
    content_type = headers.get("Content-Type", headers.get("content-type", ""))
    assert content_type.startswith(ops.PROMETHEUS_CONTENT_TYPE), content_type
    metrics = Metrics(text)
    if requests_seen:
        assert family(metrics, REQUESTS).type == "counter"
        assert family(metrics, DURATION).type == "histogram"
    for gauge in ("kmsgate_keys", "kmsgate_clock_offset_seconds", "kmsgate_wrapping_key_pairs_ready",
                  "kmsgate_keys_unreadable"):
        assert family(metrics, gauge).type == "gauge", gauge
    assert metrics.value("kmsgate_keys_unreadable") == 0
    assert {"Enabled", "Disabled", "PendingImport", "PendingDeletion"} <= metrics.labels("kmsgate_keys", "state")
    specs = metrics.labels("kmsgate_wrapping_key_pairs_ready", "spec")
    assert {"RSA_2048", "RSA_3072", "RSA_4096", "SM2"} <= specs, specs
    for spec in specs:
        assert metrics.value("kmsgate_wrapping_key_pairs_ready", spec=spec) >= 0
    # every request sample carries exactly the three labels
    for s in metrics.samples:
        if s.name == REQUESTS:
            assert set(s.labels) == {"dialect", "operation", "code"}, s
    return metrics


def test_every_listener_serves_the_exposition(serve, server, tencent_server, huawei_server):
    # a fresh process has answered no request yet: the gauges are there, the request
    # counters appear with the first request (as labelled metrics without children do)
    for ep in serve.endpoints.values():
        fresh = check_exposition(serve, ep, requests_seen=False)
        assert fresh.value(REQUESTS) == 0
    kmsgate_sdk.client(serve.endpoints["aws"], "us-east-1", random_account()).list_keys()
    kt.call(kt.client(serve.endpoints["tencent"], kt.fresh_region()), "ListKeys")
    hw.client(serve.endpoints["huawei"], hw.random_project()).list_keys(
        m.ListKeysRequest(body=m.ListKeysRequestBody(key_spec="ALL")))
    for ep in serve.endpoints.values():
        seen = check_exposition(serve, ep)
        assert seen.labels(REQUESTS, "dialect") == {"aws", "tencent", "huawei"}
        for dialect in ("aws", "tencent", "huawei"):
            assert seen.value(REQUESTS, dialect=dialect, operation="ListKeys", code="OK") == 1
    # the single-dialect session servers have answered requests of their own dialect
    kmsgate_sdk.client(server.endpoint, "us-east-1", random_account()).list_keys()
    kt.call(kt.client(tencent_server.endpoint, kt.fresh_region()), "ListKeys")
    hw.client(huawei_server.endpoint, hw.random_project()).list_keys(
        m.ListKeysRequest(body=m.ListKeysRequestBody(key_spec="ALL")))
    for dialect, srv in (("aws", server), ("tencent", tencent_server), ("huawei", huawei_server)):
        single = check_exposition(srv, srv.endpoint)
        assert single.value(REQUESTS, dialect=dialect, operation="ListKeys", code="OK") >= 1
    # one process, one registry: every listener of `kmsgate serve` tells the same
    texts = {d: scrape(serve, ep) for d, ep in serve.endpoints.items()}
    assert len({t.value("kmsgate_clock_offset_seconds") for t in texts.values()}) == 1


class Delta:
    """Differences between two scrapes."""

    def __init__(self, before: Metrics, after: Metrics):
        self.before, self.after = before, after

    def __call__(self, sample: str, **labels: str) -> float:
        return self.after.value(sample, **labels) - self.before.value(sample, **labels)


def calls_of(delta: Delta, dialect: str, operation: str, code: str = "OK") -> int:
    return int(delta(REQUESTS, dialect=dialect, operation=operation, code=code))


def test_request_counters_and_latency_move_with_each_sdk(serve):
    ep = serve.endpoints
    before = scrape(serve)

    kms = kmsgate_sdk.client(ep["aws"], "us-east-1", random_account())
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(3):
        kms.encrypt(KeyId=key, Plaintext=b"counted")
    for _ in range(2):
        with raises_code("NotFoundException"):
            kms.describe_key(KeyId="alias/missing")

    tc = kt.client(ep["tencent"], kt.fresh_region())
    tkey = kt.call(tc, "CreateKey", Alias="counted")["KeyId"]
    kt.roundtrip(tc, tkey)  # Encrypt + Decrypt
    with kt.raises_code("ResourceUnavailable.CmkNotFound"):
        kt.describe(tc, "00000000-0000-0000-0000-000000000000")

    project = hw.random_project()
    hk = hw.client(ep["huawei"], project)
    hkey = hw.create_key(hk)
    hw.decrypt(hk, hw.encrypt(hk, hkey, "counted"))
    with hw.raises_code("KMS.0207", 404):
        hw.describe(hk, "00000000-0000-0000-0000-000000000000")
    status, token, _ = hw.get_token(ep["huawei"], project, ("anyone", "pw", "dom"))
    assert status == 201
    assert hw.kms_call(ep["huawei"], token, project, "list-keys", {})[0] == 200

    d = Delta(before, scrape(serve))
    expected = {
        ("aws", "CreateKey", "OK"): 1,
        ("aws", "Encrypt", "OK"): 3,
        ("aws", "DescribeKey", "NotFoundException"): 2,
        ("tencent", "CreateKey", "OK"): 1,
        ("tencent", "Encrypt", "OK"): 1,
        ("tencent", "Decrypt", "OK"): 1,
        ("tencent", "DescribeKey", "ResourceUnavailable.CmkNotFound"): 1,
        ("huawei", "CreateKey", "OK"): 1,
        ("huawei", "EncryptData", "OK"): 1,
        ("huawei", "DecryptData", "OK"): 1,
        ("huawei", "DescribeKey", "KMS.0207"): 1,
        ("huawei", "ListKeys", "OK"): 1,
    }
    for (dialect, operation, code), n in expected.items():
        assert calls_of(d, dialect, operation, code) == n, (dialect, operation, code, d.after.text)
    # nothing else was counted (IAM's token call under whatever name the dialect gives it)
    for dialect in ("aws", "tencent"):
        total = int(d(REQUESTS, dialect=dialect))
        assert total == sum(n for (di, _, _), n in expected.items() if di == dialect), d.after.text
    assert int(d(REQUESTS, dialect="huawei")) == sum(n for (di, _, _), n in expected.items() if di == "huawei") + 1

    # the latency histogram counts the same requests, its +Inf bucket agrees, its sum grows
    for dialect, operation in {(di, op) for (di, op, _) in expected}:
        n = sum(v for (di, op, _), v in expected.items() if (di, op) == (dialect, operation))
        assert int(d(f"{DURATION}_count", dialect=dialect, operation=operation)) == n, (dialect, operation)
        assert int(d(f"{DURATION}_bucket", dialect=dialect, operation=operation, le="+Inf")) == n
        assert d(f"{DURATION}_sum", dialect=dialect, operation=operation) > 0
    # buckets are cumulative
    buckets = sorted(
        (float(s.labels["le"]), s.value)
        for s in d.after.samples
        if s.name == f"{DURATION}_bucket" and s.labels.get("dialect") == "aws" and s.labels.get("operation") == "Encrypt"
    )
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)


def test_key_gauges_follow_key_states(serve):
    ep = serve.endpoints
    states = ("Enabled", "Disabled", "PendingImport", "PendingDeletion")

    def gauges() -> dict[str, int]:
        metrics = scrape(serve)
        return {s: int(metrics.value("kmsgate_keys", state=s)) for s in states}

    def moved(before, **changes) -> None:
        after = gauges()
        want = {s: before[s] + changes.get(s, 0) for s in states}
        assert after == want, (before, after)

    account = random_account()
    kms = kmsgate_sdk.client(ep["aws"], "us-east-1", account)
    g = gauges()
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    moved(g, Enabled=1)
    g = gauges()
    kms.disable_key(KeyId=key)
    moved(g, Enabled=-1, Disabled=1)
    g = gauges()
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    moved(g, Disabled=-1, PendingDeletion=1)

    tc = kt.client(ep["tencent"], kt.fresh_region())
    g = gauges()
    ext = kt.create_external(tc)
    moved(g, PendingImport=1)
    g = gauges()
    kt.import_material(tc, ext, kt.material("fips"))
    moved(g, PendingImport=-1, Enabled=1)

    hk = hw.client(ep["huawei"], hw.random_project())
    hkey = hw.create_key(hk)
    g = gauges()
    hk.disable_key(m.DisableKeyRequest(body=m.OperateKeyRequestBody(key_id=hkey)))
    moved(g, Enabled=-1, Disabled=1)
    g = gauges()
    hk.delete_key(m.DeleteKeyRequest(body=m.ScheduleKeyDeletionRequestBody(key_id=hkey, pending_days="7")))
    moved(g, Disabled=-1, PendingDeletion=1)
    g = gauges()
    hk.cancel_key_deletion(m.CancelKeyDeletionRequest(body=m.OperateKeyRequestBody(key_id=hkey)))
    moved(g, PendingDeletion=-1, Disabled=1)

    # a reset of one tenant takes its keys out of the gauges
    g = gauges()
    serve.reset({"account": account, "region": "us-east-1"}, endpoint=ep["aws"])
    moved(g, PendingDeletion=-1)


def test_clock_offset_gauge_follows_the_clock(serve):
    before = scrape(serve).value("kmsgate_clock_offset_seconds")
    assert before == pytest.approx(serve.clock()["offset_seconds"], abs=0.01)
    serve.advance(3600)
    after = scrape(serve).value("kmsgate_clock_offset_seconds")
    assert after - before == pytest.approx(3600, abs=0.01)
    assert after == pytest.approx(serve.clock()["offset_seconds"], abs=0.01)
