"""Schedules of the refresh cycle. Refreshes are incremental: the daily refresh first asks each
repository whether it has anything new (one `git ls-remote`, one GitHub request that costs nothing
once answered 304; defs/refresh/news.py) and runs only those that do, so a day with nothing new
launches no run and builds no warehouse. The warehouse has no schedule: it builds when its inputs
are fresh (declarative automation, defs/warehouse/dbt.py)."""

import dagster as dg

from dagster_project.defs.git.resources import GitSourceResource
from dagster_project.defs.github.resources import GitHubResource
from dagster_project.defs.landing.resources import LandingResource
from dagster_project.defs.partitions import REPOSITORIES
from dagster_project.defs.refresh.news import repositories_with_news


@dg.schedule(
    cron_schedule="0 3 * * *",
    job_name="refresh_repository",
    execution_timezone="UTC",
    description="Daily: new commits and updated closed issues of the selected repositories that "
    "have any (each asked first; the others are not run).",
)
def daily_repository_refresh(
    context: dg.ScheduleEvaluationContext,
    git: GitSourceResource,
    github: GitHubResource,
    landing_zone: LandingResource,
):
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    keys = context.instance.get_dynamic_partitions(REPOSITORIES)
    if not keys:
        return dg.SkipReason("no repository partitions yet: run refresh_selection first")
    news = repositories_with_news(
        keys, git=git, github=github, landing_root=landing_zone.path, log=context.log.info
    )
    if not news:
        return dg.SkipReason(f"nothing new in the {len(keys)} repositories")
    for key, reason in sorted(news.items()):
        context.log.info(f"{key}: {reason}")
    return [dg.RunRequest(run_key=f"{day}:{key}", partition_key=key) for key in sorted(news)]


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
