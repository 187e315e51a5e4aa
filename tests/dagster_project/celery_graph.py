"""A tiny partitioned job on the project's Celery executor, for test_celery_executor.py: each
partition mines a small git repository with the real miner and lands it where ``MMS_LANDING_DIR``
says. The Celery worker imports this module (by name, from this folder) to run the steps."""

import os

import dagster as dg

from base import settings
from base.repo_id import repo_slug
from dagster_project.defs.execution import celery_executor_from_settings
from extract.git.miner import mine_repository

REPOSITORIES = ("acme/one", "acme/two")
partitions = dg.StaticPartitionsDefinition(list(REPOSITORIES))


@dg.asset(key=["git", "commits"], partitions_def=partitions)
def commits(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    repo_id = context.partition_key
    source = os.path.join(os.environ["MMS_TEST_SOURCES"], f"{repo_slug(repo_id)}.git")
    result = mine_repository(repo_id, source, settings.landing_dir())
    return dg.MaterializeResult(metadata={"commits": result.commits, "pid": os.getpid()})


def tiny_job() -> dg.JobDefinition:
    job = dg.define_asset_job(
        "tiny_mining", selection=[commits], executor_def=celery_executor_from_settings()
    )
    return dg.Definitions(assets=[commits], jobs=[job]).resolve_job_def("tiny_mining")
