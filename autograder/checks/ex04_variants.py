"""ex04_variants: leaky_relu, elu, selu, gelu, silu, softplus, mish (tensors in, tensors out,
differentiable) and the PReLU module.

Each function is checked on its values, dtype and shape, and on its gradient: the probe runs one
backward pass with an upstream gradient and, on some cases, ``torch.autograd.gradcheck`` in
float64 away from kinks. The oracles are PyTorch's own functions and ``nn.PReLU``. Edge cases
hold the traps of each formula: the value of the gradient at 0 (PyTorch's convention), NaN and
infinities for the ReLU family, and |x| up to 1000 in float64, where ``torch.where`` over an
overflowing ``exp`` gives the right values but a NaN gradient.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from autograder.forbidden import existing
from autograder.items import Case, Item, Probe, format_error
from autograder.kit.cases import Cases
from autograder.kit.elementwise import first_mismatch
from autograder.kit.gradcheck import gradcheck_probe
from autograder.kit.rules import Hint, Mismatch, Rules, when
from autograder.kit.tensors import tensor_record
from autograder.kit.tolerance import FORMULA_RTOL
from autograder.report import Failure, describe

FORBIDDEN = {
    "leaky_relu": existing(
        (
            "torch.nn.functional.leaky_relu",
            "torch.nn.functional.leaky_relu_",
            "torch._C._nn.leaky_relu",
            "torch._C._nn.leaky_relu_",
            "torch.nn.LeakyReLU",
            "torch.nn.functional.rrelu",
            "torch.rrelu",
            "torch.rrelu_",
            "torch.nn.RReLU",
        )
    ),
    "elu": existing(
        (
            "torch.nn.functional.elu",
            "torch.nn.functional.elu_",
            "torch._C._nn.elu",
            "torch._C._nn.elu_",
            "torch.nn.ELU",
            "torch.nn.functional.celu",
            "torch.celu",
            "torch.celu_",
            "torch.nn.CELU",
        )
    ),
    "selu": existing(
        (
            "torch.nn.functional.selu",
            "torch.nn.functional.selu_",
            "torch.selu",
            "torch.selu_",
            "torch.nn.SELU",
        )
    ),
    "gelu": existing(("torch.nn.functional.gelu", "torch._C._nn.gelu", "torch.nn.GELU")),
    "silu": existing(("torch.nn.functional.silu", "torch._C._nn.silu", "torch.nn.SiLU")),
    "softplus": existing(
        ("torch.nn.functional.softplus", "torch._C._nn.softplus", "torch.nn.Softplus")
    ),
    "mish": existing(("torch.nn.functional.mish", "torch._C._nn.mish", "torch.nn.Mish")),
    "PReLU": existing(
        (
            "torch.nn.functional.prelu",
            "torch.prelu",
            "torch._prelu_kernel",
            "torch.Tensor.prelu",
            "torch.nn.PReLU",
        )
    ),
}

ORACLES: dict[str, Callable[..., torch.Tensor]] = {
    "leaky_relu": F.leaky_relu,
    "elu": F.elu,
    "selu": F.selu,
    "gelu": F.gelu,
    "silu": F.silu,
    "softplus": F.softplus,
    "mish": F.mish,
}

WHERE_NAN = (
    "Your gradient is NaN where PyTorch's is finite. An overflow inside the formula "
    "(exp(1000) is inf) gives the right value but a NaN gradient, and torch.where "
    "evaluates both branches, so the backward pass of the branch that was not chosen "
    "computes 0 * inf = NaN. Keep every intermediate finite: for example exp of "
    "torch.clamp(x, max=0) in ELU, or a stable softplus."
)


# the probe: values, gradient, gradcheck --------------------------------------------------------


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
    for key in ("dtype", "shape"):
        if got[key] != expected[key]:
            return Failure(
                case.label,
                f"the {what} has the wrong {key}",
                call,
                expected=f"{key} {expected[key]}",
                returned=f"{key} {got[key]}",
                hint="Keep x's dtype and shape: use Python numbers or tensors of "
                "x's dtype as constants (torch.tensor(c) is float32).",
            )
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


# cases ---------------------------------------------------------------------------------------


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


# per-function hints ------------------------------------------------------------------------------


def at_zero_grad(text: str) -> Hint:
    return when(lambda m: m.what == "gradient" and m.x == 0, text)


def leaky_slope(m: Mismatch) -> str | None:
    if m.what == "output" and m.x < 0:
        return (
            "Negative inputs are multiplied by negative_slope: use the argument (default "
            "0.01), not a constant."
        )
    return None


def elu_alpha(m: Mismatch) -> str | None:
    if m.what == "output" and m.x < 0:
        return "For x <= 0, elu(x) = alpha * (exp(x) - 1): use the alpha argument."
    return None


def selu_constants(m: Mismatch) -> str | None:
    if m.expected != 0 and abs(m.got / m.expected - 1) < 1e-3:
        return (
            "Close but not equal: use SELU's two constants to full precision, as given in "
            "the notebook (alpha = 1.6732632423543772..., scale = 1.0507009873554804...)."
        )
    return None


def gelu_form(m: Mismatch) -> str | None:
    x, g, params = m.x, m.got, m.params
    exact = 0.5 * x * (1 + math.erf(x / math.sqrt(2)))
    approx = 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    if m.what != "output":
        return None
    approximate = params.get("approximate", "none")
    if approximate == "none" and math.isclose(g, approx, rel_tol=FORMULA_RTOL):
        return (
            "That is the tanh approximation. approximate='none' asks for the exact "
            "x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))), with torch.erf."
        )
    if approximate == "tanh" and math.isclose(g, exact, rel_tol=FORMULA_RTOL):
        return (
            "That is the exact GELU. approximate='tanh' asks for "
            "0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))."
        )
    return None


def softplus_rules(m: Mismatch) -> str | None:
    what, x, e, g = m.what, m.x, m.expected, m.got
    beta, threshold = m.params.get("beta", 1.0), m.params.get("threshold", 20.0)
    if what == "gradient" and x == 0 and g == 0 and e != 0:
        return (
            "softplus'(0) = 1/2, but autograd returned 0: relu(x) and abs(x) have slope 0 "
            "at x = 0, so relu(x) + log1p(exp(-abs(x))) differentiates to 0 + 0 there. "
            "Use torch.maximum(x, zeros) (slope 1/2 at a tie) or torch.logaddexp."
        )
    if what == "output" and beta * x == threshold:
        return (
            "At beta * x == threshold exactly PyTorch still uses the log formula: the "
            "linear branch is for beta * x > threshold (strictly greater)."
        )
    if what == "output" and beta * x > threshold:
        return (
            "Where beta * x > threshold PyTorch returns x itself (the linear branch); use "
            "the threshold argument."
        )
    if what == "output" and math.isinf(g):
        return (
            "exp(beta * x) overflowed: use the stable form max(z, 0) + log1p(exp(-|z|)) "
            "with z = beta * x, divided by beta."
        )
    return None


LEAKY = Rules(
    "leaky_relu",
    "leaky_relu(x) = x where x > 0 and negative_slope * x elsewhere, "
    "with gradient negative_slope at x = 0 (PyTorch's convention).",
    (
        at_zero_grad(
            "PyTorch's leaky_relu'(0) = negative_slope: x = 0 belongs to the "
            "negative branch. torch.where(x > 0, ...) does that; x >= 0 gives "
            "1, and torch.maximum splits a tie, giving the average of the two "
            "slopes."
        ),
        leaky_slope,
    ),
)
ELU = Rules(
    "elu",
    "elu(x) = x for x > 0 and alpha * (exp(x) - 1) for x <= 0; its gradient at "
    "0 is alpha (PyTorch's convention).",
    (
        at_zero_grad(
            "PyTorch's elu'(0) = alpha: x = 0 belongs to the exponential branch, "
            "so use x > 0 for the linear one."
        ),
        elu_alpha,
    ),
)
SELU = Rules(
    "selu",
    "selu(x) = scale * (x for x > 0, alpha * (exp(x) - 1) for x <= 0), with "
    "the constants given in the notebook; its gradient at 0 is scale * alpha.",
    (
        at_zero_grad(
            "PyTorch's selu'(0) = scale * alpha: x = 0 belongs to the exponential branch."
        ),
        selu_constants,
    ),
)
GELU = Rules(
    "gelu",
    "approximate='none': x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))); "
    "approximate='tanh': 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3))).",
    (gelu_form,),
)
SILU = Rules("silu", "silu(x) = x * sigmoid(x); torch.sigmoid is allowed and stable.")
SOFTPLUS = Rules(
    "softplus",
    "softplus(x) = log(1 + exp(beta * x)) / beta, computed stably, and "
    "x itself where beta * x > threshold.",
    (softplus_rules,),
)
MISH = Rules("mish", "mish(x) = x * tanh(softplus(x)), with a stable softplus.")


def function_item(
    grade_id: str,
    title: str,
    name: str,
    rules: Rules,
    cases: Cases,
) -> Item:
    return Item(
        grade_id=grade_id,
        title=title,
        targets=(name,),
        cases=cases,
        probe=probe_function,
        compare=compare_function(rules),
        oracle=(ORACLES[name],),
        forbidden=FORBIDDEN[name],
        hint=rules.hint,
    )


leaky_relu_core = function_item(
    "leaky_relu_core",
    "leaky_relu: values and gradients on random tensors",
    "leaky_relu",
    LEAKY,
    core_cases([{}, {"negative_slope": 0.2}, {"negative_slope": 0.05}]),
)
leaky_relu_edge = function_item(
    "leaky_relu_edge",
    "leaky_relu: x = 0, NaN, infinities, other slopes",
    "leaky_relu",
    LEAKY,
    edge_cases(
        {},
        relu_family=True,
        extra=[
            Case("x = 0 with negative_slope=0.3", (ZEROS, {"negative_slope": 0.3})),
            Case(
                "a slope above 1 (negative_slope=1.5)",
                (np.array([-2.0, 0.0, 2.0]), {"negative_slope": 1.5}),
            ),
        ],
    ),
)
elu_core = function_item(
    "elu_core",
    "elu: values and gradients on random tensors",
    "elu",
    ELU,
    core_cases([{}, {"alpha": 0.5}, {"alpha": 2.0}]),
)
elu_edge = function_item(
    "elu_edge",
    "elu: x = 0, NaN, infinities, |x| up to 1000",
    "elu",
    ELU,
    edge_cases({"alpha": 2.0}, relu_family=True),
)
selu_core = function_item(
    "selu_core",
    "selu: values and gradients on random tensors",
    "selu",
    SELU,
    core_cases([{}, {}, {}]),
)
selu_edge = function_item(
    "selu_edge",
    "selu: x = 0, NaN, infinities, |x| up to 1000",
    "selu",
    SELU,
    edge_cases({}, relu_family=True),
)
gelu_core = function_item(
    "gelu_core",
    "gelu: the exact form x * Phi(x)",
    "gelu",
    GELU,
    core_cases([{}, {"approximate": "none"}, {"approximate": "none"}]),
)
gelu_tanh = function_item(
    "gelu_tanh",
    "gelu: the tanh approximation (approximate='tanh')",
    "gelu",
    GELU,
    core_cases([{"approximate": "tanh"}] * 3),
)
gelu_edge = function_item(
    "gelu_edge",
    "gelu: x = 0 and large |x| in both forms",
    "gelu",
    GELU,
    edge_cases(
        {},
        relu_family=False,
        extra=[
            Case(
                "tanh form, x = 0 and |x| up to 1000",
                (np.concatenate([ZEROS, LARGE]), {"approximate": "tanh"}),
            )
        ],
    ),
)
silu_core = function_item(
    "silu_core",
    "silu: values and gradients on random tensors",
    "silu",
    SILU,
    core_cases([{}, {}, {}]),
)
silu_edge = function_item(
    "silu_edge",
    "silu: x = 0 and |x| up to 1000",
    "silu",
    SILU,
    edge_cases({}, relu_family=False),
)
softplus_core = function_item(
    "softplus_core",
    "softplus: values and gradients, beta and threshold",
    "softplus",
    SOFTPLUS,
    core_cases([{}, {"beta": 2.0}, {"beta": 0.5, "threshold": 5.0}]),
)
softplus_edge = function_item(
    "softplus_edge",
    "softplus: x = 0, |x| up to 1000, at and above the threshold",
    "softplus",
    SOFTPLUS,
    edge_cases(
        {},
        relu_family=False,
        extra=[
            Case(
                "around a small threshold (beta=1, threshold=1)",
                (np.array([0.5, 1.0, 1.5, 2.0]), {"beta": 1.0, "threshold": 1.0}),
            ),
            Case(
                "beta=2, threshold=4: beta * x crosses the threshold at x = 2",
                (np.array([1.0, 2.0, 2.5, 3.0, -3.0]), {"beta": 2.0, "threshold": 4.0}),
            ),
        ],
    ),
)
mish_core = function_item(
    "mish_core",
    "mish: values and gradients on random tensors",
    "mish",
    MISH,
    core_cases([{}, {}, {}]),
)
mish_edge = function_item(
    "mish_edge",
    "mish: x = 0 and |x| up to 1000",
    "mish",
    MISH,
    edge_cases({}, relu_family=False),
)


# PReLU -----------------------------------------------------------------------------------------


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
    for key in ("dtype", "shape"):
        if got[key] != expected[key]:
            return Failure(
                case.label,
                f"the {what} has the wrong {key}",
                call,
                expected=f"{key} {expected[key]}",
                returned=f"{key} {got[key]}",
                hint=hint,
            )
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
    cases = [
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
    return cases


def prelu_core_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    cases.append(
        Case(
            "PReLU(num_parameters=6, init=0.3) on a float64 batch (8, 6, 3)",
            (rng.standard_normal((8, 6, 3)), {"num_parameters": 6, "init": 0.3}),
        )
    )
    return cases


prelu_core_cases = Cases(prelu_core_visible, prelu_core_hidden)


def prelu_edge_visible(rng: np.random.Generator) -> list[Case]:
    cases = [
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
    return cases


def prelu_edge_hidden(rng: np.random.Generator) -> list[Case]:
    cases: list[Case] = []
    cases.append(
        Case(
            "float64 images with 2 channels",
            (rng.standard_normal((3, 2, 4, 4)), {"num_parameters": 2}),
        )
    )
    return cases


prelu_edge_cases = Cases(prelu_edge_visible, prelu_edge_hidden)


prelu_core = Item(
    grade_id="prelu_core",
    title="PReLU: weights, forward and gradients like nn.PReLU",
    targets=("PReLU",),
    cases=prelu_core_cases,
    probe=probe_prelu,
    compare=compare_prelu,
    oracle=(nn.PReLU,),
    forbidden=FORBIDDEN["PReLU"],
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
    forbidden=FORBIDDEN["PReLU"],
    hint=PRELU_HINT,
)

ITEMS: tuple[Item, ...] = (
    leaky_relu_core,
    leaky_relu_edge,
    elu_core,
    elu_edge,
    selu_core,
    selu_edge,
    gelu_core,
    gelu_tanh,
    gelu_edge,
    silu_core,
    silu_edge,
    softplus_core,
    softplus_edge,
    mish_core,
    mish_edge,
    prelu_core,
    prelu_edge,
)
