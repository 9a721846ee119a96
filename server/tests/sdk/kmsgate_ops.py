"""Operating a kmsgate server from the tests (issue #12): lean process configurations, the
Prometheus exposition read with the official parser, the request log lines on stderr, and the
search of a log for secrets."""

from __future__ import annotations

import base64
import json
import re
import time

from prometheus_client.parser import text_string_to_metric_families

from kmsgate_sdk import ServerProcess

# Few wrapping key pairs made ahead: a process started for one test should not keep both cores
# busy generating RSA-4096 and SM2 pairs nobody asks for (on-demand generation still works).
LEAN_POOL = {
    "KMSGATE_POOL__RSA_2048": "1",
    "KMSGATE_POOL__RSA_3072": "0",
    "KMSGATE_POOL__RSA_4096": "0",
    "KMSGATE_POOL__SM2": "0",
}

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4"


def lean(config: dict[str, str] | None = None) -> dict[str, str]:
    return {**LEAN_POOL, **(config or {})}


def started(srv: ServerProcess):
    """Fixture body: start `srv`, yield it, always stop it."""
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


# ---- metrics ----------------------------------------------------------------------------------


class Metrics:
    """One scrape, parsed by prometheus_client's own text parser."""

    def __init__(self, text: str):
        self.text = text
        self.families = {f.name: f for f in text_string_to_metric_families(text)}
        self.samples = [s for f in self.families.values() for s in f.samples]

    def type_of(self, family: str) -> str:
        return self.families[family].type

    def value(self, sample: str, **labels: str) -> float:
        """The sum of the samples called `sample` whose labels include `labels` (0 if none)."""
        return sum(
            s.value
            for s in self.samples
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
        )

    def has(self, sample: str, **labels: str) -> bool:
        return any(
            s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
            for s in self.samples
        )

    def labels(self, sample: str, label: str) -> set[str]:
        return {s.labels[label] for s in self.samples if s.name == sample and label in s.labels}


def scrape(srv: ServerProcess, endpoint: str | None = None) -> Metrics:
    return Metrics(srv.metrics_text(endpoint))


# ---- request log lines ------------------------------------------------------------------------

_FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def parse_log_line(line: str) -> tuple[str, dict[str, str]] | None:
    """(message, fields) of one log line, text (`... INFO request a="b" c=1`) or JSON."""
    line = line.strip()
    if not line:
        return None
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        fields = {k: str(v) for k, v in obj.items() if k not in ("timestamp", "level", "message")}
        return str(obj.get("message", "")), fields
    m = re.match(r"^\S+\s+(TRACE|DEBUG|INFO|WARN|ERROR)\s+(.*)$", line)
    if not m:
        return None
    rest = m.group(2)
    first = _FIELD.search(rest)
    message = (rest[: first.start()] if first else rest).strip()
    fields = {}
    for k, v in _FIELD.findall(rest[first.start():] if first else ""):
        fields[k] = json.loads(v) if v.startswith('"') else v
    return message, fields


def request_lines(log: str, dialect: str | None = None) -> list[dict[str, str]]:
    """The fields of every `request` line (one per dialect request), in order."""
    out = []
    for line in log.splitlines():
        parsed = parse_log_line(line)
        if parsed and parsed[0] == "request" and (dialect is None or parsed[1].get("dialect") == dialect):
            out.append(parsed[1])
    return out


def wait_for_request_lines(srv: ServerProcess, count: int, dialect: str | None = None,
                           timeout: float = 20.0) -> list[dict[str, str]]:
    """Log lines are written as requests finish, by another thread: poll (bounded) until
    `count` request lines are there."""
    deadline = time.monotonic() + timeout
    while True:
        lines = request_lines(srv.log_text(), dialect)
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def wait_for_line(srv: ServerProcess, wanted, timeout: float = 20.0) -> dict[str, str] | None:
    """The first request line whose fields satisfy `wanted`, polling (bounded) for it."""
    deadline = time.monotonic() + timeout
    while True:
        for fields in request_lines(srv.log_text()):
            if wanted(fields):
                return fields
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)


# ---- secrets ----------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def forms(data: bytes | str) -> list[str]:
    """The ways a value may end up in a log: as sent (text), base64 (standard and URL-safe, with
    and without padding), hex (both cases)."""
    raw = data.encode() if isinstance(data, str) else data
    out = []
    try:
        text = raw.decode("ascii")
        if text.isprintable() and len(text) >= 8:
            out.append(text)
    except UnicodeDecodeError:
        pass
    std = base64.b64encode(raw).decode()
    url = base64.urlsafe_b64encode(raw).decode()
    out += [std, std.rstrip("="), url.rstrip("="), raw.hex(), raw.hex().upper()]
    return [f for f in dict.fromkeys(out) if len(f) >= 8]


def leaks(log: str, secrets: dict[str, bytes | str], encode: bool = True) -> list[str]:
    """Which named secrets (in any of their `forms`, or verbatim if not `encode`) appear."""
    found = []
    for name, value in secrets.items():
        candidates = forms(value) if encode else [value if isinstance(value, str) else value.decode()]
        for c in candidates:
            if c and c in log:
                found.append(f"{name} ({c[:24]}...)")
                break
    return found


def signature_of(authorization: str) -> str | None:
    """The `Signature=...` part of an AWS, TC3 or SDK-HMAC-SHA256 Authorization header."""
    m = re.search(r"Signature=([0-9A-Za-z+/=_-]+)", authorization or "")
    return m.group(1) if m else None

