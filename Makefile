# tap-langdock. Needs only Python 3 (>= 3.10), pip and make; everything else is installed into
# this directory (.venv for the tap, Meltano and the tests; .meltano/ for Meltano's plugins).
#
#   make run    extract with Meltano into output/langdock.duckdb and build the dbt models
#               (Langdock if TAP_LANGDOCK_API_KEY is set, else the bundled emulator)
#   make test   the whole test suite on 4 workers (PostgreSQL tests run when TARGET_POSTGRES_* are set)
#   make lint   ruff check, ruff format --check and mypy (.ci/run runs it before the tests)
#   make bench  benchmarks (python -m benchmarks), when the repository has them
#   make report output/langdock-report.html from the dbt marts in output/langdock.duckdb
#   make dagster  dagster dev on 127.0.0.1:3000, one partition per emulator workspace
#   make run WAREHOUSE=snowflake   the same into Snowflake (TARGET_SNOWFLAKE_*), else into a
#               local Snowflake emulator (fakesnow); WAREHOUSE=postgres into TARGET_POSTGRES_*
#   make run WAREHOUSE=bigquery    into BigQuery (TARGET_BIGQUERY_*), else into a local
#               BigQuery emulator (bqemulator)
#   make install-lanes  the warehouse lanes' tools: dbt for all four adapters, the Snowflake
#               and BigQuery loaders, their emulators in .venv-fakesnow/ and .venv-bqemulator/

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-installs happen only when these files change (or the stamps are removed).
DEV_STAMP := $(VENV)/.make-installed
PLUGINS_STAMP := .meltano/.make-plugins-installed
# The plugins `make run` uses; `meltano install` (no names) installs all of meltano.yml's.
RUN_PLUGINS := tap-langdock target-duckdb dbt
PYTEST_ARGS ?=
# make run WAREHOUSE=duckdb (default) | postgres | snowflake | bigquery
WAREHOUSE ?= duckdb
# The lanes (make install-lanes): Meltano plugins in .meltano/, one venv per emulator.
LANE_PLUGINS := dbt target-duckdb target-snowflake dbt-snowflake target-bigquery dbt-bigquery
LANE_PLUGINS_STAMP := .meltano/.make-lane-plugins-installed
EMULATORS := packages/warehouse-emulators
FAKESNOW_STAMP := .venv-fakesnow/.make-installed
BQEMULATOR_STAMP := .venv-bqemulator/.make-installed
# pytest-xdist workers. 4 on 2 cores: the suite mostly waits on loopback servers and
# subprocesses. Tests sharing a costly fixture stay on one worker (tests/support/workers.py).
# PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= 4

.PHONY: help install install-lanes install-warehouse-emulators install-lane-plugins install-bigquery-emulator run report dagster test lint bench clean

help:
	@echo "make run    extract Langdock usage into output/langdock.duckdb (emulator without TAP_LANGDOCK_API_KEY) and build dbt models"
	@echo "make report build output/langdock-report.html from the marts in output/langdock.duckdb"
	@echo "make dagster  dagster dev on 127.0.0.1:3000 with three emulator workspaces (one partition each)"
	@echo "make test   run the whole test suite"
	@echo "make lint   ruff + mypy"
	@echo "make bench  benchmarks, when present"
	@echo "make clean  remove output/ and dbt's build files"

$(BIN)/python:
	@echo "==> creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "Python >= 3.10 is needed, found " + sys.version.split()[0])'
	@$(PYTHON) -m venv $(VENV) || { \
		echo "==> '$(PYTHON) -m venv' failed (no ensurepip?): trying virtualenv from pip"; \
		rm -rf $(VENV); \
		$(PYTHON) -m pip install --user --quiet virtualenv && $(PYTHON) -m virtualenv --quiet $(VENV); \
	}

$(DEV_STAMP): pyproject.toml packages/langdock-emulator/pyproject.toml packages/langdock-report/pyproject.toml \
		packages/langdock-dagster/pyproject.toml packages/warehouse-emulators/pyproject.toml | $(BIN)/python
	@echo "==> installing tap-langdock, the emulator, the report, Meltano and the test tools into $(VENV)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,warehouse]'
	@# After the tap: a tap-langdock older than the split shipped the emulator's script too.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-e packages/langdock-emulator -e 'packages/langdock-report[postgres,snowflake,bigquery]' \
		-e 'packages/langdock-dagster[postgres]' -e packages/warehouse-emulators
	@touch $@

install: $(DEV_STAMP)

