"""Run only the core sections of chapters, top to bottom, in a fresh kernel under spawn.

    python tools/core_only.py [notebooks/01-basics.ipynb ...]    (default: every chapter)

A learner on a short path (a workshop, the 4-hour core) skips the deep dives. This builds, for each
chapter, a notebook of the cells before its first `## ` section plus every section marked
`· core ·`, runs it as a learner would, and reports the first cell that fails. Cells tagged
`raises-exception` may raise, as in the chapter. The chapter itself is never changed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import section_minutes

REPO = Path(__file__).resolve().parent.parent
CELL_TIMEOUT_S = (
    300  # as tools/run_notebooks.py: the slowest cell takes ~15 s; a hang fails instead of blocking
)


def core_notebook(notebook):
    """Return a copy of notebook holding its preamble and its core sections only."""
    as_dict = nbformat.from_dict(notebook)
    found = section_minutes.sections(as_dict)
    skipped = {index for section in found if section.kind != "core" for index in section.cells}
    core = nbformat.from_dict(dict(as_dict))
    core.cells = [cell for index, cell in enumerate(as_dict.cells) if index not in skipped]
    for cell in core.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return core


def run_core(path: Path) -> tuple[float, int]:
    """Run the core sections of one chapter; return (seconds, code cells run). Raises CellExecutionError."""
    notebook = core_notebook(nbformat.read(path, as_version=4))
    started = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},  # run from notebooks/, as the chapter is
    ).execute()
    return time.perf_counter() - started, sum(cell.cell_type == "code" for cell in notebook.cells)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    paths = [p.resolve() for p in args.notebooks] or sorted((REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    failed = 0
    for path in paths:
        try:
            seconds, cells = run_core(path)
            print(f"{path.name}: core sections ran, {cells} code cells in {seconds:.0f} s")
        except CellExecutionError as exc:
            failed += 1
            print(f"{path.name}: FAILED in its core sections\n{str(exc)[-3000:]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
