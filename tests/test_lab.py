"""`make lab`, the learner's first command, serves JupyterLab with chapter 00 open, and its terminals find `mpbook`."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 90  # JupyterLab starts in ~3 s here; a cold CI disk can be much slower
CHAPTER = "notebooks/00-start-here.ipynb"

pytestmark = pytest.mark.skipif(
    os.name != "posix" or shutil.which("make") is None, reason="make lab needs make and a POSIX shell"
)


def free_port() -> int:
    """Return a TCP port on localhost that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    """Return (status, body) of a GET on url, with a short timeout."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def run_in_a_terminal(base: str, token: str, command: str, output: Path) -> str:
    """Open a terminal through JupyterLab's API, type command into it, and return what it wrote to output.

    The server starts the terminal's shell itself, with its terminado settings, exactly as for a
    learner who picks File -> New -> Terminal; the command writes to a file so the test need not
    parse a terminal's escape codes.
    """
    import asyncio

    from tornado.websocket import websocket_connect

    request = urllib.request.Request(
        f"{base}/api/terminals?token={token}",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        name = json.loads(response.read())["name"]

    async def type_and_wait() -> None:
        socket = await websocket_connect(
            f"{base.replace('http', 'ws', 1)}/terminals/websocket/{name}?token={token}"
        )
        try:
            await socket.write_message(json.dumps(["stdin", f"{command}\r"]))
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while not output.exists() and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
        finally:
            socket.close()

    try:
        asyncio.run(type_and_wait())
    finally:
        request = urllib.request.Request(f"{base}/api/terminals/{name}?token={token}", method="DELETE")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=10).close()
    assert output.exists(), f"the terminal did not run {command!r} within {STARTUP_TIMEOUT_S} s"
    return output.read_text()


def without_the_venv(environ: dict) -> dict:
    """Return environ as a learner's shell has it before `make lab`: the book's venv neither active nor on PATH."""
    venv_bin = str(Path(sys.prefix) / "bin")
    env = {key: value for key, value in environ.items() if key != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(p for p in environ.get("PATH", "").split(os.pathsep) if p and p != venv_bin)
    return env


def test_make_lab_serves_chapter_00(tmp_path):
    """make lab starts JupyterLab on chapter 00; its terminals find the book's mpbook and python on PATH."""
    port, token = free_port(), "mpbook-test-token"
    stamp = Path(sys.prefix) / ".mpbook-installed"
    log = (tmp_path / "lab.log").open("w+")
    # Instead of a browser, a recorder: Python's webbrowser module runs $BROWSER with what
    # JupyterLab would open for the learner, a local redirect page that names the real URL.
    opened = tmp_path / "opened-page.html"
    recorder = tmp_path / "browser.sh"
    recorder.write_text(f'#!/bin/sh\ncat "${{1#file://}}" > {opened}.tmp && mv {opened}.tmp {opened}\n')
    recorder.chmod(0o755)
    lab_args = (
        f"--ServerApp.ip=127.0.0.1 --ServerApp.port={port} --ServerApp.port_retries=0 "
        f"--IdentityProvider.token={token} --ServerApp.root_dir={REPO}"
    )
    server = subprocess.Popen(
        # -o: use this test's environment as the venv, and do not reinstall it
        ["make", "-o", str(stamp), "lab", f"VENV={sys.prefix}", f"LAB_ARGS={lab_args}"],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so the whole tree (make, jupyter, kernels) can be stopped together
        # HOME: an empty one, so no ~/.bashrc of this machine decides what the terminal finds
        env={**without_the_venv(os.environ), "BROWSER": f"{recorder} %s", "HOME": str(tmp_path)},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            try:
                status, body = fetch(f"{base}/api/contents/{CHAPTER}?content=0&token={token}")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"JupyterLab did not answer on port {port}:\n{log.read()[-3000:]}")
                time.sleep(0.5)
        assert status == 200
        assert json.loads(body)["name"] == "00-start-here.ipynb"
        status, page = fetch(f"{base}/lab/tree/{CHAPTER}?token={token}")
        assert status == 200
        assert b"JupyterLab" in page
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert opened.exists(), "make lab did not open a browser"
        assert f"/lab/tree/{CHAPTER}" in opened.read_text(), "the browser should open on chapter 00"

        # A learner opens a terminal in JupyterLab and types `mpbook`: it must be the book's.
        found = tmp_path / "found.txt"
        typed = (
            '{ command -v mpbook; command -v python; python -c "import mpbook, sys; print(sys.prefix)"; } '
            f"> {found}.tmp 2>&1; mv {found}.tmp {found}"
        )
        lines = run_in_a_terminal(base, token, typed, found).split()
        assert lines == [
            str(Path(sys.prefix) / "bin" / "mpbook"),
            str(Path(sys.prefix) / "bin" / "python"),
            sys.prefix,
        ], f"a JupyterLab terminal found {lines}, expected the book's venv {sys.prefix}"
    finally:
        stop_group(server)
        log.close()


def stop_group(process: subprocess.Popen) -> None:
    """Stop a process and everything it started: politely, then by force after 30 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):  # the group may be gone already
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
            return
        except subprocess.TimeoutExpired:
            continue
