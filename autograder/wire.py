"""Plain data across the sandbox boundary: JSON plus NumPy arrays, never pickle.

The sandboxed child :func:`encode` s what its probes returned into a JSON document in which each
array is replaced by ``{"__array__": k}`` and stored as the ``k``-th ``.npy`` member of an
``.npz`` archive. The trusted parent :func:`decode` s them with ``allow_pickle=False`` and
rejects anything that is not a dict with string keys, a list, a string, a number, a boolean,
``None`` or a numeric/boolean array, so a hostile child cannot smuggle an object whose
``__eq__`` lies or whose loading runs code.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np

MAX_DEPTH = 32
ARRAY_KINDS = "biufc"  # bool, signed and unsigned integers, floats, complex


class WireError(ValueError):
    """The data sent back by the child is not plain data."""


def encode(value: Any) -> tuple[str, bytes]:
    """``value`` as (JSON text, npz bytes). Unsupported objects raise :class:`WireError`."""
    arrays: list[np.ndarray] = []

    def convert(v: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("nested too deeply")
        if v is None or type(v) in (bool, int, float, str):
            return v
        if isinstance(v, np.generic) and v.dtype.kind in ARRAY_KINDS:
            return v.item()
        if type(v) is np.ndarray:
            if v.dtype.kind not in ARRAY_KINDS:
                raise WireError(f"array of dtype {v.dtype} is not plain data")
            arrays.append(v.copy(order="C"))  # ascontiguousarray would make 0-d arrays 1-d
            return {"__array__": len(arrays) - 1}
        if type(v) in (list, tuple):
            return [convert(x, depth + 1) for x in v]
        if type(v) is dict:
            if not all(type(k) is str for k in v):
                raise WireError("dict keys must be strings")
            if "__array__" in v:
                raise WireError("reserved key __array__")
            return {k: convert(x, depth + 1) for k, x in v.items()}
        raise WireError(f"a {type(v).__name__} is not plain data")

    doc = json.dumps(convert(value, 0), allow_nan=True)
    buffer = io.BytesIO()
    np.savez(buffer, *arrays)
    return doc, buffer.getvalue()


def decode(doc: str, npz: bytes) -> Any:
    """The inverse of :func:`encode`, validating every value (raises :class:`WireError`)."""
    try:
        tree = json.loads(doc)
        with np.load(io.BytesIO(npz), allow_pickle=False) as archive:
            arrays = [archive[f"arr_{i}"] for i in range(len(archive.files))]
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
        raise WireError(f"unreadable result: {exc}") from None

    def restore(v: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("nested too deeply")
        if v is None or type(v) in (bool, int, float, str):
            return v
        if type(v) is list:
            return [restore(x, depth + 1) for x in v]
        if type(v) is dict:
            if set(v) == {"__array__"}:
                index = v["__array__"]
                if type(index) is not int or not 0 <= index < len(arrays):
                    raise WireError("bad array reference")
                array = arrays[index]
                if array.dtype.kind not in ARRAY_KINDS:
                    raise WireError(f"array of dtype {array.dtype} is not plain data")
                return array
            return {k: restore(x, depth + 1) for k, x in v.items()}
        raise WireError(f"unexpected {type(v).__name__}")

    return restore(tree, 0)
