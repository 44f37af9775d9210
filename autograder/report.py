"""What a failed check tells the student: the check, the input, expected vs returned, a hint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def describe(value: object, limit: int = 300) -> str:
    """A short, readable description of a value, with dtype and shape for arrays and tensors."""
    if isinstance(value, np.ndarray) and type(value) is np.ndarray:
        with np.printoptions(precision=17, threshold=20, edgeitems=3):
            text = np.array2string(value, separator=", ")
        text = f"array({text}) (dtype {value.dtype}, shape {value.shape})"
    elif isinstance(value, np.generic):
        text = f"{value.item()!r} ({value.dtype})"
    elif isinstance(value, float):
        text = repr(value)
    else:
        try:
            import torch

            if type(value) is torch.Tensor:
                with np.printoptions(precision=17, threshold=20, edgeitems=3):
                    body = np.array2string(value.detach().cpu().numpy(), separator=", ")
                return f"tensor({body}) (dtype {value.dtype}, shape {tuple(value.shape)})"
        except ImportError:  # pragma: no cover - torch is always installed in this course
            pass
        text = f"{type(value).__name__}: {value!r}" if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
        for label, text in (("input", self.input), ("expected", self.expected),
                            ("returned", self.returned), ("hint", self.hint)):
            if text:
                lines.append(f"  {label + ':':<9} {text}")
        return "\n".join(lines)


class CheckFailed(AssertionError):
    """Raised by a notebook's check cell when the student's answer fails a graded item.

    nbgrader scores a test cell 0 when it raises; the message is the readable report.
    """
