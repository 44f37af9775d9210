"""No chapter chooses anything on the test split.

A hyper-parameter (a learning rate, an epoch count, an activation, a schedule) chosen by its test
score makes that test score a biased estimate. This test reads every chapter's code cells and
follows, by a small static taint analysis, which values are computed from a test split:

- sources: any name or attribute called ``x_test`` or ``y_test`` (``split.x_test`` and so on);
- propagation: a name assigned (also by ``for``, ``with``, ``x[k] = ...``, ``x.append(...)``)
  from an expression that uses a tainted value is tainted, and so is every call of a function
  whose body uses one; the fields of a training history that do not depend on the evaluation
  data (``train_loss``, ``grad_norm``, ``step_loss``, ``lr``, ``stopped_early``) stay clean;
- sinks, i.e. selections that pick a candidate: ``argmax``, ``argmin``, ``argsort``, ``topk``,
  ``nanargmax``, ``nanargmin``, ``idxmax``, ``idxmin`` of a tainted value (a per-row ``argmax``
  with a ``dim``/``axis`` other than 0 is a prediction and is allowed); ``max``, ``min``,
  ``sorted``, ``nlargest``, ``nsmallest`` with a ``key`` over tainted scores, or over
  (score, candidate) pairs; ``candidates[scores.index(max(scores))]``; (``max(scores)`` alone
  is the range of the scores, not a choice, and is allowed);
  ``train(..., patience=...)`` (early stopping) fed a tainted evaluation set; and
  ``select_on_validation`` given a tainted score function.

Selections must go through :func:`bookkit.compare.select_on_validation` with a score computed on
a validation split (:func:`bookkit.data.validation`); that function also refuses, at run time, a
score function that touches a test tensor. A line that is deliberately not a selection (for
example the largest test-set gradient norm of a run) can say so with a trailing comment
``# not-a-selection: <reason>``.
"""

from __future__ import annotations

import ast
import re
import subprocess
import textwrap
from dataclasses import dataclass

import pytest

from support.chapters import chapters
from support.paths import ROOT

SOURCES = {"x_test", "y_test"}
CLEAN_FIELDS = {"train_loss", "grad_norm", "step_loss", "lr", "stopped_early", "shape", "dtype"}
# choose by position: always a selection when fed test-derived scores (unless per-row)
ARG_SINKS = {"argmax", "argmin", "argsort", "nanargmax", "nanargmin", "idxmax", "idxmin", "topk"}
# choose by key, or over (score, candidate) pairs; max(values) alone is a range, not a choice
KEY_SINKS = {"max", "min", "sorted", "nlargest", "nsmallest"}
MUTATORS = {"append", "extend", "update", "add", "insert", "setdefault", "__setitem__"}
PRAGMA = re.compile(r"#\s*not-a-selection:\s*\S")


@dataclass(frozen=True)
class Finding:
    line: int
    code: str
    why: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.why}: {self.code.strip()}"


def _code(cells: list[str]) -> str:
    """Join code cells into one module, dropping IPython magics and shell lines."""
    lines = []
    for source in cells:
        for line in source.splitlines():
            lines.append("" if line.lstrip().startswith(("%", "!")) else line)
        lines.append("")
    return "\n".join(lines)


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _target_names(target: ast.AST) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Tuple | ast.List):
        return set().union(*(_target_names(t) for t in target.elts)) if target.elts else set()
    root = _root_name(target)
    return {root} if root else set()


