"""Gated feed-forward blocks, and a small character-level language model to compare them.

Chapter 6 compares the feed-forward block of a transformer with and without a gate. This module
holds what its experiment needs:

- :data:`BLOCKS`: the blocks by name, ungated (``relu``, ``gelu``, ``relu2``: squared ReLU) and
  gated (``glu``, ``bilinear``, ``reglu``, ``geglu``, ``swiglu``), as a flag and the function
  applied to the hidden pre-activations (for a gated block: to the *gate* projection);
- :func:`gated_width`: the hidden width of a gated block with the parameters of an ungated one;
- :class:`FeedForward` and :class:`GatedFeedForward`: the two blocks as ``nn.Module``;
- :func:`char_corpus` and :func:`windows`: a character-level corpus made of the documentation
  that ships with Python (``pydoc_data.topics``, nothing downloaded), split by document;
- :class:`CharMLP`: a small language model whose only nonlinearity is one feed-forward block;
- :func:`train_char_lms`: trains many such models (blocks x seeds x learning rates) at once,
  stacked along a first dimension, each exactly as if it were trained alone with Adam.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "BLOCKS",
    "LABELS",
    "CharCorpus",
    "CharMLP",
    "FeedForward",
    "GatedFeedForward",
    "LMConfig",
    "Run",
    "RunResult",
    "char_corpus",
    "feed_forward",
    "gated_width",
    "relu_squared",
    "train_char_lms",
    "windows",
]

Activation = Callable[[torch.Tensor], torch.Tensor]


def relu_squared(x: torch.Tensor) -> torch.Tensor:
    """Squared ReLU, ``max(x, 0) ** 2`` (So et al. 2021, Primer)."""
    return torch.square(F.relu(x))


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


#: name -> (gated?, function). An ungated block computes ``W2 f(W1 x)``; a gated block computes
#: ``W_down (f(W_gate x) * W_up x)``, so the function acts on the gate projection only.
BLOCKS: dict[str, tuple[bool, Activation]] = {
    "relu": (False, F.relu),
    "gelu": (False, F.gelu),
    "relu2": (False, relu_squared),
    "glu": (True, torch.sigmoid),
    "bilinear": (True, _identity),
    "reglu": (True, F.relu),
    "geglu": (True, F.gelu),
    "swiglu": (True, F.silu),
}

#: Names for tables and legends.
LABELS: dict[str, str] = {
    "relu": "ReLU",
    "gelu": "GELU",
    "relu2": "squared ReLU",
    "glu": "GLU",
    "bilinear": "Bilinear",
    "reglu": "ReGLU",
    "geglu": "GEGLU",
    "swiglu": "SwiGLU",
}


def _block(name: str) -> tuple[bool, Activation]:
    if name not in BLOCKS:
        raise KeyError(f"unknown block {name!r}; choose one of {sorted(BLOCKS)}")
    return BLOCKS[name]


def gated_width(d_model: int, expansion: int = 4, multiple_of: int = 1) -> int:
    """Hidden width of a gated block with the parameters of an ungated block of width
    ``expansion * d_model``, rounded up to a multiple of ``multiple_of``.

    An ungated block without biases has ``2 * d_model * expansion * d_model`` weights, a gated
    one ``3 * d_model * hidden``; equal counts give ``hidden = 2 * expansion * d_model / 3``. As
    in LLaMA's reference code, the width is truncated to an integer, then rounded *up* to a
    multiple of ``multiple_of``: ``multiple_of * ceil(int(2 * expansion * d_model / 3) /
    multiple_of)``. All arguments must be positive integers.
    """
    for name, value in (
        ("d_model", d_model),
        ("expansion", expansion),
        ("multiple_of", multiple_of),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    truncated = int(2 * expansion * d_model / 3)
    return -(-truncated // multiple_of) * multiple_of  # ceiling division, then the multiple


class FeedForward(nn.Module):
    """Ungated block ``w_down(f(w_up(x)))`` without biases, ``f`` one of the ungated BLOCKS."""

    def __init__(self, d_model: int, hidden: int, activation: str = "relu") -> None:
        super().__init__()
        gated, self.f = _block(activation)
        if gated:
            raise ValueError(f"{activation!r} is a gated block: use GatedFeedForward")
        self.name = activation
        self.w_up = nn.Linear(d_model, hidden, bias=False)
        self.w_down = nn.Linear(hidden, d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w_down(self.f(self.w_up(x)))


class GatedFeedForward(nn.Module):
    """Gated block ``w_down(f(w_gate(x)) * w_up(x))`` without biases (Shazeer 2020)."""

    def __init__(self, d_model: int, hidden: int, activation: str = "swiglu") -> None:
        super().__init__()
        gated, self.f = _block(activation)
        if not gated:
            raise ValueError(f"{activation!r} is not a gated block: use FeedForward")
        self.name = activation
        self.w_gate = nn.Linear(d_model, hidden, bias=False)
        self.w_up = nn.Linear(d_model, hidden, bias=False)
        self.w_down = nn.Linear(hidden, d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w_down(self.f(self.w_gate(x)) * self.w_up(x))


def feed_forward(d_model: int, hidden: int, activation: str) -> FeedForward | GatedFeedForward:
    """The block named ``activation`` (a key of :data:`BLOCKS`) with ``hidden`` units."""
    gated, _ = _block(activation)
    return (GatedFeedForward if gated else FeedForward)(d_model, hidden, activation)


# --- the corpus -------------------------------------------------------------------------------


def _topics() -> list[str]:
    from pydoc_data.topics import topics  # ships with CPython: the text of help('topic')

    return [topics[k] for k in sorted(topics)]


@dataclass(frozen=True)
class CharCorpus:
    """A character-level corpus: the vocabulary and three int64 streams of character ids.

    ``chars[i]`` is the character of id ``i``; id 0 (``chars[0] == "\\0"``) stands for any
    character that does not occur in the training text. ``train``, ``val`` and ``test`` hold
    whole documents, each document in exactly one of them.
    """

    chars: str
    train: torch.Tensor
    val: torch.Tensor
    test: torch.Tensor

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        """Ids of ``text`` (unknown characters map to 0), as an int64 tensor."""
        index = {c: i for i, c in enumerate(self.chars)}
        return torch.tensor([index.get(c, 0) for c in text], dtype=torch.int64)

    def decode(self, ids: torch.Tensor | Sequence[int]) -> str:
        """The text of ``ids``."""
        return "".join(self.chars[int(i)] for i in ids)


def char_corpus(
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    max_chars: int | None = None,
) -> CharCorpus:
    """Python's own documentation topics (``pydoc_data.topics``) as a :class:`CharCorpus`.

    The documents are shuffled with ``seed``; the first ones go to the test stream until it holds
    at least ``test_fraction`` of the characters, the next ones to validation (``val_fraction``),
    the rest to training. Documents are joined with a blank line. The vocabulary is the set of
    characters of the training stream, sorted, after id 0 (unknown). ``max_chars``, if given,
    keeps only the first ``max_chars`` characters of each stream (for quick tests).
    """
    if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError("val_fraction and test_fraction must be in (0, 1) with a sum below 1")
    docs = _topics()
    order = torch.randperm(len(docs), generator=torch.Generator().manual_seed(seed)).tolist()
    total = sum(len(d) for d in docs)
    parts: list[list[str]] = [[], [], []]  # test, val, train
    filled = [0, 0]
    for i in order:
        doc = docs[i]
        if filled[0] < test_fraction * total:
            parts[0].append(doc)
            filled[0] += len(doc)
        elif filled[1] < val_fraction * total:
            parts[1].append(doc)
            filled[1] += len(doc)
        else:
            parts[2].append(doc)
    test_text, val_text, train_text = ("\n\n".join(p) for p in parts)
    if max_chars is not None:
        test_text, val_text, train_text = (t[:max_chars] for t in (test_text, val_text, train_text))
    chars = "\0" + "".join(sorted(set(train_text) - {"\0"}))
    index = {c: i for i, c in enumerate(chars)}

    def ids(text: str) -> torch.Tensor:
        return torch.tensor([index.get(c, 0) for c in text], dtype=torch.int64)

    return CharCorpus(chars, ids(train_text), ids(val_text), ids(test_text))


def windows(
    stream: torch.Tensor, context: int, stride: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every ``stride``-th window of ``stream``: inputs ``(n, context)`` and next ids ``(n,)``.

    Window ``j`` holds ``stream[s : s + context]`` with ``s = j * stride``; its target is
    ``stream[s + context]``.
    """
    starts = torch.arange(0, stream.numel() - context, stride)
    x = stream[starts[:, None] + torch.arange(context)]
    return x, stream[starts + context]


