"""The table of contents and the files under book/ agree (``support.toc`` reads it)."""

from __future__ import annotations

from pathlib import Path

import yaml

from support.paths import ROOT
from support.toc import toc_entries, toc_pages

PAGE_SUFFIXES = (".md", ".ipynb")
NOT_PAGES = ("book/_vendor", "book/_static", "book/bookkit")


def entry_file(entry: str) -> Path | None:
    for suffix in PAGE_SUFFIXES:
        path = ROOT / f"{entry}{suffix}"
        if path.is_file():
            return path
    return None


def book_pages() -> set[str]:
    pages = set()
    for path in (ROOT / "book").rglob("*"):
        rel = path.relative_to(ROOT).as_posix()
        if path.suffix in PAGE_SUFFIXES and not rel.startswith(NOT_PAGES):
            if ".ipynb_checkpoints" not in rel:
                pages.add(rel.rsplit(".", 1)[0])
    return pages


def test_toc_is_a_jb_book_rooted_in_book():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    assert toc["format"] == "jb-book"
    assert toc["root"].startswith("book/")


def test_every_toc_entry_exists():
    missing = [e for e in toc_pages() if entry_file(e) is None]
    assert not missing, f"_toc.yml lists pages that do not exist: {missing}"


def test_toc_lists_each_page_once():
    entries = toc_pages()
    assert len(entries) == len(set(entries)), f"duplicate entries in _toc.yml: {entries}"


def test_every_page_under_book_is_in_the_toc():
    orphans = sorted(book_pages() - set(toc_pages()))
    assert not orphans, f"pages under book/ missing from _toc.yml: {orphans}"


def test_toc_entries_walks_nested_sections():
    toc = {"root": "a", "parts": [{"chapters": [{"file": "b", "sections": [{"file": "c"}]}]}]}
    assert toc_entries(toc) == ["a", "b", "c"]


def test_toc_entries_expands_globs_as_sphinx_external_toc_does(tmp_path: Path):
    """A ``glob:`` entry becomes the matching pages, sorted, without suffix; pages excluded by
    _config.yml, the page whose toctree holds the glob and pages an earlier glob of that page
    matched are left out."""
    (tmp_path / "_config.yml").write_text("exclude_patterns: [drafts]\n")
    pages = ["book/intro.md", "book/ch02_b.md", "book/ch01_a.ipynb", "book/zz_end.md"]
    for name in [*pages, "book/notes.txt", "drafts/ch09_draft.md", "ex/index.md", "ex/e1/e1.ipynb"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    toc = {
        "root": "book/intro",
        "parts": [
            {"chapters": [{"glob": "book/ch*"}, {"glob": "book/*"}, {"glob": "drafts/*"}]},
            {"chapters": [{"file": "ex/index", "sections": [{"glob": "ex/*/*"}]}]},
        ],
    }
    assert toc_entries(toc, tmp_path) == [
        "book/intro",
        "book/ch01_a",
        "book/ch02_b",
        "book/zz_end",
        "ex/index",
        "ex/e1/e1",
    ]
