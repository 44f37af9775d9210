"""sigmoid_chain_bound: the bound 0.25 ** n on the gradient through n sigmoid layers."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from autograder.items import Case, Item, Probe
from autograder.kit.cases import Cases
from autograder.kit.tolerance import SCALAR_RTOL
from autograder.report import Failure


def chain_bound_oracle(n_layers: int) -> float:
    return 0.25 ** int(n_layers)


def probe_scalar_function(case: Case, fn: Callable[..., object]) -> Probe:
    result = fn(*case.args)
    probe: Probe = {"kind": type(result).__name__}
    if isinstance(result, float):
        probe["value"] = float(result)
    return probe


def compare_chain_bound(case: Case, got: Probe, expected: Probe) -> Failure | None:
    (n,) = case.args
    call = f"sigmoid_chain_bound({n!r})"
    hint = (
        "Each sigmoid layer multiplies the gradient by sigma'(z) <= 1/4, so n layers give "
        "at most (1/4) ** n. Return a Python float."
    )
    if "error" in got:
        return Failure(case.label, f"raised {got['error']}", call, hint=hint)
    if "value" not in got:
        return Failure(
            case.label,
            f"returned a value of type {got['kind']}, not a float",
            call,
            expected=repr(expected["value"]),
            hint="Return a Python float: "
            "1 / 4 ** n is a float, 4 ** -n is an int when n = 0, and a tensor or "
            "an array is not a float (use float(...)).",
        )
    value, want = got["value"], expected["value"]
    if not math.isclose(value, want, rel_tol=SCALAR_RTOL, abs_tol=0.0):
        specific = hint
        if n > 0 and math.isclose(value, 0.5**n, rel_tol=SCALAR_RTOL):
            specific = (
                "You used 1/2 per layer; the largest value of sigma'(z) = "
                "sigma(z)(1 - sigma(z)) is 1/4, at z = 0."
            )
        elif math.isclose(value, want * 4, rel_tol=SCALAR_RTOL) or math.isclose(
            value, want / 4, rel_tol=SCALAR_RTOL
        ):
            specific = (
                "Off by one layer: n layers contribute n factors of 1/4 (and 0 layers give 1)."
            )
        elif value == 0.0:
            specific = (
                "The value underflowed to 0: compute in Python floats (float64), not "
                "float32, e.g. 0.25 ** n."
            )
        return Failure(
            case.label,
            "wrong bound",
            call,
            expected=repr(want),
            returned=repr(value),
            hint=specific,
        )
    return None


def layer_cases(ns: Sequence[int]) -> list[Case]:
    return [Case(f"n_layers = {n}", (n,)) for n in ns]


chain_bound_core_cases = Cases(
    lambda rng: layer_cases([1, 2, 10, *sorted(int(n) for n in rng.integers(3, 60, size=4))]),
    lambda rng: layer_cases([int(n) for n in rng.integers(60, 200, size=3)]),
)


CHAIN_BOUND_EDGE_VISIBLE: list[Case] = [
    Case("no layer at all (n_layers = 0)", (0,)),
    Case("a very deep chain (n_layers = 100): tiny but not 0", (100,)),
]


CHAIN_BOUND_EDGE_HIDDEN: list[Case] = [Case("n_layers = 300, far below float32's range", (300,))]


chain_bound_edge_cases = Cases(CHAIN_BOUND_EDGE_VISIBLE, CHAIN_BOUND_EDGE_HIDDEN)


sigmoid_chain_bound_core = Item(
    grade_id="sigmoid_chain_bound_core",
    title="sigmoid_chain_bound: the bound for n layers",
    targets=("sigmoid_chain_bound",),
    cases=chain_bound_core_cases,
    probe=probe_scalar_function,
    compare=compare_chain_bound,
    oracle=(chain_bound_oracle,),
    hint="(1/4) ** n_layers",
)


sigmoid_chain_bound_edge = Item(
    grade_id="sigmoid_chain_bound_edge",
    title="sigmoid_chain_bound: 0 layers and deep chains",
    targets=("sigmoid_chain_bound",),
    cases=chain_bound_edge_cases,
    probe=probe_scalar_function,
    compare=compare_chain_bound,
    oracle=(chain_bound_oracle,),
    hint="(1/4) ** n_layers as a Python float",
)
