"""ex05_pitfalls: dead_relu_fraction, clip_grad_norm, step_lr, exponential_lr, cosine_lr,
should_stop.

Models for ``dead_relu_fraction`` are built inside the probe from a name and a seed stored in
the case (:func:`build_model`), so a probe sends only plain data across the sandbox boundary.
The oracles are PyTorch itself where the library has the function (``clip_grad_norm_``, the
``torch.optim.lr_scheduler`` classes run on a dummy optimizer) and the stated definition where
it has none (dead units, early stopping).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from autograder.forbidden import existing
from autograder.items import Case, Item, Probe, format_error
from autograder.kit import models
from autograder.kit.cases import Cases
from autograder.kit.models import Model
from autograder.kit.tolerance import tolerance
from autograder.report import Failure, describe

CLIP_FORBIDDEN = existing(
    (
        "torch.nn.utils.clip_grad_norm_",
        "torch.nn.utils.clip_grad_norm",
        "torch.nn.utils.clip_grad.clip_grad_norm_",
        "torch.nn.utils.clip_grad.clip_grad_norm",
        "torch.nn.utils.get_total_norm",
        "torch.nn.utils.clip_grads_with_norm_",
    )
)
SCHEDULER_FORBIDDEN = existing(
    tuple(
        f"torch.optim.lr_scheduler.{name}"
        for name in (
            "LRScheduler",
            "_LRScheduler",
            "LambdaLR",
            "MultiplicativeLR",
            "StepLR",
            "MultiStepLR",
            "ConstantLR",
            "LinearLR",
            "ExponentialLR",
            "SequentialLR",
            "PolynomialLR",
            "CosineAnnealingLR",
            "ChainedScheduler",
            "ReduceLROnPlateau",
            "CyclicLR",
            "CosineAnnealingWarmRestarts",
            "OneCycleLR",
        )
    )
)


def is_float(value: object) -> bool:
    """A Python float (NumPy's float64 is one too); not a bool, an int or a tensor."""
    return isinstance(value, float)


def kind(value: object) -> str:
    module = type(value).__module__
    name = type(value).__name__
    return name if module == "builtins" else f"{module.split('.')[0]}.{name}"


# dead_relu_fraction ------------------------------------------------------------------------


class TwoLayerBlock(nn.Module):
    """A block whose layers and activations sit in ModuleLists (nested two levels deep)."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(n_in, n_hidden), nn.Linear(n_hidden, n_out)])
        self.acts = nn.ModuleList([nn.ReLU(inplace=True), nn.ReLU()])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.acts[0](self.layers[0](x))
        return self.acts[1](self.layers[1](x))


class Swapped(nn.Module):
    """Two ReLUs registered in the opposite order to the one they run in."""

    def __init__(self) -> None:
        super().__init__()
        self.act_late = nn.ReLU()
        self.fc1 = nn.Linear(4, 6)
        self.act_early = nn.ReLU()
        self.fc2 = nn.Linear(6, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act_late(self.fc2(self.act_early(self.fc1(x))))


def _set_bias(layer: object, units: Sequence[int] | slice, value: float) -> None:
    """Set some biases of ``layer`` (an ``nn.Linear`` or ``nn.Conv2d``) to ``value``: dead
    units by design."""
    assert isinstance(layer, nn.Linear | nn.Conv2d) and layer.bias is not None
    with torch.no_grad():
        layer.bias[units] = value


def _mlp() -> nn.Sequential:
    model = nn.Sequential(
        nn.Linear(6, 16),
        nn.ReLU(),
        nn.Linear(16, 12),
        nn.ReLU(),
        nn.Linear(12, 8),
        nn.ReLU(),
        nn.Linear(8, 3),
    )
    _set_bias(model[0], [0, 5, 10, 15], -100.0)  # dead by construction
    _set_bias(model[2], [3, 7], -100.0)
    _set_bias(model[4], [1], -100.0)
    return model


def _nested() -> nn.Module:
    model = nn.Sequential(
        nn.Sequential(nn.Linear(5, 10), nn.ReLU()), TwoLayerBlock(10, 10, 8), nn.Linear(8, 2)
    )
    inner, block = model[0], model[1]
    assert isinstance(inner, nn.Sequential) and isinstance(block, TwoLayerBlock)
    _set_bias(inner[0], [2, 6], -100.0)
    _set_bias(block.layers[0], [0], -100.0)
    _set_bias(block.layers[1], [4, 5], -100.0)
    return model


def _conv() -> nn.Module:
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * 5 * 5, 6),
        nn.ReLU(),
        nn.Linear(6, 2),
    )
    _set_bias(model[0], [0], -100.0)
    _set_bias(model[3], [5], -100.0)
    return model


def _sequence() -> nn.Module:
    model = nn.Sequential(nn.ReLU(), nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 5), nn.ReLU())
    _set_bias(model[1], [2], -100.0)
    return model


def _single(bias: float) -> nn.Module:
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU())
    _set_bias(model[0], slice(None), bias)
    return model


def _swapped() -> nn.Module:
    model = Swapped()
    _set_bias(model.fc1, slice(None), 5.0)  # alive for sure on inputs of size ~1
    _set_bias(model.fc1, [0], -100.0)  # dead: 1 of act_early's 6 units
    _set_bias(model.fc2, slice(None), -100.0)  # all of act_late's 5 units dead
    return model


def _leaky() -> nn.Module:
    model = nn.Sequential(
        nn.Linear(4, 6), nn.LeakyReLU(0.1), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 2)
    )
    _set_bias(model[0], slice(None), -100.0)  # LeakyReLU is not an nn.ReLU: never counted
    _set_bias(model[2], [0, 1], -100.0)
    return model


def _dropout_train() -> nn.Sequential:
    model = nn.Sequential(
        nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2)
    )
    _set_bias(model[0], [1, 4], -100.0)
    _set_bias(model[2], [0], -100.0)
    return model.train()


def _dropout_eval() -> nn.Module:
    model = nn.Sequential(
        nn.Linear(5, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2)
    )
    _set_bias(model[0], [3], -100.0)
    _set_bias(model[3], [2, 6], -100.0)
    return model.eval()


def _frozen() -> nn.Module:
    model = _dropout_train()
    model[0].requires_grad_(False)  # a frozen first layer, as when fine-tuning
    return model


MODELS: dict[str, Model] = {
    "mlp": Model("Linear(6,16) ReLU Linear(16,12) ReLU Linear(12,8) ReLU Linear(8,3)", _mlp),
    "mlp64": Model("the same MLP in float64", lambda: _mlp().double()),
    "nested": Model(
        "Sequential(Sequential(Linear, ReLU), Block(ModuleList of Linears, "
        "ModuleList of ReLUs), Linear)",
        _nested,
    ),
    "conv": Model("Conv2d(2,4,3) ReLU Flatten Linear(100,6) ReLU Linear(6,2)", _conv),
    "sequence": Model("ReLU Linear(4,6) ReLU Linear(6,5) ReLU", _sequence),
    "all_dead": Model("Linear(4,5) with bias -100, ReLU", lambda: _single(-100.0)),
    "none_dead": Model("Linear(4,5) with bias +100, ReLU", lambda: _single(100.0)),
    "relu_first": Model(
        "ReLU Linear(3,4) ReLU", lambda: nn.Sequential(nn.ReLU(), nn.Linear(3, 4), nn.ReLU())
    ),
    "bare_relu": Model("nn.ReLU() itself", nn.ReLU),
    "no_relu": Model(
        "Linear Tanh Linear (no ReLU)",
        lambda: nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)),
    ),
    "swapped": Model(
        "a module that registers act_late before act_early but runs act_early first", _swapped
    ),
    "leaky": Model("Linear(4,6) LeakyReLU Linear(6,6) ReLU Linear(6,2)", _leaky),
    "dropout_train": Model("Linear ReLU Linear ReLU Dropout Linear, in train mode", _dropout_train),
    "dropout_eval": Model("Linear ReLU Dropout Linear ReLU Linear, in eval mode", _dropout_eval),
    "frozen": Model(
        "Linear ReLU Linear ReLU Dropout Linear, in train mode, first Linear frozen "
        "(requires_grad=False)",
        _frozen,
    ),
}


def build_model(name: str, seed: int) -> nn.Module:
    return models.build(MODELS, name, seed)


def dead_relu_oracle(model: nn.Module, x: torch.Tensor) -> list[float]:
    """The definition: per nn.ReLU, the share of units equal to 0 for every sample."""
    outputs, _ = relu_outputs(model, x)
    dead = [(out == 0).reshape(out.shape[0], -1).all(dim=0) for out in outputs]
    return [int(d.sum()) / d.numel() for d in dead]


def relu_outputs(model: nn.Module, x: torch.Tensor) -> tuple[list[torch.Tensor], list[int]]:
    """Each nn.ReLU's output in model.modules() order, and the order the ReLUs ran in."""
    relus = list(filter(lambda module: isinstance(module, nn.ReLU), model.modules()))
    outputs: dict[int, torch.Tensor] = {}
    ran: list[int] = []

    def recorder(i: int):
        def hook(module, inputs, output):
            outputs[i] = output.detach().clone()
            ran.append(i)

        return hook

    handles = [m.register_forward_hook(recorder(i)) for i, m in enumerate(relus)]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return [outputs[i] for i in range(len(relus))], ran


def dead_diagnostics(name: str, seed: int, x: torch.Tensor) -> dict[str, list[float]]:
    """What the common mistakes would return on this case, to name the mistake in a hint."""
    with torch.random.fork_rng(devices=[]):  # a Dropout in train mode draws random numbers
        outs, ran = relu_outputs(build_model(name, seed), x)

    def share(mask: torch.Tensor) -> float:
        return int(mask.sum()) / mask.numel()

    def per_unit(out: torch.Tensor) -> torch.Tensor:
        return out.reshape(out.shape[0], -1)

    correct = [share((per_unit(o) == 0).all(0)) for o in outs]
    return {
        "any": [share((per_unit(o) == 0).any(0)) for o in outs],
        "nan": [share(((per_unit(o) == 0) | per_unit(o).isnan()).all(0)) for o in outs],
        "count": [float((per_unit(o) == 0).all(0).sum()) for o in outs],
        "per_sample": [share(per_unit(o) == 0) for o in outs],
        "last_dim": [share((o.reshape(-1, o.shape[-1]) == 0).all(0)) for o in outs],
        "call_order": [correct[i] for i in ran],
    }


_HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
_GLOBAL_HOOKS = (
    "_global_forward_hooks",
    "_global_forward_pre_hooks",
    "_global_backward_hooks",
    "_global_backward_pre_hooks",
)


def _global_hooks() -> dict[str, list[int]]:
    from torch.nn.modules import module as module_module

    return {name: list(getattr(module_module, name, {})) for name in _GLOBAL_HOOKS}


def _remove_global_hooks(before: dict[str, list[int]]) -> None:
    """Remove the global module hooks registered since ``before``: they would run in every
    later forward pass of the student's kernel."""
    from torch.nn.modules import module as module_module

    for name, keys in before.items():
        hooks = getattr(module_module, name, None)
        if hooks is not None:
            for key in [k for k in hooks if k not in keys]:
                del hooks[key]


def model_state(model: nn.Module) -> dict[str, object]:
    """Everything "leave the model as it was" covers, as plain data."""
    modules = {}
    for name, module in model.named_modules():
        label = (
            f"submodule '{name}' ({type(module).__name__})"
            if name
            else f"the model itself ({type(module).__name__})"
        )
        modules[label] = {
            "training": bool(module.training),
            "hooks": sum(len(getattr(module, d, {})) for d in _HOOK_DICTS),
            "forward_patched": "forward" in vars(module),
        }
    parameters = {
        name: {
            "requires_grad": bool(p.requires_grad),
            "has_grad": p.grad is not None,
            "value": p.detach().clone(),
        }
        for name, p in model.named_parameters()
    }
    return {"modules": modules, "parameters": parameters}


def state_changes(before: dict, after: dict) -> list[list[str]]:
    """[category, description] for each way the model differs from how it was."""
    changes = []
    for label, was in before["modules"].items():
        now = after["modules"].get(label)
        if now is None:
            changes.append(["structure", f"{label} is gone"])
            continue
        if now["hooks"] > was["hooks"]:
            changes.append(
                ["hook", f"{now['hooks'] - was['hooks']} hook(s) left registered on {label}"]
            )
        if now["training"] != was["training"]:
            changes.append(
                [
                    "mode",
                    f"{label} was in "
                    f"{'train' if was['training'] else 'eval'} mode and is now in "
                    f"{'train' if now['training'] else 'eval'} mode",
                ]
            )
        if now["forward_patched"] and not was["forward_patched"]:
            changes.append(["patch", f"{label} still has a replaced forward method"])
    for name, was in before["parameters"].items():
        now = after["parameters"].get(name)
        if now is None:
            changes.append(["structure", f"parameter {name} is gone"])
            continue
        if now["has_grad"] and not was["has_grad"]:
            changes.append(["grad", f"parameter {name} now has a .grad"])
        if now["requires_grad"] != was["requires_grad"]:
            changes.append(
                [
                    "requires_grad",
                    f"parameter {name}.requires_grad changed from "
                    f"{was['requires_grad']} to {now['requires_grad']}",
                ]
            )
        if not torch.equal(now["value"], was["value"]):
            changes.append(["value", f"the values of parameter {name} changed"])
    if len(after["modules"]) != len(before["modules"]):
        changes.append(["structure", "submodules were added to the model"])
    return changes


def probe_dead(case: Case, fn) -> Probe:
    name, seed = case.kwargs["model"], case.kwargs["seed"]
    model = build_model(name, seed)
    x = torch.from_numpy(np.array(case.args[0]))
    x_before = x.clone()
    before = model_state(model)
    global_before = _global_hooks()
    try:
        result = fn(model, x)
    finally:
        global_after = _global_hooks()
        _remove_global_hooks(global_before)
    changes = state_changes(before, model_state(model))
    for hook_kind, keys in global_after.items():
        added = len([k for k in keys if k not in global_before[hook_kind]])
        if added:
            changes.append(
                ["hook", f"{added} global module hook(s) ({hook_kind.strip('_')}) left registered"]
            )
    if not torch.equal(x.isnan(), x_before.isnan()) or not torch.equal(
        x.nan_to_num(), x_before.nan_to_num()
    ):
        changes.append(["input", "the input x was modified"])
    probe: Probe = {
        "kind": kind(result),
        "changes": changes,
        "diagnostics": dead_diagnostics(name, seed, x_before),
    }
    if isinstance(result, list):
        probe["bad_items"] = [kind(v) for v in result if not is_float(v)]
        if not probe["bad_items"]:
            probe["value"] = [float(v) for v in result]
    return probe


DEAD_HINTS = {
    "any": "A unit is dead only if it outputs 0 for EVERY sample: use .all(dim=0) over the "
    "batch, not .any(dim=0).",
    "nan": "A NaN output is not 0: test (output == 0), which is False for NaN; (output > 0) is "
    "also False for NaN, so 'not alive' is not the same as 'dead'.",
    "count": "Return fractions (dead units / all units of that ReLU), not counts.",
    "per_sample": "Do not average the zeros sample by sample: first decide, unit by unit, whether "
    "it is 0 for every sample, then take the share of dead units.",
    "last_dim": "Units are all entries of the output except the batch dimension: for an output "
    "of shape (batch, seq, features) there are seq*features units. Reshape to "
    "(batch, -1) and reduce over dim 0 only.",
    "call_order": "Return the fractions in the order of model.modules(), not in the order the "
    "ReLUs ran in the forward pass (they can differ).",
}


def compare_dead(check_state: bool) -> Callable[[Case, Probe, Probe], Failure | None]:
    def compare(case: Case, got: Probe, expected: Probe) -> Failure | None:
        x = np.asarray(case.args[0])
        model = MODELS[case.kwargs["model"]].description
        call = f"dead_relu_fraction(model, x) with model = {model} and x of shape {x.shape}"
        if x.size <= 12:
            call += f": x = {' '.join(describe(x).split())}"
        if "error" in got:
            return Failure(
                case.label,
                f"raised {got['error']}",
                call,
                hint="Register a forward hook on each nn.ReLU, run the model once "
                "under torch.no_grad(), remove the hooks.",
            )
        if check_state and got["changes"]:
            category, text = got["changes"][0]
            hints = {
                "hook": "Keep the handles that register_forward_hook returns and call "
                "handle.remove() on each, in a try/finally so they go even on error.",
                "mode": "Do not switch the model with model.eval()/model.train(); if you do, "
                "put every submodule back in the mode it had.",
                "grad": "Run the forward pass under torch.no_grad() and do not call backward: "
                "measuring must not leave gradients on the parameters.",
                "requires_grad": "Do not change requires_grad; use torch.no_grad() instead.",
                "patch": "Do not replace modules' forward methods; use forward hooks.",
            }
            return Failure(
                case.label,
                "did not leave the model as it was: " + text,
                call,
                hint=hints.get(
                    category,
                    "Only observe the model: do not change its parameters, modules or input.",
                ),
            )
        if got["kind"] != "list":
            return Failure(
                case.label,
                f"returned a value of type {got['kind']}, not a list",
                call,
                expected=f"a list of Python floats like {expected['value']}",
                hint="Return [fraction_relu_1, fraction_relu_2, ...] as a list.",
            )
        if "value" not in got:
            return Failure(
                case.label,
                f"the list contains a {got['bad_items'][0]}, not a Python float",
                call,
                expected=repr(expected["value"]),
                hint="Convert each fraction with float(...) or tensor.item().",
            )
        g, e = got["value"], expected["value"]
        if len(g) != len(e):
            return Failure(
                case.label,
                f"returned {len(g)} fraction(s) for a model with {len(e)} nn.ReLU module(s)",
                call,
                expected=repr(e),
                returned=repr(g),
                hint="One entry per nn.ReLU module found by model.modules() (nested "
                "ones included, other activations such as LeakyReLU excluded); "
                "[] when there is none.",
            )
        if not np.allclose(g, e, rtol=0, atol=1e-6):
            index = int(np.flatnonzero(~np.isclose(g, e, rtol=0, atol=1e-6))[0])
            hint = next(
                (
                    DEAD_HINTS[k]
                    for k, v in expected["diagnostics"].items()
                    if len(v) == len(g) and v != e and np.allclose(g, v, rtol=0, atol=1e-6)
                ),
                "A unit is dead when its output is exactly 0 for every sample of x; "
                "return, per nn.ReLU, dead units / units.",
            )
            return Failure(
                case.label,
                f"wrong fraction for ReLU number {index + 1} (in model.modules() order)",
                call,
                expected=repr(e),
                returned=repr(g),
                hint=hint,
            )
        return None

    return compare


def _dead_case(label: str, name: str, x: np.ndarray, rng: np.random.Generator) -> Case:
    return Case(label, (x,), {"model": name, "seed": int(rng.integers(2**31))})


def _sequence_input(rng: np.random.Generator, batch: int) -> np.ndarray:
    """(batch, 3, 4) input; position 0 of feature 0 is negative in every sample, position 1
    positive, so the first ReLU's units differ along the sequence."""
    x = rng.standard_normal((batch, 3, 4)).astype(np.float32)
    x[:, 0, 0] = -np.abs(x[:, 0, 0]) - 0.1
    x[:, 1, 0] = np.abs(x[:, 1, 0]) + 0.1
    return x


def _normal(rng: np.random.Generator, *shape: int, dtype: type = np.float32) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


def dead_core_visible(rng: np.random.Generator) -> list[Case]:
    cases = [
        _dead_case("MLP with three ReLUs, batch of 16", "mlp", _normal(rng, 16, 6), rng),
        _dead_case(
            "nested model (Sequential in Sequential, ModuleLists, an inplace ReLU)",
            "nested",
            _normal(rng, 12, 5),
            rng,
        ),
        _dead_case(
            "3-D input (batch, seq, features): units = seq * features",
            "sequence",
            _sequence_input(rng, 10),
            rng,
        ),
        _dead_case(
            "convolutional model on (batch, channels, height, width)",
            "conv",
            _normal(rng, 8, 2, 5, 5),
            rng,
        ),
        _dead_case("float64 MLP", "mlp64", _normal(rng, 16, 6, dtype=np.float64), rng),
    ]
    return cases


def dead_core_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    cases += [
        _dead_case("MLP with a large batch", "mlp", _normal(rng, 200, 6), rng),
        _dead_case("nested model with a large batch", "nested", _normal(rng, 100, 5), rng),
        _dead_case("3-D input, large batch", "sequence", _sequence_input(rng, 64), rng),
    ]
    return cases


dead_core_cases = Cases(dead_core_visible, dead_core_hidden)


def dead_edge_visible(rng: np.random.Generator) -> list[Case]:
    nan_x = np.array([[-1.0, 2.0, np.nan], [-3.0, -1.0, -2.0], [-0.5, 1.0, -1.0]], dtype=np.float32)
    cases = [
        _dead_case(
            "every unit dead (bias -100)",
            "all_dead",
            rng.standard_normal((6, 4)).astype(np.float32),
            rng,
        ),
        _dead_case(
            "no unit dead (bias +100)",
            "none_dead",
            rng.standard_normal((6, 4)).astype(np.float32),
            rng,
        ),
        _dead_case("NaN outputs are not 0", "relu_first", nan_x, rng),
        _dead_case(
            "the model is a bare nn.ReLU",
            "bare_relu",
            np.array([[-1.0, 0.0, 2.0], [-2.0, 0.0, -3.0]], dtype=np.float32),
            rng,
        ),
        _dead_case(
            "a model without any ReLU",
            "no_relu",
            rng.standard_normal((4, 4)).astype(np.float32),
            rng,
        ),
        _dead_case(
            "ReLUs registered in another order than they run",
            "swapped",
            rng.standard_normal((8, 4)).astype(np.float32),
            rng,
        ),
        _dead_case(
            "a LeakyReLU is not an nn.ReLU",
            "leaky",
            rng.standard_normal((8, 4)).astype(np.float32),
            rng,
        ),
        _dead_case(
            "a batch of one sample", "mlp", rng.standard_normal((1, 6)).astype(np.float32), rng
        ),
    ]
    return cases


def dead_edge_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    nan_sample = rng.standard_normal((5, 6)).astype(np.float32)
    nan_sample[2, 0] = np.nan
    cases += [
        _dead_case("NaN in one sample of an MLP", "mlp", nan_sample, rng),
        _dead_case(
            "every unit dead, large batch",
            "all_dead",
            rng.standard_normal((100, 4)).astype(np.float32),
            rng,
        ),
    ]
    return cases


dead_edge_cases = Cases(dead_edge_visible, dead_edge_hidden)


def dead_state_visible(rng: np.random.Generator) -> list[Case]:
    cases = [
        _dead_case(
            "a model in train mode, with Dropout",
            "dropout_train",
            rng.standard_normal((10, 5)).astype(np.float32),
            rng,
        ),
        _dead_case(
            "a model in eval mode, with Dropout",
            "dropout_eval",
            rng.standard_normal((10, 5)).astype(np.float32),
            rng,
        ),
        _dead_case(
            "a train-mode model with a frozen layer",
            "frozen",
            rng.standard_normal((10, 5)).astype(np.float32),
            rng,
        ),
        _dead_case(
            "a nested model", "nested", rng.standard_normal((10, 5)).astype(np.float32), rng
        ),
    ]
    return cases


def dead_state_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    cases.append(
        _dead_case(
            "a model in eval mode, large batch",
            "dropout_eval",
            rng.standard_normal((64, 5)).astype(np.float32),
            rng,
        )
    )
    return cases


dead_state_cases = Cases(dead_state_visible, dead_state_hidden)


def _dead_item(grade_id: str, title: str, cases, check_state: bool) -> Item:
    return Item(
        grade_id=grade_id,
        title=title,
        targets=("dead_relu_fraction",),
        cases=cases,
        probe=probe_dead,
        compare=compare_dead(check_state),
        oracle=(dead_relu_oracle,),
    )


dead_relu_fraction_core = _dead_item(
    "dead_relu_fraction_core",
    "dead_relu_fraction: MLP, nested, 3-D and conv models",
    dead_core_cases,
    check_state=False,
)
dead_relu_fraction_edge = _dead_item(
    "dead_relu_fraction_edge",
    "dead_relu_fraction: all or none dead, NaN, no ReLU, module order, one sample",
    dead_edge_cases,
    check_state=False,
)
dead_relu_fraction_state = _dead_item(
    "dead_relu_fraction_state",
    "dead_relu_fraction: the model is left as it was (hooks, mode, gradients)",
    dead_state_cases,
    check_state=True,
)


# clip_grad_norm --------------------------------------------------------------------------


def clip_oracle(parameters, max_norm: float) -> float:
    return float(torch.nn.utils.clip_grad_norm_(parameters, max_norm))


def _container(params: Sequence[torch.Tensor], how: str):
    if how == "list":
        return list(params)
    if how == "tuple":
        return tuple(params)
    if how == "generator":
        return (p for p in params)
    if how == "parameters()":
        holder = nn.Module()
        holder.weights = nn.ParameterList(params)
        return holder.parameters()
    raise ValueError(how)


def probe_clip(case: Case, fn) -> Probe:
    values, grads, max_norm = case.args
    params = [nn.Parameter(torch.from_numpy(np.array(v))) for v in values]
    for p, g in zip(params, grads, strict=True):
        p.grad = None if g is None else torch.from_numpy(np.array(g))
    result = fn(_container(params, case.kwargs.get("container", "list")), max_norm)
    probe: Probe = {
        "kind": kind(result),
        "grads": [None if p.grad is None else p.grad.detach().numpy().copy() for p in params],
        "params_changed": any(
            not np.array_equal(p.detach().numpy(), v) for p, v in zip(params, values, strict=True)
        ),
    }
    if is_float(result):
        probe["value"] = float(result)
    return probe


def _clip_tolerance(grads: Sequence[np.ndarray | None]) -> tuple[float, float]:
    # float64's tolerance unless a gradient is float32 (or coarser)
    return tolerance(np.float64, *(g.dtype for g in grads if g is not None))


def clip_alternatives(grads: Sequence[np.ndarray | None], max_norm: float) -> dict[str, tuple]:
    """(returned norm, clipped grads) of the usual mistakes, computed in float64."""
    present = [np.asarray(g, dtype=np.float64) for g in grads if g is not None]
    norm = math.sqrt(sum(float(np.sum(g * g)) for g in present))
    coef = min(1.0, max_norm / (norm + 1e-6))

    def scaled(c: float) -> list[np.ndarray | None]:
        return [None if g is None else np.asarray(g, dtype=np.float64) * c for g in grads]

    def per_parameter() -> list[np.ndarray | None]:
        out: list[np.ndarray | None] = []
        for g in grads:
            if g is None:
                out.append(None)
                continue
            n = float(np.linalg.norm(np.asarray(g, dtype=np.float64)))
            out.append(np.asarray(g, dtype=np.float64) * min(1.0, max_norm / (n + 1e-6)))
        return out

    return {
        "after": (norm * coef, scaled(coef)),
        "per_parameter": (norm, per_parameter()),
        "strict": (norm, scaled(coef if norm > max_norm else 1.0)),
        "no_eps": (norm, scaled(min(1.0, max_norm / norm) if norm > 0 else 1.0)),
        "no_min": (norm, scaled(max_norm / (norm + 1e-6))),
        "untouched": (norm, scaled(1.0)),
        "squared": (norm * norm, scaled(coef)),
    }


CLIP_HINTS = {
    "after": "Return the total norm measured BEFORE clipping (what clip_grad_norm_ returns), "
    "not the norm of the clipped gradients.",
    "per_parameter": "Clip by the GLOBAL norm: one norm over all gradients together "
    "(sqrt of the sum of every squared entry), one factor for all of them.",
    "no_eps": "The factor is max_norm / (norm + 1e-6): the 1e-6 matters when the norm is small.",
    "no_min": "Never scale gradients up: the factor is min(1, max_norm / (norm + 1e-6)).",
    "strict": "Multiply by min(1, max_norm / (norm + 1e-6)) always: when norm == max_norm the "
    "factor is just below 1, so 'if norm > max_norm' skips a scaling torch does.",
    "untouched": "The gradients were not scaled. If parameters is a generator it can be "
    "iterated only once: turn it into a list first.",
    "squared": "The norm is the square root of the sum of squares.",
}


def compare_clip(case: Case, got: Probe, expected: Probe) -> Failure | None:
    values, grads, max_norm = case.args
    shapes = ", ".join(
        "None" if g is None else f"{np.asarray(g).dtype}{list(np.shape(g))}" for g in grads
    )
    how = case.kwargs.get("container", "list")
    call = (
        f"clip_grad_norm(parameters, max_norm={max_norm!r}) with parameters a {how} of "
        f"{len(grads)} parameter(s) whose gradients are {shapes}"
    )
    if len(grads) == 1 and grads[0] is not None and np.size(grads[0]) <= 4:
        call += f" (grad = {describe(np.asarray(grads[0]))})"
    rtol, atol = _clip_tolerance(grads)
    alternatives = clip_alternatives(grads, max_norm)

    def diagnose(matches: Callable[[tuple], bool], default: str) -> str:
        return next((CLIP_HINTS[k] for k, alt in alternatives.items() if matches(alt)), default)

    if "error" in got:
        hint = (
            "Skip parameters whose .grad is None; with no gradient at all the norm is 0.0."
            if any(g is None for g in grads)
            else "Collect the gradients first: "
            "grads = [p.grad for p in parameters if p.grad is not None]."
        )
        return Failure(case.label, f"raised {got['error']}", call, hint=hint)
    if got["params_changed"]:
        return Failure(
            case.label, "changed the parameters' values", call, hint="Scale p.grad, never p itself."
        )
    if "value" not in got:
        return Failure(
            case.label,
            f"returned a {got['kind']}, not a Python float",
            call,
            expected=repr(expected["value"]),
            hint="Return the norm as a Python float: float(total) or total.item().",
        )
    if not math.isclose(got["value"], expected["value"], rel_tol=rtol, abs_tol=atol):
        hint = diagnose(
            lambda alt: math.isclose(got["value"], alt[0], rel_tol=rtol, abs_tol=atol),
            "Return sqrt(sum over all gradients of the sum of their squared entries), "
            "measured before clipping.",
        )
        return Failure(
            case.label,
            "wrong total norm returned",
            call,
            expected=repr(expected["value"]),
            returned=repr(got["value"]),
            hint=hint,
        )
    for i, (g, e) in enumerate(zip(got["grads"], expected["grads"], strict=True)):
        where = f"{call}; gradient of parameter {i}"
        if (g is None) != (e is None):
            return Failure(
                case.label,
                f"parameter {i}'s .grad was {'removed' if g is None else 'created'}",
                where,
                hint="Leave parameters whose .grad is None alone.",
            )
        if e is None:
            continue
        if g.dtype != e.dtype or g.shape != e.shape:
            return Failure(
                case.label,
                "a gradient changed dtype or shape",
                where,
                expected=f"{e.dtype} {e.shape}",
                returned=f"{g.dtype} {g.shape}",
                hint="Multiply each gradient in place: p.grad.mul_(factor).",
            )
        bad = ~np.isclose(g, e, rtol=rtol, atol=atol)
        if bad.any():
            j = int(np.flatnonzero(bad.ravel())[0])

            def same_grads(alt: tuple) -> bool:
                return all(
                    (a is None) == (b is None)
                    and (a is None or np.allclose(a, b, rtol=rtol, atol=atol))
                    for a, b in zip(got["grads"], alt[1], strict=True)
                )

            hint = diagnose(
                same_grads,
                "Multiply every gradient by the same factor min(1, max_norm / (norm + 1e-6)).",
            )
            return Failure(
                case.label,
                "wrong clipped gradient",
                f"{where}, entry {j}",
                expected=describe(e.ravel()[j]),
                returned=describe(g.ravel()[j]),
                hint=hint,
            )
    return None


def _clip_case(
    label: str,
    rng: np.random.Generator,
    grads: list[np.ndarray | None],
    max_norm: float,
    container: str = "list",
) -> Case:
    values = [
        rng.standard_normal(np.shape(g) if g is not None else (3,)).astype(
            g.dtype if g is not None else np.float64
        )
        for g in grads
    ]
    return Case(label, (values, grads, max_norm), {"container": container})


def _random_grads(rng: np.random.Generator, shapes, norm: float, dtype=np.float64) -> list:
    """Gradients of the given shapes, rescaled to the given global norm."""
    grads = [rng.standard_normal(s) for s in shapes]
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    return [(g * (norm / total)).astype(dtype) for g in grads]


SHAPES = ((4, 3), (4,), (2, 3, 3), ())


def clip_core_visible(rng: np.random.Generator) -> list[Case]:
    cases = []
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        norm = float(rng.uniform(50, 200))
        cases.append(
            _clip_case(
                f"{name} gradients of several shapes, norm {norm:.3g} above max_norm (scaled down)",
                rng,
                _random_grads(rng, SHAPES, norm, dtype),
                float(rng.uniform(1, 10)),
            )
        )
        norm = float(rng.uniform(0.5, 5))
        cases.append(
            _clip_case(
                f"{name} gradients, norm {norm:.3g} below max_norm (unchanged)",
                rng,
                _random_grads(rng, SHAPES, norm, dtype),
                float(rng.uniform(10, 20)),
            )
        )
    cases += [
        _clip_case(
            "parameters given as a generator, norm above max_norm",
            rng,
            _random_grads(rng, SHAPES[:3], float(rng.uniform(50, 200))),
            float(rng.uniform(1, 10)),
            "generator",
        ),
        _clip_case(
            "model.parameters() (a generator), norm above max_norm",
            rng,
            _random_grads(rng, SHAPES[:2], float(rng.uniform(50, 200))),
            float(rng.uniform(1, 10)),
            "parameters()",
        ),
        _clip_case(
            "parameters given as a tuple",
            rng,
            _random_grads(rng, SHAPES[:2], float(rng.uniform(50, 200))),
            2.0,
            "tuple",
        ),
    ]
    return cases


def clip_core_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    cases += [
        _clip_case(
            "a large float32 gradient",
            rng,
            _random_grads(rng, ((64, 32), (32,)), float(rng.uniform(50, 200)), np.float32),
            float(rng.uniform(1, 10)),
        ),
        _clip_case(
            "a generator over many parameters",
            rng,
            _random_grads(rng, SHAPES * 3, float(rng.uniform(50, 200))),
            float(rng.uniform(1, 10)),
            "generator",
        ),
    ]
    return cases


clip_core_cases = Cases(clip_core_visible, clip_core_hidden)


def clip_edge_visible(rng: np.random.Generator) -> list[Case]:
    cases = [
        _clip_case(
            "a tiny norm (1e-3) above max_norm = 1e-4: the 1e-6 matters",
            rng,
            _random_grads(rng, SHAPES[:2], 1e-3),
            1e-4,
        ),
        _clip_case(
            "one gradient [0.75, 1.0], norm exactly max_norm = 1.25",
            rng,
            [np.array([0.75, 1.0])],
            1.25,
        ),
        _clip_case(
            "some parameters without a gradient (.grad is None)",
            rng,
            [None, *_random_grads(rng, SHAPES[:2], 30.0), None],
            3.0,
        ),
        _clip_case("no parameter has a gradient: the norm is 0.0", rng, [None, None], 1.0),
        _clip_case("all gradients zero", rng, [np.zeros((2, 2)), np.zeros(3)], 1.0),
        _clip_case("one scalar (0-d) gradient", rng, [np.array(-40.0)], 4.0),
    ]
    return cases


def clip_edge_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    cases += [
        _clip_case(
            "float32, some .grad None",
            rng,
            [None, *_random_grads(rng, SHAPES[:3], 80.0, np.float32)],
            1.0,
        ),
        _clip_case("an empty list of parameters", rng, [], 1.0),
    ]
    return cases


clip_edge_cases = Cases(clip_edge_visible, clip_edge_hidden)


def _clip_item(grade_id: str, title: str, cases) -> Item:
    return Item(
        grade_id=grade_id,
        title=title,
        targets=("clip_grad_norm",),
        cases=cases,
        probe=probe_clip,
        compare=compare_clip,
        oracle=(clip_oracle,),
        forbidden=CLIP_FORBIDDEN,
    )


clip_grad_norm_core = _clip_item(
    "clip_grad_norm_core",
    "clip_grad_norm: global norm, scaling, generators, float32",
    clip_core_cases,
)
clip_grad_norm_edge = _clip_item(
    "clip_grad_norm_edge",
    "clip_grad_norm: norm == max_norm, tiny norms, None and zero grads",
    clip_edge_cases,
)


# step_lr, exponential_lr, cosine_lr ------------------------------------------------------


class DummyOptimizer(torch.optim.Optimizer):
    """What a scheduler reads and writes: one param group with a learning rate.

    Optimizer.__init__ is skipped on purpose: it imports torch._dynamo, which takes over a
    second the first time and would make a student's first check slow.
    """

    def __init__(self, lr: float) -> None:  # no super().__init__(): see above
        self.param_groups = [{"lr": lr}]
        self.defaults = {"lr": lr}
        self.state = {}  # type: ignore[assignment]

    def step(self, closure: None = None) -> None:  # type: ignore[override]
        return None


def scheduled_lr(make: Callable, lr0: float, epoch: int) -> float:
    """The learning rate after ``epoch`` calls to step() of a real scheduler."""
    optimizer = DummyOptimizer(lr0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make(optimizer)
        for _ in range(epoch):
            optimizer.step()
            scheduler.step()
    return float(optimizer.param_groups[0]["lr"])


def step_oracle(lr0, epoch, step_size, gamma):
    return scheduled_lr(
        lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size, gamma), lr0, epoch
    )


def exponential_oracle(lr0, epoch, gamma):
    return scheduled_lr(lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma), lr0, epoch)


