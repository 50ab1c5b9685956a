# leadscore — run `make` or `make help` to list the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

DATA ?= data/raw/synthetic-b2b
LEADS ?= 20000
SEED ?= 42
PROFILE ?= b2b

CUTOFFS ?= monthly:2025-01-01:2025-12-01
HORIZON ?= 90
TRAIN_ARGS ?=
FLAT ?= data/raw/crm_export.csv
AS_OF ?=
SCORES ?= data/scores/scores.csv
EXPLAIN ?= all
LANG_REASONS ?= en

.PHONY: help setup demo data validate oracle features train train-flat score compare report mlflow-ui \
	test lint format bench bench-flat clean-cache clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-11s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  Variables: DATA=$(DATA) LEADS=$(LEADS) SEED=$(SEED) PROFILE=$(PROFILE)"
	@echo "             CUTOFFS=$(CUTOFFS) HORIZON=$(HORIZON) TRAIN_ARGS=$(TRAIN_ARGS) FLAT=$(FLAT)"
	@echo "             AS_OF=$(AS_OF) SCORES=$(SCORES) EXPLAIN=$(EXPLAIN) LANG_REASONS=$(LANG_REASONS)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("leadscore needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

setup: $(STAMP) ## Create .venv and install leadscore with its dev extras

data: $(STAMP) ## Generate the synthetic dataset into DATA (LEADS, SEED, PROFILE)
	$(BIN)/leadscore generate --out $(DATA) --profile $(PROFILE) --leads $(LEADS) --seed $(SEED)

validate: $(STAMP) ## Check the dataset in DATA against the data contract
	$(BIN)/leadscore validate --data $(DATA)

oracle: $(STAMP) ## Best achievable AUC on the synthetic DATA (from its ground truth)
	$(BIN)/leadscore oracle --data $(DATA)

features: $(STAMP) ## Build the training table data/processed/training.parquet (cached: train, compare reuse it)
	$(BIN)/leadscore features --data $(DATA) --cutoffs $(CUTOFFS) --horizon-days $(HORIZON) \
		--out data/processed/training.parquet

train: $(STAMP) ## Train and compare hand-set points, learned points and LightGBM (TRAIN_ARGS=--tune)
	$(BIN)/leadscore train --data $(DATA) --cutoffs $(CUTOFFS) --horizon-days $(HORIZON) \
		--metrics-out reports/metrics.json $(TRAIN_ARGS)
	$(BIN)/leadscore export --out models/champion

train-flat: $(STAMP) ## Train on one flat export FLAT (writes a messy sample first if FLAT is missing)
	@test -f $(FLAT) || $(BIN)/leadscore generate-flat --out $(FLAT)
	$(BIN)/leadscore train --table $(FLAT) --target Converted --id "Lead ID" \
		--time-col "Created Date" --out-dir reports/flat --metrics-out reports/flat/metrics.json \
		--no-track $(TRAIN_ARGS)

score: $(STAMP) ## Score DATA as of AS_OF (default: its last day) with the champion -> SCORES
	$(BIN)/leadscore score --data $(DATA) $(if $(AS_OF),--as-of $(AS_OF)) --out $(SCORES) \
		--accounts-out $(dir $(SCORES))accounts.csv --explain $(EXPLAIN) --lang $(LANG_REASONS)

compare: $(STAMP) ## Learned vs hand-set points and what-if grading for the champion's run
	$(BIN)/leadscore compare --data $(DATA)

report: $(STAMP) ## One HTML page for the champion's run and the newest scores -> reports/
	$(BIN)/leadscore report --out reports/leadscore_report.html

mlflow-ui: $(STAMP) ## Open the MLflow UI on http://127.0.0.1:5000 (runs, metrics, registry)
	$(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000

demo: $(STAMP) ## Whole job on synthetic data: generate, features, train, score, compare, report
	$(MAKE) --no-print-directory data validate oracle features
	$(MAKE) --no-print-directory train TRAIN_ARGS="--promote $(TRAIN_ARGS)"
	$(MAKE) --no-print-directory score compare report
	@echo
	@echo "Done. Outputs:"
	@echo "  data/raw/synthetic-b2b/      synthetic CRM export (ground_truth/ is hidden from the models)"
	@echo "  data/processed/training.parquet  point-in-time training table (+ _catalogue.csv)"
	@echo "  reports/metrics.json, reports/model_comparison.csv  the three models on held-out leads"
	@echo "  reports/points_comparison.csv, reports/what_if.csv  learned vs hand-set points"
	@echo "  reports/figures/*.png        ROC, precision-recall, calibration, gains, grades, points"
	@echo "  $(SCORES), $(dir $(SCORES))accounts.csv  scores with reasons, accounts"
	@echo "  reports/leadscore_report.html  the one-page report (open it in a browser)"
	@echo "  models/champion/             the champion's bundle (lightgbm.txt, bundle.json, manifest.json)"
	@echo "  mlflow.db, mlruns/           MLflow runs and registry: make mlflow-ui"

test: lint ## Lint (ruff) and run the test suite (pytest, doctests included)
	$(BIN)/python -m pytest

lint: $(STAMP) ## Check style and formatting with ruff
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP) ## Format and auto-fix the code with ruff
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP) bench-flat ## Measure generation, features (10M/50M events), training (1M rows), scoring (1M leads), nightly runs, flat tables
	$(BIN)/python benchmarks/bench_generate.py
	$(BIN)/python benchmarks/bench_features.py
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_score.py
	$(BIN)/python benchmarks/bench_nightly.py
	$(BIN)/python benchmarks/bench_engines.py

bench-flat: $(STAMP) ## Flat exports: models against baselines, the leakage audit over 5 seeds, learned points (~5 min)
	$(BIN)/python benchmarks/bench_flat.py
	$(BIN)/python benchmarks/bench_leakage.py
	$(BIN)/python benchmarks/bench_points.py

clean-cache: $(STAMP) ## Remove the staged copies of the input data in data/interim
	$(BIN)/leadscore cache --clear

clean: ## Remove generated data, caches and the virtual environment
	rm -rf $(VENV) .pytest_cache .ruff_cache data/raw/synthetic-* data/interim/* data/processed/* \
		data/scores
	@touch data/interim/.gitkeep data/processed/.gitkeep
