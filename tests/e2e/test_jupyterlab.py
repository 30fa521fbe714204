"""Every chapter runs in a real JupyterLab in a real browser, as a learner runs it."""

from __future__ import annotations

import uuid
from pathlib import Path

import nbformat
import psutil
import pytest

from mpbook import _processes

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))
KERNEL_READY_TIMEOUT_MS = 120_000  # a kernel starts in ~2 s; a cold CI machine is slower
# The slowest chapter takes ~60 s under nbval, ~35 s in the browser; 7x for a busy machine. Below
# pytest's own 600 s timeout, so a slow chapter fails with the list of cells that had not run.
RUN_ALL_TIMEOUT_MS = 420_000

KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""

# Done when every code cell ran, or when Run All stopped at an error in a cell not tagged
# raises-exception (JupyterLab runs no further cell then: waiting longer would only time out).
ALL_EXECUTED = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session.kernel;
  if (k.status !== 'idle') return false;
  const cells = w.content.model.cells;
  let pending = false;
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    const tags = c.getMetadata('tags') || [];
    const failed = c.outputs.toJSON().some(o => o.output_type === 'error');
    if (failed && !tags.includes('raises-exception') && c.executionCount) return true;
    if (c.sharedModel.getSource().trim() && !c.executionCount) pending = true;
  }
  return !pending;
}"""

NONE_EXECUTED = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type === 'code' && c.executionCount) return false;
  }
  return true;
}"""

CELLS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const cells = w.content.model.cells;
  const found = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    const outputs = c.outputs.toJSON();
    found.push({
      index: i,
      count: c.executionCount,
      tags: c.getMetadata('tags') || [],
      errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
      text: outputs.map(o => o.text || (o.data && o.data['text/plain']) || '').join(''),
    });
  }
  return {kernel: w.sessionContext.session.kernel.id, cells: found};
}"""


def open_notebook(page, lab, path: str) -> None:
    """Open a notebook in JupyterLab and wait until its kernel is idle."""
    base, _root, token = lab
    # A workspace of its own, reset: JupyterLab would otherwise reopen the previous test's tabs.
    workspace = f"e2e-{uuid.uuid4().hex[:8]}"
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{path}?reset&token={token}")
    page.wait_for_function(KERNEL_IDLE, timeout=KERNEL_READY_TIMEOUT_MS)


def run_all(page) -> dict:
    """Run every cell with JupyterLab's own command; return the cells' counts, tags, errors and text."""
    # The stored chapter has execution counts already: clear them, so a count means "ran now".
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.wait_for_function(NONE_EXECUTED, timeout=KERNEL_READY_TIMEOUT_MS)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_timeout(1000)  # let the first cell get queued before testing for idle
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # only `make e2e` installs it

    try:
        page.wait_for_function(ALL_EXECUTED, timeout=RUN_ALL_TIMEOUT_MS, polling=1000)
    except PlaywrightTimeoutError:
        cells = page.evaluate(CELLS)["cells"]
        pending = [c["index"] for c in cells if not c["count"]]
        pytest.fail(
            f"Run All had not finished after {RUN_ALL_TIMEOUT_MS // 1000} s; cells not run yet: {pending}"
        )
    return page.evaluate(CELLS)


def kernel_children(kernel_id: str) -> list[psutil.Process]:
    """Return the live processes the kernel started, multiprocessing's helpers excluded."""
    for process in psutil.process_iter(["cmdline"]):
        if any(kernel_id in part for part in process.info["cmdline"] or []):
            return _processes.leftover_children(process)
    return []


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_in_the_browser(lab, page, artifacts, chapter):
    """Run All in JupyterLab executes every cell; only cells tagged raises-exception show an error; nothing keeps running."""
    open_notebook(page, lab, f"notebooks/{chapter}")
    result = run_all(page)
    page.screenshot(path=str(artifacts / f"{Path(chapter).stem}.png"))
    unexpected = [
        (cell["index"], cell["errors"])
        for cell in result["cells"]
        if cell["errors"] and "raises-exception" not in cell["tags"]
    ]
    assert not unexpected, f"{chapter}: cells with an unexpected error: {unexpected}"
    tagged_without_error = [
        c["index"] for c in result["cells"] if "raises-exception" in c["tags"] and not c["errors"]
    ]
    assert not tagged_without_error, (
        f"{chapter}: cells tagged raises-exception that did not raise: {tagged_without_error}"
    )
    page.wait_for_timeout(2000)  # pools shut down asynchronously after their last result
    left = kernel_children(result["kernel"])
    assert not left, f"{chapter}: still running after the chapter: {[p.cmdline() for p in left]}"


