"""The one Definitions object of the project: every asset, check, resource, schedule and sensor."""

import dagster as dg

from dagster_project import settings
from dagster_project.defs.git.assets import git_history
from dagster_project.defs.git.resources import git_source_resource
from dagster_project.defs.github.assets import (
    candidates,
    closed_issue_history,
    issue_links,
    repository_metadata,
)
from dagster_project.defs.github.resources import github_resource
from dagster_project.defs.refresh.jobs import (
    build_warehouse_job,
    link_sampled_issues_job,
    refresh_repository_job,
    refresh_selection_job,
)
from dagster_project.defs.refresh.schedules import (
    daily_repository_refresh,
    daily_warehouse_build,
    weekly_selection_refresh,
)
from dagster_project.defs.refresh.sensors import repository_partitions_from_selection
from dagster_project.defs.reports.assets import study_report
from dagster_project.defs.warehouse.dbt import dbt_resource, warehouse_dbt_models
from dagster_project.defs.warehouse.resources import duckdb_resource

settings.resolve_all()

defs = dg.Definitions(
    assets=[
        candidates,
        repository_metadata,
        git_history,
        closed_issue_history,
        issue_links,
        warehouse_dbt_models,
        study_report,
    ],
    jobs=[
        refresh_selection_job,
        refresh_repository_job,
        build_warehouse_job,
        link_sampled_issues_job,
    ],
    schedules=[daily_repository_refresh, weekly_selection_refresh, daily_warehouse_build],
    sensors=[repository_partitions_from_selection],
    resources={
        "dbt": dbt_resource(),
        "git": git_source_resource(),
        "github": github_resource(),
        "duckdb": duckdb_resource(),
    },
)
