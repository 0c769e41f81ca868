# The two commands of the README, and a few more for developers.
#   make demo   - run the example pipeline against the OpenAI emulator (or OpenAI with OPENAI_API_KEY)
#   make test   - run the whole test suite
#   make bench  - benchmarks (speed and memory, as ratios measured side by side)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	@rm -f $(VENV)/.installed-bench
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { echo "Python 3.10 or newer is needed; set PYTHON=python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e ".[test]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

$(VENV)/.installed-bench: $(STAMP)
	$(PIP) install -e ".[test,bench]"
	@touch $@

bench: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

lint: $(STAMP)
	$(PIP) install ruff
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .demo .pytest_cache build *.egg-info
