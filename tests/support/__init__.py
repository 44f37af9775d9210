"""Helpers and constants the test modules share. Test modules import from here, never from
``conftest`` (which holds only fixtures) nor from one another (``tests/test_suite_layout.py``
and ruff's ``banned-api`` enforce it).

- :mod:`support.paths`: the repository root, this test run's environment, a clean copy of the
  repository;
- :mod:`support.toc`: the pages ``_toc.yml`` lists, ``glob:`` entries resolved;
- :mod:`support.book`: ``make book`` in a copy or a student tree, and what its kernels ran;
- :mod:`support.figure_audit`: the kernel start-up file that audits every figure's data;
- :mod:`support.student_env`: the student's offline environment, the set-up cell;
- :mod:`support.chapters`: a chapter's MyST source, its prose and cells;
- :mod:`support.jupyter_server`: a Jupyter server (JupyterLab, formgrader) on a free port with
  a token, started, waited for and stopped;
- :mod:`support.browser`: where Chromium is and the flags it starts with.
"""
