"""What the checks of the seven activation functions share: the probe (values, one backward
pass with an upstream gradient, and ``torch.autograd.gradcheck`` in float64 away from kinks),
the comparison of outputs and gradients with PyTorch's, and the random and edge cases.

Edge cases hold the traps of each formula: the value of the gradient at 0 (PyTorch's
convention), NaN and infinities for the ReLU family, and |x| up to 1000 in float64, where
``torch.where`` over an overflowing ``exp`` gives the right values but a NaN gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch

from autograder.items import Case, Item, Probe
from autograder.kit.cases import Cases
from autograder.kit.elementwise import first_mismatch
from autograder.kit.gradcheck import gradcheck_probe
from autograder.kit.rules import Hint, Mismatch, Rules, when
from autograder.kit.tensors import tensor_record, wrong_dtype_or_shape
from autograder.report import Failure, describe

WHERE_NAN = (
    "Your gradient is NaN where PyTorch's is finite. An overflow inside the formula "
    "(exp(1000) is inf) gives the right value but a NaN gradient, and torch.where "
    "evaluates both branches, so the backward pass of the branch that was not chosen "
    "computes 0 * inf = NaN. Keep every intermediate finite: for example exp of "
    "torch.clamp(x, max=0) in ELU, or a stable softplus."
)


def probe_function(case: Case, fn: Callable[..., torch.Tensor]) -> Probe:
    """Call ``fn(x, **params)``, then differentiate it once and optionally gradcheck it."""
    x_np, params = case.args
    options = case.kwargs
    x = torch.from_numpy(np.array(x_np, copy=True))
    if options.get("grad", True):
        x.requires_grad_(True)
    before, version = x.detach().clone(), x._version
    y = fn(x, **params)
    probe: Probe = {
        "out": tensor_record(y),
        "mutated": x._version != version
        or not torch.equal(torch.nan_to_num(x.detach()), torch.nan_to_num(before)),
    }
    if x.requires_grad:
        if type(y) is torch.Tensor and y.requires_grad and y.shape == x.shape:
            upstream = options.get("upstream")
            g = torch.ones_like(y) if upstream is None else torch.from_numpy(np.array(upstream))
            (gx,) = torch.autograd.grad(y, x, g, allow_unused=True)
            probe["grad"] = tensor_record(gx) if gx is not None else {"kind": "None"}
        else:
            probe["grad"] = {"kind": "not differentiable"}
    if "gradcheck" in options:
        probe["gradcheck"] = gradcheck_probe(lambda t: fn(t, **params), options["gradcheck"])
    return probe


def call_text(name: str, case: Case) -> str:
    x, params = case.args
    args = "".join(f", {k}={v!r}" for k, v in params.items())
    return f"{name}(x{args}) with x = {describe(np.asarray(x))}"


def compare_record(
    rules: Rules, case: Case, got: Probe, expected: Probe, what: str
) -> Failure | None:
    """Compare a returned tensor (``what`` is "output" or "gradient") with the reference."""
    call = call_text(rules.name, case)
    x = np.asarray(case.args[0])
    if got["kind"] != "Tensor":
        if what == "gradient":
            return Failure(
                case.label,
                "the output is not differentiable with respect to x",
                call,
                hint="Build the result from x with torch operations only: no NumPy, "
                "no .item(), no .detach(), no torch.tensor(...) of the values.",
            )
        return Failure(
            case.label,
            f"returned a {got['kind']}, not a torch.Tensor",
            call,
            hint="Take a tensor and return a tensor, using torch operations.",
        )
    wrong = wrong_dtype_or_shape(
        case.label,
        call,
        got,
        expected,
        f"the {what}",
        "Keep x's dtype and shape: use Python numbers or tensors of "
        "x's dtype as constants (torch.tensor(c) is float32).",
    )
    if wrong is not None:
        return wrong
    index = first_mismatch(x, got["value"], expected["value"])
    if index is None:
        return None
    xi = float(x.ravel()[index])
    ei, gi = float(expected["value"].ravel()[index]), float(got["value"].ravel()[index])
    hint = rules.hint_for(Mismatch(what, xi, ei, gi, case.args[1]))
    if what == "gradient" and math.isnan(gi) and not math.isnan(ei):
        hint = WHERE_NAN
    return Failure(
        case.label,
        f"wrong {what} at x = {describe(x.ravel()[index])}",
        f"{call}; first wrong entry: index {index}",
        expected=describe(expected["value"].ravel()[index]),
        returned=describe(got["value"].ravel()[index]),
        hint=hint,
    )


def compare_function(rules: Rules) -> Callable[[Case, Probe, Probe], Failure | None]:
    def compare(case: Case, got: Probe, expected: Probe) -> Failure | None:
        call = call_text(rules.name, case)
        if "error" in got:
            hint = rules.hint
            if "in-place" in got["error"]:
                hint = "Do not modify x in place (x[...] = ..., x *= ...): build a new tensor."
            return Failure(case.label, f"raised {got['error']}", call, hint=hint)
        if got["mutated"]:
            return Failure(
                case.label,
                "modified its input x",
                call,
                hint="Build a new tensor; avoid in-place operations on x "
                "(x[...] = ..., x.mul_(...), out=x).",
            )
        failure = compare_record(rules, case, got["out"], expected["out"], "output")
        if failure is None and "grad" in expected:
            failure = compare_record(rules, case, got["grad"], expected["grad"], "gradient")
        if failure is None and "gradcheck" in got and got["gradcheck"] is not True:
            failure = Failure(
                case.label,
                "torch.autograd.gradcheck failed",
                call,
                returned=str(got["gradcheck"]),
                hint=rules.hint,
            )
        return failure

    return compare


def away_from_zero(
    rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.2, high: float = 3.0
) -> np.ndarray:
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def random_cases(
    rng: np.random.Generator, params: Sequence[dict], scale: float = 3.0
) -> list[Case]:
    """Random float32 and float64 inputs with random upstream gradients, one gradcheck."""
    cases = []
    shapes = [(6,), (3, 4), (2, 3, 4)]
    for i, p in enumerate(params):
        shape = shapes[i % len(shapes)]
        dtype = np.float32 if i % 2 == 0 else np.float64
        x = (scale * rng.standard_normal(shape)).astype(dtype)
        if dtype is np.float32:
            # Beyond |x| = 3, float32 itself misses the stated tolerance on some gradients
            # (GELU's tanh form computed the usual way is off by 1.6e-6 at x = -5, against
            # 1e-6 allowed), so a correct answer could fail at random; float64 cases go further.
            x = np.clip(x, -3.0, 3.0)
        up = rng.standard_normal(shape).astype(dtype)
        label = f"random {np.dtype(dtype).name} tensor of shape {shape}" + (
            f", {', '.join(f'{k}={v!r}' for k, v in p.items())}" if p else ""
        )
        cases.append(Case(label, (x, p), {"upstream": up}))
    last = params[-1]
    cases.append(
        Case(
            "gradcheck in float64 away from 0",
            (away_from_zero(rng, (5,)), last),
            {"gradcheck": away_from_zero(rng, (4,))},
        )
    )
    return cases


def large_batch(rng: np.random.Generator, params: dict) -> list[Case]:
    """A large random float64 batch with a random upstream gradient."""
    x = (10 * rng.standard_normal((16, 8))).astype(np.float64)
    return [
        Case("large random float64 batch", (x, params), {"upstream": rng.standard_normal((16, 8))})
    ]


def core_cases(params: Sequence[dict], scale: float = 3.0) -> Cases:
    """Random tensors, one per parameter set, and a gradcheck; hidden: a large batch."""
    return Cases(
        lambda rng: random_cases(rng, params, scale), lambda rng: large_batch(rng, params[-1])
    )


LARGE = np.array([-1000.0, -700.0, -50.0, -1.0, 1.0, 50.0, 700.0, 1000.0])


ZEROS = np.array([0.0, -0.0, 1.0, -1.0])


NAN = np.array([np.nan, -1.0, 1.0])


INF = np.array([np.inf, -np.inf, 2.0])


def edge_cases(
    params: dict, *, relu_family: bool, large: bool = True, extra: Sequence[Case] = ()
) -> Cases:
    """x = 0, NaN and infinities (the ReLU family), |x| up to 1000, then ``extra``; hidden: float32
    zeros and large values."""
    cases = [Case("x = 0 exactly (value and gradient)", (ZEROS, params))]
    if relu_family:
        cases += [
            Case("NaN gives NaN", (NAN, params), {"grad": False}),
            Case("infinities", (INF, params)),
        ]
    if large:
        cases.append(Case("|x| up to 1000 in float64 (values and gradients)", (LARGE, params)))
    cases += list(extra)
    hidden = Case(
        "float32 zeros and large values",
        (np.array([0.0, -30.0, 30.0, -80.0, 80.0], dtype=np.float32), params),
    )
    return Cases(cases, [hidden])


def at_zero_grad(text: str) -> Hint:
    return when(lambda m: m.what == "gradient" and m.x == 0, text)


def function_item(
    grade_id: str,
    title: str,
    name: str,
    rules: Rules,
    cases: Cases,
    oracle: Callable[..., torch.Tensor],
    forbidden: tuple[str, ...],
) -> Item:
    """An item checking the function ``name`` against ``oracle`` (PyTorch's own)."""
    return Item(
        grade_id=grade_id,
        title=title,
        targets=(name,),
        cases=cases,
        probe=probe_function,
        compare=compare_function(rules),
        oracle=(oracle,),
        forbidden=forbidden,
        hint=rules.hint,
    )
