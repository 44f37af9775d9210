"""Timing elementwise functions on large CPU tensors, for the chapters' cost comparisons.

Contract:

- Every function is called on the *same* input tensor, a float32 (or the given dtype) tensor of
  ``n`` standard-normal values drawn from a generator seeded with ``seed``; it must not modify
  that tensor (the helpers do not check this, but an in-place function would time itself on its
  own previous output).
- Calls run under ``torch.no_grad()``, so no autograd graph is built and only the forward pass is
  timed. Each function is called ``warmup`` times untimed, then ``repeats`` times timed with
  :func:`time.perf_counter`; the result is the *median* of the timed calls, in seconds, as a
  Python float. The median resists the occasional slow call caused by other processes.
- Size matters: a tensor that fits in the CPU's cache (a few hundred thousand float32 values)
  measures arithmetic; a much larger one also measures memory traffic and allocation, which
  compresses the differences between functions.
- Nothing here sets the number of threads: call ``torch.set_num_threads`` first if you want a
  steady, comparable number.

Timings are properties of one machine at one moment (CPU, thread count, library build, load from
other processes); compare functions measured together, never numbers from different runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import torch

Elementwise = Callable[[torch.Tensor], torch.Tensor]


def median_seconds(fn: Elementwise, x: torch.Tensor, repeats: int = 5, warmup: int = 2) -> float:
    """Median wall-clock time in seconds of ``fn(x)`` over ``repeats`` timed calls.

    ``fn`` is first called ``warmup`` times without timing (to allocate memory and load code),
    so it is called ``warmup + repeats`` times in all, always under ``torch.no_grad()``.
    Raises ``ValueError`` if ``repeats < 1`` or ``warmup < 0``.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if warmup < 0:
        raise ValueError(f"warmup must be non-negative, got {warmup}")
    times: list[float] = []
    with torch.no_grad():
        for _ in range(warmup):
            fn(x)
        for _ in range(repeats):
            start = time.perf_counter()
            fn(x)
            times.append(time.perf_counter() - start)
    times.sort()
    mid = len(times) // 2
    median = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    return float(median)


def time_elementwise(
    fns: Mapping[str, Elementwise],
    n: int = 200_000,
    repeats: int = 5,
    warmup: int = 2,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> dict[str, float]:
    """Median seconds of each function in ``fns`` on one shared tensor of ``n`` random values.

    Returns a dict with the same keys in the same order. See the module docstring for the
    contract (same input for every function, no autograd, median of ``repeats`` calls).
    Raises ``ValueError`` if ``n < 1`` (and as :func:`median_seconds` does).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, generator=gen, dtype=dtype)
    return {name: median_seconds(fn, x, repeats=repeats, warmup=warmup) for name, fn in fns.items()}


def relative_cost(seconds: Mapping[str, float], baseline: str) -> dict[str, float]:
    """Each time divided by the time of ``baseline`` (so the baseline maps to exactly 1.0).

    Raises ``KeyError`` if ``baseline`` is not a key of ``seconds`` and ``ValueError`` if its
    time is not positive.
    """
    if baseline not in seconds:
        raise KeyError(f"baseline {baseline!r} is not one of {list(seconds)}")
    base = seconds[baseline]
    if not base > 0:
        raise ValueError(f"the baseline's time must be positive, got {base}")
    return {name: float(s / base) for name, s in seconds.items()}
