"""ex01_activations: sigmoid, sigmoid_grad, tanh_grad, collapse_linear."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from autograder.items import Case, Item, Probe, format_error
from autograder.kit.cases import Cases
from autograder.kit.elementwise import array_item, random_arrays
from autograder.kit.rules import Mismatch, Rules, when
from autograder.kit.tolerance import tolerance
from autograder.report import Failure, describe

FORBIDDEN = (
    "scipy.special.expit",
    "torch.sigmoid",
    "torch.special.expit",
    "torch.nn.functional.sigmoid",
    "torch.Tensor.sigmoid",
    "torch.nn.Sigmoid",
)
# The contracts of sigmoid and sigmoid_grad promise no overflow warning in float64 only; in
# float32 only the values are checked (the naive formula's inf gives the right 0 there).
FLOAT64 = ("float64",)
LARGE = np.array([20.0, 36.0, 50.0, 100.0, 500.0, 709.0, 710.0, 745.0, 800.0, 1000.0])


def autograd(fn):
    """Value-and-derivative oracles computed by PyTorch in the input's dtype."""

    def value(x: np.ndarray) -> np.ndarray:
        return fn(torch.from_numpy(np.array(x))).numpy()

    def derivative(x: np.ndarray) -> np.ndarray:
        t = torch.from_numpy(np.array(x)).requires_grad_(True)
        (g,) = torch.autograd.grad(fn(t).sum(), t)
        return g.numpy()

    return value, derivative


sigmoid_oracle, sigmoid_grad_oracle = autograd(torch.sigmoid)
_, tanh_grad_oracle = autograd(torch.tanh)


def core_visible(rng: np.random.Generator) -> list[Case]:
    return random_arrays(rng, (np.float64, np.float32))


def core_hidden(rng: np.random.Generator) -> list[Case]:
    return random_arrays(rng, (np.float64,), scale=10.0, shapes=((50,), (4, 5, 6)))


core_cases = Cases(core_visible, core_hidden)


SIGMOID_EDGE_VISIBLE: list[Case] = [
    Case("x = 0", (np.array([0.0, -0.0]),)),
    Case("large |x| in float64 (up to 1000)", (np.concatenate([-LARGE, LARGE]),)),
    Case(
        "large |x| in float32",
        (np.array([-1000, -100, -89, -50, 50, 89, 100, 1000], dtype=np.float32),),
    ),
    Case("infinities and NaN", (np.array([np.inf, -np.inf, np.nan]),)),
]


def sigmoid_edge_hidden(rng: np.random.Generator) -> list[Case]:
    return [Case("random large |x|", (rng.uniform(-1000, 1000, size=200),))]


sigmoid_edge_cases = Cases(SIGMOID_EDGE_VISIBLE, sigmoid_edge_hidden)


def grad_edge_visible(rng: np.random.Generator) -> list[Case]:
    return [
        Case("x = 0", (np.array([0.0]),)),
        Case("large |x| in float64 (up to 1000)", (np.concatenate([-LARGE, LARGE]),)),
        Case("float32 input", (rng.standard_normal(7).astype(np.float32) * 5,)),
    ]


def grad_edge_hidden(rng: np.random.Generator) -> list[Case]:
    return [Case("random large |x|", (rng.uniform(-1000, 1000, size=200),))]


grad_edge_cases = Cases(grad_edge_visible, grad_edge_hidden)


def _saturates_wrong(m: Mismatch) -> bool:
    return not np.isfinite(m.got) or (abs(m.x) > 30 and abs(m.got - m.expected) > 1e-6)


SIGMOID_HINTS = (
    when(lambda m: np.isnan(m.x), "sigmoid(nan) is nan: let NaN flow through."),
    when(lambda m: np.isinf(m.x), "sigmoid(inf) = 1 and sigmoid(-inf) = 0."),
    when(
        _saturates_wrong,
        "For large |x|, 1 / (1 + np.exp(-x)) overflows for x < -709: use "
        "exp(-|x|), which never overflows, with one formula per sign of x.",
    ),
)

