"""`kmsgate wrap` in the BYOK flow of every dialect, driven by each cloud's own SDK (issue #13).

For every wrapping algorithm a dialect offers (and every wrapping key spec, RSA_3072/RSA_4096
once each): create an external key, get the import parameters, wrap fresh material with a
subprocess `kmsgate wrap --material random:N --material-out FILE`, import it, encrypt and decrypt,
delete the imported material, see other material (wrapped by `kmsgate wrap` too) refused, and
import the saved material again (wrapped anew, under new parameters for SM2 and the big RSA
specs), after which the old ciphertext decrypts. Nothing here wraps in Python: the independent
Python wrapper (kmsgate_wrap.py) is what the other BYOK tests use, so the two check the server
from both sides.

The cases rotate through the command's input and output forms: the public key as returned (base64
DER), as a PEM file, as a DER file or as a file of the base64 text; the saved material back as
@FILE, hex: or base64:; the output as base64 on stdout, `--format raw --out FILE` or base64 in
`--out FILE`; SM2 ciphertexts as der, raw and raw04. Algorithms a dialect refuses are asserted
with that dialect's error code.
"""

from __future__ import annotations

import base64
import itertools
import os
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from huaweicloudsdkkms.v2 import model as hm

import kmsgate_huawei as hw
import kmsgate_sdk
import kmsgate_tencent as tcm
import kmsgate_wrap
from kmsgate_sdk import ServerProcess

KEY_FORMS = ("base64", "pem-file", "der-file", "base64-file")
MATERIAL_FORMS = ("@file", "hex", "base64")
OUTPUT_FORMS = ("stdout", "raw-file", "base64-file")
RSA_BYTES = {"RSA_2048": 256, "RSA_3072": 384, "RSA_4096": 512}


# ---- the command ------------------------------------------------------------------------------


def kmsgate_bin() -> Path:
    exe = kmsgate_sdk.bin_dir() / "kmsgate"
    if not exe.is_file():
        pytest.fail(
            f"{exe} does not exist: build it with `cargo build -p kmsgate-server --bins` "
            "or point KMSGATE_BIN_DIR at the directory holding it",
            pytrace=False,
        )
    return exe


def run_wrap(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(kmsgate_bin()), "wrap", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )


def pem_of(der: bytes) -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"


@dataclass(frozen=True)
class Forms:
    """How one case hands its inputs to `kmsgate wrap` and takes the output back."""

    key: str = "base64"
    material: str = "@file"
    output: str = "stdout"
    sm2: str | None = None  # --sm2-format; None leaves the default (der)


def rotate(n: int, sm2: str | None = None) -> Forms:
    return Forms(KEY_FORMS[n % len(KEY_FORMS)], MATERIAL_FORMS[n % len(MATERIAL_FORMS)],
                 OUTPUT_FORMS[n % len(OUTPUT_FORMS)], sm2)


