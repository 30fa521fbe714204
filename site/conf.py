"""Sphinx configuration of the book's website. Build it with `make site` (tools/build_site.py), which gathers
the pages into site/_build/src and builds site/_build/html from the notebooks' stored outputs."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

REPO = Path(__file__).resolve().parent.parent

project = "Multiprocessing in Python"
author = "the mpbook authors"
copyright = "the mpbook authors"

extensions = ["myst_nb"]

root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# The chapters are shown as committed: `make notebooks` is what runs them, on a quiet machine.
nb_execution_mode = "off"
# Widgets are replaced by snapshots of their saved state when the pages are gathered (tools/build_site.py);
# no page loads require.js or the widget manager from a CDN.
nb_ipywidgets_js: dict = {}
# A cell's stored stderr (warnings the chapters show on purpose) is part of the lesson.
nb_output_stderr = "show"

# Headings up to ### get GitHub's anchors, so a link such as `glossary.md#...` works here as it does there.
myst_heading_anchors = 3
# No MyST syntax extensions: the chapters are plain Jupyter Markdown, and `$` in their prose is not maths.
# Their `<details>` blocks (the challenges' solutions) pass through as HTML, so they stay folded.
myst_enable_extensions: list[str] = []

# `make site` passes -W: every warning fails the build (a missing page or anchor, a page in no toctree).
# None is silenced today; add one here only with the reason it is harmless.
suppress_warnings: list[str] = []

html_theme = "sphinx_book_theme"
html_title = "Multiprocessing in Python"
html_last_updated_fmt = None
html_copy_source = True  # the theme's download button gives the .ipynb
html_show_sourcelink = False
html_static_path: list[str] = []
# Without an icon the browser asks for /favicon.ico, which is not there: a 404 in the console of every page.
html_favicon = "_static/favicon.svg"
# Light or dark as the reader's system prefers (left empty, the theme logs a console error).
html_context = {"default_mode": "auto"}
html_use_index = False  # the book has no index entries: no empty index page

# On GitHub Actions the fork's own repository gets a button in the header; elsewhere there is none.
_repository = os.environ.get("GITHUB_REPOSITORY")
_server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
    # The book's own files only: no fonts, icons or analytics from other hosts.
    "icon_links": [],
}
if _repository:
    html_theme_options.update(
        repository_url=f"{_server}/{_repository}",
        repository_branch=os.environ.get("GITHUB_REF_NAME", "main"),
        use_repository_button=True,
    )


class LinksOutOfTheBook(SphinxPostTransform):
    """A relative link to a file of the repository that is not a page here (`../solutions/`, `../src/...`).

    On GitHub Actions it goes to that file in the fork's repository; elsewhere its text stays, unlinked,
    since the site has no copy to link to. Runs just before MyST's own resolver (priority 9), which would
    otherwise warn about a missing target and fail the build.
    """

    default_priority = 8

    def run(self, **kwargs) -> None:
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") != "myst" or node.get("refdomain") == "doc":
                continue
            target = str(node.get("reftarget", "")).split("#")[0]
            if not target or "://" in target:
                continue
            folder = PurePosixPath(node.get("refdoc", self.env.docname)).parent
            parts: list[str] = []
            for part in (folder / target).parts:
                if part == "..":
                    if parts:
                        parts.pop()
                elif part != ".":
                    parts.append(part)
            path = "/".join(parts)
            if not path or not (REPO / path).exists():
                continue  # not a file of the book: MyST reports it
            if _repository:
                repository = html_theme_options["repository_url"]
                branch = html_theme_options["repository_branch"]
                link = nodes.reference("", "", internal=False, refuri=f"{repository}/tree/{branch}/{path}")
                link += node.children
                node.replace_self(link)
            else:
                node.replace_self(node.children)


def setup(app):
    app.add_post_transform(LinksOutOfTheBook)