# --- the model ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LMConfig:
    """Sizes of a :class:`CharMLP`: ``context`` characters, each embedded in ``embed`` numbers,
    mixed linearly into ``d_model``; one feed-forward block; ungated width
    ``expansion * d_model``, gated width :func:`gated_width` of it."""

    vocab_size: int
    context: int = 16
    embed: int = 16
    d_model: int = 48
    expansion: int = 4

    def hidden(self, block: str) -> int:
        """The hidden width of ``block``: parameter-matched to the ungated width."""
        gated, _ = _block(block)
        if gated:
            return gated_width(self.d_model, self.expansion)
        return self.expansion * self.d_model


def _uniform_(w: torch.Tensor, fan_in: int, gen: torch.Generator) -> None:
    bound = 1.0 / math.sqrt(fan_in)  # nn.Linear's default range
    with torch.no_grad():
        w.uniform_(-bound, bound, generator=gen)


class CharMLP(nn.Module):
    """A character-level language model whose only nonlinearity is one feed-forward block.

    ``logits = w_out(LN(h + ffn(LN(h))))`` with ``h = w_in(concat of the context's
    embeddings)``, where LN is a layer norm without learned scale or shift. The weights are
    drawn from ``seed``: first the embedding, ``w_in`` and ``w_out`` (the same for every block
    with the same seed), then the block's weights (the same for every block of the same shape).
    Linear weights and biases are uniform in ``±1/sqrt(fan_in)`` as ``nn.Linear``'s; the
    embedding is standard normal.
    """

    def __init__(self, config: LMConfig, block: str, seed: int = 0) -> None:
        super().__init__()
        self.config = config
        self.block = block
        c = config
        self.embedding = nn.Embedding(c.vocab_size, c.embed)
        self.w_in = nn.Linear(c.context * c.embed, c.d_model)
        self.w_out = nn.Linear(c.d_model, c.vocab_size)
        self.ffn: FeedForward | GatedFeedForward = feed_forward(c.d_model, c.hidden(block), block)
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            self.embedding.weight.normal_(generator=gen)
        for lin in (self.w_in, self.w_out):
            _uniform_(lin.weight, lin.in_features, gen)
            _uniform_(lin.bias, lin.in_features, gen)
        block_layers = [self.ffn.w_up, self.ffn.w_down]
        if isinstance(self.ffn, GatedFeedForward):
            block_layers.insert(0, self.ffn.w_gate)
        for lin in block_layers:
            _uniform_(lin.weight, lin.in_features, gen)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(n, vocab_size)`` of the character after each context ``x`` ``(n, context)``."""
        d = self.config.d_model
        h = self.w_in(self.embedding(x).flatten(1))
        h = h + self.ffn(F.layer_norm(h, (d,)))
        return self.w_out(F.layer_norm(h, (d,)))


# --- many models at once ----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One model to train: its ``block`` (a key of :data:`BLOCKS`), ``seed`` (initial weights
    and batch order; runs with the same seed are paired) and Adam learning rate ``lr``."""

    block: str
    seed: int
    lr: float


