"""``matched_hidden(d_model, expansion=4, multiple_of=1) -> int``: the hidden width of a gated
block with the parameters of an ungated block of width ``expansion * d_model``, as in LLaMA's
reference code: ``int(2 * expansion * d_model / 3)`` rounded up to a multiple of
``multiple_of``. The oracle computes it in exact integer arithmetic."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.items import Case, Item, Probe
from autograder.kit.cases import Cases
from autograder.kit.values import kind
from autograder.report import Failure

HINT = (
    "Equal parameters: 3 * d_model * hidden = 2 * d_model * (expansion * d_model), so hidden "
    "= 2 * expansion * d_model / 3. Truncate it to an integer, h = int(2 * expansion * "
    "d_model / 3) (or 2 * expansion * d_model // 3), then round h UP to a multiple of "
    "multiple_of: multiple_of * ((h + multiple_of - 1) // multiple_of)."
)


def reference_width(d_model: int, expansion: int = 4, multiple_of: int = 1) -> int:
    """The gated width, in integers: floor(2 * expansion * d_model / 3), rounded up."""
    hidden = 2 * expansion * d_model // 3
    return multiple_of * -(-hidden // multiple_of)


def probe_width(case: Case, fn: Callable[..., object]) -> Probe:
    value = fn(*case.args, **case.kwargs)
    probe: Probe = {"kind": kind(value)}
    if type(value) is int:
        probe["value"] = value
    return probe


def call_text(case: Case) -> str:
    args = [repr(a) for a in case.args] + [f"{k}={v!r}" for k, v in case.kwargs.items()]
    return f"matched_hidden({', '.join(args)})"


def _arguments(case: Case) -> tuple[int, int, int]:
    bound: dict[str, Any] = {"expansion": 4, "multiple_of": 1}
    bound.update(zip(("d_model", "expansion", "multiple_of"), case.args, strict=False))
    bound.update(case.kwargs)
    return bound["d_model"], bound["expansion"], bound["multiple_of"]


def value_hint(case: Case, got: int) -> str:
    """What the wrong width ``got`` most likely came from."""
    d, e, m = _arguments(case)
    exact = 2 * e * d / 3
    h = 2 * e * d // 3

    def up(n: int) -> int:
        return m * -(-n // m)

    if got == m * (h // m) and got != up(h):
        return "That is rounded DOWN to a multiple of multiple_of; round it UP. " + HINT
    if got == m * (h // m + 1) and got != up(h):
        return (
            "A width that is already a multiple of multiple_of stays as it is: "
            "(h // multiple_of + 1) * multiple_of adds one multiple too many. " + HINT
        )
    if got == h and m > 1:
        return "That is not rounded to a multiple of multiple_of. " + HINT
    if got in (up(round(exact)), up(math.ceil(exact))) and got != up(h):
        return (
            "Truncate 2 * expansion * d_model / 3 with int() (towards 0) before rounding up "
            "to multiple_of; round() and math.ceil() give a different width. " + HINT
        )
    if got == up(int(8 * d / 3)) and e != 4:
        return "Use the expansion argument: 8 * d_model / 3 holds only for expansion = 4. " + HINT
    return HINT


def compare_width(case: Case, got: Probe, expected: Probe) -> Failure | None:
    call = call_text(case)
    if "error" in got:
        return Failure(case.label, f"raised {got['error']}", call, hint=HINT)
    if got["kind"] != "int":
        return Failure(
            case.label,
            f"returned a {got['kind']}, not a Python int",
            call,
            expected=f"the int {expected['value']}",
            hint="Return a Python int: integer arithmetic (//, int(...), math.ceil) keeps "
            "one; np.ceil and / give floats.",
        )
    if got["value"] != expected["value"]:
        return Failure(
            case.label,
            "wrong width",
            call,
            expected=str(expected["value"]),
            returned=str(got["value"]),
            hint=value_hint(case, int(got["value"])),
        )
    return None


def core_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for _ in range(6):
        d_model = int(rng.integers(16, 8193))
        multiple_of = int(rng.choice([1, 8, 64, 128, 256]))
        cases.append(
            Case(
                f"random d_model = {d_model}, multiple_of={multiple_of}",
                (d_model,),
                {"multiple_of": multiple_of},
            )
        )
    return cases


matched_hidden_core = Item(
    grade_id="matched_hidden_core",
    title="matched_hidden: the 2/3 width, rounded up to multiple_of",
    targets=("matched_hidden",),
    cases=Cases(
        [
            Case("d_model = 768 (Shazeer's base model: 2048)", (768,)),
            Case("d_model = 512: 2 * 4 * 512 / 3 = 1365.33...", (512,)),
            Case(
                "d_model = 4096, multiple_of=1: 10922.67... truncated", (4096,), {"multiple_of": 1}
            ),
            Case("LLaMA 7B: d_model = 4096, multiple_of=256", (4096,), {"multiple_of": 256}),
            Case("d_model = 100, multiple_of=8", (100,), {"multiple_of": 8}),
        ],
        core_hidden,
    ),
    probe=probe_width,
    compare=compare_width,
    oracle=(reference_width,),
    hint=HINT,
)

matched_hidden_edge = Item(
    grade_id="matched_hidden_edge",
    title="matched_hidden: other expansions, exact multiples, small widths",
    targets=("matched_hidden",),
    cases=Cases(
        [
            Case("expansion=2, given by keyword", (1536,), {"expansion": 2}),
            Case("expansion 8, given by position", (100, 8)),
            Case("2 * 4 * 96 / 3 = 256 is already a multiple of 256", (96, 4, 256)),
            Case("multiple_of larger than the width: d_model = 8, multiple_of=256", (8, 4, 256)),
            Case("a small width: d_model = 1 (2 * 4 / 3 = 2.67)", (1,)),
            Case("2 * 3 * 3 / 3 = 6 exactly: d_model = 3, expansion=3", (3, 3)),
        ],
        [
            Case("LLaMA 13B: d_model = 5120, multiple_of=256", (5120,), {"multiple_of": 256}),
            Case("LLaMA 33B: d_model = 6656, multiple_of=256", (6656,), {"multiple_of": 256}),
            Case("expansion=1, multiple_of=64", (300, 1, 64)),
            Case("exact: d_model = 12288, multiple_of=256", (12288,), {"multiple_of": 256}),
        ],
    ),
    probe=probe_width,
    compare=compare_width,
    oracle=(reference_width,),
    hint=HINT,
)
