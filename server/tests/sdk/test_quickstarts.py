"""The quick starts of README.md and docs/*.md, run exactly as printed (issue #13).

Convention (Markdown source; GitHub shows only the first word of an info string, the language,
so the markers are invisible on the rendered page):

- A fenced code block whose info string is ``sh quickstart=NAME`` or ``python quickstart=NAME``
  is a step of quick start NAME; ``quickstart=A,B`` makes it a step of both (shared steps of
  two variants). Blocks without such a marker are never run.
- A quick start's blocks are joined in document order (README.md first, then docs/*.md by
  file name) into one script, run as a user would run it: sh with ``bash -euo pipefail``,
  python with the venv's python. All blocks of one quick start have one language. Each quick
  start runs in a fresh empty directory, with the kmsgate binaries (KMSGATE_BIN_DIR) and the
  venv's bin directory (python, aws) first on PATH, HOME set to that directory (no ~/.aws of
  the machine) and no AWS_* or KMSGATE_* variable inherited: only what the page exports counts.
  It must exit 0 and print the lines EXPECTED_OUTPUT gives for it, in that order, the last of
  them (the decrypted plaintext) as its last line.
- A fenced block whose info string is ``sh quickstart-server`` is a command that starts
  servers and keeps running (the README's `cargo run ... -- serve`, the Tencent SM-edition
  listener). Before any quick start, each is run with ``bash -c BLOCK`` from the repository
  root (cargo needs it) and must announce exactly the listeners SERVER_BLOCKS gives for its
  page; all are stopped (SIGTERM) when the module's tests are done. They listen on the
  printed ports, so those ports (PORTS) must be free: the test checks first and fails,
  naming the port, if one is taken. What the test adds to the printed command, through the
  environment only: KMSGATE_DATA_DIR, a fresh temporary directory (so nothing is written into
  the checkout), PATH as for the quick starts (so `kmsgate-tencent` is the binary under test),
  no inherited KMSGATE_* variable, and ServerProcess's usual
  KMSGATE_LIMITS__REQUEST_TIMEOUT_SECS=600. `cargo run` builds with the caller's
  CARGO_TARGET_DIR, the one .ci/sdk-tests has just built into.
- Only top-level fences (``` or ~~~ at the start of a line) are read.

The expected sets are fixed here (QUICKSTARTS, SERVER_BLOCKS): renaming or deleting a marked
block fails test_every_quickstart_is_marked, and the parametrized test of a missing quick
start fails too.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import kmsgate_sdk
from kmsgate_sdk import REPO, ServerProcess

# What each quick start must print, in order; the last entry is its last line (the decrypted
# plaintext). The README's comments show the same values to the reader.
EXPECTED_OUTPUT = {
    "aws": ["Enabled", "hello, BYOK"],
    "aws-kmsgate-wrap": ["Enabled", "hello, BYOK"],
    "aws-sm": ["Enabled", "hello, SM4"],
    "aws-asym": ["Enabled", "Verified OK"],
    "tencent": ["Enabled", "hello, BYOK"],
    "tencent-sm": ["Enabled 4", "hello, SM4"],
    "huawei": ["2", "hello, BYOK"],
    "huawei-sm": ["2 SM4", "hello, SM4"],
    "huawei-asym": ["2 EC_P256 SIGN_VERIFY", "signature verified"],
    "seed": ["Enabled", "hello, seed"],
}
QUICKSTARTS = tuple(EXPECTED_OUTPUT)

# Server blocks per page, and the listeners each must announce (the documented ports).
SERVER_BLOCKS = {
    "README.md": [
        "aws listening on http://127.0.0.1:8411",
        "tencent listening on http://127.0.0.1:8412",
        "huawei listening on http://127.0.0.1:8413",
    ],
    "docs/tencent.md": ["tencent listening on http://127.0.0.1:8414"],
}
PORTS = (8411, 8412, 8413, 8414)
LANGUAGES = ("sh", "python")
SCRIPT_TIMEOUT = 600  # seconds; an RSA wrapping key pair may be generated on demand
SERVER_START_TIMEOUT = 900  # `cargo run` may have to build first


@dataclass
class Block:
    page: str  # path relative to the repository root
    line: int  # 1-based line of the opening fence
    language: str
    text: str


@dataclass
class Pages:
    quickstarts: dict[str, list[Block]] = field(default_factory=dict)
    servers: list[Block] = field(default_factory=list)


def pages() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def fenced_blocks(path: Path):
    """(line, info string, text) of every top-level fenced block (``` or ~~~) of a page."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = line[:3]
        if fence in ("```", "~~~"):
            width = len(line) - len(line.lstrip(fence[0]))
            info = line[width:].strip()
            body = []
            j = i + 1
            while j < len(lines):
                closing = lines[j].strip()
                if closing.startswith(fence[0] * width) and not closing.strip(fence[0]):
                    break
                body.append(lines[j])
                j += 1
            else:
                raise AssertionError(f"{path}:{i + 1}: code block never closed")
            yield i + 1, info, "\n".join(body) + "\n"
            i = j + 1
        else:
            i += 1


def collect() -> Pages:
    found = Pages()
    for path in pages():
        page = path.relative_to(REPO).as_posix()
        for line, info, text in fenced_blocks(path):
            words = info.split()
            if not words:
                continue
            language, marks = words[0], words[1:]
            for mark in marks:
                if mark == "quickstart-server":
                    assert language == "sh", f"{page}:{line}: a server block must be `sh`"
                    found.servers.append(Block(page, line, language, text))
                elif mark.startswith("quickstart="):
                    assert language in LANGUAGES, f"{page}:{line}: quick starts are sh or python, not {language!r}"
                    for name in mark.split("=", 1)[1].split(","):
                        assert name, f"{page}:{line}: empty quick start name in {info!r}"
                        found.quickstarts.setdefault(name, []).append(Block(page, line, language, text))
                elif mark.startswith("quickstart"):
                    raise AssertionError(f"{page}:{line}: unknown marker {mark!r} (see {__name__}'s docstring)")
    return found


def test_every_quickstart_is_marked():
    found = collect()
    assert sorted(found.quickstarts) == sorted(QUICKSTARTS), (
        "the marked quick starts differ from the expected ones (a block renamed, deleted or added? "
        "update EXPECTED_OUTPUT with the pages)"
    )
    for name, blocks in found.quickstarts.items():
        languages = {b.language for b in blocks}
        assert len(languages) == 1, f"quick start {name} mixes languages: {sorted(languages)}"
    assert [b.page for b in found.servers] == list(SERVER_BLOCKS), (
        f"server blocks found on {[f'{b.page}:{b.line}' for b in found.servers]}, expected one on each of "
        f"{list(SERVER_BLOCKS)}"
    )


# ---- servers ------------------------------------------------------------------------------


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def search_path() -> str:
    """kmsgate binaries, then the venv's (python, aws, pip-installed tools), then the rest."""
    venv_bin = Path(sys.executable).parent
    return os.pathsep.join([str(kmsgate_sdk.bin_dir()), str(venv_bin), os.environ.get("PATH", "")])


class PrintedServer(ServerProcess):
    """A server block run as printed: `bash -c BLOCK` from the repository root."""

    def __init__(self, block: Block, log_dir: Path, data_dir: Path, listeners: list[str]):
        self.block = block
        self.listeners = listeners
        path = search_path()
        program = next((w for w in shlex.split(block.text, comments=True) if "=" not in w), None)
        where = shutil.which(program, path=path) if program else None
        if where is None:
            pytest.fail(f"{block.page}:{block.line}: cannot find {program!r} to run `{block.text.strip()}`",
                        pytrace=False)
        name = "server-" + block.page.replace("/", "-").removesuffix(".md")
        super().__init__(
            name,
            log_dir,
            config={"PATH": path, "KMSGATE_DATA_DIR": str(data_dir)},
            binary=where,  # absolute: only checked to exist, and named in messages
            cwd=REPO,
            start_timeout=SERVER_START_TIMEOUT,
        )

    def _command(self) -> list[str]:
        return ["bash", "-c", self.block.text]

    def _expected_listeners(self) -> int:
        return len(self.listeners)

    def start(self) -> "PrintedServer":
        super().start()
        announced = [line.strip() for line in self._lines if kmsgate_sdk.LISTENING.search(line)]
        assert announced == self.listeners, (
            f"`{self.block.text.strip()}` ({self.block.page}:{self.block.line}) announced {announced}, "
            f"the pages document {self.listeners}"
        )
        # bash and `cargo run` exec the server in place, so stop() (SIGTERM to this pid) reaches it.
        comm = Path(f"/proc/{self.proc.pid}/comm")
        if comm.exists():
            running = comm.read_text().strip()
            assert running.startswith("kmsgate"), f"pid {self.proc.pid} is {running!r}, not the server itself"
        return self


@pytest.fixture(scope="module")
def printed_servers(tmp_path_factory):
    found = collect()
    taken = [p for p in PORTS if not port_is_free(p)]
    if taken:
        pytest.fail(
            f"port(s) {', '.join(map(str, taken))} on 127.0.0.1 are in use; the quick starts run "
            "servers on the ports the pages print, so stop whatever listens there",
            pytrace=False,
        )
    logs = tmp_path_factory.mktemp("quickstart-servers")
    started = []
    try:
        for n, block in enumerate(found.servers):
            listeners = SERVER_BLOCKS.get(block.page)
            if listeners is None:
                pytest.fail(f"{block.page}:{block.line}: unexpected server block", pytrace=False)
            srv = PrintedServer(block, logs, logs / f"data-{n}", listeners)
            started.append(srv)
            srv.start()
        yield started
    finally:
        for srv in reversed(started):
            srv.stop()


# ---- the quick starts ---------------------------------------------------------------------


def script_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KMSGATE_"))}
    env["PATH"] = search_path()
    env["HOME"] = str(home)
    return env


def subsequence(expected: list[str], lines: list[str]) -> bool:
    it = iter(lines)
    return all(any(line == want for line in it) for want in expected)


@pytest.mark.parametrize("name", QUICKSTARTS)
def test_quickstart(name, printed_servers, tmp_path):
    blocks = collect().quickstarts.get(name)
    assert blocks, f"quick start {name!r} is not on any page (see test_every_quickstart_is_marked)"
    language = blocks[0].language
    where = ", ".join(f"{b.page}:{b.line}" for b in blocks)
    script = "".join(b.text for b in blocks)
    if language == "sh":
        (tmp_path / "quickstart.sh").write_text(script)
        command = ["bash", "-euo", "pipefail", "quickstart.sh"]
    else:
        (tmp_path / "quickstart.py").write_text(script)
        command = [sys.executable, "quickstart.py"]
    proc = subprocess.run(command, cwd=tmp_path, env=script_env(tmp_path), capture_output=True,
                          text=True, timeout=SCRIPT_TIMEOUT)
    report = f"quick start {name} ({where}) exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    if proc.returncode != 0:
        tails = "\n".join(f"--- {s.name} stderr ---\n{s.log_tail(2000)}" for s in printed_servers)
        pytest.fail(f"{report}\n{tails}", pytrace=False)
    lines = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
    expected = EXPECTED_OUTPUT[name]
    assert subsequence(expected, lines), f"expected the lines {expected} in order\n{report}"
    assert lines[-1] == expected[-1], f"the decrypted plaintext {expected[-1]!r} must come last\n{report}"