sigmoid_core = array_item(
    grade_id="sigmoid_core",
    title="sigmoid: values, dtype and shape on random arrays",
    target="sigmoid",
    oracle=sigmoid_oracle,
    cases=core_cases,
    forbidden=FORBIDDEN,
    rules=Rules(
        "sigmoid",
        hint="sigmoid(x) = 1 / (1 + exp(-x)), elementwise.",
        new_array=False,
        hints=SIGMOID_HINTS,
    ),
)
sigmoid_edge = array_item(
    grade_id="sigmoid_edge",
    title="sigmoid: x = 0, |x| up to 1000 without overflow, inf, NaN",
    target="sigmoid",
    oracle=sigmoid_oracle,
    cases=sigmoid_edge_cases,
    forbidden=FORBIDDEN,
    rules=Rules(
        "sigmoid",
        hint="Use a form that is stable for both signs of x.",
        new_array=False,
        no_overflow=FLOAT64,
        hints=SIGMOID_HINTS,
    ),
)
sigmoid_grad_core = array_item(
    grade_id="sigmoid_grad_core",
    title="sigmoid_grad: values, dtype and shape on random arrays",
    target="sigmoid_grad",
    oracle=sigmoid_grad_oracle,
    cases=core_cases,
    forbidden=FORBIDDEN,
    rules=Rules(
        "sigmoid_grad", hint="sigmoid'(x) = sigmoid(x) * (1 - sigmoid(x)).", new_array=False
    ),
)
sigmoid_grad_edge = array_item(
    grade_id="sigmoid_grad_edge",
    title="sigmoid_grad: x = 0 and |x| up to 1000 without overflow",
    target="sigmoid_grad",
    oracle=sigmoid_grad_oracle,
    cases=grad_edge_cases,
    forbidden=FORBIDDEN,
    rules=Rules(
        "sigmoid_grad",
        hint="sigmoid'(0) = 0.25; compute it from a stable sigmoid.",
        new_array=False,
        no_overflow=FLOAT64,
    ),
)
tanh_grad_core = array_item(
    grade_id="tanh_grad_core",
    title="tanh_grad: values, dtype and shape on random arrays",
    target="tanh_grad",
    oracle=tanh_grad_oracle,
    cases=core_cases,
    rules=Rules(
        "tanh_grad", hint="tanh'(x) = 1 - tanh(x)**2 (np.tanh is allowed).", new_array=False
    ),
)
tanh_grad_edge = array_item(
    grade_id="tanh_grad_edge",
    title="tanh_grad: x = 0, large |x| and float32 input",
    target="tanh_grad",
    oracle=tanh_grad_oracle,
    cases=grad_edge_cases,
    rules=Rules(
        "tanh_grad",
        hint="tanh'(0) = 1, and tanh'(x) tends to 0 for large |x|.",
        new_array=False,
        no_overflow=("float64", "float32"),
    ),
)


# collapse_linear -------------------------------------------------------------------------


def collapse_oracle(W1, b1, W2, b2):
    """The composed layer, from the sums that define matrix products."""
    weight = np.einsum("ij,jk->ik", W2, W1)
    return weight, np.einsum("ij,j->i", W2, b1) + b2


def probe_collapse(case: Case, fn) -> Probe:
    args = [np.array(a, copy=True) for a in case.args]
    try:
        result = fn(*args)
    except Exception as exc:  # noqa: BLE001 - reported to the student
        return {"error": format_error(exc)}
    probe: Probe = {
        "kind": type(result).__name__,
        "mutated": any(not np.array_equal(a, b) for a, b in zip(args, case.args, strict=True)),
    }
    if isinstance(result, tuple | list) and len(result) == 2:
        parts = list(result)
        probe["parts"] = [type(p).__name__ for p in parts]
        if all(type(p) is np.ndarray for p in parts):
            W, b = parts
            v = case.kwargs["v"]
            probe.update(W=W.copy(), b=b.copy(), dtypes=[str(W.dtype), str(b.dtype)])
            try:
                probe["applied"] = np.asarray(W @ v + b)
            except ValueError as exc:
                probe["applied_error"] = str(exc)
    return probe


