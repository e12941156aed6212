PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-py39 compat lint plugin bench faults screenshots clean

$(STAMP): requirements-dev.txt code-env/python/spec/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

demo: $(STAMP)
	$(PY) tooling/demo.py

test: $(STAMP) lint
	$(PY) -m pytest

# The same suite on Python 3.9, the oldest Python of the code envs the plugin supports, in its own virtualenv.
# Usage: make test-py39 PYTHON39=/path/to/python3.9
test-py39:
	@test -n "$(PYTHON39)" || (echo "Set PYTHON39 to a Python 3.9 interpreter." && exit 2)
	$(MAKE) test PYTHON=$(PYTHON39) VENV=.venv39

# The compatibility matrix (noxfile.py): the steps', macros' and simulator's tests with the dataiku-api-client of
# each supported DSS line, each on a Python that line offers (found through pyenv; a missing one is skipped, said so).
compat: $(STAMP)
	$(VENV)/bin/nox --non-interactive -s compat

# import-linter's acyclic contract needs Python 3.11+: on an older Python the contract is left to CI's, and said so.
lint: $(STAMP)
	$(PY) -m ruff check .
	@if [ -x $(VENV)/bin/lint-imports ]; then PYTHONPATH=python-lib:cli:tooling $(VENV)/bin/lint-imports --no-cache; \
	else echo "Import contract not checked: import-linter needs Python 3.11+ ($$($(PY) --version))."; fi

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
	rm -rf .venv .venv39 .nox dist build .pytest_cache .ruff_cache
