"""Where the steps of every run execute: in the run's own process (the default), in a new process
per step when a run's config asks for it, or on Celery workers when ``MMS_CELERY_BROKER`` names a
broker.

Steps run in the run's process by default because Dagster's process per step costs more than the
steps: each new process imports Dagster and loads the definitions (8.8 s and 413 MB at load 4.8),
three times for a ``refresh_repository`` run (its worker and two steps) that has nothing new to do
(docs/dry-run.md, "Executors"). Parallelism is across runs: the daemon's run queue runs
``max_concurrent_runs`` (dagster_home/dagster.yaml) repositories at once, each in a process of its
own. A run that wants its steps in parallel processes says so in its run config
(``execution: {config: {multiprocess: {}}}``, Dagster's own options, ``start_method`` included).

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

#: run config of :func:`local_executor` when a run gives none
STEPS_IN_RUN_PROCESS: dict[str, dict] = {"in_process": {}}


def local_executor() -> dg.ExecutorDefinition:
    """Dagster's default executor (``multi_or_in_process``) with the run's process as its default:
    the same run config selects either mode, only the default differs."""
    either = dg.Selector(
        {
            "in_process": dg.Field(dg.Permissive(), default_value={}),
            "multiprocess": dg.Field(dg.Permissive(), default_value={}),
        }
    )
    return dg.multi_or_in_process_executor.configured(
        lambda config: config,  # Dagster's executor validates the mode's own options
        name="local",
        config_schema=dg.Field(either, default_value=STEPS_IN_RUN_PROCESS),
    )


def celery_executor_from_settings() -> dg.ExecutorDefinition:
    """Dagster's Celery executor on the broker of ``MMS_CELERY_BROKER``; results go to
    ``MMS_CELERY_BACKEND``, else to the broker (Redis serves both)."""
    from dagster_celery import celery_executor

    backend = "MMS_CELERY_BACKEND" if settings.celery_backend() else "MMS_CELERY_BROKER"
    return celery_executor.configured(
        {"broker": {"env": "MMS_CELERY_BROKER"}, "backend": {"env": backend}},
        name="celery",
    )


def executor_from_settings() -> dg.ExecutorDefinition:
    """Celery when ``MMS_CELERY_BROKER`` names a broker, else the run's process (both locations)."""
    return celery_executor_from_settings() if settings.celery_broker() else local_executor()


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(executor=executor_from_settings())
