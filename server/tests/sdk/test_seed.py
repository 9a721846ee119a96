"""Seed files through the real SDKs: boto3 against kmsgate-aws, tencentcloud-sdk-python-kms
against kmsgate-tencent, huaweicloudsdkkms against kmsgate-huawei.

For each dialect one server on a data directory, started with a seed file (`--seed FILE`, or
`KMSGATE_SEED__FILE` for Huawei) that declares four keys:

* A: external, material from `@a.key` (a file beside the seed file), an expiry, aliases;
* B: external, material as `base64:`, declared disabled;
* C: external without material (pending import);
* D: generated, material as `hex:`.

The keys answer from the first request as declared, and the material is the declared one: the
cloud's own import API accepts the same material again and refuses any other with the dialect's
mismatch error. A restart on the same data directory with the same file keeps every key as
the API left it (a key disabled through the API stays disabled, a key the file declares
disabled but the API enabled stays enabled, a pending key imported through the API keeps that
material) and logs `kept=4`; changing A's material file stops the next start with exit code 2
and a message naming `<cloud>.keys[0] (line N)`, and so does other `base64:` material for B
(`<cloud>.keys[1] (line M)`).

A `kmsgate serve --seed` process serves one key per dialect from its file and checks the JSON
form too: `POST /_kmsgate/seed` on each dialect's own listener creates a key that dialect's SDK
then uses (the same document again keeps it; a key declared pending gets the material a later
document gives it; other material for it is a 409).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from huaweicloudsdkkms.v2 import model as m

import kmsgate_huawei as hw
import kmsgate_sdk
import kmsgate_tencent as tc
import kmsgate_wrap
from kmsgate_sdk import ServerProcess

# Only RSA-2048 wrapping keys are used here, three per server (one import token per key serves
# all its imports): the pool makes them in the background from the start on, while the first
# requests run, since each takes seconds in a debug build.
LEAN_POOL = {
    "KMSGATE_POOL__RSA_2048": "3",
    "KMSGATE_POOL__RSA_3072": "0",
    "KMSGATE_POOL__RSA_4096": "0",
    "KMSGATE_POOL__SM2": "0",
}
# A Tencent test imports more often than the default ImportKeyMaterial quota allows.
NO_TENCENT_QUOTAS = {"KMSGATE_TENCENT__QUOTAS__ENABLED": "false"}
EXIT_TIMEOUT = 60


# ---- seed documents ---------------------------------------------------------------------------


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string, for the plain text used here
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def write_seed(path: Path, entries: list[tuple[str, dict]]) -> list[int]:
    """Writes one `[[<section>.keys]]` table per (section, entry); returns the (1-based) line
    of each table header, which is the line a conflict message names."""
    lines = [f"# kmsgate seed file written by {Path(__file__).name}"]
    headers = []
    for section, entry in entries:
        lines.append("")
        lines.append(f"[[{section}.keys]]")
        headers.append(len(lines))
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in entry.items())
    path.write_text("\n".join(lines) + "\n")
    return headers


def run_to_exit(command: list[str], config: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Runs a server that is expected not to start; a server that does start is stopped and
    reported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KMSGATE_")}
    env.update(config)
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=cwd, text=True, errors="replace")
    try:
        out, err = proc.communicate(timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"{command[0]} kept running although its seed file conflicts with the store\n"
                    f"stdout:\n{out}\nstderr:\n{err}")
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def seeded_counts(log: str, naming: str = "") -> str:
    """The (one) `seeded` line in `log` (that contains `naming`): what a start or a request
    did, as `created=N imported=N kept=N`."""
    seeded = [line for line in log.splitlines() if "seeded" in line and naming in line]
    assert len(seeded) == 1, f"expected one `seeded` line:\n{log}"
    return seeded[0]


# ---- one adapter per dialect: the same steps in each cloud's own terms ------------------------


class Aws:
    section = "aws"
    binary = "kmsgate-aws"
    material_len = 32
    config: dict[str, str] = {}
    origins = {"external": "EXTERNAL", "generated": "AWS_KMS"}

    def __init__(self):
        self.account = kmsgate_sdk.random_account()
        self.region = "us-east-1"
        self.kms = None

    def tenant(self) -> dict:
        return {"account": self.account, "region": self.region}

    def names(self, name: str) -> dict:
        return {"aliases": [f"alias/{name}"]}

    def connect(self, endpoint: str) -> None:
        self.kms = kmsgate_sdk.client(endpoint, self.region, self.account)

    def view(self, key_id: str) -> dict:
        meta = kmsgate_sdk.describe(self.kms, key_id)
        assert meta["Enabled"] is (meta["KeyState"] == "Enabled"), meta
        assert meta["KeySpec"] == "SYMMETRIC_DEFAULT", meta
        expiry = None
        if meta["Origin"] == "EXTERNAL" and meta["KeyState"] != "PendingImport":
            if meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES":
                expiry = int(kmsgate_sdk.epoch(meta["ValidTo"]))
            else:
                assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE", meta
                assert "ValidTo" not in meta, meta
        return {"id": meta["KeyId"], "state": meta["KeyState"], "origin": meta["Origin"],
                "description": meta["Description"], "expiry": expiry}

    def check_names(self, key_id: str, name: str, tags: dict | None) -> None:
        alias = f"alias/{name}"
        assert kmsgate_sdk.describe(self.kms, alias)["KeyId"] == key_id
        listed = self.kms.list_aliases(KeyId=key_id)["Aliases"]
        assert [a["AliasName"] for a in listed] == [alias], listed
        assert listed[0]["AliasArn"] == f"arn:aws:kms:{self.region}:{self.account}:{alias}", listed
        if tags is not None:
            got = self.kms.list_resource_tags(KeyId=key_id)["Tags"]
            assert {t["TagKey"]: t["TagValue"] for t in got} == tags, got

    def encrypt(self, key_id: str, text: str):
        return self.kms.encrypt(KeyId=key_id, Plaintext=text.encode())["CiphertextBlob"]

    def decrypt(self, blob) -> str:
        return self.kms.decrypt(CiphertextBlob=blob)["Plaintext"].decode()

    def params(self, key_id: str):
        return kmsgate_sdk.import_params(self.kms, key_id, "RSA_2048", "RSAES_OAEP_SHA_256")

    def import_(self, params, key_id: str, material: bytes, expires: int | None) -> None:
        wrapped = kmsgate_wrap.wrap_material(params["PublicKey"], "RSAES_OAEP_SHA_256", material)
        expiry = ({"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"} if expires is None else
                  {"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": kmsgate_sdk.at(expires)})
        self.kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"],
                                     EncryptedKeyMaterial=wrapped, **expiry)

    def mismatch(self):
        return kmsgate_sdk.raises_code("IncorrectKeyMaterialException")

    def disabled(self):
        return kmsgate_sdk.raises_code("DisabledException")

    def pending(self):
        return kmsgate_sdk.raises_code("KMSInvalidStateException")

    def disable(self, key_id: str) -> None:
        self.kms.disable_key(KeyId=key_id)

    def enable(self, key_id: str) -> None:
        self.kms.enable_key(KeyId=key_id)

    def set_description(self, key_id: str, text: str) -> None:
        self.kms.update_key_description(KeyId=key_id, Description=text)


class Tencent:
    section = "tencent"
    binary = "kmsgate-tencent"
    material_len = 32  # FIPS edition (the default): AES-256
    config = NO_TENCENT_QUOTAS
    origins = {"external": "EXTERNAL", "generated": "TENCENT_KMS"}

    def __init__(self):
        # Without credentials configured every SecretId acts for tencent.default_account.
        self.account = "100000000001"
        self.region = tc.fresh_region()
        self.client = None

    def tenant(self) -> dict:
        return {"account": self.account, "region": self.region}

    def names(self, name: str) -> dict:
        return {"aliases": [name]}

    def connect(self, endpoint: str) -> None:
        self.client = tc.client(endpoint, self.region)

    def view(self, key_id: str) -> dict:
        meta = tc.describe(self.client, key_id)
        assert meta["Type"] == 2, meta  # FIPS (AES-256)
        assert meta["KeyUsage"] == "ENCRYPT_DECRYPT", meta
        return {"id": meta["KeyId"], "state": meta["KeyState"], "origin": meta["Origin"],
                "description": meta["Description"], "expiry": meta["ValidTo"] or None}

    def check_names(self, key_id: str, name: str, tags: dict | None) -> None:
        assert tc.describe(self.client, key_id)["Alias"] == name
        listed = tc.call(self.client, "ListKeyDetail", Limit=100)["KeyMetadatas"]
        assert {k["KeyId"]: k["Alias"] for k in listed}[key_id] == name, listed

    def encrypt(self, key_id: str, text: str):
        return tc.call(self.client, "Encrypt", KeyId=key_id, Plaintext=tc.b64(text.encode()))["CiphertextBlob"]

    def decrypt(self, blob) -> str:
        return tc.unb64(tc.call(self.client, "Decrypt", CiphertextBlob=blob)["Plaintext"]).decode()

    def params(self, key_id: str):
        return tc.params_for(self.client, key_id, "RSAES_OAEP_SHA_256", "RSA_2048")

    def import_(self, params, key_id: str, material: bytes, expires: int | None) -> None:
        valid_to = {} if expires is None else {"ValidTo": expires}
        tc.call(self.client, "ImportKeyMaterial", KeyId=key_id, ImportToken=params["ImportToken"],
                EncryptedKeyMaterial=tc.wrap(params, "RSAES_OAEP_SHA_256", material), **valid_to)

    def mismatch(self):
        return tc.raises_code("InvalidParameterValue.MaterialNotMatch")

    def disabled(self):
        return tc.raises_code("ResourceUnavailable.CmkDisabled")

    def pending(self):
        return tc.raises_code("ResourceUnavailable.CmkStateNotSupport")

    def disable(self, key_id: str) -> None:
        tc.call(self.client, "DisableKey", KeyId=key_id)

    def enable(self, key_id: str) -> None:
        tc.call(self.client, "EnableKey", KeyId=key_id)

    def set_description(self, key_id: str, text: str) -> None:
        tc.call(self.client, "UpdateKeyDescription", KeyId=key_id, Description=text)


class Huawei:
    section = "huawei"
    binary = "kmsgate-huawei"
    material_len = 32  # AES_256, Huawei's default spec
    config: dict[str, str] = {}
    origins = {"external": "external", "generated": "kms"}
    STATES = {"2": "Enabled", "3": "Disabled", "5": "PendingImport"}

    def __init__(self):
        self.project = hw.random_project()
        self.kms = None

    def tenant(self) -> dict:
        return {"project": self.project}

    def names(self, name: str) -> dict:
        return {"key_alias": name, "aliases": [f"alias/{name}"]}

    def connect(self, endpoint: str) -> None:
        self.kms = hw.client(endpoint, self.project)

    def view(self, key_id: str) -> dict:
        info = hw.describe(self.kms, key_id)
        assert info.key_spec == "AES_256", info
        expiry = int(info.expiration_time) // 1000 if info.expiration_time else None
        if expiry is not None:
            assert int(info.expiration_time) == expiry * 1000, info
        return {"id": info.key_id, "state": self.STATES[info.key_state], "origin": info.origin,
                "description": info.key_description, "expiry": expiry}

    def check_names(self, key_id: str, name: str, tags: dict | None) -> None:
        assert hw.describe(self.kms, key_id).key_alias == name
        listed = self.kms.list_aliases(m.ListAliasesRequest(key_id=key_id)).body[0].aliases
        assert [(a.alias, a.key_id) for a in listed] == [(f"alias/{name}", key_id)], listed

    def encrypt(self, key_id: str, text: str):
        return hw.encrypt(self.kms, key_id, text)

    def decrypt(self, blob) -> str:
        return hw.decrypt(self.kms, blob)

    def params(self, key_id: str):
        return hw.params(self.kms, key_id, "RSAES_OAEP_SHA_256")

    def import_(self, params, key_id: str, material: bytes, expires: int | None) -> None:
        wrapped = hw.wrap(params.public_key, "RSAES_OAEP_SHA_256", material)
        hw.import_material(self.kms, key_id, params, wrapped, expiration_time=expires)

    @contextmanager
    def mismatch(self):
        with hw.raises_code("KMS.2606") as info:
            yield info
        assert "differs from the material previously imported" in info.value.error_msg, info.value.error_msg

    def disabled(self):
        return hw.raises_code("KMS.0209")

    def pending(self):
        return hw.raises_code("KMS.0310")

    def _op(self, key_id: str):
        return m.OperateKeyRequestBody(key_id=key_id)

    def disable(self, key_id: str) -> None:
        assert self.kms.disable_key(m.DisableKeyRequest(body=self._op(key_id))).key_info.key_state == "3"

    def enable(self, key_id: str) -> None:
        assert self.kms.enable_key(m.EnableKeyRequest(body=self._op(key_id))).key_info.key_state == "2"

    def set_description(self, key_id: str, text: str) -> None:
        body = m.UpdateKeyDescriptionRequestBody(key_id=key_id, key_description=text)
        self.kms.update_key_description(m.UpdateKeyDescriptionRequest(body=body))


DIALECTS = {"aws": Aws, "tencent": Tencent, "huawei": Huawei}


# ---- a seed file across starts --------------------------------------------------------------


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_seed_file_serves_declared_keys_and_survives_restarts(tmp_path, dialect):
    d = DIALECTS[dialect]()
    suffix = secrets.token_hex(3)
    name = {k: f"seed-{k.lower()}-{suffix}" for k in "ABCD"}
    ids = {k: str(uuid.uuid4()) for k in "ABCD"}
    material = {k: os.urandom(d.material_len) for k in "ABCD"}
    expires = int(time.time()) + 30 * 86400
    tags = {"team": "payments", "env": "test"}
    description = {k: f"seeded {k} ({dialect})" for k in "ABCD"}

    (tmp_path / "a.key").write_bytes(material["A"])
    seed = tmp_path / "seed.toml"
    entries = [
        {**d.tenant(), "id": ids["A"], **d.names(name["A"]), "description": description["A"],
         "tags": tags, "spec": "AES_256", "origin": "external", "material": "@a.key",
         "expires": expires, "state": "enabled"},
        {**d.tenant(), "id": ids["B"], **d.names(name["B"]), "description": description["B"],
         "origin": "external", "material": f"base64:{b64(material['B'])}", "state": "disabled"},
        {**d.tenant(), "id": ids["C"], **d.names(name["C"]), "description": description["C"],
         "origin": "external"},
        {**d.tenant(), "id": ids["D"], **d.names(name["D"]), "description": description["D"],
         "origin": "generated", "material": f"hex:{material['D'].hex()}"},
    ]
    lines = write_seed(seed, [(d.section, e) for e in entries])

    # Huawei takes the file from the seed.file setting, the others from --seed.
    config = {**LEAN_POOL, **d.config}
    args: list[str] = []
    if dialect == "huawei":
        config["KMSGATE_SEED__FILE"] = str(seed)
    else:
        args = ["--seed", str(seed)]
    data = tmp_path / "data"
    srv = ServerProcess(f"seed-{dialect}", tmp_path, config, data_dir=data, binary=d.binary, args=args)

    def started() -> int:
        mark = len(srv.log_text())
        srv.start()
        d.connect(srv.endpoint)
        return mark

    def stopped(mark: int) -> str:
        srv.stop()
        return srv.log_text()[mark:]

    mark = started()
    try:
        # -- the first requests see every key as declared
        view = {k: d.view(ids[k]) for k in "ABCD"}
        for k in "ABCD":
            assert view[k]["id"] == ids[k]
            assert view[k]["description"] == description[k], view[k]
            d.check_names(ids[k], name[k], tags if k == "A" else None)
        assert view["A"] == {"id": ids["A"], "state": "Enabled", "origin": d.origins["external"],
                             "description": description["A"], "expiry": expires}
        assert (view["B"]["state"], view["B"]["origin"], view["B"]["expiry"]) == (
            "Disabled", d.origins["external"], None)
        assert (view["C"]["state"], view["C"]["origin"], view["C"]["expiry"]) == (
            "PendingImport", d.origins["external"], None)
        assert (view["D"]["state"], view["D"]["origin"], view["D"]["expiry"]) == (
            "Enabled", d.origins["generated"], None)

        sealed_a = d.encrypt(ids["A"], "sealed by A")
        assert d.decrypt(sealed_a) == "sealed by A"
        assert d.decrypt(d.encrypt(ids["D"], "sealed by D")) == "sealed by D"
        with d.disabled():
            d.encrypt(ids["B"], "B is disabled")

        # -- A's material is the file's: the import API takes it again and nothing else
        params = d.params(ids["A"])  # an import token serves any number of imports
        with d.mismatch():
            d.import_(params, ids["A"], os.urandom(d.material_len), expires)
        d.import_(params, ids["A"], material["A"], expires)
        assert d.view(ids["A"]) == view["A"]
        assert d.decrypt(sealed_a) == "sealed by A"

        # -- B's is the base64 one (checked once enabled: Tencent imports into no disabled key)
        d.enable(ids["B"])
        params = d.params(ids["B"])
        with d.mismatch():
            d.import_(params, ids["B"], os.urandom(d.material_len), None)
        d.import_(params, ids["B"], material["B"], None)
        assert d.decrypt(d.encrypt(ids["B"], "sealed by B")) == "sealed by B"

        # -- C waits for an import through the API
        with d.pending():
            d.encrypt(ids["C"], "C has no material")
        d.import_(d.params(ids["C"]), ids["C"], material["C"], None)
        assert d.view(ids["C"])["state"] == "Enabled"
        sealed_c = d.encrypt(ids["C"], "sealed by C")

        # -- changes through the API that the next start must not undo
        d.disable(ids["A"])
        d.set_description(ids["C"], "changed through the API")
        assert d.view(ids["A"])["state"] == "Disabled"
    finally:
        log = stopped(mark)
    assert "created=4 imported=0 kept=0" in seeded_counts(log), log

    # -- a restart on the same data directory with the same seed file (which imports nothing)
    srv.config["KMSGATE_POOL__RSA_2048"] = "0"
    mark = started()
    try:
        after = {k: d.view(ids[k]) for k in "ABCD"}
        assert after["A"]["state"] == "Disabled", after["A"]
        assert after["A"]["expiry"] == expires, after["A"]
        assert after["B"]["state"] == "Enabled", after["B"]
        assert (after["C"]["state"], after["C"]["description"]) == ("Enabled", "changed through the API")
        assert after["D"]["state"] == "Enabled", after["D"]
        for k in "ABCD":
            d.check_names(ids[k], name[k], tags if k == "A" else None)
        with d.disabled():
            d.decrypt(sealed_a)
        d.enable(ids["A"])
        assert d.decrypt(sealed_a) == "sealed by A"
        # C keeps the material the API gave it (the file declares none to compare with).
        assert d.decrypt(sealed_c) == "sealed by C"
    finally:
        log = stopped(mark)
    assert "created=0 imported=0 kept=4" in seeded_counts(log), log

    # -- other material for A in the file: the next start stops, naming the entry and its line
    (tmp_path / "a.key").write_bytes(os.urandom(d.material_len))
    command = [str(kmsgate_sdk.bin_dir() / d.binary), "--data-dir", str(data),
               "--listen", "127.0.0.1:0", *args]
    finished = run_to_exit(command, config, tmp_path)
    assert finished.returncode == 2, finished
    entry = f"{d.section}.keys[0] (line {lines[0]})"
    assert entry in finished.stderr, finished.stderr
    assert ids["A"] in finished.stderr and "material" in finished.stderr, finished.stderr
    assert str(seed) in finished.stderr, finished.stderr
    assert "listening on" not in finished.stdout, finished.stdout

    # -- and so does other base64 material for B, the second entry, with A's file as it was
    (tmp_path / "a.key").write_bytes(material["A"])
    entries[1]["material"] = f"base64:{b64(os.urandom(d.material_len))}"
    assert write_seed(seed, [(d.section, e) for e in entries]) == lines
    finished = run_to_exit(command, config, tmp_path)
    assert finished.returncode == 2, finished
    assert f"{d.section}.keys[1] (line {lines[1]})" in finished.stderr, finished.stderr
    assert ids["B"] in finished.stderr and "material" in finished.stderr, finished.stderr


# ---- the seed endpoint on each listener ------------------------------------------------------


def test_serve_seed_file_and_seed_endpoint_on_each_listener(tmp_path):
    """`kmsgate serve --seed`: one key per dialect from the file; then `POST /_kmsgate/seed`
    on each dialect's own listener (JSON, material as hex:/base64:) creates a key its SDK uses
    at once, and the same document again keeps it."""
    dialects = {name: cls() for name, cls in DIALECTS.items()}
    suffix = secrets.token_hex(3)
    seed = tmp_path / "seed.toml"
    from_file = {name: str(uuid.uuid4()) for name in dialects}
    write_seed(seed, [
        (d.section, {**d.tenant(), "id": from_file[name], **d.names(f"file-{suffix}"),
                     "description": "from the file"})
        for name, d in dialects.items()
    ])

    srv = ServerProcess.serve("seed-serve", tmp_path, {**LEAN_POOL, **NO_TENCENT_QUOTAS},
                              args=["--seed", str(seed)])
    srv.start()
    try:
        assert set(srv.endpoints) == set(dialects), srv.endpoints
        for name, d in dialects.items():
            d.connect(srv.endpoints[name])
            v = d.view(from_file[name])
            assert (v["state"], v["origin"], v["description"]) == ("Enabled", d.origins["generated"], "from the file")
            d.check_names(from_file[name], f"file-{suffix}", None)
            assert d.decrypt(d.encrypt(from_file[name], f"{name} from the file")) == f"{name} from the file"

        for name, d in dialects.items():
            key_id = str(uuid.uuid4())
            material = os.urandom(d.material_len)
            encoded = f"hex:{material.hex()}" if name != "tencent" else f"base64:{b64(material)}"
            expires = int(srv.now()) + 86400
            document = {d.section: {"keys": [{
                **d.tenant(), "id": key_id, **d.names(f"http-{suffix}"),
                "description": f"seeded over HTTP on the {name} listener",
                "origin": "external", "material": encoded, "expires": expires,
            }]}}
            endpoint = srv.endpoints[name]
            status, _, body = srv.admin_request("POST", "/_kmsgate/seed", document, endpoint=endpoint)
            assert status == 200, body
            assert body == {"keys": [{"entry": f"{d.section}.keys[0]", "key_id": key_id,
                                      "outcome": "created"}]}, body

            v = d.view(key_id)
            assert v == {"id": key_id, "state": "Enabled", "origin": d.origins["external"],
                         "description": f"seeded over HTTP on the {name} listener", "expiry": expires}
            d.check_names(key_id, f"http-{suffix}", None)
            assert d.decrypt(d.encrypt(key_id, f"{name} over HTTP")) == f"{name} over HTTP"
            params = d.params(key_id)
            with d.mismatch():
                d.import_(params, key_id, os.urandom(d.material_len), expires)
            d.import_(params, key_id, material, expires)

            status, _, body = srv.admin_request("POST", "/_kmsgate/seed", document, endpoint=endpoint)
            assert (status, body["keys"][0]["outcome"]) == (200, "kept"), body

            # A key declared pending gets its material when a later document gives it.
            later_id = str(uuid.uuid4())
            later = {**d.tenant(), "id": later_id, **d.names(f"later-{suffix}"), "origin": "external"}

            def seed_later(**fields):
                document = {d.section: {"keys": [{**later, **fields}]}}
                return srv.admin_request("POST", "/_kmsgate/seed", document, endpoint=endpoint)

            status, _, body = seed_later()
            assert (status, body["keys"][0]["outcome"]) == (200, "created"), body
            assert d.view(later_id)["state"] == "PendingImport"
            status, _, body = seed_later(material=encoded)
            assert (status, body["keys"][0]["outcome"]) == (200, "imported"), body
            assert d.view(later_id)["state"] == "Enabled"
            assert d.decrypt(d.encrypt(later_id, "material came later")) == "material came later"
            status, _, body = seed_later(material=f"hex:{os.urandom(d.material_len).hex()}")
            assert status == 409, body
            assert f"{d.section}.keys[0]" in body_text(body) and "material" in body_text(body), body
    finally:
        srv.stop()
    # The start's `seeded` line names the file; the endpoint's (one per request) do not.
    log = srv.log_text()
    assert "created=3 imported=0 kept=0" in seeded_counts(log, str(seed)), log


def body_text(body) -> str:
    return body if isinstance(body, str) else json.dumps(body)


# ---- asymmetric and HMAC keys -----------------------------------------------------------------


def test_aws_seed_file_declares_signing_and_hmac_keys(tmp_path):
    """Keys of every kind are declared with a spec and usage in AWS's names: an RSA signing key
    from a PEM file (`openssl genpkey` form, PKCS#8), an ECC key generated with given DER
    material, an HMAC key from hex. boto3 signs and MACs with them; the signatures verify and
    the MACs match locally under the declared keys, and GetPublicKey gives their public
    keys. A spec's foreign usage stops the start."""
    from cryptography.hazmat.primitives import hashes, hmac, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    mac_key = os.urandom(32)
    (tmp_path / "rsa.pem").write_bytes(rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    ec_der = ec_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    account = kmsgate_sdk.random_account()
    tenant = {"account": account, "region": "us-east-1"}
    ids = {k: str(uuid.uuid4()) for k in ("rsa", "ec", "mac")}
    seed = tmp_path / "seed.toml"
    entries = [
        {**tenant, "id": ids["rsa"], "spec": "RSA_2048", "usage": "SIGN_VERIFY",
         "origin": "external", "material": "@rsa.pem", "aliases": ["alias/seeded-rsa"]},
        {**tenant, "id": ids["ec"], "spec": "ECC_NIST_P256", "usage": "SIGN_VERIFY",
         "material": f"base64:{b64(ec_der)}"},
        {**tenant, "id": ids["mac"], "spec": "HMAC_256", "usage": "GENERATE_VERIFY_MAC",
         "origin": "external", "material": f"hex:{mac_key.hex()}"},
    ]
    write_seed(seed, [("aws", e) for e in entries])
    srv = ServerProcess("seed-asym", tmp_path, dict(LEAN_POOL), binary="kmsgate-aws",
                        args=["--seed", str(seed)])
    srv.start()
    try:
        kms = kmsgate_sdk.client(srv.endpoint, "us-east-1", account)
        meta = kms.describe_key(KeyId="alias/seeded-rsa")["KeyMetadata"]
        assert (meta["KeyId"], meta["KeySpec"], meta["KeyUsage"], meta["Origin"], meta["KeyState"]) == (
            ids["rsa"], "RSA_2048", "SIGN_VERIFY", "EXTERNAL", "Enabled"), meta

        message = b"seeded signing key"
        sig = kms.sign(KeyId=ids["rsa"], Message=message, SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
        rsa_key.public_key().verify(sig, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                               salt_length=32), hashes.SHA256())
        public = kms.get_public_key(KeyId=ids["rsa"])["PublicKey"]
        assert public == rsa_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

        meta = kms.describe_key(KeyId=ids["ec"])["KeyMetadata"]
        assert (meta["KeySpec"], meta["Origin"]) == ("ECC_NIST_P256", "AWS_KMS"), meta
        sig = kms.sign(KeyId=ids["ec"], Message=message, SigningAlgorithm="ECDSA_SHA_256")["Signature"]
        ec_key.public_key().verify(sig, message, ec.ECDSA(hashes.SHA256()))

        mac = kms.generate_mac(KeyId=ids["mac"], Message=message, MacAlgorithm="HMAC_SHA_256")["Mac"]
        local = hmac.HMAC(mac_key, hashes.SHA256())
        local.update(message)
        assert mac == local.finalize()
    finally:
        srv.stop()

    # An ECC key cannot encrypt: the entry is refused, naming it, and nothing starts.
    bad = tmp_path / "bad.toml"
    write_seed(bad, [("aws", {**tenant, "id": str(uuid.uuid4()), "spec": "ECC_NIST_P256",
                              "usage": "ENCRYPT_DECRYPT"})])
    out = run_to_exit([str(srv.binary), "--in-memory", "--listen", "127.0.0.1:0", "--seed", str(bad)],
                      {}, tmp_path)
    assert out.returncode == 2, out
    assert "aws.keys[0]" in out.stderr and "SIGN_VERIFY" in out.stderr, out.stderr


def test_the_seeding_guide_example_of_signing_and_mac_keys_runs(tmp_path):
    """docs/seeding.md's TOML example of signing and MAC keys, as printed, with its PEM file
    made as its comment says: `kmsgate serve` seeds both keys; boto3 signs with the RSA key
    and huaweicloudsdkkms MACs with the HMAC key, both checked against the declared material."""
    import hashlib
    import hmac as std_hmac
    import re

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    guide = (Path(__file__).resolve().parents[3] / "docs" / "seeding.md").read_text()
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", guide, re.S) if "release-signing" in b]
    assert len(blocks) == 1, "the guide's signing and MAC key example"
    (tmp_path / "seed.toml").write_text(blocks[0])
    signing = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "signing.pem").write_bytes(signing.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    aws_key = re.search(r'id = "([0-9a-f-]+)"\naliases = \["alias/release-signing"\]', blocks[0]).group(1)
    project, mac_key, mac_material = re.search(
        r'project = "(\w+)"\nkey_alias = "webhook-mac"\nid = "([0-9a-f-]+)"\nspec = "HMAC_256"\nmaterial = "hex:(\w+)"',
        blocks[0]).groups()

    srv = ServerProcess.serve("seed-guide", tmp_path, dict(LEAN_POOL),
                              args=["--seed", str(tmp_path / "seed.toml")])
    srv.start()
    try:
        kms = kmsgate_sdk.client(srv.endpoints["aws"], "us-east-1", "111122223333")
        assert kms.describe_key(KeyId="alias/release-signing")["KeyMetadata"]["KeyId"] == aws_key
        message = b"release 1.0"
        sig = kms.sign(KeyId="alias/release-signing", Message=message,
                       SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")["Signature"]
        signing.public_key().verify(sig, message, padding.PKCS1v15(), hashes.SHA256())

        hkms = hw.client(srv.endpoints["huawei"], project)
        body = m.GenerateMacRequestBody(key_id=mac_key, mac_algorithm="HMAC_SHA_256", message=b64(message))
        mac = hkms.generate_mac(m.GenerateMacRequest(body=body)).mac
        expected = std_hmac.new(bytes.fromhex(mac_material), message, hashlib.sha256).digest()
        assert bytes.fromhex(mac) == expected  # hex, as Huawei's examples show it
    finally:
        srv.stop()
