"""Jobs of the refresh cycle: selection weekly, per-repository extraction daily, then the warehouse."""

import dagster as dg

from dagster_project.defs.git.assets import git_history
from dagster_project.defs.github.assets import (
    closed_issue_history,
    issue_links,
)
from dagster_project.defs.partitions import repository_partitions
from dagster_project.defs.reports.assets import study_report
from dagster_project.defs.warehouse.dbt import warehouse_dbt_models

refresh_selection_job = dg.define_asset_job(
    "refresh_selection",
    # Everything the selection marts are built from, minus the per-repository extraction.
    selection=dg.AssetSelection.groups("marts_selection").upstream().materializable()
    - dg.AssetSelection.assets(git_history, closed_issue_history),
    description="Load the candidate list, refresh GitHub metadata and recompute the selection.",
)

refresh_repository_job = dg.define_asset_job(
    "refresh_repository",
    selection=dg.AssetSelection.assets(git_history, closed_issue_history),
    partitions_def=repository_partitions,
    description="Mine new commits and refresh closed issues of one repository (incremental).",
)

build_warehouse_job = dg.define_asset_job(
    "build_warehouse",
    selection=dg.AssetSelection.assets(warehouse_dbt_models, study_report),
    description="dbt build (staging, intermediate, marts; every dbt test an asset check), then the "
    "study's tables and Figure 1.",
)

link_sampled_issues_job = dg.define_asset_job(
    "link_sampled_issues",
    selection=dg.AssetSelection.assets(issue_links),
    description="Fetch the pull requests linked to the sampled closed issues.",
)
