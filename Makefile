PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint plugin bench clean

$(STAMP): requirements-dev.txt code-env/python/spec/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

demo: $(STAMP)
	$(PY) tooling/demo.py

test: $(STAMP) lint
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	PYTHONPATH=python-lib:tooling $(VENV)/bin/lint-imports --no-cache

plugin: $(STAMP)
	$(PY) tooling/build_plugin.py

bench: $(STAMP)
	$(PY) tooling/bench.py

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache
