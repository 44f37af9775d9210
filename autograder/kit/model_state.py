"""A model's state as plain data, and how it changed: for checks of functions that must leave the
model they are given as it was (modes, hooks, patched forwards, parameters and their gradients).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

_HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
_GLOBAL_HOOKS = (
    "_global_forward_hooks",
    "_global_forward_pre_hooks",
    "_global_backward_hooks",
    "_global_backward_pre_hooks",
)


def global_hooks() -> dict[str, list[int]]:
    """The keys of torch's global module hooks, by registry: pass them to
    :func:`remove_global_hooks` after the student's code ran."""
    from torch.nn.modules import module as module_module

    return {name: list(getattr(module_module, name, {})) for name in _GLOBAL_HOOKS}


def remove_global_hooks(before: dict[str, list[int]]) -> None:
    """Remove the global module hooks registered since ``before``: they would run in every
    later forward pass of the student's kernel."""
    from torch.nn.modules import module as module_module

    for name, keys in before.items():
        hooks = getattr(module_module, name, None)
        if hooks is not None:
            for key in [k for k in hooks if k not in keys]:
                del hooks[key]


def model_state(model: nn.Module) -> dict[str, Any]:
    """Everything "leave the model as it was" covers, as plain data."""
    modules = {}
    for name, module in model.named_modules():
        label = (
            f"submodule '{name}' ({type(module).__name__})"
            if name
            else f"the model itself ({type(module).__name__})"
        )
        modules[label] = {
            "training": bool(module.training),
            "hooks": sum(len(getattr(module, d, {})) for d in _HOOK_DICTS),
            "forward_patched": "forward" in vars(module),
        }
    parameters = {
        name: {
            "requires_grad": bool(p.requires_grad),
            "has_grad": p.grad is not None,
            "value": p.detach().clone(),
        }
        for name, p in model.named_parameters()
    }
    return {"modules": modules, "parameters": parameters}


def state_changes(before: dict[str, Any], after: dict[str, Any]) -> list[list[str]]:
    """[category, description] for each way the model differs from how it was."""
    changes = []
    for label, was in before["modules"].items():
        now = after["modules"].get(label)
        if now is None:
            changes.append(["structure", f"{label} is gone"])
            continue
        if now["hooks"] > was["hooks"]:
            changes.append(
                ["hook", f"{now['hooks'] - was['hooks']} hook(s) left registered on {label}"]
            )
        if now["training"] != was["training"]:
            changes.append(
                [
                    "mode",
                    f"{label} was in "
                    f"{'train' if was['training'] else 'eval'} mode and is now in "
                    f"{'train' if now['training'] else 'eval'} mode",
                ]
            )
        if now["forward_patched"] and not was["forward_patched"]:
            changes.append(["patch", f"{label} still has a replaced forward method"])
    for name, was in before["parameters"].items():
        now = after["parameters"].get(name)
        if now is None:
            changes.append(["structure", f"parameter {name} is gone"])
            continue
        if now["has_grad"] and not was["has_grad"]:
            changes.append(["grad", f"parameter {name} now has a .grad"])
        if now["requires_grad"] != was["requires_grad"]:
            changes.append(
                [
                    "requires_grad",
                    f"parameter {name}.requires_grad changed from "
                    f"{was['requires_grad']} to {now['requires_grad']}",
                ]
            )
        if not torch.equal(now["value"], was["value"]):
            changes.append(["value", f"the values of parameter {name} changed"])
    if len(after["modules"]) != len(before["modules"]):
        changes.append(["structure", "submodules were added to the model"])
    return changes
