"""Every chapter meets the book's standard (COURSE_SPEC §3) in its source."""

from __future__ import annotations

import re

import pytest

from support.chapters import Chapter, chapters
from support.paths import ROOT

CHAPTERS = chapters()
ids = [c.name for c in CHAPTERS]


def test_there_are_chapters():
    assert CHAPTERS, "no chapter matches book/chNN_*.md"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids)
def test_chapter_has_a_jupytext_header_and_python_kernel(chapter: Chapter):
    meta = chapter.notebook.metadata
    assert meta["jupytext"]["text_representation"]["format_name"] == "myst"
    assert meta["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids)
def test_chapter_has_at_least_1500_words_of_prose(chapter: Chapter):
    assert chapter.word_count >= 1500, f"{chapter.name}: {chapter.word_count} words of prose"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids)
def test_chapter_has_four_captioned_figures_with_alt_text(chapter: Chapter):
    figures = chapter.figure_cells
    assert len(figures) >= 4, f"{chapter.name}: {len(figures)} figure cells"
    for cell in figures:
        options = cell.metadata["mystnb"]
        assert options["figure"].get("caption", "").strip(), cell.source[:80]
        assert options["figure"].get("name", "").startswith("fig-"), cell.source[:80]
        assert options.get("image", {}).get("alt", "").strip(), cell.source[:80]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids)
def test_chapter_cites_primary_sources(chapter: Chapter):
    keys = set(re.findall(r"\{cite:[pt]\}`([^`]+)`", chapter.prose))
    assert len({k.strip() for group in keys for k in group.split(",")}) >= 3


@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids)
def test_chapter_ends_with_summary_and_questions(chapter: Chapter):
    prose = chapter.prose
    assert re.search(r"^## Summary", prose, re.M), "no '## Summary' section"
    match = re.search(r"^## Conceptual questions\n(.*?)(?=^## |\Z)", prose, re.M | re.S)
    assert match, "no '## Conceptual questions' section"
    questions = re.findall(r"^\d+\. ", match.group(1), re.M)
    assert len(questions) >= 3, f"{len(questions)} numbered questions"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids)
def test_glued_numbers_are_computed_in_the_chapter(chapter: Chapter):
    """Every number shown with {glue:text} in prose is glued by one of the chapter's cells."""
    used = set(re.findall(r"\{glue(?::text|:any|)?\}`([A-Za-z0-9_]+)", chapter.prose))
    code = "\n".join(c.source for c in chapter.code_cells)
    glued = set(re.findall(r"glue\(\s*[\"']([A-Za-z0-9_]+)[\"']", code))
    assert used <= glued, f"{chapter.name} shows numbers nobody computes: {sorted(used - glued)}"


def test_front_matter_meets_the_prose_and_figure_standard():
    front = Chapter.load(ROOT / "book" / "intro.md")
    assert front.word_count >= 1500, f"{front.word_count} words of prose"
    assert len(front.figure_cells) >= 4
    for cell in front.figure_cells:
        assert cell.metadata["mystnb"].get("image", {}).get("alt", "").strip()
        assert cell.metadata["mystnb"]["figure"].get("caption", "").strip()
    for heading in (
        "## What the course covers",
        "## Who this is for",
        "## How the exercises work",
        "## How grading works",
        "## Notation",
    ):
        assert heading in front.prose
