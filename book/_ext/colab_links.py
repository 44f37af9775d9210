"""An "Open in Colab" launch button on every page that is a notebook (chapters, exercises).

Colab opens notebooks from GitHub only, and only ``.ipynb`` files. The chapters are MyST
Markdown files, so the theme's own Colab button (``launch_buttons.colab_url``) would point at a
``.md`` file Colab cannot read. Instead, the book's workflow publishes the notebooks a reader
downloads (each chapter as the built site offers it, each released exercise) to a branch of
the repository, ``colab_notebooks`` below points at that branch, and this extension adds a
Colab button that opens ``<colab_notebooks>/<page>.ipynb``.

Configuration (``sphinx.config`` in ``_config.yml``): ``colab_notebooks``, a URL such as
``https://colab.research.google.com/github/ORG/REPO/blob/BRANCH``; empty adds no button.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def colab_url(base: str, pagename: str, context: dict[str, Any]) -> str | None:
    """The Colab address of a page, or None when the page is not a notebook."""
    suffix = context.get("page_source_suffix", "")
    if not base or not (context.get("ipynb_source") or suffix == ".ipynb"):
        return None
    return f"{base.rstrip('/')}/{pagename}.ipynb"


def add_colab_button(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: object
) -> None:
    """Append the Colab button to the page's launch buttons (the theme's Binder group)."""
    url = colab_url(app.config.colab_notebooks, pagename, context)
    if url is None:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            group["buttons"].append(
                {
                    "type": "link",
                    "text": "Colab",
                    "tooltip": "Open this notebook in Google Colab",
                    "icon": "_static/images/logo_colab.png",
                    "url": url,
                }
            )


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("colab_notebooks", "", "html")
    # after sphinx_book_theme's add_launch_buttons (priority 501), which creates the group
    app.connect("html-page-context", add_colab_button, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
