"""The chapters keep the course's conventions: marked sections, prompts, challenges, outputs for learners.

These read the committed notebooks without running them (the chapters themselves run under nbval,
and tools/core_only.py runs their core path). DESIGN.md's "Teaching conventions" is the reference.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
import section_minutes  # noqa: E402  (a script in tools/, not a package)

CHAPTERS = sorted((REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))
LESSONS = [path for path in CHAPTERS if not path.name.startswith("00-")]
CORE_PATH_LIMIT_MIN = 240  # issue 13: the core path of chapters 00-08 fits in four hours
VERDICT_LIMIT = 10  # bare True/False lines allowed in all stored outputs together
HARNESS_WORDS = re.compile(r"nbval|test suite|MPBOOK_START_METHOD", re.IGNORECASE)
VERDICT = re.compile(r"(?:^|[\s:=(\[,])(?:True|False)[)\],]?\s*$")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def _output_lines(cell) -> list[str]:
    lines = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            text = output["text"]
        elif output.get("output_type") in ("execute_result", "display_data"):
            text = output.get("data", {}).get("text/plain", "")
        else:
            continue
        lines += ("".join(text) if isinstance(text, list) else text).splitlines()
    return lines


def _ids(paths):
    return [path.stem for path in paths]


@pytest.mark.parametrize("path", CHAPTERS, ids=_ids(CHAPTERS))
def test_every_section_is_marked_core_or_deep_dive(path):
    """Every `## ` heading reads `## N · Title · core|deep dive · M min`, numbered 1, 2, 3 in order."""
    found = section_minutes.sections(_load(path))
    unmarked = [s.heading for s in found if s.kind is None]
    assert not unmarked, (
        f"{path.name}: headings without `· core · M min` or `· deep dive · M min`: {unmarked}"
    )
    numbers = [int(section_minutes.HEADING.match(s.heading)["number"]) for s in found]
    assert numbers == list(range(1, len(found) + 1)), f"{path.name}: sections numbered {numbers}"


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_every_core_section_asks_for_a_prediction(path):
    """Each core section has a **Predict:** prompt, and a code cell follows the prompt to answer it."""
    notebook = _load(path)
    cells = notebook["cells"]
    for section in section_minutes.sections(notebook):
        if section.kind != "core" or section.title.lower().startswith("key points"):
            continue
        prompts = [i for i in section.cells if _source(cells[i]).lstrip().startswith("**Predict:**")]
        assert prompts, f"{path.name}: core section {section.heading!r} has no **Predict:** prompt"
        for i in prompts:
            answered = i + 1 < len(cells) and cells[i + 1]["cell_type"] == "code"
            assert answered, (
                f"{path.name}: the **Predict:** prompt in {section.heading!r} is not followed by the cell that answers it"
            )


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_two_challenges_with_folded_solutions(path):
    """At least two **Try it:** challenges: an empty cell to work in, then a folded worked solution."""
    cells = _load(path)["cells"]
    starts = [
        i
        for i, c in enumerate(cells)
        if c["cell_type"] == "markdown" and _source(c).lstrip().startswith("**Try it:**")
    ]
    assert len(starts) >= 2, f"{path.name}: {len(starts)} **Try it:** challenge(s), expected at least 2"
    for i in starts:
        work, solution = cells[i + 1], cells[i + 2] if i + 2 < len(cells) else None
        lines = [line for line in _source(work).splitlines() if line.strip()]
        empty = work["cell_type"] == "code" and all(line.lstrip().startswith("#") for line in lines)
        assert empty, (
            f"{path.name}: the cell after the challenge at cell {i} should be an empty cell to work in (comments only)"
        )
        folded = solution is not None and "<details>" in _source(solution)
        assert folded, (
            f"{path.name}: the challenge at cell {i} has no folded <details> solution right after its work cell"
        )


def test_outputs_carry_values_not_verdicts():
    """Across every chapter's stored outputs, at most VERDICT_LIMIT lines end in a bare True or False."""
    verdicts = []
    for path in CHAPTERS:
        for index, cell in enumerate(_load(path)["cells"]):
            if cell["cell_type"] == "code":
                verdicts += [
                    f"{path.name} cell {index}: {line.strip()}"
                    for line in _output_lines(cell)
                    if VERDICT.search(line)
                ]
    assert len(verdicts) <= VERDICT_LIMIT, f"{len(verdicts)} True/False verdict lines:\n" + "\n".join(
        verdicts
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=_ids(CHAPTERS))
def test_no_words_about_the_test_harness(path):
    """A chapter's text, code and outputs never mention nbval, the test suite or MPBOOK_START_METHOD."""
    found = []
    for index, cell in enumerate(_load(path)["cells"]):
        text = _source(cell) + "\n".join(_output_lines(cell) if cell["cell_type"] == "code" else [])
        found += [f"cell {index}: {m.group(0)}" for m in HARNESS_WORDS.finditer(text)]
    assert not found, f"{path.name} mentions the test harness: {found}"


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_first_cell_sets_the_start_method_plainly(path):
    """The first code cell chooses spawn with plain multiprocessing, as a learner would outside the book."""
    first = next(c for c in _load(path)["cells"] if c["cell_type"] == "code")
    assert re.search(r"set_start_method\(\s*[\"']spawn[\"'],\s*force=True\)", _source(first)), (
        f"{path.name}: the first code cell should call mp.set_start_method('spawn', force=True)"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=_ids(CHAPTERS))
def test_stated_minutes_match_the_measurement(path):
    """Each section's minutes agree with words/130 + its measured run time + time for prompts and challenges."""
    runs = section_minutes.load_run_times()
    if path.name not in runs:
        pytest.skip(f"{path.name} has no recorded run time yet (make notebooks)")
    wrong = [
        f"{s.heading!r}: estimate {s.estimate}"
        for s in section_minutes.chapter_sections(path)
        if s.stated is not None and abs(s.stated - s.estimate) > max(2, 0.25 * s.estimate)
    ]
    assert not wrong, (
        f"{path.name}: stated minutes differ from the estimate (tools/section_minutes.py --write): {wrong}"
    )


def test_core_path_fits_and_is_stated_in_chapter_00_and_readme():
    """The core path of 00-08 is at most four hours, and chapter 00 and the README give each chapter's minutes."""
    rows = section_minutes.summary(CHAPTERS)
    total_core = sum(core for _, core, _ in rows)
    assert total_core <= CORE_PATH_LIMIT_MIN, (
        f"the core path takes {total_core} min, over {CORE_PATH_LIMIT_MIN}"
    )
    chapter_00 = "\n".join(_source(c) for c in _load(CHAPTERS[0])["cells"])
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, text in (("chapter 00", chapter_00), ("README.md", readme)):
        for chapter, core, total in rows:
            row = re.search(rf"^\|[^\n]*{re.escape(chapter)}[^\n]*$", text, re.MULTILINE)
            assert row, f"{name} has no table row for {chapter}"
            stated = f"{core} min" in row.group(0) and f"{total} min" in row.group(0)
            assert stated, (
                f"{name}'s row for {chapter} should say core {core} min and total {total} min: {row.group(0)}"
            )