class Wrapper:
    """`kmsgate wrap` in a scratch directory, one case's forms applied to every call."""

    def __init__(self, workdir: Path, forms: Forms):
        self.dir = workdir
        self.forms = forms
        self._n = itertools.count()

    def _key_arg(self, public_key_b64: str) -> str:
        der = base64.b64decode(public_key_b64)
        n = next(self._n)
        form = self.forms.key
        if form == "base64":
            return public_key_b64
        path = self.dir / f"wrapping-{n}.{form}"
        if form == "pem-file":
            path.write_text(pem_of(der))
        elif form == "der-file":
            path.write_bytes(der)
        else:
            path.write_text(public_key_b64 + "\n")  # as `--output text` saves it
        return f"@{path}"

    def wrap(self, algorithm: str, public_key_b64: str, material: str, *extra: str) -> tuple[bytes, str]:
        """(encrypted material, stderr) of one successful `kmsgate wrap`."""
        args = ["--algorithm", algorithm, "--public-key", self._key_arg(public_key_b64),
                "--material", material, *extra]
        if self.forms.sm2 is not None:
            args += ["--sm2-format", self.forms.sm2]
        out_file = self.dir / f"wrapped-{next(self._n)}.out"
        if self.forms.output == "raw-file":
            args += ["--format", "raw", "--out", str(out_file)]
        elif self.forms.output == "base64-file":
            args += ["--out", str(out_file)]
        proc = run_wrap(*args, cwd=self.dir)
        assert proc.returncode == 0, f"kmsgate wrap {args}: exit {proc.returncode}\n{proc.stderr}"
        if self.forms.output == "stdout":
            assert proc.stdout.endswith("\n") and proc.stdout.count("\n") == 1, proc.stdout
            wrapped = base64.b64decode(proc.stdout.strip(), validate=True)
        else:
            assert proc.stdout == "", proc.stdout
            data = out_file.read_bytes()
            if self.forms.output == "raw-file":
                wrapped = data
            else:
                assert data.endswith(b"\n"), data[-10:]
                wrapped = base64.b64decode(data.strip(), validate=True)
        return wrapped, proc.stderr

    def fresh(self, algorithm: str, public_key_b64: str, n: int) -> tuple[bytes, bytes]:
        """random:N with --material-out: (encrypted material, the material as saved)."""
        saved = self.dir / f"material-{next(self._n)}.bin"
        wrapped, err = self.wrap(algorithm, public_key_b64, f"random:{n}", "--material-out", str(saved))
        assert err == "", err
        material = saved.read_bytes()
        assert len(material) == n
        return wrapped, material

    def again(self, algorithm: str, public_key_b64: str, material: bytes) -> bytes:
        """The same material once more, given back in this case's material form."""
        form = self.forms.material
        if form == "@file":
            path = self.dir / f"material-{next(self._n)}.bin"
            path.write_bytes(material)
            source = f"@{path}"
        elif form == "hex":
            source = "hex:" + material.hex()
        else:
            source = "base64:" + base64.b64encode(material).decode()
        wrapped, err = self.wrap(algorithm, public_key_b64, source)
        assert err == "", err
        return wrapped


def check_layout(algorithm: str, spec: str, wrapped: bytes, n: int, sm2_format: str | None) -> None:
    """The ciphertext has the size and shape the algorithm (and SM2 layout) implies."""
    if algorithm in ("SM2PKE", "SM2_ENCRYPT"):
        layout = sm2_format or "der"
        if layout == "der":
            _, _, c3, c2 = kmsgate_wrap.sm2_der_parts(wrapped)
            assert (len(c3), len(c2)) == (32, n)
        elif layout == "raw":
            assert len(wrapped) == 64 + 32 + n
        else:
            assert len(wrapped) == 1 + 64 + 32 + n and wrapped[0] == 4
        return
    rsa = RSA_BYTES[spec]
    if algorithm.startswith("RSA_AES_KEY_WRAP"):
        assert len(wrapped) == rsa + n + 8  # OAEP(AES key) || RFC 5649 wrap of n bytes
    else:
        assert len(wrapped) == rsa


# ---- one adapter per dialect ------------------------------------------------------------------


class Aws:
    """boto3 against kmsgate-aws."""

    mismatch = "IncorrectKeyMaterialException"
    context = {"via": "kmsgate-wrap"}

    def __init__(self, kms):
        self.kms = kms

    def create(self) -> str:
        return kmsgate_sdk.create_external_key(self.kms)["KeyId"]

    def params(self, key_id, algorithm, spec) -> tuple[str, object]:
        p = self.kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
        return base64.b64encode(p["PublicKey"]).decode(), p["ImportToken"]

    def import_(self, key_id, token, wrapped: bytes):
        return self.kms.import_key_material(
            KeyId=key_id, ImportToken=token, EncryptedKeyMaterial=wrapped,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )

    def enabled(self, key_id) -> bool:
        return kmsgate_sdk.describe(self.kms, key_id)["KeyState"] == "Enabled"

    def pending(self, key_id) -> bool:
        return kmsgate_sdk.describe(self.kms, key_id)["KeyState"] == "PendingImport"

    def encrypt(self, key_id, data: bytes):
        out = self.kms.encrypt(KeyId=key_id, Plaintext=data, EncryptionContext=self.context)
        return out["CiphertextBlob"]

    def decrypt(self, blob) -> bytes:
        return self.kms.decrypt(CiphertextBlob=blob, EncryptionContext=self.context)["Plaintext"]

    def delete_material(self, key_id):
        self.kms.delete_imported_key_material(KeyId=key_id)

    def raises(self, code):
        return kmsgate_sdk.raises_code(code)


