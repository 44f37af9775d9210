"""ex02_relu: relu_scalar, relu, relu_grad, ReLUFunction, ReLU."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from autograder.items import Case, Item, Probe
from autograder.kit.cases import Cases
from autograder.kit.elementwise import array_item, random_arrays
from autograder.kit.gradcheck import gradcheck_probe
from autograder.kit.rules import Rules, when
from autograder.kit.tensors import compare_tensors, tensor_record
from autograder.report import Failure, describe

FORBIDDEN = (
    "torch.relu",
    "torch.relu_",
    "torch.nn.functional.relu",
    "torch.nn.functional.relu_",
    "torch.nn.ReLU",
    "torch.clamp",
    "torch.clamp_min",
    "torch.clip",
    "torch.Tensor.relu",
    "torch.Tensor.relu_",
    "torch.Tensor.clamp",
    "torch.Tensor.clamp_",
    "torch.Tensor.clamp_min",
    "torch.Tensor.clip",
    "torch.Tensor.clip_",
)

NAN_TO_ZERO = (
    "relu(nan) must be nan. A comparison with NaN is False, so np.where(x > 0, x, 0) "
    "and max(0.0, x) turn NaN into 0; np.maximum propagates NaN."
)
NEG_INF = "relu(-inf) must be 0. x * (x > 0) computes -inf * 0 = nan there."


# relu_scalar --------------------------------------------------------------------------------


def probe_scalar(case: Case, fn) -> Probe:
    (x,) = case.args
    result = fn(float(x))
    probe: Probe = {"kind": type(result).__name__}
    if isinstance(result, float):
        probe["value"] = float(result)
    return probe


def compare_scalar(case: Case, got: Probe, expected: Probe) -> Failure | None:
    x = case.args[0]
    call = f"relu_scalar({x!r})"
    if "error" in got:
        return Failure(
            case.label, f"raised {got['error']}", call, hint="relu_scalar takes one Python float."
        )
    if "value" not in got:
        return Failure(
            case.label,
            f"returned a value of type {got['kind']}, not a float",
            call,
            expected=repr(expected["value"]),
            hint="max(0, x) returns the int 0 when x < 0: compare with 0.0, or return float(...).",
        )
    g, e = got["value"], expected["value"]
    if math.isnan(e) != math.isnan(g) or (not math.isnan(e) and g != e):
        hint = (
            NAN_TO_ZERO
            if math.isnan(x)
            else NEG_INF
            if x == -math.inf
            else "relu(x) is x for x > 0 and 0 otherwise."
        )
        return Failure(
            case.label, "wrong value", call, expected=repr(e), returned=repr(g), hint=hint
        )
    return None


def scalar_oracle(x: float) -> float:
    return x if (x > 0 or math.isnan(x)) else 0.0


def scalar_cases(xs: Sequence[float]) -> list[Case]:
    return [Case(f"x = {x!r}", (x,)) for x in xs]


def random_scalars(rng: np.random.Generator, n: int) -> list[Case]:
    return scalar_cases(rng.uniform(-10, 10, size=n).tolist())


scalar_core_cases = Cases(
    lambda rng: [*scalar_cases([2.5, -3.0]), *random_scalars(rng, 8)],
    lambda rng: random_scalars(rng, 40),
)
scalar_edge_cases = Cases(scalar_cases([0.0, -0.0, math.nan, math.inf, -math.inf, 1e308, -5e-324]))


def _scalar_item(grade_id: str, title: str, cases) -> Item:
    return Item(
        grade_id=grade_id,
        title=title,
        targets=("relu_scalar",),
        cases=cases,
        probe=probe_scalar,
        compare=compare_scalar,
        oracle=(scalar_oracle,),
        forbidden=FORBIDDEN,
    )


relu_scalar_core = _scalar_item(
    "relu_scalar_core", "relu_scalar: positive and negative floats", scalar_core_cases
)
relu_scalar_edge = _scalar_item(
    "relu_scalar_edge", "relu_scalar: 0, NaN, infinities, extremes", scalar_edge_cases
)


# relu and relu_grad ----------------------------------------------------------------------


def relu_oracle(x: np.ndarray) -> np.ndarray:
    """max(x, 0) in x's dtype, NaN kept (np.maximum propagates it)."""
    return np.maximum(x, np.zeros_like(x))


