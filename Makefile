# Neuvo: `make setup` (environment), `make test` (everything CI runs). See README.md.
PYTHON311 ?= python3.11
# Rasa 3.6 needs Python 3.8-3.10: use python3.10 from the PATH, else one that pyenv installed.
PYTHON310 ?= $(shell for p in python3.10 $$(pyenv root 2>/dev/null)/versions/3.10*/bin/python3.10 \
                 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
                 $$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo $$p; break; }; done)
VENV      := .venv
RASA_VENV := .venv-rasa
RASA_STAMP := $(RASA_VENV)/.installed
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
EVAL_FILE ?= ../shared/eval/dev.jsonl

.PHONY: setup setup-rasa browser run train bench bench-telegram loadtest eval test test-fast lint kb-validate kb-stats kb-index kb-calibrate eval-kb bench-kb clean

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

setup-rasa: $(RASA_STAMP)

$(RASA_STAMP): requirements-rasa.lock
	@test -n "$(PYTHON310)" || { echo "Rasa 3.6 needs Python 3.10, which was not found. Install it (e.g. 'pyenv install 3.10' or 'apt-get install python3.10 python3.10-venv') or set PYTHON310=/path/to/python3.10"; exit 1; }
	@test -x $(RASA_VENV)/bin/python || $(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/python -m pip install --quiet "pip<24.1"
	$(RASA_VENV)/bin/python -m pip install --quiet --no-deps -r requirements-rasa.lock
	@touch $(RASA_STAMP)
	@echo "Rasa environment ready: $(RASA_VENV)"

# Sets everything up, trains Rasa if its inputs changed, runs Rasa + the app with a web chat. Ctrl-C stops.
run: setup setup-rasa
	$(VENV)/bin/neuvo run

train: setup setup-rasa
	$(VENV)/bin/neuvo rasa train

# Everything CI runs: both environments, the browser for the web-chat test, the knowledge-base check, all tests
# (end-to-end ones start their own Rasa + app on free loopback ports and train the Rasa model if needed).
test: setup setup-rasa browser
	$(VENV)/bin/neuvo kb validate
	$(PY) -m pytest

# Debian's Chromium for the browser test (Playwright never downloads a browser here). Best effort: without it
# the browser test is skipped with its reason shown.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "note: chromium is not installed; the browser test will be skipped"; }

# Production set-up under load (PostgreSQL, Redis, 2 app workers, 2 Rasa) on loopback, bounded in count.
# The acceptance run: make loadtest LOADTEST_ARGS="--users 1000 --messages 20 --compare-workers"
LOADTEST_ARGS ?= --users 60 --messages 5 --compare-workers
loadtest: setup setup-rasa
	$(PY) -m benchmarks.loadtest $(LOADTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -m "not slow and not e2e"

lint: setup
	$(VENV)/bin/ruff check bot actions rasa_addons tests benchmarks
	$(VENV)/bin/ruff format --check bot actions rasa_addons tests benchmarks
	$(VENV)/bin/mypy bot actions

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

# /api/chat end to end vs Rasa's REST channel alone, concurrency 1 and 8 (starts its own Rasa + app).
bench: setup setup-rasa
	$(PY) -m benchmarks.bench_chat

# Telegram webhook acknowledgement latency against the whole service (starts its own Rasa + app + fake Bot API).
bench-telegram: setup setup-rasa
	$(PY) -m benchmarks.bench_telegram_ack --service

# The development set (or FILE=...) through the full pipeline: /api/chat with Rasa (starts its own service).
eval: setup setup-rasa
	$(VENV)/bin/neuvo eval $(if $(FILE),$(FILE),$(EVAL_FILE)) --start-service

clean:
	rm -rf .cache .pytest_cache .mypy_cache .ruff_cache
