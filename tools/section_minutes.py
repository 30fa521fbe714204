"""How long each section of a chapter takes: reading, running and thinking, measured.

    python tools/section_minutes.py                 # every chapter: stated vs estimated minutes
    python tools/section_minutes.py --write NB ...   # set each heading's minutes to the estimate
    python tools/section_minutes.py --summary        # core and total minutes per chapter
    python tools/section_minutes.py --tables         # put them in chapter 00's and the README's tables

A section is a `## N · Title · core · M min` (or `· deep dive ·`) heading and the cells up to
the next `## ` heading. Its minutes are:

    words (markdown and code) / 130 words a minute
    + the run time of its cells, recorded by tools/run_notebooks.py in notebooks/run-times.json
    + 1 minute per **Predict:** prompt (write a guess) + 4 minutes per **Try it:** challenge

rounded up. The run time is the one measured by the last `make notebooks` on that chapter.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
RUN_TIMES = NOTEBOOKS / "run-times.json"
WORDS_PER_MINUTE = 130  # reading technical prose with code
PREDICT_MINUTES = 1  # write down a guess before running
TRY_IT_MINUTES = 4  # a small task in an empty cell, then compare with the solution

HEADING = re.compile(
    r"^## (?P<number>\d+) · (?P<title>.+?) · (?P<kind>core|deep dive) · (?P<minutes>\d+) min\s*$"
)
ANY_HEADING = re.compile(r"^## (?!#)")


@dataclass
class Section:
    heading: str  # the whole `## ...` line
    title: str  # the title alone, the key of its run time
    kind: str | None  # "core", "deep dive", or None when the heading carries no marker
    stated: int | None
    cells: list = field(default_factory=list)
    words: int = 0
    predicts: int = 0
    tries: int = 0
    run_s: float = 0.0

    @property
    def estimate(self) -> int:
        minutes = (
            self.words / WORDS_PER_MINUTE
            + self.run_s / 60
            + self.predicts * PREDICT_MINUTES
            + self.tries * TRY_IT_MINUTES
        )
        return max(1, math.ceil(minutes))


def _source(cell) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def section_title(heading: str) -> str:
    """Return the title of a `## ` heading without its number, kind and minutes."""
    match = HEADING.match(heading)
    if match:
        return match["title"]
    text = heading[3:].strip()
    return re.sub(r"^\d+ · ", "", text)


def sections(notebook: dict, run_times: dict | None = None) -> list[Section]:
    """Return the chapter's `## ` sections with their words, prompts and run times."""
    found: list[Section] = []
    for index, cell in enumerate(notebook["cells"]):
        text = _source(cell)
        if cell["cell_type"] == "markdown":
            for line in text.splitlines():
                if ANY_HEADING.match(line):
                    match = HEADING.match(line)
                    found.append(
                        Section(
                            heading=line.strip(),
                            title=section_title(line),
                            kind=match["kind"] if match else None,
                            stated=int(match["minutes"]) if match else None,
                        )
                    )
                    break
        if not found:
            continue  # the chapter's title and objectives, before the first section
        section = found[-1]
        section.cells.append(index)
        section.words += len(text.split())
        if cell["cell_type"] == "markdown":
            section.predicts += text.lstrip().startswith("**Predict:**")
            section.tries += text.lstrip().startswith("**Try it:**")
    for section in found:
        section.run_s = (run_times or {}).get(section.title, 0.0)
    return found


def load_run_times() -> dict:
    try:
        return json.loads(RUN_TIMES.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def record_run(path: Path, notebook, cell_seconds: dict[int, float]) -> None:
    """Store each section's measured run time (seconds) for this chapter in notebooks/run-times.json."""
    per_section: dict[str, float] = {}
    for section in sections(json.loads(json.dumps(notebook))):
        per_section[section.title] = round(sum(cell_seconds.get(i, 0.0) for i in section.cells), 1)
    times = load_run_times()
    times[path.name] = per_section
    RUN_TIMES.write_text(
        json.dumps(times, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def chapter_sections(path: Path) -> list[Section]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return sections(notebook, load_run_times().get(path.name, {}))


def write_estimates(path: Path) -> int:
    """Set every marked heading's minutes to the estimate; return how many changed."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    changed = 0
    by_heading = {s.heading: s for s in sections(notebook, load_run_times().get(path.name, {}))}
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        lines = _source(cell).splitlines(keepends=True)
        for i, line in enumerate(lines):
            section = by_heading.get(line.strip())
            if section and section.kind and section.stated != section.estimate:
                lines[i] = re.sub(r"· \d+ min", f"· {section.estimate} min", line)
                changed += 1
        cell["source"] = lines
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def summary(paths: list[Path]) -> list[tuple[str, int, int]]:
    """Return (chapter, core minutes, total minutes) from the minutes stated in the headings."""
    rows = []
    for path in paths:
        found = [s for s in chapter_sections(path) if s.stated is not None]
        rows.append(
            (
                path.stem,
                sum(s.stated for s in found if s.kind == "core"),
                sum(s.stated for s in found),
            )
        )
    return rows


TABLE_ROW = re.compile(
    r"^(\|[^\n]*?(?P<chapter>\d\d-[a-z0-9-]+)[^\n]*?\|)\s*[\d-]+ min\s*\|\s*[\d-]+ min\s*\|\s*$"
)


def _update_rows(text: str, minutes: dict[str, tuple[int, int]]) -> str:
    """Set the last two cells (`| core min | total min |`) of every table row naming a chapter."""

    def replace(match: re.Match) -> str:
        core, total = minutes.get(match["chapter"], (None, None))
        if core is None:
            return match.group(0)
        return f"{match.group(1)} {core} min | {total} min |"

    return "\n".join(TABLE_ROW.sub(replace, line) for line in text.split("\n"))


def update_tables(paths: list[Path]) -> None:
    """Write each chapter's core and total minutes into chapter 00's and the README's chapter tables."""
    minutes = {chapter: (core, total) for chapter, core, total in summary(paths)}
    readme = REPO / "README.md"
    readme.write_text(_update_rows(readme.read_text(encoding="utf-8"), minutes), encoding="utf-8")
    start_here = NOTEBOOKS / "00-start-here.ipynb"
    notebook = json.loads(start_here.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = _update_rows(_source(cell), minutes).splitlines(keepends=True)
    start_here.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--write", action="store_true", help="set the headings' minutes to the estimates")
    parser.add_argument("--summary", action="store_true", help="core and total minutes per chapter")
    parser.add_argument("--tables", action="store_true", help="write them into chapter 00 and the README")
    args = parser.parse_args()
    paths = [p.resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    if args.tables:
        update_tables(sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")))
        args.summary = True
    if args.summary:
        rows = summary(paths)
        for chapter, core, total in rows:
            print(f"{chapter:<28} core {core:>3} min   total {total:>3} min")
        print(f"{'all':<28} core {sum(r[1] for r in rows):>3} min   total {sum(r[2] for r in rows):>3} min")
        return 0
    for path in paths:
        if args.write:
            print(f"{path.name}: {write_estimates(path)} heading(s) updated")
            continue
        print(path.name)
        for s in chapter_sections(path):
            print(
                f"  {s.heading[:70]:<70} stated {s.stated if s.stated is not None else '-':>3}  "
                f"estimate {s.estimate:>3}  ({s.words} words, {s.run_s:.0f} s run, "
                f"{s.predicts} predict, {s.tries} try it)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
