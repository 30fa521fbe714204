"""Write what the catalogue decides into the files that repeat it (one source of truth).

    python tools/exercise_table.py           # rewrite the README's table and the stubs' first lines
    python tools/exercise_table.py --check   # exit 1 if any of them differs from the catalogue

- exercises/README.md: the table between its marker lines, every exercise in the book's order with
  its chapter, section, concept and points (the sum of its checks' @points);
- the first line of each stub's and solution's docstring, "Exercise 04 · Title (chapter 02-..., section 6).",
  with the number of the chapter heading that the exercise's SECTION names (read from notebooks/).

tests/test_catalogue.py runs the check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mpbook.grading import booktable
from mpbook.grading.catalogue import EXERCISES

REPO = Path(__file__).resolve().parent.parent
README = REPO / "exercises" / "README.md"
NOTEBOOKS = REPO / "notebooks"
SOLUTIONS = REPO / "solutions"


def expected_files() -> tuple[dict[Path, str], list[str]]:
    """Return {path: the text the catalogue wants there} for the README, stubs and solutions, and warnings."""
    wanted = {README: booktable.with_table(README.read_text(encoding="utf-8"))}
    warnings = []
    for exercise in EXERCISES:
        if booktable.section_number(exercise, NOTEBOOKS) is None:
            warnings.append(
                f"{exercise.name}: no heading of notebooks/{exercise.chapter}.ipynb matches SECTION "
                f"{exercise.section!r}: fix SECTION in its __init__.py; its stub and solution were left as they are"
            )
            continue
        header = booktable.docstring_header(exercise, NOTEBOOKS)
        for path in (exercise.stub_path, SOLUTIONS / exercise.filename):
            if path.is_file():
                wanted[path] = booktable.with_header(path.read_text(encoding="utf-8"), header)
    return wanted, warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when the table is stale")
    args = parser.parse_args(argv)
    wanted, warnings = expected_files()
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if warnings and args.check:
        return 1
    stale = [path for path, text in wanted.items() if path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(
                f"{path.relative_to(REPO)} is stale: run `python tools/exercise_table.py`.", file=sys.stderr
            )
        if not stale:
            print("The README's table and the stubs' and solutions' first lines match the catalogue.")
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path], encoding="utf-8")
        print(f"Wrote {path.relative_to(REPO)}.")
    if not stale:
        print("Everything was up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