def test_check_cells_show_their_report(lab, page):
    """A check("ex01") cell says in one line that an untouched exercise is not started (the report of a begun one: below)."""
    open_notebook(page, lab, "notebooks/01-basics.ipynb")
    result = run_all(page)
    lines = [c["text"] for c in result["cells"] if "ex01 not started" in c["text"]]
    assert lines, "no 'ex01 not started' line found in chapter 01"
    assert "exercises/ex01_start_and_join.py" in lines[0], lines[0][:500]
    assert "score" not in lines[0], lines[0][:500]


def test_a_hanging_exercise_does_not_freeze_the_kernel(lab, page, artifacts):
    """A deadlocking answer is reported as a timeout by check(), and the kernel answers the next cell."""
    _base, root, _token = lab
    exercises = root / "exercises"
    exercises.mkdir(exist_ok=True)
    (exercises / "ex01_start_and_join.py").write_text(
        "import time\n\n\ndef start_and_join(durations):\n    time.sleep(3600)  # a deadlock, as far as anyone can tell\n"
    )
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell('import mpbook\nmpbook.check("ex01")'),
        nbformat.v4.new_code_cell("print('the kernel answers:', 1 + 1)"),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, root / "notebooks" / "hang.ipynb")
    open_notebook(page, lab, "notebooks/hang.ipynb")
    result = run_all(page)
    page.screenshot(path=str(artifacts / "hanging-exercise.png"))
    report, answer = result["cells"][0]["text"], result["cells"][1]["text"]
    assert "TIMEOUT" in report, report[:800]
    assert "Usual causes" in report
    assert "the kernel answers: 2" in answer
    assert not kernel_children(result["kernel"]), "the hanging exercise left processes behind"


def explorer_image(page) -> str:
    """Return the src of the explorer's timeline image ('' while there is none)."""
    images = page.locator(".jupyter-widgets img")
    return images.first.get_attribute("src") if images.count() else ""


def test_explorer_widget_renders_and_responds(lab, page, artifacts):
    """The pool explorer renders in the browser; moving a slider re-runs the pool and redraws the timeline."""
    _base, root, _token = lab
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import multiprocessing as mp\nimport mpbook\nfrom mpbook.widgets import explorer\n\n"
            "mp.set_start_method(mpbook.start_method(), force=True)\n"
            "explorer(tasks=8, size=2000, chunksize=1, auto_run=True)"
        ),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, root / "notebooks" / "explorer.ipynb")
    open_notebook(page, lab, "notebooks/explorer.ipynb")
    run_all(page)
    page.wait_for_function(
        '() => !!document.querySelector(\'.jupyter-widgets img[src^="blob:"], .jupyter-widgets img[src^="data:"]\')',
        timeout=RUN_ALL_TIMEOUT_MS,
    )
    assert page.locator(".jupyter-widgets .widget-slider").count() >= 4, (
        "the explorer's sliders did not render"
    )
    before = explorer_image(page)
    handle = page.locator(".widget-slider", has_text="chunksize").locator(".noUi-handle").first
    handle.focus()
    handle.press("ArrowRight")  # chunksize 1 -> 2; sent on release, like a mouse drag
    page.wait_for_function(
        "(before) => { const i = document.querySelector('.jupyter-widgets img'); return i && i.src !== before; }",
        arg=before,
        timeout=RUN_ALL_TIMEOUT_MS,
    )
    page.screenshot(path=str(artifacts / "explorer-widget.png"))
    assert explorer_image(page) != before
