"""bookkit.glue.glue publishes exactly what myst_nb.glue publishes, without importing nbformat."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import bookkit.glue
from bookkit.glue import GLUE_PREFIX, glue

BOOK = Path(bookkit.glue.__file__).resolve().parent.parent  # the directory that holds bookkit


def _published(fn, name, value, display):
    InteractiveShell.instance()
    with capture_output() as captured:
        fn(name, value, display=display)
    return [(out.data, out.metadata) for out in captured.outputs]


@pytest.mark.parametrize("display", [False, True])
@pytest.mark.parametrize("value", [0.125, 3, "better", [1, 2], float("nan")])
def test_same_output_as_myst_nb(value, display):
    from myst_nb import glue as myst_glue
    from myst_nb.ext.glue import GLUE_PREFIX as MYST_PREFIX

    assert GLUE_PREFIX == MYST_PREFIX
    ours = _published(glue, "ch00_x", value, display)
    theirs = _published(myst_glue, "ch00_x", value, display)
    assert ours == theirs and ours


def test_does_not_import_nbformat():
    code = (
        f"import sys; sys.path.insert(0, {str(BOOK)!r}); "
        "from IPython.core.interactiveshell import "
        "InteractiveShell; InteractiveShell.instance(); from bookkit.glue import glue; "
        "glue('x', 1.0, display=False); print('nbformat' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "False"
