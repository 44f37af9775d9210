"""The check kit: what every assignment's checks are built from, in one place.

* :mod:`~autograder.kit.tolerance`: the one tolerance table, and the named tolerances of exact
  quantities.
* :mod:`~autograder.kit.rules`: :class:`~autograder.kit.rules.Rules`, how strictly a result is
  compared, with hints keyed on the first wrong value (NumPy and PyTorch items alike).
* :mod:`~autograder.kit.cases`: :class:`~autograder.kit.cases.Cases`, visible and hidden cases
  declared as data.
* :mod:`~autograder.kit.elementwise`: items for elementwise NumPy functions (probe, comparison,
  random arrays).
* :mod:`~autograder.kit.tensors`: plain-data records of returned tensors and their comparison.
* :mod:`~autograder.kit.gradcheck`: the ``torch.autograd.gradcheck`` probe.
* :mod:`~autograder.kit.models`: the test networks, built from a seed without touching the
  student's random state.
* :mod:`~autograder.kit.model_state`: a model's state as plain data and how a function changed
  it (modes, hooks, parameters), for functions that must leave their model as it was.
* :mod:`~autograder.kit.values`: the type names a report shows for returned Python values.

A checks module (``autograder/checks/exNN_*.py``, or a package of one module per graded
function) imports from here and exports ``ITEMS`` in its notebook's order.
"""
