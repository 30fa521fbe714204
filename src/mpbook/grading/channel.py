"""The narrow channel between the trusted checks and the learner's process: framed, bounded, plain data back.

    trusted process (the checks and their assertions)        learner's process (its own session)
      request: pickle of the checks' own data  ---pipe--->     imports the learner's module, calls it
      decode_answer(): plain data only, <= MAX_ANSWER_BYTES <---pipe---  answer: pickle of plain data

Why this shape: a check that imports the learner's module shares a process with it, and the
learner's code can then rewrite the check, its counters or its report. Across a process boundary
the learner's code can only send bytes, so the trusted side never runs `pickle.loads` on them with
the full set of classes: `PlainUnpickler` builds only plain data (numbers, strings, bytes,
containers, None) and the few record types listed in `PLAIN_CLASSES`, and refuses any other class
by name, so no code of the learner's runs while an answer is decoded. Answers are bounded in size,
so a flood cannot fill the trusted process's memory.

Requests go the other way, from trusted to learner, as ordinary pickles: the learner's process
trusts the checks, not the reverse.

Standard library only: the learner's process imports this module before the learner's.
"""

from __future__ import annotations

import io
import os
import pickle
import select
import struct
import time

MAX_ANSWER_BYTES = 8_000_000  # a check's biggest answer is a few hundred kB (ex24's hashes of 200 files)
_LENGTH = struct.Struct(">Q")

# (module, name) of the only classes an answer may contain besides the builtin plain types.
PLAIN_CLASSES = {
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "complex"),
    ("builtins", "bytearray"),
    ("builtins", "range"),
    ("builtins", "slice"),
    ("collections", "OrderedDict"),
    ("mpbook.practice", "Record"),
    ("mpbook.grading.channel", "Raised"),
    ("mpbook.grading.channel", "Opaque"),
}


class ChannelError(Exception):
    """The other side sent no answer, too big an answer, or one that is not plain data."""


class Raised(tuple):
    """An exception the learner's code raised, as plain data: its type's name, message and the learner's frames.

    The trusted side never receives the exception object itself (its class is the learner's to define).
    """

    __slots__ = ()

    def __new__(cls, type_name: str, message: str, frames: str = "", from_learner: bool = False):
        return super().__new__(cls, (type_name, message, frames, from_learner))

    def __getnewargs__(self):
        return tuple(self)

    @property
    def type_name(self) -> str:
        return self[0]

    @property
    def message(self) -> str:
        return self[1]

    @property
    def frames(self) -> str:
        return self[2]

    @property
    def from_learner(self) -> bool:
        """True when the learner's own file is in the traceback (not only the book's code)."""
        return self[3]

    def __repr__(self) -> str:
        return f"{self.type_name}({self.message!r})"


class Opaque(tuple):
    """Stands for an object that is not plain data (a learner's class, a Process...): its type's name and repr."""

    __slots__ = ()

    def __new__(cls, type_name: str, shown: str):
        return super().__new__(cls, (type_name, shown))

    def __getnewargs__(self):
        return tuple(self)

    @property
    def type_name(self) -> str:
        return self[0]

    def __repr__(self) -> str:
        return self[1]


class PlainUnpickler(pickle.Unpickler):
    """An unpickler that builds plain data only: any class not in PLAIN_CLASSES is refused by name."""

    def find_class(self, module: str, name: str):
        if (module, name) in PLAIN_CLASSES:
            return super().find_class(module, name)
        raise ChannelError(f"the answer holds a {module}.{name}, which is not plain data")


def encode(value: object) -> bytes:
    """Return the bytes of a value for the channel (the learner's side sends answers with it)."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def decode_answer(data: bytes) -> object:
    """Return the plain data in an answer from the learner's process; raise ChannelError for anything else."""
    try:
        return PlainUnpickler(io.BytesIO(data)).load()
    except ChannelError:
        raise
    except Exception as exc:  # noqa: BLE001 - any malformed answer is the same problem to the checks
        raise ChannelError(f"the answer could not be read: {type(exc).__name__}: {exc}") from None


def write_frame(fd: int, payload: bytes) -> None:
    """Write one frame: its length, then its bytes."""
    view = memoryview(_LENGTH.pack(len(payload)) + payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_frame(fd: int, timeout_s: float | None = None, limit: int = MAX_ANSWER_BYTES) -> bytes:
    """Read one frame within timeout_s (None: no limit); raise ChannelError if it is too big or never comes."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    header = _read_exactly(fd, _LENGTH.size, deadline)
    (length,) = _LENGTH.unpack(header)
    if length > limit:
        raise ChannelError(f"the answer is {length:,} bytes, more than the {limit:,} a check accepts")
    return _read_exactly(fd, length, deadline)


def _read_exactly(fd: int, count: int, deadline: float | None) -> bytes:
    chunks = []
    while count:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise ChannelError("no answer in time")
        chunk = os.read(fd, min(count, 1 << 20))
        if not chunk:
            raise ChannelError("the learner's process ended without answering")
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)
