"""What the four gated functions (``glu``, ``reglu``, ``geglu``, ``swiglu``) share: ``F.glu``'s
split into a value and a gate, the oracles built on it, the probe, the comparison and the cases.

Each function takes a float tensor ``x`` and a ``dim``, splits ``x`` into halves ``a`` (the
value) and ``b`` (the gate) along ``dim`` and returns ``a * phi(b)``; an odd size along ``dim``
raises ``RuntimeError``, as ``F.glu`` does. The probe records the output, the gradient of one
backward pass with an upstream gradient and, on some cases, ``torch.autograd.gradcheck`` in
float64; on the cases where the oracle raises, it records the class of the exception raised.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from autograder.forbidden import existing
from autograder.items import Case, Item, Probe, format_error
from autograder.kit.cases import Cases
from autograder.kit.elementwise import first_mismatch
from autograder.kit.gradcheck import gradcheck_probe
from autograder.kit.tensors import tensor_record
from autograder.kit.tolerance import FORMULA_RTOL, tolerance
from autograder.report import Failure, describe

# F.glu and nn.GLU under each of their names; forbidden in the four gated functions.
FORBIDDEN = existing(("torch.nn.functional.glu", "torch._C._nn.glu", "torch.nn.GLU"))

SPLIT_HINT = (
    "Split x into two halves along dim, a = the first (the value) and b = the second (the "
    "gate), for example with torch.chunk(x, 2, dim=dim), and return a * phi(b)."
)
ODD_HINT = (
    "F.glu raises RuntimeError when the size of x along dim is odd. torch.chunk does not: "
    "for a size of 3 it returns halves of sizes 2 and 1, which broadcast. Check "
    "x.shape[dim] % 2 yourself and raise RuntimeError(...) with a message of your choice."
)
OVERFLOW_HINT = (
    "Your gradient is NaN where PyTorch's is finite: an intermediate overflowed (torch.exp("
    "1000.) is inf, and the backward pass then computes 0 * inf = NaN). Use torch.sigmoid, "
    "which is stable, rather than 1 / (1 + torch.exp(-b))."
)


def halves(x: torch.Tensor, dim: int = -1) -> tuple[torch.Tensor, torch.Tensor]:
    """The value ``a`` and the gate ``b`` of ``x`` along ``dim``, with ``F.glu``'s error."""
    if x.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = x.shape[dim]
    if size % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim % x.dim()} is size {size}"
        )
    a, b = x.chunk(2, dim)
    return a, b


def gated_oracle(phi: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """The reference ``a * phi(b)`` from PyTorch's own ``phi``; keyword arguments other than
    ``dim`` go to ``phi``."""

    def reference(x: torch.Tensor, dim: int = -1, **params: Any) -> torch.Tensor:
        a, b = halves(x, dim)
        return a * phi(b, **params)

    return reference


# scalar forms of the gates, for the hints: which formula did the student compute? -------------


def _sigmoid(t: float) -> float:
    return 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))


PHIS: dict[str, Callable[[float], float]] = {
    "sigmoid(b)": _sigmoid,
    "relu(b)": lambda t: max(t, 0.0),
    "gelu(b) (exact)": lambda t: 0.5 * t * (1 + math.erf(t / math.sqrt(2))),
    "gelu(b) (tanh approximation)": lambda t: (
        0.5 * t * (1 + math.tanh(math.sqrt(2 / math.pi) * (t + 0.044715 * t**3)))
    ),
    "silu(b) = b * sigmoid(b)": lambda t: t * _sigmoid(t),
}


@dataclass(frozen=True)
class Gate:
    """One member of the family: its name, its ``phi`` (a key of :data:`PHIS`, or one chosen by
    the call's parameters) and its general hint."""

    name: str
    phi: Callable[[dict[str, Any]], str]
    hint: str


def _close(u: float, v: float, rtol: float, atol: float) -> bool:
    return math.isfinite(u) and math.isfinite(v) and math.isclose(u, v, rel_tol=rtol, abs_tol=atol)


