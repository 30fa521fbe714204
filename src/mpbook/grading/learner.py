"""The learner's process: imports the learner's module and runs what the trusted checks ask, nothing else.

    trusted checks --("call", name, args, kwargs)--> this process: module.name(*args, **kwargs)
                   --("probe", module, function, args)--> function(learner_module, *args): observes from inside
                   <--("returned", plain data) | ("raised", Raised)--

Started by `mpbook.grading.boundary.LearnerProcess` with `python -m mpbook.grading.learner IN OUT`:
IN and OUT are the numbers of the two pipe ends it reads requests from and writes answers to. What
it prints goes to the test's output, never into an answer. It knows no report path and writes no
report: the trusted side does, after checking the answers.

Everything sent back goes through `plain()` first, so the trusted side can decode it with an
unpickler that knows no classes of the learner's (see channel.py).
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
import traceback
from pathlib import Path

from mpbook.grading import channel

MAX_REPR = 2_000  # characters of an unexpected object's repr that the checks' messages show


def plain(value: object, depth: int = 0) -> object:
    """Return value as plain data: containers of numbers, strings and bytes; NumPy values as Python's own.

    An exception becomes channel.Raised; any other object becomes Opaque (its repr), so a check
    can say what came back without the trusted side ever building an object of the learner's.
    """
    if depth > 50:
        return channel.Opaque(type(value).__name__, "...")
    if value is None or type(value) in (bool, int, float, complex, str, bytes):
        return value
    kind = type(value)
    if kind in (list, tuple, set, frozenset) or (isinstance(value, tuple) and hasattr(value, "_fields")):
        items = [plain(item, depth + 1) for item in value]  # type: ignore[attr-defined]  # a container, tested above
        if kind.__module__ == "mpbook.practice":  # a Record: a namedtuple the channel allows
            return kind(*items)
        return (tuple if isinstance(value, tuple) else kind if kind in (set, frozenset) else list)(items)
    if isinstance(value, dict):
        return {plain(key, depth + 1): plain(item, depth + 1) for key, item in value.items()}
    if kind.__module__ == "numpy" and hasattr(value, "tolist"):  # NumPy scalars and arrays
        return plain(value.tolist(), depth + 1)
    if isinstance(value, BaseException):
        return raised(value, None)
    if isinstance(value, (int, float, str, bytes)):  # a subclass (IntEnum, bool-like): its plain value
        base: type = next(base for base in (int, float, str, bytes) if isinstance(value, base))
        return base(value)
    shown = repr(value)
    return channel.Opaque(f"{kind.__module__}.{kind.__qualname__}", shown[:MAX_REPR])


def raised(exc: BaseException, directory: Path | None) -> channel.Raised:
    """Return an exception as plain data, with the last frames of the learner's own file."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if directory is not None and Path(f.filename).parent == directory]
    shown = mine[-3:] or frames[-2:]
    return channel.Raised(
        type(exc).__name__, str(exc)[:MAX_REPR], "".join(traceback.format_list(shown)), bool(mine)
    )


def serve(requests: int, answers: int) -> None:
    """Answer requests until told to stop or the trusted side closes the pipe."""
    import pickle

    # Requests come from the trusted side: no cap (a check may send a large array); answers are capped there.
    setup = pickle.loads(channel.read_frame(requests, limit=sys.maxsize))
    directory = Path(setup["directory"]).resolve()
    sys.path.insert(0, str(directory))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(directory), os.environ.get("PYTHONPATH")]))
    multiprocessing.set_start_method(setup["start_method"], force=True)
    # multiprocessing's helpers now, not in the middle of a call: until it has exec'd, a helper shows
    # this process's command line, and the trusted side would count it as a process of the learner's.
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    if setup["start_method"] == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()

    def answer(kind: str, value: object) -> None:
        try:
            payload = channel.encode((kind, value))
        except Exception as exc:  # noqa: BLE001 - what cannot be encoded is described instead
            payload = channel.encode(
                ("raised", channel.Raised(type(exc).__name__, f"could not send the answer: {exc}"))
            )
        channel.write_frame(answers, payload)

    module = None
    try:
        module = importlib.import_module(setup["module"])
    except SyntaxError as exc:
        answer("syntax_error", (exc.lineno, exc.msg))
    except BaseException as exc:  # noqa: BLE001 - any import failure is reported, never raised
        answer("import_error", raised(exc, directory))
    else:
        answer("ready", None)
    if module is None:
        return

    while True:
        try:
            request = pickle.loads(channel.read_frame(requests, limit=sys.maxsize))
        except channel.ChannelError:
            return  # the trusted side is done, or gone
        kind = request[0]
        if kind == "stop":
            return
        try:
            if kind == "call":
                _, name, args, kwargs = request
                if not callable(getattr(module, name, None)):
                    answer("missing", name)
                    continue
                value = getattr(module, name)(*args, **kwargs)
            elif kind == "value":
                _, name = request
                if not hasattr(module, name):
                    answer("missing", name)
                    continue
                value = getattr(module, name)
            elif kind == "probe":
                _, probe_module, function, args, kwargs = request
                value = getattr(importlib.import_module(probe_module), function)(module, *args, **kwargs)
            else:
                answer("raised", channel.Raised("ValueError", f"unknown request {kind!r}"))
                continue
        except AttributeError as exc:
            if getattr(exc, "obj", None) is module:  # a probe called a function the learner's file lacks
                answer("missing", exc.name)
            else:
                answer("raised", raised(exc, directory))
        except BaseException as exc:  # noqa: BLE001 - the learner's exception goes back as data
            answer("raised", raised(exc, directory))
        else:
            answer("returned", plain(value))


def main() -> None:
    serve(int(sys.argv[1]), int(sys.argv[2]))
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter shutdown: atexit handlers would join whatever the learner left running.
    os._exit(0)


if __name__ == "__main__":
    main()
