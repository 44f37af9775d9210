"""The built book in a real browser: headless Debian Chromium, driven by Playwright.

The session's fresh build is served on 127.0.0.1. Every page a reader reaches (the front page,
each page of the table of contents, the index and the search page) must load with no console
or page error and no request leaving 127.0.0.1, show its math typeset by MathJax with no raw
TeX left, load every image, have every internal link and anchor resolve, and pass axe-core's
WCAG 2.1 A/AA rules with no "serious" or "critical" violation. A full-page screenshot of each
chapter is saved under ``_build/screenshots/``, and Sphinx's search finds each chapter offline.

Without Debian's chromium (``/usr/bin/chromium``) these tests skip, except with ``CI=true``,
where a missing browser fails them (``.ci/run`` installs it there).
"""

from __future__ import annotations

import functools
import http.server
import re
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, unquote, urldefrag, urljoin, urlparse

import axe_playwright_python
import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route

from support.book import Build
from support.paths import ROOT
from support.toc import toc_pages

VIEWPORT = {"width": 1280, "height": 900}
TOC_PAGES = toc_pages()
PAGES = [*TOC_PAGES, "genindex", "search"]
pytestmark = pytest.mark.slow
CHAPTERS = [p for p in TOC_PAGES if re.fullmatch(r"book/ch\d\d_\w+", p)]
# For each chapter, a word of its text that no other page of the course uses.
SEARCH_TERMS = {
    "book/ch01_activation_functions": "perceptron",
    "book/ch02_relu": "rectification",
    "book/ch03_vanishing": "momentum",
    "book/ch04_variants": "Hardswish",
    "book/ch05_pitfalls": "BatchNorm",
    "book/ch06_gated": "Shazeer",
}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("serious", "critical")
SCREENSHOTS = ROOT / "_build" / "screenshots"

# Resolves once MathJax has typeset the page (at once on a page without MathJax). Before
# MathJax's script runs, window.MathJax is only Sphinx's configuration object.
WAIT_FOR_MATHJAX = """async () => {
    const startup = window.MathJax && window.MathJax.startup;
    if (startup && startup.promise) await startup.promise;
}"""
# Math sources that MathJax left as they were, and the text a reader sees outside code cells,
# typeset math, scripts and styles (where TeX may legitimately appear).
UNTYPESET_MATH = """() => [...document.querySelectorAll('span.math, div.math')]
    .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.trim())"""
PROSE_TEXT = """() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll('pre, code, kbd, samp, .cell, mjx-container, script, style, noscript')
        .forEach(e => e.remove());
    return body.innerText;
}"""
RAW_TEX = re.compile(r"\\[()\[\]]|\$\$|\$[^\s$][^$\n]*\$|\\[A-Za-z]{2,}")
BROKEN_IMAGES = """() => [...document.images]
    .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.currentSrc || i.src)"""
RUN_AXE = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                     resultTypes: ['violations']})
    .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       targets: v.nodes.map(n => n.target.join(' '))})))"""


@functools.cache
def axe_script() -> str:
    """axe-core's script, as shipped inside the pinned axe-playwright-python package."""
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory without logging each request to stderr."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (an ephemeral port) in a thread; yield its base URL."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def stays_local(url: str, base: str) -> bool:
    """Whether loading ``url`` keeps the browser on the test server (or inside the page)."""
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about"):
        return True
    return parsed.scheme == "http" and parsed.netloc == urlparse(base).netloc


