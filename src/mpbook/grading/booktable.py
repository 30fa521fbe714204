"""What the catalogue says about the book: exercises/README.md's table, and where each exercise sits in its chapter.

The table in exercises/README.md is generated from the catalogue, between two marker lines, by
`python tools/exercise_table.py` (`--check` only compares); the tests hold the committed README to it.
Chapters are read as JSON (a notebook is a JSON file): no Jupyter package is needed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mpbook.grading.catalogue import EXERCISES, Exercise

TABLE_START = "<!-- exercise table: generated from the catalogue by tools/exercise_table.py; do not edit -->"
TABLE_END = "<!-- end of the exercise table -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(exercises: tuple[Exercise, ...] = EXERCISES) -> str:
    """Return the Markdown table of the exercises, in the book's order."""
    rows = [
        "| exercise | chapter | section | concept | points |",
        "| --- | --- | --- | --- | --- |",
    ]
    for exercise in exercises:
        chapter = f"[{exercise.chapter}](../notebooks/{exercise.chapter}.ipynb)"
        rows.append(
            f"| `{exercise.name}` | {chapter} | {_cell(exercise.section)} | {_cell(exercise.concept)} "
            f"| {exercise.points} |"
        )
    return "\n".join(rows)


class MarkersMissing(ValueError):
    """The README has no pair of table markers to write between."""


def with_table(readme: str, exercises: tuple[Exercise, ...] = EXERCISES) -> str:
    """Return the README text with the table between the markers replaced by the catalogue's."""
    start, end = readme.find(TABLE_START), readme.find(TABLE_END)
    if start < 0 or end < start:
        raise MarkersMissing(f"the README needs the lines\n{TABLE_START}\n{TABLE_END}\nwhere the table goes")
    head = readme[: start + len(TABLE_START)]
    return f"{head}\n{render_table(exercises)}\n{readme[end:]}"


def _normalise(title: str) -> str:
    """Return a heading title compared loosely: no backticks or emphasis, one space, lower case."""
    return re.sub(r"\s+", " ", re.sub(r"[`*_]", "", title)).strip().lower()


def chapter_sections(notebook: Path) -> list[tuple[int, str]]:
    """Return (number, title) for each numbered `## N · Title` heading of a chapter, in order.

    Headings may carry more fields after the title (`## 9 · Title · core · 8 min`): they are dropped.
    """
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    sections = []
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = "".join(cell.get("source", []))
        for line in source.splitlines():
            match = re.match(r"^##\s+(\d+)\s*·\s*(.+?)\s*$", line)
            if match:
                title = match.group(2).split(" · ")[0]
                sections.append((int(match.group(1)), title.strip()))
    return sections


def section_number(exercise: Exercise, notebooks: Path) -> int | None:
    """Return the number of the chapter section an exercise names, or None when no heading matches."""
    path = notebooks / f"{exercise.chapter}.ipynb"
    if not path.is_file():
        return None
    wanted = _normalise(exercise.section)
    for number, title in chapter_sections(path):
        if _normalise(title) == wanted:
            return number
    for number, title in chapter_sections(path):  # loosely: a heading that was shortened or extended
        if _normalise(title).startswith(wanted) or wanted.startswith(_normalise(title)):
            return number
    return None


def docstring_header(exercise: Exercise, notebooks: Path) -> str:
    """Return the first line of the exercise's stub and solution: "Exercise 04 · Title (chapter ..., section 6)."."""
    number = section_number(exercise, notebooks)
    where = f"chapter {exercise.chapter}" + (f", section {number}" if number is not None else "")
    return f"Exercise {exercise.number[2:]} · {exercise.title} ({where})."


def with_header(source: str, header: str) -> str:
    """Return a stub's or solution's source with the first line of its docstring replaced by header."""
    first, _, rest = source.partition("\n")
    return f'"""{header}\n{rest}' if first.startswith('"""') else source
