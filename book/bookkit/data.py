"""Data sets the chapters train on. All are generated in code or shipped inside a package.

The digits are scikit-learn's, read from the file scikit-learn ships, and the moons and the
stratified splits are scikit-learn's algorithms: the same arrays, row for row, as
``load_digits``, ``make_moons`` and ``train_test_split(..., stratify=y)`` give for the same
seed (``tests/test_bookkit_data.py`` compares them). They are written out here because
importing scikit-learn takes about 1.5 s, paid again by every chapter's kernel at each build.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

_TEST_TENSORS: list[weakref.ref[torch.Tensor]] = []


def test_tensors() -> list[torch.Tensor]:
    """The ``x_test`` and ``y_test`` tensors of every :class:`Split` that is still alive."""
    alive = [t for r in _TEST_TENSORS if (t := r()) is not None]
    _TEST_TENSORS[:] = [weakref.ref(t) for t in alive]
    return alive


test_tensors.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


@dataclass(frozen=True)
class Split:
    """A train/test split as float32 feature tensors and int64 label tensors."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    def __post_init__(self) -> None:
        # Remember the test tensors (weakly) so bookkit.compare.select_on_validation can refuse
        # a score function that touches them. Nothing about the split itself changes.
        _TEST_TENSORS.extend(weakref.ref(t) for t in (self.x_test, self.y_test))

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_classes(self) -> int:
        return int(self.y_train.max()) + 1


def xor(n: int = 400, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Noisy XOR: points around the four corners of [-1, 1]^2, label 1 where x1 * x2 < 0.

    Returns ``(X, y)`` with ``X`` of shape ``(n, 2)`` (float32) and ``y`` of shape ``(n,)`` (int64).
    """
    rng = np.random.default_rng(seed)
    corners = rng.choice([-1.0, 1.0], size=(n, 2))
    X = corners + noise * rng.standard_normal((n, 2))
    y = (corners[:, 0] * corners[:, 1] < 0).astype(np.int64)
    return X.astype(np.float32), y


def moons(n: int = 400, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two interleaving half-circles, standardized to zero mean and unit variance.

    The points are ``sklearn.datasets.make_moons(n, noise=noise, random_state=seed)``'s.
    """
    rng = np.random.RandomState(seed)
    n_out = n // 2
    n_in = n - n_out
    outer = np.linspace(0, np.pi, n_out)
    inner = np.linspace(0, np.pi, n_in)
    X = np.vstack(
        [
            np.append(np.cos(outer), 1 - np.cos(inner)),
            np.append(np.sin(outer), 1 - np.sin(inner) - 0.5),
        ]
    ).T
    y = np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    order = np.arange(n)
    rng.shuffle(order)
    X, y = X[order], y[order]
    X += rng.normal(scale=noise, size=X.shape)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X.astype(np.float32), y.astype(np.int64)


def raw_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 handwritten digits, unscaled: ``(X, y)`` as
    ``sklearn.datasets.load_digits(return_X_y=True)`` returns them (``X`` float64 of shape
    ``(1797, 64)``, pixel values 0 to 16; ``y`` the digit, an int)."""
    spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "bookkit.data reads the digits that scikit-learn ships: pip install scikit-learn"
        )
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as rows:
        data = np.loadtxt(rows, delimiter=",")
    return data[:, :-1], data[:, -1].astype(int)


def _approximate_mode(counts: np.ndarray, n_draws: int, rng: np.random.RandomState) -> np.ndarray:
    """How many of ``n_draws`` to take from each class of ``counts``: the proportional share,
    rounded down, plus one for the largest remainders (ties broken at random)."""
    continuous = counts / counts.sum() * n_draws
    floored = np.floor(continuous)
    need = int(n_draws - floored.sum())
    remainder = continuous - floored
    for value in np.sort(np.unique(remainder))[::-1]:
        if need == 0:
            break
        (inds,) = np.where(remainder == value)
        add_now = min(len(inds), need)
        floored[rng.choice(inds, size=add_now, replace=False)] += 1
        need -= add_now
    return floored.astype(int)


def stratified_split(
    y: np.ndarray, test_size: int | float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(train, test)`` of a split stratified by the labels ``y``: the indices
    ``sklearn.model_selection.train_test_split(np.arange(len(y)), test_size=test_size,
    random_state=seed, stratify=y)`` returns. ``test_size`` is a number of rows (an int) or a
    fraction (a float in (0, 1), rounded up)."""
    n = len(y)
    n_test = math.ceil(test_size * n) if isinstance(test_size, float) else int(test_size)
    n_train = n - n_test
    _, y_indices, counts = np.unique(y, return_inverse=True, return_counts=True)
    by_class = np.split(np.argsort(y_indices, kind="stable"), np.cumsum(counts)[:-1])
    rng = np.random.RandomState(seed)
    n_i = _approximate_mode(counts, n_train, rng)
    t_i = _approximate_mode(counts - n_i, n_test, rng)
    train: list[int] = []
    test: list[int] = []
    for members, k_train, k_test in zip(by_class, n_i, t_i, strict=True):
        shuffled = members.take(rng.permutation(len(members)), mode="clip")
        train.extend(shuffled[:k_train])
        test.extend(shuffled[k_train : k_train + k_test])
    return rng.permutation(train), rng.permutation(test)


def digits(test_size: float = 0.25, seed: int = 0) -> Split:
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes), standardized.

    The split is stratified by class; each pixel is standardized with the training set's mean
    and standard deviation (pixels that are constant in training are left at 0).
    """
    X, y = raw_digits()
    train, test = stratified_split(y, test_size, seed)
    x_tr, x_te, y_tr, y_te = X[train], X[test], y[train], y[test]
    mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
    std[std == 0] = 1.0
    x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std
    return Split(
        torch.tensor(x_tr, dtype=torch.float32),
        torch.tensor(y_tr, dtype=torch.int64),
        torch.tensor(x_te, dtype=torch.float32),
        torch.tensor(y_te, dtype=torch.int64),
    )


@dataclass(frozen=True)
class TrainVal:
    """A training set and a validation set carved from a :class:`Split`'s training rows.

    All rows are standardized with the statistics of ``x_train`` alone (:func:`validation`), so
    no validation row contributed to its own preprocessing. ``x_test`` and ``y_test`` are the
    split's test rows standardized the same way, for scoring a model trained on ``x_train``;
    like a :class:`Split`'s, they are refused inside
    :func:`bookkit.compare.select_on_validation`.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    def __post_init__(self) -> None:
        _TEST_TENSORS.extend(weakref.ref(t) for t in (self.x_test, self.y_test))


