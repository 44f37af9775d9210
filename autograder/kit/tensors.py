"""Items for PyTorch code: plain-data records of returned tensors and their comparison.

A probe turns every tensor it sees into :func:`tensor_record` (type, dtype, shape and a NumPy
copy of the values), so nothing but plain data leaves the student's process;
:func:`compare_tensors` applies the course's rules to two such records.
"""

from __future__ import annotations

import numpy as np
import torch

# Torch's autograd imports this module, and SymPy with it (0.5 to 2 s), the first time
# backward() or autograd.grad() receives an explicit gradient tensor. Importing it with the
# checks puts that cost in the notebook's import cell instead of a check cell's first call.
import torch.fx.experimental.symbolic_shapes  # noqa: F401 - imported for its cost only

from autograder.items import Probe
from autograder.kit.elementwise import first_mismatch
from autograder.report import Failure, describe


def tensor_record(t: object) -> Probe:
    """Plain data describing a returned tensor."""
    if type(t) is not torch.Tensor:
        return {"kind": type(t).__name__}
    return {
        "kind": "Tensor",
        "dtype": str(t.dtype).removeprefix("torch."),
        "shape": list(t.shape),
        "value": t.detach().cpu().numpy().copy(),
    }


def wrong_dtype_or_shape(
    label: str, call: str, got: Probe, expected: Probe, what: str, hint: str
) -> Failure | None:
    """The failure when two :func:`tensor_record` probes differ in dtype or shape, if they do."""
    for key in ("dtype", "shape"):
        if got[key] != expected[key]:
            return Failure(
                label,
                f"{what} has the wrong {key}",
                call,
                expected=f"{key} {expected[key]}",
                returned=f"{key} {got[key]}",
                hint=hint,
            )
    return None


def compare_tensors(
    label: str, call: str, x: np.ndarray, got: Probe, expected: Probe, what: str, hint: str
) -> Failure | None:
    """Compare two :func:`tensor_record` probes of an elementwise result for input ``x``."""
    if got["kind"] != "Tensor":
        return Failure(label, f"{what} has type {got['kind']}, not torch.Tensor", call, hint=hint)
    wrong = wrong_dtype_or_shape(label, call, got, expected, what, hint)
    if wrong is not None:
        return wrong
    x = np.asarray(x)
    index = first_mismatch(x, got["value"], expected["value"])
    if index is not None:
        where = f"{call}; first wrong entry at x = {describe(x.ravel()[index])} (index {index})"
        return Failure(
            label,
            f"wrong values in {what}",
            where,
            expected=describe(expected["value"].ravel()[index]),
            returned=describe(got["value"].ravel()[index]),
            hint=hint,
        )
    return None