class Visit:
    """One page loaded in its own browser context, and what went wrong while it loaded.

    Every request that would leave the test server is aborted and recorded. ``problems`` is
    frozen once the page has loaded (at ``lands_on`` when the page redirects there) and MathJax
    has typeset it, so what the checks do with the page afterwards (axe-core fetches
    stylesheets again, for one) is not counted against it.
    """

    def __init__(self, browser: Browser, base: str, path: str, lands_on: str = "") -> None:
        self.base = base
        self.url = urljoin(base, path)
        self._seen: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORT, service_workers="block")
        self.page = self.context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self._seen.append(f"page error: {error}"))
        self.page.on("request", self._on_request)
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("websocket", lambda ws: self._seen.append(f"web socket to {ws.url}"))
        self.page.route("**/*", self._route)
        self.page.goto(self.url, wait_until="load")
        if lands_on:
            self.page.wait_for_url(urljoin(base, lands_on), wait_until="load")
        self.page.evaluate(WAIT_FOR_MATHJAX)
        self.page.wait_for_load_state("networkidle")
        self.problems = tuple(self._seen)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self._seen.append(f"console error: {message.text} ({where})")

    def _on_request(self, request: Request) -> None:
        if not stays_local(request.url, self.base):
            self._seen.append(f"request leaving 127.0.0.1: {request.url}")

    def _on_request_failed(self, request: Request) -> None:
        if stays_local(request.url, self.base):
            self._seen.append(f"request failed: {request.url} ({request.failure})")

    def _route(self, route: Route) -> None:
        if stays_local(route.request.url, self.base):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def close(self) -> None:
        self.context.close()


def math_problems(page: Page) -> list[str]:
    """Math that MathJax did not typeset, and TeX left raw in the text a reader sees."""
    problems = [f"not typeset: {source}" for source in page.evaluate(UNTYPESET_MATH)]
    for line in page.evaluate(PROSE_TEXT).splitlines():
        if RAW_TEX.search(line):
            problems.append(f"raw TeX in the text: {line.strip()}")
    return problems


def broken_images(page: Page) -> list[str]:
    """The images of the page that did not load."""
    return page.evaluate(BROKEN_IMAGES)


@functools.cache
def anchors(path: Path) -> frozenset[str]:
    """The ids and names a link's #fragment can point at in the HTML file ``path``."""
    html = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return frozenset(
        [e["id"] for e in html.find_all(id=True)]
        + [e["name"] for e in html.find_all(attrs={"name": True})]
    )


def unresolved_links(page: Page, base: str, root: Path) -> list[str]:
    """The page's links into the site, served from ``root``, whose file or anchor is missing."""
    missing = []
    for href in page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)"):
        if not href.startswith(base):
            continue
        target, fragment = urldefrag(href)
        path = root / unquote(urlparse(target).path).lstrip("/")
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            missing.append(f"{href}: no such file")
        elif fragment and path.suffix == ".html" and unquote(fragment) not in anchors(path):
            missing.append(f"{href}: no such anchor")
    return sorted(set(missing))


def axe_violations(page: Page) -> list[dict]:
    """axe-core's violations of the WCAG 2.1 A and AA rules on the page as it is now."""
    page.add_script_tag(content=axe_script())
    return page.evaluate(RUN_AXE, AXE_TAGS)


