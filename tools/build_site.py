"""Build the book as a static website in site/_build/html, from the stored outputs: nothing is re-executed.

    python tools/build_site.py [sphinx-build options]      (`make site` runs this)

Sphinx reads its documents from one folder, so the pages are gathered into site/_build/src first: site/'s
own pages, the chapters and notebooks/*.md, and exercises/README.md, keeping their folders so the links
between them (`glossary.md`, `../notebooks/04-pool.ipynb`) resolve as they do on GitHub. Nothing there is
committed. The configuration is site/conf.py.

A widget cannot run without a kernel, and its JavaScript would come from a CDN, so each stored widget
output is replaced, in the gathered copy only, by a snapshot of its saved state: its text (a tqdm bar reads
"60/60"), the values of its controls and the images it showed. The chapters themselves are not touched,
and the pages' download button gives them as they are.

Warnings fail the build (-W): a link to a missing page or anchor, a page in no table of contents.
site/conf.py is where one would be silenced, with its reason; none is today.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
SITE = REPO / "site"
BUILD = SITE / "_build"
STAGE = BUILD / "src"
OUT = BUILD / "html"
DOCTREES = BUILD / "doctrees"

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def gather() -> None:
    """Copy the site's sources into STAGE, afresh: the whole site takes seconds, and no page outlives its source."""
    if BUILD.exists():
        shutil.rmtree(BUILD)
    (STAGE / "notebooks").mkdir(parents=True)
    (STAGE / "exercises").mkdir()
    for page in SITE.glob("*.md"):
        shutil.copy2(page, STAGE / page.name)
    for page in [*(REPO / "notebooks").glob("*.md"), *(REPO / "notebooks").glob("*.ipynb")]:
        shutil.copy2(page, STAGE / "notebooks" / page.name)
    shutil.copy2(REPO / "exercises" / "README.md", STAGE / "exercises" / "README.md")
    for notebook in STAGE.glob("notebooks/*.ipynb"):
        freeze_widgets(notebook)


def _plain(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).replace("\u200b", "").strip()


def _snapshot(model_id: str, state: dict, lines: list[str], images: list[str]) -> str:
    """Append the text lines and PNG images (base64) a widget showed; return its one-line text, if inline."""
    model = state.get(model_id.removeprefix("IPY_MODEL_"))
    if model is None:
        return ""
    name = model.get("model_name", "")
    values = model.get("state", {})
    description = values.get("description", "")
    label = f"{description}: " if description else ""
    if name in ("HBoxModel", "VBoxModel", "BoxModel", "GridBoxModel"):
        if name == "HBoxModel":
            parts = [_snapshot(child, state, lines, images) for child in values.get("children", [])]
            return " ".join(part for part in parts if part)
        for child in values.get("children", []):  # top to bottom: a child's own line before what it holds
            before = len(lines)
            part = _snapshot(child, state, lines, images)
            if part:
                lines.insert(before, part)
        return ""
    if name in ("HTMLModel", "LabelModel", "HTMLMathModel"):
        return _plain(values.get("value", ""))
    if name in ("FloatProgressModel", "IntProgressModel"):
        low, high, value = values.get("min", 0), values.get("max", 100), values.get("value", 0)
        filled = round(10 * (value - low) / (high - low)) if high > low else 10
        return label + "█" * filled + "·" * (10 - filled)
    if "_options_labels" in values:  # Dropdown, ToggleButtons, RadioButtons, Select
        index = values.get("index")
        options = values["_options_labels"]
        chosen = options[index] if isinstance(index, int) and 0 <= index < len(options) else ""
        return f"{label}{chosen}"
    if name.endswith(("SliderModel", "TextModel", "CheckboxModel")):  # IntText, FloatText and Text too
        return f"{label}{values.get('value', '')}"
    if name == "ImageModel":
        for buffer in model.get("buffers", []):
            if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64":
                images.append(buffer["data"])
        return ""
    if name == "OutputModel":
        for output in values.get("outputs", []):
            if output.get("output_type") == "stream":
                lines.extend(output.get("text", "").rstrip("\n").splitlines())
            data = output.get("data", {})
            if "image/png" in data:
                images.append(data["image/png"])
            elif "text/plain" in data:
                lines.extend(data["text/plain"].splitlines())
        return ""
    return ""  # buttons, layouts and styles show nothing worth keeping


def freeze_widgets(path: Path) -> None:
    """Replace every widget output of a notebook by a snapshot of its saved state (text and images)."""
    notebook = nbformat.read(path, as_version=4)
    state = notebook.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    changed = bool(state)
    for cell in notebook.cells:
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME not in data:
                outputs.append(output)
                continue
            lines: list[str] = []
            images: list[str] = []
            inline = _snapshot(data[WIDGET_MIME].get("model_id", ""), state, lines, images)
            text = "\n".join(([inline] if inline else []) + lines) or data.get("text/plain", "")
            # One output per part: a page shows only one MIME type of each output (an image over text).
            outputs.append(nbformat.v4.new_output("display_data", {"text/plain": text}))
            outputs.extend(nbformat.v4.new_output("display_data", {"image/png": image}) for image in images)
            changed = True
        if "outputs" in cell:
            cell.outputs = outputs
    if changed:
        nbformat.write(notebook, path)


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    gather()
    from sphinx.cmd.build import build_main

    options = ["-W", "--keep-going", "-q", "-b", "html", "-c", str(SITE), "-d", str(DOCTREES)]
    code = build_main([*options, str(STAGE), str(OUT), *argv])
    if code == 0:
        # The download button gives the chapter itself, widgets and all, not the copy with their snapshots.
        for notebook in (REPO / "notebooks").glob("*.ipynb"):
            shutil.copyfile(notebook, OUT / "_sources" / "notebooks" / notebook.name)
        print(f"site built in {time.perf_counter() - started:.0f} s: open {OUT / 'index.html'}")
    else:
        print(
            f"site build failed. The pages named above under {STAGE.relative_to(REPO)}/ are copies: fix the"
            " originals in notebooks/, exercises/README.md or site/ (a widget output is a snapshot).",
            file=sys.stderr,
        )
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
