# Every step a fresh machine needs lives here; README's Quickstart and .ci/run call it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= piiwarden-out

.PHONY: demo install test lint sample-data clean browser java ocr bench

# Install into .venv and scan sample_data/ with its policy; prints where report.html is.
demo: install
	$(BIN)/piiwarden scan sample_data --policy sample_data/policy.yaml -o $(OUT)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Lint and type check, then the whole test suite (what CI runs: .ci/run).
test: install browser java ocr lint
	$(BIN)/python -m pytest -q

# Debian's chromium (+ a CJK font for zh screenshots) for the report's browser test.
# Installed only when missing; without root outside CI the browser test skips, in CI it fails.
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends chromium fonts-wqy-microhei \
	  || { apt-get update -q && apt-get install -y -q --no-install-recommends chromium fonts-wqy-microhei; }; \
	elif [ -n "$$CI" ]; then echo "error: $(CHROMIUM) missing and cannot install it (need root and apt-get)" >&2; exit 1; \
	else echo "warning: $(CHROMIUM) missing; browser tests will be skipped (run 'sudo make browser')" >&2; fi

# A Java runtime for the Spark engine's tests (tests/test_spark_engine.py): skipped without one, failing in CI.
java:
	@if command -v java >/dev/null || [ -n "$$JAVA_HOME" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends default-jre-headless \
	  || { apt-get update -q && apt-get install -y -q --no-install-recommends default-jre-headless; }; \
	elif [ -n "$$CI" ]; then echo "error: java missing and cannot install it (need root and apt-get)" >&2; exit 1; \
	else echo "warning: java missing; Spark engine tests will be skipped" >&2; fi

# Tesseract with its Simplified Chinese model for `--ocr` (scanned ID cards, image-only PDF pages), and the
# CJK font tests/documents/test_ocr.py draws its synthetic ID card with: skipped without them, failing in CI.
OCR_FONT ?= /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
ocr:
	@if command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx chi_sim && [ -f $(OCR_FONT) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-microhei \
	  || { apt-get update -q && apt-get install -y -q --no-install-recommends tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-microhei; }; \
	elif [ -n "$$CI" ]; then echo "error: tesseract (chi_sim) or the CJK font missing and cannot install it (need root and apt-get)" >&2; exit 1; \
	else echo "warning: tesseract (chi_sim) or the CJK font missing; OCR tests will be skipped (run 'sudo make ocr')" >&2; fi

# The scan benchmark against presidio-structured, BatchAnalyzerEngine and the RE2 floor (bench/README.md).
# Add BENCH_ARGS="--big-csv-mb 2000" for the peak-RSS run on a 2 GB CSV.
bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.scan_bench $(BENCH_ARGS)

# ruff over all Python; mypy over the product (scanner/, detectors/, reports/: [tool.mypy] in pyproject.toml).
lint: install
	$(BIN)/ruff check scanner detectors reports tests scripts bench
	$(BIN)/mypy

# Regenerate sample_data/ (deterministic; the files are committed).
sample-data: install
	$(BIN)/python scripts/make_sample_data.py sample_data

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
