"""Two steps on the project's executor (dagster_project/defs/execution.py) that report the process
they ran in, and whether the warehouse build's parent-death request would tie them to a parent
(tests/dagster_project/test_execution.py)."""

import ctypes
import os
import sys
from pathlib import Path

import dagster as dg

from dagster_project.defs.execution import local_executor
from dagster_project.defs.warehouse.dbt import die_with_run_worker

_PR_GET_PDEATHSIG = 2


def _parent_death_signal() -> int:
    if sys.platform != "linux":
        return 0
    signal = ctypes.c_int(0)
    ctypes.CDLL(None, use_errno=True).prctl(_PR_GET_PDEATHSIG, ctypes.byref(signal))
    return signal.value


@dg.op
def first_step(context) -> int:
    die_with_run_worker(context)
    return os.getpid()


@dg.op
def second_step(context, first: int) -> dict:
    return {"first": first, "second": os.getpid(), "signal": _parent_death_signal()}


@dg.job(executor_def=local_executor())
def two_steps() -> None:
    second_step(first_step())


def two_steps_job() -> dg.JobDefinition:
    return two_steps


def run_and_report(run_config, answers) -> None:
    """Run ``two_steps`` as a run worker does (this process was started by multiprocessing, as
    the code server starts run workers) and put ``(this process, the second step's report)``."""
    here = str(Path(__file__).resolve().parent)
    job = dg.build_reconstructable_job(
        "steps_job", "two_steps_job", reconstructor_working_directory=here
    )
    with (
        dg.instance_for_test() as instance,
        dg.execute_job(job, instance=instance, run_config=run_config) as result,
    ):
        answers.put((os.getpid(), result.success and result.output_for_node("second_step")))
