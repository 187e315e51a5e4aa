"""The one entry point: every definition under dagster_project/defs/, found by Dagster's loader.

Each domain keeps its assets, resources, jobs, schedules and sensors in its own folder; nothing is
listed by hand here, and nothing runs at import (settings are read and the dbt project is parsed
when the definitions load). `make run`, the tests and `dg check defs` load ``defs``: the whole
project in one process.

workspace.yaml (`make dev`: the UI and the daemon) serves the same definitions as two code
locations, so that a repository's refresh does not load the dbt project:

- ``repositories_location``: one repository's refresh and nothing else: its git history and closed
  issues (the ``refresh_repository`` job's partitioned assets, and the opt-in diff summaries), the
  daily schedule that launches those runs and the sensor that keeps the partitions equal to the
  selection. None of it imports dbt, so a run worker of this location loads its definitions
  without dagster-dbt and dbt-core, about a fifth of the whole project's load (docs/dry-run.md,
  "Executors").
- ``study_location``: ``defs`` minus what the repositories location defines (so nothing is listed
  twice or left out; tested): the selection, the dbt warehouse, suggestions, labelling, reports.
  Its dbt assets name the repository assets as their inputs by key and Dagster joins the two
  locations into one asset graph: lineage, data versions and the warehouse's automation condition
  (which waits for new repository data) work across them as within one location.
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(project_root=Path(__file__).resolve().parents[1])


def repositories_location() -> dg.Definitions:
    from dagster_project.defs.execution import executor_from_settings
    from dagster_project.defs.git.assets import git_commit_diffs, git_history
    from dagster_project.defs.github.closed_issues import closed_issue_history
    from dagster_project.defs.refresh.jobs import refresh_repository_job
    from dagster_project.defs.refresh.schedules import daily_repository_refresh
    from dagster_project.defs.refresh.sensors import repository_partitions_from_selection
    from dagster_project.defs.resources import extraction_resources

    return dg.Definitions(
        assets=[git_history, git_commit_diffs, closed_issue_history],
        jobs=[refresh_repository_job],
        schedules=[daily_repository_refresh],
        sensors=[repository_partitions_from_selection],
        resources=extraction_resources(),
        executor=executor_from_settings(),
    )


def _keys(definition) -> set[dg.AssetKey]:
    return set(definition.keys) if hasattr(definition, "keys") else {definition.key}


def study_location() -> dg.Definitions:
    whole, theirs = defs(), repositories_location()
    their_keys = {key for asset in theirs.assets or () for key in _keys(asset)}
    their_names = {
        d.name for d in (*(theirs.jobs or ()), *(theirs.schedules or ()), *(theirs.sensors or ()))
    }
    return dg.Definitions(
        assets=[a for a in whole.assets or () if not _keys(a) & their_keys],
        asset_checks=whole.asset_checks,
        jobs=[j for j in whole.jobs or () if j.name not in their_names],
        schedules=[s for s in whole.schedules or () if s.name not in their_names],
        sensors=[s for s in whole.sensors or () if s.name not in their_names],
        resources=whole.resources,
        executor=whole.executor,
        loggers=whole.loggers,
    )
