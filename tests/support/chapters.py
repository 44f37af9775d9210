"""Reading a chapter's MyST Markdown source: its prose, its code cells and their options."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from support.paths import ROOT

CHAPTER_GLOB = "book/ch[0-9][0-9]_*.md"


@dataclass(frozen=True)
class Chapter:
    path: Path
    notebook: nbformat.NotebookNode

    @classmethod
    def load(cls, path: Path) -> Chapter:
        return cls(path, jupytext.read(path))

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def prose(self) -> str:
        """The Markdown cells' text, without fenced blocks (code, directives' bodies stay)."""
        text = "\n".join(c.source for c in self.notebook.cells if c.cell_type == "markdown")
        return re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.S | re.M)

    @property
    def word_count(self) -> int:
        words = re.sub(
            r"\$\$.*?\$\$|\$[^$\n]*\$|\{[a-z:-]+\}`[^`]*`|\|[-|: ]+\|", " ", self.prose, flags=re.S
        )
        return len(re.findall(r"[A-Za-z][A-Za-z'’-]*", words))

    @property
    def code_cells(self) -> list[nbformat.NotebookNode]:
        return [c for c in self.notebook.cells if c.cell_type == "code"]

    @property
    def figure_cells(self) -> list[nbformat.NotebookNode]:
        return [c for c in self.code_cells if "figure" in c.metadata.get("mystnb", {})]


def chapters() -> list[Chapter]:
    return [Chapter.load(p) for p in sorted(ROOT.glob(CHAPTER_GLOB))]
