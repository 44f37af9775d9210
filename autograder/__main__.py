"""``python -m autograder grade COURSE_DIR ASSIGNMENT ...``: grade a class."""

from __future__ import annotations

import sys

# jsonschema (through nbformat) compiles rfc3987_syntax's IRI grammar at import, 1.4 s on
# 2 cores, for the "iri" string format, which no notebook schema uses. The grader starts once
# per batch and that second counts; without the module jsonschema simply skips that format.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from autograder.cli import main  # noqa: E402

sys.exit(main())
