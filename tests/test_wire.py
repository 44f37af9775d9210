"""Plain data across the sandbox boundary: what round-trips, and what is refused."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest

from autograder.wire import WireError, decode, encode


def roundtrip(value):
    return decode(*encode(value))


def test_plain_data_round_trips_exactly():
    value = {
        "a": [1, 2.5, None, True, "s", float("nan"), float("inf")],
        "zero_d": np.array(-40.0),
        "ints": np.arange(6, dtype=np.int8).reshape(2, 3),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "scalar": np.float32(1.5),
        "nested": {"t": (1, 2)},
    }
    back = roundtrip(value)
    assert back["zero_d"].shape == () and back["zero_d"] == -40.0
    assert back["ints"].dtype == np.int8 and back["ints"].shape == (2, 3)
    assert back["empty"].dtype == np.float32 and back["empty"].shape == (0, 3)
    assert back["scalar"] == 1.5 and type(back["scalar"]) is float
    assert back["nested"] == {"t": [1, 2]}
    assert back["a"][:5] == [1, 2.5, None, True, "s"] and np.isnan(back["a"][5])


@pytest.mark.parametrize(
    "bad",
    [
        object(),
        np.array([object()]),
        {1: "int key"},
        {"__array__": 0},
        np.zeros(3).view(type("Sub", (np.ndarray,), {})),
        lambda: 0,
    ],
)
def test_objects_that_are_not_plain_data_are_refused(bad):
    with pytest.raises(WireError):
        encode({"x": bad})


def test_the_parent_refuses_pickles_and_forged_references():
    buffer = io.BytesIO()
    np.savez(buffer, np.array([object()], dtype=object))
    with pytest.raises(WireError):
        decode('{"x": {"__array__": 0}}', buffer.getvalue())
    doc, arrays = encode({"x": np.zeros(2)})
    with pytest.raises(WireError):
        decode('{"x": {"__array__": 5}}', arrays)
    with pytest.raises(WireError):
        decode(doc, pickle.dumps(np.zeros(2)))
    with pytest.raises(WireError):
        decode("not json", arrays)
