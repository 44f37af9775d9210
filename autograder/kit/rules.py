"""How strictly a returned array or tensor is compared, and the hints keyed on the wrong value.

One :class:`Rules` serves the NumPy elementwise items (``sigmoid``, ``relu`` ...) and the
PyTorch ones (``leaky_relu``, ``gelu`` ...). When a value is wrong, each of its :data:`Hint`
callables is asked in turn about the first wrong entry (a :class:`Mismatch`); the first text
returned is the feedback's hint, else the rules' general ``hint``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Mismatch:
    """The first wrong entry of a result: what was compared, at which input, with which
    parameters of the call."""

    what: str  # "value" (NumPy functions), "output" or "gradient" (PyTorch functions)
    x: float
    expected: float
    got: float
    params: Mapping[str, Any] = field(default_factory=dict)


Hint = Callable[[Mismatch], "str | None"]


def when(test: Callable[[Mismatch], bool], text: str) -> Hint:
    """A hint giving ``text`` for the mismatches ``test`` accepts."""
    return lambda m: text if test(m) else None


@dataclass(frozen=True)
class Rules:
    """How one function's results are compared.

    ``name`` is the function as a report calls it; ``hint`` the general hint; ``hints`` the
    value-specific ones. ``new_array`` (NumPy functions) requires a new array, not the input;
    ``no_overflow`` lists the input dtypes in which the notebook's contract promises no
    overflow warning.
    """

    name: str
    hint: str = ""
    hints: Sequence[Hint] = ()
    new_array: bool = True
    no_overflow: tuple[str, ...] = ()

    def hint_for(self, mismatch: Mismatch) -> str:
        """The first value-specific hint for this mismatch, else the general one."""
        for rule in self.hints:
            text = rule(mismatch)
            if text:
                return text
        return self.hint
