"""Exercise 3's initializer checks test the distribution with a Kolmogorov-Smirnov statistic
written out in NumPy; it must be SciPy's."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from autograder.checks.ex03_vanishing_gradient.initializers import ks_statistic


@pytest.mark.parametrize("n", [5, 400, 20_000])
def test_ks_statistic_is_scipys(n: int):
    rng = np.random.default_rng(n)
    sigma, bound = 0.3, 0.7
    samples = {
        "normal": rng.normal(0.0, sigma, n),
        "uniform": rng.uniform(-bound, bound, n),
        "uniform, too wide": rng.uniform(-2 * bound, 2 * bound, n),
    }
    for values in samples.values():
        normal = stats.kstest(values, stats.norm(0.0, sigma).cdf).statistic
        uniform = stats.kstest(values, stats.uniform(-bound, 2 * bound).cdf).statistic
        assert math.isclose(ks_statistic(values, "he_normal", sigma), normal, abs_tol=1e-12)
        assert math.isclose(ks_statistic(values, "xavier_uniform", bound), uniform, abs_tol=1e-12)


def test_a_check_cells_import_leaves_scipy_and_sklearn_unimported():
    """A student's first check call imports the course package; SciPy would add a second."""
    code = "import sys, autograder.notebook; print(sorted({'scipy', 'sklearn'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
