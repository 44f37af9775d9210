"""What a probe records of a returned Python value: its type's name, and whether it is a float."""

from __future__ import annotations


def is_float(value: object) -> bool:
    """A Python float (NumPy's float64 is one too); not a bool, an int or a tensor."""
    return isinstance(value, float)


def kind(value: object) -> str:
    """The name a report shows for the type: "float", "numpy.float32", "torch.Tensor"."""
    module = type(value).__module__
    name = type(value).__name__
    return name if module == "builtins" else f"{module.split('.')[0]}.{name}"
