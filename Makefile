# The two commands a newcomer needs: `make run` and `make test`. Both build their own
# virtual environment (.venv) from the pinned requirements files.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test check lock clean-data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

## run: the whole platform (web, worker, beat) with a demo tenant at http://127.0.0.1:8000
run: $(VENV)/.run-deps
	$(BIN)/python -m devtools.run

## test: lint, format check, types, layer contracts, migrations check and the whole suite
test: $(VENV)/.dev-deps
	sh devtools/ensure_chromium.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m devtools.with_services --purpose test -- \
		sh -c '$(BIN)/python manage.py makemigrations --check --dry-run && $(BIN)/pytest'

## lock: re-pin requirements*.txt from requirements*.in (needs the package registry)
lock:
	rm -rf /tmp/microcred-lock && $(PYTHON) -m venv /tmp/microcred-lock
	/tmp/microcred-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Pinned runtime dependencies: generated from requirements.in (make lock). Do not edit by hand."; \
	  /tmp/microcred-lock/bin/pip freeze; } > requirements.txt
	/tmp/microcred-lock/bin/pip freeze | sort > /tmp/microcred-lock/run.txt
	/tmp/microcred-lock/bin/pip install --quiet -r requirements-dev.in
	{ echo "# Pinned development dependencies: generated from requirements-dev.in (make lock). Do not edit by hand."; \
	  echo "-r requirements.txt"; \
	  /tmp/microcred-lock/bin/pip freeze | sort | comm -13 /tmp/microcred-lock/run.txt -; } > requirements-dev.txt

## clean-data: forget the embedded database, Redis data and uploaded files of `make run`
clean-data:
	rm -rf .data