def relu_grad_oracle(x: np.ndarray) -> np.ndarray:
    """PyTorch's subgradient: 1 where x > 0, 0 elsewhere (at 0 too), in x's dtype."""
    return np.where(x > 0, 1, 0).astype(x.dtype)


RELU_HINTS = (
    when(lambda m: math.isnan(m.x), NAN_TO_ZERO),
    when(lambda m: m.x == -math.inf, NEG_INF),
)


def relu_core_visible(rng: np.random.Generator) -> list[Case]:
    return random_arrays(rng, (np.float64, np.float32))


def relu_core_hidden(rng: np.random.Generator) -> list[Case]:
    return random_arrays(rng, (np.float64,), scale=100.0, shapes=((1000,), (5, 6, 7)))


relu_core_cases = Cases(relu_core_visible, relu_core_hidden)


def relu_edge_visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("zeros", (np.array([0.0, -0.0, 0.0]),)),
        Case("NaN", (np.array([1.5, np.nan, -2.0]),)),
        Case("infinities", (np.array([np.inf, -np.inf, 3.0]),)),
        Case("int64 array", (rng.integers(-50, 50, size=9),)),
        Case("int8 array", (np.array([-128, -1, 0, 1, 127], dtype=np.int8),)),
        Case("empty array", (np.zeros(0),)),
    ]


def relu_edge_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case("uint8 array", (np.array([0, 1, 255], dtype=np.uint8),)),
        Case("float16 array", (rng.standard_normal(8).astype(np.float16),)),
        Case("int32 matrix", (rng.integers(-9, 9, size=(3, 3)).astype(np.int32),)),
        Case(
            "NaN and infinities in float32",
            (np.array([np.nan, -np.inf, np.inf, -1.0], dtype=np.float32),),
        ),
    ]


relu_edge_cases = Cases(relu_edge_visible, relu_edge_hidden)


RELU_GRAD_EDGE_VISIBLE: list[Case] = [
    Case("x = 0 exactly", (np.array([0.0, -0.0]),)),
    Case("infinities", (np.array([np.inf, -np.inf]),)),
    Case("float32 with zeros", (np.array([-1.5, 0.0, 2.0], dtype=np.float32),)),
    Case("tiny values", (np.array([5e-324, -5e-324, 1e-300]),)),
]


def relu_grad_edge_hidden(rng: np.random.Generator) -> list[Case]:
    return [Case("random with zeros", (np.round(rng.standard_normal(50)),))]


relu_grad_edge_cases = Cases(RELU_GRAD_EDGE_VISIBLE, relu_grad_edge_hidden)


RELU_RULES = Rules(
    "relu",
    hint="relu(x) = max(x, 0) elementwise, as a new array of the input's dtype.",
    hints=RELU_HINTS,
)
GRAD_RULES = Rules(
    "relu_grad",
    hint="relu'(x) is 1 where x > 0 and 0 elsewhere, "
    "including at x = 0 (PyTorch's convention), in the input's dtype.",
    hints=(
        when(lambda m: m.x == 0, "PyTorch's convention is relu'(0) = 0: use x > 0, not x >= 0."),
    ),
)

relu_core = array_item(
    grade_id="relu_core",
    title="relu: values, dtype and shape on random arrays",
    target="relu",
    oracle=relu_oracle,
    cases=relu_core_cases,
    rules=RELU_RULES,
    forbidden=FORBIDDEN,
)
relu_edge = array_item(
    grade_id="relu_edge",
    title="relu: NaN, infinities, zeros, integer dtypes",
    target="relu",
    oracle=relu_oracle,
    cases=relu_edge_cases,
    rules=RELU_RULES,
    forbidden=FORBIDDEN,
)
relu_grad_core = array_item(
    grade_id="relu_grad_core",
    title="relu_grad: values on random arrays",
    target="relu_grad",
    oracle=relu_grad_oracle,
    cases=relu_core_cases,
    rules=GRAD_RULES,
    forbidden=FORBIDDEN,
)
relu_grad_edge = array_item(
    grade_id="relu_grad_edge",
    title="relu_grad: x = 0, infinities, float32",
    target="relu_grad",
    oracle=relu_grad_oracle,
    cases=relu_grad_edge_cases,
    rules=GRAD_RULES,
    forbidden=FORBIDDEN,
)


