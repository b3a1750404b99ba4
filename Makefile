.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DATA ?=
ARGS ?=

$(STAMP): requirements.lock pyproject.toml tools/bootstrap.sh tools/apt-packages.txt
	bash tools/bootstrap.sh

$(TEST_STAMP): $(STAMP) tools/apt-packages-test.txt
	bash tools/bootstrap.sh --test

## Create or update the environment (.venv, Debian packages when root)
env: $(STAMP)

## Validate the demo data (or DATA=path) and build every report into outputs/
reports: $(STAMP)
	$(PY) -m analysis build $(if $(DATA),--data $(DATA),) $(ARGS)

## Run the whole test suite
test: $(TEST_STAMP)
	$(PY) -m pytest --durations=15 $(ARGS)

## Check the code style (ruff)
lint: $(STAMP)
	$(VENV)/bin/ruff check analysis tests bench notebooks

## Open JupyterLab on the explore notebook
lab: $(STAMP)
	$(VENV)/bin/jupytext --sync notebooks/explore.py
	$(VENV)/bin/jupyter lab notebooks/explore.ipynb

## Run the benchmarks and print their figures
bench: $(STAMP)
	$(PY) bench/bench_indicators.py
	$(PY) bench/bench_build.py

## Reports per minute, local pool vs a Dask LocalCluster, 1 and 5 provinces (~25 min)
bench-scale: $(STAMP)
	$(PY) bench/bench_scale.py

## Re-resolve requirements.lock from pyproject.toml
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -o requirements.lock

## Remove generated outputs (keeps outputs/.gitkeep)
clean-outputs:
	find outputs -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

## Show this help
help:
	@awk '/^## /{desc=substr($$0,4); next} /^[a-z-]+:/{if(desc){split($$1,t,":"); printf "  make %-14s %s\n", t[1], desc}; desc=""}' $(MAKEFILE_LIST)

.PHONY: env reports test lint lab bench bench-scale lock clean-outputs help
