"""dead_relu_fraction: the share of units of each nn.ReLU that are 0 on every sample.

Models are built inside the probe from a name and a seed stored in the case (:func:`build_model`),
so a probe sends only plain data across the sandbox boundary. The oracle is the stated definition
(PyTorch has none); the state item checks that the model is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from autograder.items import Case, Item, Probe
from autograder.kit import models
from autograder.kit.cases import Cases
from autograder.kit.model_state import global_hooks, model_state, remove_global_hooks, state_changes
from autograder.kit.models import Model
from autograder.kit.tolerance import FRACTION_ATOL
from autograder.kit.values import is_float, kind
from autograder.report import Failure, describe


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


def probe_dead(case: Case, fn) -> Probe:
    name, seed = case.kwargs["model"], case.kwargs["seed"]
    model = build_model(name, seed)
    x = torch.from_numpy(np.array(case.args[0]))
    x_before = x.clone()
    before = model_state(model)
    global_before = global_hooks()
    try:
        result = fn(model, x)
    finally:
        global_after = global_hooks()
        remove_global_hooks(global_before)
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
        if not np.allclose(g, e, rtol=0, atol=FRACTION_ATOL):
            index = int(np.flatnonzero(~np.isclose(g, e, rtol=0, atol=FRACTION_ATOL))[0])
            hint = next(
                (
                    DEAD_HINTS[k]
                    for k, v in expected["diagnostics"].items()
                    if len(v) == len(g) and v != e and np.allclose(g, v, rtol=0, atol=FRACTION_ATOL)
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
    return [
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


def dead_core_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        _dead_case("MLP with a large batch", "mlp", _normal(rng, 200, 6), rng),
        _dead_case("nested model with a large batch", "nested", _normal(rng, 100, 5), rng),
        _dead_case("3-D input, large batch", "sequence", _sequence_input(rng, 64), rng),
    ]


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
    return [
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


def dead_state_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        _dead_case(
            "a model in eval mode, large batch",
            "dropout_eval",
            rng.standard_normal((64, 5)).astype(np.float32),
            rng,
        )
    ]


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
