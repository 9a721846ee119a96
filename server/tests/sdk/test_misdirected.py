"""Misdirected calls fail loudly (issue #12): a real client pointed at the wrong kmsgate
listener gets an error in the shape its SDK understands, naming the listener it reached and
where its cloud is served (or how to run it), never a 200 it could take for success.

- AWS requests (X-Amz-Target / SigV4) at the Tencent or Huawei listener: 400
  UnknownOperationException (boto3's ClientError, the AWS CLI's exit status and message).
- Huawei requests (/v1.0/{project}/kms/..., /v3/auth/tokens, SDK-HMAC-SHA256, X-Auth-Token) at
  the AWS or Tencent listener: Huawei's API gateway 404 APIG.0101.
- Tencent requests (X-TC-Action / TC3) at the AWS or Huawei listener: that listener's own error
  (Tencent's SDK reads only 200s, so a non-2xx is the loudest answer it gets).
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkkms.v2 import model as m
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

import kmsgate_huawei as hw
import kmsgate_ops as ops
import kmsgate_sdk
import kmsgate_tencent as kt
from kmsgate_sdk import ServerProcess, random_account
from test_aws_cli import Cli

CLOUD = {"aws": "AWS KMS", "tencent": "Tencent Cloud KMS", "huawei": "Huawei Cloud KMS"}
BINARY = {"aws": "kmsgate-aws", "tencent": "kmsgate-tencent", "huawei": "kmsgate-huawei"}
DEFAULT = {"aws": "127.0.0.1:8411", "tencent": "127.0.0.1:8412", "huawei": "127.0.0.1:8413"}
# The session servers running each dialect alone.
SINGLE = {"aws": "server", "tencent": "tencent_server", "huawei": "huawei_server"}


def single_message(listener: str, meant: str) -> str:
    """What a single-dialect process says about a request for a cloud it does not serve."""
    return (
        f"this is kmsgate's {CLOUD[listener]} listener; {CLOUD[meant]} is not served by this "
        f"process (run {BINARY[meant]} or kmsgate serve; its default address is http://{DEFAULT[meant]})"
    )


def serve_message(listener: str, meant: str, endpoints: dict[str, str]) -> str:
    return f"this is kmsgate's {CLOUD[listener]} listener; {CLOUD[meant]} is served at {endpoints[meant]}"


@pytest.fixture(scope="module")
def serve(server_logs):
    """`kmsgate serve`: the three listeners of one process, each knowing the others' addresses."""
    srv = ServerProcess.serve("misdirected-serve", server_logs, ops.lean())
    try:
        srv.start()
        assert srv.endpoints.keys() == {"aws", "tencent", "huawei"}, srv.endpoints
        assert len(set(srv.endpoints.values())) == 3
        yield srv
    finally:
        srv.stop()


def listener_url(request, listener: str) -> str:
    return request.getfixturevalue(SINGLE[listener]).endpoint


# ---- AWS clients at the wrong listener --------------------------------------------------------


