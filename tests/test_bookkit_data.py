"""bookkit.data: validation standardizes with the statistics of its training rows only (N7), and
the data and splits are scikit-learn's, row for row."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits, make_moons
from sklearn.model_selection import train_test_split

from bookkit.compare import TestSetLeak, select_on_validation
from bookkit.data import digits, moons, raw_digits, stratified_split, validation


def test_validation_rows_take_no_part_in_the_statistics():
    split = digits(seed=0)
    tv = validation(split, 300, seed=0)
    train64 = tv.x_train.double()
    varying = train64.std(dim=0, unbiased=False) > 0
    torch.testing.assert_close(
        train64.mean(dim=0), torch.zeros(64, dtype=torch.float64), atol=1e-6, rtol=0
    )
    torch.testing.assert_close(
        train64.std(dim=0, unbiased=False)[varying],
        torch.ones(int(varying.sum()), dtype=torch.float64),
        atol=1e-5,
        rtol=0,
    )
    # changing the validation rows' values changes nothing about the training rows
    shifted = type(split)(split.x_train.clone(), split.y_train, split.x_test, split.y_test)
    _, va = train_test_split(
        torch.arange(len(split.y_train)).numpy(),
        test_size=300,
        random_state=0,
        stratify=split.y_train.numpy(),
    )
    shifted.x_train[torch.as_tensor(va)] += 100.0
    assert torch.equal(validation(shifted, 300, seed=0).x_train, tv.x_train)


def test_all_rows_match_standardizing_the_raw_pixels_with_training_statistics():
    split = digits(seed=0)
    tv = validation(split, 0.2, seed=0)
    X, y = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    tr, va = train_test_split(range(len(y_tr)), test_size=0.2, random_state=0, stratify=y_tr)
    tr, va = sorted(tr), sorted(va)
    raw_train = torch.tensor(x_tr[tr])
    mean, std = raw_train.mean(dim=0), raw_train.std(dim=0, unbiased=False)
    std[std == 0] = 1.0
    for got, raw in [(tv.x_train, x_tr[tr]), (tv.x_val, x_tr[va]), (tv.x_test, x_te)]:
        expected = ((torch.tensor(raw) - mean) / std).float()
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    assert torch.equal(tv.y_test, torch.as_tensor(y_te))
    assert tv.x_train.dtype == tv.x_val.dtype == tv.x_test.dtype == torch.float32


def test_the_re_standardized_test_rows_are_refused_during_selection():
    tv = validation(digits(seed=0), 300, seed=0)
    with pytest.raises(TestSetLeak):
        select_on_validation([0], lambda _: float(tv.x_test.sum()))
    assert select_on_validation([0], lambda _: float(tv.x_val.sum())).best == 0


@pytest.mark.parametrize("seed", [0, 1, 7, 123])
@pytest.mark.parametrize("test_size", [0.25, 0.2, 0.3, 300, 451])
def test_stratified_split_is_scikit_learns(seed: int, test_size: int | float):
    """bookkit.data writes scikit-learn's stratified split out (importing scikit-learn costs
    every chapter's kernel 1.5 s); it must pick the same rows in the same order."""
    _, y = load_digits(return_X_y=True)
    for labels in (y, y[::2], y[y < 5]):
        ours = stratified_split(labels, test_size, seed)
        theirs = train_test_split(
            np.arange(len(labels)), test_size=test_size, random_state=seed, stratify=labels
        )
        for got, expected in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(got, expected)


def test_raw_digits_are_load_digits():
    X, y = raw_digits()
    X_sk, y_sk = load_digits(return_X_y=True)
    np.testing.assert_array_equal(X, X_sk)
    np.testing.assert_array_equal(y, y_sk)
    assert X.dtype == X_sk.dtype and y.dtype == y_sk.dtype


@pytest.mark.parametrize(("n", "noise", "seed"), [(400, 0.15, 0), (401, 0.3, 5), (30, 0.0, 2)])
def test_moons_are_make_moons_standardized(n: int, noise: float, seed: int):
    X, y = moons(n, noise=noise, seed=seed)
    X_sk, y_sk = make_moons(n_samples=n, noise=noise, random_state=seed)
    X_sk = (X_sk - X_sk.mean(axis=0)) / X_sk.std(axis=0)
    np.testing.assert_array_equal(X, X_sk.astype(np.float32))
    np.testing.assert_array_equal(y, y_sk)


def test_importing_bookkit_data_leaves_sklearn_unimported():
    """Every chapter imports bookkit.data; scikit-learn would cost each kernel 1.5 s per build."""
    code = "import sys, bookkit.data; bookkit.data.digits(); print('sklearn' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