def output_hint(gate: Gate, a: float, b: float, got: float, params: dict[str, Any]) -> str:
    """The hint for a wrong output ``got`` at value ``a`` and gate ``b``: the formula it matches."""
    if not all(math.isfinite(v) for v in (a, b, got)) or abs(a) > 50 or abs(b) > 50:
        return gate.hint
    right = gate.phi(params)
    expected = a * PHIS[right](b)
    rtol, atol = tolerance(np.float32)  # the loosest: a hint, not a verdict
    short = right.split("(")[0]
    if _close(got, PHIS[right](a) * b, rtol, atol) and not _close(got, expected, rtol, atol):
        return (
            f"You gated the wrong half: that is {short}(a) * b. As in F.glu, the FIRST half a "
            f"is the value and the SECOND half b is the gate: return a * {short}(b)."
        )
    for other, phi in PHIS.items():
        if other == right:
            continue
        candidate = a * phi(b)
        tight = FORMULA_RTOL if "gelu" in other and "gelu" in right else rtol
        if _close(got, candidate, tight, atol) and not _close(candidate, expected, tight, atol):
            return f"That is a * {other}; {gate.name} is a * {right}. " + gate.hint
    return gate.hint


# the probe ------------------------------------------------------------------------------------


def probe_gated(case: Case, fn: Callable[..., object]) -> Probe:
    """Call ``fn(x, **params)`` on a private copy of ``x``, differentiate it once with the case's
    upstream gradient and optionally gradcheck it; an exception is recorded with its classes."""
    x_np, params = case.args
    options = case.kwargs
    x = torch.from_numpy(np.array(x_np, copy=True))
    differentiate = options.get("grad", True)
    x.requires_grad_(differentiate)
    before, version = x.detach().clone(), x._version
    try:
        y = fn(x, **params)
    except Exception as exc:  # noqa: BLE001 - what was raised is part of the answer
        return {"error": format_error(exc), "raised": [c.__name__ for c in type(exc).__mro__]}
    probe: Probe = {
        "out": tensor_record(y),
        "mutated": x._version != version
        or not torch.equal(torch.nan_to_num(x.detach()), torch.nan_to_num(before)),
    }
    if differentiate:
        upstream = options.get("upstream")
        if type(y) is torch.Tensor and y.requires_grad:
            g = torch.ones_like(y) if upstream is None else torch.from_numpy(np.array(upstream))
            if g.shape == y.shape and g.dtype == y.dtype:
                (gx,) = torch.autograd.grad(y, x, g, allow_unused=True)
                probe["grad"] = tensor_record(gx) if gx is not None else {"kind": "None"}
            else:  # a wrong shape or dtype, reported from the output
                probe["grad"] = {"kind": "not compared"}
        else:
            probe["grad"] = {"kind": "not differentiable"}
    if "gradcheck" in options:
        probe["gradcheck"] = gradcheck_probe(lambda t: fn(t, **params), options["gradcheck"])  # type: ignore[arg-type,return-value]
    return probe


# the comparison -----------------------------------------------------------------------------


def call_text(name: str, case: Case) -> str:
    x, params = case.args
    args = "".join(f", {k}={v!r}" for k, v in params.items())
    return f"{name}(x{args}) with x = {describe(np.asarray(x))}"


