# The two commands of the README. Both install what they need (uv, then the locked environment).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
# Compile the environment's bytecode once at install: where PYTHONDONTWRITEBYTECODE is set (as on
# this project's CI machines) every Python process would otherwise compile ~2,700 modules again,
# seconds per Dagster run worker, dbt or `python -m demo` process.
export UV_COMPILE_BYTECODE := 1

.PHONY: run test test-fast dev lint uv

# uv off PATH (installed here, or by an earlier run): say how to reach it, since the docs' commands
# are `uv run ...` typed in a new shell.
uv:
	@command -v uv >/dev/null 2>&1 || { \
		[ -x "$(UV)" ] || python3 -m pip install --user --quiet uv 2>/dev/null \
			|| python3 -m pip install --user --quiet --break-system-packages uv; \
		echo "note: uv is in $(dir $(UV)), not on your PATH; for the docs' 'uv run ...' commands:" \
			'export PATH="$$HOME/.local/bin:$$PATH"' >&2; }

run: uv
	$(UV) sync --frozen
	$(UV) run python -m demo $(if $(VERBOSE),--verbose)

test: uv
	$(UV) sync --frozen
	$(UV) run pytest

# The quick loop while changing code: everything but the tests marked slow (dbt builds of generated
# studies, the sample end to end, the browser). `make test` and CI run them all.
test-fast: uv
	$(UV) sync --frozen
	$(UV) run pytest -m "not slow"

dev: uv
	$(UV) sync --frozen
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/dagster_home} $(UV) run dagster dev -w workspace.yaml

lint: uv
	$(UV) sync --frozen
	$(UV) run ruff check . && $(UV) run ruff format --check .
	# Types of the product packages, and every imported module a declared dependency (pyproject).
	$(UV) run mypy && $(UV) run deptry .
	# sqlfluff's dbt templater compiles the project: give it a throwaway warehouse.
	d=$$(mktemp -d) && MMS_DUCKDB_PATH=$$d/warehouse.duckdb MMS_DBT_BUILD_PATH=$$d/build.duckdb $(UV) run sqlfluff lint dbt/models dbt/tests