def compare_collapse(case: Case, got: Probe, expected: Probe) -> Failure | None:
    shapes = ", ".join(
        f"{n} {np.shape(a)}" for n, a in zip(("W1", "b1", "W2", "b2"), case.args, strict=True)
    )
    call = f"collapse_linear(W1, b1, W2, b2) with shapes {shapes}"
    if "error" in got:
        return Failure(
            case.label,
            f"raised {got['error']}",
            call,
            hint="W has shape (n2, n0) and b has shape (n2,).",
        )
    if got["mutated"]:
        return Failure(
            case.label,
            "changed one of its input arrays",
            call,
            hint="Compute new arrays; do not write into W1, b1, W2 or b2.",
        )
    if "W" not in got:
        return Failure(
            case.label,
            f"returned {got.get('parts', got['kind'])}",
            call,
            expected="a tuple (W, b) of two NumPy arrays",
            hint="return W, b",
        )
    for key in ("W", "b"):
        exp = expected[key]
        if got[key].shape != exp.shape:
            return Failure(
                case.label,
                f"{key} has the wrong shape",
                call,
                expected=f"shape {exp.shape}",
                returned=f"shape {got[key].shape}",
                hint="W = W2 @ W1 has shape (n2, n0); b = W2 @ b1 + b2 has shape (n2,).",
            )
        if str(got[key].dtype) != str(exp.dtype):
            return Failure(
                case.label,
                f"{key} has dtype {got[key].dtype}",
                call,
                expected=f"dtype {exp.dtype}",
                returned=f"dtype {got[key].dtype}",
                hint="Keep the inputs' dtype.",
            )
        rtol, atol = tolerance(exp.dtype)
        if not np.allclose(got[key], exp, rtol=rtol, atol=atol):
            hint = (
                "b must include W2 @ b1, not just b1 + b2."
                if key == "b"
                else "The first layer is applied first: W = W2 @ W1, not W1 @ W2."
            )
            return Failure(
                case.label,
                f"wrong {key}",
                call,
                expected=describe(exp),
                returned=describe(got[key]),
                hint=hint,
            )
    return None


def random_layers(rng: np.random.Generator, sizes: Sequence[tuple[int, int, int]]) -> list[Case]:
    """Random layers n0 -> n1 -> n2 of each size, in float64 then float32."""
    cases = []
    for n0, n1, n2 in sizes:
        for dtype in (np.float64, np.float32):
            W1 = rng.standard_normal((n1, n0)).astype(dtype)
            b1 = rng.standard_normal(n1).astype(dtype)
            W2 = rng.standard_normal((n2, n1)).astype(dtype)
            b2 = rng.standard_normal(n2).astype(dtype)
            v = rng.standard_normal(n0).astype(dtype)
            cases.append(
                Case(
                    f"layers {n0} -> {n1} -> {n2} in {np.dtype(dtype).name}",
                    (W1, b1, W2, b2),
                    {"v": v},
                )
            )
    return cases


collapse_cases = Cases(
    lambda rng: random_layers(rng, [(1, 1, 1), (3, 4, 2), (5, 2, 6)]),
    lambda rng: random_layers(rng, [(8, 16, 3), (2, 9, 9)]),
)


def collapse_edge_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    """Two fixed cases, then the largest two of :data:`collapse_cases` (with ``hidden``, the
    largest hidden ones: this item's hidden cases replace its last two visible ones)."""
    W1 = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    b1 = np.array([1.0, -1.0, 0.5])
    W2 = np.array([[1.0, 0.0, -1.0]])
    b2 = np.array([10.0])
    return [
        Case(
            "non-square layers with non-zero biases (2 -> 3 -> 1)",
            (W1, b1, W2, b2),
            {"v": np.array([0.5, -2.0])},
        ),
        Case("zero first bias", (W1, np.zeros(3), W2, b2), {"v": np.array([1.0, 1.0])}),
        *collapse_cases(rng, hidden)[-2:],
    ]


def _collapse_item(grade_id: str, title: str, cases) -> Item:
    return Item(
        grade_id=grade_id,
        title=title,
        targets=("collapse_linear",),
        cases=cases,
        probe=probe_collapse,
        compare=compare_collapse,
        oracle=(collapse_oracle,),
        hint="W = W2 @ W1 and b = W2 @ b1 + b2.",
    )


collapse_linear_core = _collapse_item(
    "collapse_linear_core", "collapse_linear: W and b on random layers", collapse_cases
)
collapse_linear_edge = _collapse_item(
    "collapse_linear_edge",
    "collapse_linear: non-square layers, biases and float32",
    collapse_edge_cases,
)

ITEMS: tuple[Item, ...] = (
    sigmoid_core,
    sigmoid_edge,
    sigmoid_grad_core,
    sigmoid_grad_edge,
    tanh_grad_core,
    tanh_grad_edge,
    collapse_linear_core,
    collapse_linear_edge,
)
