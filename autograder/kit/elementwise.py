"""Items for elementwise NumPy functions (``sigmoid``, ``relu``, their gradients, ...).

The probe records what the function returned (type, dtype, shape, values), whether it
changed its input, and the warnings it raised; the comparison applies the course's rules:
a new NumPy array (not a subclass), the input's dtype and shape, values within tolerance,
NaN where the reference has NaN, and no overflow warning where stability is checked.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from autograder.items import Case, Item, Probe, format_error
from autograder.kit.rules import Mismatch, Rules
from autograder.kit.tolerance import tolerance
from autograder.report import Failure, describe


def probe_array_function(case: Case, fn: Callable[..., object]) -> Probe:
    """Call ``fn`` on a private copy of the case's array and describe what happened."""
    x = np.array(case.args[0], copy=True)
    before = x.copy()
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        try:
            result = fn(x, *case.args[1:], **case.kwargs)
        except Exception as exc:  # noqa: BLE001 - reported to the student
            return {"error": format_error(exc)}
    probe: Probe = {
        "kind": type(result).__name__,
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
        "mutated": not (x.dtype == before.dtype and np.array_equal(x, before, equal_nan=True)),
        "same_object": result is x,
    }
    if type(result) is np.ndarray:
        probe.update(value=result.copy(), dtype=str(result.dtype), shape=list(result.shape))
    if any("overflow" in w for w in probe["warnings"]) and x.ndim == 1 and x.size <= 64:
        probe["overflow_inputs"] = overflow_inputs(fn, before, case)
    return probe


def overflow_inputs(fn: Callable[..., object], x: np.ndarray, case: Case) -> list[int]:
    """Indices of the entries of ``x`` on which ``fn`` overflows on their own."""
    found = []
    for i in range(x.size):
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
            warnings.simplefilter("always")
            try:
                fn(x[i : i + 1].copy(), *case.args[1:], **case.kwargs)
            except Exception:  # noqa: BLE001, S112 - only the warnings matter here
                continue
        if any("overflow" in str(w.message) for w in caught):
            found.append(i)
    return found


def first_mismatch(x: np.ndarray, got: np.ndarray, expected: np.ndarray) -> int | None:
    """Flat index of the simplest input where ``got`` and ``expected`` disagree, if any."""
    rtol, atol = tolerance(expected.dtype)
    g, e = got.astype(np.float64).ravel(), expected.astype(np.float64).ravel()
    with np.errstate(all="ignore"):
        bad = ~np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    bad |= np.isnan(g) != np.isnan(e)
    if not bad.any():
        return None
    xf = np.asarray(x, dtype=np.float64).ravel()
    # simplest first: finite inputs by magnitude, then infinities, then NaN
    key = np.where(np.isfinite(xf), np.abs(xf), np.where(np.isnan(xf), 1.7e308, 1.6e308))
    candidates = np.flatnonzero(bad)
    return int(candidates[np.argmin(key[candidates])])


def compare_arrays(rules: Rules) -> Callable[[Case, Probe, Probe], Failure | None]:
    """The comparison rule for elementwise functions, with hints keyed on the failing value."""

    def compare(case: Case, got: Probe, expected: Probe) -> Failure | None:
        x = np.asarray(case.args[0])
        call = f"{rules.name}(x) with x = {describe(x)}"
        if "error" in got:
            return Failure(case.label, f"raised {got['error']}", call, hint=rules.hint)
        if "value" not in got:
            return Failure(
                case.label,
                f"returned a value of type {got['kind']}, not a NumPy array",
                call,
                expected=f"a NumPy array like {describe(expected['value'])}",
                hint="Return an np.ndarray (for example np.asarray(result)); "
                "not a list, a scalar, a tensor or an array subclass.",
            )
        if got["mutated"]:
            return Failure(
                case.label,
                "changed its input array in place",
                call,
                hint="Work on a new array: avoid out=x, x[...] = and x *= ...",
            )
        if rules.new_array and got["same_object"]:
            return Failure(
                case.label,
                "returned the input array itself, not a new array",
                call,
                hint="Return a new array (np.maximum(x, 0) makes one).",
            )
        if got["dtype"] != expected["dtype"]:
            return Failure(
                case.label,
                f"returned dtype {got['dtype']} for a {x.dtype} input",
                call,
                expected=f"dtype {expected['dtype']}",
                returned=f"dtype {got['dtype']}",
                hint="Keep the input's dtype: avoid mixing in float64 constants or "
                "arrays (np.zeros(n) is float64), or cast with .astype(x.dtype).",
            )
        if got["shape"] != expected["shape"]:
            return Failure(
                case.label,
                "returned the wrong shape",
                call,
                expected=f"shape {tuple(expected['shape'])}",
                returned=f"shape {tuple(got['shape'])}",
                hint="An elementwise function returns an array of the input's shape.",
            )
        index = first_mismatch(x, got["value"], expected["value"])
        if index is not None:
            xi = x.ravel()[index]
            gi, ei = got["value"].ravel()[index], expected["value"].ravel()[index]
            hint = rules.hint_for(Mismatch("value", float(xi), float(ei), float(gi), case.kwargs))
            where = f"x = {describe(xi)}, entry {index} of an input array of shape {x.shape}"
            return Failure(
                case.label,
                f"wrong value of {rules.name}(x)",
                where,
                expected=describe(ei),
                returned=describe(gi),
                hint=hint,
            )
        if x.dtype.name in rules.no_overflow:
            overflow = [w for w in got["warnings"] if "overflow" in w.lower()]
            if overflow:
                indices = got.get("overflow_inputs") or []
                if indices:
                    simplest = min(indices, key=lambda i: abs(float(x.ravel()[i])))
                    call = (
                        f"x = {describe(x.ravel()[simplest])} (and {len(indices) - 1} more "
                        "entries of the input)"
                    )
                return Failure(
                    case.label,
                    f"the computation overflowed ({overflow[0]})",
                    call,
                    hint="Rewrite the formula so that exp() only sees arguments <= 0, "
                    "e.g. with np.exp(-np.abs(x)).",
                )
        return None

    return compare


def array_item(
    *,
    grade_id: str,
    title: str,
    target: str,
    oracle: Callable[[np.ndarray], np.ndarray],
    cases: Callable[[np.random.Generator, bool], Sequence[Case]],
    rules: Rules,
    forbidden: Sequence[str] = (),
) -> Item:
    """An item that checks an elementwise NumPy function against ``oracle``."""

    def reference(x: np.ndarray, *args: object, **kwargs: object) -> np.ndarray:
        return oracle(x, *args, **kwargs)

    return Item(
        grade_id=grade_id,
        title=title,
        targets=(target,),
        cases=cases,
        probe=probe_array_function,
        compare=compare_arrays(rules),
        oracle=(reference,),
        forbidden=tuple(forbidden),
        hint=rules.hint,
    )


def random_arrays(
    rng: np.random.Generator,
    dtypes: Sequence[type],
    scale: float = 3.0,
    shapes: Sequence[tuple[int, ...]] = ((6,), (3, 4), (2, 3, 4)),
) -> list[Case]:
    """Fresh random normal arrays of several shapes and dtypes, smallest first."""
    cases: list[Case] = []
    for shape in shapes:
        for dtype in dtypes:
            x: np.ndarray = (scale * rng.standard_normal(shape)).astype(dtype)
            cases.append(Case(f"random {np.dtype(dtype).name} array of shape {shape}", (x,)))
    return cases