# ReLUFunction and ReLU ---------------------------------------------------------------------


class OracleFunction(torch.autograd.Function):
    """The oracle for ReLUFunction: PyTorch's relu; backward selects grad_output where x > 0."""

    @staticmethod
    def forward(ctx, x):
        result = torch.relu(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        # what torch.relu's own backward calls: grad_output where the result is > 0, else 0
        (result,) = ctx.saved_tensors
        return torch.ops.aten.threshold_backward(grad_output, result, 0)


class OracleModule(nn.Module):
    def forward(self, x):
        return OracleFunction.apply(x)


def probe_forward(case: Case, function) -> Probe:
    x = torch.from_numpy(np.array(case.args[0])).requires_grad_(case.kwargs.get("grad", False))
    before, version = x.detach().clone(), x._version
    y = function.apply(x)
    unchanged = np.array_equal(x.detach().numpy(), before.numpy(), equal_nan=True)
    probe = {"out": tensor_record(y), "mutated": x._version != version or not unchanged}
    if type(y) is torch.Tensor:
        probe["tracks_grad"] = bool(y.requires_grad)
    return probe


def probe_backward(case: Case, function) -> Probe:
    x = torch.from_numpy(np.array(case.args[0])).requires_grad_(True)
    upstream = torch.from_numpy(np.array(case.args[1]))
    y = function.apply(x)
    y.backward(upstream)
    probe: Probe = {"grad": tensor_record(x.grad)}
    if "gradcheck" in case.kwargs:
        probe["gradcheck"] = gradcheck_probe(function.apply, case.kwargs["gradcheck"])
    return probe


def probe_module(case: Case, module_class, function) -> Probe:
    module = module_class()
    x = torch.from_numpy(np.array(case.args[0])).requires_grad_(True)
    before = x.detach().numpy().copy()
    net = nn.Sequential(nn.Identity(), module)
    y = net(x)
    probe: Probe = {
        "mutated": not np.array_equal(x.detach().numpy(), before, equal_nan=True),
        "is_module": isinstance(module, nn.Module),
        "n_parameters": sum(p.numel() for p in module.parameters()),
        "out": tensor_record(y),
        "grad_fn": type(getattr(y, "grad_fn", None)).__name__,
        "expected_grad_fn": f"{function.__name__}Backward",
    }
    if type(y) is torch.Tensor and y.requires_grad:
        y.backward(torch.ones_like(y))
        probe["grad"] = tensor_record(x.grad)
    return probe


def compare_forward(case: Case, got: Probe, expected: Probe) -> Failure | None:
    call = f"ReLUFunction.apply(x) with x = {describe(np.asarray(case.args[0]))}"
    hint = (
        "forward returns a new tensor with the negative entries replaced by 0 "
        "(and NaN kept as NaN: torch.where(x > 0, x, 0) turns NaN into 0)."
    )
    if "error" in got:
        return Failure(case.label, f"raised {got['error']}", call, hint=hint)
    if got["mutated"]:
        return Failure(
            case.label,
            "modified its input in place",
            call,
            hint="Do not write into x in forward; build a new tensor.",
        )
    failure = compare_tensors(
        case.label, call, case.args[0], got["out"], expected["out"], "the output", hint
    )
    if failure is None and case.kwargs.get("grad") and not got.get("tracks_grad"):
        return Failure(
            case.label,
            "the output does not require grad although x does",
            call,
            hint="Return a tensor computed from x inside forward; do not detach it.",
        )
    return failure


def compare_backward(case: Case, got: Probe, expected: Probe) -> Failure | None:
    call = (
        f"ReLUFunction.apply(x).backward(g) with x = {describe(np.asarray(case.args[0]))} "
        f"and g = {describe(np.asarray(case.args[1]))}"
    )
    hint = "backward returns grad_output where x > 0 and 0 elsewhere (also 0 at x = 0)."
    if "error" in got:
        return Failure(
            case.label,
            f"raised {got['error']}",
            call,
            hint="Save what backward needs in forward with ctx.save_for_backward, "
            "and read it back from ctx.saved_tensors.",
        )
    if got["grad"].get("kind") != "Tensor":
        return Failure(case.label, "x.grad was not set", call, hint=hint)
    failure = compare_tensors(
        case.label, call, case.args[0], got["grad"], expected["grad"], "gradient", hint
    )
    if failure is None and "gradcheck" in got and got["gradcheck"] is not True:
        return Failure(
            case.label,
            "torch.autograd.gradcheck failed",
            call,
            returned=str(got["gradcheck"]),
            hint=hint,
        )
    return failure


def compare_module(case: Case, got: Probe, expected: Probe) -> Failure | None:
    call = f"ReLU()(x) with x = {describe(np.asarray(case.args[0]))}"
    if "error" in got:
        return Failure(
            case.label,
            f"raised {got['error']}",
            call,
            hint="ReLU subclasses nn.Module; forward returns ReLUFunction.apply(x).",
        )
    if not got["is_module"]:
        return Failure(
            case.label,
            "ReLU() is not an nn.Module",
            call,
            hint="class ReLU(nn.Module): ... and call super().__init__().",
        )
    if got["mutated"]:
        return Failure(
            case.label,
            "changed its input in place",
            call,
            hint="ReLUFunction.forward must build a new tensor.",
        )
    if got["n_parameters"]:
        return Failure(
            case.label,
            f"ReLU has {got['n_parameters']} parameters; it should have none",
            call,
            hint="ReLU has nothing to learn.",
        )
    failure = compare_tensors(
        case.label,
        call,
        case.args[0],
        got["out"],
        expected["out"],
        "the output",
        "ReLU()(x) must equal relu(x).",
    )
    if failure:
        return failure
    if got["grad_fn"] != got["expected_grad_fn"]:
        return Failure(
            case.label,
            "the output was not computed by ReLUFunction",
            call,
            expected=f"grad_fn {got['expected_grad_fn']}",
            returned=f"grad_fn {got['grad_fn']}",
            hint="forward should call ReLUFunction.apply on its input.",
        )
    # the course does not test backward passes at NaN: those entries of the gradient are ignored
    x = np.asarray(case.args[0])
    return compare_tensors(
        case.label,
        call,
        x,
        without_nan_inputs(got["grad"], x),
        without_nan_inputs(expected["grad"], x),
        "gradient",
        "The gradient of sum(ReLU()(x)) is 1 where x > 0, else 0.",
    )


def without_nan_inputs(record: Probe, x: np.ndarray) -> Probe:
    """``record`` (a tensor record of a gradient) with its entries at NaN inputs set to 0."""
    if record.get("kind") != "Tensor" or record["value"].shape != x.shape:
        return record
    return {
        **record,
        "value": np.where(np.isnan(x), 0, record["value"]).astype(record["value"].dtype),
    }


def forward_visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("small float64 vector", (np.array([-2.0, -0.5, 0.5, 2.0]),)),
        Case("random float32 matrix", (rng.standard_normal((3, 4)).astype(np.float32),)),
        Case(
            "random float64 batch that requires grad",
            (rng.standard_normal((2, 3, 4)),),
            {"grad": True},
        ),
    ]


