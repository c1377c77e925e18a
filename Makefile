# intsync: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: install demo test test-fast lint format postgres browser bench clean orchestrate

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

postgres:
	@scripts/ensure-postgres

# Debian's chromium and chromium-driver, for the status page's browser tests (apt-get if missing)
browser:
	@scripts/ensure-browser

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install postgres browser lint
	$(PY) -m pytest -q $(PYTEST_ARGS)

# The only target that runs without PostgreSQL: its tests skip instead of failing.
test-fast: export INTSYNC_TEST_PG_OPTIONAL = 1
test-fast: install postgres
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

orchestrate: install
	$(VENV)/bin/intsync orchestrate setup
	$(VENV)/bin/intsync orchestrate deploy

demo: install
	$(VENV)/bin/intsync demo

bench: install
	$(PY) bench/mapping.py
	$(PY) bench/sync.py

clean:
	rm -rf .intsync build dist *.egg-info
