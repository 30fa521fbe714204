"""The report a test's own process writes for the grader, and the statuses a test can end with.

    _child.py --TestReport or TryReport, as JSON--> report.json --read_test_report / read_try_report--> runner, trying

The report crosses a process boundary from a process that ran learner code, so every key and type is
checked on the way back in: a malformed report is a clear MalformedReport, which the grader turns
into an "error" for that test, never a KeyError. Standard library only: every test's process imports it.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class Status(str, Enum):
    """How one test ended.

    A str, so that it equals its value (`status == "passed"`), is written to JSON as the value,
    and older code and reports that hold plain strings compare the same.
    """

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"  # decided by the grader, which stopped the test: never in a report

    def __str__(self) -> str:  # "passed", not "Status.PASSED", in messages on every Python version
        return self.value


CHILD_STATUSES = (Status.PASSED, Status.FAILED, Status.ERROR)
TRY_STATUSES = ("returned", "raised", "not_written", "error")  # what `mpbook try`'s process can report


class MalformedReport(ValueError):
    """A report file that is not the JSON object the child writes: a key missing or of the wrong type."""


@dataclass(frozen=True)
class TestReport:
    """What a test's process says about the test it ran, written only once the test function returned or raised."""

    __test__ = False  # not a pytest test class, despite its name

    status: Status
    message: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"status": self.status.value, "message": self.message, "seconds": self.seconds}


@dataclass(frozen=True)
class TryReport:
    """What `mpbook try`'s process says: the repr of what came back, or what was raised."""

    status: str  # one of TRY_STATUSES
    message: str = ""
    value: str = ""  # the repr of what came back, capped
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"status": self.status, "message": self.message, "value": self.value, "seconds": self.seconds}


def _load(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedReport(f"{Path(path).name} is not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise MalformedReport(f"{Path(path).name} holds a {type(data).__name__}, not an object")
    return data


def _field(data: dict, key: str, kind: type | tuple[type, ...], default=None):
    """Return data[key] when it is of the kind; the default when it is absent and there is one."""
    if key not in data and default is not None:
        return default
    if key not in data:
        raise MalformedReport(f"the report has no {key!r}")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MalformedReport(f"the report's {key!r} is {value!r}, not a {getattr(kind, '__name__', kind)}")
    return value


def _status(data: dict, allowed) -> str:
    status = _field(data, "status", str)
    if status not in allowed:
        raise MalformedReport(f"the report's status {status!r} is not one of {', '.join(map(str, allowed))}")
    return status


def read_test_report(path: Path, key: str | None = None) -> TestReport:
    """Return the TestReport in the file at path; raise MalformedReport when it is not one (or not signed with key)."""
    data = _load(path)
    _check_signature(data, key)
    return TestReport(
        Status(_status(data, CHILD_STATUSES)),
        _field(data, "message", str),
        float(_field(data, "seconds", (int, float), default=0.0)),
    )


def read_try_report(path: Path) -> TryReport:
    """Return the TryReport in the file at path; raise MalformedReport when it is not one."""
    data = _load(path)
    return TryReport(
        _status(data, TRY_STATUSES),
        _field(data, "message", str, default=""),
        _field(data, "value", str, default=""),
        float(_field(data, "seconds", (int, float), default=0.0)),
    )


def signature(data: dict, key: str) -> str:
    """Return the HMAC of a report's fields under the key the grader gave the test's process on its spec."""
    fields = {name: value for name, value in data.items() if name != "signature"}
    return hmac.new(key.encode(), json.dumps(fields, sort_keys=True).encode(), "sha256").hexdigest()


def _check_signature(data: dict, key: str | None) -> None:
    """Raise MalformedReport unless the report carries the signature only the grader's test process can make.

    The key reaches that process on its spec, which it deletes before the learner's process starts, so
    a report the learner's code wrote (or rewrote from a process that escaped) does not verify.
    """
    if key is None:
        return
    if not hmac.compare_digest(str(data.get("signature", "")), signature(data, key)):
        raise MalformedReport(
            "the report was not written by the grader's test process (its signature is wrong)"
        )


def write(report: TestReport | TryReport, path: Path, key: str | None = None) -> None:
    """Write the report to path whole or not at all: the grader may look at any moment after the process ends."""
    target = Path(path)
    data = report.to_json()
    if key is not None:
        data["signature"] = signature(data, key)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    temporary.replace(target)
