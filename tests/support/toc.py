"""The pages of the book's table of contents (``_toc.yml``), in reading order.

Entries are ``file:`` and ``root:`` (one page each) and ``glob:`` (every source page whose
name, without its suffix, matches the pattern, sorted, as sphinx-external-toc expands it: not
the page whose toctree holds the glob, nor a page an earlier glob of that page's toctrees
matched). Source pages are the ``.md`` and ``.ipynb`` files that ``_config.yml``'s
``exclude_patterns`` do not exclude.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import yaml
from sphinx.util.matching import Matcher, patfilter

from support.paths import ROOT

PAGE_SUFFIXES = (".md", ".ipynb")
# never walked: the environment, build output and version control
SKIPPED_DIRS = {".venv", "_build", ".git", "node_modules", ".ipynb_checkpoints", "__pycache__"}


def source_pages(root: Path = ROOT) -> list[str]:
    """Every page Sphinx could find under ``root``: ``.md``/``.ipynb`` files, as names
    without suffix relative to ``root``, minus ``_config.yml``'s ``exclude_patterns``."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    excluded = Matcher(config.get("exclude_patterns", []))
    pages = []
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root)
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not excluded((rel / d).as_posix())]
        for name in files:
            path = (rel / name).as_posix()
            if path.endswith(PAGE_SUFFIXES) and not excluded(path):
                pages.append(path.rsplit(".", 1)[0])
    return sorted(pages)


def toc_entries(node: object, root: Path = ROOT) -> list[str]:
    """Every page of a jb-book table of contents (or of a part of one), in order: ``file:``
    and ``root:`` entries as written, ``glob:`` entries expanded against ``root``'s pages."""
    return _entries(node, root, own=None, taken=set())


def _entries(node: object, root: Path, own: str | None, taken: set[str]) -> list[str]:
    """``own`` is the page whose toctrees hold ``node``; ``taken``, what its globs matched."""
    found: list[str] = []
    if isinstance(node, list):
        for item in node:
            found.extend(_entries(item, root, own, taken))
    elif isinstance(node, dict):
        page = node.get("file") or node.get("root")
        if page is not None:
            found.append(page)
            own, taken = page, set()  # the entries below are this page's toctrees
        if "glob" in node:
            matches = sorted(patfilter(_pages(root), node["glob"]))
            pages = [p for p in matches if p != own and p not in taken]
            taken.update(pages)
            found.extend(pages)
        for key, value in node.items():
            if key not in ("file", "root", "glob"):
                found.extend(_entries(value, root, own, taken))
    return found


@cache
def _pages(root: Path) -> tuple[str, ...]:
    return tuple(source_pages(root))


def toc_pages(root: Path = ROOT) -> list[str]:
    """The pages ``root/_toc.yml`` lists, in reading order."""
    return toc_entries(yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8")), root)
