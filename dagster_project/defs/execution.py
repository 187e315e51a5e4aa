"""Where the steps of every run execute: beside the run on this machine (Dagster's multiprocess
executor, the default), or on Celery workers when ``MMS_CELERY_BROKER`` names a broker.

With Celery, a run's steps (one repository's git history, its closed issues, a warehouse build)
are queued on the broker and executed by whichever worker takes them: workers on other machines
need this project, the same ``MMS_*`` settings, a landing directory they all share (a mounted
bucket) and the Dagster instance's storage (Postgres rather than this machine's SQLite). Start
them with ``dagster-celery worker start -A dagster_celery.app -y celery.yaml`` (docs/operating.md,
"Scaling out"). The broker URL is read from the environment by the run and the workers, never
written into run config, so a password in it stays out of the UI and the event log.
"""

import dagster as dg

from base import settings


def celery_executor_from_settings() -> dg.ExecutorDefinition:
    """Dagster's Celery executor on the broker of ``MMS_CELERY_BROKER``; results go to
    ``MMS_CELERY_BACKEND``, else to the broker (Redis serves both)."""
    from dagster_celery import celery_executor

    backend = "MMS_CELERY_BACKEND" if settings.celery_backend() else "MMS_CELERY_BROKER"
    return celery_executor.configured(
        {"broker": {"env": "MMS_CELERY_BROKER"}, "backend": {"env": backend}},
        name="celery",
    )


@dg.definitions
def defs() -> dg.Definitions:
    if not settings.celery_broker():
        return dg.Definitions()
    return dg.Definitions(executor=celery_executor_from_settings())
