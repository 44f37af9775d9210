"""The real book build: clean, warning-free, executed, self-contained, and strict about errors."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

from autograder.catalog import ASSIGNMENTS

from support.book import Build, make_book
from support.paths import ROOT, copy_tree
from support.toc import toc_pages

TOC_PAGES = toc_pages()
CHAPTERS = [p for p in TOC_PAGES if re.fullmatch(r"book/ch\d\d_\w+", p)]
pytestmark = pytest.mark.slow  # the whole book is built once, in a temporary copy
# Attributes through which a page makes the browser fetch something on its own.
FETCHING = [
    ("script", "src"),
    ("link", "href"),
    ("img", "src"),
    ("iframe", "src"),
    ("source", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("embed", "src"),
]


def is_remote(url: str) -> bool:
    return bool(urlparse(url).scheme in ("http", "https") or url.startswith("//"))


def pages(build: Build) -> list[Path]:
    return sorted(build.html.rglob("*.html"))


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_book_builds_with_zero_warnings(built_book: Build):
    assert built_book.returncode == 0, built_book.output[-5000:]
    assert "build succeeded" in built_book.output
    # Sphinx's and MyST-NB's messages ("file:line: WARNING: ..."), not the kernel's log lines.
    problems = [
        line
        for line in built_book.output.splitlines()
        if re.search(r"\b(WARNING|ERROR|CRITICAL): ", line)
    ]
    assert not problems, "\n".join(problems)


def test_make_book_says_which_file_to_open(built_book: Build):
    assert f"file://{built_book.tree}/_build/html/index.html" in built_book.output


@pytest.mark.parametrize("page", TOC_PAGES)
def test_every_toc_page_is_built(built_book: Build, page: str):
    assert (built_book.html / f"{page}.html").is_file()


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_page_shows_its_executed_figures(built_book: Build, page: str):
    html = soup(built_book.html / f"{page}.html")
    figures = html.select("figure")
    executed = [f for f in figures if f.img and f.img.get("src", "").startswith("../_images/")]
    assert len(executed) >= 4, f"{page}: {len(executed)} figures with an image from a cell"
    for fig in executed:
        assert fig.img.get("alt", "").strip(), f"{page}: figure without alt text"
        assert fig.figcaption and fig.figcaption.get_text(strip=True), f"{page}: no caption"
        assert (built_book.html / page).parent.joinpath(fig.img["src"]).resolve().is_file()


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_downloads_as_executed_ipynb(built_book: Build, page: str):
    html = (built_book.html / f"{page}.html").read_text(encoding="utf-8")
    assert f"_sources/{page}.ipynb" in html, "no .ipynb download link in the page header"
    notebook = nbformat.read(built_book.html / "_sources" / f"{page}.ipynb", as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook has no figures"
    assert not any(o.output_type == "error" for o in outputs)


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_has_repository_and_launch_buttons(built_book: Build, page: str):
    html = (built_book.html / f"{page}.html").read_text(encoding="utf-8")
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert f'href="{repo}"' in html, "no repository button"
    assert f"{repo}/issues" in html or f"{repo}/issues/new" in html, "no issues button"
    assert "mybinder.org/v2/gh/" in html, "no Binder launch button"


def test_no_page_loads_anything_from_another_host(built_book: Build):
    offenders = []
    for page in pages(built_book):
        for tag, attr in FETCHING:
            for el in soup(page).find_all(tag):
                url = el.get(attr, "")
                if tag == "link" and not set(el.get("rel", [])) & {
                    "stylesheet",
                    "preload",
                    "modulepreload",
                    "icon",
                    "prefetch",
                    "manifest",
                }:
                    continue
                if is_remote(url):
                    offenders.append(f"{page.relative_to(built_book.html)}: <{tag} {attr}={url}>")
    assert not offenders, "\n".join(offenders)


def test_no_stylesheet_imports_remote_fonts_or_css(built_book: Build):
    offenders = []
    for css in built_book.html.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", text) + re.findall(
            r"@import\s+['\"]([^'\"]+)", text
        ):
            if is_remote(url):
                offenders.append(f"{css.relative_to(built_book.html)}: {url}")
    assert not offenders, "\n".join(offenders)


def test_math_pages_load_the_local_mathjax(built_book: Build):
    math_pages = [p for p in pages(built_book) if 'class="math' in p.read_text(encoding="utf-8")]
    assert math_pages, "no page contains math"
    for page in math_pages:
        scripts = [s.get("src", "").split("?")[0] for s in soup(page).find_all("script")]
        mathjax = [s for s in scripts if s.endswith("mathjax/tex-chtml.js")]
        assert mathjax, f"{page.name} has math but does not load the local MathJax"
        assert (page.parent / mathjax[0]).resolve().is_file()
    fonts = built_book.html / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert len(list(fonts.glob("*.woff"))) > 10, "MathJax's fonts are not served with the book"


def test_vendored_mathjax_is_not_injected_into_every_page(built_book: Build):
    """Only tex-chtml.js is loaded; its components and fonts are fetched by MathJax on demand."""
    front = built_book.html / "book" / "intro.html"
    scripts = [s.get("src", "") for s in soup(front).find_all("script")]
    assert sum("mathjax/" in s for s in scripts) == 1, scripts


# Chapters broken in one way each: the block added after the title, and the warning (a
# regular expression) the build must print for that chapter.
BROKEN = {
    "cell-raises": (
        "\n```{code-cell} ipython3\n1 / 0\n```\n",
        r"WARNING: Executing notebook failed: CellExecutionError",
    ),
    "sphinx-warning": (
        "\nSee {ref}`a-label-that-does-not-exist`.\n",
        r"WARNING: undefined label",
    ),
    "cell-writes-stderr": (
        "\n```{code-cell} ipython3\nimport sys\nprint('oops', file=sys.stderr)\n```\n",
        r"WARNING: stderr was found in the cell outputs",
    ),
}


@pytest.fixture(scope="module")
def broken_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """``make book`` in a clean copy of the repository whose table of contents holds a page of
    prose and one short chapter per case of :data:`BROKEN`: the first chapter's header (its
    notebook metadata), a title, the broken block and a line of prose. The build's settings
    (_config.yml, the Makefile's flags) are the repository's; only the pages differ, so one
    build shows each case's warning, which ``-W`` turns into a failure."""
    tree = copy_tree(tmp_path_factory.mktemp("broken") / "repo")
    chapter = (ROOT / f"{CHAPTERS[0]}.md").read_text(encoding="utf-8")
    header = chapter[: chapter.index("\n---\n", 4) + len("\n---\n")]
    toc = ["format: jb-book", "root: book/broken", "chapters:"]
    (tree / "book" / "broken.md").write_text("# Broken chapters\n\nOne mistake per page.\n")
    for case, (block, _) in BROKEN.items():
        page = f"book/broken_{case.replace('-', '_')}"
        text = f"{header}\n# A chapter where the {case} case happens\n{block}\nSome prose.\n"
        (tree / f"{page}.md").write_text(text, encoding="utf-8")
        toc.append(f"  - file: {page}")
    (tree / "_toc.yml").write_text("\n".join(toc) + "\n", encoding="utf-8")
    return make_book(tree)


def test_make_book_fails_when_a_chapter_is_broken(broken_build: Build):
    assert broken_build.returncode != 0, broken_build.output[-3000:]
    assert "build succeeded" not in broken_build.output
    warned = [line for line in broken_build.output.splitlines() if "WARNING:" in line]
    pages = {f"book/broken_{case.replace('-', '_')}.md" for case in BROKEN}
    assert all(any(page in line for page in pages) for line in warned), (
        "a warning about a page that is not broken:\n" + "\n".join(warned)
    )


@pytest.mark.parametrize("case", list(BROKEN))
def test_make_book_fails_on_a_cell_error_or_a_warning(broken_build: Build, case: str):
    """The build prints the case's warning for its chapter (``-W`` makes any warning fail the
    build), and a failing cell's traceback."""
    page = f"book/broken_{case.replace('-', '_')}.md"
    pattern = re.compile(rf"{re.escape(page)}(:\d+)?: {BROKEN[case][1]}")
    assert pattern.search(broken_build.output), broken_build.output[-3000:]
    if case == "cell-raises":
        assert "ZeroDivisionError" in broken_build.output


def test_exercises_page_offers_each_student_notebook_as_released(built_book: Build):
    page = built_book.html / "book" / "exercises.html"
    links = [a["href"] for a in soup(page).find_all("a", href=True) if a["href"].endswith(".ipynb")]
    for assignment in ASSIGNMENTS:
        name = f"{assignment}.ipynb"
        found = [href for href in links if href.endswith(f"/{name}")]
        assert found, f"no download link for {name}"
        served = (page.parent / found[0]).resolve()
        committed = ROOT / "exercises" / assignment / name
        assert served.read_bytes() == committed.read_bytes()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercise_page_shows_the_notebook_unexecuted(built_book: Build, assignment: str):
    page = built_book.html / "exercises" / assignment / f"{assignment}.html"
    html = soup(page)
    assert "raise NotImplementedError()" in html.get_text()
    assert not html.select(".cell_output"), "a student notebook was executed"
    assert f"_sources/exercises/{assignment}/{assignment}.ipynb" in page.read_text()