class _Taint:
    """Flow-sensitive taint: statements are read in order, a plain re-assignment cleans a name."""

    def __init__(self, lines: list[str]) -> None:
        self.names: set[str] = set()
        self.lines = lines
        self.findings: list[Finding] = []
        self.touched = False  # whether some statement read a tainted value where it ran

    # -- expressions ------------------------------------------------------------------------

    def uses(self, node: ast.AST | None, names: set[str] | None = None) -> bool:
        """Whether ``node`` reads a test-derived value (``names``: the tainted names in scope)."""
        names = self.names if names is None else names
        if node is None:
            return False
        if isinstance(node, ast.Attribute):
            if node.attr in SOURCES:
                return True
            if node.attr in CLEAN_FIELDS:
                return False
            return self.uses(node.value, names)
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store | ast.Del):
                return False  # being assigned is not being read
            return node.id in SOURCES or node.id in names
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            scope = set(names)
            for gen in node.generators:
                targets = _target_names(gen.target)
                scope = scope | targets if self.uses(gen.iter, scope) else scope - targets
                if any(self.uses(cond, scope) for cond in gen.ifs):
                    return True
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            return any(self.uses(p, scope) for p in parts)
        if isinstance(node, ast.Lambda):
            params = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
            return self.uses(node.body, names - params)
        return any(self.uses(child, names) for child in ast.iter_child_nodes(node))

    # -- statements -------------------------------------------------------------------------

    def block(self, stmts: list[ast.stmt]) -> None:
        for stmt in stmts:
            self.statement(stmt)

    def _assign(self, target: ast.AST, tainted: bool) -> None:
        if isinstance(target, ast.Name):
            (self.names.add if tainted else self.names.discard)(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            for t in target.elts:
                self._assign(t, tainted)
        elif tainted and (root := _root_name(target)):
            self.names.add(root)  # x[k] = ..., x.a = ...: x now holds a tainted part

    def statement(self, stmt: ast.stmt) -> None:
        self.check(stmt)
        compound = (
            ast.For,
            ast.AsyncFor,
            ast.While,
            ast.If,
            ast.With,
            ast.AsyncWith,
            ast.Try,
            ast.FunctionDef,
            ast.AsyncFunctionDef,
            ast.ClassDef,
        )
        if not isinstance(stmt, compound) and self.uses(stmt):
            self.touched = True
        header = {ast.For: "iter", ast.AsyncFor: "iter", ast.While: "test", ast.If: "test"}
        if type(stmt) in header and self.uses(getattr(stmt, header[type(stmt)])):
            self.touched = True
        if isinstance(stmt, ast.With | ast.AsyncWith) and any(
            self.uses(item.context_expr) for item in stmt.items
        ):
            self.touched = True
        if isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                if (
                    isinstance(t, ast.Tuple)
                    and isinstance(stmt.value, ast.Tuple)
                    and len(t.elts) == len(stmt.value.elts)
                ):  # a, b = x, y: element-wise
                    for t_i, v_i in zip(t.elts, stmt.value.elts, strict=True):
                        self._assign(t_i, self.uses(v_i))
                else:
                    self._assign(t, self.uses(stmt.value))
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self._assign(stmt.target, self.uses(stmt.value))
        elif isinstance(stmt, ast.AugAssign) and self.uses(stmt.value):
            self._assign(stmt.target, True)
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            self._assign(stmt.target, self.uses(stmt.iter))
            for _ in range(2):  # a second pass sees what the first pass tainted
                self.block(stmt.body)
            self.block(stmt.orelse)
        elif isinstance(stmt, ast.While):
            for _ in range(2):
                self.block(stmt.body)
            self.block(stmt.orelse)
        elif isinstance(stmt, ast.If):
            self.block(stmt.body)
            self.block(stmt.orelse)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                if item.optional_vars is not None:
                    self._assign(item.optional_vars, self.uses(item.context_expr))
            self.block(stmt.body)
        elif isinstance(stmt, ast.Try):
            self.block(stmt.body)
            for handler in stmt.handlers:
                self.block(handler.body)
            self.block(stmt.orelse)
            self.block(stmt.finalbody)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            params = {a.arg for a in ast.walk(stmt.args) if isinstance(a, ast.arg)}
            # read the body in order, in its own scope (globals as they are now, minus the
            # parameters): the function is tainted if any statement reads a tainted value
            inner = _Taint(self.lines)
            inner.names = self.names - params
            inner.block(stmt.body)
            self.findings.extend(inner.findings)
            (self.names.add if inner.touched else self.names.discard)(stmt.name)
        # calls that fill a container: x.append(tainted), x.update(tainted), ...
        for node in ast.walk(stmt):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in MUTATORS
                and any(self.uses(a) for a in [*node.args, *(k.value for k in node.keywords)])
            ):
                if root := _root_name(node.func.value):
                    self.names.add(root)

    # -- sinks ------------------------------------------------------------------------------

    def check(self, stmt: ast.stmt) -> None:
        nodes = [stmt] if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) else [stmt]
        for top in nodes:
            for node in _walk_outside_functions(top):
                if isinstance(node, ast.Call) and (why := self.why(node)):
                    line = self.lines[node.lineno - 1]
                    if not PRAGMA.search(line):
                        self.findings.append(Finding(node.lineno, line, why))

    def why(self, node: ast.Call) -> str | None:
        name = _func_name(node)
        keywords = {k.arg: k.value for k in node.keywords}
        if name in ARG_SINKS and not _is_prediction(node):
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            if receiver is not None and _is_module(receiver):
                receiver = None
            if any(self.uses(a) for a in [*node.args, receiver]):
                return f"{name}() picks a candidate by scores computed from the test split"
        elif name in KEY_SINKS:
            data = node.args[0] if node.args else None
            key = keywords.get("key")
            if key is not None and (self.uses(key) or self.uses(data)):
                return f"{name}(..., key=...) picks a candidate by scores from the test split"
            if key is None and _pairs(data) and self.uses(data):
                return f"{name}() over (score, candidate) pairs from the test split"
        elif (
            name == "index"
            and node.args
            and any(
                isinstance(n, ast.Call) and _func_name(n) in KEY_SINKS and self.uses(n)
                for n in ast.walk(node.args[0])
            )
        ):
            return "index(max(...)) picks a candidate by scores from the test split"
        elif name == "train" and "patience" in keywords:
            evaluation = node.args[3:5] + [
                keywords[k] for k in ("x_test", "y_test") if k in keywords
            ]
            if any(self.uses(a) for a in evaluation):
                return "early stopping (patience) on the test split chooses the epoch count on it"
        elif name == "select_on_validation":
            score = node.args[1] if len(node.args) > 1 else keywords.get("score")
            if self.uses(score):
                return "select_on_validation with a score function that reads the test split"
        return None


