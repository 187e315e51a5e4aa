"""The selection feeds the repository partitions: selected projects are added, dropped ones removed."""

import dagster as dg
import duckdb

from dagster_project.defs.partitions import REPOSITORIES, repository_partitions
from dagster_project.defs.warehouse.resources import PublishedWarehouseResource
from warehouse.published import WarehouseUnavailable


def selected_repo_ids(warehouse: PublishedWarehouseResource) -> list[str] | str:
    """The selection mart's repositories, or why the published warehouse has none to give (not
    built yet, or built before the selection): the sensor skips and asks again at the next tick."""
    try:
        with warehouse.get_connection() as con:
            rows = con.execute("select repo_id from selected_projects order by 1").fetchall()
    except WarehouseUnavailable as exc:
        return str(exc)
    except duckdb.CatalogException:
        return f"warehouse {warehouse.database} has no selected_projects table yet"
    return [row[0] for row in rows]


@dg.sensor(
    job_name="refresh_repository",
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Keeps the `repositories` partitions equal to the selected projects and mines new ones.",
)
def repository_partitions_from_selection(
    context: dg.SensorEvaluationContext, duckdb: PublishedWarehouseResource
):
    selected = selected_repo_ids(duckdb)
    if isinstance(selected, str):
        return dg.SkipReason(selected)
    current = set(context.instance.get_dynamic_partitions(REPOSITORIES))
    added = [r for r in selected if r not in current]
    removed = sorted(current - set(selected))
    if not added and not removed:
        return dg.SkipReason(f"{len(current)} repository partitions match the selection")
    requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
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
