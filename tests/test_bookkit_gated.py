"""bookkit.gated: the blocks, the parameter-matched width, the corpus and the stacked training."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from bookkit.gated import (
    BLOCKS,
    LABELS,
    CharMLP,
    FeedForward,
    GatedFeedForward,
    LMConfig,
    Run,
    char_corpus,
    feed_forward,
    gated_width,
    relu_squared,
    train_char_lms,
    windows,
)


def _n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(
    ("d_model", "expansion", "multiple_of", "expected"),
    [
        (768, 4, 1, 2048),  # Shazeer 2020: d_ff 3072 ungated, 2048 gated
        (4096, 4, 256, 11008),  # LLaMA 7B
        (5120, 4, 256, 13824),  # LLaMA 13B
        (8192, 4, 256, 22016),  # LLaMA 65B
        (32, 4, 1, 85),  # int() truncates 85.33
        (32, 4, 8, 88),  # then rounds up
        (48, 4, 64, 128),  # already a multiple: unchanged
        (10, 2, 1, 13),
    ],
)
def test_gated_width(d_model, expansion, multiple_of, expected):
    assert gated_width(d_model, expansion, multiple_of) == expected


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_gated_width_rejects_non_positive_integers(bad):
    with pytest.raises(ValueError, match="positive integer"):
        gated_width(bad)
    with pytest.raises(ValueError, match="positive integer"):
        gated_width(48, multiple_of=bad)


@pytest.mark.parametrize("d_model", [3, 24, 48, 96, 768])
def test_gated_width_matches_parameters_exactly_when_3_divides_d_model(d_model):
    ungated = FeedForward(d_model, 4 * d_model, "relu")
    gated = GatedFeedForward(d_model, gated_width(d_model), "swiglu")
    assert _n_params(ungated) == _n_params(gated)


def test_blocks_compute_their_formulas():
    torch.manual_seed(0)
    x = torch.randn(5, 12, dtype=torch.float64)
    for name, (gated, f) in BLOCKS.items():
        block = feed_forward(12, 8, name).double()
        assert isinstance(block, GatedFeedForward if gated else FeedForward)
        assert name in LABELS
        if gated:
            expected = (
                f(x @ block.w_gate.weight.T) * (x @ block.w_up.weight.T)
            ) @ block.w_down.weight.T
        else:
            expected = f(x @ block.w_up.weight.T) @ block.w_down.weight.T
        torch.testing.assert_close(block(x), expected)


def test_glu_block_is_torch_glu_and_relu_squared_is_tied_reglu():
    torch.manual_seed(1)
    z = torch.randn(4, 6, dtype=torch.float64)
    gate, up = z.chunk(2, dim=-1)
    # F.glu gates the first half with the second; the block gates the up projection
    torch.testing.assert_close(F.glu(torch.cat([up, gate], -1)), BLOCKS["glu"][1](gate) * up)
    torch.testing.assert_close(relu_squared(z), F.relu(z) * z)


def test_wrong_block_kind_is_refused():
    with pytest.raises(ValueError, match="GatedFeedForward"):
        FeedForward(4, 8, "swiglu")
    with pytest.raises(ValueError, match="FeedForward"):
        GatedFeedForward(4, 8, "relu")
    with pytest.raises(KeyError, match="unknown block"):
        feed_forward(4, 8, "swish")


def test_corpus_splits_documents_and_round_trips():
    corpus = char_corpus()
    sizes = [corpus.train.numel(), corpus.val.numel(), corpus.test.numel()]
    total = sum(sizes)
    assert sizes[0] > 0.7 * total and sizes[1] >= 0.1 * total and sizes[2] >= 0.1 * total
    assert corpus.chars[0] == "\0" and len(set(corpus.chars)) == corpus.vocab_size
    text = corpus.decode(corpus.train[:300])
    assert torch.equal(corpus.encode(text), corpus.train[:300])
    assert int(corpus.train.max()) < corpus.vocab_size
    assert char_corpus().chars == corpus.chars  # deterministic
    with pytest.raises(ValueError):
        char_corpus(val_fraction=0.6, test_fraction=0.5)


def test_windows():
    stream = torch.arange(20)
    x, y = windows(stream, 4, stride=3)
    assert x.shape == (6, 4)
    assert torch.equal(x[1], torch.tensor([3, 4, 5, 6])) and int(y[1]) == 7
    assert int(y[-1]) == 19


def test_models_with_the_same_seed_share_everything_but_the_block():
    config = LMConfig(vocab_size=30, context=4, embed=3, d_model=6)
    relu, gelu, swiglu = (CharMLP(config, b, seed=3) for b in ("relu", "gelu", "swiglu"))
    for a, b in ((relu, gelu), (relu, swiglu)):
        for name in ("embedding", "w_in", "w_out"):
            for p, q in zip(
                getattr(a, name).parameters(), getattr(b, name).parameters(), strict=True
            ):
                assert torch.equal(p, q)
    assert torch.equal(relu.ffn.w_up.weight, gelu.ffn.w_up.weight)
    assert not torch.equal(relu.embedding.weight, CharMLP(config, "relu", seed=4).embedding.weight)
    assert _n_params(relu.ffn) == _n_params(swiglu.ffn)


def _alone(config, run, stream, steps, batch_size):
    """Train one model with torch.optim.Adam, drawing batches as train_char_lms documents."""
    model = CharMLP(config, run.block, run.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=run.lr)
    gen = torch.Generator().manual_seed(run.seed)
    n = stream.numel() - config.context
    for _ in range(steps):
        starts = torch.randint(n, (batch_size,), generator=gen)
        x = stream[starts[:, None] + torch.arange(config.context)]
        y = stream[starts + config.context]
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model


def test_each_stacked_model_matches_training_it_alone():
    corpus = char_corpus(max_chars=3000)
    config = LMConfig(corpus.vocab_size, context=5, embed=4, d_model=6)
    runs = [
        Run("relu", 0, 0.01),
        Run("relu2", 0, 0.003),
        Run("gelu", 1, 0.01),
        Run("swiglu", 0, 0.01),
        Run("reglu", 1, 0.03),
        Run("geglu", 0, 0.01),
    ]
    x_val, y_val = windows(corpus.val, config.context, stride=7)
    results = train_char_lms(
        runs, config, corpus.train, {"val": (x_val, y_val)}, steps=12, batch_size=16, eval_every=5
    )
    for run, result in zip(runs, results, strict=True):
        assert result.run == run and result.steps == [5, 10, 12]
        alone = _alone(config, run, corpus.train, 12, 16)
        for p, q in zip(result.model.parameters(), alone.parameters(), strict=True):
            torch.testing.assert_close(p, q, atol=2e-5, rtol=1e-4)
        with torch.no_grad():
            loss = F.cross_entropy(alone(x_val), y_val).item()
        assert result.final["val"] == pytest.approx(loss, abs=1e-4)
        assert len(result.curve["val"]) == 3 and result.curve["val"][-1] == result.final["val"]


def test_final_sets_are_measured_once_at_the_end_only():
    corpus = char_corpus(max_chars=2000)
    config = LMConfig(corpus.vocab_size, context=4, embed=2, d_model=3)
    evaluate = {
        "val": windows(corpus.val, 4, stride=5),
        "test": windows(corpus.test, 4, stride=5),
    }
    (result,) = train_char_lms(
        [Run("relu", 0, 0.01)],
        config,
        corpus.train,
        evaluate,
        steps=6,
        batch_size=8,
        eval_every=2,
        curve_sets=["val"],
        final_sets=["test"],
    )
    assert set(result.curve) == {"val"} and set(result.final) == {"test"}
    with pytest.raises(KeyError, match="no evaluation set"):
        train_char_lms([Run("relu", 0, 0.01)], config, corpus.train, evaluate, final_sets=["x"])