def _standardizer(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation of each column of ``x`` (a constant column gets std 1)."""
    x64 = x.double()
    mean, std = x64.mean(dim=0), x64.std(dim=0, unbiased=False)
    return mean, torch.where(std == 0, torch.ones_like(std), std)


def validation(split: Split, size: int | float = 0.2, seed: int = 0) -> TrainVal:
    """Split ``split``'s TRAINING data into a smaller training set and a validation set.

    ``size`` is the number of validation rows (an int) or their fraction of the training rows (a
    float in (0, 1)). The split is stratified by class and reproducible with ``seed``; the test
    set plays no part in it. Every feature is then standardized again with the mean and standard
    deviation of the new training rows only (a feature constant there is only centred), and the
    validation and test rows get the same transformation, so the validation rows do not leak into
    the preprocessing. (Standardization is affine, so this equals standardizing the raw pixels
    with the new training rows' statistics.)
    """
    tr, va = stratified_split(split.y_train.numpy(), size, seed)
    tr_t, va_t = torch.as_tensor(np.sort(tr)), torch.as_tensor(np.sort(va))
    mean, std = _standardizer(split.x_train[tr_t])

    def standardize(x: torch.Tensor) -> torch.Tensor:
        return ((x.double() - mean) / std).to(x.dtype)

    return TrainVal(
        standardize(split.x_train[tr_t]),
        split.y_train[tr_t],
        standardize(split.x_train[va_t]),
        split.y_train[va_t],
        standardize(split.x_test),
        split.y_test.clone(),
    )
