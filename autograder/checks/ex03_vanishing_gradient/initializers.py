"""he_normal_ and xavier_uniform_: fill a weight in place (the two share all their cases).

The initializers are random, so their items are statistical: the probe returns the filled
weights and the trusted comparison tests their mean, standard deviation, range and whole
distribution (Kolmogorov-Smirnov) against the distribution in the function's name. The
thresholds are six standard errors (KS: a statistic of 2.8), so a correct initializer fails a
check with probability below 1e-6.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from autograder.forbidden import existing
from autograder.items import Case, Item, Probe
from autograder.kit.cases import Cases
from autograder.report import Failure

INIT_FORBIDDEN = existing(
    tuple(
        f"torch.nn.init.{name}"
        for name, value in vars(nn.init).items()
        if callable(value)
        and getattr(value, "__module__", "") == "torch.nn.init"
        and name != "_make_deprecate"
    )
)


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


def ks_statistic(values: np.ndarray, kind: str, scale: float) -> float:
    """The Kolmogorov-Smirnov statistic of ``values`` against N(0, scale^2) (``kind``
    "he_normal") or U(-scale, scale) (otherwise): the largest gap between their empirical CDF
    and the distribution's, as ``scipy.stats.kstest(values, cdf).statistic`` computes it
    (importing SciPy would add a second to every check cell's first import)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    if kind == "he_normal":
        cdf = torch.special.ndtr(torch.from_numpy(x / scale)).numpy()
    else:
        cdf = np.clip((x + scale) / (2 * scale), 0.0, 1.0)
    n = len(x)
    above = np.arange(1.0, n + 1) / n - cdf
    below = cdf - np.arange(0.0, n) / n
    return float(max(above.max(), below.max()))


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
            sigma = scale = math.sqrt(2 / fan_in)
            target = f"normal with mean 0 and std sqrt(2 / fan_in) = {sigma:.6g}"
            hint = (
                "Fill w in place with normal values of std sqrt(2 / fan_in), where "
                "fan_in = w.shape[1]: inside torch.no_grad(), w.normal_(0, std)."
            )
        else:
            bound = scale = math.sqrt(6 / (fan_in + fan_out))
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
        ks = ks_statistic(values, kind, scale) * math.sqrt(n)
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


INIT_EDGE_VISIBLE: list[Case] = [
    Case("an nn.Parameter that requires grad", ((150, 400), "float32"), {"parameter": True}),
    Case("a float64 weight", ((300, 200), "float64")),
    Case("one input feature (fan_in = 1)", ((20000, 1), "float32")),
]


INIT_EDGE_HIDDEN: list[Case] = [
    Case("a float64 nn.Parameter", ((256, 256), "float64"), {"parameter": True})
]


init_edge_cases = Cases(INIT_EDGE_VISIBLE, INIT_EDGE_HIDDEN)


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