class Tencent:
    """tencentcloud-sdk-python-kms against kmsgate-tencent."""

    mismatch = "InvalidParameterValue.MaterialNotMatch"

    def __init__(self, c):
        self.c = c

    def create(self) -> str:
        return tcm.create_external(self.c)

    def params(self, key_id, algorithm, spec):
        p = tcm.params_for(self.c, key_id, algorithm, spec)
        return p["PublicKey"], p["ImportToken"]

    def import_(self, key_id, token, wrapped: bytes):
        return tcm.call(self.c, "ImportKeyMaterial", KeyId=key_id, ImportToken=token,
                        EncryptedKeyMaterial=tcm.b64(wrapped))

    def enabled(self, key_id) -> bool:
        return tcm.describe(self.c, key_id)["KeyState"] == "Enabled"

    def pending(self, key_id) -> bool:
        return tcm.describe(self.c, key_id)["KeyState"] == "PendingImport"

    def encrypt(self, key_id, data: bytes):
        return tcm.call(self.c, "Encrypt", KeyId=key_id, Plaintext=tcm.b64(data))["CiphertextBlob"]

    def decrypt(self, blob) -> bytes:
        return tcm.unb64(tcm.call(self.c, "Decrypt", CiphertextBlob=blob)["Plaintext"])

    def delete_material(self, key_id):
        tcm.call(self.c, "DeleteImportedKeyMaterial", KeyId=key_id)

    def raises(self, code):
        return tcm.raises_code(code)


class Huawei:
    """huaweicloudsdkkms against kmsgate-huawei (the wrapping key spec follows the algorithm:
    RSA_2048, or SM2 for SM2_ENCRYPT; the SDK has no field for it)."""

    mismatch = "KMS.2606"

    def __init__(self, kms, key_spec: str):
        self.kms = kms
        self.key_spec = key_spec

    def create(self) -> str:
        return hw.create_key(self.kms, "external", self.key_spec)

    def params(self, key_id, algorithm, spec):
        p = hw.params(self.kms, key_id, algorithm)
        return p.public_key, p

    def import_(self, key_id, token, wrapped: bytes):
        return hw.import_material(self.kms, key_id, token, base64.b64encode(wrapped).decode())

    def enabled(self, key_id) -> bool:
        return hw.describe(self.kms, key_id).key_state == "2"

    def pending(self, key_id) -> bool:
        return hw.describe(self.kms, key_id).key_state == "5"

    def encrypt(self, key_id, data: bytes):
        return hw.encrypt(self.kms, key_id, base64.b64encode(data).decode())

    def decrypt(self, blob) -> bytes:
        return base64.b64decode(hw.decrypt(self.kms, blob))

    def delete_material(self, key_id):
        self.kms.delete_imported_key_material(
            hm.DeleteImportedKeyMaterialRequest(body=hm.OperateKeyRequestBody(key_id=key_id))
        )

    def raises(self, code):
        return hw.raises_code(code)


def byok_flow(d, w: Wrapper, algorithm: str, spec: str, n: int, reimport_spec: str | None = None) -> None:
    """The whole flow with `kmsgate wrap` as the only wrapper (see the module docstring).

    The re-import wraps under new parameters for SM2 and when `reimport_spec` is given;
    otherwise it reuses the first ones (valid for a day), as RSA key pairs are the slow part."""
    key_id = d.create()
    assert d.pending(key_id)
    public_key, token = d.params(key_id, algorithm, spec)
    wrapped, material = w.fresh(algorithm, public_key, n)
    check_layout(algorithm, spec, wrapped, n, w.forms.sm2)
    d.import_(key_id, token, wrapped)
    assert d.enabled(key_id)
    plaintext = os.urandom(48)
    blob = d.encrypt(key_id, plaintext)
    assert d.decrypt(blob) == plaintext

    d.delete_material(key_id)
    assert d.pending(key_id)
    if reimport_spec is not None or spec == "SM2":
        spec = reimport_spec or spec
        first_key = public_key
        public_key, token = d.params(key_id, algorithm, spec)
        assert public_key != first_key
    # Other material is refused...
    other, err = w.wrap(algorithm, public_key, "hex:" + os.urandom(n).hex())
    assert err == ""
    with d.raises(d.mismatch):
        d.import_(key_id, token, other)
    assert d.pending(key_id)
    # ...the saved material, wrapped again, brings the key and its old ciphertexts back.
    again = w.again(algorithm, public_key, material)
    check_layout(algorithm, spec, again, n, w.forms.sm2)
    d.import_(key_id, token, again)
    assert d.enabled(key_id)
    assert d.decrypt(blob) == plaintext
    assert d.decrypt(d.encrypt(key_id, b"after re-import")) == b"after re-import"


