"""The built book in a real browser: headless Debian Chromium, driven by Playwright.

The site is served on 127.0.0.1 from the session's fresh build. For every page of the table of
contents it checks that the page loads without a console error, that no request leaves
127.0.0.1, that the math is typeset, that every image loaded, that every internal link and
anchor resolves, and that axe-core finds no serious or critical WCAG 2.1 A/AA violation. It
saves a screenshot of each chapter under ``_build/screenshots/`` and searches the site offline
for a term of each chapter.

Without ``/usr/bin/chromium`` these tests skip, except with ``CI=true``, where a missing
browser is a failure (``.ci/run`` installs it).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import pytest
import yaml

from conftest import ROOT, Build
from test_toc import toc_entries

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the networking flags Chromium tries to reach Google's services at start.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGES = ["book/intro", *[p for p in toc_entries(yaml.safe_load((ROOT / "_toc.yml").read_text()))
                         if p != "book/intro"]]
CHAPTERS = [p for p in PAGES if p.startswith("book/ch")]
# A term from each chapter that the other chapters do not explain, for the offline search.
SEARCH_TERMS = {"book/ch01_activation_functions": "Heaviside",
                "book/ch02_relu": "subgradient",
                "book/ch03_vanishing": "Glorot",
                "book/ch04_variants": "Hardswish",
                "book/ch05_pitfalls": "warm-up"}
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_JS = None


def axe_source() -> str:
    """axe-core's script, as shipped inside the pinned axe-playwright-python package."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


@pytest.fixture(scope="module")
def site(built_book: Build) -> Iterator[str]:
    """The built HTML served on 127.0.0.1 (an ephemeral port); yields the base URL."""
    assert built_book.returncode == 0, built_book.output[-3000:]
    handler = functools.partial(_QuietHandler, directory=str(built_book.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium for the module (skipped, or failed under CI, when missing)."""
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM}: install Debian's chromium package"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (.ci/run does this with CI=true)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=FLAGS)
        yield instance
        instance.close()


class Visit:
    """One page opened in the browser, with what happened while it loaded."""

    def __init__(self, browser, base: str, page_path: str) -> None:  # noqa: ANN001
        self.url = urljoin(base, page_path + ".html")
        self.base_host = urlparse(base).netloc
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.route("**/*", self._route)
        self.page.goto(self.url, wait_until="load")
        self.page.wait_for_function(
            "() => !window.MathJax || !MathJax.startup || !MathJax.startup.promise"
            " || MathJax.startup.promise.then(() => true)")
        self.page.wait_for_load_state("networkidle")

    def _console(self, message) -> None:  # noqa: ANN001
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def _route(self, route) -> None:  # noqa: ANN001
        parsed = urlparse(route.request.url)
        if parsed.scheme in ("http", "https") and parsed.netloc != self.base_host:
            self.outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def visits(browser, site: str) -> Iterator[dict[str, Visit]]:  # noqa: ANN001
    """Every toc page, loaded once and kept open for the checks below."""
    opened = {page: Visit(browser, site, page) for page in PAGES}
    yield opened
    for visit in opened.values():
        visit.close()


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_errors_and_stays_on_this_machine(visits, page: str):
    visit = visits[page]
    assert not visit.errors, visit.errors
    assert not visit.outside, f"requests that left 127.0.0.1: {visit.outside}"
    assert not visit.failed, f"requests that failed: {visit.failed}"


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset(visits, page: str):
    """Where a page has math, MathJax rendered it, and no raw TeX is left in the text."""
    p = visits[page].page
    sources = p.locator("main span.math, main div.math").count()
    if sources:
        assert p.locator("main mjx-container").count() >= sources
    raw = p.evaluate("""() => {
        const main = document.querySelector('main').cloneNode(true);
        main.querySelectorAll('pre, code, mjx-container, script, .cell_input, .cell_output')
            .forEach(e => e.remove());
        const text = main.innerText;
        return ['\\\\(', '\\\\[', '$\\\\', '\\\\frac', '\\\\text{', '\\\\operatorname']
            .filter(t => text.includes(t));
    }""")
    assert not raw, f"raw TeX left in the text of {page}: {raw}"


@pytest.mark.parametrize("page", PAGES)
def test_every_image_loaded(visits, page: str):
    broken = visits[page].page.evaluate(
        "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
        ".map(i => i.src)")
    assert not broken, f"images that did not load: {broken}"


@pytest.mark.parametrize("page", PAGES)
def test_every_internal_link_and_anchor_resolves(visits, built_book: Build, site: str,
                                                 page: str):
    visit = visits[page]
    hrefs = visit.page.evaluate("() => [...document.querySelectorAll('a[href]')]"
                                ".map(a => a.href)")
    missing = []
    ids_of: dict[Path, set[str]] = {}
    for href in hrefs:
        if not href.startswith(site):
            continue
        target, fragment = urldefrag(href)
        path = built_book.html / unquote(urlparse(target).path).lstrip("/")
        if path.is_dir():
            path = path / "index.html"
        if not path.exists():
            missing.append(href)
            continue
        if fragment and path.suffix == ".html":
            if path not in ids_of:
                ids_of[path] = _ids(path)
            if unquote(fragment) not in ids_of[path]:
                missing.append(href)
    assert not missing, f"links from {page} that do not resolve: {sorted(set(missing))}"


def _ids(path: Path) -> set[str]:
    from bs4 import BeautifulSoup

    html = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return ({e["id"] for e in html.find_all(id=True)}
            | {e["name"] for e in html.find_all(attrs={"name": True})})


@pytest.mark.parametrize("page", PAGES)
def test_no_serious_accessibility_violation(visits, page: str):
    """axe-core, WCAG 2.1 A and AA rules: nothing of impact "serious" or "critical"."""
    global AXE_JS
    AXE_JS = AXE_JS or axe_source()
    p = visits[page].page
    p.evaluate(AXE_JS)
    result = p.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                        WCAG)
    bad = [f"{v['id']} ({v['impact']}): {v['help']}; e.g. {v['nodes'][0]['target']}"
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_screenshot_is_saved(visits, page: str):
    """A full-page picture of each chapter for people to look at, in _build/screenshots/."""
    folder = ROOT / "_build" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{Path(page).name}.png"
    visits[page].page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 50_000


@pytest.mark.parametrize("page", CHAPTERS)
def test_offline_search_finds_each_chapter(browser, site: str, page: str):  # noqa: ANN001
    """Sphinx's search runs in the browser from searchindex.js, with no server behind it."""
    term = SEARCH_TERMS[page]
    visit = Visit(browser, site, "search")
    try:
        p = visit.page
        p.goto(urljoin(site, f"search.html?q={term}"), wait_until="load")
        p.wait_for_selector("#search-results ul.search li", timeout=20_000)
        links = p.evaluate("() => [...document.querySelectorAll('#search-results a')]"
                           ".map(a => a.getAttribute('href'))")
        assert any(page + ".html" in (link or "") for link in links), (term, links)
        assert not visit.outside
    finally:
        visit.close()
