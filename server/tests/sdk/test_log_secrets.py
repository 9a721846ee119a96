"""Logs never contain secrets (issue #12). Each dialect runs strict, with marker secrets, an
admin token and `--log-level debug`; its SDK then drives every operation the SDK suites use
for that dialect with recognisable plaintexts, encryption contexts and key material. The
server's stderr must contain none of the markers, none of the base64 (or hex) forms of the
plaintexts, ciphertexts, material, import tokens and data keys that went over the wire, and
none of the signatures sent; and it must contain exactly one `request` line (dialect,
operation, status) per call."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.parse
from collections import Counter
from contextlib import contextmanager
from unittest import mock

import pytest
import requests
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkkms.v2 import model as m
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

import kmsgate_huawei as hw
import kmsgate_ops as ops
import kmsgate_sdk
import kmsgate_tencent as kt
import kmsgate_wrap
from kmsgate_sdk import ServerProcess

FORMATS = ["text", "json"]


def marker(name: str) -> str:
    """A recognisable value, unique per run."""
    return f"{name}-MARKER-{secrets.token_hex(6)}"


def marker_bytes(name: str, size: int) -> bytes:
    """Recognisable bytes of exactly `size` (e.g. key material)."""
    head = f"{name}-MARKER-".encode()
    return (head + secrets.token_hex(size).encode())[:size]


def debug_server(name: str, logs, binary: str, config: dict, fmt: str) -> ServerProcess:
    """Text lines at debug by the flag; JSON lines at debug by RUST_LOG (both ways in)."""
    if fmt == "json":
        return ServerProcess(name, logs, ops.lean({**config, "RUST_LOG": "debug"}), binary=binary,
                             args=["--log-format", "json"])
    return ServerProcess(name, logs, ops.lean(config), binary=binary, args=["--log-level", "debug"])


class Secrets:
    """Everything that must not reach the log, by name."""

    def __init__(self):
        self.values: dict[str, bytes | str] = {}
        self.verbatim: dict[str, str] = {}

    def add(self, name: str, value: bytes | str) -> None:
        """A value that must appear in none of its forms (text, base64, hex)."""
        self.values[f"{name}#{len(self.values)}"] = value

    def add_text(self, name: str, value: str) -> None:
        """A value that is already the wire form (a signature, a token): verbatim only."""
        if value:
            self.verbatim[f"{name}#{len(self.verbatim)}"] = value

    def add_b64(self, name: str, text: str) -> None:
        """A base64 value as sent or received: itself and the bytes it stands for."""
        self.add_text(name, text)
        try:
            self.add(name, base64.b64decode(text, validate=True))
        except ValueError:
            pass  # not base64 after all: the text itself is what goes over the wire

    def check(self, log: str) -> None:
        assert self.values or self.verbatim
        found = ops.leaks(log, self.values) + ops.leaks(log, self.verbatim, encode=False)
        if found:
            lines = [line for line in log.splitlines()
                     if any(str(v) in line for v in self.verbatim.values())][:5]
            pytest.fail("secrets in the server log: " + ", ".join(found) + "\n" + "\n".join(lines))


def check_request_lines(srv: ServerProcess, dialect: str, calls: list[tuple[str, int]]) -> None:
    """Exactly one request line per call, with the call's operation and status."""
    lines = ops.wait_for_request_lines(srv, len(calls), dialect)
    assert len(lines) == len(calls), (
        f"{len(lines)} request lines for {len(calls)} calls:\n" + "\n".join(map(str, lines))
    )
    for line in lines:
        assert {"dialect", "operation", "status"} <= line.keys(), line
    got = Counter((line["operation"], int(line["status"])) for line in lines)
    want = Counter(calls)
    assert got == want, f"logged but not called: {got - want}; called but not logged: {want - got}"
    assert all(line["dialect"] == dialect for line in lines)


def admin_calls(srv: ServerProcess, token: str, tenant: dict, secrets_: Secrets) -> None:
    """Admin endpoints with the (marker) admin token, and once with a wrong one."""
    assert srv.admin_request("GET", "/_kmsgate/clock", token=token)[0] == 200
    assert srv.admin_request("POST", "/_kmsgate/clock/advance", {"seconds": 1}, token=token)[0] == 200
    assert srv.admin_request("POST", "/_kmsgate/reset", {"tenant": tenant}, token=token)[0] == 200
    wrong = marker("WRONG-ADMIN-TOKEN")
    secrets_.add("wrong admin token", wrong)
    assert srv.admin_request("POST", "/_kmsgate/clock/advance", {"seconds": 1}, token=wrong)[0] == 401