@dataclass
class RunResult:
    """What :func:`train_char_lms` returns for one :class:`Run`.

    ``curve[name]`` is the mean cross-entropy (nats per character) on evaluation set ``name`` at
    each step in ``steps``; ``final[name]`` is its value after the last step; ``model`` is the
    trained :class:`CharMLP` (eval mode).
    """

    run: Run
    steps: list[int]
    curve: dict[str, list[float]] = field(default_factory=dict)
    final: dict[str, float] = field(default_factory=dict)
    model: CharMLP | None = None


_BETAS = (0.9, 0.999)  # torch.optim.Adam's defaults
_EPS = 1e-8


def _stack(models: Sequence[CharMLP]) -> dict[str, torch.Tensor]:
    """The models' weights stacked on a new first dimension, as leaves that require grad.

    Linear weights are stored transposed, ``(k, in, out)``, biases as ``(k, 1, out)``; the gate
    and up projections of a gated block are concatenated, ``(k, d_model, 2 * hidden)``.
    """

    def stack(get: Callable[[CharMLP], torch.Tensor]) -> torch.Tensor:
        return torch.stack([get(m).detach() for m in models]).contiguous().requires_grad_(True)

    p = {
        "embedding": stack(lambda m: m.embedding.weight),
        "w_in": stack(lambda m: m.w_in.weight.T),
        "b_in": stack(lambda m: m.w_in.bias[None]),
        "w_out": stack(lambda m: m.w_out.weight.T),
        "b_out": stack(lambda m: m.w_out.bias[None]),
        "w_down": stack(lambda m: m.ffn.w_down.weight.T),
    }
    if isinstance(models[0].ffn, GatedFeedForward):

        def gate_up(m: CharMLP) -> torch.Tensor:
            assert isinstance(m.ffn, GatedFeedForward)
            return torch.cat([m.ffn.w_gate.weight.T, m.ffn.w_up.weight.T], dim=1)

        p["w_gate_up"] = stack(gate_up)
    else:
        p["w_up"] = stack(lambda m: m.ffn.w_up.weight.T)
    return p


