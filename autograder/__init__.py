"""Checks for the course's graded exercises.

In an exercise notebook, a check cell runs ``check("relu_core", relu)``: it runs the graded
item ``relu_core`` on the student's ``relu``, prints a readable report, and raises when the
answer is wrong so that nbgrader scores the cell.
"""

from autograder.notebook import check

__all__ = ["check"]
