"""One module per assignment; each defines ``ITEMS``, the graded items of its notebook in order."""
