"""PReLU: a module with one learnable slope per channel, checked against ``nn.PReLU``."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch
from torch import nn

from autograder.forbidden import existing
from autograder.items import Case, Item, Probe, format_error
from autograder.kit.cases import Cases
from autograder.kit.elementwise import first_mismatch
from autograder.kit.tensors import tensor_record, wrong_dtype_or_shape
from autograder.report import Failure, describe

FORBIDDEN = existing(
    (
        "torch.nn.functional.prelu",
        "torch.prelu",
        "torch._prelu_kernel",
        "torch.Tensor.prelu",
        "torch.nn.PReLU",
    )
)


def probe_prelu(case: Case, module_class) -> Probe:
    """Build ``module_class(**options)``, record its parameters, run it forward and backward."""
    x_np, options = case.args
    module = module_class(**options)
    params = dict(module.named_parameters())
    state = module.state_dict()
    probe: Probe = {
        "is_module": isinstance(module, nn.Module),
        "parameters": {k: list(p.shape) for k, p in params.items()},
        "state": {k: tensor_record(v) for k, v in state.items()},
    }
    if "load" in case.kwargs:  # the state_dict an nn.PReLU with these weights has
        weight = torch.from_numpy(np.array(case.kwargs["load"], dtype=np.float32))
        try:
            module.load_state_dict(OrderedDict(weight=weight), strict=True)
        except Exception as exc:  # noqa: BLE001 - the message is the feedback
            probe["load_error"] = format_error(exc)[:300]
            return probe
    x = torch.from_numpy(np.array(x_np, copy=True))
    if x.dtype == torch.float64:
        module = module.double()
    grad = case.kwargs.get("grad", True)
    x.requires_grad_(grad)
    before = x.detach().clone()
    y = module(x)
    probe["out"] = tensor_record(y)
    probe["mutated"] = not torch.equal(torch.nan_to_num(x.detach()), torch.nan_to_num(before))
    if grad and type(y) is torch.Tensor and y.requires_grad:
        upstream = case.kwargs.get("upstream")
        g = torch.ones_like(y) if upstream is None else torch.from_numpy(np.array(upstream))
        y.backward(g)
        probe["grad"] = tensor_record(x.grad)
        learned: torch.Tensor | None = params.get("weight")
        probe["weight_grad"] = tensor_record(learned.grad if learned is not None else None)
    elif grad:
        probe["grad"] = {"kind": "not differentiable"}
    return probe


def prelu_call(case: Case) -> str:
    x, options = case.args
    args = ", ".join(f"{k}={v!r}" for k, v in options.items())
    text = f"PReLU({args})(x) with x = {describe(np.asarray(x))}"
    if "load" in case.kwargs:
        weight = describe(np.asarray(case.kwargs["load"]))
        text += f", after load_state_dict({{'weight': {weight}}})"
    return text


PRELU_HINT = (
    "PReLU(num_parameters=1, init=0.25) holds self.weight = nn.Parameter of shape "
    "(num_parameters,) filled with init; forward returns x where x > 0 and weight * x "
    "elsewhere, with the weight broadcast along dimension 1 (the channels)."
)


def compare_prelu(case: Case, got: Probe, expected: Probe) -> Failure | None:
    call = prelu_call(case)
    if "error" in got:
        return Failure(case.label, f"raised {got['error']}", call, hint=PRELU_HINT)
    if not got["is_module"]:
        return Failure(case.label, "PReLU(...) is not an nn.Module", call, hint=PRELU_HINT)
    if got["parameters"] != expected["parameters"]:
        return Failure(
            case.label,
            "the module's parameters differ from nn.PReLU's",
            call,
            expected=f"parameters {expected['parameters']}",
            returned=f"parameters {got['parameters']}",
            hint="Register exactly one parameter, named weight, of shape "
            "(num_parameters,): self.weight = nn.Parameter(torch.full("
            "(num_parameters,), init)).",
        )
    if list(got["state"]) != list(expected["state"]):
        return Failure(
            case.label,
            "the state_dict keys differ from nn.PReLU's",
            call,
            expected=f"keys {list(expected['state'])}",
            returned=f"keys {list(got['state'])}",
            hint="Keep only the weight in the module's state.",
        )
    state = got["state"]["weight"]
    failure = _compare_tensor_record(
        case,
        call,
        state,
        expected["state"]["weight"],
        "initial weight",
        "Fill the weight with the init argument.",
    )
    if failure:
        return failure
    if "load_error" in got:
        return Failure(
            case.label,
            "cannot load an nn.PReLU state_dict",
            call,
            returned=got["load_error"],
            hint="The weight must have shape "
            "(num_parameters,) and be the only entry of the state_dict.",
        )
    for key, what in (
        ("out", "output"),
        ("grad", "gradient with respect to x"),
        ("weight_grad", "gradient with respect to the weight"),
    ):
        if key not in expected:
            continue
        if got.get(key, {}).get("kind") != "Tensor":
            return Failure(
                case.label,
                f"no {what}",
                call,
                hint="Compute the output from x and self.weight with torch "
                "operations so that autograd reaches both.",
            )
        failure = _compare_tensor_record(case, call, got[key], expected[key], what, PRELU_HINT)
        if failure:
            return failure
    if got["mutated"]:
        return Failure(case.label, "modified its input x", call, hint="Build a new tensor.")
    return None


def _compare_tensor_record(
    case: Case, call: str, got: Probe, expected: Probe, what: str, hint: str
) -> Failure | None:
    if got.get("kind") != "Tensor":
        return Failure(
            case.label, f"the {what} is a {got.get('kind')}, not a tensor", call, hint=hint
        )
    wrong = wrong_dtype_or_shape(case.label, call, got, expected, f"the {what}", hint)
    if wrong is not None:
        return wrong
    values = np.asarray(expected["value"])
    reference = np.asarray(case.args[0]) if values.shape == np.shape(case.args[0]) else values
    index = first_mismatch(reference, got["value"], values)
    if index is None:
        return None
    specific = hint
    if what.startswith("gradient with respect to x") and reference.ravel()[index] == 0:
        specific = (
            "At x = 0 PyTorch's PReLU uses the weight as the slope (x > 0 selects the "
            "identity), so the gradient there is the weight, not 1."
        )
    elif what == "output":
        specific = hint + " For input (N, C, ...) reshape the weight to (1, C, 1, ...)."
    return Failure(
        case.label,
        f"wrong {what}",
        f"{call}; first wrong entry: index {index}",
        expected=describe(values.ravel()[index]),
        returned=describe(np.asarray(got["value"]).ravel()[index]),
        hint=specific,
    )


def prelu_core_visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            "default PReLU() on a (4, 3) batch",
            (rng.standard_normal((4, 3)).astype(np.float32), {}),
            {"upstream": rng.standard_normal((4, 3)).astype(np.float32)},
        ),
        Case(
            "PReLU(num_parameters=3, init=0.1) on images (2, 3, 4, 5)",
            (
                rng.standard_normal((2, 3, 4, 5)).astype(np.float32),
                {"num_parameters": 3, "init": 0.1},
            ),
            {"upstream": rng.standard_normal((2, 3, 4, 5)).astype(np.float32)},
        ),
        Case(
            "channel-wise weights loaded from a state_dict, input (5, 4)",
            (rng.standard_normal((5, 4)).astype(np.float32), {"num_parameters": 4}),
            {"load": rng.uniform(-0.5, 1.0, size=4)},
        ),
    ]


def prelu_core_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            "PReLU(num_parameters=6, init=0.3) on a float64 batch (8, 6, 3)",
            (rng.standard_normal((8, 6, 3)), {"num_parameters": 6, "init": 0.3}),
        )
    ]


prelu_core_cases = Cases(prelu_core_visible, prelu_core_hidden)


def prelu_edge_visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("x = 0 exactly", (np.array([[0.0, -1.0, 1.0]], dtype=np.float32), {})),
        Case(
            "a 1-D input (no channel dimension)",
            (rng.standard_normal(7).astype(np.float32), {"init": 0.2}),
        ),
        Case(
            "(N, C, L) with C != L: the channels are dimension 1",
            (rng.standard_normal((2, 3, 5)).astype(np.float32), {"num_parameters": 3}),
            {"load": np.array([0.1, 0.5, -0.2])},
        ),
        Case(
            "NaN and infinities",
            (np.array([[np.nan, np.inf, -np.inf, -2.0]], dtype=np.float32), {}),
            {"grad": False},
        ),
    ]


def prelu_edge_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            "float64 images with 2 channels",
            (rng.standard_normal((3, 2, 4, 4)), {"num_parameters": 2}),
        )
    ]


prelu_edge_cases = Cases(prelu_edge_visible, prelu_edge_hidden)


prelu_core = Item(
    grade_id="prelu_core",
    title="PReLU: weights, forward and gradients like nn.PReLU",
    targets=("PReLU",),
    cases=prelu_core_cases,
    probe=probe_prelu,
    compare=compare_prelu,
    oracle=(nn.PReLU,),
    forbidden=FORBIDDEN,
    hint=PRELU_HINT,
)


prelu_edge = Item(
    grade_id="prelu_edge",
    title="PReLU: x = 0, 1-D input, channel dimension, NaN",
    targets=("PReLU",),
    cases=prelu_edge_cases,
    probe=probe_prelu,
    compare=compare_prelu,
    oracle=(nn.PReLU,),
    forbidden=FORBIDDEN,
    hint=PRELU_HINT,
)