def _boto3_refused(endpoint: str, expected: str) -> None:
    kms = kmsgate_sdk.client(endpoint, "us-east-1", random_account())
    calls = [
        lambda: kms.create_key(),
        lambda: kms.list_keys(),
        lambda: kms.encrypt(KeyId="alias/anything", Plaintext=b"x"),
        lambda: kms.get_parameters_for_import(
            KeyId="1234abcd-12ab-34cd-56ef-1234567890ab",
            WrappingAlgorithm="RSAES_OAEP_SHA_256",
            WrappingKeySpec="RSA_2048",
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as info:
            call()
        err = info.value.response
        assert err["Error"]["Code"] == "UnknownOperationException", err
        assert err["Error"]["Message"] == expected, err
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, err


@pytest.mark.parametrize("listener", ["tencent", "huawei"])
def test_boto3_at_a_single_dialect_listener(request, listener):
    _boto3_refused(listener_url(request, listener), single_message(listener, "aws"))


@pytest.mark.parametrize("listener", ["tencent", "huawei"])
def test_boto3_under_serve_names_the_aws_listener(serve, listener):
    _boto3_refused(serve.endpoints[listener], serve_message(listener, "aws", serve.endpoints))
    # the right listener answers the same client
    kms = kmsgate_sdk.client(serve.endpoints["aws"], "us-east-1", random_account())
    assert kms.create_key()["KeyMetadata"]["KeyState"] == "Enabled"


def _cli_refused(endpoint: str, workdir, expected: str) -> None:
    cli = Cli(endpoint, "us-east-1", workdir, random_account())
    for args in (["create-key"], ["list-keys"], ["generate-random", "--number-of-bytes", "16"]):
        proc = cli.run(*args, check=False)
        assert proc.returncode != 0, f"aws kms {' '.join(args)} succeeded:\n{proc.stdout}"
        assert "UnknownOperationException" in proc.stderr, proc.stderr
        assert expected in proc.stderr, proc.stderr
        assert proc.stdout.strip() == "", proc.stdout


@pytest.mark.parametrize("listener", ["tencent", "huawei"])
def test_aws_cli_at_a_single_dialect_listener(request, tmp_path, listener):
    _cli_refused(listener_url(request, listener), tmp_path, single_message(listener, "aws"))


def test_aws_cli_under_serve_names_the_aws_listener(serve, tmp_path):
    _cli_refused(serve.endpoints["tencent"], tmp_path, serve_message("tencent", "aws", serve.endpoints))
    _cli_refused(serve.endpoints["huawei"], tmp_path, serve_message("huawei", "aws", serve.endpoints))
    # pointed at the address the message gives, the same command works
    ok = Cli(serve.endpoints["aws"], "us-east-1", tmp_path, random_account()).json("create-key")
    assert ok["KeyMetadata"]["KeyState"] == "Enabled"


# ---- Huawei clients at the wrong listener -----------------------------------------------------


def _huawei_refused(endpoint: str, expected: str) -> None:
    kms = hw.client(endpoint, hw.random_project())
    calls = [
        lambda: hw.create_key(kms),
        lambda: kms.list_keys(m.ListKeysRequest(body=m.ListKeysRequestBody(limit="10"))),
        lambda: kms.list_aliases(m.ListAliasesRequest()),  # a signed GET
        lambda: kms.create_random(m.CreateRandomRequest(body=m.GenRandomRequestBody(random_data_length="256"))),
    ]
    for call in calls:
        with pytest.raises(ClientRequestException) as info:
            call()
        e = info.value
        assert (e.status_code, e.error_code) == (404, "APIG.0101"), f"{e.status_code} {e.error_code}: {e.error_msg}"
        assert e.error_msg == expected
        assert e.request_id
    # IAM's token call and a plain X-Auth-Token call, as the seeds' examples send them
    project = hw.random_project()
    status, token, body = hw.get_token(endpoint, project)
    assert (status, token, hw.error_code(body)) == (404, None, "APIG.0101"), body
    assert body["error_msg"] == expected
    status, _, body = hw.kms_call(endpoint, "MIIany-token", project, "list-keys", {})
    assert (status, hw.error_code(body)) == (404, "APIG.0101"), body
    assert body["error_msg"] == expected


@pytest.mark.parametrize("listener", ["aws", "tencent"])
def test_huawei_sdk_at_a_single_dialect_listener(request, listener):
    _huawei_refused(listener_url(request, listener), single_message(listener, "huawei"))


@pytest.mark.parametrize("listener", ["aws", "tencent"])
def test_huawei_sdk_under_serve_names_the_huawei_listener(serve, listener):
    _huawei_refused(serve.endpoints[listener], serve_message(listener, "huawei", serve.endpoints))
    kms = hw.client(serve.endpoints["huawei"], hw.random_project())
    assert hw.describe(kms, hw.create_key(kms)).key_state == "2"


# ---- Tencent clients at the wrong listener ----------------------------------------------------


def _tencent_refused(endpoint: str, listener: str, expected: str) -> None:
    c = kt.client(endpoint, "ap-guangzhou")
    for action, params in (("ListKeys", {}), ("CreateKey", {"Alias": "misdirected"}),
                           ("GenerateRandom", {"NumberOfBytes": 16})):
        with pytest.raises(TencentCloudSDKException) as info:
            kt.call(c, action, **params)
        e = info.value
        # The SDK raises on any non-200 with the body as the message: the listener's own error.
        assert e.get_code() == "ServerNetworkError", (e.get_code(), e.get_message())
        raw = e.get_message()
        body = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        if listener == "aws":
            assert body == {"__type": "UnknownOperationException", "message": expected}, body
        else:
            assert (body["error_code"], body["error_msg"]) == ("APIG.0101", expected), body


@pytest.mark.parametrize("listener", ["aws", "huawei"])
def test_tencent_sdk_at_a_single_dialect_listener(request, listener):
    _tencent_refused(listener_url(request, listener), listener, single_message(listener, "tencent"))


@pytest.mark.parametrize("listener", ["aws", "huawei"])
def test_tencent_sdk_under_serve_names_the_tencent_listener(serve, listener):
    _tencent_refused(serve.endpoints[listener], listener, serve_message(listener, "tencent", serve.endpoints))
    c = kt.client(serve.endpoints["tencent"], kt.fresh_region())
    assert kt.call(c, "ListKeys")["TotalCount"] == 0


# ---- the Tencent listener and requests no Tencent client sends --------------------------------


def _http(endpoint, method, path, body=b"", headers=None):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(endpoint + path, data=body if method != "GET" else None, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


FOREIGN = [
    ("POST", "/", b"{}", {"Content-Type": "application/json"}),
    ("POST", "/", b'{"Action": "ListKeys", "Version": "2019-01-18", "Region": "ap-guangzhou"}',
     {"Content-Type": "application/json"}),
    ("POST", "/", b'{"Action": "ListKeys"}', {"Content-Type": "application/json", "Authorization": "Bearer x"}),
    ("POST", "/", b"hello", {"Content-Type": "text/plain"}),
    ("POST", "/v2/anything", b"{}", {"Content-Type": "application/json"}),
    ("POST", "/", b"{}", {"X-TC-Version": "2019-01-18", "X-TC-Region": "ap-guangzhou"}),
    ("GET", "/", b"", {}),
    ("GET", "/?Foo=1", b"", {}),
    ("PUT", "/", b"{}", {}),
    ("DELETE", "/key", b"", {}),
]


@pytest.mark.parametrize("method,path,body,headers", FOREIGN)
def test_tencent_listener_never_answers_200_to_a_foreign_request(tencent_server, method, path, body, headers):
    status, raw = _http(tencent_server.endpoint, method, path, body, headers)
    assert status == 400, (status, raw)
    envelope = json.loads(raw)["Response"]
    assert envelope["Error"]["Code"] and envelope["Error"]["Message"], envelope
    assert envelope["RequestId"], envelope


def test_misdirected_calls_are_logged_and_counted(serve):
    before = ops.scrape(serve)
    _boto3_refused(serve.endpoints["tencent"], serve_message("tencent", "aws", serve.endpoints))
    after = ops.scrape(serve)
    labels = {"dialect": "tencent", "code": "UnknownOperationException"}
    assert after.value("kmsgate_requests_total", **labels) - before.value("kmsgate_requests_total", **labels) == 4
    log = serve.log_text()
    assert "a request for AWS KMS reached the Tencent Cloud KMS listener" in log
