"""bookkit.timing keeps the contract in its docstring: same input, no autograd, median, errors."""

from __future__ import annotations

import time

import pytest
import torch

from bookkit import timing


def test_median_seconds_calls_warmup_plus_repeats_times_without_autograd():
    calls: list[bool] = []

    def fn(x: torch.Tensor) -> torch.Tensor:
        calls.append(torch.is_grad_enabled())
        return x * 2

    x = torch.ones(10, requires_grad=True)
    result = timing.median_seconds(fn, x, repeats=4, warmup=2)
    assert len(calls) == 6
    assert not any(calls), "every call runs under torch.no_grad()"
    assert isinstance(result, float) and result >= 0.0


def test_median_seconds_measures_real_time_and_ignores_one_slow_call():
    delays = iter([0.0, 0.005, 0.005, 0.2, 0.005, 0.005])  # warm-up, then one outlier among 5

    def fn(x: torch.Tensor) -> torch.Tensor:
        time.sleep(next(delays))
        return x

    result = timing.median_seconds(fn, torch.zeros(1), repeats=5, warmup=1)
    assert 0.005 <= result < 0.1, result


def test_median_of_an_even_number_of_calls_is_the_mean_of_the_middle_two():
    delays = iter([0.0, 0.01, 0.03])

    def fn(x: torch.Tensor) -> torch.Tensor:
        time.sleep(next(delays))
        return x

    result = timing.median_seconds(fn, torch.zeros(1), repeats=2, warmup=1)
    assert 0.02 <= result < 0.06, result


@pytest.mark.parametrize("kwargs", [{"repeats": 0}, {"warmup": -1}])
def test_median_seconds_rejects_bad_counts(kwargs):
    with pytest.raises(ValueError):
        timing.median_seconds(torch.relu, torch.zeros(3), **kwargs)


def test_time_elementwise_gives_every_function_the_same_seeded_input_in_order():
    seen: dict[str, torch.Tensor] = {}

    def recorder(name: str):
        def fn(x: torch.Tensor) -> torch.Tensor:
            seen.setdefault(name, x.clone())
            return x

        return fn

    result = timing.time_elementwise(
        {"b": recorder("b"), "a": recorder("a")}, n=1000, repeats=1, seed=3, dtype=torch.float64
    )
    assert list(result) == ["b", "a"]
    assert all(isinstance(v, float) and v >= 0 for v in result.values())
    assert seen["a"].shape == (1000,) and seen["a"].dtype == torch.float64
    torch.testing.assert_close(seen["a"], seen["b"], rtol=0, atol=0)
    expected = torch.randn(1000, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    torch.testing.assert_close(seen["a"], expected, rtol=0, atol=0)


def test_time_elementwise_rejects_an_empty_tensor():
    with pytest.raises(ValueError):
        timing.time_elementwise({"relu": torch.relu}, n=0)


def test_relative_cost_divides_by_the_baseline():
    rel = timing.relative_cost({"relu": 0.002, "gelu": 0.005, "tanh": 0.003}, baseline="relu")
    assert rel["relu"] == 1.0
    assert rel["gelu"] == pytest.approx(2.5) and rel["tanh"] == pytest.approx(1.5)
    assert list(rel) == ["relu", "gelu", "tanh"]


def test_relative_cost_rejects_a_missing_or_zero_baseline():
    with pytest.raises(KeyError):
        timing.relative_cost({"relu": 1.0}, baseline="gelu")
    with pytest.raises(ValueError):
        timing.relative_cost({"relu": 0.0, "gelu": 1.0}, baseline="relu")
