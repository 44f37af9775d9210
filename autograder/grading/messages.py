"""What a sandboxed child tells the grader, as typed messages carried by :mod:`autograder.wire`.

The child writes one message after the answer cells (``cells``: :class:`CellsRan`) and one per
item (``item<n>``: :class:`ItemProbed`, :class:`Undefined` or :class:`Crashed`), each as soon as
it has it (:func:`to_wire`). The trusted parent decodes each file back into a message
(:func:`cells_from_wire`, :func:`item_from_wire`), never trusting the child: anything that is
not one of these messages becomes :class:`Unreadable` or :class:`Malformed`, never an
exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autograder.items import Probe


@dataclass(frozen=True)
class CellsRan:
    """The answer cells ran; ``errors`` maps each cell that raised to its error."""

    errors: dict[str, str]


@dataclass(frozen=True)
class ItemProbed:
    """The item's probes, one per case in order, and the forbidden calls seen or named."""

    probes: list[Probe]
    forbidden: tuple[str, ...] = ()


@dataclass(frozen=True)
class Undefined:
    """The item's target functions that the cells did not define."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Crashed:
    """The check stopped with this error (or the child's data could not be sent)."""

    error: str


@dataclass(frozen=True)
class Unreadable:
    """A file that is no message at all (not a JSON object)."""


@dataclass(frozen=True)
class Malformed:
    """A message whose fields are not what the protocol says."""

    problem: str


ItemMessage = ItemProbed | Undefined | Crashed | Unreadable | Malformed
"""What the parent reads about one item (the last two: the child sent no valid message)."""


def to_wire(message: CellsRan | ItemProbed | Undefined | Crashed) -> dict[str, Any]:
    """The plain data the child writes (the format of the ``cells`` and ``item<n>`` files)."""
    if isinstance(message, CellsRan):
        return {"errors": message.errors}
    if isinstance(message, ItemProbed):
        return {"probes": message.probes, "forbidden": list(message.forbidden)}
    if isinstance(message, Undefined):
        return {"undefined": list(message.names)}
    return {"crash": message.error}


def cells_from_wire(raw: object) -> CellsRan | None:
    """What the ``cells`` file says: the cells that raised, or None if it is not a
    :class:`CellsRan` message (the cells ran all the same: the child writes it after them)."""
    if isinstance(raw, dict) and isinstance(raw.get("errors"), dict):
        return CellsRan({str(k): str(v) for k, v in raw["errors"].items()})
    return None


def item_from_wire(raw: object) -> ItemMessage:
    """The message in an ``item<n>`` file (already decoded by :func:`autograder.wire.decode`,
    so plain data only)."""
    if not isinstance(raw, dict):
        return Unreadable()
    if "undefined" in raw:
        names = raw["undefined"]
        return Undefined(tuple(str(n) for n in (names if isinstance(names, list) else [names])))
    if "crash" in raw:
        return Crashed(str(raw["crash"]))
    try:
        probes = list(raw["probes"])
        forbidden = tuple(str(c) for c in raw["forbidden"])
    except Exception as exc:  # noqa: BLE001 - malformed data from the child
        return Malformed(str(exc))
    if not all(isinstance(p, dict) for p in probes):
        return Malformed("wrong number of probes")
    return ItemProbed(probes, forbidden)
