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

# torch goes first and pinned: left to pick freely, pip would pull a CUDA build of several GB.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt torch==2.13.0
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

test: install browser
	$(PY) -m pytest -q $(PYTEST_ARGS)
	$(NEWSRAG) eval --llm extractive --report .newsrag/eval-seeds-extractive.json --thresholds evals/thresholds-extractive.json
	$(NEWSRAG) eval --llm local --report .newsrag/eval-seeds-local.json --thresholds evals/thresholds.json
	$(NEWSRAG) eval --gold evals/gold-confusable.jsonl --source evals/corpora/confusable --llm extractive \
	  --report .newsrag/eval-confusable-extractive.json --thresholds evals/thresholds-confusable-extractive.json
	$(NEWSRAG) eval --gold evals/gold-confusable.jsonl --source evals/corpora/confusable --llm local \
	  --report .newsrag/eval-confusable-local.json --thresholds evals/thresholds-confusable.json
	$(NEWSRAG) eval --gold evals/gold-heldout.jsonl --source evals/corpora/heldout --llm extractive \
	  --report .newsrag/eval-heldout-extractive.json --thresholds evals/thresholds-heldout-extractive.json
	$(NEWSRAG) eval --gold evals/gold-heldout.jsonl --source evals/corpora/heldout --llm local \
	  --report .newsrag/eval-heldout-local.json --thresholds evals/thresholds-heldout.json
	$(NEWSRAG) eval --gold evals/gold-heldout2.jsonl --source evals/corpora/heldout2 --llm extractive \
	  --report .newsrag/eval-heldout2-extractive.json --thresholds evals/thresholds-heldout2-extractive.json
	$(NEWSRAG) eval --gold evals/gold-heldout2.jsonl --source evals/corpora/heldout2 --llm local \
	  --report .newsrag/eval-heldout2-local.json --thresholds evals/thresholds-heldout2.json

# Every gold set in both modes; a missed threshold is reported and the next run goes on (`make test` stops).
eval: install
	-$(NEWSRAG) eval --llm extractive --report .newsrag/eval-seeds-extractive.json --thresholds evals/thresholds-extractive.json
	-$(NEWSRAG) eval --llm local --report .newsrag/eval-seeds-local.json --thresholds evals/thresholds.json
	-$(NEWSRAG) eval --gold evals/gold-confusable.jsonl --source evals/corpora/confusable --llm extractive \
	  --report .newsrag/eval-confusable-extractive.json --thresholds evals/thresholds-confusable-extractive.json
	-$(NEWSRAG) eval --gold evals/gold-confusable.jsonl --source evals/corpora/confusable --llm local \
	  --report .newsrag/eval-confusable-local.json --thresholds evals/thresholds-confusable.json
	-$(NEWSRAG) eval --gold evals/gold-heldout.jsonl --source evals/corpora/heldout --llm extractive \
	  --report .newsrag/eval-heldout-extractive.json --thresholds evals/thresholds-heldout-extractive.json
	-$(NEWSRAG) eval --gold evals/gold-heldout.jsonl --source evals/corpora/heldout --llm local \
	  --report .newsrag/eval-heldout-local.json --thresholds evals/thresholds-heldout.json
	-$(NEWSRAG) eval --gold evals/gold-heldout2.jsonl --source evals/corpora/heldout2 --llm extractive \
	  --report .newsrag/eval-heldout2-extractive.json --thresholds evals/thresholds-heldout2-extractive.json
	-$(NEWSRAG) eval --gold evals/gold-heldout2.jsonl --source evals/corpora/heldout2 --llm local \
	  --report .newsrag/eval-heldout2-local.json --thresholds evals/thresholds-heldout2.json

bench: install
	$(NEWSRAG) bench --report .newsrag/bench.json

clean:
	rm -rf .newsrag .pytest_cache
