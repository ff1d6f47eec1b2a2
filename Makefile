# scratchnn developer entry points. Everything runs inside ./.venv, which the
# targets create on demand, so `make test` works from a fresh clone.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

# Stamp files record that a step finished, so reruns skip it; each extras
# stamp also depends on pyproject.toml, so changed dependencies reinstall.
VENV_STAMP := $(VENV)/.stamp-venv

# Plots are only ever written to files: no display needed, in CI or over ssh.
export MPLBACKEND := Agg

.PHONY: .venv install demo test docs mutate mutate-list clean

.venv: $(VENV_STAMP)

# A .venv folder left half-made (no bin/python) is created again.
$(VENV_STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	touch $@

$(VENV)/.stamp-plot: pyproject.toml $(VENV_STAMP)
	$(BIN)/pip install -q -e '.[plot]'
	touch $@

$(VENV)/.stamp-test: pyproject.toml $(VENV_STAMP)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.stamp-plot

demo: install
	$(BIN)/scratchnn demo

# The structure checks first (lint, the import layers), then the suite with its coverage floor;
# see "Running the tests" in the README.
test: $(VENV)/.stamp-test
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q --cov=scratchnn --cov-report=term

$(VENV)/.stamp-docs: pyproject.toml $(VENV_STAMP)
	$(BIN)/pip install -q -e '.[docs]'
	touch $@

# The documentation site into docs/_build/html, offline (MathJax ships in a package); strict:
# any warning (a broken cross-reference, a docstring's reST error) fails the build.
docs: $(VENV)/.stamp-docs
	$(BIN)/sphinx-build -b html -j 1 -W --keep-going -q docs docs/_build/html
	@echo "docs/_build/html/index.html"

# Mutation testing: plant each bug listed in tools/mutants.py in a copy of the package and run
# the tests that should catch it; writes mutation-report.md. About 15 minutes on two cores, so
# not part of `make test` or CI; see "Running the tests" in the README.
$(VENV)/.stamp-mutate: pyproject.toml $(VENV)/.stamp-test
	$(BIN)/pip install -q -e '.[test,mutate]'
	touch $@

# mutmut over the core modules (see [tool.mutmut] in pyproject.toml); not part of `make test`.
mutate: $(VENV)/.stamp-mutate
	# One BLAS thread: mutmut forks its workers, and a forked OpenBLAS pool can hang them.
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/mutmut run
	$(BIN)/python tools/mutmut_report.py

# The hand-written list of likely mistakes (tools/mutants.py), each against its named tests.
mutate-list: $(VENV)/.stamp-test
	$(BIN)/python tools/mutate.py

clean:
	rm -rf $(VENV) build dist docs/_build docs/api demo-output .pytest_cache .hypothesis mutation-report.md mutants
	find src tests -name __pycache__ -type d -prune -exec rm -rf {} +
	find src -name '*.egg-info' -type d -prune -exec rm -rf {} +
