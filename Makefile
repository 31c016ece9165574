# meetbot: `make run` starts the bot (the sandbox when nothing is configured); `make test` tests it.
# Everything installs from uv.lock (frozen): a new release of a dependency changes nothing here
# until `make upgrade` refreshes the lock and the suite passes on it.
PYTHON     ?= python3
VENV       ?= .venv
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.installed
TOOLS      := .tools
UV_VERSION := 0.13.10
UV         := $(TOOLS)/bin/uv
LATEST     := .venv-latest

# uv uses this machine's Python (never downloads one) and installs into $(VENV).
export UV_PYTHON_DOWNLOADS     := never
export UV_PROJECT_ENVIRONMENT  := $(VENV)

.PHONY: run test lint typecheck bench browser-deps speech-deps clean upgrade test-latest

# uv itself, pinned, in a small virtual environment of its own.
$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# The whole dependency set exactly as locked; fails if uv.lock is out of date with pyproject.toml.
$(STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --extra dev --python $(PYTHON) --quiet
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/meetbot serve

test: $(STAMP) browser-deps speech-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Headless Chromium for the sandbox page test (Debian's package; no browser download).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "chromium not found: the browser test will be skipped"; fi; }

# espeak-ng synthesizes the speech the transcription tests listen to (Debian's package).
speech-deps:
	@command -v espeak-ng >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng) >/dev/null; \
	  else echo "espeak-ng not found: install it (apt install espeak-ng) for the speech tests"; fi; }

bench: $(STAMP)
	$(BIN)/python bench/ack.py
	$(BIN)/python bench/recorder.py
	$(BIN)/python bench/transcribe.py
	$(BIN)/python bench/results.py
	$(BIN)/python bench/video.py

# Refresh the lock to the newest versions pyproject.toml allows; run `make test` before committing it.
upgrade: | $(UV)
	$(UV) lock --upgrade --python $(PYTHON)
	rm -f $(STAMP)

# The suite against the newest allowed versions, in a separate environment, lock untouched:
# drift shows up here as a failing target, not as a red main.
test-latest: | $(UV) browser-deps speech-deps
	$(UV) pip compile --quiet --upgrade --extra dev --python $(PYTHON) pyproject.toml -o $(LATEST).txt
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(LATEST)
	$(UV) pip sync --quiet --python $(LATEST)/bin/python $(LATEST).txt
	$(UV) pip install --quiet --no-deps --python $(LATEST)/bin/python -e .
	$(UV) pip list --format=freeze --python $(LATEST)/bin/python 2>/dev/null | grep -iE '^(av|aiortc|aiohttp|slack-bolt|numpy)=' || true
	$(LATEST)/bin/pytest -q

clean:
	rm -rf $(VENV) $(LATEST) $(LATEST).txt $(TOOLS) *.egg-info .mypy_cache .ruff_cache
