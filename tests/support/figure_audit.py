"""The figure audit: an IPython start-up file that records, in the kernel that executes a
chapter, every figure's plotted data that are empty, NaN, infinite or not numbers
(``tests/test_figure_data.py`` explains what it checks and tests it). :func:`figure_audit_env`
installs it for a build; :func:`support.book.make_book` turns it on in every build's kernels.
"""

from __future__ import annotations

import json
from pathlib import Path

AUDIT = r'''
"""Figure audit (tests/test_figure_data.py): record empty or non-finite plotted data."""


def figure_problems(fig):
    """Problems with the data plotted in ``fig``: a list of short sentences (empty if none)."""
    import numpy as np
    from matplotlib.collections import PathCollection
    from matplotlib.container import BarContainer

    def numbers(values):
        """``values`` as a float array of its unmasked entries, or None if not numeric."""
        arr = np.ma.asarray(values)
        if arr.dtype.kind not in "biuf":
            return None
        arr = arr.astype(float)
        return np.ma.compressed(arr) if np.ma.isMaskedArray(arr) else np.asarray(arr).ravel()

    def check(what, values, problems):
        arr = numbers(values)
        if arr is None:
            problems.append(f"{what}: data are not numbers (dtype {np.asarray(values).dtype})")
        elif arr.size == 0:
            problems.append(f"{what}: empty")
        elif not np.isfinite(arr).all():
            bad = int((~np.isfinite(arr)).sum())
            problems.append(f"{what}: {bad} of {arr.size} values are NaN or infinite")
        return arr

    def converter(axis):
        get = getattr(axis, "get_converter", None)
        return get() if get is not None else getattr(axis, "converter", None)

    problems = []
    for k, ax in enumerate(fig.axes):
        where = f"axes {k}" + (f" ({ax.get_title()!r})" if ax.get_title() else "")
        drawn = ax.lines or ax.collections or ax.patches or ax.images or ax.texts or ax.tables
        if ax.get_visible() and ax.axison and not drawn:
            problems.append(f"{where}: nothing is plotted")
        log_y, log_x = ax.get_yscale() == "log", ax.get_xscale() == "log"
        for line in ax.lines:
            what = f"{where}, line {line.get_label()!r}"
            if line.get_gid() == "gaps":  # NaN breaks the line on purpose; the rest must count
                xy = numbers(line.get_xydata())
                if (xy is None or not np.isfinite(xy.reshape(-1, 2)).all(axis=1).any()
                        or np.isinf(xy).any()):
                    problems.append(f"{what}: a line marked gid='gaps' has no finite points "
                                    "or has infinite ones")
                continue
            xy = check(what, line.get_xydata(), problems)
            if xy is not None and xy.size and np.isfinite(xy).all():
                xy = xy.reshape(-1, 2)
                x_data, y_data = line.get_transform().contains_branch_seperately(ax.transData)
                hidden = int((xy[:, 0] <= 0).sum()) if log_x and x_data else 0
                hidden += int((xy[:, 1] <= 0).sum()) if log_y and y_data else 0
                if hidden:
                    problems.append(f"{what}: {hidden} points are <= 0 on a log-scaled axis")
        colorbar = getattr(ax, "_colorbar", None)  # matplotlib marks a colorbar's Axes so
        for j, coll in enumerate(ax.collections):
            if colorbar is not None and coll is getattr(colorbar, "dividers", None):
                continue  # the lines between a colorbar's colours: empty unless drawedges=True
            what = f"{where}, {type(coll).__name__} {j} {coll.get_label()!r}"
            if isinstance(coll, PathCollection):
                check(what, coll.get_offsets(), problems)
            else:
                paths = coll.get_paths()
                verts = [p.vertices for p in paths if len(p.vertices)]
                data = coll.get_array()
                if not verts and (data is None or np.ma.asarray(data).size == 0):
                    problems.append(f"{what}: empty")
                for v in verts:
                    if check(what, v, problems) is None or not np.isfinite(v).all():
                        break
                if data is not None:
                    check(what + " colour values", data, problems)
        for j, image in enumerate(ax.images):
            check(f"{where}, image {j}", np.ma.getdata(image.get_array()), problems)
        for j, container in enumerate(ax.containers):
            if not isinstance(container, BarContainer):
                continue
            what = f"{where}, bar chart {j} {container.get_label()!r}"
            if len(container.patches) == 0:
                problems.append(f"{what}: has no bars")
                continue
            vertical = getattr(container, "orientation", "vertical") != "horizontal"
            axis = ax.yaxis if vertical else ax.xaxis
            if type(converter(axis)).__name__ == "StrCategoryConverter":
                problems.append(f"{what}: the bar {'heights' if vertical else 'widths'} are "
                                "categories (strings), not numbers")
            if container.datavalues is not None:
                check(what + " values", container.datavalues, problems)
        for j, patch in enumerate(ax.patches):
            bbox = [getattr(patch, name)() for name in ("get_x", "get_y", "get_width",
                                                        "get_height") if hasattr(patch, name)]
            if bbox:
                check(f"{where}, patch {j} ({type(patch).__name__})", bbox, problems)
    return problems


def _install():
    import json
    import os

    path = os.environ.get("BOOK_FIGURE_AUDIT")
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if not path or ip is None:
        return
    from matplotlib.backend_bases import FigureCanvasBase

    state = {"cell": "", "seen": set(), "count": 0}

    def pre_run_cell(info):
        state["cell"] = info.raw_cell
        state["seen"] = set()

    ip.events.register("pre_run_cell", pre_run_cell)
    original = FigureCanvasBase.print_figure

    def print_figure(self, *args, **kwargs):
        fig = self.figure
        if id(fig) not in state["seen"]:
            state["seen"].add(id(fig))
            state["count"] += 1
            try:
                problems = figure_problems(fig)
            except Exception as exc:  # the audit must never break a chapter; report instead
                problems = [f"the figure audit itself failed: {exc!r}"]
            record = {"pid": os.getpid(), "figure": state["count"], "cell": state["cell"],
                      "axes": len(fig.axes), "problems": problems}
            with open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
        return original(self, *args, **kwargs)

    FigureCanvasBase.print_figure = print_figure


_install()
del _install
'''


def figure_audit_env(tree: Path) -> dict[str, str]:
    """Install :data:`AUDIT` for a build of ``tree`` and return the environment that enables it.

    The startup file goes to ``<tree's parent>/figure-audit/ipython`` (outside the book's source)
    and the records to ``figure-audit/figures.jsonl`` next to it, which :func:`records_path`
    names. Pass the result to the kernel's environment, e.g. ``env={**os.environ, **this}``.
    """
    where = records_path(tree).parent
    startup = where / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-figure-audit.py").write_text(AUDIT, encoding="utf-8")
    return {"IPYTHONDIR": str(where / "ipython"), "BOOK_FIGURE_AUDIT": str(records_path(tree))}


def records_path(tree: Path) -> Path:
    return tree.parent / "figure-audit" / "figures.jsonl"


def read_records(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
