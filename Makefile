# policy-search — set up, run, test, benchmark.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test test-fast bench bench-load lint clean parse-report

install: $(STAMP)

# torch is pinned to the CPU build that lies on this kind of machine; an
# unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "torch==2.13.0"
	$(BIN)/python -m pip install -q -e ".[all]"
	touch $(STAMP)

# Builds the index from corpus/ when there is none, then serves on http://127.0.0.1:8000
run: install
	$(BIN)/policy-search serve --host 127.0.0.1 --port 8000

# pytest's exit code 5 (no tests collected) is not a failure of the suite.
test: install
	$(BIN)/python -m pytest -q -ra; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

test-fast: install
	$(BIN)/python -m pytest -q -m "not integration and not eval"; rc=$$?; if [ $$rc -eq 5 ]; then exit 0; fi; exit $$rc

bench: install
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/bench_load.py

# 32 concurrent clients against /v1/search and /v1/ask for 60 s (SECONDS=20 for a shorter run)
bench-load: install
	$(BIN)/python bench/bench_load.py --seconds $(or $(SECONDS),60)

lint: install
	$(BIN)/ruff check ingest index search api policy_search tests bench scripts
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data .pytest_cache

# Scale benchmark (not part of CI, ~15 min): synthetic corpora 10x/100x (full
# index) and 1000x (vectors only); writes docs/scale/results.json and *.png.
.PHONY: bench-scale
bench-scale: install
	$(BIN)/python bench/bench_scale.py --factors 1,100,1000 --milvus-max 300000

# Parse the whole bulk archive (3,465 real laws, regulations, cases; ~15 s on 2 cores):
# exceptions, hangs, time per document, articles found against printed, jurisdictions,
# invented titles. BULK=path/to/folder-or-archive to parse another collection.
BULK ?= ../shared/bulk/lawrefbook-regulations.tar.xz
parse-report: install
	$(BIN)/python bench/parse_report.py $(BULK) --out bench/out/parse-report.json --summary-out docs/bulk/parse-summary.json
