# Two commands for a fresh machine (Linux or macOS, Python 3.11+):
#   make run    installs everything into .venv (when missing) and opens KB Assist on the bundled KB
#   make test   installs everything into .venv (when missing) and runs the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint eval bench bench-deps bench-engines clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

run: $(STAMP)
	@bash tools/qt_system_libs.sh window
	$(BIN)/kbassist

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check app tests bench
	$(BIN)/kbassist lint

eval: $(STAMP)
	$(BIN)/kbassist eval
	$(BIN)/kbassist eval --cases tests/eval/holdout.yaml

bench: $(STAMP)
	$(BIN)/python bench/bench_search.py

# tantivy and bm25s, the plain OR query floor the bench compares KB Assist with (never needed by the app)
bench-deps: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"

bench-engines: bench-deps
	$(BIN)/python bench/bench_search.py --articles 2000,10000 --engines kbassist,tantivy,bm25s

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
