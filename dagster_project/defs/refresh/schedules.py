"""Schedules of the refresh cycle. Refreshes are incremental: an unchanged repository costs one
`git fetch` and two conditional GitHub requests, and nothing is re-mined. The warehouse has no
schedule: it builds when its inputs are fresh (declarative automation, defs/warehouse/dbt.py)."""

import dagster as dg

from dagster_project.defs.partitions import repository_partitions


@dg.schedule(
    cron_schedule="0 3 * * *",
    job_name="refresh_repository",
    execution_timezone="UTC",
    description="Daily: new commits and updated closed issues of every selected repository.",
)
def daily_repository_refresh(context: dg.ScheduleEvaluationContext):
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    keys = context.instance.get_dynamic_partitions(repository_partitions.name)
    if not keys:
        return dg.SkipReason("no repository partitions yet: run refresh_selection first")
    return [dg.RunRequest(run_key=f"{day}:{key}", partition_key=key) for key in keys]


weekly_selection_refresh = dg.ScheduleDefinition(
    name="weekly_selection_refresh",
    cron_schedule="0 1 * * 1",
    job_name="refresh_selection",
    execution_timezone="UTC",
    description="Weekly (Monday 01:00 UTC): candidate list, GitHub metadata and the selection.",
)

warehouse_automation = dg.AutomationConditionSensorDefinition(
    "warehouse_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Builds the warehouse (and what reads it) once its inputs are fresh: after the "
    "daily tick, when a repository's data is new and no refresh is still running.",
)
