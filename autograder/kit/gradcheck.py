"""The gradcheck probe: ``torch.autograd.gradcheck`` on a function, its failure as feedback."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from autograder.items import format_error


def gradcheck_probe(fn: Callable[[torch.Tensor], torch.Tensor], away: object) -> bool | str:
    """``True`` when ``fn``'s backward agrees with finite differences at the float64 point
    ``away`` (chosen away from kinks), else the error message, cut to 300 characters."""
    point = torch.from_numpy(np.array(away)).requires_grad_(True)
    try:
        return bool(torch.autograd.gradcheck(fn, (point,), raise_exception=True))
    except Exception as exc:  # noqa: BLE001 - the message is the feedback
        return format_error(exc)[:300]
