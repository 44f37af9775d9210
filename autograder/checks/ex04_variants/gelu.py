"""gelu, exact and tanh forms: checked against ``torch.nn.functional.gelu``."""

from __future__ import annotations

import math

import numpy as np
from torch.nn import functional as F

from autograder.checks.ex04_variants.functions import (
    LARGE,
    ZEROS,
    core_cases,
    edge_cases,
    function_item,
)
from autograder.forbidden import existing
from autograder.items import Case
from autograder.kit.rules import Mismatch, Rules
from autograder.kit.tolerance import FORMULA_RTOL

FORBIDDEN = existing(("torch.nn.functional.gelu", "torch._C._nn.gelu", "torch.nn.GELU"))

ORACLE = F.gelu


def gelu_form(m: Mismatch) -> str | None:
    x, g, params = m.x, m.got, m.params
    exact = 0.5 * x * (1 + math.erf(x / math.sqrt(2)))
    approx = 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    if m.what != "output":
        return None
    approximate = params.get("approximate", "none")
    if approximate == "none" and math.isclose(g, approx, rel_tol=FORMULA_RTOL):
        return (
            "That is the tanh approximation. approximate='none' asks for the exact "
            "x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))), with torch.erf."
        )
    if approximate == "tanh" and math.isclose(g, exact, rel_tol=FORMULA_RTOL):
        return (
            "That is the exact GELU. approximate='tanh' asks for "
            "0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))."
        )
    return None


GELU = Rules(
    "gelu",
    "approximate='none': x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))); "
    "approximate='tanh': 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3))).",
    (gelu_form,),
)


gelu_core = function_item(
    "gelu_core",
    "gelu: the exact form x * Phi(x)",
    "gelu",
    GELU,
    core_cases([{}, {"approximate": "none"}, {"approximate": "none"}]),
    ORACLE,
    FORBIDDEN,
)


gelu_tanh = function_item(
    "gelu_tanh",
    "gelu: the tanh approximation (approximate='tanh')",
    "gelu",
    GELU,
    core_cases([{"approximate": "tanh"}] * 3),
    ORACLE,
    FORBIDDEN,
)


gelu_edge = function_item(
    "gelu_edge",
    "gelu: x = 0 and large |x| in both forms",
    "gelu",
    GELU,
    edge_cases(
        {},
        relu_family=False,
        extra=[
            Case(
                "tanh form, x = 0 and |x| up to 1000",
                (np.concatenate([ZEROS, LARGE]), {"approximate": "tanh"}),
            )
        ],
    ),
    ORACLE,
    FORBIDDEN,
)
