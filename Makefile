# Every step a fresh machine needs lives here; README's Quickstart and .ci/run call it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= piiwarden-out

.PHONY: demo install test lint sample-data clean

# Install into .venv and scan sample_data/ with its policy; prints where report.html is.
demo: install
	$(BIN)/piiwarden scan sample_data --policy sample_data/policy.yaml -o $(OUT)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The whole test suite (what CI runs).
test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check scanner detectors reports tests scripts bench

# Regenerate sample_data/ (deterministic; the files are committed).
sample-data: install
	$(BIN)/python scripts/make_sample_data.py sample_data

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