$(PLUGINS_STAMP): meltano.yml pyproject.toml packages/langdock-target-duckdb/pyproject.toml $(DEV_STAMP)
	@echo "==> installing Meltano plugins: $(RUN_PLUGINS)"
	$(BIN)/meltano install $(RUN_PLUGINS)
	@touch $@

run: $(PLUGINS_STAMP)
	@if [ "$(WAREHOUSE)" = snowflake ]; then $(MAKE) --no-print-directory $(LANE_PLUGINS_STAMP) $(FAKESNOW_STAMP); fi
	@if [ "$(WAREHOUSE)" = bigquery ]; then $(MAKE) --no-print-directory $(LANE_PLUGINS_STAMP) $(BQEMULATOR_STAMP); fi
	$(BIN)/python scripts/run_main_job.py --warehouse $(WAREHOUSE)

# Independent installs, run in parallel by `make -j3 install-lanes` (.ci/run does).
install-lanes: $(LANE_PLUGINS_STAMP) $(FAKESNOW_STAMP) $(BQEMULATOR_STAMP)

# The two halves of install-lanes, for .ci/run: the emulators' venvs need only Python, so they
# install while `make install` runs; the lane plugins need Meltano from it.
install-warehouse-emulators: $(FAKESNOW_STAMP) $(BQEMULATOR_STAMP)
install-lane-plugins: $(LANE_PLUGINS_STAMP)

# The BigQuery emulator alone.
install-bigquery-emulator: $(BQEMULATOR_STAMP)

# The .pth lines are inert unless LANGDOCK_FAKESNOW_SHIM / LANGDOCK_BQEMULATOR_SHIM is set
# (only the emulator lanes set them): Meltano drops PYTHONPATH, so this is how the test-only
# adapters get in.
$(LANE_PLUGINS_STAMP): meltano.yml packages/langdock-target-bigquery/pyproject.toml $(DEV_STAMP)
	@echo "==> installing the lanes' Meltano plugins: $(LANE_PLUGINS)"
	$(BIN)/meltano install $(LANE_PLUGINS)
	echo 'import os, sys; shim = os.environ.get("LANGDOCK_FAKESNOW_SHIM"); shim and sys.path.insert(0, shim)' \
		> $$(echo .meltano/loaders/target-snowflake/venv/lib/python*/site-packages)/langdock_fakesnow_shim.pth
	echo 'import os, sys; shim = os.environ.get("LANGDOCK_BQEMULATOR_SHIM"); shim and sys.path.insert(0, shim)' \
		> $$(echo .meltano/loaders/target-bigquery/venv/lib/python*/site-packages)/langdock_bqemulator_shim.pth
	@touch $@

$(FAKESNOW_STAMP): $(EMULATORS)/fakesnow-requirements.txt | $(BIN)/python
	@echo "==> installing the Snowflake emulator (fakesnow) into .venv-fakesnow"
	rm -rf .venv-fakesnow && $(PYTHON) -m venv .venv-fakesnow
	.venv-fakesnow/bin/python -m pip install --quiet --disable-pip-version-check \
		-r $(EMULATORS)/fakesnow-requirements.txt
	@touch $@

# bqemulator loads DuckDB's spatial extension at start and cannot download it offline: it
# comes from the extension's wheel, copied where DuckDB looks (HOME is set to duckdb-home).
$(BQEMULATOR_STAMP): $(EMULATORS)/bqemulator-requirements.txt | $(BIN)/python
	@echo "==> installing the BigQuery emulator (bqemulator) into .venv-bqemulator"
	rm -rf .venv-bqemulator && $(PYTHON) -m venv .venv-bqemulator
	.venv-bqemulator/bin/python -m pip install --quiet --disable-pip-version-check \
		-r $(EMULATORS)/bqemulator-requirements.txt
	mkdir -p .venv-bqemulator/duckdb-home/.duckdb/extensions/v1.5.5/linux_amd64
	cp .venv-bqemulator/lib/python*/site-packages/duckdb_extension_spatial/extensions/v1.5.5/spatial.duckdb_extension \
		.venv-bqemulator/duckdb-home/.duckdb/extensions/v1.5.5/linux_amd64/
	@touch $@

dagster: $(PLUGINS_STAMP)
	$(BIN)/python scripts/dagster_dev.py

report: $(DEV_STAMP)
	$(BIN)/python -m langdock_report --duckdb output/langdock.duckdb --out output/langdock-report.html

test: $(DEV_STAMP)
	$(BIN)/python -m pytest tests -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(DEV_STAMP)
	@if [ -f benchmarks/__main__.py ]; then \
		$(BIN)/python -m benchmarks; \
	else \
		echo "no benchmarks/ package in this checkout yet"; \
	fi

clean:
	rm -rf output transform/target transform/logs