def cosine_oracle(lr0, epoch, t_max, eta_min=0.0):
    return scheduled_lr(
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, t_max, eta_min=eta_min),
        lr0,
        epoch,
    )


def probe_schedule(case: Case, fn) -> Probe:
    """Call ``fn(lr0, epoch, *params, **options)`` for each epoch of the case, in order."""
    lr0, *params = case.args
    records: list[dict[str, object]] = []
    for epoch in case.kwargs["epochs"]:
        try:
            value = fn(lr0, epoch, *params, **case.kwargs.get("options", {}))
        except Exception as exc:  # noqa: BLE001 - reported to the student, with the epoch
            return {"records": records, "error": format_error(exc)}
        record: dict[str, object] = {"kind": kind(value)}
        if is_float(value):
            record["value"] = float(value)
        records.append(record)
    return {"records": records}


def schedule_call(name: str, arg_names: Sequence[str], case: Case, epoch: int) -> str:
    lr0, *params = case.args
    args = [f"lr0={lr0!r}", f"epoch={epoch}"]
    args += [f"{n}={v!r}" for n, v in zip(arg_names, params, strict=True)]
    args += [f"{n}={v!r}" for n, v in case.kwargs.get("options", {}).items()]
    return f"{name}({', '.join(args)})"


def compare_schedule(
    name: str,
    arg_names: Sequence[str],
    hint: str,
    alternatives: Callable[..., dict[str, float]],
    hints: dict[str, str],
    atol: Callable[..., float],
) -> Callable[[Case, Probe, Probe], Failure | None]:
    def compare(case: Case, got: Probe, expected: Probe) -> Failure | None:
        lr0, *params = case.args
        options = case.kwargs.get("options", {})
        for epoch, g, e in zip(
            case.kwargs["epochs"], got["records"], expected["records"], strict=False
        ):
            call = schedule_call(name, arg_names, case, epoch)
            if "value" not in g:
                return Failure(
                    case.label,
                    f"returned a {g['kind']}, not a Python float",
                    call,
                    expected=repr(e["value"]),
                    hint="Compute with Python floats and the math module (or call "
                    "float(...) on the result).",
                )
            tol = atol(lr0, *params, **options)
            if not math.isclose(g["value"], e["value"], rel_tol=1e-9, abs_tol=tol):
                alts = alternatives(lr0, epoch, *params, **options)
                why = next(
                    (
                        hints[k]
                        for k, v in alts.items()
                        if not math.isclose(v, e["value"], rel_tol=1e-9, abs_tol=tol)
                        and math.isclose(g["value"], v, rel_tol=1e-9, abs_tol=tol)
                    ),
                    hint,
                )
                if why == hint and math.isclose(g["value"], e["value"], rel_tol=1e-5):
                    why = (
                        "Close, but not within a relative 1e-9: compute in float64 (Python "
                        "floats and math), not in float32 tensors or NumPy float32."
                    )
                return Failure(
                    case.label,
                    f"wrong learning rate at epoch {epoch}",
                    call,
                    expected=repr(e["value"]),
                    returned=repr(g["value"]),
                    hint=why,
                )
        if "error" in got:
            epoch = case.kwargs["epochs"][len(got["records"])]
            return Failure(
                case.label,
                f"raised {got['error']}",
                schedule_call(name, arg_names, case, epoch),
                hint=hint,
            )
        return None

    return compare


