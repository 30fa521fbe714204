"""A real JupyterLab server over a temporary copy of the chapters, and a real browser driving it.

Run with `make e2e` (which sets MPBOOK_E2E=1). Needs Debian's chromium at /usr/bin/chromium
(or MPBOOK_CHROMIUM) and the playwright package; never `playwright install`.
"""

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

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "e2e-artifacts"
CHROMIUM = os.environ.get("MPBOOK_CHROMIUM", "/usr/bin/chromium")
SERVER_START_TIMEOUT_S = 120  # JupyterLab starts in ~3 s here; a cold CI disk is slower
TOKEN = "mpbook-e2e"


def pytest_collection_modifyitems(config, items):
    """Skip the browser tests unless MPBOOK_E2E=1 (`make e2e`): they need chromium and a few minutes.

    Marked here rather than skipped at import, which `pytest tests/e2e` would show as a traceback.
    """
    if os.environ.get("MPBOOK_E2E") == "1":
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="browser tests run with `make e2e` (MPBOOK_E2E=1)")
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_group(process: subprocess.Popen) -> None:
    """Stop a process and everything it started: politely, then by force."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """Start JupyterLab on a free port over a temporary copy of notebooks/; yield (base_url, folder)."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(REPO / "notebooks", root / "notebooks")  # JupyterLab autosaves: never the real ones
    # Chapter 06 reads the committed benchmark results from ../benchmarks/results.
    shutil.copytree(REPO / "benchmarks" / "results", root / "benchmarks" / "results")
    config = root / "jupyter-config"
    (config / "labconfig").mkdir(parents=True)
    # No news or update pop-ups over the notebook.
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    exercises = root / "exercises"
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "MPBOOK_EXERCISES_DIR": str(exercises),
        "MPBOOK_DEADLINE_SCALE": "0.2",  # hang demos report in seconds, not minutes
    }
    log = (root / "lab.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
            f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",  # lets the test call JupyterLab's commands
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start: see {root / 'lab.log'}")
                time.sleep(0.5)
        yield base, root, TOKEN
    finally:
        _stop_group(server)
        log.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder for screenshots (e2e-artifacts/, ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser():
    """A headless Debian chromium driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no browser at {CHROMIUM}: `apt-get install chromium` (or set MPBOOK_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # This machine's network is closed: without these, chromium retries Google's hosts forever.
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )  # fmt: skip
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(autouse=True, scope="module")
def nothing_left_behind():
    """Replaces the package tests' leak check: here the server and browser live for the whole session.

    What a chapter leaves running is checked per test instead (see kernel_children).
    """
    return