def forward_hidden(rng: np.random.Generator) -> list[Case]:
    return [Case("large random batch", (rng.standard_normal((16, 32)) * 10,))]


forward_cases = Cases(forward_visible, forward_hidden)


FORWARD_EDGE_VISIBLE: list[Case] = [
    Case("zeros", (np.array([0.0, -0.0, 1.0]),)),
    Case("NaN", (np.array([np.nan, -1.0, 1.0]),)),
    Case("infinities", (np.array([np.inf, -np.inf, 1.0]),)),
]


FORWARD_EDGE_HIDDEN: list[Case] = [
    Case(
        "NaN and infinities in float32",
        (np.array([np.nan, np.inf, -np.inf, -2.0], dtype=np.float32),),
    )
]


forward_edge_cases = Cases(FORWARD_EDGE_VISIBLE, FORWARD_EDGE_HIDDEN)


def _away(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random entries with 0.1 <= |x| <= 2: away from relu's kink at 0."""
    return rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def backward_visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            "x with a zero entry, upstream gradient of ones",
            (np.array([-1.0, 0.0, 2.0]), np.ones(3)),
        ),
        Case(
            "random x and random upstream gradient",
            (_away(rng, (4,)), rng.standard_normal(4)),
            {"gradcheck": _away(rng, (5,))},
        ),
        Case(
            "float32 matrix",
            (_away(rng, (3, 3)).astype(np.float32), rng.standard_normal((3, 3)).astype(np.float32)),
        ),
    ]