def _write_back(models: Sequence[CharMLP], p: dict[str, torch.Tensor]) -> None:
    with torch.no_grad():
        for k, m in enumerate(models):
            m.embedding.weight.copy_(p["embedding"][k])
            m.w_in.weight.copy_(p["w_in"][k].T)
            m.w_in.bias.copy_(p["b_in"][k, 0])
            m.w_out.weight.copy_(p["w_out"][k].T)
            m.w_out.bias.copy_(p["b_out"][k, 0])
            m.ffn.w_down.weight.copy_(p["w_down"][k].T)
            if isinstance(m.ffn, GatedFeedForward):
                gate, up = p["w_gate_up"][k].chunk(2, dim=1)
                m.ffn.w_gate.weight.copy_(gate.T)
                m.ffn.w_up.weight.copy_(up.T)
            else:
                m.ffn.w_up.weight.copy_(p["w_up"][k].T)


def _stacked_logits(
    p: dict[str, torch.Tensor], x: torch.Tensor, groups: list[tuple[Activation, int]], d: int
) -> torch.Tensor:
    """Logits ``(k, n, vocab)`` of the stacked models on contexts ``x`` ``(k, n, context)``.

    ``groups`` lists (function, count) for consecutive runs of models sharing an activation.
    """
    k, n, _ = x.shape
    emb = p["embedding"][torch.arange(k)[:, None, None], x].reshape(k, n, -1)
    h = torch.baddbmm(p["b_in"], emb, p["w_in"])
    z = F.layer_norm(h, (d,))
    if "w_gate_up" in p:
        gate, up = torch.bmm(z, p["w_gate_up"]).chunk(2, dim=-1)
        parts, start = [], 0
        for f, count in groups:
            parts.append(f(gate[start : start + count]))
            start += count
        hidden = (torch.cat(parts) if len(parts) > 1 else parts[0]) * up
    else:
        pre = torch.bmm(z, p["w_up"])
        parts, start = [], 0
        for f, count in groups:
            parts.append(f(pre[start : start + count]))
            start += count
        hidden = torch.cat(parts) if len(parts) > 1 else parts[0]
    h = h + torch.bmm(hidden, p["w_down"])
    return torch.baddbmm(p["b_out"], F.layer_norm(h, (d,)), p["w_out"])


