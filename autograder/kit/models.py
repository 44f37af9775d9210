"""The small networks the checks call students' functions on, by name.

A case names its model and a seed instead of carrying the module, so a probe sends only plain
data across the sandbox boundary. :func:`build` makes the same weights from the same seed
everywhere (the student's check cell, the grader's child, the reference) and never touches
the global random state, which belongs to the student's code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Model:
    """A test network: how a report describes it to the student, and how to build it."""

    description: str
    make: Callable[[], nn.Module]


def build(models: Mapping[str, Model], name: str, seed: int) -> nn.Module:
    """``models[name]`` initialised from ``seed``, without changing torch's global generator."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return models[name].make()
