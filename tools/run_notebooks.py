"""Re-execute chapters in place under spawn, so the outputs stored in the repository are real.

    python tools/run_notebooks.py [notebooks/01-basics.ipynb ...]   (default: every chapter)

Each notebook runs in a fresh kernel from its own folder, with a per-cell timeout, exactly
as nbval will re-run it in the test suite. Afterwards the outputs are scrubbed of this
machine's absolute paths (tracebacks name files of the Python installation and of the
repository), so the committed notebook shows `<python>/...` and `<book>/...` instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import sysconfig
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import section_minutes

REPO = Path(__file__).resolve().parent.parent
CELL_TIMEOUT_S = 300  # the slowest chapter cell takes ~15 s here; a hang fails instead of blocking


def path_replacements() -> list[tuple[str, str]]:
    """Return (absolute prefix, placeholder) pairs, the longest prefixes first."""
    pairs = {
        str(REPO): "<book>",
        sys.prefix: "<venv>",
        sys.base_prefix: "<python>",
        sysconfig.get_paths()["stdlib"]: "<python>/lib/python" + sysconfig.get_python_version(),
        os.path.expanduser("~"): "~",
    }
    return sorted(((k, v) for k, v in pairs.items() if len(k) > 1), key=lambda kv: -len(kv[0]))


def scrub(value, replacements):
    """Return value (a string, or lists and dicts of them) with absolute prefixes replaced."""
    if isinstance(value, str):
        for prefix, placeholder in replacements:
            value = value.replace(prefix, placeholder)
        return value
    if isinstance(value, list):
        return [scrub(item, replacements) for item in value]
    if isinstance(value, dict):
        return {key: scrub(item, replacements) for key, item in value.items()}
    return value


def run(path: Path) -> float:
    """Execute one notebook in place; return the seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    env_method = os.environ.get("MPBOOK_START_METHOD", "")
    if env_method not in ("", "spawn"):
        sys.exit(
            f"stored outputs must come from a spawn run; unset MPBOOK_START_METHOD (it is {env_method!r})"
        )
    started = time.perf_counter()
    cell_seconds: dict[int, float] = {}
    cell_started: dict[int, float] = {}
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        # each cell's run time feeds the section minutes (tools/section_minutes.py)
        on_cell_start=lambda cell, cell_index: cell_started.__setitem__(cell_index, time.perf_counter()),
        on_cell_executed=lambda cell, cell_index, execute_reply: cell_seconds.__setitem__(
            cell_index, time.perf_counter() - cell_started[cell_index]
        ),
    )
    client.execute()
    seconds = time.perf_counter() - started
    replacements = path_replacements()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.from_dict(scrub(dict(output), replacements)) for output in cell.outputs]
    leftover = [prefix for prefix, _ in replacements if prefix in nbformat.writes(notebook)]
    if leftover:
        sys.exit(f"{path}: absolute paths left in outputs: {leftover}")
    nbformat.write(notebook, path)
    section_minutes.record_run(path, notebook, cell_seconds)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="chapters to run (default: all)")
    args = parser.parse_args()
    paths = args.notebooks or sorted((REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    for path in paths:
        print(f"running {path.name} ...", flush=True)
        print(f"  {path.name}: {run(path.resolve()):.1f} s")


if __name__ == "__main__":
    main()
