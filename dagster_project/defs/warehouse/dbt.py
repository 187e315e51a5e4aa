"""The dbt project as Dagster assets: every model, seed and snapshot, with dbt tests as asset checks."""

from collections.abc import Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_project import settings


@cache
def dbt_project() -> DbtProject:
    settings.resolve_all()
    project = DbtProject(
        project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR
    )
    project.prepare_if_dev()
    if not project.manifest_path.exists():
        # Outside `dagster dev` (tests, `dagster job execute`, CI) parse once so the manifest exists.
        project.preparer.prepare(project)
    return project


class StudyDbtTranslator(DagsterDbtTranslator):
    """Groups follow the dbt folders: staging_git, staging_github, intermediate, marts_<domain>."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        resource_type = dbt_resource_props.get("resource_type")
        if resource_type == "seed":
            return "study_reference"
        folders = fqn[1:-1]
        return "_".join(folders) if folders else "warehouse"


@dbt_assets(
    manifest=dbt_project().manifest_path,
    dagster_dbt_translator=StudyDbtTranslator(),
    project=dbt_project(),
)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream().fetch_row_counts()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project())
