"""``glue``: MyST-NB's ``myst_nb.glue``, without the two seconds its first call costs.

A chapter hands a value to its prose with ``glue(name, value, display=False)`` and shows it with
``{glue:text}`name```. MyST-NB's own ``glue`` lives in ``myst_nb.ext.glue``, which imports
``nbformat`` on first use; ``nbformat`` imports ``jsonschema``, which builds a URI grammar at
import time: about 2 s of CPU in every chapter's kernel, paid before the first number is glued.
The function below writes exactly the same display output (the tests compare the two), so
MyST-NB reads it as its own, and a chapter that uses it never imports ``nbformat``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GLUE_PREFIX", "glue"]

#: MyST-NB's ``myst_nb.ext.glue.GLUE_PREFIX``: the MIME-type prefix of a value glued unseen.
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Glue ``variable`` under ``name`` into the cell's outputs, as ``myst_nb.glue`` does.

    The value's display formats (its ``text/plain`` representation and any richer ones) are
    published with metadata ``{"scrapbook": {"name": name, "mime_prefix": ...}}``; with
    ``display=False`` every MIME type is prefixed by :data:`GLUE_PREFIX`, so the notebook does
    not show it but MyST-NB can paste it into the prose.
    """
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipy_display

    mimebundle, metadata = format_display_data(variable)
    mime_prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = dict(name=name, mime_prefix=mime_prefix)
    ipy_display({mime_prefix + k: v for k, v in mimebundle.items()}, raw=True, metadata=metadata)