def import_refusals(d, w: Wrapper, algorithm: str, other_algorithm: str, short_code: str,
                    unwrap_code: str) -> None:
    """What the dialect says to `kmsgate wrap` output it must refuse, for one key and token
    (`algorithm` with an RSA_2048 wrapping key); each refusal leaves the key PendingImport.

    * 24 bytes of material, a length no cloud imports: the command warns but wraps; the import
      is refused with `short_code`.
    * Material wrapped with `other_algorithm` instead of the token's does not unwrap
      (`unwrap_code`): the command really wraps with the algorithm it is told."""
    key_id = d.create()
    public_key, token = d.params(key_id, algorithm, "RSA_2048")
    # Not a DER structure either (a first byte other than 0x30): nothing any cloud imports.
    short, err = w.wrap(algorithm, public_key, "hex:01" + os.urandom(23).hex())
    assert "warning: 24 bytes of material" in err, err
    with d.raises(short_code):
        d.import_(key_id, token, short)
    assert d.pending(key_id)
    mismatched, err = w.wrap(other_algorithm, public_key, "base64:" + base64.b64encode(os.urandom(32)).decode())
    assert err == ""
    with d.raises(unwrap_code):
        d.import_(key_id, token, mismatched)
    assert d.pending(key_id)
    # and the right algorithm imports with the same token
    right, _ = w.wrap(algorithm, public_key, "hex:" + os.urandom(32).hex())
    d.import_(key_id, token, right)
    assert d.enabled(key_id)


# ---- AWS --------------------------------------------------------------------------------------

# (region, wrapping key spec, algorithm, material bytes, SM2 layout)
AWS_CASES = [
    ("us-east-1", "RSA_2048", "RSAES_OAEP_SHA_1", 32, None),
    ("us-east-1", "RSA_2048", "RSAES_OAEP_SHA_256", 32, None),
    ("us-east-1", "RSA_2048", "RSA_AES_KEY_WRAP_SHA_1", 32, None),
    ("us-east-1", "RSA_2048", "RSA_AES_KEY_WRAP_SHA_256", 32, None),
    # China regions: SM4 keys (16 bytes), RSAES_OAEP and SM2PKE in every layout.
    ("cn-north-1", "RSA_2048", "RSAES_OAEP_SHA_1", 16, None),
    ("cn-north-1", "RSA_2048", "RSAES_OAEP_SHA_256", 16, None),
    ("cn-north-1", "SM2", "SM2PKE", 16, "der"),
    ("cn-north-1", "SM2", "SM2PKE", 16, "raw"),
    ("cn-north-1", "SM2", "SM2PKE", 16, "raw04"),
]


