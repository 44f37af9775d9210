"""Plots the chapters share: a function with its autograd derivative, decision boundaries."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch


def with_derivative(
    fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> tuple[np.ndarray, np.ndarray]:
    """Values and derivative (by autograd) of an elementwise ``fn`` at the points ``x``.

    The derivative is never typed by hand: it is ``d fn(x) / dx`` from one backward pass, so a
    plot made from it shows what PyTorch really computes (including its choice at a kink).
    """
    x = x.detach().clone().requires_grad_(True)
    y = fn(x)
    (dy,) = torch.autograd.grad(y.sum(), x)
    return y.detach().numpy(), dy.numpy()


def plot_with_derivative(
    fns: dict[str, Callable[[torch.Tensor], torch.Tensor]],
    lo: float = -5.0,
    hi: float = 5.0,
    n: int = 1001,
    axes: tuple[plt.Axes, plt.Axes] | None = None,
) -> tuple[plt.Axes, plt.Axes]:
    """Plot each function (left) and its autograd derivative (right) on ``[lo, hi]``.

    ``fns`` maps a legend label to an elementwise function of a float64 tensor.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    ax_f, ax_d = axes
    x = torch.linspace(lo, hi, n, dtype=torch.float64)
    for label, fn in fns.items():
        y, dy = with_derivative(fn, x)
        ax_f.plot(x.numpy(), y, label=label)
        ax_d.plot(x.numpy(), dy, label=label)
    ax_f.set(title="f(x)", xlabel="x")
    ax_d.set(title="f'(x) from autograd", xlabel="x")
    for ax in axes:
        ax.axhline(0, color="0.6", lw=0.8)
        ax.axvline(0, color="0.6", lw=0.8)
        ax.legend(fontsize="small")
    return ax_f, ax_d


def decision_boundary(
    ax: plt.Axes,
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    title: str = "",
    resolution: int = 300,
) -> None:
    """Shade the class ``predict`` gives each point of the plane and scatter the data on top.

    ``predict`` maps an ``(m, 2)`` float32 array to ``m`` class labels (0 or 1).
    """
    pad = 0.5
    (x0, y0), (x1, y1) = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    zz = predict(grid).reshape(gx.shape)
    ax.contourf(gx, gy, zz, levels=[-0.5, 0.5, 1.5], colors=["#cfe2f3", "#f4cccc"])
    for label, colour, marker in ((0, "#1f5fa8", "o"), (1, "#b02a2a", "^")):
        points = X[y == label]
        ax.scatter(
            points[:, 0], points[:, 1], s=10, c=colour, marker=marker, label=f"class {label}"
        )
    ax.set(title=title, xticks=[], yticks=[])
