# make run: the bot with a configured token, else the console chat on the shipped corpus.
# make test: the whole suite. Both set everything up themselves.
# make catalogs: after changing the bot's texts, update bot/locale's catalogs (then translate and run it again).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test reindex eval catalogs clean

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

# The .mo files are committed, so a fresh clone needs no compiler; tests/test_translations.py checks
# they match their .po files and that every catalog has every text.
catalogs: $(STAMP)
	$(BIN)/pybabel --quiet extract --omit-header --no-location --sort-output -o bot/locale/citebot.pot bot
	$(BIN)/pybabel --quiet update --ignore-pot-creation-date --no-fuzzy-matching --width=100 -i bot/locale/citebot.pot -d bot/locale -D citebot
	$(BIN)/pybabel compile --statistics -d bot/locale -D citebot

clean:
	rm -rf $(VENV) index/*.npz
