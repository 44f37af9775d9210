"""bookkit.compare: paired-seed summaries and selection on a validation split only."""

from __future__ import annotations

import math

import pytest
import torch

from bookkit.compare import (
    VERDICTS,
    TestSetLeak,
    forbid_tensors,
    paired_summary,
    select_on_validation,
)
from bookkit.data import Split, digits, test_tensors, validation


def test_better_only_when_every_paired_difference_has_the_same_sign():
    s = paired_summary(
        {
            "base": [0.5, 0.6, 0.7, 0.8, 0.9],
            "up": [0.51, 0.61, 0.71, 0.81, 0.91],
            "mixed": [0.9, 0.1, 0.9, 0.9, 0.9],
            "down": [0.4, 0.5, 0.6, 0.7, 0.8],
        },
        "base",
    )
    assert s.verdict("base") == "baseline"
    assert s.verdict("up") == "better"
    # a much larger mean is not enough when one seed goes the other way
    assert s.row("mixed").diff_mean > 0
    assert s.verdict("mixed") == "no difference established"
    assert s.verdict("down") == "worse"
    assert all(r.verdict in VERDICTS for r in s.rows)


def test_fewer_seeds_than_min_seeds_never_establish_a_difference():
    scores = {"a": [1.0, 2.0, 3.0], "b": [2.0, 3.0, 4.0]}
    assert paired_summary(scores, "a").verdict("b") == "no difference established"
    assert paired_summary(scores, "a", min_seeds=3).verdict("b") == "better"


def test_pairing_matters_not_only_the_means():
    # same multiset of scores for b, but paired differently: b beats a on every seed only in the
    # first ordering. An unpaired summary could not tell these apart.
    a = [0.1, 0.5, 0.9, 0.3, 0.7]
    paired = [x + 0.01 for x in a]
    shuffled = paired[1:] + paired[:1]
    assert paired_summary({"a": a, "b": paired}, "a").verdict("b") == "better"
    assert paired_summary({"a": a, "b": shuffled}, "a").verdict("b") == "no difference established"


def test_a_tie_on_one_seed_is_not_a_shared_sign():
    s = paired_summary({"a": [1.0] * 5, "b": [1.0, 2, 2, 2, 2]}, "a")
    assert s.verdict("b") == "no difference established"


def test_lower_is_better_flips_the_direction():
    s = paired_summary(
        {"a": [1.0, 2, 3, 4, 5], "b": [0.5, 1.5, 2.5, 3.5, 4.5]}, "a", higher_is_better=False
    )
    assert s.verdict("b") == "better"
    assert s.row("b").diff_mean == pytest.approx(-0.5)


def test_row_statistics_are_mean_sample_std_min_max():
    s = paired_summary({"a": [1.0, 2.0, 4.0], "b": [2.0, 2.0, 2.0]}, "a")
    r = s.row("a")
    assert (r.n, r.mean, r.lo, r.hi) == (3, pytest.approx(7 / 3), 1.0, 4.0)
    assert r.std == pytest.approx(torch.tensor([1.0, 2.0, 4.0]).std().item())
    assert s.row("b").std == 0.0
    assert s.row("b").diff_mean == pytest.approx(2 - 7 / 3)
    assert paired_summary({"a": [3.0]}, "a").row("a").std == 0.0


def test_markdown_is_a_table_with_one_row_per_candidate_in_order():
    s = paired_summary({"ReLU": [0.9] * 5, "GELU": [0.95] * 5}, "ReLU")
    lines = s.markdown().splitlines()
    assert lines[0].startswith("| candidate | seeds | mean | std | min | max |")
    assert set(lines[1]) <= set("|-: ")
    assert [ln.split("|")[1].strip() for ln in lines[2:]] == ["ReLU", "GELU"]
    assert "better" in lines[3] and "+0.05" in lines[3]
    assert "baseline" in lines[2]
    assert s.markdown(label="activation").startswith("| activation |")


@pytest.mark.parametrize(
    ("scores", "baseline", "error"),
    [
        ({"a": [1.0, 2.0], "b": [1.0]}, "a", ValueError),
        ({"a": [1.0]}, "z", KeyError),
        ({"a": [1.0, math.nan]}, "a", ValueError),
        ({"a": []}, "a", ValueError),
    ],
)
def test_invalid_input_is_refused(scores, baseline, error):
    with pytest.raises(error):
        paired_summary(scores, baseline)


