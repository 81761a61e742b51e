# newsrag: `make chat` and `make test` are all the set-up a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
NEWSRAG := $(PY) -m ui.cli
PYTEST_ARGS ?=

.PHONY: install chat test index eval eval-local bench browser lock clean

install: $(STAMP)

# llama.cpp built for the machine it is built on (-march=native) takes its AMX path on Intel
# Sapphire Rapids and newer, and that path segfaults at the model's first token
# (ggml-org/llama.cpp#20824; seen here 2026-12-02 on a machine with amx_int8). It is built
# portable instead (AVX2, FMA, F16C), from source, once per venv: LLAMA_MARK records it, and a
# venv built before it gets the portable build on its next `make install`.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF
LLAMA_MARK := $(VENV)/.llama-portable

# torch goes first and pinned: left to pick freely, pip would pull a CUDA build of several GB.
$(STAMP): pyproject.toml constraints.txt Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt torch==2.13.0
	@test -f $(LLAMA_MARK) || { echo "building llama.cpp (portable, a few minutes)"; \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install -q --disable-pip-version-check --no-cache-dir \
		--no-binary llama-cpp-python --force-reinstall --no-deps -c constraints.txt llama-cpp-python && touch $(LLAMA_MARK); }
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $(STAMP)

# Regenerate the lock after changing dependencies in pyproject.toml.
lock: install
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e ' | grep -vi '^newsrag' > constraints.txt

index: install
	$(NEWSRAG) index

chat: install
	$(NEWSRAG) chat

# Debian's chromium for the browser test (Playwright's own browser download does not work offline).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: the browser test will be skipped"; }

# The gold sets, each in both modes (extractive, then the embedded default `local`): the seeds'
# set over the default index, the others over their folders under evals/corpora (an index each,
# cached under .newsrag/cache). Thresholds: evals/thresholds[-NAME][-extractive].json.
GOLD_SETS := seeds confusable heldout heldout2 heldout3 heldout4 heldout5 heldout6 heldout7 heldout8 heldout9 heldout10 heldout11 heldout12 heldout13 heldout14 heldout15
gold_args = $(if $(filter seeds,$(1)),,--gold evals/gold-$(1).jsonl --source evals/corpora/$(1))
thresholds = evals/thresholds$(if $(filter seeds,$(1)),,-$(1))$(if $(filter extractive,$(2)),-extractive).json
eval_one = $(NEWSRAG) eval $(call gold_args,$(1)) --llm $(2) --report .newsrag/eval-$(1)-$(2).json \
	--thresholds $(call thresholds,$(1),$(2))
EVAL_RUNS := $(foreach s,$(GOLD_SETS),$(s)/extractive $(s)/local)

test: install browser
	$(PY) -m pytest -q $(PYTEST_ARGS)
	@set -e; $(foreach r,$(EVAL_RUNS),echo "== eval $(r)"; $(call eval_one,$(word 1,$(subst /, ,$(r))),$(word 2,$(subst /, ,$(r))));)

# Every gold set in both modes; a missed threshold is reported and the next run goes on (`make test` stops).
eval: install
	@failed=0; $(foreach r,$(EVAL_RUNS),echo "== eval $(r)"; $(call eval_one,$(word 1,$(subst /, ,$(r))),$(word 2,$(subst /, ,$(r)))) || failed=1;) exit $$failed

bench: install
	$(NEWSRAG) bench --report .newsrag/bench.json

clean:
	rm -rf .newsrag .pytest_cache
