# Quick start: `make run` and `make test`.  Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
ifeq ($(OS),Windows_NT)
  BIN := $(VENV)/Scripts
else
  BIN := $(VENV)/bin
endif
STAMP := $(VENV)/.installed

.PHONY: run test bench clean screenshot

$(STAMP): pyproject.toml
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 'wsconsole needs Python 3.11 or newer; set PYTHON=/path/to/python3.11')"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m wsconsole

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info

# Needs xvfb and Qt's xcb libraries (see DEVELOPERS.md).
screenshot: $(STAMP)
	xvfb-run -a -s "-screen 0 1400x900x24" $(BIN)/python scripts/screenshot.py resources/screenshot.png
	xvfb-run -a -s "-screen 0 1400x900x24" $(BIN)/python scripts/screenshot_relay.py resources/relay-paused.png
	xvfb-run -a -s "-screen 0 1400x900x24" $(BIN)/python scripts/screenshot.py resources/screenshot-1024x640.png --size 1024x640
	xvfb-run -a -s "-screen 0 1400x900x24" $(BIN)/python scripts/screenshot.py resources/screenshot-dark.png --dark --docks
