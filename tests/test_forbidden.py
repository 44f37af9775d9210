"""Forbidden calls are seen while the code runs and, as a backstop, in the code itself."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias, as students write it
from torch.nn.functional import relu as aliased_relu

from autograder.forbidden import static_references, watch

RELU = (
    "torch.relu",
    "torch.nn.functional.relu",
    "torch.nn.ReLU",
    "torch.Tensor.clamp",
    "torch.clamp",
)
X = torch.tensor([-1.0, 2.0])


def test_watch_records_functions_methods_and_classes_then_restores_them():
    original = torch.relu, F.relu, torch.nn.ReLU, torch.Tensor.clamp
    with watch(RELU) as calls:
        torch.relu(X)
        X.clamp(min=0)
        torch.nn.ReLU()(X)
    assert calls[:2] == ["torch.relu", "torch.Tensor.clamp"]
    assert "torch.nn.ReLU" in calls
    assert (torch.relu, F.relu, torch.nn.ReLU, torch.Tensor.clamp) == original


def test_watch_keeps_results_correct_and_restores_after_an_exception():
    try:
        with watch(RELU) as calls:
            assert torch.equal(torch.relu(X), torch.tensor([0.0, 2.0]))
            raise RuntimeError("student code failed")
    except RuntimeError:
        pass
    assert calls == ["torch.relu"]
    assert not hasattr(torch.relu, "__wrapped_forbidden__")


def test_static_references_finds_aliases_closures_helpers_and_low_level_paths():
    def direct(x):
        return F.relu(x)

    def via_alias(x):
        return aliased_relu(x)

    hidden = torch.clamp

    def via_closure(x):
        return hidden(x, min=0)

    def via_helper(x):
        return helper_that_cheats(x)

    def via_ops(x):
        return torch.ops.aten.relu(x)

    assert static_references(direct, RELU) == ["torch.nn.functional.relu"]
    assert static_references(via_alias, RELU) == ["torch.nn.functional.relu"]
    assert static_references(via_closure, RELU) == ["torch.clamp"]
    assert static_references(via_helper, RELU) == ["torch.nn.functional.relu"]
    assert static_references(via_ops, RELU) == ["torch.ops.aten.relu"]


def helper_that_cheats(x):
    return aliased_relu(x)


def test_static_references_leaves_allowed_code_alone():
    def relu(x):  # the student's own function may share the library's name
        return np.clip(x, 0, None) + np.maximum(x, 0) * 0

    class ReLU(torch.nn.Module):
        def forward(self, x):
            return torch.where(x > 0, x, torch.zeros_like(x))

    assert static_references(relu, RELU) == []
    assert static_references(ReLU, RELU) == []


def test_static_references_catches_a_subclass_of_a_forbidden_class():
    class MyReLU(torch.nn.ReLU):
        pass

    class Plain(torch.nn.Module):
        def forward(self, x):
            return x

    assert static_references(MyReLU, RELU) == ["torch.nn.ReLU"]
    assert static_references(Plain, RELU) == []