@pytest.mark.parametrize("region,spec,algorithm,n,sm2", AWS_CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" + (f"-{c[4]}" if c[4] else "") for c in AWS_CASES])
def test_aws_byok_with_kmsgate_wrap(make_client, account, tmp_path, region, spec, algorithm, n, sm2):
    i = AWS_CASES.index((region, spec, algorithm, n, sm2))
    byok_flow(Aws(make_client(region, account)), Wrapper(tmp_path, rotate(i, sm2)), algorithm, spec, n)


# (region, wrapping key spec, algorithm) AWS refuses, all with ValidationException.
AWS_REFUSED = [
    ("us-east-1", "RSA_2048", "RSAES_PKCS1_V1_5"),  # retired 2023-10-10
    ("cn-north-1", "RSA_2048", "RSAES_PKCS1_V1_5"),
    ("us-east-1", "SM2", "SM2PKE"),  # China regions only
    ("us-east-1", "RSA_2048", "SM2PKE"),
    ("cn-north-1", "RSA_2048", "RSA_AES_KEY_WRAP_SHA_1"),  # not in China regions
    ("cn-north-1", "RSA_2048", "RSA_AES_KEY_WRAP_SHA_256"),
    ("cn-north-1", "SM2", "RSAES_OAEP_SHA_256"),  # an RSA algorithm needs an RSA key
    ("cn-north-1", "RSA_2048", "SM2PKE"),  # and SM2 an SM2 key
]


@pytest.mark.parametrize("region,spec,algorithm", AWS_REFUSED, ids=["-".join(c) for c in AWS_REFUSED])
def test_aws_refuses_wrapping(make_client, account, region, spec, algorithm):
    d = Aws(make_client(region, account))
    key_id = d.create()
    with d.raises("ValidationException"):
        d.params(key_id, algorithm, spec)
    assert d.pending(key_id)


@pytest.fixture(scope="module")
def aws_pkcs1_server(server_logs):
    """kmsgate-aws with aws.allow_rsaes_pkcs1_v1_5 (for scripts from before AWS retired it);
    no key pairs made ahead (the one test needs one RSA_2048 pair)."""
    srv = ServerProcess("wrap-cli-pkcs1", server_logs, {
        "KMSGATE_AWS__ALLOW_RSAES_PKCS1_V1_5": "true",
        "KMSGATE_POOL__RSA_2048": "0",
        "KMSGATE_POOL__RSA_3072": "0",
        "KMSGATE_POOL__RSA_4096": "0",
        "KMSGATE_POOL__SM2": "0",
    })
    try:
        yield srv.start()
    finally:
        srv.stop()


def test_aws_pkcs1_byok_with_kmsgate_wrap_where_allowed(aws_pkcs1_server, tmp_path):
    kms = kmsgate_sdk.client(aws_pkcs1_server.endpoint, "us-east-1")
    w = Wrapper(tmp_path, Forms("pem-file", "hex", "raw-file"))
    byok_flow(Aws(kms), w, "RSAES_PKCS1_V1_5", "RSA_2048", 32)


def test_aws_import_refusals_of_kmsgate_wrap_output(make_client, account, tmp_path):
    d = Aws(make_client("us-east-1", account))
    w = Wrapper(tmp_path, Forms())
    import_refusals(d, w, "RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1",
                    "IncorrectKeyMaterialException", "InvalidCiphertextException")


# ---- Tencent ----------------------------------------------------------------------------------

# (edition, algorithm, material bytes, SM2 layout); the wrapping key spec is always RSA_2048,
# or SM2 for SM2PKE (SM-CRYPTO edition only).
TENCENT_CASES = [
    ("fips", "RSAES_PKCS1_V1_5", 32, None),
    ("fips", "RSAES_OAEP_SHA_1", 32, None),
    ("fips", "RSAES_OAEP_SHA_256", 32, None),
    ("sm", "RSAES_OAEP_SHA_256", 16, None),  # RSA works alike in both editions; FIPS has all three
    ("sm", "SM2PKE", 16, "der"),
    ("sm", "SM2PKE", 16, "raw"),
    ("sm", "SM2PKE", 16, "raw04"),
]


@pytest.fixture
def tencent_of(request, region):
    """edition -> a Tencent adapter; only the edition's server is started."""

    def make(edition: str) -> Tencent:
        srv = request.getfixturevalue("tencent_server" if edition == "fips" else "tencent_sm_server")
        return Tencent(tcm.client(srv.endpoint, region))

    return make


@pytest.mark.parametrize("edition,algorithm,n,sm2", TENCENT_CASES,
                         ids=[f"{c[0]}-{c[1]}" + (f"-{c[3]}" if c[3] else "") for c in TENCENT_CASES])
def test_tencent_byok_with_kmsgate_wrap(tencent_of, tmp_path, edition, algorithm, n, sm2):
    i = TENCENT_CASES.index((edition, algorithm, n, sm2))
    spec = "SM2" if algorithm == "SM2PKE" else "RSA_2048"
    byok_flow(tencent_of(edition), Wrapper(tmp_path, rotate(i, sm2)), algorithm, spec, n)


# (edition, wrapping key spec, algorithm) Tencent refuses, all with InvalidParameterValue.
TENCENT_REFUSED = [
    ("fips", "RSA_2048", "RSA_AES_KEY_WRAP_SHA_1"),
    ("fips", "RSA_2048", "RSA_AES_KEY_WRAP_SHA_256"),
    ("sm", "RSA_2048", "RSA_AES_KEY_WRAP_SHA_256"),
    ("fips", "SM2", "SM2PKE"),  # SM2 is the SM-CRYPTO edition's
    ("fips", "RSA_3072", "RSAES_OAEP_SHA_256"),  # RSA_2048 only
    ("sm", "RSA_4096", "RSAES_OAEP_SHA_256"),
    ("sm", "SM2", "RSAES_OAEP_SHA_256"),  # the algorithm must fit the key
    ("sm", "RSA_2048", "SM2PKE"),
]


@pytest.mark.parametrize("edition,spec,algorithm", TENCENT_REFUSED, ids=["-".join(c) for c in TENCENT_REFUSED])
def test_tencent_refuses_wrapping(tencent_of, edition, spec, algorithm):
    d = tencent_of(edition)
    key_id = d.create()
    with d.raises("InvalidParameterValue"):
        d.params(key_id, algorithm, spec)
    assert d.pending(key_id)


def test_tencent_import_refusals_of_kmsgate_wrap_output(tencent_of, tmp_path):
    d = tencent_of("fips")
    w = Wrapper(tmp_path, Forms())
    import_refusals(d, w, "RSAES_OAEP_SHA_256", "RSAES_PKCS1_V1_5",
                    "InvalidParameterValue.InvalidImportKeyMaterial", "InvalidParameter.DecryptMaterialError")


# ---- Huawei -----------------------------------------------------------------------------------

# (key spec, algorithm, material bytes, SM2 layout); the wrapping key is RSA_2048, or SM2 for
# SM2_ENCRYPT, whatever the key's spec.
HUAWEI_CASES = [
    ("AES_256", "RSAES_PKCS1_V1_5", 32, None),
    ("AES_256", "RSAES_OAEP_SHA_1", 32, None),
    ("AES_256", "RSAES_OAEP_SHA_256", 32, None),
    ("AES_256", "SM2_ENCRYPT", 32, "der"),
    ("AES_256", "SM2_ENCRYPT", 32, "raw"),
    ("SM4", "RSAES_OAEP_SHA_256", 16, None),
    ("SM4", "SM2_ENCRYPT", 16, "raw04"),
]


@pytest.mark.parametrize("key_spec,algorithm,n,sm2", HUAWEI_CASES,
                         ids=[f"{c[0]}-{c[1]}" + (f"-{c[3]}" if c[3] else "") for c in HUAWEI_CASES])
def test_huawei_byok_with_kmsgate_wrap(huawei_server, hw_project, tmp_path, key_spec, algorithm, n, sm2):
    i = HUAWEI_CASES.index((key_spec, algorithm, n, sm2))
    d = Huawei(hw.client(huawei_server.endpoint, hw_project), key_spec)
    spec = "SM2" if algorithm == "SM2_ENCRYPT" else "RSA_2048"
    byok_flow(d, Wrapper(tmp_path, rotate(i, sm2)), algorithm, spec, n)


@pytest.mark.parametrize("algorithm", ["RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256", "SM2PKE"])
def test_huawei_refuses_wrapping(hw_kms, algorithm):
    """Huawei's algorithms are RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256 and
    SM2_ENCRYPT (Tencent's and AWS's name SM2PKE is not one)."""
    d = Huawei(hw_kms, "AES_256")
    key_id = d.create()
    with d.raises("KMS.0308"):
        d.params(key_id, algorithm, None)
    assert d.pending(key_id)


def test_huawei_import_refusals_of_kmsgate_wrap_output(hw_kms, tmp_path):
    d = Huawei(hw_kms, "AES_256")
    w = Wrapper(tmp_path, Forms())
    import_refusals(d, w, "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5", "KMS.2604", "KMS.0311")


# ---- AWS's big wrapping keys, last ----------------------------------------------------------

# Once each, at the end of the module: kmsgate-aws's pool makes its RSA_3072/RSA_4096 pairs after
# the small ones, and a request that finds none ready generates one itself, alongside the pool.
# The re-import goes under new RSA_2048 parameters (AWS takes the same material under any spec).
AWS_BIG = [("RSA_3072", "RSA_AES_KEY_WRAP_SHA_256", Forms("der-file", "base64", "raw-file")),
           ("RSA_4096", "RSAES_OAEP_SHA_256", Forms("pem-file", "@file", "base64-file"))]


@pytest.mark.parametrize("spec,algorithm,forms", AWS_BIG, ids=[f"{c[0]}-{c[1]}" for c in AWS_BIG])
def test_aws_big_wrapping_keys_with_kmsgate_wrap(kms, tmp_path, spec, algorithm, forms):
    byok_flow(Aws(kms), Wrapper(tmp_path, forms), algorithm, spec, 32, reimport_spec="RSA_2048")