def test_infinite_losses_are_allowed_but_inf_minus_inf_decides_nothing():
    s = paired_summary(
        {"a": [math.inf] * 5, "b": [1.0] * 5, "c": [math.inf] * 5}, "a", higher_is_better=False
    )
    assert s.verdict("b") == "better"
    assert s.verdict("c") == "no difference established"


def test_select_on_validation_picks_the_best_and_keeps_every_score():
    sel = select_on_validation([0.1, 1.0, 10.0], lambda lr: -abs(math.log10(lr)))
    assert sel.best == 1.0
    assert list(sel.scores) == [0.1, 1.0, 10.0]
    low = select_on_validation([3, 1, 2], float, higher_is_better=False)
    assert low.best == 1


def test_select_on_validation_breaks_ties_towards_the_first_candidate():
    assert select_on_validation(["x", "y", "z"], lambda c: 1.0).best == "x"


def test_select_on_validation_refuses_nan_and_duplicates():
    with pytest.raises(ValueError):
        select_on_validation([1, 2], lambda c: math.nan)
    with pytest.raises(ValueError):
        select_on_validation([1, 1], float)
    with pytest.raises(ValueError):
        select_on_validation([], float)


def test_a_score_that_touches_the_test_split_raises():
    split = digits()
    model = torch.nn.Linear(64, 10).requires_grad_(False)

    def test_accuracy(_):
        return (model(split.x_test).argmax(1) == split.y_test).float().mean().item()

    with pytest.raises(TestSetLeak):
        select_on_validation([0], test_accuracy)
    # a slice made before the selection is a view of the test tensor: still caught
    first = split.x_test[:5]
    with pytest.raises(TestSetLeak):
        select_on_validation([0], lambda _: float(model(first).sum()))


def test_a_score_on_a_validation_split_is_allowed_and_the_guard_is_lifted_afterwards():
    split = digits()
    tv = validation(split, 300, seed=0)
    model = torch.nn.Linear(64, 10).requires_grad_(False)
    sel = select_on_validation([0], lambda _: float(model(tv.x_val).sum()))
    assert sel.best == 0
    assert model(split.x_test).shape == (len(split.y_test), 10)  # no guard outside score()


def test_forbid_argument_overrides_the_registry():
    secret = torch.ones(3)
    with pytest.raises(TestSetLeak):
        select_on_validation([0], lambda _: float(secret.sum()), forbid=[secret])
    with forbid_tensors([secret]):
        assert float(torch.zeros(2).sum()) == 0.0


def test_every_split_registers_its_test_tensors():
    split = Split(
        torch.zeros(4, 2),
        torch.zeros(4, dtype=torch.long),
        torch.ones(2, 2),
        torch.ones(2, dtype=torch.long),
    )
    ids = {id(t) for t in test_tensors()}
    assert id(split.x_test) in ids and id(split.y_test) in ids
    assert id(split.x_train) not in ids


def test_validation_comes_from_the_training_rows_only_and_is_stratified():
    split = digits()
    tv = validation(split, 300, seed=0)
    assert len(tv.y_val) == 300 and len(tv.y_train) == len(split.y_train) - 300
    # train and validation are disjoint and together give the training split back (up to the
    # re-standardization with the new training rows' statistics, an affine map per pixel)
    together = torch.cat([tv.x_train, tv.x_val]).double()
    original = split.x_train.double()
    for j in range(original.shape[1]):
        # the affine map of pixel j, recovered from two rows of different values (if any)
        if len(torch.unique(together[:, j])) > 1:
            scale = (together[:, j].max() - together[:, j].min()) / (
                original[:, j].max() - original[:, j].min()
            )
            assert scale > 0
            mapped = (original[:, j] - original[:, j].min()) * scale + together[:, j].min()
            torch.testing.assert_close(
                mapped.sort().values, together[:, j].sort().values, atol=1e-5, rtol=1e-5
            )
    assert torch.equal(torch.cat([tv.y_train, tv.y_val]).sort().values, split.y_train.sort().values)
    counts = torch.bincount(tv.y_val, minlength=10)
    assert int(counts.min()) >= 28 and int(counts.max()) <= 32
    assert torch.equal(validation(split, 300, seed=0).y_val, tv.y_val)
    assert validation(split, 0.2).x_val.shape[0] == math.ceil(0.2 * len(split.y_train))
