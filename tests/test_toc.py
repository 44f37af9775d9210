"""The table of contents and the files under book/ agree."""

from __future__ import annotations

from pathlib import Path

import yaml

from conftest import ROOT

PAGE_SUFFIXES = (".md", ".ipynb")
NOT_PAGES = ("book/_vendor", "book/_static", "book/bookkit")


def toc_entries(node: object) -> list[str]:
    """Every ``file:`` and ``root:`` entry of a jb-book table of contents, in order."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root"):
                found.append(value)
            else:
                found.extend(toc_entries(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(toc_entries(item))
    return found


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
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    missing = [e for e in toc_entries(toc) if entry_file(e) is None]
    assert not missing, f"_toc.yml lists pages that do not exist: {missing}"


def test_toc_lists_each_page_once():
    entries = toc_entries(yaml.safe_load((ROOT / "_toc.yml").read_text()))
    assert len(entries) == len(set(entries)), f"duplicate entries in _toc.yml: {entries}"


def test_every_page_under_book_is_in_the_toc():
    entries = set(toc_entries(yaml.safe_load((ROOT / "_toc.yml").read_text())))
    orphans = sorted(book_pages() - entries)
    assert not orphans, f"pages under book/ missing from _toc.yml: {orphans}"


def test_toc_entries_walks_nested_sections():
    toc = {"root": "a", "parts": [{"chapters": [{"file": "b", "sections": [{"file": "c"}]}]}]}
    assert toc_entries(toc) == ["a", "b", "c"]
