"""layer_grad_norms: the gradient norm of each Linear layer's weight after one backward pass.

Models are built inside the probe from a name and a seed stored in the case, so only plain data
crosses the sandbox boundary.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from autograder.items import Case, Item, Probe
from autograder.kit import models
from autograder.kit.cases import Cases
from autograder.kit.models import Model
from autograder.kit.tolerance import NORM_TOLERANCE
from autograder.report import Failure, describe


class Block(nn.Module):
    """A custom module holding a bias-free Linear, to check nested modules are found."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.inner = nn.Linear(width, width, bias=False)
        self.act = nn.Tanh()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.inner(x))


def _mlp(sizes: Sequence[int], act: Callable[[], nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


MODELS: dict[str, Model] = {
    "relu": Model("a 3-layer ReLU MLP 8-16-16-3", lambda: _mlp([8, 16, 16, 3], nn.ReLU)),
    "sigmoid": Model(
        "a 6-layer sigmoid MLP of width 12", lambda: _mlp([8] + [12] * 5 + [3], nn.Sigmoid)
    ),
    "tanh": Model("a 4-layer tanh MLP 8-10-10-10-1", lambda: _mlp([8, 10, 10, 10, 1], nn.Tanh)),
    "nested": Model(
        "nested modules: Sequential(Sequential(Linear, ReLU), Block(Linear without "
        "bias, Tanh), Linear)",
        lambda: nn.Sequential(nn.Sequential(nn.Linear(8, 6), nn.ReLU()), Block(6), nn.Linear(6, 3)),
    ),
    "conv": Model(
        "Conv1d, Flatten, Linear, ReLU, Linear (only the two Linear weights count)",
        lambda: nn.Sequential(
            nn.Unflatten(1, (1, 8)),
            nn.Conv1d(1, 2, 3),
            nn.Flatten(),
            nn.Linear(12, 5),
            nn.ReLU(),
            nn.Linear(5, 3),
        ),
    ),
    "batchnorm": Model(
        "Linear, BatchNorm1d, ReLU, Linear",
        lambda: nn.Sequential(nn.Linear(8, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3)),
    ),
}


LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "cross_entropy": F.cross_entropy,
    "mse_loss": F.mse_loss,
}


def build_model(name: str, seed: int) -> nn.Module:
    return models.build(MODELS, name, seed)


def _inputs(case: Case) -> tuple[nn.Module, torch.Tensor, torch.Tensor, Callable]:
    name, seed, x, y, loss = case.args
    model = build_model(name, seed)
    if case.kwargs.get("stale"):
        stale_loss = LOSSES[loss](model(torch.from_numpy(x) * 3 + 1), torch.from_numpy(y))
        stale_loss.backward()
    return model, torch.from_numpy(np.array(x)), torch.from_numpy(np.array(y)), LOSSES[loss]


def linear_weights(model: nn.Module) -> list[torch.Tensor]:
    return [m.weight for m in model.modules() if isinstance(m, nn.Linear)]


def grad_norms_oracle(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable
) -> list[float]:
    grads = torch.autograd.grad(loss_fn(model(x), y), linear_weights(model))
    return [float(torch.linalg.vector_norm(g)) for g in grads]


def probe_grad_norms(case: Case, fn) -> Probe:
    model, x, y, loss_fn = _inputs(case)
    before = {k: p.detach().clone() for k, p in model.named_parameters()}
    result = fn(model, x, y, loss_fn)
    probe: Probe = {
        "kind": type(result).__name__,
        "changed": [
            k for k, p in model.named_parameters() if not torch.equal(p.detach(), before[k])
        ],
    }
    if isinstance(result, list | tuple):
        probe["item_kinds"] = [type(v).__name__ for v in result]
        if all(isinstance(v, float) for v in result):
            probe["value"] = [float(v) for v in result]
        elif all(isinstance(v, torch.Tensor) and v.numel() == 1 for v in result):
            probe["tensor_values"] = [float(v) for v in result]
    return probe


def grad_norm_alternatives(case: Case) -> dict[str, list[float]]:
    """What common mistakes return on this case, to name the mistake in the hint."""
    model, x, y, loss_fn = _inputs(case)
    stale = [w.grad.clone() if w.grad is not None else None for w in linear_weights(model)]
    weights = linear_weights(model)
    fresh = torch.autograd.grad(loss_fn(model(x), y), weights)
    norms = [float(torch.linalg.vector_norm(g)) for g in fresh]
    out = {
        "weight": [float(torch.linalg.vector_norm(w.detach())) for w in weights],
        "squared": [n * n for n in norms],
        "reversed": norms[::-1],
    }
    if any(s is not None for s in stale):
        out["accumulated"] = [
            float(torch.linalg.vector_norm(g + (s if s is not None else 0)))
            for g, s in zip(fresh, stale, strict=True)
        ]
    return out


GRAD_NORM_HINTS = {
    "weight": "These are the norms of the weights themselves; return the norms of their "
    "gradients, w.grad, after loss.backward().",
    "squared": "These are squared norms: take the square root (torch.linalg.vector_norm(g)).",
    "reversed": "Return the norms in the order of model.modules(), first layer first.",
    "accumulated": "The model already had gradients from an earlier pass and backward() adds "
    "to them: call model.zero_grad() first (or use torch.autograd.grad).",
}


def compare_grad_norms(case: Case, got: Probe, expected: Probe) -> Failure | None:
    name = case.args[0]
    call = (
        f"layer_grad_norms(model, x, y, F.{case.args[4]}) with "
        f"{MODELS[name].description} and a batch of {len(case.args[2])} samples"
        + (
            ", after an earlier backward pass left gradients on the model"
            if case.kwargs.get("stale")
            else ""
        )
    )
    hint = (
        "Zero the old gradients, compute loss_fn(model(x), y), call backward() once, and "
        "return [float(m.weight.grad.norm()) for each nn.Linear m in model.modules()]."
    )
    if "error" in got:
        return Failure(case.label, f"raised {got['error']}", call, hint=hint)
    if got["changed"]:
        return Failure(
            case.label,
            "changed the model's parameters: " + ", ".join(got["changed"][:4]),
            call,
            hint="Do not take an optimizer step or modify the weights: only compute the gradients.",
        )
    if "item_kinds" not in got:
        return Failure(
            case.label,
            f"returned a {got['kind']}, not a list of floats",
            call,
            expected=f"a list of {len(expected['value'])} floats",
            hint=hint,
        )
    want = expected["value"]
    if len(got["item_kinds"]) != len(want):
        return Failure(
            case.label,
            f"returned {len(got['item_kinds'])} norms",
            call,
            expected=f"{len(want)} norms, one per nn.Linear weight",
            returned=f"{len(got['item_kinds'])} values",
            hint="One norm per nn.Linear module (found with model.modules(), which "
            "also finds Linear layers inside nested modules), of its weight "
            "only: not biases, not other layer types.",
        )
    if "value" not in got:
        kinds = sorted(set(got["item_kinds"]))
        return Failure(
            case.label,
            f"returned a list of {', '.join(kinds)}, not Python floats",
            call,
            hint="Convert each norm with float(...) or .item().",
        )
    for i, (g, w) in enumerate(zip(got["value"], want, strict=True)):
        if not math.isclose(g, w, rel_tol=NORM_TOLERANCE[0], abs_tol=NORM_TOLERANCE[1]):
            alternatives = grad_norm_alternatives(case)
            mistake = next(
                (
                    k
                    for k, alt in alternatives.items()
                    if all(
                        math.isclose(a, v, rel_tol=NORM_TOLERANCE[0], abs_tol=NORM_TOLERANCE[1])
                        for a, v in zip(alt, got["value"], strict=True)
                    )
                ),
                None,
            )
            return Failure(
                case.label,
                f"wrong gradient norm for Linear layer {i}",
                call,
                expected=f"{w!r} (all: {describe(np.array(want))})",
                returned=f"{g!r} (all: {describe(np.array(got['value']))})",
                hint=GRAD_NORM_HINTS.get(mistake, hint) if mistake else hint,
            )
    return None


def _grad_case(
    label: str, name: str, rng: np.random.Generator, loss: str, batch: int = 16, **options: object
) -> Case:
    x = rng.standard_normal((batch, 8)).astype(np.float32)
    if loss == "cross_entropy":
        y = rng.integers(0, 3, size=batch)
    else:
        y = rng.standard_normal((batch, 1 if name == "tanh" else 3)).astype(np.float32)
    return Case(label, (name, int(rng.integers(1 << 30)), x, y, loss), dict(options))


def grad_norms_core_visible(rng: np.random.Generator) -> list[Case]:
    return [
        _grad_case("ReLU MLP, cross-entropy", "relu", rng, "cross_entropy"),
        _grad_case("sigmoid MLP of 6 layers, cross-entropy", "sigmoid", rng, "cross_entropy"),
        _grad_case("tanh MLP, mean squared error", "tanh", rng, "mse_loss"),
    ]


def grad_norms_core_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        _grad_case("ReLU MLP, MSE, batch of 64", "relu", rng, "mse_loss", batch=64),
        _grad_case("sigmoid MLP, a batch of 2", "sigmoid", rng, "cross_entropy", batch=2),
    ]


