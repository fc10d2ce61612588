# Set-up and the main jobs. Every target creates .venv and installs what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lab lint bench system-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (lifecycle_widgets)" >/dev/null
	touch $@

## Run every template notebook headless on the bundled demo data; print where the results are.
demo: $(STAMP)
	$(BIN)/lifecycle-widgets demo --notebooks notebooks --out demo_output

## Run the whole test suite: unit, notebook (papermill), Binder environment and browser tests.
test: $(STAMP) system-deps
	$(BIN)/ruff check lifecycle_widgets tests benchmarks notebooks
	$(BIN)/python -m pytest

## Open JupyterLab on the notebooks.
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

## Side-by-side benchmarks against peer tools (each makes its peers' venvs itself); see benchmarks/.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_profile.py
	$(BIN)/python benchmarks/panel_payload.py
	$(BIN)/python benchmarks/bench_drift.py
	$(BIN)/python benchmarks/bench_explain.py
	$(BIN)/python benchmarks/bench_runs.py
	$(BIN)/python benchmarks/bench_scale.py

## Debian's Chromium for the browser tests (playwright cannot download browsers here).
system-deps:
	bash .ci/system-deps.sh

clean:
	rm -rf $(VENV) demo_output .pytest_cache