def step_alternatives(lr0, epoch, step_size, gamma) -> dict[str, float]:
    return {
        "plus_one": lr0 * gamma ** ((epoch + 1) // step_size),
        "no_floor": lr0 * gamma ** (epoch / step_size),
        "every_epoch": lr0 * gamma**epoch,
        "linear": lr0 * gamma * (epoch // step_size),
    }


def exponential_alternatives(lr0, epoch, gamma) -> dict[str, float]:
    return {
        "plus_one": lr0 * gamma ** (epoch + 1),
        "exp": lr0 * math.exp(-gamma * epoch),
        "linear": lr0 * gamma * epoch,
    }


def cosine_alternatives(lr0, epoch, t_max, eta_min=0.0) -> dict[str, float]:
    def closed(e: float, t: float, low: float) -> float:
        return low + (lr0 - low) * (1 + math.cos(math.pi * e / t)) / 2

    return {
        "t_max_minus_one": closed(epoch, t_max - 1, eta_min) if t_max > 1 else math.nan,
        "sin": eta_min + (lr0 - eta_min) * (1 + math.sin(math.pi * epoch / t_max)) / 2,
        "minus": eta_min + (lr0 - eta_min) * (1 - math.cos(math.pi * epoch / t_max)) / 2,
        "no_eta_min": closed(epoch, t_max, 0.0),
        "lr0_only": eta_min + lr0 * (1 + math.cos(math.pi * epoch / t_max)) / 2,
        "clamped": closed(min(epoch, t_max), t_max, eta_min),
    }


STEP_HINTS = {
    "plus_one": "Off by one: during epoch `epoch` the rate has decayed epoch // step_size times "
    "(epoch 0 uses lr0; the first decay happens at epoch == step_size).",
    "no_floor": "Use integer division: the rate is constant within each block of step_size "
    "epochs, gamma ** (epoch // step_size), not gamma ** (epoch / step_size).",
    "every_epoch": "StepLR decays once every step_size epochs, not every epoch.",
    "linear": "The decays multiply: gamma ** (epoch // step_size), not gamma * (...).",
}
EXPONENTIAL_HINTS = {
    "plus_one": "Off by one: epoch 0 uses lr0 itself, so the rate is lr0 * gamma ** epoch.",
    "exp": "ExponentialLR multiplies by gamma each epoch: lr0 * gamma ** epoch, not exp(-gamma*t).",
    "linear": "The decays multiply: lr0 * gamma ** epoch.",
}
COSINE_HINTS = {
    "t_max_minus_one": "The rate reaches eta_min at epoch == t_max: divide by t_max, not "
    "t_max - 1.",
    "sin": "It is a cosine: (1 + cos(pi * epoch / t_max)) / 2 is 1 at epoch 0 and 0 at t_max.",
    "minus": "At epoch 0 the rate is lr0: use (1 + cos(...)), not (1 - cos(...)).",
    "no_eta_min": "The rate goes from lr0 down to eta_min: eta_min + (lr0 - eta_min) * ...",
    "lr0_only": "Scale the cosine by (lr0 - eta_min), not by lr0.",
    "clamped": "PyTorch does not hold the rate at eta_min after t_max: the same cosine formula "
    "goes on, and the rate rises again towards lr0 until epoch 2 * t_max.",
}


def _no_atol(*args: object, **kwargs: object) -> float:
    return 0.0


def _cosine_atol(lr0, t_max, eta_min=0.0) -> float:
    return 1e-12 * abs(lr0 - eta_min)  # torch's recursion near eta_min is accurate to ~1e-16


def epochs_case(label: str, args: tuple, epochs: Sequence[int], **options: object) -> Case:
    kwargs: dict[str, object] = {"epochs": [int(e) for e in epochs]}
    if options:
        kwargs["options"] = dict(options)
    return Case(label, args, kwargs)


def _lr0(rng: np.random.Generator) -> float:
    return float(np.round(10 ** rng.uniform(-3, 0), 6))


def random_steps(rng: np.random.Generator) -> list[Case]:
    """Three random schedules, over four decays each."""
    cases = []
    for _ in range(3):
        lr0, step, gamma = (
            _lr0(rng),
            int(rng.integers(2, 7)),
            float(np.round(rng.uniform(0.1, 0.9), 4)),
        )
        cases.append(
            epochs_case(
                f"lr0 = {lr0}, step_size = {step}, gamma = {gamma}, epochs 0 to {4 * step + 1}",
                (lr0, step, gamma),
                range(4 * step + 2),
            )
        )
    return cases


def step_core_visible(rng: np.random.Generator) -> list[Case]:
    return [
        epochs_case(
            "lr0 = 0.1, step_size = 3, gamma = 0.5, epochs 0 to 10", (0.1, 3, 0.5), range(11)
        ),
        *random_steps(rng),
    ]


step_core_cases = Cases(step_core_visible, random_steps)


def step_edge_visible(rng: np.random.Generator) -> list[Case]:
    cases = [
        epochs_case("epoch 0", (0.5, 10, 0.1), [0]),
        epochs_case(
            "the boundaries epoch = step_size - 1, step_size, step_size + 1, ...",
            (0.1, 30, 0.1),
            [29, 30, 31, 59, 60, 61, 89, 90],
        ),
        epochs_case("step_size = 1 (decay every epoch)", (1.0, 1, 0.5), range(6)),
        epochs_case("gamma = 1 (constant rate)", (0.01, 2, 1.0), [0, 1, 2, 5, 100]),
        epochs_case("many epochs", (0.3, 7, 0.9), [699, 700, 701]),
        epochs_case("gamma > 1", (0.001, 2, 2.0), range(7)),
    ]
    return cases


def step_edge_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    lr0, step = _lr0(rng), int(rng.integers(10, 50))
    cases.append(
        epochs_case(
            "random boundaries",
            (lr0, step, 0.25),
            [step - 1, step, 2 * step - 1, 2 * step, 5 * step],
        )
    )
    return cases


step_edge_cases = Cases(step_edge_visible, step_edge_hidden)


def random_exponentials(rng: np.random.Generator) -> list[Case]:
    """Three random schedules, over 30 epochs each."""
    cases = []
    for _ in range(3):
        lr0, gamma = _lr0(rng), float(np.round(rng.uniform(0.8, 0.99), 4))
        cases.append(
            epochs_case(f"lr0 = {lr0}, gamma = {gamma}, epochs 0 to 30", (lr0, gamma), range(31))
        )
    return cases


def exponential_core_visible(rng: np.random.Generator) -> list[Case]:
    return [
        epochs_case("lr0 = 0.1, gamma = 0.5, epochs 0 to 10", (0.1, 0.5), range(11)),
        *random_exponentials(rng),
    ]


exponential_core_cases = Cases(exponential_core_visible, random_exponentials)


def exponential_edge_visible(rng: np.random.Generator) -> list[Case]:
    cases = [
        epochs_case("epoch 0", (0.25, 0.9), [0]),
        epochs_case("gamma = 1 (constant rate)", (0.01, 1.0), [0, 1, 7, 100]),
        epochs_case("many epochs", (0.1, 0.99), [499, 500, 501]),
        epochs_case("a strong decay, gamma = 0.1", (1.0, 0.1), range(0, 101, 25)),
        epochs_case("gamma > 1", (1e-4, 1.05), range(0, 61, 20)),
    ]
    return cases


def exponential_edge_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    cases.append(
        epochs_case(
            "random gamma, many epochs",
            (_lr0(rng), float(rng.uniform(0.95, 0.999))),
            [0, 1, 250, 600],
        )
    )
    return cases


exponential_edge_cases = Cases(exponential_edge_visible, exponential_edge_hidden)


def random_cosines(rng: np.random.Generator) -> list[Case]:
    """Three random schedules, from epoch 0 to t_max each."""
    cases = []
    for _ in range(3):
        lr0, t_max = _lr0(rng), int(rng.integers(5, 21))
        cases.append(
            epochs_case(
                f"lr0 = {lr0}, t_max = {t_max}, epochs 0 to t_max", (lr0, t_max), range(t_max + 1)
            )
        )
    return cases


def cosine_core_visible(rng: np.random.Generator) -> list[Case]:
    return [
        epochs_case("lr0 = 0.1, t_max = 10, epochs 0 to 10", (0.1, 10), range(11)),
        *random_cosines(rng),
    ]


cosine_core_cases = Cases(cosine_core_visible, random_cosines)


def cosine_edge_visible(rng: np.random.Generator) -> list[Case]:
    cases = [
        epochs_case("epoch 0 and epoch = t_max", (0.1, 10), [0, 10]),
        epochs_case("eta_min > 0", (0.1, 8), range(9), eta_min=0.01),
        epochs_case("epochs beyond t_max (the cosine goes on)", (0.1, 6), range(25)),
        epochs_case("eta_min > 0 beyond t_max", (0.5, 5), range(16), eta_min=0.05),
        epochs_case("t_max = 1", (0.2, 1), range(4)),
        epochs_case("a long schedule", (0.05, 100), [0, 1, 50, 99, 100, 101, 199, 200]),
    ]
    return cases


def cosine_edge_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    lr0, t_max = _lr0(rng), int(rng.integers(3, 12))
    eta = float(np.round(lr0 * rng.uniform(0.01, 0.5), 8))
    cases.append(
        epochs_case(
            "random eta_min, well beyond t_max", (lr0, t_max), range(4 * t_max + 2), eta_min=eta
        )
    )
    return cases


cosine_edge_cases = Cases(cosine_edge_visible, cosine_edge_hidden)


def _schedule_item(grade_id: str, title: str, target: str, cases, oracle, compare) -> Item:
    return Item(
        grade_id=grade_id,
        title=title,
        targets=(target,),
        cases=cases,
        probe=probe_schedule,
        compare=compare,
        oracle=(oracle,),
        forbidden=SCHEDULER_FORBIDDEN,
    )


STEP_COMPARE = compare_schedule(
    "step_lr",
    ("step_size", "gamma"),
    "StepLR's rate during epoch `epoch` is lr0 * gamma ** (epoch // step_size).",
    step_alternatives,
    STEP_HINTS,
    _no_atol,
)
EXPONENTIAL_COMPARE = compare_schedule(
    "exponential_lr",
    ("gamma",),
    "ExponentialLR's rate during epoch `epoch` is lr0 * gamma ** epoch.",
    exponential_alternatives,
    EXPONENTIAL_HINTS,
    _no_atol,
)
COSINE_COMPARE = compare_schedule(
    "cosine_lr",
    ("t_max",),
    "CosineAnnealingLR's rate during epoch `epoch` is "
    "eta_min + (lr0 - eta_min) * (1 + cos(pi * epoch / t_max)) / 2, for every epoch.",
    cosine_alternatives,
    COSINE_HINTS,
    _cosine_atol,
)

step_lr_core = _schedule_item(
    "step_lr_core",
    "step_lr: random schedules, epoch by epoch",
    "step_lr",
    step_core_cases,
    step_oracle,
    STEP_COMPARE,
)
step_lr_edge = _schedule_item(
    "step_lr_edge",
    "step_lr: epoch 0, boundaries, step_size 1, gamma 1, many epochs",
    "step_lr",
    step_edge_cases,
    step_oracle,
    STEP_COMPARE,
)
exponential_lr_core = _schedule_item(
    "exponential_lr_core",
    "exponential_lr: random schedules, epoch by epoch",
    "exponential_lr",
    exponential_core_cases,
    exponential_oracle,
    EXPONENTIAL_COMPARE,
)
exponential_lr_edge = _schedule_item(
    "exponential_lr_edge",
    "exponential_lr: epoch 0, gamma 1, many epochs, gamma > 1",
    "exponential_lr",
    exponential_edge_cases,
    exponential_oracle,
    EXPONENTIAL_COMPARE,
)
cosine_lr_core = _schedule_item(
    "cosine_lr_core",
    "cosine_lr: random schedules from epoch 0 to t_max",
    "cosine_lr",
    cosine_core_cases,
    cosine_oracle,
    COSINE_COMPARE,
)
cosine_lr_edge = _schedule_item(
    "cosine_lr_edge",
    "cosine_lr: eta_min > 0, beyond t_max, t_max = 1",
    "cosine_lr",
    cosine_edge_cases,
    cosine_oracle,
    COSINE_COMPARE,
)


# should_stop ------------------------------------------------------------------------------


def should_stop_oracle(val_losses, patience, min_delta=0.0) -> bool:
    """Stop when none of the last ``patience`` losses is below the best earlier loss minus
    ``min_delta``; never before ``patience`` epochs after the first."""
    split = len(val_losses) - patience
    if split < 1:
        return False
    best_earlier = min(val_losses[:split])
    return all(loss >= best_earlier - min_delta for loss in val_losses[split:])


def probe_should_stop(case: Case, fn) -> Probe:
    losses, patience = case.args
    options = case.kwargs.get("options", {})
    lengths = range(len(losses) + 1) if case.kwargs.get("prefixes") else [len(losses)]
    records: list[dict[str, object]] = []
    for n in lengths:
        history = [float(v) for v in losses[:n]]
        try:
            result = fn(history, patience, **options)
        except Exception as exc:  # noqa: BLE001 - reported to the student, with the history
            return {"records": records, "error": format_error(exc), "failed_at": n}
        record = {
            "n": n,
            "kind": kind(result),
            "mutated": history != [float(v) for v in losses[:n]],
        }
        if isinstance(result, bool | np.bool_):
            record["value"] = bool(result)
        records.append(record)
    return {"records": records}


def _stop_call(history: Sequence[float], patience: int, options: dict) -> str:
    text = ", ".join(repr(float(v)) for v in history)
    if len(text) > 400:
        text = text[:200] + ", ..., " + text[-190:]
    extra = "".join(f", {k}={v!r}" for k, v in options.items())
    return f"should_stop([{text}], patience={patience}{extra}) ({len(history)} losses)"


def _counter_rule(history: Sequence[float], patience: int, min_delta: float) -> bool:
    """Keras-style early stopping with a counter (not this course's rule when min_delta > 0)."""
    best, wait = math.inf, 0
    for loss in history:
        if loss < best - min_delta:
            best, wait = loss, 0
        else:
            wait += 1
    return wait >= patience


def stop_hint(history: Sequence[float], patience: int, min_delta: float, returned: bool) -> str:
    """Which misreading of the rule gives what the student returned on this history."""
    n = len(history)
    if n <= patience:
        return (
            f"With {n} losses and patience={patience} there is nothing to compare yet: "
            "return False while len(val_losses) <= patience."
        )
    recent, earlier = history[-patience:], history[:-patience]
    if min(recent) == min(earlier) - min_delta:
        return "At exactly the threshold training stops: the rule uses >=, not >."
    if returned == (recent[-1] >= min(earlier) - min_delta):
        return "Look at the best (minimum) of the last patience losses, not only the last one."
    if returned == (min(recent) >= history[-patience - 1] - min_delta):
        return (
            "Compare with the best loss of ALL earlier epochs, min(val_losses[:-patience]), "
            "not only the epoch just before the window."
        )
    if min_delta and returned == _counter_rule(history, patience, min_delta):
        return (
            "A patience counter that keeps the best loss only when it improves by more than "
            "min_delta follows another rule: compare the two minima, min(last patience) >= "
            "min(earlier) - min_delta."
        )
    if min_delta and returned == (min(recent) >= min(earlier)):
        return "Subtract min_delta: stop when min(last patience) >= min(earlier) - min_delta."
    return (
        "Stop exactly when min(val_losses[-patience:]) >= min(val_losses[:-patience]) - min_delta."
    )


def compare_should_stop(strict_type: bool) -> Callable[[Case, Probe, Probe], Failure | None]:
    def compare(case: Case, got: Probe, expected: Probe) -> Failure | None:
        losses, patience = case.args
        options = case.kwargs.get("options", {})
        for g, e in zip(got["records"], expected["records"], strict=False):
            history = [float(v) for v in losses[: g["n"]]]
            call = _stop_call(history, patience, options)
            if g["mutated"]:
                return Failure(
                    case.label,
                    "changed the list of losses",
                    call,
                    hint="Do not sort, pop or append: use slices and min().",
                )
            if "value" not in g or (strict_type and g["kind"] != "bool"):
                return Failure(
                    case.label,
                    f"returned a {g['kind']}, not a bool",
                    call,
                    expected=repr(e["value"]),
                    hint="Return a real Python bool: NumPy comparisons give "
                    "numpy.bool_; wrap the result in bool(...).",
                )
            if g["value"] != e["value"]:
                return Failure(
                    case.label,
                    "wrong decision",
                    call,
                    expected=repr(e["value"]),
                    returned=repr(g["value"]),
                    hint=stop_hint(history, patience, options.get("min_delta", 0.0), g["value"]),
                )
        if "error" in got:
            call = _stop_call([float(v) for v in losses[: got["failed_at"]]], patience, options)
            return Failure(
                case.label,
                f"raised {got['error']}",
                call,
                hint="Return False while len(val_losses) <= patience; min() of an "
                "empty list raises.",
            )
        return None

    return compare


def _curve(rng: np.random.Generator, n: int) -> list[float]:
    """A noisy validation curve: fast decrease, plateau, slow overfitting; distinct values."""
    while True:
        t = np.arange(n)
        turn = rng.uniform(0.4, 0.8) * n
        curve = (
            1.5 * np.exp(-t / rng.uniform(2, 6))
            + 0.3
            + 0.01 * np.maximum(t - turn, 0)
            + rng.normal(0, 0.03, n)
        )
        values = np.round(curve, 3)
        if len(set(values.tolist())) == n:  # no ties: > and >= agree on these curves
            return values.tolist()


FIXED_CURVE = [1.0, 0.8, 0.85, 0.6, 0.9, 0.95, 0.62, 0.61, 0.7, 0.75, 0.81, 0.58, 0.92, 0.91]


def random_curves(rng: np.random.Generator) -> list[Case]:
    """Every prefix of three random training curves."""
    cases = []
    for _ in range(3):
        patience = int(rng.integers(2, 6))
        cases.append(
            Case(
                f"every prefix of a random training curve, patience = {patience}",
                (_curve(rng, 25), patience),
                {"prefixes": True},
            )
        )
    return cases


def stop_core_visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("every prefix of a fixed curve, patience = 2", (FIXED_CURVE, 2), {"prefixes": True}),
        Case("every prefix of a fixed curve, patience = 3", (FIXED_CURVE, 3), {"prefixes": True}),
        *random_curves(rng),
    ]


stop_core_cases = Cases(stop_core_visible, random_curves)


def stop_edge_visible(rng: np.random.Generator) -> list[Case]:
    cases = [
        Case("fewer losses than patience", ([1.0, 2.0], 3)),
        Case("exactly patience losses", ([1.0, 2.0, 3.0], 3)),
        Case("an empty history", ([], 2)),
        Case("equality at the threshold (a tie with the best earlier loss)", ([1.0, 0.5, 0.5], 1)),
        Case("patience = 1, improvement", ([1.0, 0.75, 0.5], 1)),
        Case("patience = 1, no improvement", ([1.0, 0.5, 0.75], 1)),
        Case(
            "min_delta > 0: an improvement smaller than min_delta does not count",
            ([1.0, 0.875], 1),
            {"options": {"min_delta": 0.25}},
        ),
        Case(
            "min_delta > 0: the last loss beats the best earlier one (0.875) by less "
            "than min_delta",
            ([1.0, 0.875, 0.75], 1),
            {"options": {"min_delta": 0.1875}},
        ),
        Case(
            "min_delta > 0: an improvement larger than min_delta counts",
            ([1.0, 0.875, 0.5], 1),
            {"options": {"min_delta": 0.25}},
        ),
        Case(
            "an improvement of exactly min_delta still stops",
            ([1.0, 0.5, 0.625, 0.25], 2),
            {"options": {"min_delta": 0.25}},
        ),
        Case(
            "min_delta > 0 with a longer window",
            ([2.0, 1.0, 1.5, 0.96875, 0.9921875], 2),
            {"options": {"min_delta": 0.0625}},
        ),
        Case(
            "every prefix, min_delta = 0.055",
            (FIXED_CURVE, 2),
            {"prefixes": True, "options": {"min_delta": 0.055}},
        ),
    ]
    return cases


def stop_edge_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    patience = int(rng.integers(1, 5))
    cases += [
        # losses on a 0.001 grid and min_delta off it: no tie at the threshold
        Case(
            f"every prefix of a random curve, patience = {patience}, min_delta = 0.0205",
            (_curve(rng, 30), patience),
            {"prefixes": True, "options": {"min_delta": 0.0205}},
        ),
        Case("a plateau of equal losses", ([0.5, 0.5, 0.5, 0.5], 2), {"prefixes": True}),
    ]
    return cases


stop_edge_cases = Cases(stop_edge_visible, stop_edge_hidden)


should_stop_core = Item(
    grade_id="should_stop_core",
    title="should_stop: every prefix of training curves",
    targets=("should_stop",),
    cases=stop_core_cases,
    probe=probe_should_stop,
    compare=compare_should_stop(strict_type=False),
    oracle=(should_stop_oracle,),
)
should_stop_edge = Item(
    grade_id="should_stop_edge",
    title="should_stop: short histories, ties, patience 1, min_delta, a real bool",
    targets=("should_stop",),
    cases=stop_edge_cases,
    probe=probe_should_stop,
    compare=compare_should_stop(strict_type=True),
    oracle=(should_stop_oracle,),
)

ITEMS: tuple[Item, ...] = (
    dead_relu_fraction_core,
    dead_relu_fraction_edge,
    dead_relu_fraction_state,
    clip_grad_norm_core,
    clip_grad_norm_edge,
    step_lr_core,
    step_lr_edge,
    exponential_lr_core,
    exponential_lr_edge,
    cosine_lr_core,
    cosine_lr_edge,
    should_stop_core,
    should_stop_edge,
)
