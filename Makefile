# Reprise: `make repro` runs the embedded default pipeline, `make test` runs the test suite,
# `make suite` runs the suite (suite/dvc.yaml: the papers' experiments over pre-training runs, stage by stage with rows
# done and the time left; results/suite_timings.csv holds each stage's last time), `make fuzz` the fuzz
# tests with a long budget (FUZZ_EXAMPLES examples each, default 2000; make test runs them with a short one).
# `make exps` shows the experiments in 120 columns, `make lock` rewrites constraints.txt from .venv.
# All create .venv on first use: the pinned torch builds (requirements.txt), then this package with its
# test extra (pyproject.toml), every package at the version of constraints.txt (what the committed results
# were made with). repro and suite pull from the DVC remote what it holds (.dvc/config; docs/sharing.md),
# compute the rest, push it back, and record each new result's environment (results/provenance.csv).
PYTHON ?= python3.11
VENV := .venv
BIN := $(abspath $(VENV))/bin
INSTALLED := $(VENV)/.installed
# pytest processes (pytest-xdist); each pipeline fixture is built by only one of them
TEST_WORKERS ?= 2
export PATH := $(BIN):$(PATH)

.PHONY: install repro suite exps lock test fuzz bench clean

install: $(INSTALLED)

$(INSTALLED): requirements.txt pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -c constraints.txt -r requirements.txt
	$(BIN)/pip install -c constraints.txt -e '.[test]'
	touch $@

# A push that fails (no network, no credentials) leaves the results here and says so; it does not fail the run.
repro: $(INSTALLED)
	$(BIN)/dvc repro --pull
	$(BIN)/python tools/provenance.py
	-$(BIN)/dvc push

suite: $(INSTALLED)
	-$(BIN)/dvc pull --allow-missing
	$(BIN)/python tools/suite.py
	$(BIN)/python tools/provenance.py
	-$(BIN)/dvc push

exps: $(INSTALLED)
	$(BIN)/python tools/exps.py

lock: $(INSTALLED)
	{ sed -n '/^#/p' constraints.txt; $(BIN)/pip freeze --exclude-editable | sed -E 's/^([A-Za-z0-9_.-]+) @ file:.*\/[A-Za-z0-9_]+-([0-9][^-]*)-.*$$/\1==\2/'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

test: $(INSTALLED)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

fuzz: $(INSTALLED)
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -q -n $(TEST_WORKERS) tests/fuzz --hypothesis-show-statistics

clean:
	rm -rf data .pytest_cache
