"""The dbt project as Dagster assets: every model and seed, with dbt tests as asset checks."""

import json
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_project import settings

# Dagster keeps its own manifest, so `dbt` runs by hand in dbt/ (with other settings) never replace it.
DAGSTER_TARGET_PATH = Path("target/dagster")


def dbt_executable() -> str:
    """dbt from the interpreter's own environment: `.venv/bin/dagster dev` started without an
    activated venv has no dbt on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def _manifest_is_current(project: DbtProject) -> bool:
    """The manifest bakes in the warehouse's database name (the DuckDB file's stem) and the landing
    directory; a manifest parsed under other settings would point row counts at the wrong catalog."""
    if not project.manifest_path.exists():
        return False
    parsed_at = project.manifest_path.stat().st_mtime
    sources = [project.project_dir / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources += (project.project_dir / folder).rglob("*")
    if any(path.is_file() and path.stat().st_mtime > parsed_at for path in sources):
        return False  # the project changed since the last parse
    try:
        manifest = json.loads(project.manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    sources = list(manifest.get("sources", {}).values())
    landing = str(settings.landing_dir())
    return bool(sources) and all(
        source.get("database") == settings.duckdb_path().stem
        and landing in (source.get("external_location") or landing)
        for source in sources
    )


@cache
def dbt_project() -> DbtProject:
    settings.resolve_all()
    project = DbtProject(
        project_dir=settings.DBT_PROJECT_DIR,
        profiles_dir=settings.DBT_PROJECT_DIR,
        target_path=DAGSTER_TARGET_PATH,
    )
    if not _manifest_is_current(project):
        # Parse once, and again whenever the project or MMS_DUCKDB_PATH / MMS_LANDING_DIR changed
        # since the last parse; with the environment's own dbt (dagster-dbt's preparer looks on PATH).
        DbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(
            ["parse", "--quiet"], target_path=project.target_path
        ).wait()
    return project


class StudyDbtTranslator(DagsterDbtTranslator):
    """Groups follow the dbt folders: staging_git, intermediate, marts_selection, ..."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "seed":
            return "study_reference"
        folders = dbt_resource_props.get("fqn", [])[1:-1]
        return "_".join(folders) if folders else "warehouse"


@dbt_assets(
    manifest=dbt_project().manifest_path,
    dagster_dbt_translator=StudyDbtTranslator(),
    project=dbt_project(),
    # dbt is the warehouse's writer: one DuckDB writer at a time.
    pool="duckdb",
)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    # When Dagster builds a subset (e.g. only the selection marts), run only the tests whose parents
    # are all in it: a test that also reads an unbuilt model would fail for the wrong reason.
    args = ["build", "--indirect-selection", "cautious"]
    try:
        yield from dbt.cli(args, context=context).stream().fetch_row_counts()
    finally:
        _release_warehouse()


def _release_warehouse() -> None:
    """fetch_row_counts opens the warehouse through dbt-duckdb's adapter inside this process and
    leaves it open (dbt-duckdb's close_all_connections drops its environment without closing it).
    Close it, so whatever runs next in the same process (in-process runs, the sample, tests) can
    open the file with its own settings."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
    if environment is not None:
        environment.close()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable())
