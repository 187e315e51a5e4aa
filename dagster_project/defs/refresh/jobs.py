"""Jobs of the refresh cycle, chosen by asset keys, groups and kinds (never by importing asset
objects, so the dbt assets are built once, by their own factory)."""

import dagster as dg

from dagster_project.defs.partitions import repository_partitions

REPOSITORY_ASSETS = dg.AssetSelection.keys(
    ["git", "commits"],
    ["git", "modified_files"],
    ["git", "extractions"],
    ["github", "closed_issues"],
    ["github", "issue_crawls"],
)
DBT_ASSETS = dg.AssetSelection.tag("dagster/kind/dbt", "")
#: Assets that ask the outside world (a git remote, GitHub, the candidate list): only running them
#: tells whether anything is new, and their data versions (what they landed) tell the assets
#: downstream whether to build again (docs/incremental-runs.md). The sampled issues' links are not
#: among them: they are fetched when the issue sample changes, their only input.
EXTRACTION_ASSETS = REPOSITORY_ASSETS | dg.AssetSelection.keys(
    ["github", "candidates"], ["github", "repository_metadata"]
)

refresh_selection_job = dg.define_asset_job(
    "refresh_selection",
    # Everything the selection marts are built from, minus the per-repository extraction.
    selection=dg.AssetSelection.groups("marts_selection").upstream().materializable()
    - REPOSITORY_ASSETS,
    description="Load the candidate list, refresh GitHub metadata and recompute the selection.",
    tags={"dagster/max_runtime": str(6 * 3600)},
)

refresh_repository_job = dg.define_asset_job(
    "refresh_repository",
    selection=REPOSITORY_ASSETS,
    partitions_def=repository_partitions,
    description="Mine new commits and refresh closed issues of one repository (incremental).",
    tags={"dagster/max_runtime": str(6 * 3600)},
)

build_warehouse_job = dg.define_asset_job(
    "build_warehouse",
    selection=DBT_ASSETS | dg.AssetSelection.groups("reports"),
    description="dbt build on a private copy of the warehouse (every dbt test an asset check), "
    "published to analysts when it passes; then the study's tables and figures.",
    tags={"dagster/max_runtime": str(2 * 3600)},
)

link_sampled_issues_job = dg.define_asset_job(
    "link_sampled_issues",
    selection=dg.AssetSelection.keys(["github", "issue_links"]),
    description="Fetch the pull requests linked to the sampled closed issues.",
)
