# meetbot: `make run` starts the bot (the sandbox when nothing is configured); `make test` tests it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck bench browser-deps speech-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
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

clean:
	rm -rf $(VENV) *.egg-info .mypy_cache .ruff_cache
