"""The selection feeds the repository partitions: selected projects are added, dropped ones removed."""

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from dagster_project.defs.partitions import repository_partitions


def selected_repo_ids(warehouse: DuckDBResource) -> list[str] | None:
    """The selection mart's repositories, or None when the warehouse cannot be read right now."""
    try:
        # Read-only and without the resource's retry loop: a busy warehouse is a skip, not a wait.
        with duckdb.connect(warehouse.database, read_only=True) as con:
            rows = con.execute("select repo_id from selected_projects order by 1").fetchall()
    except (duckdb.IOException, duckdb.CatalogException, duckdb.ConnectionException):
        # Locked by a writer (dbt) or not built yet: try again at the next tick.
        return None
    return [row[0] for row in rows]


@dg.sensor(
    job_name="refresh_repository",
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Keeps the `repositories` partitions equal to the selected projects and mines new ones.",
)
def repository_partitions_from_selection(
    context: dg.SensorEvaluationContext, duckdb: DuckDBResource
):
    selected = selected_repo_ids(duckdb)
    if selected is None:
        return dg.SkipReason("the warehouse is busy or has no selected_projects table yet")
    current = set(context.instance.get_dynamic_partitions(repository_partitions.name))
    added = [r for r in selected if r not in current]
    removed = sorted(current - set(selected))
    if not added and not removed:
        return dg.SkipReason(f"{len(current)} repository partitions match the selection")
    requests = []
    if added:
        requests.append(repository_partitions.build_add_request(added))
    if removed:
        # Landed files of a dropped repository stay on disk; the marts only read selected projects.
        requests.append(repository_partitions.build_delete_request(removed))
    return dg.SensorResult(
        dynamic_partitions_requests=requests,
        run_requests=[
            dg.RunRequest(partition_key=repo_id, run_key=f"added:{repo_id}") for repo_id in added
        ],
    )
