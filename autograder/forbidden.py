"""Catching calls to the library function a student was asked to implement.

Two independent mechanisms, because either alone can be dodged:

* :func:`watch` replaces each forbidden callable on its module or class by a wrapper that
  records the call (and still returns the right value, so the student's code runs on) while
  the student's function runs;
* :func:`static_references` is the backstop: it resolves the global names, closure cells
  and attribute chains that the function's code mentions and reports those that *are* a
  forbidden callable, which catches a reference taken before :func:`watch` was entered
  (``from torch import relu as r``).
"""

from __future__ import annotations

import builtins
import dis
import importlib
import inspect
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def resolve(dotted: str) -> tuple[object, str, Any]:
    """``"torch.nn.functional.relu"`` -> (owner object, attribute name, the callable)."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:-1]:
            owner = getattr(owner, name)
        return owner, parts[-1], getattr(owner, parts[-1])
    raise ImportError(f"cannot resolve {dotted!r}")


def existing(names: Sequence[str]) -> tuple[str, ...]:
    """The dotted names that exist in this PyTorch (deprecated aliases come and go)."""
    found = []
    for name in names:
        try:
            resolve(name)
        except (ImportError, AttributeError):
            continue
        found.append(name)
    return tuple(found)


@contextmanager
def watch(forbidden: Iterable[str]) -> Iterator[list[str]]:
    """While active, calls to the forbidden callables are appended to the yielded list."""
    calls: list[str] = []
    patched: list[tuple[object, str, object]] = []

    def recorder(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        if isinstance(original, type):

            class Recorded(original):  # type: ignore[misc, valid-type]
                def __init__(self, *args: object, **kwargs: object) -> None:
                    calls.append(name)
                    super().__init__(*args, **kwargs)

            Recorded.__name__ = Recorded.__qualname__ = original.__name__
            return Recorded

        def wrapper(*args: object, **kwargs: object) -> object:
            calls.append(name)
            return original(*args, **kwargs)

        wrapper.__name__ = getattr(original, "__name__", name)
        wrapper.__wrapped_forbidden__ = original  # type: ignore[attr-defined]
        return wrapper

    try:
        for name in forbidden:
            owner, attr, original = resolve(name)
            setattr(owner, attr, recorder(name, original))
            patched.append((owner, attr, original))
        yield calls
    finally:
        for owner, attr, original in reversed(patched):
            setattr(owner, attr, original)


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _attribute_chains(code: types.CodeType) -> Iterator[list[str]]:
    """Name-then-attribute chains loaded by the bytecode, e.g. ``["torch", "nn", "ReLU"]``."""
    chain: list[str] = []
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_FAST"):
            if chain:
                yield chain
            chain = [str(ins.argval)]
        elif ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and chain:
            chain.append(str(ins.argval))
        else:
            if chain:
                yield chain
            chain = []
    if chain:
        yield chain


def _functions_of(obj: object) -> Iterator[types.FunctionType]:
    """The Python functions behind a function, a method, or a class's own methods."""
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    if isinstance(obj, types.FunctionType):
        yield obj
    elif isinstance(obj, type):
        for value in vars(obj).values():
            if isinstance(value, staticmethod | classmethod):
                value = value.__func__
            if isinstance(value, types.FunctionType):
                yield value


def static_references(obj: object, forbidden: Iterable[str]) -> list[str]:
    """Forbidden callables that ``obj``'s code refers to, directly or through helpers.

    Follows global names, closure cells and attribute chains of modules and classes, and
    descends into the helper functions and classes defined in the same namespace. A class
    that inherits from a forbidden class counts. A chain
    that starts at a forbidden callable's package and ends in its name (``torch.ops.aten.relu``)
    counts too.
    """
    forbidden = list(forbidden)
    targets: dict[int, str] = {}
    for name in forbidden:
        try:
            targets[id(resolve(name)[2])] = name
        except (ImportError, AttributeError):
            continue
    roots = {name.split(".")[0] for name in forbidden}
    leaves = {name.rsplit(".", 1)[-1] for name in forbidden}
    found: list[str] = []
    if isinstance(obj, type):  # a subclass of the forbidden class inherits its work
        found += [targets[id(base)] for base in obj.__mro__[1:] if id(base) in targets]
    seen: set[int] = set()
    pending = list(_functions_of(obj))
    while pending:
        fn = pending.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        scope = dict(vars(builtins))
        scope.update(fn.__globals__)
        if fn.__closure__:
            for var, cell in zip(fn.__code__.co_freevars, fn.__closure__, strict=True):
                try:
                    scope[var] = cell.cell_contents
                except ValueError:  # an empty cell
                    continue
        for code in _code_objects(fn.__code__):
            for chain in _attribute_chains(code):
                if chain[0] not in scope:
                    continue
                value = root = scope[chain[0]]
                for attr in chain[1:]:
                    if not isinstance(value, types.ModuleType | type):
                        break
                    value = inspect.getattr_static(value, attr, None)
                hit = targets.get(id(value))
                if hit is None and isinstance(root, types.ModuleType) and len(chain) > 1:
                    if root.__name__.split(".")[0] in roots and chain[-1] in leaves:
                        hit = ".".join([root.__name__, *chain[1:]])
                if hit is not None and hit not in found:
                    found.append(hit)
                for helper in _functions_of(value):
                    if helper.__globals__ is fn.__globals__:
                        pending.append(helper)
    return found