# ---- AWS --------------------------------------------------------------------------------------


class BotoRecorder:
    """Every request boto3 sends (its signature) and every answer (operation, status)."""

    def __init__(self, kms, sink: Secrets, calls: list):
        self.sink, self.calls = sink, calls
        kms.meta.events.register("before-send.kms", self.before_send)
        kms.meta.events.register("after-call.kms", self.after_call)

    def before_send(self, request, **_):
        auth = request.headers.get("Authorization")
        auth = auth.decode() if isinstance(auth, bytes) else auth
        sig = ops.signature_of(auth)
        assert sig, auth
        self.sink.add_text("SigV4 signature", sig)

    def after_call(self, http_response, model, **_):
        self.calls.append((model.name, http_response.status_code))


@pytest.mark.parametrize("fmt", FORMATS)
def test_aws_log_has_no_secrets(server_logs, fmt):
    account = kmsgate_sdk.random_account()
    secret_key = marker("AWS-SECRET-KEY")
    admin = marker("ADMIN-TOKEN")
    srv = debug_server(f"log-secrets-aws-{fmt}", server_logs, "kmsgate-aws", {
        "KMSGATE_AWS__STRICT_AUTH": "true",
        f"KMSGATE_AWS__CREDENTIALS__{account}": secret_key,
        "KMSGATE_ADMIN__TOKEN": admin,
    }, fmt)
    s = Secrets()
    s.add("secret key", secret_key)
    s.add("admin token", admin)
    calls: list[tuple[str, int]] = []
    srv.start()
    try:
        kms = kmsgate_sdk.client(srv.endpoint, "us-east-1", account, secret_key)
        BotoRecorder(kms, s, calls)
        plaintext = marker_bytes("PLAINTEXT-MARKER-7f3a-aws", 40)
        ctx_value = marker("CTX-VALUE")
        context = {"purpose": ctx_value}
        s.add("plaintext", plaintext)
        s.add("context value", ctx_value)

        # keys, aliases, tags, states
        key = kms.create_key(Description="log test", Tags=[{"TagKey": "k", "TagValue": "v"}])["KeyMetadata"]["KeyId"]
        other = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.describe_key(KeyId=key)
        kms.list_keys()
        kms.update_key_description(KeyId=key, Description="still a log test")
        kms.create_alias(AliasName="alias/log-test", TargetKeyId=key)
        kms.update_alias(AliasName="alias/log-test", TargetKeyId=other)
        kms.list_aliases()
        kms.delete_alias(AliasName="alias/log-test")
        kms.tag_resource(KeyId=key, Tags=[{"TagKey": "owner", "TagValue": "logs"}])
        kms.list_resource_tags(KeyId=key)
        kms.untag_resource(KeyId=key, TagKeys=["owner"])
        kms.disable_key(KeyId=other)
        kms.enable_key(KeyId=other)
        kms.disable_key(KeyId=other)
        kms.schedule_key_deletion(KeyId=other, PendingWindowInDays=7)
        kms.cancel_key_deletion(KeyId=other)

        # cryptography
        enc = kms.encrypt(KeyId=key, Plaintext=plaintext, EncryptionContext=context)
        s.add("ciphertext", enc["CiphertextBlob"])
        assert kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext=context)["Plaintext"] == plaintext
        kms.enable_key(KeyId=other)
        moved = kms.re_encrypt(CiphertextBlob=enc["CiphertextBlob"], SourceEncryptionContext=context,
                               DestinationKeyId=other, DestinationEncryptionContext=context)
        s.add("re-encrypted ciphertext", moved["CiphertextBlob"])
        dk = kms.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext=context)
        s.add("data key", dk["Plaintext"])
        s.add("data key ciphertext", dk["CiphertextBlob"])
        dk2 = kms.generate_data_key_without_plaintext(KeyId=key, NumberOfBytes=32)
        s.add("data key ciphertext (without plaintext)", dk2["CiphertextBlob"])
        rnd = kms.generate_random(NumberOfBytes=32)["Plaintext"]
        s.add("random bytes", rnd)
        with pytest.raises(ClientError):  # the wrong context: the ciphertext must not be logged either
            kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext={"purpose": "other"})

        # bring your own key
        ext = kmsgate_sdk.create_external_key(kms)["KeyId"]
        params = kmsgate_sdk.import_params(kms, ext, "RSA_2048", "RSAES_OAEP_SHA_256")
        material = marker_bytes("MATERIAL", 32)
        s.add("key material", material)
        s.add("import token", params["ImportToken"])
        wrapped = kmsgate_wrap.wrap_material(params["PublicKey"], "RSAES_OAEP_SHA_256", material)
        s.add("wrapped material", wrapped)
        kms.import_key_material(KeyId=ext, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        byok = kms.encrypt(KeyId=ext, Plaintext=plaintext)["CiphertextBlob"]
        s.add("byok ciphertext", byok)
        kms.delete_imported_key_material(KeyId=ext)

        # asymmetric and HMAC keys (#16): the imported private key, messages, signatures, MACs
        # and public-key ciphertexts stay out of the log
        import kmsgate_asymmetric as asym

        signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY",
                                Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        private_key, _ = asym.genpkey("ECC_NIST_P256")
        s.add("private key", private_key)
        p = kmsgate_sdk.import_params(kms, signer, "RSA_2048", "RSAES_OAEP_SHA_256")
        s.add("import token (asymmetric)", p["ImportToken"])
        wrapped_key = kmsgate_wrap.wrap_material(p["PublicKey"], "RSAES_OAEP_SHA_256", private_key)
        s.add("wrapped private key", wrapped_key)
        kms.import_key_material(KeyId=signer, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrapped_key,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        message = marker_bytes("SIGNED-MESSAGE", 48)
        s.add("signed message", message)
        sig = kms.sign(KeyId=signer, Message=message, MessageType="RAW",
                       SigningAlgorithm="ECDSA_SHA_256")["Signature"]
        s.add("signature", sig)
        assert kms.verify(KeyId=signer, Message=message, MessageType="RAW", Signature=sig,
                          SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
        kms.get_public_key(KeyId=signer)
        mac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        mac = kms.generate_mac(KeyId=mac_key, Message=message, MacAlgorithm="HMAC_SHA_256")["Mac"]
        s.add("MAC", mac)
        assert kms.verify_mac(KeyId=mac_key, Message=message, MacAlgorithm="HMAC_SHA_256", Mac=mac)["MacValid"]
        rsa_key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
        oaep = kms.encrypt(KeyId=rsa_key, Plaintext=plaintext,
                           EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
        s.add("RSA-OAEP ciphertext", oaep)
        assert kms.decrypt(KeyId=rsa_key, CiphertextBlob=oaep,
                           EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"] == plaintext

        # strict signatures: a wrong secret is refused, and neither it nor its signature is logged
        wrong_secret = marker("WRONG-SECRET")
        s.add("wrong secret", wrong_secret)
        bad = kmsgate_sdk.client(srv.endpoint, "us-east-1", account, wrong_secret)
        BotoRecorder(bad, s, calls)
        with pytest.raises(ClientError) as info:
            bad.encrypt(KeyId=key, Plaintext=plaintext)
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

        admin_calls(srv, admin, {"account": "999999999999", "region": "us-east-1"}, s)

        check_request_lines(srv, "aws", calls)
        assert len(calls) >= 30
        s.check(srv.log_text())
    finally:
        srv.stop()
    s.check(srv.log_text())  # including whatever a shutdown writes


# ---- Tencent ----------------------------------------------------------------------------------


@contextmanager
def recording_requests(sink: Secrets, calls: list, operation_of, status_of=None):
    """Records every request `requests` sends (Tencent's and Huawei's SDKs use it): its
    signature (header, form body or query) and (operation, status) of each answer."""
    original = requests.Session.send

    def send(self, request, **kw):
        auth = request.headers.get("Authorization")
        sig = ops.signature_of(auth) if auth else None
        if sig is None:
            body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
            query = urllib.parse.urlsplit(request.url).query
            for text in (body, query):
                found = urllib.parse.parse_qs(text).get("Signature")
                if found:
                    sig = found[0]
        assert sig, f"no signature in {request.method} {request.url}"
        sink.add_text("signature", sig)
        response = original(self, request, **kw)
        calls.append((operation_of(request), response.status_code))
        return response

    with mock.patch.object(requests.Session, "send", send):
        yield


def tencent_action(request) -> str:
    action = request.headers.get("X-TC-Action")
    if action:
        return action
    body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
    for text in (body, urllib.parse.urlsplit(request.url).query):
        found = urllib.parse.parse_qs(text).get("Action")
        if found:
            return found[0]
    raise AssertionError(f"no action in {request.url}")


@pytest.mark.parametrize("fmt", FORMATS)
def test_tencent_log_has_no_secrets(server_logs, fmt):
    secret_id = f"AKIDlogs{secrets.token_hex(4)}"
    secret_key = marker("TENCENT-SECRET-KEY")
    admin = marker("ADMIN-TOKEN")
    srv = debug_server(f"log-secrets-tencent-{fmt}", server_logs, "kmsgate-tencent", {
        "KMSGATE_TENCENT__STRICT_AUTH": "true",
        f"KMSGATE_TENCENT__CREDENTIALS__{secret_id}__SECRET_KEY": secret_key,
        "KMSGATE_TENCENT__QUOTAS__ENABLED": "false",
        "KMSGATE_ADMIN__TOKEN": admin,
    }, fmt)
    s = Secrets()
    s.add("secret key", secret_key)
    s.add("admin token", admin)
    calls: list[tuple[str, int]] = []
    region = "ap-guangzhou"
    srv.start()
    try:
        c = kt.client(srv.endpoint, region, secret_id, secret_key)
        legacy = kt.client(srv.endpoint, region, secret_id, secret_key, signMethod="HmacSHA256")
        get = kt.client(srv.endpoint, region, secret_id, secret_key)
        get.profile.httpProfile.reqMethod = "GET"
        wrong_key = marker("WRONG-SECRET")
        s.add("wrong secret", wrong_key)
        wrong = kt.client(srv.endpoint, region, secret_id, wrong_key)
        plaintext = marker_bytes("PLAINTEXT-MARKER-7f3a-tencent", 40)
        ctx_value = marker("CTX-VALUE")
        context = json.dumps({"purpose": ctx_value})
        s.add("plaintext", plaintext)
        s.add("context value", ctx_value)

        def keep(name, text):
            s.add_b64(name, text)
            return text

        with recording_requests(s, calls, tencent_action):
            key = kt.call(c, "CreateKey", Alias="logs", Description="d", Tags=[{"TagKey": "k", "TagValue": "v"}])["KeyId"]
            other = kt.call(c, "CreateKey", Alias="logs-other")["KeyId"]
            kt.call(c, "DescribeKey", KeyId=key)
            kt.call(get, "DescribeKeys", KeyIds=[key, other])
            kt.call(c, "ListKeys")
            kt.call(c, "ListKeyDetail", SearchKeyAlias="logs")
            kt.call(c, "GetServiceStatus")
            kt.call(c, "UpdateAlias", KeyId=key, Alias="logs-renamed")
            kt.call(c, "UpdateKeyDescription", KeyId=key, Description="new")
            kt.call(c, "DisableKey", KeyId=other)
            kt.call(c, "ScheduleKeyDeletion", KeyId=other, PendingWindowInDays=7)
            kt.call(c, "CancelKeyDeletion", KeyId=other)
            kt.call(c, "EnableKey", KeyId=other)

            blob = keep("ciphertext", kt.call(c, "Encrypt", KeyId=key, Plaintext=kt.b64(plaintext),
                                              EncryptionContext=context)["CiphertextBlob"])
            out = kt.call(c, "Decrypt", CiphertextBlob=blob, EncryptionContext=context)
            assert kt.unb64(out["Plaintext"]) == plaintext
            keep("re-encrypted", kt.call(c, "ReEncrypt", CiphertextBlob=blob, SourceEncryptionContext=context,
                                         DestinationKeyId=other)["CiphertextBlob"])
            dk = kt.call(c, "GenerateDataKey", KeyId=key, KeySpec="AES_256", EncryptionContext=context)
            keep("data key", dk["Plaintext"])
            keep("data key ciphertext", dk["CiphertextBlob"])
            keep("random", kt.call(legacy, "GenerateRandom", NumberOfBytes=32)["Plaintext"])
            with kt.raises_code("FailedOperation.DecryptError"):
                kt.call(c, "Decrypt", CiphertextBlob=blob)  # context missing

            ext = kt.create_external(c, alias="logs-byok")
            p = kt.params_for(c, ext)
            keep("import token", p["ImportToken"])
            material = marker_bytes("MATERIAL", 32)
            s.add("key material", material)
            wrapped = keep("wrapped material", kt.wrap(p, "RSAES_OAEP_SHA_256", material))
            kt.call(c, "ImportKeyMaterial", KeyId=ext, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrapped)
            keep("byok ciphertext", kt.call(c, "Encrypt", KeyId=ext, Plaintext=kt.b64(plaintext))["CiphertextBlob"])
            kt.call(c, "DeleteImportedKeyMaterial", KeyId=ext)

            # generated asymmetric keys (#16): messages, signatures and SM2 plaintexts stay out
            signer = kt.call(c, "CreateKey", Alias="logs-ecc", KeyUsage="ASYMMETRIC_SIGN_VERIFY_ECC")["KeyId"]
            message = marker_bytes("SIGNED-MESSAGE", 64)
            s.add("signed message", message)
            sig = keep("signature", kt.call(c, "SignByAsymmetricKey", KeyId=signer, Algorithm="ECC_P256_R1",
                                            Message=kt.b64(message))["Signature"])
            assert kt.call(c, "VerifyByAsymmetricKey", KeyId=signer, Algorithm="ECC_P256_R1",
                           Message=kt.b64(message), SignatureValue=sig)["SignatureValid"] is True
            sm2 = kt.call(c, "CreateKey", Alias="logs-sm2", KeyUsage="ASYMMETRIC_DECRYPT_SM2")["KeyId"]
            der = kt.unb64(kt.call(c, "GetPublicKey", KeyId=sm2)["PublicKey"])
            sealed = kmsgate_wrap.openssl_sm2_encrypt(der, plaintext)
            s.add("SM2 ciphertext", sealed)
            out = kt.call(c, "AsymmetricSm2Decrypt", KeyId=sm2, Ciphertext=kt.b64(sealed))
            assert kt.unb64(out["Plaintext"]) == plaintext
            kt.call(c, "ListAlgorithms")

            with pytest.raises(TencentCloudSDKException) as info:
                kt.call(wrong, "Encrypt", KeyId=key, Plaintext=kt.b64(plaintext))
            assert info.value.get_code() == "AuthFailure.SignatureFailure"

        admin_calls(srv, admin, {"uin": "100000000009", "region": region}, s)

        check_request_lines(srv, "tencent", calls)
        assert len(calls) >= 25
        s.check(srv.log_text())
    finally:
        srv.stop()
    s.check(srv.log_text())


def test_tencent_refused_signature_is_logged_with_its_operation(tencent_strict_server):
    c = kt.client(tencent_strict_server.endpoint, kt.fresh_region(), kt.SECRET_ID, "wrong-secret")
    with kt.raises_code("AuthFailure.SignatureFailure") as info:
        kt.call(c, "ListKeys")
    request_id = info.value.get_request_id()
    line = ops.wait_for_line(tencent_strict_server, lambda f: f.get("request_id") == request_id)
    assert line is not None, f"no request line with request_id {request_id}"
    assert (line["operation"], line["code"]) == ("ListKeys", "AuthFailure.SignatureFailure"), line


# ---- Huawei -----------------------------------------------------------------------------------

# Huawei's operation names by method and path after /v1.0/{project}/kms/ (the SDK's names).
HUAWEI_OPS = {
    ("POST", "create-key"): "CreateKey", ("POST", "describe-key"): "DescribeKey",
    ("POST", "list-keys"): "ListKeys", ("POST", "enable-key"): "EnableKey",
    ("POST", "disable-key"): "DisableKey", ("POST", "schedule-key-deletion"): "ScheduleKeyDeletion",
    ("POST", "cancel-key-deletion"): "CancelKeyDeletion", ("POST", "update-key-alias"): "UpdateKeyAlias",
    ("POST", "update-key-description"): "UpdateKeyDescription",
    ("POST", "get-parameters-for-import"): "GetParametersForImport",
    ("POST", "import-key-material"): "ImportKeyMaterial",
    ("POST", "delete-imported-key-material"): "DeleteImportedKeyMaterial",
    ("POST", "encrypt-data"): "EncryptData", ("POST", "decrypt-data"): "DecryptData",
    ("POST", "re-encrypt"): "ReEncrypt", ("POST", "gen-random"): "GenRandom",
    ("POST", "get-publickey"): "ShowPublicKey", ("POST", "sign"): "Sign",
    ("POST", "verify"): "ValidateSignature", ("POST", "generate-mac"): "GenerateMac",
    ("POST", "verify-mac"): "VerifyMac",
    ("POST", "create-datakey"): "CreateDatakey",
    ("POST", "create-datakey-without-plaintext"): "CreateDatakeyWithoutPlaintext",
    ("POST", "encrypt-datakey"): "EncryptDatakey", ("POST", "decrypt-datakey"): "DecryptDatakey",
    ("POST", "aliases"): "CreateAlias", ("GET", "aliases"): "ListAliases",
    ("DELETE", "aliases"): "DeleteAlias", ("POST", "alias/associate"): "AssociateAlias",
}
IAM_OPERATION = "KeystoneCreateUserTokenByPassword"


def huawei_operation(method: str, url: str) -> str:
    path = urllib.parse.urlsplit(url).path
    if path == "/v3/auth/tokens":
        return IAM_OPERATION
    action = path.split("/kms/", 1)[1]
    return HUAWEI_OPS[(method, action)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_huawei_log_has_no_secrets(server_logs, fmt):
    ak = f"HPUALOGS{secrets.token_hex(6).upper()}"
    sk = marker("HUAWEI-SECRET-KEY")
    user, password, domain = "logs-user", marker("PASSWORD"), "logs-domain"
    admin = marker("ADMIN-TOKEN")
    srv = debug_server(f"log-secrets-huawei-{fmt}", server_logs, "kmsgate-huawei", {
        "KMSGATE_HUAWEI__STRICT_AUTH": "true",
        f"KMSGATE_HUAWEI__CREDENTIALS__{ak}__SECRET_KEY": sk,
        f"KMSGATE_HUAWEI__USERS__{user}__PASSWORD": password,
        f"KMSGATE_HUAWEI__USERS__{user}__DOMAIN": domain,
        "KMSGATE_ADMIN__TOKEN": admin,
    }, fmt)
    s = Secrets()
    for name, value in (("secret key", sk), ("password", password), ("admin token", admin)):
        s.add(name, value)
    calls: list[tuple[str, int]] = []
    project = hw.random_project()
    srv.start()
    try:
        ep = srv.endpoint
        kms = hw.client(ep, project, ak, sk)
        plaintext = marker("PLAINTEXT-MARKER-7f3a-huawei")
        aad = marker("AAD-VALUE")
        s.add("plaintext", plaintext)
        s.add("additional authenticated data", aad)
        wrong_sk = marker("WRONG-SECRET")
        s.add("wrong secret", wrong_sk)

        def op(key_id):
            return m.OperateKeyRequestBody(key_id=key_id)

        with recording_requests(s, calls, lambda r: huawei_operation(r.method, r.url)):
            key = hw.create_key(kms, alias="logs")
            other = hw.create_key(kms, "kms", "SM4")
            hw.describe(kms, key)
            kms.list_keys(m.ListKeysRequest(body=m.ListKeysRequestBody(limit="10", key_spec="ALL")))
            kms.update_key_alias(m.UpdateKeyAliasRequest(body=m.UpdateKeyAliasRequestBody(key_id=key, key_alias="logs-2")))
            kms.update_key_description(m.UpdateKeyDescriptionRequest(
                body=m.UpdateKeyDescriptionRequestBody(key_id=key, key_description="d")))
            kms.disable_key(m.DisableKeyRequest(body=op(other)))
            kms.delete_key(m.DeleteKeyRequest(body=m.ScheduleKeyDeletionRequestBody(key_id=other, pending_days="7")))
            kms.cancel_key_deletion(m.CancelKeyDeletionRequest(body=op(other)))
            kms.enable_key(m.EnableKeyRequest(body=op(other)))
            kms.create_alias(m.CreateAliasRequest(body=m.CreateAliasRequestBody(key_id=key, alias="logs-alias")))
            kms.associate_alias(m.AssociateAliasRequest(body=m.AssociateAliasRequestBody(alias="logs-alias", target_key_id=other)))
            kms.list_aliases(m.ListAliasesRequest(key_id=other, limit="10"))
            kms.delete_alias(m.DeleteAliasRequest(body=m.DeleteAliasRequestBody(aliases=["logs-alias"], key_id=other)))

            enc = kms.encrypt_data(m.EncryptDataRequest(body=m.EncryptDataRequestBody(
                key_id=key, plain_text=plaintext, additional_authenticated_data=aad)))
            s.add_b64("ciphertext", enc.cipher_text)
            dec = kms.decrypt_data(m.DecryptDataRequest(body=m.DecryptDataRequestBody(
                cipher_text=enc.cipher_text, additional_authenticated_data=aad)))
            assert dec.plain_text == plaintext
            moved = kms.re_encrypt(m.ReEncryptRequest(body=m.ReEncryptRequestBody(
                cipher_text=enc.cipher_text, destination_key_id=other, source_additional_authenticated_data=aad)))
            s.add_b64("re-encrypted", moved.cipher_text)
            with pytest.raises(ClientRequestException):  # AAD missing
                hw.decrypt(kms, enc.cipher_text)
            dk = kms.create_datakey(m.CreateDatakeyRequest(body=m.CreateDatakeyRequestBody(key_id=key, datakey_length="256")))
            s.add_text("data key (hex)", dk.plain_text)
            s.add("data key", bytes.fromhex(dk.plain_text))
            s.add_text("data key ciphertext", dk.cipher_text)
            s.add_text("data key ciphertext",
                       kms.create_datakey_without_plaintext(m.CreateDatakeyWithoutPlaintextRequest(
                           body=m.CreateDatakeyRequestBody(key_id=key, key_spec="AES_256"))).cipher_text)
            dek = marker_bytes("DATA-KEY", 32)
            s.add("own data key", dek)
            wrapped_dek = kms.encrypt_datakey(m.EncryptDatakeyRequest(body=m.EncryptDatakeyRequestBody(
                key_id=key, plain_text=(dek + hashlib.sha256(dek).digest()).hex(), datakey_plain_length="32")))
            s.add_text("wrapped data key", wrapped_dek.cipher_text)
            back = kms.decrypt_datakey(m.DecryptDatakeyRequest(body=m.DecryptDatakeyRequestBody(
                key_id=key, cipher_text=wrapped_dek.cipher_text, datakey_cipher_length="32")))
            assert back.data_key == dek.hex()
            rnd = kms.create_random(m.CreateRandomRequest(body=m.GenRandomRequestBody(random_data_length="256")))
            s.add_text("random (hex)", rnd.random_data)
            s.add("random", bytes.fromhex(rnd.random_data))

            ext = hw.create_key(kms, "external", "AES_256")
            p = hw.params(kms, ext, "RSAES_OAEP_SHA_256")
            s.add_b64("import token", p.import_token)
            material = marker_bytes("MATERIAL", 32)
            s.add("key material", material)
            wrapped = hw.wrap(p.public_key, "RSAES_OAEP_SHA_256", material)
            s.add_b64("wrapped material", wrapped)
            hw.import_material(kms, ext, p, wrapped)
            s.add_b64("byok ciphertext", hw.encrypt(kms, ext, plaintext))
            kms.delete_imported_key_material(m.DeleteImportedKeyMaterialRequest(body=op(ext)))

            # asymmetric and HMAC keys (#16): messages, signatures, MACs, the private key and
            # both import layers stay out of the log
            signer = kms.create_key(m.CreateKeyRequest(body=m.CreateKeyRequestBody(
                key_alias="logs-ec", key_spec="EC_P256"))).key_info.key_id
            digest = marker_bytes("DIGEST", 32)
            s.add("digest", digest)
            sig = kms.sign(m.SignRequest(body=m.SignRequestBody(
                key_id=signer, message=base64.b64encode(digest).decode(),
                signing_algorithm="ECDSA_SHA_256"))).signature
            s.add_b64("signature", sig)
            assert kms.validate_signature(m.ValidateSignatureRequest(body=m.VerifyRequestBody(
                key_id=signer, message=base64.b64encode(digest).decode(), signature=sig,
                signing_algorithm="ECDSA_SHA_256"))).signature_valid == "true"
            kms.show_public_key(m.ShowPublicKeyRequest(body=op(signer)))
            mac_key = kms.create_key(m.CreateKeyRequest(body=m.CreateKeyRequestBody(
                key_alias="logs-hmac", key_spec="HMAC_256"))).key_info.key_id
            mac_message = marker_bytes("MAC-MESSAGE", 48)
            s.add("MAC message", mac_message)
            mac = kms.generate_mac(m.GenerateMacRequest(body=m.GenerateMacRequestBody(
                key_id=mac_key, mac_algorithm="HMAC_SHA_256",
                message=base64.b64encode(mac_message).decode()))).mac
            s.add_b64("MAC", mac)
            assert kms.verify_mac(m.VerifyMacRequest(body=m.VerifyMacRequestBody(
                key_id=mac_key, mac_algorithm="HMAC_SHA_256",
                message=base64.b64encode(mac_message).decode(), mac=mac))).mac_valid is True
            sm2 = kms.create_key(m.CreateKeyRequest(body=m.CreateKeyRequestBody(
                key_alias="logs-sm2", key_spec="SM2", key_usage="ENCRYPT_DECRYPT"))).key_info.key_id
            asym = kms.encrypt_data(m.EncryptDataRequest(body=m.EncryptDataRequestBody(
                key_id=sm2, plain_text=plaintext, encryption_algorithm="SM2_ENCRYPT"))).cipher_text
            s.add_b64("SM2 ciphertext", asym)
            assert kms.decrypt_data(m.DecryptDataRequest(body=m.DecryptDataRequestBody(
                key_id=sm2, cipher_text=asym, encryption_algorithm="SM2_ENCRYPT"))).plain_text == plaintext
            ec_ext = kms.create_key(m.CreateKeyRequest(body=m.CreateKeyRequestBody(
                key_alias="logs-ec-ext", key_spec="EC_P256", origin="external"))).key_info.key_id
            p = hw.params(kms, ec_ext, "RSAES_OAEP_SHA_256")
            s.add_b64("import token (asymmetric)", p.import_token)
            private_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            s.add("private key", private_key)
            temp = marker_bytes("TEMP-KEY", 32)
            s.add("temporary key", temp)
            first = hw.wrap(p.public_key, "RSAES_OAEP_SHA_256", temp)
            second = base64.b64encode(aes_key_wrap_with_padding(temp, private_key)).decode()
            s.add_b64("encrypted_key_material (asymmetric)", first)
            s.add_b64("encrypted_privatekey", second)
            kms.import_key_material(m.ImportKeyMaterialRequest(body=m.ImportKeyMaterialRequestBody(
                key_id=ec_ext, import_token=p.import_token, encrypted_key_material=first,
                encrypted_privatekey=second)))

            with hw.raises_code("APIG.0301", 401):
                hw.create_key(hw.client(ep, project, ak, wrong_sk))

        # IAM's token and plain X-Auth-Token calls (urllib, recorded here)
        status, token, _ = hw.get_token(ep, project, (user, password, domain))
        calls.append((IAM_OPERATION, status))
        assert status == 201 and token
        s.add_text("X-Auth-Token", token)
        status, _, _ = hw.get_token(ep, project, (user, marker("WRONG-PASSWORD"), domain))
        calls.append((IAM_OPERATION, status))
        assert status == 401
        for action, body in (("describe-key", {"key_id": key}),
                             ("encrypt-data", {"key_id": key, "plain_text": plaintext})):
            status, _, out = hw.kms_call(ep, token, project, action, body)
            calls.append((HUAWEI_OPS[("POST", action)], status))
            assert status == 200, out
            if action == "encrypt-data":
                s.add_b64("ciphertext (token call)", out["cipher_text"])
                status, _, out = hw.kms_call(ep, token, project, "decrypt-data", {"cipher_text": out["cipher_text"]})
                calls.append(("DecryptData", status))
                assert out["plain_text"] == plaintext
        forged = "MII" + marker("FORGED-TOKEN")
        s.add_text("forged token", forged)
        status, _, _ = hw.kms_call(ep, forged, project, "list-keys", {})
        calls.append(("ListKeys", status))
        assert status == 401

        admin_calls(srv, admin, {"project_id": hw.random_project()}, s)

        check_request_lines(srv, "huawei", calls)
        assert len(calls) >= 35
        s.check(srv.log_text())
    finally:
        srv.stop()
    s.check(srv.log_text())


def test_the_leak_search_finds_every_form():
    """The search above is only as good as the forms it looks for."""
    value = marker_bytes("PLAINTEXT-MARKER-7f3a", 32)
    for form in ops.forms(value):
        assert ops.leaks(f'INFO request body="{form}"', {"plaintext": value}), form
    assert ops.leaks(base64.b64encode(value).decode(), {"plaintext": value})
    assert ops.leaks(value.hex(), {"plaintext": value})
    assert not ops.leaks("INFO request dialect=\"aws\"", {"plaintext": value})
    s = Secrets()
    s.add("plaintext", value)
    with pytest.raises(pytest.fail.Exception):
        s.check(f"... {base64.b64encode(value).decode()} ...")
