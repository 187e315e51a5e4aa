"""A job whose one step sleeps until the test kills its process (tests/dagster_project/
test_run_monitoring.py); in the run's own process, so killing that process leaves nothing behind."""

import time

import dagster as dg


@dg.op
def sleep_until_killed() -> None:
    time.sleep(900)


@dg.job(executor_def=dg.in_process_executor)
def sleeping() -> None:
    sleep_until_killed()


defs = dg.Definitions(jobs=[sleeping])
