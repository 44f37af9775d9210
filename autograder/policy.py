"""What an answer cell may use: the harmless standard library and the numerical modules, not
what can tamper with the checks.

The sandbox stops a submission from harming the grader; this scan stops it from tampering with
the checks that run in its own process (patching a probe, reading the call watcher, installing
an IPython input transformer). The rule, as the notebooks state it: an answer may import any
module of Python's standard library except those that reach the interpreter, the process, the
file system, the network or the grader (:data:`DENIED_MODULES`), plus NumPy, PyTorch, SciPy and
Matplotlib (:data:`NUMERICAL_MODULES`); it may not name one of :data:`DENIED_NAMES` or use one
of :data:`DENIED_ATTRIBUTES`. If any answer cell breaks the rule, every item of the submission
earns 0, status ``forbidden``, with a message naming what was used: such code could change how
every other answer is checked. The notebook's check cell applies the same rule
(:func:`autograder.notebook.check`), so a student learns it before grading, not at it.
"""

from __future__ import annotations

import ast
import sys

from autograder.submission import strip_magics

NUMERICAL_MODULES = frozenset({"numpy", "torch", "scipy", "matplotlib"})
# Standard modules that reach the interpreter, the process, the file system, the network or
# the grader, that run code from strings, or that have side effects on import.
DENIED_MODULES = frozenset(
    {
        # the interpreter and introspection
        "sys",
        "builtins",
        "gc",
        "inspect",
        "importlib",
        "imp",
        "pkgutil",
        "runpy",
        "zipimport",
        "code",
        "codeop",
        "types",
        "ctypes",
        "dis",
        "trace",
        "tracemalloc",
        "faulthandler",
        "pdb",
        "bdb",
        "cProfile",
        "profile",
        "pstats",
        "timeit",
        "doctest",
        "unittest",
        "site",
        "sysconfig",
        "atexit",
        "marshal",
        "pickle",
        "pickletools",
        "copyreg",
        "shelve",
        "linecache",
        "traceback",
        "py_compile",
        "compileall",
        "tokenize",
        "symtable",
        "ensurepip",
        "venv",
        "distutils",
        # the process and the system
        "os",
        "posix",
        "nt",
        "subprocess",
        "signal",
        "resource",
        "pty",
        "tty",
        "termios",
        "fcntl",
        "pwd",
        "grp",
        "spwd",
        "crypt",
        "syslog",
        "threading",
        "_thread",
        "multiprocessing",
        "concurrent",
        "asyncio",
        "sched",
        "mmap",
        "platform",
        "getpass",
        "curses",
        "readline",
        "rlcompleter",
        # the file system
        "io",
        "pathlib",
        "shutil",
        "tempfile",
        "glob",
        "fileinput",
        "filecmp",
        "zipfile",
        "tarfile",
        "gzip",
        "bz2",
        "lzma",
        "dbm",
        "sqlite3",
        "codecs",
        "logging",
        "configparser",
        "netrc",
        "mailbox",
        "mimetypes",
        "plistlib",
        "wave",
        "aifc",
        "sunau",
        "chunk",
        "uu",
        "zipapp",
        "posixpath",
        "ntpath",
        "genericpath",
        "pyclbr",
        "modulefinder",
        "tabnanny",
        "gettext",
        "xml",
        "imghdr",
        "sndhdr",
        "cgi",
        "cgitb",
        "msilib",
        "winreg",
        "winsound",
        "msvcrt",
        "ossaudiodev",
        "nis",
        "asynchat",
        "asyncore",
        "smtpd",
        "pipes",
        "mailcap",
        # the network
        "socket",
        "ssl",
        "select",
        "selectors",
        "socketserver",
        "http",
        "urllib",
        "ftplib",
        "poplib",
        "imaplib",
        "smtplib",
        "telnetlib",
        "nntplib",
        "xmlrpc",
        "webbrowser",
        "wsgiref",
        "email",
        # side effects on import, or a window
        "this",
        "antigravity",
        "__hello__",
        "__phello__",
        "turtle",
        "turtledemo",
        "tkinter",
        "idlelib",
        "lib2to3",
        "pydoc",
        "pydoc_data",
        # the grader and the notebook
        "autograder",
        "nbgrader",
        "IPython",
        "ipykernel",
        "jupyter_client",
    }
)
DENIED_NAMES = frozenset(
    {
        "__import__",
        "__builtins__",
        "globals",
        "locals",
        "vars",
        "setattr",
        "delattr",
        "exec",
        "eval",
        "compile",
        "open",
        "breakpoint",
        "get_ipython",
        "exit",
        "quit",
        "sys",
        "os",
        "gc",
        "ctypes",
        "inspect",
        "importlib",
        "builtins",
        "subprocess",
        "signal",
        "threading",
        "multiprocessing",
        "socket",
        "shutil",
        "pathlib",
        "io",
        "pickle",
        "autograder",
        "nbgrader",
        "IPython",
    }
)
DENIED_ATTRIBUTES = frozenset(
    {
        "__globals__",
        "__code__",
        "__closure__",
        "__builtins__",
        "__subclasses__",
        "__dict__",
        "__getattribute__",
        "__setattr__",
        "__delattr__",
        "__import__",
        "__loader__",
        "__spec__",
        "__bases__",
        "__mro__",
        "__base__",
        "f_globals",
        "f_locals",
        "f_back",
        "gi_frame",
        "_getframe",
        "system",
        "kill",
        "killpg",
        "fork",
        "spawn",
        "testing",
    }
)
STANDARD_MODULES = frozenset(sys.stdlib_module_names)


def module_allowed(name: str) -> bool:
    """Whether an answer may import the module ``name`` (a dotted name counts by its top)."""
    top = name.split(".")[0]
    if top in NUMERICAL_MODULES or top == "__future__":
        return True
    return top in STANDARD_MODULES and top not in DENIED_MODULES and not top.startswith("_")


def imported_modules(source: str) -> list[str]:
    """The modules ``source`` imports anywhere (a relative import counts as ``"."``)."""
    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError:
        return []
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules.append("." if node.level else node.module or ".")
    return list(dict.fromkeys(modules))


def violations(source: str) -> list[str]:
    """What ``source`` uses that answers may not, in order of appearance (empty when fine)."""
    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError:
        return []  # the cell fails when it runs; that is reported there
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ["." if node.level else node.module or "."]
            )
            found += [f"import {m}" for m in modules if not module_allowed(m)]
        elif isinstance(node, ast.Name) and node.id in DENIED_NAMES:
            found.append(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in DENIED_ATTRIBUTES:
            found.append(f".{node.attr}")
    return list(dict.fromkeys(found))


def explain(used: list[str]) -> str:
    """Why answers that use ``used`` score nothing, in words a student understands."""
    return (
        f"uses {', '.join(used)}. Answers may use NumPy, PyTorch, SciPy, Matplotlib and "
        "Python's standard library, but not the parts that reach the interpreter, the "
        "process, the files, the network or the grader (sys, os, subprocess, open, exec, "
        "inspect, get_ipython, autograder, ...): such code could change how the other "
        "answers are checked, so no check of this notebook counts"
    )
