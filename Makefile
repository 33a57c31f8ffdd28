# Neuvo: `make setup` (environment), `make test` (everything CI runs). See README.md.
PYTHON311 ?= python3.11
VENV      := .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
EVAL_FILE ?= ../shared/eval/dev.jsonl

.PHONY: setup test test-fast lint kb-validate kb-stats kb-index kb-calibrate eval-kb bench-kb clean

setup: $(STAMP)

# Re-runs only when the pinned requirements or the project metadata change: `make setup` is idempotent.
$(STAMP): requirements.lock requirements-dev.txt pyproject.toml
	@command -v $(PYTHON311) >/dev/null || { echo "Python 3.11 is needed: install it (e.g. 'pyenv install 3.11') or set PYTHON311=/path/to/python3.11"; exit 1; }
	@test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)
	@echo "environment ready: $(VENV) (run '$(VENV)/bin/neuvo --help')"

test: setup
	$(VENV)/bin/neuvo kb validate
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not slow"

lint: setup
	$(VENV)/bin/ruff check bot tests benchmarks
	$(VENV)/bin/ruff format --check bot tests benchmarks
	$(VENV)/bin/mypy bot

kb-validate: setup
	$(VENV)/bin/neuvo kb validate

kb-stats: setup
	$(VENV)/bin/neuvo kb stats

kb-index: setup
	$(VENV)/bin/neuvo kb build

kb-calibrate: setup
	$(VENV)/bin/neuvo kb calibrate

eval-kb: setup
	$(VENV)/bin/neuvo eval $(EVAL_FILE)

bench-kb: setup
	$(PY) benchmarks/bench_kb.py

clean:
	rm -rf .cache .pytest_cache .mypy_cache .ruff_cache
