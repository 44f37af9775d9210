# One-command set-up: every target that needs Python creates .venv and installs the pinned
# requirements first (again only when requirements.txt or pyproject.toml changed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JB_FLAGS := --builder html -n -W --keep-going
# every assignment with a solution notebook (an assignment is solutions/<name>/, its checks
# autograder/checks/<name> and its catalog tests/catalog/<name>.py; nothing lists them by hand)
ASSIGNMENTS := $(notdir $(wildcard solutions/ex[0-9][0-9]_*))
# nbgrader runs helper programs (alembic) from the environment's bin directory
export PATH := $(abspath $(BIN)):$(PATH)
# The student package (autograder + bookkit), its offline wheelhouse and where the site serves it
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
WHEEL := dist/activation_functions_course-$(VERSION)-py3-none-any.whl
WHEELHOUSE := $(VENV)/wheelhouse
# make book writes the wheel's page here; book/_ext/site_wheels.py serves it at <site>/wheels/
SITE_EXTRA := _build/site_extra

.PHONY: all book test test-fast lint exercises publish wheel wheelhouse student-repo bench-build bench-checks bench-grading clean distclean

all: book

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@

## book: build the HTML book, executing every chapter (cached: unchanged chapters are not re-run)
book: $(STAMP) wheel
	rm -rf $(SITE_EXTRA) && mkdir -p $(SITE_EXTRA)/wheels
	cp $(WHEEL) $(SITE_EXTRA)/wheels/
	printf '%s\n' '<!DOCTYPE html>' '<html lang="en"><head><meta charset="utf-8">' \
		'<title>Wheels of the course package</title></head><body><main>' \
		'<h1>Wheels of the course package</h1>' \
		'<p>pip install activation-functions-course --find-links THIS-PAGE</p><ul>' \
		'<li><a href="$(notdir $(WHEEL))">$(notdir $(WHEEL))</a></li>' \
		'</ul></main></body></html>' > $(SITE_EXTRA)/wheels/index.html
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "Open the book: file://$(CURDIR)/_build/html/index.html"

## test: lint, then run the whole test suite (it builds the book itself, in a temporary copy)
test: lint wheelhouse
	$(BIN)/python -m pytest

## test-fast: lint, then the everyday tests, without the slow end-to-end ones (make test runs them all)
test-fast: lint
	$(BIN)/python -m pytest -m "not slow"

## publish: build the book and commit _build/html to the gh-pages branch (PUSH=1 also pushes)
PUSH ?=
publish: book
	$(BIN)/ghp-import --no-jekyll --branch gh-pages \
		--message "Publish the book from $$(git rev-parse --short HEAD)" \
		$(if $(filter 1,$(PUSH)),--push) _build/html
	@echo "gh-pages now holds the book$(if $(filter 1,$(PUSH)), and was pushed to origin,; push it with: git push origin gh-pages)"

## wheel: build the student package (autograder + bookkit, no solutions) into dist/
wheel: $(STAMP)
	rm -rf build $(WHEEL)
	$(BIN)/python -m pip wheel . --no-deps --no-build-isolation --quiet -w dist
	rm -rf build
	@echo "Built $(WHEEL)"

## wheelhouse: download what a student install needs into .venv/wheelhouse (the offline tests install from it)
# The lock pins the versions; torch comes from pip's find-links (/opt/wheels here), so it is
# not kept. NumPy 1.26.4 is the second NumPy version the tests use; ipykernel runs their kernels.
$(WHEELHOUSE)/.complete: requirements.txt pyproject.toml | $(STAMP)
	$(MAKE) --no-print-directory wheel
	rm -rf $(WHEELHOUSE)
	$(BIN)/python -m pip download --quiet -d $(WHEELHOUSE) -c requirements.txt $(WHEEL) ipykernel
	$(BIN)/python -m pip download --quiet -d $(WHEELHOUSE) numpy==1.26.4
	rm -f $(WHEELHOUSE)/torch-*.whl $(WHEELHOUSE)/activation_functions_course-*.whl
	touch $@
wheelhouse: $(WHEELHOUSE)/.complete

## exercises: regenerate the student notebooks in exercises/ from solutions/ with nbgrader
exercises: $(STAMP)
	for a in $(ASSIGNMENTS); do $(BIN)/nbgrader generate_assignment $$a --force --no-db || exit 1; done

## student-repo: generate the public student repository (no solutions, no grader) in DEST
DEST ?= _build/student-repo
student-repo: $(STAMP)
	$(BIN)/python autograder/student_repo.py $(DEST)

## bench-grading: our grader vs nbgrader autograde (N=200 per assignment, nbgrader on 20)
N ?= 200
NBGRADER_SAMPLE ?= 20
JOBS ?= 2
bench-grading: $(STAMP)
	$(BIN)/python bench/grading.py $(N) --jobs $(JOBS) --nbgrader-sample $(NBGRADER_SAMPLE)

## bench-build: cold, warm and one-chapter-edited book builds, with each page's execution time
bench-build: $(STAMP)
	$(BIN)/python bench/build.py

## bench-checks: time every check cell in fresh kernels (first call with the reference answers, warm, first call on the blank release), then in process
bench-checks: $(STAMP)
	$(BIN)/python bench/check_cells.py

## lint: ruff (lint and format) on the project's Python code, mypy on autograder and bookkit (strict on the grader)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## clean: remove build output (the HTML book and the execution cache)
clean:
	rm -rf _build

## distclean: also remove the virtual environment
distclean: clean
	rm -rf $(VENV)
