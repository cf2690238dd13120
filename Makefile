# make run: the bot with a configured token, else the console chat on the shipped corpus.
# make test: the whole suite. Both set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test reindex eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

config.yaml:
	cp config.example.yaml config.yaml

run: $(STAMP) config.yaml
	$(BIN)/citebot run

test: $(STAMP)
	$(BIN)/python -m pytest -q

reindex: $(STAMP) config.yaml
	$(BIN)/citebot reindex

eval: $(STAMP) config.yaml
	$(BIN)/citebot eval ../shared/eval/dev.yaml

clean:
	rm -rf $(VENV) index/*.npz