def _walk_outside_functions(node: ast.AST):
    """``ast.walk`` that does not enter function bodies (they are checked when defined)."""
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        yield from _walk_outside_functions(child)


def _pairs(node: ast.AST | None) -> bool:
    """``zip(...)``, ``enumerate(...)``, ``d.items()`` or a comprehension of tuples."""
    if isinstance(node, ast.Call) and _func_name(node) in {"zip", "enumerate", "items"}:
        return True
    return isinstance(node, ast.ListComp | ast.GeneratorExp) and isinstance(node.elt, ast.Tuple)


def _func_name(call: ast.Call) -> str | None:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return None


def _is_prediction(call: ast.Call) -> bool:
    """``out.argmax(dim=1)``, ``argmax(out, axis=-1)``: a per-row choice, not a selection."""
    if _func_name(call) not in {"argmax", "argmin"}:
        return False
    dims = [k.value for k in call.keywords if k.arg in {"dim", "axis"}]
    if isinstance(call.func, ast.Attribute) and not _is_module(call.func.value) and call.args:
        dims.append(call.args[0])
    elif len(call.args) >= 2:
        dims.append(call.args[1])
    return any(
        isinstance(d, ast.Constant) and d.value not in (0, None) or isinstance(d, ast.UnaryOp)
        for d in dims
    )


def _is_module(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in {"np", "numpy", "torch", "math", "pd"}


def selections_on_test(source: str) -> list[Finding]:
    """Every selection in ``source`` (Python code) whose scores come from a test split."""
    tree = ast.parse(source)
    taint = _Taint(source.splitlines())
    taint.block(tree.body)
    unique = {(f.line, f.why): f for f in taint.findings}
    return sorted(unique.values(), key=lambda f: f.line)


# --- the book ---------------------------------------------------------------------------------

CHAPTERS = chapters()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.name for c in CHAPTERS])
def test_no_chapter_selects_on_the_test_split(chapter):
    found = selections_on_test(_code([c.source for c in chapter.code_cells]))
    assert not found, (
        f"{chapter.path.name} chooses on the test split; score the candidates on a validation "
        "split with bookkit.compare.select_on_validation instead:\n"
        + "\n".join(str(f) for f in found)
    )


# --- the scanner catches the class, not one instance ------------------------------------------

