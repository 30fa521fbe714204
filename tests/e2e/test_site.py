"""The book's website (`make site`) in a real browser: every page loads with its images and no console
errors, every internal link resolves, search finds a chapter's words, challenge solutions stay folded.

Run with `make site-test` (builds the site, then runs this with MPBOOK_E2E=1 and MPBOOK_SITE_TEST=1).
Under `make e2e` alone it runs if site/_build/html exists and is skipped otherwise.
Needs Debian's chromium and the playwright package (see conftest.py), never `playwright install`.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
import urllib.request
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "site" / "_build" / "html"
CHAPTERS = sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))
# Every page a reader reaches from the navigation, besides the chapters.
OTHER_PAGES = [
    "index.html",
    "run-it-yourself.html",
    "notebooks/glossary.html",
    "notebooks/cheatsheet.html",
    "exercises/README.html",
]
PAGE_TIMEOUT_MS = 60_000  # a page loads in well under a second here; a busy CI machine is slower
SEARCH_TERMS = ["sentinel", "chunksize"]


@pytest.fixture(scope="module", autouse=True)
def built_site() -> Path:
    if not (SITE / "index.html").is_file():
        if os.environ.get("MPBOOK_SITE_TEST") == "1":
            pytest.fail(f"no site in {SITE}: `make site` did not build it")
        pytest.skip("the website is not built: `make site-test` builds and tests it")
    return SITE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site_url(built_site):
    """Serve site/_build/html on a free localhost port, from a thread, for the module's tests."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def page(browser, site_url):
    """A fresh page that records console errors, uncaught exceptions, failed requests and other hosts."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []

    def on_console(message):
        if message.type == "error":
            problems.append(f"console error: {message.text} ({message.location.get('url')})")

    def on_response(response):
        if response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    def on_request(request):
        if not request.url.startswith((site_url, "data:")):
            problems.append(f"other host: {request.url}")  # the site must need nothing from elsewhere

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url} ({request.failure})"))
    page.on("response", on_response)
    page.on("request", on_request)
    page.problems = problems
    yield page
    context.close()


def _open(page, url: str) -> None:
    response = page.goto(url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
    assert response is not None
    assert response.ok, f"{url}: HTTP {response.status}"
    # Images below the fold may still be decoding at "load": wait until each has finished, one way or another.
    page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=PAGE_TIMEOUT_MS)


def _stored_pngs(chapter: str) -> int:
    notebook = nbformat.read(REPO / "notebooks" / f"{chapter}.ipynb", as_version=4)
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def _folded_solutions(chapter: str) -> int:
    notebook = nbformat.read(REPO / "notebooks" / f"{chapter}.ipynb", as_version=4)
    return sum(cell.source.count("<details") for cell in notebook.cells if cell.cell_type == "markdown")


def test_every_chapter_has_a_page(built_site):
    built = sorted(p.stem for p in (built_site / "notebooks").glob("[0-9][0-9]-*.html"))
    assert built == CHAPTERS, "the site is older than the chapters: run `make site`"


@pytest.mark.parametrize("path", [f"notebooks/{c}.html" for c in CHAPTERS] + OTHER_PAGES)
def test_page_loads_with_its_images(page, site_url, path):
    _open(page, site_url + path)
    assert page.locator("main h1").count() >= 1, f"{path}: no title"
    images = page.evaluate(
        "Array.from(document.images).map(i => ({src: i.getAttribute('src'), width: i.naturalWidth}))"
    )
    broken = [image["src"] for image in images if image["width"] == 0]
    assert not broken, f"{path}: images that did not load: {broken}"
    if path.startswith("notebooks/") and Path(path).stem in CHAPTERS:
        # Every plot stored in the chapter is on its page (widgets' snapshots may add more).
        shown = page.locator(".cell_output img").count()
        assert shown >= _stored_pngs(Path(path).stem), f"{path}: {shown} plots shown"
    assert not page.problems, f"{path}:\n" + "\n".join(page.problems)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"])
        if tag in ("link", "script", "img") and (attributes.get("href") or attributes.get("src")):
            self.hrefs.append(attributes.get("href") or attributes["src"])


def _fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read()


def test_every_internal_link_resolves(site_url):
    """Crawl from the home page: every page, anchor, stylesheet, script and image linked from the site exists."""
    pages: dict[str, _Links] = {}
    queue = deque([site_url + "index.html"])
    missing: list[str] = []
    linked_anchors: list[tuple[str, str, str]] = []
    while queue:
        url = queue.popleft()
        if url in pages:
            continue
        try:
            _status, body = _fetch(url)
        except OSError as exc:
            missing.append(f"{url}: {exc}")
            pages[url] = _Links()
            continue
        links = _Links()
        if url.endswith(".html"):
            links.feed(body.decode("utf-8"))
        pages[url] = links
        for href in links.hrefs:
            target, fragment = urldefrag(urljoin(url, href))
            if not target.startswith(site_url):
                continue  # another host: none is linked from the book's pages except the repository
            target = target.split("?")[0]
            if fragment and target.endswith(".html"):
                linked_anchors.append((url, target, unquote(fragment)))
            if target not in pages:
                queue.append(target)
    assert not missing, "links to files that do not exist:\n" + "\n".join(missing)
    bad_anchors = [
        f"{source} -> {target}#{anchor}"
        for source, target, anchor in linked_anchors
        if anchor not in pages[target].ids
    ]
    assert not bad_anchors, "links to anchors that do not exist:\n" + "\n".join(sorted(set(bad_anchors)))
    reached = {urlsplit(url).path.lstrip("/") for url in pages}
    unreached = [p for p in [f"notebooks/{c}.html" for c in CHAPTERS] + OTHER_PAGES if p not in reached]
    assert not unreached, f"pages no link leads to: {unreached}"


@pytest.mark.parametrize("term", SEARCH_TERMS)
def test_search_finds_a_chapter_term(page, site_url, term):
    page.goto(f"{site_url}search.html?q={term}", wait_until="load", timeout=PAGE_TIMEOUT_MS)
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=PAGE_TIMEOUT_MS)
    links = results.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any(re.search(r"notebooks/\d\d-[^/]*\.html", href or "") for href in links), links
    assert not page.problems, "\n".join(page.problems)


def test_solutions_are_folded(page, site_url, artifacts):
    """Each chapter's challenge solutions are closed `<details>` until clicked; a screenshot for a human."""
    chapter = next(c for c in CHAPTERS if _folded_solutions(c))
    _open(page, f"{site_url}notebooks/{chapter}.html")
    details = page.locator("main details")
    assert details.count() == _folded_solutions(chapter)
    first = details.first
    assert first.evaluate("d => d.open") is False
    hidden = first.locator("pre, p").first
    assert not hidden.is_visible(), "a solution is shown before its summary was clicked"
    first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"site-{chapter}-folded.png"))
    first.locator("summary").click()
    assert first.evaluate("d => d.open") is True
    assert hidden.is_visible()
    page.screenshot(path=str(artifacts / f"site-{chapter}-opened.png"))
    assert not page.problems, "\n".join(page.problems)


@pytest.mark.parametrize("chapter", [c for c in CHAPTERS if _folded_solutions(c)])
def test_every_chapter_folds_its_solutions(built_site, chapter):
    """The HTML itself: as many closed `<details>` as the chapter has, none marked open."""
    text = (built_site / "notebooks" / f"{chapter}.html").read_text(encoding="utf-8")
    tags = re.findall(r"<details[^>]*>", text)
    assert len(tags) == _folded_solutions(chapter)
    assert not [tag for tag in tags if re.search(r"\bopen\b", tag)]
