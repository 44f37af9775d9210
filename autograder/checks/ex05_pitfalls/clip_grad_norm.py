"""clip_grad_norm: scale every gradient by min(1, max_norm / (norm + 1e-6)) of the global norm.

The oracle is ``torch.nn.utils.clip_grad_norm_``; the comparison names the common mistakes
(per-parameter norms, no epsilon, scaling up) from their values on the case.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from autograder.forbidden import existing
from autograder.items import Case, Item, Probe
from autograder.kit.cases import Cases
from autograder.kit.tolerance import tolerance
from autograder.kit.values import is_float, kind
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
    return [
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


clip_core_cases = Cases(clip_core_visible, clip_core_hidden)


def clip_edge_visible(rng: np.random.Generator) -> list[Case]:
    return [
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


def clip_edge_hidden(rng: np.random.Generator) -> list[Case]:
    return [
        _clip_case(
            "float32, some .grad None",
            rng,
            [None, *_random_grads(rng, SHAPES[:3], 80.0, np.float32)],
            1.0,
        ),
        _clip_case("an empty list of parameters", rng, [], 1.0),
    ]


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
