"""Serve the course package's wheel at ``<site>/wheels/`` when the build has one.

``make book`` writes ``_build/site_extra/wheels/`` (the wheel of ``make wheel`` and a pip
find-links page) before it runs Jupyter Book. This extension adds ``_build/site_extra`` to
``html_extra_path`` only when that folder exists, so that a build without it (a plain
``jupyter-book build``, bench/build.py) still builds, without the wheels and without the warning
Sphinx gives for a missing ``html_extra_path`` entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

SITE_EXTRA = "_build/site_extra"  # relative to the book's root, where _config.yml is


def add_site_extra(app: Sphinx, config: Config) -> None:
    """Append the build-only folder to ``html_extra_path`` when it exists."""
    if (Path(app.confdir) / SITE_EXTRA).is_dir():
        config.html_extra_path = [*config.html_extra_path, SITE_EXTRA]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", add_site_extra)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
