"""nbgrader's course directory, mapped onto this repository.

``solutions/`` holds the instructor notebooks (nbgrader's *source*) and ``exercises/`` the
student versions that ``nbgrader generate_assignment ASSIGNMENT`` writes (nbgrader's *release*).
Submissions go to ``submitted/<student_id>/<assignment>/`` as ``nbgrader collect`` leaves them.
"""

from pathlib import Path

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "activation-functions"
c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.assignment_id = ""

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.enforce_metadata = True
# Answers and checks may print; a check cell fails only by raising.
c.Execute.timeout = 120

# `nbgrader autograde`, and formgrader's Autograde button, which runs it, would execute each
# submission in a Jupyter kernel with the instructor's rights. Its execution step is replaced by
# our sandboxed grader (`python -m autograder grade ... --student S --force`); nbgrader's other
# steps (overwriting the locked cells, saving the scores, late penalties) run as usual.
c.Autograde.autograde_preprocessors = [
    "autograder.autograded.GradeInSandbox",  # in place of nbgrader.preprocessors.Execute
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