OLD_CH05_SWEEP = """
split = digits(seed=0)
X, Y = split.x_train, split.y_train
sweep = {}
for lr in sweep_lrs:
    runs = []
    for s in SEEDS[:2]:
        h = train(mlp([64, 64, 64, 10], nn.ReLU), X, Y, split.x_test, split.y_test, epochs=10,
                  lr=float(lr), batch_size=128, seed=s)
        runs.append((h.train_loss[-1], h.test_accuracy[-1]))
    sweep[float(lr)] = np.array(runs)
acc_by_lr = {lr: float(np.mean(v[:, 1])) for lr, v in sweep.items()}
best_lr = max(acc_by_lr, key=acc_by_lr.get)
"""


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (OLD_CH05_SWEEP, "max"),
        # a helper function hides the test split one call away
        (
            "def score(lr):\n    return fit(lr, split.x_test, split.y_test)\n"
            "best = sorted(lrs, key=score)[-1]",
            "sorted",
        ),
        # numpy's argmax over a list of test accuracies
        (
            "accs = []\nfor a in acts:\n    accs.append(evaluate(a, x_test, y_test))\n"
            "best = acts[int(np.argmax(accs))]",
            "argmax",
        ),
        # a method argmax over a tensor of test scores (dim 0: over candidates)
        (
            "scores = torch.stack([run(c, data.x_test) for c in cs])\nk = scores.argmax(dim=0)",
            "argmax",
        ),
        # early stopping whose 'validation' set is the test split
        (
            "h = train(net, X, Y, split.x_test, split.y_test, epochs=50, patience=5)",
            "early stopping",
        ),
        # the guarded helper given a test-set score
        (
            "sel = select_on_validation(lrs, lambda lr: acc(fit(lr), split.x_test, split.y_test))",
            "select_on_validation",
        ),
        # min over test losses
        (
            "hist = {c: train(m, X, Y, s.x_test, s.y_test) for c in cs}\n"
            "losses = {k: h.test_loss[-1] for k, h in hist.items()}\n"
            "k = min(losses, key=losses.get)",
            "min",
        ),
        # the (score, candidate) pair trick and list.index(max(...))
        ("accs = [fit(c, x_test, y_test) for c in cs]\nbest = max(zip(accs, cs))[1]", "pairs"),
        ("accs = [fit(c, x_test, y_test) for c in cs]\nbest = cs[accs.index(max(accs))]", "index"),
    ],
)
def test_scanner_flags_selections_on_the_test_split(snippet, expected):
    found = selections_on_test(textwrap.dedent(snippet))
    assert found and any(expected in f.why for f in found), found


@pytest.mark.parametrize(
    "snippet",
    [
        # the same sweep scored on a validation split carved from the training data
        OLD_CH05_SWEEP.replace("split.x_test, split.y_test", "tv.x_val, tv.y_val"),
        # predictions are a per-row argmax, not a selection
        "pred = net(split.x_test).argmax(dim=1)\nacc = (pred == split.y_test).float().mean()",
        "pred = np.argmax(model(x_test), axis=1)",
        # fields of a test-evaluated history that do not depend on the test data
        "h = train(net, X, Y, split.x_test, split.y_test)\npeak = max(h.grad_norm)\n"
        "last = min(h.train_loss)",
        # a deliberate exemption, with its reason
        "h = train(net, X, Y, split.x_test, split.y_test)\n"
        "worst = min(h.test_accuracy)  # not-a-selection: reported, nothing is chosen by it",
        # early stopping on a validation split
        "h = train(net, tv.x_train, tv.y_train, tv.x_val, tv.y_val, patience=5)",
        # selection on validation, test reported once afterwards
        "sel = select_on_validation(lrs, lambda lr: acc(fit(lr), tv.x_val, tv.y_val))\n"
        "test = acc(fit(sel.best), split.x_test, split.y_test)",
    ],
)
def test_scanner_leaves_honest_code_alone(snippet):
    assert selections_on_test(textwrap.dedent(snippet)) == []


OLD_CH05_COMMIT = "8cd8ee7"  # the book before issue 15: Chapter 5 tuned the learning rate on test


def test_scanner_fails_the_chapter_5_that_tuned_the_learning_rate_on_the_test_set():
    try:
        old = subprocess.run(
            ["git", "show", f"{OLD_CH05_COMMIT}:book/ch05_pitfalls.md"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("no git history here (a copy of the tree)")
    import jupytext

    notebook = jupytext.reads(old, fmt="md:myst")
    found = selections_on_test(_code([c.source for c in notebook.cells if c.cell_type == "code"]))
    assert any("best_lr = max(acc_by_lr" in f.code for f in found), found


def test_a_name_reused_for_validation_results_is_not_tainted_by_its_earlier_test_use():
    # flow-sensitive: `h` held a test-evaluated history before, but inside the score function it
    # is re-assigned from a validation run before it is read
    code = textwrap.dedent("""
        h = train(net, X, Y, split.x_test, split.y_test)
        def score(lr):
            h = train(net, tv.x_train, tv.y_train, tv.x_val, tv.y_val, lr=lr)
            return h.test_accuracy[-1]
        chosen = select_on_validation(lrs, score)
        best = max(lrs, key=score)
    """)
    assert selections_on_test(code) == []
    leaky = code.replace("tv.x_val, tv.y_val", "split.x_test, split.y_test")
    assert {f.line for f in selections_on_test(leaky)} == {6, 7}