def backward_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            "gradcheck on a batch",
            (_away(rng, (2, 6)), rng.standard_normal((2, 6))),
            {"gradcheck": _away(rng, (3, 4))},
        )
    ]


backward_cases = Cases(backward_visible, backward_hidden)


def module_visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("float32 batch", (rng.standard_normal((4, 5)).astype(np.float32),)),
        Case("float64 image batch (N, C, H, W)", (rng.standard_normal((2, 3, 4, 4)),)),
    ]


def module_hidden(rng: np.random.Generator) -> list[Case]:
    return [Case("large float64 batch", (10 * rng.standard_normal((32, 16)),))]


module_cases = Cases(module_visible, module_hidden)


MODULE_EDGE_VISIBLE: list[Case] = [
    Case("zeros (gradient 0 there)", (np.array([[0.0, -1.0, 1.0]]),)),
    Case("NaN and infinities", (np.array([[np.nan, np.inf, -np.inf, 2.0]]),)),
]


MODULE_EDGE_HIDDEN: list[Case] = [
    Case("float32 with zeros", (np.array([0.0, 3.0, -3.0], dtype=np.float32),))
]


module_edge_cases = Cases(MODULE_EDGE_VISIBLE, MODULE_EDGE_HIDDEN)


relu_function_forward = Item(
    grade_id="relu_function_forward",
    title="ReLUFunction.forward: values, dtype, no mutation",
    targets=("ReLUFunction",),
    cases=forward_cases,
    probe=probe_forward,
    compare=compare_forward,
    oracle=(OracleFunction,),
    forbidden=FORBIDDEN,
)
relu_function_edge = Item(
    grade_id="relu_function_edge",
    title="ReLUFunction.forward: zeros, NaN and infinities",
    targets=("ReLUFunction",),
    cases=forward_edge_cases,
    probe=probe_forward,
    compare=compare_forward,
    oracle=(OracleFunction,),
    forbidden=FORBIDDEN,
)
relu_function_backward = Item(
    grade_id="relu_function_backward",
    title="ReLUFunction.backward: gradients and gradcheck",
    targets=("ReLUFunction",),
    cases=backward_cases,
    probe=probe_backward,
    compare=compare_backward,
    oracle=(OracleFunction,),
    forbidden=FORBIDDEN,
)
relu_module_core = Item(
    grade_id="relu_module_core",
    title="ReLU module: an nn.Module built on ReLUFunction",
    targets=("ReLU", "ReLUFunction"),
    cases=module_cases,
    probe=probe_module,
    compare=compare_module,
    oracle=(OracleModule, OracleFunction),
    forbidden=FORBIDDEN,
)
relu_module_edge = Item(
    grade_id="relu_module_edge",
    title="ReLU module: zeros, NaN and infinities",
    targets=("ReLU", "ReLUFunction"),
    cases=module_edge_cases,
    probe=probe_module,
    compare=compare_module,
    oracle=(OracleModule, OracleFunction),
    forbidden=FORBIDDEN,
)

ITEMS: tuple[Item, ...] = (
    relu_scalar_core,
    relu_scalar_edge,
    relu_core,
    relu_edge,
    relu_grad_core,
    relu_grad_edge,
    relu_function_forward,
    relu_function_edge,
    relu_function_backward,
    relu_module_core,
    relu_module_edge,
)
