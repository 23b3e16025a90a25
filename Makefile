# Reprise: `make repro` runs the embedded default pipeline, `make test` runs the test suite,
# `make suite` runs the suite (suite/dvc.yaml: the papers' experiments over pre-training runs, stage by stage with rows
# done and the time left; results/suite_timings.csv holds each stage's last time), `make fuzz` the fuzz
# tests with a long budget (FUZZ_EXAMPLES examples each, default 2000; make test runs them with a short one).
# All create .venv on first use: the pinned torch builds (requirements.txt), then this package with its
# test extra (pyproject.toml).
PYTHON ?= python3.11
VENV := .venv
BIN := $(abspath $(VENV))/bin
INSTALLED := $(VENV)/.installed
# pytest processes (pytest-xdist); each pipeline fixture is built by only one of them
TEST_WORKERS ?= 2
export PATH := $(BIN):$(PATH)

.PHONY: install repro suite test fuzz bench clean

install: $(INSTALLED)

$(INSTALLED): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -r requirements.txt
	$(BIN)/pip install -e '.[test]'
	touch $@

repro: $(INSTALLED)
	$(BIN)/dvc repro

suite: $(INSTALLED)
	$(BIN)/python tools/suite.py

test: $(INSTALLED)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

fuzz: $(INSTALLED)
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -q -n $(TEST_WORKERS) tests/fuzz --hypothesis-show-statistics

clean:
	rm -rf data .pytest_cache