grad_norms_core_cases = Cases(grad_norms_core_visible, grad_norms_core_hidden)


def grad_norms_structure_visible(rng: np.random.Generator) -> list[Case]:
    return [
        _grad_case("nested modules and a Linear without bias", "nested", rng, "cross_entropy"),
        _grad_case("a model with a convolution", "conv", rng, "cross_entropy"),
    ]


def grad_norms_structure_hidden(rng: np.random.Generator) -> list[Case]:
    return [_grad_case("a model with BatchNorm1d", "batchnorm", rng, "mse_loss")]


grad_norms_structure_cases = Cases(grad_norms_structure_visible, grad_norms_structure_hidden)


def grad_norms_state_visible(rng: np.random.Generator) -> list[Case]:
    return [
        _grad_case(
            "gradients left over from an earlier pass", "relu", rng, "cross_entropy", stale=True
        ),
        _grad_case("old gradients on a deep sigmoid MLP", "sigmoid", rng, "mse_loss", stale=True),
    ]


def grad_norms_state_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        _grad_case("old gradients on nested modules", "nested", rng, "cross_entropy", stale=True)
    ]


grad_norms_state_cases = Cases(grad_norms_state_visible, grad_norms_state_hidden)


def _grad_item(grade_id: str, title: str, cases) -> Item:
    return Item(
        grade_id=grade_id,
        title=title,
        targets=("layer_grad_norms",),
        cases=cases,
        probe=probe_grad_norms,
        compare=compare_grad_norms,
        oracle=(grad_norms_oracle,),
    )


layer_grad_norms_core = _grad_item(
    "layer_grad_norms_core",
    "layer_grad_norms: one norm per Linear weight, in order",
    grad_norms_core_cases,
)


layer_grad_norms_structure = _grad_item(
    "layer_grad_norms_structure",
    "layer_grad_norms: nested modules, bias-free layers, other layer types",
    grad_norms_structure_cases,
)


layer_grad_norms_state = _grad_item(
    "layer_grad_norms_state",
    "layer_grad_norms: old gradients ignored, weights unchanged",
    grad_norms_state_cases,
)