def _split_np(x: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.split(x, 2, axis=dim)
    return a, b


def _raised(probe: Probe) -> list[str]:
    if "raised" in probe:
        return list(probe["raised"])
    return [str(probe.get("error", "")).split(":")[0]]


def compare_error(gate: Gate, case: Case, got: Probe, expected: Probe) -> Failure | None:
    """On a case where PyTorch raises: the answer must raise an exception of the same class."""
    call = call_text(gate.name, case)
    want = _raised(expected)[0]
    if "error" not in got:
        shape = got.get("out", {}).get("shape")
        returned = f"a result of shape {tuple(shape)}" if shape is not None else "a result"
        return Failure(
            case.label,
            f"returned a result where F.glu raises {want}",
            call,
            expected=f"{want} (for example: {expected['error']})",
            returned=returned,
            hint=ODD_HINT,
        )
    if want not in _raised(got):
        return Failure(
            case.label,
            f"raised {got['error']}, not a {want}",
            call,
            expected=f"{want} (for example: {expected['error']})",
            returned=str(got["error"]),
            hint=ODD_HINT,
        )
    return None


def _not_a_tensor(gate: Gate, case: Case, record: Probe, what: str) -> Failure | None:
    call = call_text(gate.name, case)
    kind = record.get("kind")
    if kind == "Tensor":
        return None
    if what == "gradient":
        return Failure(
            case.label,
            "the output is not differentiable with respect to x",
            call,
            hint="Build the result from x with torch operations only: no NumPy, no .item(), "
            "no .detach(), no torch.tensor(...) of the values.",
        )
    return Failure(
        case.label,
        f"returned a {kind}, not a torch.Tensor",
        call,
        hint="Take a tensor and return a tensor, using torch operations.",
    )


def _dtype_and_shape(
    gate: Gate, case: Case, got: Probe, expected: Probe, what: str
) -> Failure | None:
    call = call_text(gate.name, case)
    if got["dtype"] != expected["dtype"]:
        return Failure(
            case.label,
            f"the {what} has the wrong dtype",
            call,
            expected=f"dtype {expected['dtype']}",
            returned=f"dtype {got['dtype']}",
            hint="Keep x's dtype: use Python numbers or tensors of x's dtype as constants "
            "(torch.tensor(c) is float32).",
        )
    if got["shape"] != expected["shape"]:
        hint = (
            "The output has x's shape with the size along dim halved. " + SPLIT_HINT
            if what == "output"
            else "The gradient has x's shape."
        )
        return Failure(
            case.label,
            f"the {what} has the wrong shape",
            call,
            expected=f"shape {tuple(expected['shape'])}",
            returned=f"shape {tuple(got['shape'])}",
            hint=hint,
        )
    return None


def compare_output(gate: Gate, case: Case, got: Probe, expected: Probe) -> Failure | None:
    failure = _not_a_tensor(gate, case, got, "output") or _dtype_and_shape(
        gate, case, got, expected, "output"
    )
    if failure:
        return failure
    x, params = case.args
    dim = params.get("dim", -1)
    a, b = _split_np(np.asarray(x), dim)
    with np.errstate(invalid="ignore"):
        key = np.where(np.isnan(a) | np.isnan(b), np.nan, np.maximum(np.abs(a), np.abs(b)))
    index = first_mismatch(key, got["value"], expected["value"])
    if index is None:
        return None
    where = np.unravel_index(index, a.shape)
    ai, bi = float(a.ravel()[index]), float(b.ravel()[index])
    gi, ei = float(got["value"].ravel()[index]), float(expected["value"].ravel()[index])
    return Failure(
        case.label,
        f"wrong output at value a = {describe(ai)}, gate b = {describe(bi)}",
        f"{call_text(gate.name, case)}; first wrong entry: output index "
        f"{tuple(int(i) for i in where)}",
        expected=describe(expected["value"].ravel()[index]),
        returned=describe(got["value"].ravel()[index]),
        hint=output_hint(gate, ai, bi, gi, params) if not math.isnan(ei) else _nan_hint(gate),
    )


def _nan_hint(gate: Gate) -> str:
    return (
        "NaN in the value a or the gate b gives NaN, as the product a * phi(b) does in "
        "PyTorch (NaN * 0 is NaN). A comparison with NaN is False, so torch.where(b > 0, ...) "
        "can turn NaN into a number; torch.relu, torch.sigmoid and torch.erf propagate NaN. "
        + gate.hint
    )


def compare_gradient(gate: Gate, case: Case, got: Probe, expected: Probe) -> Failure | None:
    failure = _not_a_tensor(gate, case, got, "gradient") or _dtype_and_shape(
        gate, case, got, expected, "gradient"
    )
    if failure:
        return failure
    x, params = case.args
    x = np.asarray(x)
    index = first_mismatch(x, got["value"], expected["value"])
    if index is None:
        return None
    dim = params.get("dim", -1) % x.ndim
    where = np.unravel_index(index, x.shape)
    half = x.shape[dim] // 2
    in_gate = where[dim] >= half
    partner = list(where)
    partner[dim] = where[dim] - half if in_gate else where[dim] + half
    ai, bi = (x[tuple(partner)], x[where]) if in_gate else (x[where], x[tuple(partner)])
    gi, ei = float(got["value"].ravel()[index]), float(expected["value"].ravel()[index])
    hint = gate.hint
    if math.isnan(gi) and not math.isnan(ei):
        hint = OVERFLOW_HINT
    elif in_gate and bi == 0 and gate.name == "reglu":
        hint = (
            "At a gate b = 0 exactly, PyTorch's ReLU has slope 0, so the gradient reaching b "
            "is 0 there. torch.relu and F.relu follow that convention; torch.clamp(b, min=0) "
            "has slope 1 at 0 and torch.maximum(b, 0) splits it to 1/2."
        )
    part = "gate b" if in_gate else "value a"
    return Failure(
        case.label,
        f"wrong gradient with respect to the {part} (a = {describe(float(ai))}, "
        f"b = {describe(float(bi))})",
        f"{call_text(gate.name, case)}; first wrong entry: index "
        f"{tuple(int(i) for i in where)} of x",
        expected=describe(expected["value"].ravel()[index]),
        returned=describe(got["value"].ravel()[index]),
        hint=hint,
    )


def compare_gated(gate: Gate) -> Callable[[Case, Probe, Probe], Failure | None]:
    def compare(case: Case, got: Probe, expected: Probe) -> Failure | None:
        if "error" in expected:
            return compare_error(gate, case, got, expected)
        call = call_text(gate.name, case)
        if "error" in got:
            hint = gate.hint
            if "in-place" in got["error"]:
                hint = "Do not modify x in place (x[...] = ..., x *= ...): build a new tensor."
            elif case.args[1].get("dim", -1) != -1:
                hint = f"Split x along dim={case.args[1]['dim']}, not along its last dimension. "
                hint += SPLIT_HINT
            return Failure(case.label, f"raised {got['error']}", call, hint=hint)
        if got["mutated"]:
            return Failure(
                case.label,
                "modified its input x",
                call,
                hint="Build a new tensor; avoid in-place operations on x or on its halves "
                "(views of x): a.mul_(...), b[...] = ..., out=.",
            )
        failure = compare_output(gate, case, got["out"], expected["out"])
        if failure is None and "grad" in expected:
            failure = compare_gradient(gate, case, got["grad"], expected["grad"])
        if failure is None and "gradcheck" in got and got["gradcheck"] is not True:
            failure = Failure(
                case.label,
                "torch.autograd.gradcheck failed",
                call,
                returned=str(got["gradcheck"]),
                hint=gate.hint,
            )
        return failure

    return compare


# cases -------------------------------------------------------------------------------------------


def _halved(shape: tuple[int, ...], dim: int) -> tuple[int, ...]:
    out = list(shape)
    out[dim] //= 2
    return tuple(out)


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def tensor_case(
    rng: np.random.Generator,
    label: str,
    x: np.ndarray,
    params: dict[str, Any],
    **options: Any,
) -> Case:
    """A case on ``x`` with a random upstream gradient of the output's shape."""
    up = rng.standard_normal(_halved(x.shape, params.get("dim", -1))).astype(x.dtype)
    return Case(label, (x, params), {"upstream": up, **options})


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.2, 3.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def random_x(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """Normal entries with standard deviation 3; float32 ones clipped to |x| <= 3, where float32
    itself stays within the stated tolerance for every member's gradient."""
    x = 3.0 * rng.standard_normal(shape)
    if dtype is np.float32:
        x = np.clip(x, -3.0, 3.0)
    return x.astype(dtype)


def core_cases(params: Sequence[dict[str, Any]]) -> Cases:
    """Random float32 and float64 tensors split along the last dimension, then a gradcheck."""

    def visible(rng: np.random.Generator) -> list[Case]:
        cases = []
        for i, shape in enumerate([(6,), (3, 4), (2, 3, 8)]):
            dtype = np.float32 if i % 2 == 0 else np.float64
            p = dict(params[i % len(params)])
            label = f"random {np.dtype(dtype).name} tensor of shape {shape}"
            label += f", {_params_text(p)}" if p else ""
            cases.append(tensor_case(rng, label, random_x(rng, shape, dtype), p))
        p = dict(params[-1])
        cases.append(
            tensor_case(
                rng,
                "gradcheck in float64 away from 0" + (f", {_params_text(p)}" if p else ""),
                away_from_zero(rng, (3, 6)),
                p,
                gradcheck=away_from_zero(rng, (2, 4)),
            )
        )
        return cases

    def hidden(rng: np.random.Generator) -> list[Case]:
        p = dict(params[0])
        return [
            tensor_case(rng, "large random float64 batch", random_x(rng, (16, 10), np.float64), p),
            tensor_case(rng, "random float32 batch", random_x(rng, (5, 12), np.float32), p),
        ]

    return Cases(visible, hidden)


NAN = np.array([[np.nan, 1.0, -1.0, 2.0], [1.0, -1.0, np.nan, 2.0]])
# value a (first half) and gate b (second half), with |a|, |b| up to 1000
LARGE = np.array(
    [1.0, -2.0, 1000.0, -1000.0, 3.0, 50.0, -1000.0, 1000.0, -700.0, 700.0, -50.0, 50.0]
)
GATE_ZERO = np.array([[1.0, -2.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0]])


def edge_cases(params: dict[str, Any], extra: Callable[[np.random.Generator], list[Case]]) -> Cases:
    """``dim`` other than -1, odd sizes, NaN, |x| up to 1000, a gate of exactly 0; ``extra``
    adds the cases of one member."""

    def with_dim(dim: int) -> dict[str, Any]:
        return {**params, "dim": dim}

    def visible(rng: np.random.Generator) -> list[Case]:
        return [
            tensor_case(
                rng, "dim=0 of a (4, 3) tensor", random_x(rng, (4, 3), np.float64), with_dim(0)
            ),
            tensor_case(
                rng,
                "dim=1 of a (2, 6, 3) tensor",
                random_x(rng, (2, 6, 3), np.float64),
                with_dim(1),
            ),
            Case("odd size: x of shape (3,)", (np.array([1.0, 2.0, 3.0]), dict(params))),
            Case(
                "odd size along dim=0: x of shape (3, 4)",
                (random_x(rng, (3, 4), np.float64), with_dim(0)),
            ),
            Case(
                "NaN in the value or the gate gives NaN",
                (NAN.copy(), dict(params)),
                {"grad": False},
            ),
            tensor_case(
                rng,
                "|a| and |b| up to 1000 in float64 (values and gradients)",
                LARGE.copy(),
                params,
            ),
            tensor_case(rng, "a gate b = 0 exactly (value and gradient)", GATE_ZERO.copy(), params),
            *extra(rng),
        ]

    def hidden(rng: np.random.Generator) -> list[Case]:
        big = np.array([[0.0, -30.0, 30.0, -80.0], [80.0, 0.0, 3.0, -3.0]], dtype=np.float32)
        return [
            tensor_case(
                rng,
                "dim=-2 of a float32 (2, 4, 3) tensor",
                random_x(rng, (2, 4, 3), np.float32),
                with_dim(-2),
            ),
            Case("odd size: x of shape (2, 5)", (random_x(rng, (2, 5), np.float64), dict(params))),
            tensor_case(rng, "float32 zeros and large values", big, params),
        ]

    return Cases(visible, hidden)


def gated_items(
    gate: Gate,
    oracle: Callable[..., torch.Tensor],
    core_params: Sequence[dict[str, Any]],
    edge_params: dict[str, Any],
    edge_extra: Callable[[np.random.Generator], list[Case]] = lambda rng: [],
    *,
    edge_title: str = "",
) -> tuple[Item, Item]:
    """The core and the edge item of one member of the family."""
    name = gate.name
    common: dict[str, Any] = {
        "targets": (name,),
        "probe": probe_gated,
        "compare": compare_gated(gate),
        "oracle": (oracle,),
        "forbidden": FORBIDDEN,
        "hint": gate.hint,
    }
    core = Item(
        grade_id=f"{name}_core",
        title=f"{name}: values and gradients on random tensors",
        cases=core_cases(core_params),
        **common,
    )
    edge = Item(
        grade_id=f"{name}_edge",
        title=edge_title or f"{name}: dim, odd sizes, NaN, |x| up to 1000",
        cases=edge_cases(edge_params, edge_extra),
        **common,
    )
    return core, edge
