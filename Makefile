# Retail AI Lab: the two commands are `make book` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := book

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
LOCK   := requirements/lock.txt
ENV_STAMP    := $(VENV)/.installed
VENDOR_STAMP := book/_static/vendor/.installed
NBVAL_FLAGS  := --nbval --nbval-current-env --nbval-cell-timeout=900 \
                --nbval-sanitize-with tests/nbval_sanitize.cfg
# make test runs on TEST_WORKERS pytest-xdist workers (0: one process). --dist loadfile gives
# a worker a whole test file or a whole notebook (its cells share one kernel, in order).
TEST_WORKERS ?= 2
XDIST_FLAGS  := -n $(TEST_WORKERS) --dist loadfile

.PHONY: book test unit env lock vendor bench seeds lm-study scaling notebooks student lab clean zh-status

## make book: install what is missing, then render the book (stored outputs) into _build/html,
## and its Chinese edition (the same notebooks, prose translated) into _build/html/zh
book: $(ENV_STAMP) $(VENDOR_STAMP)
	@echo "== building the book (Sphinx warnings are errors) =="
	$(BIN)/jupyter-book build . --builder html -W --keep-going
	@echo "== building the Chinese edition into _build/html/zh (warnings are errors) =="
	$(BIN)/python tools/zh_edition.py build

## make test: unit tests and docstring examples, every notebook re-executed and compared (nbval),
## and the render check, on two workers (TEST_WORKERS=0 for one process)
test: $(ENV_STAMP) $(VENDOR_STAMP)
	@bash tools/ensure_chromium.sh
	@bash tools/ensure_java.sh
	@echo "== unit tests, notebooks (nbval) and render check =="
	$(BIN)/python -m pytest tests retail_lab notebooks --doctest-modules $(NBVAL_FLAGS) $(XDIST_FLAGS) $(PYTEST_ARGS)

## make unit: unit tests and docstring examples only (no notebooks, no browser, no npm, no
## Spark session): the everyday check while changing the package; `make test` stays the full check
unit: $(ENV_STAMP)
	@echo "== unit tests and docstring examples =="
	$(BIN)/python -m pytest tests retail_lab --doctest-modules -m "not render and not spark" $(XDIST_FLAGS) $(PYTEST_ARGS)

## make env: .venv with the package, every extra (book, test, lab, keras) at the locked versions
env: $(ENV_STAMP)
vendor: $(VENDOR_STAMP)

## make lock: regenerate requirements/lock.txt from pyproject.toml's ranges, keeping the pinned
## versions (UPGRADE=1: move every pin to the newest allowed version); see tools/lock.sh
lock:
	PYTHON=$(PYTHON) bash tools/lock.sh

$(ENV_STAMP): pyproject.toml $(LOCK)
	@echo "== creating $(VENV) with $(PYTHON) and installing from $(LOCK) =="
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --constraint $(LOCK) --editable ".[book,test,lab,keras]"
	touch $@

$(VENDOR_STAMP): tools/vendor/package.json tools/vendor/package-lock.json tools/vendor_js.py
	@echo "== vendoring mermaid and MathJax from the npm registry (the book renders offline) =="
	npm ci --prefix tools/vendor --no-audit --no-fund --ignore-scripts --loglevel=error
	$(PYTHON) tools/vendor_js.py
	touch $@

## make notebooks: re-execute chapters in place from a fresh kernel (after changing one), then
## regenerate what derives from them: the reader editions and the API usage index
notebooks: $(ENV_STAMP)
	$(BIN)/python tools/execute_notebooks.py $(NB)
	$(BIN)/python tools/reader_edition.py
	$(BIN)/python tools/api_usage.py

## make student: the reader editions in plain Markdown from the executed chapters: student/
## (no solutions, no outputs) and chapters/ (full, solutions folded), in English and, in
## student/zh/ and chapters/zh/, in Chinese
student: $(ENV_STAMP)
	$(BIN)/python tools/reader_edition.py

## make bench: time and measure every notebook; writes book/_generated/benchmarks.md
bench: $(ENV_STAMP)
	$(BIN)/python tools/benchmark.py

## make seeds: chapter 5's models and chapter 6.1's re-rankers over three seeds and a second split
## (about 25 minutes on 2 cores); writes book/_generated/recsys_seeds.csv and rerank_seeds.csv,
## which the chapters read. Rerun after changing
## retail_lab/recsys/settings.py (tests/test_recsys_build.py fails until then)
seeds: $(ENV_STAMP)
	$(BIN)/python tools/seed_study.py
	$(BIN)/python tools/seed_study.py --study rerank

## make lm-study: appendix B's study (fine-tuned transformer against the classical models over
## seeds and splits, and the scaling curve); writes book/_generated/lm_study.csv
lm-study: $(ENV_STAMP)
	$(BIN)/python tools/lm_study.py

## make scaling: appendix C's scaling study (the single-machine path and Spark local[2] on
## simulated shops 1, 4, 16 and 64 times Online Retail, each run with a time and memory limit;
## about an hour on 2 cores); writes book/_generated/scaling.csv, which the appendix plots
scaling: $(ENV_STAMP)
	@bash tools/ensure_java.sh
	$(BIN)/python tools/scaling_study.py

## make lab: install the package and its `lab` extra (exact versions from the lock) and open
## JupyterLab at the repository root, in student/ (chapters/ holds the full edition)
lab:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --constraint $(LOCK) --editable ".[lab]"
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/student \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

clean:
	rm -rf _build book/_static/vendor

## make zh-status: what of the Chinese edition needs (re-)translation after the English changed
zh-status: $(ENV_STAMP)
	$(BIN)/python tools/zh_edition.py status