def failing(violations: list[dict]) -> list[str]:
    """The violations of impact serious or critical, one line each."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']}; at {v['targets'][:3]}"
        for v in violations
        if v["impact"] in FAILING_IMPACTS
    ]


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG image, from its header."""
    with path.open("rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


@pytest.fixture(scope="module")
def site(built_book: Build) -> Iterator[str]:
    """The session's build of the book served on 127.0.0.1; yields the base URL."""
    assert built_book.returncode == 0, built_book.output[-3000:]
    with serve(built_book.html) as base:
        yield base


@pytest.fixture(scope="module")
def visits(browser: Browser, site: str) -> Iterator[dict[str, Visit]]:
    """Every page a reader reaches, loaded once and kept open for the checks below."""
    opened: dict[str, Visit] = {}
    try:
        for page in PAGES:
            opened[page] = Visit(browser, site, f"{page}.html")
        yield opened
    finally:
        for visit in opened.values():
            visit.close()


def test_the_front_door_leads_to_the_front_page(browser: Browser, site: str) -> None:
    """The site's index.html sends the reader on to the book's first page."""
    visit = Visit(browser, site, "index.html", lands_on=f"{TOC_PAGES[0]}.html")
    try:
        assert visit.page.title(), "the front page has no title"
        assert not visit.problems, visit.problems
    finally:
        visit.close()


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_cleanly_from_this_machine_alone(visits: dict[str, Visit], page: str) -> None:
    """No console error, no page error, no failed request, no request away from 127.0.0.1."""
    assert not visits[page].problems, "\n".join(visits[page].problems)


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset(visits: dict[str, Visit], page: str) -> None:
    """Every math element holds MathJax's output, and no raw TeX is left in the prose."""
    problems = math_problems(visits[page].page)
    assert not problems, "\n".join(problems)


def test_math_pages_are_checked(visits: dict[str, Visit]) -> None:
    """The math check has math to look at: every chapter holds typeset formulas."""
    for chapter in CHAPTERS:
        assert visits[chapter].page.locator("span.math mjx-container").count() > 0, chapter


@pytest.mark.parametrize("page", PAGES)
def test_every_image_loaded(visits: dict[str, Visit], page: str) -> None:
    """Every <img> on the page is complete and has a width: none is missing or broken."""
    assert not broken_images(visits[page].page)


@pytest.mark.parametrize("page", PAGES)
def test_every_internal_link_and_anchor_resolves(
    visits: dict[str, Visit], built_book: Build, site: str, page: str
) -> None:
    """Each link into the site points at a served file and, with a #fragment, an anchor in it."""
    missing = unresolved_links(visits[page].page, site, built_book.html)
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("page", PAGES)
def test_no_serious_accessibility_violation(visits: dict[str, Visit], page: str) -> None:
    """axe-core finds no serious or critical violation of the WCAG 2.1 A and AA rules."""
    serious = failing(axe_violations(visits[page].page))
    assert not serious, "\n".join(serious)


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_screenshot_is_saved(visits: dict[str, Visit], page: str) -> None:
    """A full-page picture of each chapter, for people to look at, in _build/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{Path(page).name}.png"
    visits[page].page.screenshot(path=str(target), full_page=True)
    width, height = png_size(target)
    assert width == VIEWPORT["width"] and height > 3 * VIEWPORT["height"], (width, height)


@pytest.mark.parametrize("page", CHAPTERS)
def test_offline_search_finds_each_chapter(browser: Browser, site: str, page: str) -> None:
    """Sphinx's search runs in the browser on the served index and lists the chapter."""
    visit = Visit(browser, site, f"search.html?q={quote(SEARCH_TERMS[page])}")
    try:
        visit.page.wait_for_function(
            "() => document.querySelector('#search-results h2')?.textContent === 'Search Results'"
        )
        links = visit.page.evaluate(
            "() => [...document.querySelectorAll('#search-results ul.search a')]"
            ".map(a => a.getAttribute('href'))"
        )
        assert any(urldefrag(link)[0] == f"{page}.html" for link in links), links
        assert not visit.problems, visit.problems
    finally:
        visit.close()


BROKEN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Broken</title></head><body><main>
<h1>A page with one of each fault</h1>
<p>Raw TeX: $x^2$ and \\(y\\).</p>
<p><span class="math">\\(z\\)</span></p>
<img src="missing.png" alt="a picture that is not there">
<img src="https://example.org/remote.png" alt="a picture from another host">
<img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">
<a href="#nowhere">an anchor that is not there</a> <a href="gone.html">a page that is not there</a>
<script>console.error("boom");</script>
</main></body></html>
"""


def test_the_checks_catch_a_broken_page(browser: Browser, tmp_path: Path) -> None:
    """Each check above fails on a page made to break it, so a pass means something."""
    (tmp_path / "broken.html").write_text(BROKEN_PAGE, encoding="utf-8")
    with serve(tmp_path) as base:
        visit = Visit(browser, base, "broken.html")
        try:
            problems = "\n".join(visit.problems)
            assert "boom" in problems
            assert "missing.png" in problems  # the 404
            assert "request leaving 127.0.0.1: https://example.org/remote.png" in problems
            math = "\n".join(math_problems(visit.page))
            assert "not typeset: \\(z\\)" in math and "$x^2$" in math and "\\(y\\)" in math
            images = broken_images(visit.page)
            assert any(i.endswith("missing.png") for i in images)
            assert "https://example.org/remote.png" in images
            assert unresolved_links(visit.page, base, tmp_path) == [
                f"{base}broken.html#nowhere: no such anchor",
                f"{base}gone.html: no such file",
            ]
            assert any(
                v.startswith("image-alt (critical)") for v in failing(axe_violations(visit.page))
            )
        finally:
            visit.close()
