"""``class GatedFeedForward(nn.Module)``: ``(d_model, hidden, activation="swiglu", bias=False)``,
three ``nn.Linear`` named ``w_gate``, ``w_up`` and ``w_down``, and
``forward(x) = w_down(phi(w_gate(x)) * w_up(x))``.

The probe builds the student's module from a seed without touching torch's global random state
(:func:`autograder.kit.models.build`), records its layers and parameters, loads the check's own
weights into them by name (so the student's initialisation does not matter), and runs one
forward and one backward pass. The oracle is the same block written with ``nn.Linear`` and
PyTorch's ``sigmoid``, ``relu``, ``gelu`` and ``silu``; it receives the same weights.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from autograder.items import Case, Item, Probe, format_error
from autograder.kit import models
from autograder.kit.cases import Cases
from autograder.kit.elementwise import first_mismatch
from autograder.kit.tensors import tensor_record, wrong_dtype_or_shape
from autograder.kit.tolerance import tolerance
from autograder.report import Failure, describe

LAYERS = ("w_gate", "w_up", "w_down")
PHI: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "glu": torch.sigmoid,
    "reglu": F.relu,
    "geglu": F.gelu,
    "swiglu": F.silu,
}

LAYOUT_HINT = (
    "Build three nn.Linear layers as attributes of the module: w_gate and w_up from d_model "
    "to hidden features, w_down from hidden back to d_model, each with a bias only when "
    "bias=True, and no other parameter."
)
FORWARD_HINT = (
    "forward(x) = w_down(phi(w_gate(x)) * w_up(x)): phi acts on w_gate's output (the gate), "
    "which multiplies w_up's output (the value); phi is torch.sigmoid for 'glu', ReLU for "
    "'reglu', the exact GELU for 'geglu' and SiLU for 'swiglu'."
)
ACTIVATION_HINT = (
    "In __init__, raise ValueError(...) when activation is not one of 'glu', 'reglu', 'geglu' "
    "and 'swiglu', so that a typo is caught when the block is built."
)


class ReferenceGatedFeedForward(nn.Module):
    """The oracle: the gated block from ``nn.Linear`` and PyTorch's activations."""

    w_gate: nn.Linear
    w_up: nn.Linear
    w_down: nn.Linear

    def __init__(
        self, d_model: int, hidden: int, activation: str = "swiglu", bias: bool = False
    ) -> None:
        super().__init__()
        if activation not in PHI:
            raise ValueError(f"activation must be one of {sorted(PHI)}, not {activation!r}")
        self.phi = PHI[activation]
        sizes = ((d_model, hidden), (d_model, hidden), (hidden, d_model))
        for name, (n_in, n_out) in zip(LAYERS, sizes, strict=True):  # w_gate, w_up, w_down
            self.add_module(name, nn.Linear(n_in, n_out, bias=bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gated = self.phi(self.w_gate(x)) * self.w_up(x)
        return self.w_down(gated)


def check_weights(seed: int, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """The weights the check loads, by parameter name: N(0, 1/fan_in) for a matrix, N(0, 1/4)
    for a bias, drawn from ``seed`` in the order of the sorted names."""
    gen = np.random.default_rng(seed)
    weights = {}
    for name in sorted(shapes):
        shape = shapes[name]
        scale = 1 / math.sqrt(shape[-1]) if len(shape) == 2 else 0.5
        weights[name] = gen.standard_normal(shape) * scale
    return weights


def _layer(module: nn.Module, name: str) -> Probe:
    layer = getattr(module, name, None)
    if layer is None:
        return {"kind": "missing"}
    if not isinstance(layer, nn.Linear):
        return {"kind": type(layer).__name__}
    return {
        "kind": "Linear",
        "in": int(layer.in_features),
        "out": int(layer.out_features),
        "weight": list(layer.weight.shape),
        "bias": layer.bias is not None,
    }


def probe_module(case: Case, module_class: Callable[..., object]) -> Probe:
    """Build, describe, load the check's weights, then forward and backward once."""
    x_np, options = case.args
    seed = int(case.kwargs["seed"])
    make = models.Model("the gated block", lambda: module_class(**options))  # type: ignore[arg-type,return-value]
    try:
        module = models.build({"block": make}, "block", seed)
    except Exception as exc:  # noqa: BLE001 - what was raised is part of the answer
        return {"error": format_error(exc), "raised": [c.__name__ for c in type(exc).__mro__]}
    probe: Probe = {"is_module": isinstance(module, nn.Module)}
    if not probe["is_module"]:
        return probe
    params = dict(module.named_parameters())
    probe["layers"] = {name: _layer(module, name) for name in LAYERS}
    probe["parameters"] = {k: list(p.shape) for k, p in params.items()}
    probe["count"] = int(sum(p.numel() for p in params.values()))
    weights = check_weights(seed, {k: tuple(p.shape) for k, p in params.items()})
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(torch.from_numpy(weights[name]))
    x = torch.from_numpy(np.array(x_np, copy=True))
    if x.dtype == torch.float64:
        module = module.double()
    params = dict(module.named_parameters())
    x.requires_grad_(True)
    before = x.detach().clone()
    y = module(x)
    probe["out"] = tensor_record(y)
    probe["mutated"] = not torch.equal(x.detach(), before)
    if type(y) is not torch.Tensor or not y.requires_grad:
        probe["grad_x"] = {"kind": "not differentiable"}
        return probe
    g = torch.from_numpy(np.array(case.kwargs["upstream"]))
    if g.shape != y.shape or g.dtype != y.dtype:  # reported from the output
        return probe
    grads = torch.autograd.grad(y, [x, *params.values()], g, allow_unused=True)
    probe["grad_x"] = tensor_record(grads[0]) if grads[0] is not None else {"kind": "None"}
    probe["grads"] = {
        name: tensor_record(gp) if gp is not None else {"kind": "None"}
        for name, gp in zip(params, grads[1:], strict=True)
    }
    return probe


def call_text(case: Case) -> str:
    x, options = case.args
    args = ", ".join(f"{k}={v!r}" for k, v in options.items())
    return f"GatedFeedForward({args})(x) with x = {describe(np.asarray(x))}"


def _raised(probe: Probe) -> list[str]:
    return list(probe.get("raised", [str(probe.get("error", "")).split(":")[0]]))


def compare_structure(case: Case, got: Probe, expected: Probe) -> Failure | None:
    call = call_text(case)
    for name in LAYERS:
        mine, want = got["layers"][name], expected["layers"][name]
        if mine["kind"] == "missing":
            return Failure(
                case.label, f"the module has no attribute {name}", call, hint=LAYOUT_HINT
            )
        if mine["kind"] != "Linear":
            return Failure(
                case.label, f"{name} is a {mine['kind']}, not an nn.Linear", call, hint=LAYOUT_HINT
            )
        if (mine["in"], mine["out"]) != (want["in"], want["out"]):
            return Failure(
                case.label,
                f"{name} has the wrong sizes",
                call,
                expected=f"nn.Linear({want['in']}, {want['out']}): {want['in']} -> {want['out']}",
                returned=f"nn.Linear({mine['in']}, {mine['out']})",
                hint=LAYOUT_HINT,
            )
        if mine["bias"] != want["bias"]:
            bias = case.args[1].get("bias", False)
            problem = (
                f"{name} has a bias, but bias={bias}"
                if mine["bias"]
                else (f"{name} has no bias, but bias={bias}")
            )
            return Failure(
                case.label,
                problem,
                call,
                hint="nn.Linear has a bias unless it is built with bias=False: pass "
                "bias=bias to each of the three layers.",
            )
    if got["parameters"] != expected["parameters"]:
        return Failure(
            case.label,
            "the module's parameters are not the three layers' weights (and biases)",
            call,
            expected=", ".join(f"{k} {tuple(v)}" for k, v in expected["parameters"].items()),
            returned=", ".join(f"{k} {tuple(v)}" for k, v in got["parameters"].items()),
            hint=LAYOUT_HINT,
        )
    if got["count"] != expected["count"]:
        return Failure(
            case.label,
            "wrong number of parameters",
            call,
            expected=f"{expected['count']} = 3 * d_model * hidden (+ 2 * hidden + d_model biases)",
            returned=str(got["count"]),
            hint=LAYOUT_HINT,
        )
    return None


def compare_tensor(case: Case, got: Probe, expected: Probe, what: str, hint: str) -> Failure | None:
    call = call_text(case)
    if got.get("kind") != "Tensor":
        kind = got.get("kind")
        problem = (
            f"the {what} is missing ({kind})"
            if what != "output"
            else f"returned a {kind}, not a torch.Tensor"
        )
        if kind in ("not differentiable", "None"):
            problem = f"no {what}: the output is not differentiable with respect to it"
            hint = "Compute the output with the module's layers and torch operations only."
        return Failure(case.label, problem, call, hint=hint)
    wrong = wrong_dtype_or_shape(case.label, call, got, expected, f"the {what}", hint)
    if wrong is not None:
        return wrong
    values = np.asarray(expected["value"])
    index = first_mismatch(values, np.asarray(got["value"]), values)
    if index is None:
        return None
    where = tuple(int(i) for i in np.unravel_index(index, values.shape))
    return Failure(
        case.label,
        f"wrong {what}",
        f"{call}; first wrong entry: index {where}",
        expected=describe(values.ravel()[index]),
        returned=describe(np.asarray(got["value"]).ravel()[index]),
        hint=hint,
    )


def forward_hint(case: Case, got: Probe) -> str:
    """Which other block the wrong output matches, recomputed from the check's weights."""
    x_np, options = case.args
    activation = options.get("activation", "swiglu")
    x = torch.from_numpy(np.asarray(x_np, dtype=np.float64))
    d, h = options["d_model"], options["hidden"]
    shapes: dict[str, tuple[int, ...]] = {
        "w_gate.weight": (h, d),
        "w_up.weight": (h, d),
        "w_down.weight": (d, h),
    }
    if options.get("bias", False):
        shapes.update({"w_gate.bias": (h,), "w_up.bias": (h,), "w_down.bias": (d,)})
    # the probe copies the weights into float32 parameters first: round them the same way
    weights = check_weights(int(case.kwargs["seed"]), shapes)
    w = {k: torch.from_numpy(v.astype(np.float32).astype(np.float64)) for k, v in weights.items()}

    def linear(name: str, t: torch.Tensor) -> torch.Tensor:
        return F.linear(t, w[f"{name}.weight"], w.get(f"{name}.bias"))

    gate, up = linear("w_gate", x), linear("w_up", x)
    candidates = {
        "phi is applied to w_up's output and multiplies w_gate's: the gate and the value are "
        "swapped": linear("w_down", PHI[activation](up) * gate),
        "phi is missing: w_down(w_gate(x) * w_up(x))": linear("w_down", gate * up),
    }
    if activation == "geglu":
        candidates["the GELU is the tanh approximation; 'geglu' uses the exact GELU"] = linear(
            "w_down", F.gelu(gate, approximate="tanh") * up
        )
    for name, phi in PHI.items():
        if name != activation:
            candidates[f"that is the '{name}' block, not the '{activation}' one"] = linear(
                "w_down", phi(gate) * up
            )
    returned = np.asarray(got["value"], dtype=np.float64)
    rtol, atol = tolerance(np.asarray(got["value"]).dtype)
    for text, value in candidates.items():
        candidate = value.numpy()
        if candidate.shape == returned.shape and np.allclose(returned, candidate, rtol, atol):
            return f"Your output matches another block: {text}. " + FORWARD_HINT
    return FORWARD_HINT


def compare_module(case: Case, got: Probe, expected: Probe) -> Failure | None:
    call = call_text(case)
    if "error" in expected:
        want = _raised(expected)[0]
        if "error" not in got:
            return Failure(
                case.label,
                f"built a module where {want} is expected",
                call,
                expected=f"{want} (for example: {expected['error']})",
                hint=ACTIVATION_HINT,
            )
        if want not in _raised(got):
            return Failure(
                case.label,
                f"raised {got['error']}, not a {want}",
                call,
                expected=f"{want} (for example: {expected['error']})",
                hint=ACTIVATION_HINT,
            )
        return None
    if "error" in got:
        return Failure(case.label, f"raised {got['error']}", call, hint=FORWARD_HINT)
    if not got["is_module"]:
        return Failure(
            case.label, "GatedFeedForward(...) is not an nn.Module", call, hint=LAYOUT_HINT
        )
    failure = compare_structure(case, got, expected)
    if failure:
        return failure
    if got["mutated"]:
        return Failure(case.label, "modified its input x", call, hint="Build new tensors.")
    failure = compare_tensor(case, got["out"], expected["out"], "output", FORWARD_HINT)
    if failure:
        if got["out"].get("kind") == "Tensor" and got["out"]["shape"] == expected["out"]["shape"]:
            return dataclasses.replace(failure, hint=forward_hint(case, got["out"]))
        return failure
    failure = compare_tensor(
        case, got.get("grad_x", {}), expected["grad_x"], "gradient with respect to x", FORWARD_HINT
    )
    if failure:
        return failure
    for name, grad in expected["grads"].items():
        failure = compare_tensor(
            case,
            got.get("grads", {}).get(name, {"kind": "None"}),
            grad,
            f"gradient with respect to {name}",
            FORWARD_HINT,
        )
        if failure:
            return failure
    return None


def block_case(
    rng: np.random.Generator, label: str, shape: tuple[int, ...], dtype: type, **options: Any
) -> Case:
    """A case: the module built with ``options``, an input ``x`` of ``shape`` and ``dtype``,
    a random upstream gradient, and the seed of its weights."""
    x: np.ndarray = rng.standard_normal(shape).astype(dtype)
    up: np.ndarray = rng.standard_normal((*shape[:-1], options["d_model"])).astype(dtype)
    return Case(label, (x, options), {"seed": int(rng.integers(2**31)), "upstream": up})


def core_visible(rng: np.random.Generator) -> list[Case]:
    return [
        block_case(
            rng, "GatedFeedForward(8, 12): swiglu, no bias, float32 batch (5, 8)", (5, 8),
            np.float32, d_model=8, hidden=12,
        ),
        block_case(
            rng, "activation='geglu' on a float32 batch (2, 3, 6)", (2, 3, 6), np.float32,
            d_model=6, hidden=16, activation="geglu",
        ),
        block_case(
            rng, "activation='swiglu' on one float32 vector (4,)", (4,), np.float32,
            d_model=4, hidden=10, activation="swiglu",
        ),
    ]  # fmt: skip


def core_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        block_case(rng, "a wider swiglu block", (7, 16), np.float32, d_model=16, hidden=40),
        block_case(
            rng, "a wider geglu block", (3, 5, 12), np.float32, d_model=12, hidden=32,
            activation="geglu",
        ),
    ]  # fmt: skip


def edge_visible(rng: np.random.Generator) -> list[Case]:
    return [
        block_case(
            rng, "bias=True (swiglu)", (3, 5), np.float32, d_model=5, hidden=7, bias=True
        ),
        block_case(
            rng, "activation='glu' (sigmoid), hidden < d_model", (4, 6), np.float32,
            d_model=6, hidden=4, activation="glu",
        ),
        block_case(
            rng, "activation='reglu'", (4, 6), np.float32, d_model=6, hidden=9,
            activation="reglu",
        ),
        block_case(
            rng, "float64 input (the check calls .double() on the module)", (3, 4), np.float64,
            d_model=4, hidden=6, activation="geglu",
        ),
        block_case(
            rng, "an unknown activation ('relu' is not gated) raises ValueError", (2, 4),
            np.float32, d_model=4, hidden=6, activation="relu",
        ),
    ]  # fmt: skip


def edge_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        block_case(
            rng, "bias=True, activation='reglu', float64", (2, 2, 3), np.float64, d_model=3,
            hidden=5, activation="reglu", bias=True,
        ),
        block_case(
            rng, "bias=True, activation='glu'", (6, 8), np.float32, d_model=8, hidden=3,
            activation="glu", bias=True,
        ),
    ]  # fmt: skip


COMMON: dict[str, Any] = {
    "targets": ("GatedFeedForward",),
    "probe": probe_module,
    "compare": compare_module,
    "oracle": (ReferenceGatedFeedForward,),
    "hint": FORWARD_HINT,
}

gated_ff_core = Item(
    grade_id="gated_ff_core",
    title="GatedFeedForward: layers, parameter count, forward and gradients",
    cases=Cases(core_visible, core_hidden),
    **COMMON,
)
gated_ff_edge = Item(
    grade_id="gated_ff_edge",
    title="GatedFeedForward: bias, every activation, float64, an unknown activation",
    cases=Cases(edge_visible, edge_hidden),
    **COMMON,
)
