"""What an answer cell may use: numerical modules, not the machinery around it.

The sandbox stops a submission from harming the grader; this scan stops it from tampering with
the checks that run in its own process (patching a probe, reading the call watcher, installing
an IPython input transformer). If any answer cell imports a module outside
:data:`ALLOWED_MODULES`, names one of :data:`DENIED_NAMES` or uses one of
:data:`DENIED_ATTRIBUTES`, every item of the submission earns 0, status ``forbidden``, with a
message naming what was used: such code could change how every other answer is checked. The
notebooks state the rule.
"""

from __future__ import annotations

import ast

from autograder.submission import strip_magics

ALLOWED_MODULES = frozenset({
    "math", "cmath", "numbers", "numpy", "torch", "scipy", "functools", "itertools",
    "operator", "collections", "typing", "dataclasses", "warnings", "statistics", "fractions",
    "decimal", "random", "abc", "enum", "matplotlib", "__future__",
})
DENIED_NAMES = frozenset({
    "__import__", "__builtins__", "globals", "locals", "vars", "setattr", "delattr", "exec",
    "eval", "compile", "open", "breakpoint", "get_ipython", "exit", "quit",
    "sys", "os", "gc", "ctypes", "inspect", "importlib", "builtins", "subprocess", "signal",
    "threading", "multiprocessing", "socket", "shutil", "pathlib", "io", "pickle",
    "autograder", "nbgrader", "IPython",
})
DENIED_ATTRIBUTES = frozenset({
    "__globals__", "__code__", "__closure__", "__builtins__", "__subclasses__", "__dict__",
    "__getattribute__", "__setattr__", "__delattr__", "__import__", "__loader__", "__spec__",
    "__bases__", "__mro__", "__base__", "f_globals", "f_locals", "f_back", "gi_frame",
    "_getframe", "system", "kill", "killpg", "fork", "spawn", "testing",
})


def violations(source: str) -> list[str]:
    """What ``source`` uses that answers may not, in order of appearance (empty when fine)."""
    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError:
        return []  # the cell fails when it runs; that is reported there
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) \
                else [node.module or "."]
            for module in modules:
                if module.split(".")[0] not in ALLOWED_MODULES:
                    found.append(f"import {module}")
        elif isinstance(node, ast.Name) and node.id in DENIED_NAMES:
            found.append(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in DENIED_ATTRIBUTES:
            found.append(f".{node.attr}")
    return list(dict.fromkeys(found))
