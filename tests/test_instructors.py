"""INSTRUCTORS.md's schedules add up, section by section, to the minutes the chapters state.

A schedule is a table under a `### ... (N min)` heading:

    | start | block | sections | minutes |
    | --- | --- | --- | --- |
    | 0:00 | Welcome, and the rules of spawn | 00 §1, §2, §5, §6 | 10 |
    | 0:10 | Exercise ex01 | 10 min exercise | 10 |
    | 0:20 | end | | |

The sections cell cites chapter sections as `NN §a, §b-c` (the chapter's two digits, the section
numbers of its `## N · Title · core · M min` headings), and extra time as `N min <what>`, several
separated by `;`. Each block's minutes must be the sum of its sections' stated minutes and its extra
time; each block starts when the one before ends; the `end` row closes the schedule at its length.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
INSTRUCTORS = REPO / "INSTRUCTORS.md"
HEADING = re.compile(
    r"^## (?P<number>\d+) · (?P<title>.+?) · (?P<kind>core|deep dive) · (?P<minutes>\d+) min\s*$"
)
SCHEDULE = re.compile(r"^### (?P<name>.+?) \((?P<length>\d+) min\)\s*$")
CITATION = re.compile(r"^(?P<chapter>\d\d) (?P<numbers>§\d+(?:[-–]§?\d+)?(?:, §\d+(?:[-–]§?\d+)?)*)$")
EXTRA = re.compile(r"^(?P<minutes>\d+) min \S.*$")


def chapter_headings() -> dict[str, dict[int, re.Match]]:
    """Return {"02": {3: the heading's match, ...}} for every chapter."""
    chapters = {}
    for path in sorted((REPO / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        found = {}
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "markdown":
                for line in "".join(cell["source"]).splitlines():
                    match = HEADING.match(line)
                    if match:
                        found[int(match["number"])] = match
        chapters[path.name[:2]] = found
    return chapters


def chapter_sections() -> dict[str, dict[int, tuple[str, int]]]:
    """Return {"02": {3: ("core", 4), ...}} from the headings of every chapter."""
    return {
        chapter: {number: (m["kind"], int(m["minutes"])) for number, m in found.items()}
        for chapter, found in chapter_headings().items()
    }


def clock(text: str) -> int:
    hours, minutes = text.strip().split(":")
    return int(hours) * 60 + int(minutes)


def parse_cell(cell: str) -> tuple[list[tuple[str, int]], int]:
    """Return the (chapter, section) pairs a sections cell cites, and its extra minutes."""
    cited, extra = [], 0
    for item in (part.strip() for part in cell.split(";")):
        if not item:
            continue
        if match := CITATION.match(item):
            for number in match["numbers"].split(", "):
                first, _, last = number.replace("–", "-").replace("§", "").partition("-")
                cited += [(match["chapter"], n) for n in range(int(first), int(last or first) + 1)]
        elif match := EXTRA.match(item):
            extra += int(match["minutes"])
        else:
            raise AssertionError(f"cannot read {item!r}: cite `NN §a, §b-c` or give `N min <what>`")
    return cited, extra


def schedules() -> dict[str, dict]:
    """Return each schedule of INSTRUCTORS.md: its length and its rows (start, block, sections, minutes)."""
    found, current = {}, None
    for line in INSTRUCTORS.read_text(encoding="utf-8").splitlines():
        if match := SCHEDULE.match(line):
            current = found[match["name"]] = {"length": int(match["length"]), "rows": []}
        elif line.startswith("#"):
            current = None
        elif current is not None and line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if cells[0] in ("start", "---") or set(cells[0]) <= {"-", " "}:
                continue
            current["rows"].append(cells)
    return found


def test_there_is_a_three_hour_and_a_one_day_schedule():
    """INSTRUCTORS.md has the two schedules the workshop kit promises."""
    names = schedules()
    assert any(s["length"] == 180 for s in names.values()), f"no 3-hour schedule in {sorted(names)}"
    assert any(s["length"] >= 360 for s in names.values()), f"no one-day schedule in {sorted(names)}"


@pytest.mark.parametrize("name", sorted(schedules()))
def test_schedule_adds_up(name):
    """Every block's minutes are its sections' stated minutes plus its extra time, and the blocks fill the schedule."""
    schedule = schedules()[name]
    chapters = chapter_sections()
    rows = schedule["rows"]
    assert rows, f"{name}: no table rows"
    assert rows[-1][1] == "end", f"{name}: the last row must be `| H:MM | end | | |`"
    start = clock(rows[0][0])
    seen = set()
    for row in rows[:-1]:
        begins, block, sections, minutes = row[:4]
        assert clock(begins) == start, (
            f"{name}: {block!r} starts at {begins}, but the block before ends at {start // 60}:{start % 60:02d}"
        )
        cited, extra = parse_cell(sections)
        stated = 0
        for chapter, number in cited:
            assert chapter in chapters, f"{name}: {block!r} cites chapter {chapter}, which does not exist"
            assert number in chapters[chapter], (
                f"{name}: {block!r} cites {chapter} §{number}, which does not exist"
            )
            assert (chapter, number) not in seen, f"{name}: {chapter} §{number} is scheduled twice"
            seen.add((chapter, number))
            stated += chapters[chapter][number][1]
        assert int(minutes) == stated + extra, (
            f"{name}: {block!r} says {minutes} min, but its sections state {stated} min"
            f"{f' and its extra time is {extra} min' if extra else ''}: {stated + extra} min"
        )
        start += int(minutes)
    assert clock(rows[-1][0]) == start, (
        f"{name}: ends at {rows[-1][0]}, but the blocks add up to {start // 60}:{start % 60:02d}"
    )
    assert start - clock(rows[0][0]) == schedule["length"], (
        f"{name}: the blocks add up to {start - clock(rows[0][0])} min, the heading says {schedule['length']}"
    )


def test_short_schedule_keeps_to_the_core_and_the_day_covers_all_of_it():
    """The 3-hour schedule cites core sections only; the one-day schedule cites every core section of every chapter."""
    chapters = chapter_sections()
    core = {(c, n) for c, sections in chapters.items() for n, (kind, _) in sections.items() if kind == "core"}
    for name, schedule in schedules().items():
        cited = {pair for row in schedule["rows"][:-1] for pair in parse_cell(row[2])[0]}
        if schedule["length"] <= 180:
            assert cited <= core, f"{name}: deep dives in a short workshop: {sorted(cited - core)}"
        else:
            missing = sorted(core - cited)
            assert not missing, f"{name}: core sections missing from the day: {missing}"


def exercises_named(text: str) -> set[int]:
    """Return the exercise numbers a block names: `ex04`, and ranges such as `ex04-ex06` or `ex21-ex23`."""
    numbers = set()
    for first, last in re.findall(r"ex(\d\d)(?:[-–]ex(\d\d))?", text):
        numbers.update(range(int(first), int(last or first) + 1))
    return numbers


def test_exercises_come_after_the_sections_they_practise():
    """An exercise block names only exercises whose chapter section (from the catalogue) was scheduled before it."""
    from mpbook.grading import catalogue

    headings = chapter_headings()
    where = {}
    for exercise in catalogue.EXERCISES:
        chapter = exercise.chapter[:2]
        number = next(n for n, m in headings[chapter].items() if m["title"] == exercise.section)
        where[int(exercise.name[2:4])] = (chapter, number)
    for name, schedule in schedules().items():
        taught = set()
        for row in schedule["rows"][:-1]:
            for exercise in sorted(exercises_named(row[1])):
                assert where[exercise] in taught, (
                    f"{name}: {row[1]!r} sets ex{exercise:02d}, which practises "
                    f"{where[exercise][0]} §{where[exercise][1]}, not scheduled before it"
                )
            taught.update(parse_cell(row[2])[0])
