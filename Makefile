# One-command set-up: every target that needs Python creates .venv and installs the pinned
# requirements first (again only when requirements.txt or pyproject.toml changed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JB_FLAGS := --builder html -n -W --keep-going

.PHONY: all book test lint clean distclean

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
book: $(STAMP)
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "Open the book: file://$(CURDIR)/_build/html/index.html"

## test: run the whole test suite (it builds the book itself, in a temporary copy)
test: $(STAMP)
	$(BIN)/python -m pytest

## lint: ruff on the project's Python code
lint: $(STAMP)
	$(BIN)/ruff check .

## clean: remove build output (the HTML book and the execution cache)
clean:
	rm -rf _build

## distclean: also remove the virtual environment
distclean: clean
	rm -rf $(VENV)
