"""What a failed check tells the student: the check, the input, expected vs returned, a hint."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np


def describe(value: object, limit: int = 300) -> str:
    """A short, readable description of a value, with dtype and shape for arrays and tensors."""
    if isinstance(value, np.ndarray) and type(value) is np.ndarray:
        text = f"array({_array_text(value)}) (dtype {value.dtype}, shape {value.shape})"
    elif isinstance(value, np.generic):
        text = f"{value.item()!r} ({value.dtype})"
    elif isinstance(value, float):
        text = repr(value)
    else:
        try:
            import torch

            if type(value) is torch.Tensor:
                body = _array_text(value.detach().cpu().numpy())
                return f"tensor({body}) (dtype {value.dtype}, shape {tuple(value.shape)})"
        except ImportError:  # pragma: no cover - torch is always installed in this course
            pass
        text = f"{type(value).__name__}: {value!r}" if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _array_text(array: np.ndarray) -> str:
    """The array as NumPy prints it (17 digits, at most 20 entries shown)."""
    if array.dtype.kind in "biuf" and array.size <= 65536:
        # the same inputs are described for every submission of a batch: remember by content
        return _numeric_array_text(array.dtype.str, array.shape, array.tobytes())
    return _print(array)


@functools.lru_cache(maxsize=2048)
def _numeric_array_text(dtype: str, shape: tuple[int, ...], data: bytes) -> str:
    return _print(np.frombuffer(data, dtype=dtype).reshape(shape))


def _print(array: np.ndarray) -> str:
    with np.printoptions(precision=17, threshold=20, edgeitems=3):
        return np.array2string(array, separator=", ")


@dataclass(frozen=True)
class Failure:
    """Why one check failed, in terms a student can act on."""

    check: str
    problem: str
    input: str = ""
    expected: str = ""
    returned: str = ""
    hint: str = ""

    def render(self, title: str) -> str:
        lines = [f"FAILED {title}", f"  check:    {self.check}", f"  problem:  {self.problem}"]
        for label, text in (
            ("input", self.input),
            ("expected", self.expected),
            ("returned", self.returned),
            ("hint", self.hint),
        ):
            if text:
                lines.append(f"  {label + ':':<9} {text}")
        return "\n".join(lines)


class CheckFailed(AssertionError):
    """Raised by a notebook's check cell when the student's answer fails a graded item.

    nbgrader scores a test cell 0 when it raises; the message is the readable report. IPython
    shows an exception through its ``_render_traceback_`` when it has one, so the cell's error
    output (and nbgrader's Validate dialog, which lists it) is the report alone: no traceback
    frame of the grader's code, and the report shown once.
    """

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()
