PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-py39 lint plugin bench faults screenshots clean

$(STAMP): requirements-dev.txt code-env/python/spec/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

demo: $(STAMP)
	$(PY) tooling/demo.py

test: $(STAMP) lint
	$(PY) -m pytest

# The suite on Python 3.9, the oldest Python of the code envs the plugin supports (step and macro processes run on
# it too). The import contract is checked by `make test` (it needs Python 3.11+). Usage: make test-py39 PYTHON39=...
VENV39 := .venv39
test-py39:
	@test -n "$(PYTHON39)" || (echo "Set PYTHON39 to a Python 3.9 interpreter." && exit 2)
	$(PYTHON39) -m venv $(VENV39)
	$(VENV39)/bin/python -m pip install --quiet --upgrade pip
	$(VENV39)/bin/python -m pip install --quiet -r requirements-dev.txt
	$(VENV39)/bin/python -m pytest -m "not contract"

lint: $(STAMP)
	$(PY) -m ruff check .
	PYTHONPATH=python-lib:tooling $(VENV)/bin/lint-imports --no-cache

plugin: $(STAMP)
	$(PY) tooling/build_plugin.py

bench: $(STAMP)
	$(PY) tooling/bench.py

faults: $(STAMP)
	$(PY) tooling/faults.py

# The pages the plugin shows, drawn by headless Chromium into docs/screenshots/ (needs chromium).
screenshots: $(STAMP)
	$(PY) tooling/screenshots.py

clean:
	rm -rf $(VENV) $(VENV39) dist build .pytest_cache .ruff_cache