def _mean_losses(
    p: dict[str, torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    groups: list[tuple[Activation, int]],
    d: int,
    chunk: int = 4096,
) -> list[float]:
    """Each stacked model's mean cross-entropy on the evaluation set ``(x, y)``."""
    k = p["embedding"].shape[0]
    total = torch.zeros(k, dtype=torch.float64)
    with torch.no_grad():
        for xs, ys in zip(x.split(chunk), y.split(chunk), strict=True):
            logits = _stacked_logits(p, xs.expand(k, -1, -1), groups, d)
            loss = F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), ys.repeat(k), reduction="none"
            )
            total += loss.reshape(k, -1).double().sum(dim=1)
    return (total / y.numel()).tolist()


def train_char_lms(
    runs: Sequence[Run],
    config: LMConfig,
    train_stream: torch.Tensor,
    evaluate: dict[str, tuple[torch.Tensor, torch.Tensor]],
    *,
    steps: int = 400,
    batch_size: int = 128,
    eval_every: int = 0,
    curve_sets: Sequence[str] | None = None,
    final_sets: Sequence[str] | None = None,
) -> list[RunResult]:
    """Train one :class:`CharMLP` per run, all at once; return one :class:`RunResult` per run.

    Contract: run ``r`` builds ``CharMLP(config, r.block, r.seed)`` and takes ``steps`` Adam
    steps (PyTorch's defaults, learning rate ``r.lr``, no weight decay) on the mean
    cross-entropy of ``batch_size`` windows of ``train_stream`` whose start positions are drawn
    uniformly by a generator seeded with ``r.seed``: runs with the same seed see the same
    batches. The result is what training each model alone with ``torch.optim.Adam`` gives, up to
    floating-point rounding (runs of the same width are stacked on a first dimension and trained
    as one computation). ``evaluate`` maps a name to windows ``(x, y)`` (see :func:`windows`);
    every ``eval_every`` steps (and after the last step) the mean loss on each set named in
    ``curve_sets`` (default: all) is recorded, and after the last step on each set of
    ``final_sets`` (default: all). A set is never used for anything but these measurements.
    """
    if not runs:
        raise ValueError("no runs")
    if steps < 1 or batch_size < 1:
        raise ValueError("steps and batch_size must be positive")
    curve_names = list(evaluate) if curve_sets is None else list(curve_sets)
    final_names = list(evaluate) if final_sets is None else list(final_sets)
    for name in [*curve_names, *final_names]:
        if name not in evaluate:
            raise KeyError(f"no evaluation set named {name!r}")
    checkpoints = sorted(
        {s for s in range(eval_every, steps, eval_every)} | {steps} if eval_every else {steps}
    )
    results = [RunResult(r, checkpoints) for r in runs]
    by_width: dict[tuple[bool, int], list[int]] = {}
    for i, r in enumerate(runs):
        gated, _ = _block(r.block)
        by_width.setdefault((gated, config.hidden(r.block)), []).append(i)
    finals_only = [s for s in final_names if s not in curve_names]
    for members in by_width.values():
        members.sort(key=lambda i: list(BLOCKS).index(runs[i].block))  # one group per activation
        models, curves, finals = _train_group(
            [runs[i] for i in members],
            config,
            train_stream,
            {name: evaluate[name] for name in curve_names},
            {name: evaluate[name] for name in finals_only},
            steps=steps,
            batch_size=batch_size,
            checkpoints=checkpoints,
        )
        for j, (i, model) in enumerate(zip(members, models, strict=True)):
            model.eval()
            results[i].model = model
            results[i].curve = {name: [c[j] for c in curves[name]] for name in curve_names}
            results[i].final = {name: finals[name][j] for name in finals_only}
            results[i].final.update(
                {name: results[i].curve[name][-1] for name in final_names if name in curve_names}
            )
    return results


def _train_group(
    group_runs: Sequence[Run],
    config: LMConfig,
    train_stream: torch.Tensor,
    curve_sets: dict[str, tuple[torch.Tensor, torch.Tensor]],
    final_sets: dict[str, tuple[torch.Tensor, torch.Tensor]],
    *,
    steps: int,
    batch_size: int,
    checkpoints: Sequence[int],
) -> tuple[list[CharMLP], dict[str, list[list[float]]], dict[str, list[float]]]:
    """Train runs whose blocks have the same shape as one stack (see :func:`train_char_lms`).

    Returns the trained models, ``curves[name][c][j]`` (loss of run ``j`` at checkpoint ``c``)
    and ``finals[name][j]``.
    """
    groups: list[tuple[Activation, int]] = []
    for r in group_runs:
        f = BLOCKS[r.block][1]
        if groups and groups[-1][0] is f:
            groups[-1] = (f, groups[-1][1] + 1)
        else:
            groups.append((f, 1))
    models = [CharMLP(config, r.block, r.seed) for r in group_runs]
    p = _stack(models)
    leaves = list(p.values())
    k = len(models)
    lr = torch.tensor([r.lr for r in group_runs])
    lrs = [lr.reshape(k, *([1] * (t.dim() - 1))) for t in leaves]
    ms = [torch.zeros_like(t) for t in leaves]
    vs = [torch.zeros_like(t) for t in leaves]
    gens = [torch.Generator().manual_seed(r.seed) for r in group_runs]
    n = train_stream.numel() - config.context
    offsets = torch.arange(config.context)
    curves: dict[str, list[list[float]]] = {name: [] for name in curve_sets}
    for step in range(1, steps + 1):
        starts = torch.stack([torch.randint(n, (batch_size,), generator=g) for g in gens])
        x = train_stream[starts[..., None] + offsets]
        y = train_stream[starts + config.context]
        logits = _stacked_logits(p, x, groups, config.d_model)
        loss = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none"
        )
        for t in leaves:
            t.grad = None
        loss.reshape(k, -1).mean(dim=1).sum().backward()  # model k's gradient = its own
        with torch.no_grad():  # torch.optim.Adam's update, one learning rate per model
            grads = [t.grad for t in leaves if t.grad is not None]
            torch._foreach_lerp_(ms, grads, 1 - _BETAS[0])
            torch._foreach_mul_(vs, _BETAS[1])
            torch._foreach_addcmul_(vs, grads, grads, value=1 - _BETAS[1])
            denom = torch._foreach_sqrt(vs)
            torch._foreach_div_(denom, math.sqrt(1 - _BETAS[1] ** step))
            torch._foreach_add_(denom, _EPS)
            update = torch._foreach_div(ms, denom)
            torch._foreach_mul_(update, lrs)
            torch._foreach_mul_(update, 1 / (1 - _BETAS[0] ** step))
            torch._foreach_sub_(leaves, update)
        if step in checkpoints:
            for name, (xs, ys) in curve_sets.items():
                curves[name].append(_mean_losses(p, xs, ys, groups, config.d_model))
    finals = {
        name: _mean_losses(p, xs, ys, groups, config.d_model)
        for name, (xs, ys) in final_sets.items()
    }
    _write_back(models, p)
    return models, curves, finals
