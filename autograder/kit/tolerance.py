"""How close is close enough: every tolerance the checks compare numbers with, in one table.

:data:`TOLERANCE` gives ``(rtol, atol)`` per floating dtype, for results a correct answer can
compute in another order than the reference (elementwise values, gradients, norms). The named
constants below are for quantities whose reference is exact in float64 (a bound, a learning
rate, a fraction of units), where only rounding may differ.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# Tolerances per dtype: tight enough in float64 to tell GELU's exact form from its approximation.
TOLERANCE = {
    np.dtype(np.float64): (1e-7, 1e-10),
    np.dtype(np.float32): (1e-5, 1e-6),
    np.dtype(np.float16): (2e-3, 1e-3),
}

# A scalar the reference computes exactly in float64 (a bound, a learning rate): rounding only.
SCALAR_RTOL = 1e-9
# A fraction of units (dead ReLUs): its denominators are small, so values differ by >= 1e-3.
FRACTION_ATOL = 1e-6
# Per-layer gradient norms of a float32 network, summed in another order: (rtol, atol).
NORM_TOLERANCE = (1e-5, 1e-8)
# Two closed forms of one smooth function (GELU's exact form and its tanh approximation) are
# told apart when they agree to this relative precision.
FORMULA_RTOL = 1e-6


def tolerance(*dtypes: npt.DTypeLike) -> tuple[float, float]:
    """``(rtol, atol)`` for values of these dtypes: the loosest of their :data:`TOLERANCE`
    entries (exact, ``(0, 0)``, for integers). Every check compares numbers with it."""
    return max((TOLERANCE.get(np.dtype(d), (0.0, 0.0)) for d in dtypes), default=(0.0, 0.0))
