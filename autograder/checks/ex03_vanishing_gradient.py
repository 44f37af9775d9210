"""ex03_vanishing_gradient: sigmoid_chain_bound, layer_grad_norms, he_normal_, xavier_uniform_.

Models for ``layer_grad_norms`` are built inside the probe from a name and a seed stored in the
case, so only plain data crosses the sandbox boundary. The initializers are random, so their
items are statistical: the probe returns the filled weights and the trusted comparison tests
their mean, standard deviation, range and whole distribution (Kolmogorov-Smirnov) against the
distribution in the function's name. The thresholds are six standard errors (KS: a statistic of
2.8), so a correct initializer fails a check with probability below 1e-6.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from scipy import stats
from torch import nn
from torch.nn import functional as F

from autograder.forbidden import existing
from autograder.items import Case, Item, Probe
from autograder.kit import models
from autograder.kit.cases import Cases
from autograder.kit.models import Model
from autograder.report import Failure, describe

INIT_FORBIDDEN = existing(
    tuple(
        f"torch.nn.init.{name}"
        for name, value in vars(nn.init).items()
        if callable(value)
        and getattr(value, "__module__", "") == "torch.nn.init"
        and name != "_make_deprecate"
    )
)


# sigmoid_chain_bound --------------------------------------------------------------------------


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
    if not math.isclose(value, want, rel_tol=1e-9, abs_tol=0.0):
        specific = hint
        if n > 0 and math.isclose(value, 0.5**n, rel_tol=1e-9):
            specific = (
                "You used 1/2 per layer; the largest value of sigma'(z) = "
                "sigma(z)(1 - sigma(z)) is 1/4, at z = 0."
            )
        elif math.isclose(value, want * 4, rel_tol=1e-9) or math.isclose(
            value, want / 4, rel_tol=1e-9
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


def chain_bound_edge_visible(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case("no layer at all (n_layers = 0)", (0,)),
        Case("a very deep chain (n_layers = 100): tiny but not 0", (100,)),
    ]
    return cases


def chain_bound_edge_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    cases.append(Case("n_layers = 300, far below float32's range", (300,)))
    return cases


chain_bound_edge_cases = Cases(chain_bound_edge_visible, chain_bound_edge_hidden)


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


# layer_grad_norms -----------------------------------------------------------------------------


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
        if not math.isclose(g, w, rel_tol=1e-5, abs_tol=1e-8):
            alternatives = grad_norm_alternatives(case)
            mistake = next(
                (
                    k
                    for k, alt in alternatives.items()
                    if all(
                        math.isclose(a, v, rel_tol=1e-5, abs_tol=1e-8)
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
    cases = [
        _grad_case("ReLU MLP, cross-entropy", "relu", rng, "cross_entropy"),
        _grad_case("sigmoid MLP of 6 layers, cross-entropy", "sigmoid", rng, "cross_entropy"),
        _grad_case("tanh MLP, mean squared error", "tanh", rng, "mse_loss"),
    ]
    return cases


def grad_norms_core_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    cases += [
        _grad_case("ReLU MLP, MSE, batch of 64", "relu", rng, "mse_loss", batch=64),
        _grad_case("sigmoid MLP, a batch of 2", "sigmoid", rng, "cross_entropy", batch=2),
    ]
    return cases


grad_norms_core_cases = Cases(grad_norms_core_visible, grad_norms_core_hidden)


def grad_norms_structure_visible(rng: np.random.Generator) -> list[Case]:
    cases = [
        _grad_case("nested modules and a Linear without bias", "nested", rng, "cross_entropy"),
        _grad_case("a model with a convolution", "conv", rng, "cross_entropy"),
    ]
    return cases


def grad_norms_structure_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    cases.append(_grad_case("a model with BatchNorm1d", "batchnorm", rng, "mse_loss"))
    return cases


grad_norms_structure_cases = Cases(grad_norms_structure_visible, grad_norms_structure_hidden)


def grad_norms_state_visible(rng: np.random.Generator) -> list[Case]:
    cases = [
        _grad_case(
            "gradients left over from an earlier pass", "relu", rng, "cross_entropy", stale=True
        ),
        _grad_case("old gradients on a deep sigmoid MLP", "sigmoid", rng, "mse_loss", stale=True),
    ]
    return cases


def grad_norms_state_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    cases.append(
        _grad_case("old gradients on nested modules", "nested", rng, "cross_entropy", stale=True)
    )
    return cases


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


# he_normal_ and xavier_uniform_ -----------------------------------------------------------------

KS_LIMIT = 2.8  # sqrt(n) * KS statistic; P(exceeded by a correct sampler) < 1e-6
SE_LIMIT = 6.0  # standard errors for the mean and the standard deviation


def he_oracle(w: torch.Tensor) -> torch.Tensor:
    return nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")


def xavier_oracle(w: torch.Tensor) -> torch.Tensor:
    return nn.init.xavier_uniform_(w)


def probe_init(case: Case, fn) -> Probe:
    shape, dtype = case.args
    torch_dtype = getattr(torch, dtype)
    make = nn.Parameter if case.kwargs.get("parameter") else (lambda t: t)
    w = make(torch.full(shape, float("nan"), dtype=torch_dtype))
    result = fn(w)
    other = make(torch.full(shape, float("nan"), dtype=torch_dtype))
    fn(other)
    return {
        "same_object": result is w,
        "result_kind": type(result).__name__,
        "dtype": str(w.dtype).removeprefix("torch."),
        "shape": list(w.shape),
        "requires_grad": bool(w.requires_grad),
        "grad_fn": type(w.grad_fn).__name__ if w.grad_fn is not None else None,
        "values": w.detach().numpy().astype(np.float64).ravel().copy(),
        "repeat_equal": bool(torch.equal(w.detach(), other.detach())),
    }


def _std_error(values: np.ndarray, sigma: float, kurtosis: float) -> float:
    """Standard error of the sample standard deviation for a distribution of this kurtosis."""
    return sigma * math.sqrt((kurtosis - 1) / (4 * values.size))


def compare_init(kind: str) -> Callable[[Case, Probe, Probe], Failure | None]:
    """Statistical comparison with the named distribution ("he_normal" or "xavier_uniform")."""
    name = f"{kind}_"

    def compare(case: Case, got: Probe, expected: Probe) -> Failure | None:
        shape, dtype = case.args
        fan_out, fan_in = shape
        what = "an nn.Parameter" if case.kwargs.get("parameter") else "a tensor"
        call = (
            f"{name}(w) with w {what} of shape {tuple(shape)} (fan_out = {fan_out}, "
            f"fan_in = {fan_in}), {dtype}"
        )
        if kind == "he_normal":
            sigma = math.sqrt(2 / fan_in)
            target = f"normal with mean 0 and std sqrt(2 / fan_in) = {sigma:.6g}"
            hint = (
                "Fill w in place with normal values of std sqrt(2 / fan_in), where "
                "fan_in = w.shape[1]: inside torch.no_grad(), w.normal_(0, std)."
            )
        else:
            bound = math.sqrt(6 / (fan_in + fan_out))
            sigma = bound / math.sqrt(3)
            target = f"uniform on [-a, a] with a = sqrt(6 / (fan_in + fan_out)) = {bound:.6g}"
            hint = (
                "Fill w in place with uniform values on [-a, a], a = sqrt(6 / (fan_in + "
                "fan_out)): inside torch.no_grad(), w.uniform_(-a, a)."
            )
        if "error" in got:
            extra = (
                " A Parameter that requires grad can only be filled in place inside "
                "torch.no_grad()."
                if "leaf Variable" in got["error"]
                else ""
            )
            return Failure(case.label, f"raised {got['error']}", call, hint=hint + extra)
        if not got["same_object"]:
            return Failure(
                case.label,
                f"returned a {got['result_kind']} that is not w itself",
                call,
                hint="Fill w in place (methods ending in _ such as w.normal_() do) and return w.",
            )
        for key in ("dtype", "shape"):
            if got[key] != expected[key]:
                return Failure(
                    case.label,
                    f"changed w's {key}",
                    call,
                    expected=str(expected[key]),
                    returned=str(got[key]),
                    hint=hint,
                )
        if got["requires_grad"] != expected["requires_grad"] or got["grad_fn"]:
            return Failure(
                case.label,
                "w's autograd state changed: "
                + (
                    f"it now has grad_fn {got['grad_fn']}"
                    if got["grad_fn"]
                    else f"requires_grad became {got['requires_grad']}"
                ),
                call,
                hint="Fill w inside `with torch.no_grad():` so that no history is "
                "recorded, and do not change requires_grad.",
            )
        values = got["values"]
        if not np.isfinite(values).all():
            return Failure(
                case.label,
                f"{int((~np.isfinite(values)).sum())} of the "
                f"{values.size} entries of w are not finite (were they filled?)",
                call,
                hint=hint,
            )
        n = values.size
        mean, std = float(values.mean()), float(values.std())
        expected_text = f"values {target}"
        if abs(mean) > SE_LIMIT * sigma / math.sqrt(n):
            return Failure(
                case.label,
                "the mean of the entries is not 0",
                call,
                expected=f"mean 0 (within {SE_LIMIT * sigma / math.sqrt(n):.2g})",
                returned=f"mean {mean:.6g}",
                hint=hint,
            )
        if kind == "xavier_uniform":
            low, high = float(values.min()), float(values.max())
            slack = bound * 1e-6
            if low < -bound - slack or high > bound + slack:
                return Failure(
                    case.label,
                    "entries outside [-a, a]",
                    call,
                    expected=expected_text,
                    returned=f"entries from {low:.6g} to {high:.6g}",
                    hint=hint,
                )
        se = _std_error(values, sigma, 3.0 if kind == "he_normal" else 1.8)
        if abs(std - sigma) > SE_LIMIT * se:
            ratio = std / sigma
            specific = hint
            if (
                kind == "he_normal"
                and fan_in != fan_out
                and abs(ratio - math.sqrt(fan_in / fan_out)) < 0.02 * ratio
            ):
                specific = (
                    "The spread matches fan_out instead of fan_in: w has shape "
                    "(out_features, in_features), so fan_in = w.shape[1]."
                )
            return Failure(
                case.label,
                "wrong standard deviation",
                call,
                expected=f"std {sigma:.6g} ({target})",
                returned=f"std {std:.6g} ({ratio:.3g} times too "
                f"{'large' if ratio > 1 else 'small'} a spread)",
                hint=specific,
            )
        if kind == "he_normal":
            distribution = stats.norm(0.0, sigma)
        else:
            distribution = stats.uniform(-bound, 2 * bound)
        ks = float(stats.kstest(values, distribution.cdf).statistic) * math.sqrt(n)
        if ks > KS_LIMIT:
            shape_hint = (
                "The mean and spread are right but the values do not follow the "
                f"distribution: use a {'normal' if kind == 'he_normal' else 'uniform'}"
                " distribution, as the name says."
            )
            return Failure(
                case.label,
                "the values do not follow the named distribution",
                call,
                expected=expected_text,
                returned=f"a Kolmogorov-Smirnov distance of {ks / math.sqrt(n):.3g} "
                f"from it over {n} entries (a correct sampler stays below "
                f"{KS_LIMIT / math.sqrt(n):.3g})",
                hint=shape_hint,
            )
        if got["repeat_equal"]:
            return Failure(
                case.label,
                "two calls filled two weights with identical values",
                call,
                hint="Draw fresh random values on each call: do not reseed "
                "(torch.manual_seed) inside the function.",
            )
        return None

    return compare


def float32_weight(shape: tuple[int, int]) -> Case:
    return Case(f"a float32 weight of shape {shape}", (shape, "float32"))


init_core_cases = Cases(
    [float32_weight((200, 300)), float32_weight((600, 100))],
    lambda rng: [float32_weight((int(rng.integers(100, 400)), int(rng.integers(100, 400))))],
)


def init_edge_visible(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case("an nn.Parameter that requires grad", ((150, 400), "float32"), {"parameter": True}),
        Case("a float64 weight", ((300, 200), "float64")),
        Case("one input feature (fan_in = 1)", ((20000, 1), "float32")),
    ]
    return cases


def init_edge_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    cases.append(Case("a float64 nn.Parameter", ((256, 256), "float64"), {"parameter": True}))
    return cases


init_edge_cases = Cases(init_edge_visible, init_edge_hidden)


def _init_item(grade_id: str, title: str, target: str, cases, oracle) -> Item:
    kind = target.removesuffix("_")
    return Item(
        grade_id=grade_id,
        title=title,
        targets=(target,),
        cases=cases,
        probe=probe_init,
        compare=compare_init(kind),
        oracle=(oracle,),
        forbidden=INIT_FORBIDDEN,
    )


he_normal_core = _init_item(
    "he_normal_core",
    "he_normal_: N(0, 2 / fan_in), filled in place",
    "he_normal_",
    init_core_cases,
    he_oracle,
)
he_normal_edge = _init_item(
    "he_normal_edge",
    "he_normal_: Parameters, float64, no autograd history",
    "he_normal_",
    init_edge_cases,
    he_oracle,
)
xavier_uniform_core = _init_item(
    "xavier_uniform_core",
    "xavier_uniform_: U(-a, a) with a = sqrt(6 / (fan_in + fan_out))",
    "xavier_uniform_",
    init_core_cases,
    xavier_oracle,
)
xavier_uniform_edge = _init_item(
    "xavier_uniform_edge",
    "xavier_uniform_: Parameters, float64, no autograd history",
    "xavier_uniform_",
    init_edge_cases,
    xavier_oracle,
)

ITEMS: tuple[Item, ...] = (
    sigmoid_chain_bound_core,
    sigmoid_chain_bound_edge,
    layer_grad_norms_core,
    layer_grad_norms_structure,
    layer_grad_norms_state,
    he_normal_core,
    he_normal_edge,
    xavier_uniform_core,
    xavier_uniform_edge,
)
