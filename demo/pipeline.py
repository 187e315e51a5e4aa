"""The sample run: the same assets, jobs and sensor as a real crawl, pointed at bundled sample data.

It prints one line per step (what ran, its counts, its time) and where the results are; Dagster's
full event log stays in the instance (``DAGSTER_HOME``, browse it with ``make dev``) and ``--verbose``
also prints it. Two sample runs on one data directory never overlap: the second fails at once,
naming the first. Runs left STARTED by a process that is gone (a killed sample, a killed
`dagster job execute`) are failed on the next start, so nothing waits on them.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import landing
from base import settings
from demo.git_repos import build_sample_repos
from demo.github_data import (
    SAMPLE_TOKEN,
    build_stand_in,
    write_candidate_list,
    write_inspection_decisions,
)


class SampleBusy(RuntimeError):
    pass


def _say(message: str) -> None:
    print(f"[sample] {message}", flush=True)


@contextmanager
def exclusive_run(data_dir: Path) -> Iterator[None]:
    """One sample run per data directory (flock: freed by the kernel if the run is killed)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / ".sample-run.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = path.read_text(encoding="utf-8") or "another sample run"
            raise SampleBusy(
                f"another `make run` is using {data_dir} ({holder}); wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "since": time.ctime()}).encode(), 0)
        yield
    finally:
        os.close(fd)


def configure_sample_environment() -> tuple[Path, dict[str, Path]]:
    """Point the settings at the sample; returns the sample folder and its git repositories."""
    for name, value in settings.subprocess_env().items():
        if name.startswith("MMS_"):
            os.environ[name] = value
    os.environ.setdefault("DAGSTER_HOME", str(settings.project_dir() / "dagster_home"))
    sample_dir = settings.landing_dir().parent / "sample"
    repos = build_sample_repos(sample_dir / "git")
    # The sample's "remote" is a folder of bare repositories; cloning them exercises the mirror path.
    os.environ["MMS_GIT_URL_TEMPLATE"] = f"file://{sample_dir}/git/{{slug}}.git"
    os.environ["MMS_CANDIDATE_LIST"] = str(write_candidate_list(sample_dir / "sample-data.csv"))
    # Never send a real token to the stand-in.
    os.environ["GITHUB_TOKEN"] = SAMPLE_TOKEN
    landing.ensure_landing(settings.landing_dir())
    return sample_dir, repos


def run_sample(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="print Dagster's event log too")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        with exclusive_run(settings.landing_dir().parent):
            sample_dir, repos = configure_sample_environment()
            stand_in = build_stand_in(repos).start()
            os.environ["GITHUB_API_URL"] = stand_in.base_url
            _say(f"SAMPLE DATA: {len(repos)} generated repositories, GitHub stand-in at "
                 f"{stand_in.base_url}")  # fmt: skip
            try:
                return _run(sample_dir, started, verbose=args.verbose)
            finally:
                stand_in.stop()
    except SampleBusy as exc:
        _say(f"error: {exc}")
        return 3


def _refresh_repositories(defs, keys: list[str], run) -> bool:
    """Refresh the repositories that have something new, as the daily schedule does (one
    `git ls-remote` and one GitHub request each, defs/refresh/news.py); the others are unchanged."""
    from dagster_project.defs.refresh.news import repositories_with_news

    news = repositories_with_news(
        keys,
        git=defs.resources["git"],
        github=defs.resources["github"],
        landing_root=defs.resources["landing_zone"].path,
    )
    for done, repo_id in enumerate(keys, start=1):
        step = f"4/7 [{done}/{len(keys)}] {repo_id}"
        if repo_id not in news:
            _say(f"{step} refresh_repository: unchanged (same head, no closed issue since the "
                 "last crawl)")  # fmt: skip
        elif not run(step, "refresh_repository", partition_key=repo_id):
            return False
    return True


def _run(sample_dir: Path, started: float, *, verbose: bool) -> int:
    # Imported late: resources read the environment configured above.
    import dagster as dg

    from dagster_project.definitions import defs as load_definitions
    from dagster_project.defs.partitions import repository_partitions
    from dagster_project.defs.refresh.sensors import repository_partitions_from_selection
    from dagster_project.run_monitoring import HOST_TAG, fail_dead_runs
    from demo.labels import label_samples
    from demo.steps import SampleSteps
    from extract.annotations.files import import_inspections

    instance = dg.DagsterInstance.get()
    # Whoever started them: the daemon would too, at its next poll, but `make run` runs none.
    for run_id in fail_dead_runs(instance):
        _say(f"marked run {run_id[:8]} failed: the process that ran it is gone")
    defs = load_definitions()
    level = "DEBUG" if verbose else "CRITICAL"
    run_config = {"loggers": {"console": {"config": {"log_level": level}}}}
    tags = {HOST_TAG: socket.gethostname()}

    steps = SampleSteps(
        instance,
        defs,
        run_config=run_config,
        tags=tags,
        log_path=Path(os.environ["DAGSTER_HOME"]) / "sample-run.log",
        verbose=verbose,
        say=_say,
    )
    run = steps.run

    _say("1/7 manual inspection decisions (reviewer file) ...")
    import_inspections(
        settings.landing_dir(),
        write_inspection_decisions(sample_dir / "inspections.csv"),
        "sample-reviewer",
    )
    steps.observe_annotations()
    if not run("2/7", "refresh_selection"):
        return 1

    sensor_result = repository_partitions_from_selection(
        dg.build_sensor_context(instance=instance, resources={"duckdb": defs.resources["duckdb"]})
    )
    if isinstance(sensor_result, dg.SkipReason):
        # A second sample run: the partitions already match the selection; each repository is
        # asked below whether it has anything new.
        _say(f"3/7 selection sensor: {sensor_result.skip_message}")
    else:
        for request in sensor_result.dynamic_partitions_requests:
            if isinstance(request, dg.AddDynamicPartitionsRequest):
                instance.add_dynamic_partitions(
                    request.partitions_def_name, list(request.partition_keys)
                )
            elif isinstance(request, dg.DeleteDynamicPartitionsRequest):
                for key in request.partition_keys:
                    instance.delete_dynamic_partition(request.partitions_def_name, key)
    keys = sorted(instance.get_dynamic_partitions(repository_partitions.name))
    if not keys:
        _say("no project was selected: see the project_selection mart for the reasons")
        return 1
    _say(f"3/7 selection sensor: repository partitions {', '.join(keys)}")

    if not _refresh_repositories(defs, keys, run):
        return 1

    if not run("5/7", "build_warehouse"):
        return 1

    counts = label_samples(settings.duckdb_path(), settings.landing_dir(), sample_dir)
    _say(
        f"6/7 two SAMPLE raters labelled {counts['commits']} commits and {counts['issues']} issues"
    )
    steps.observe_annotations()
    # The issue sample carries its labels: built with them first, its issues' links are fetched
    # for the sample as it now stands, and the next run finds both current.
    if not all(run("6/7", job) for job in ("build_warehouse", "link_sampled_issues")):
        return 1
    if not run("6/7", "build_warehouse"):
        return 1
    # The suggester reads the build just published; the job's dbt step stages what it landed and
    # publishes again, then the report is written with the whole-frame estimates and trends.
    if not run("7/7", "refresh_suggestions"):
        return 1

    _say(f"done in {time.monotonic() - started:.0f}s")
    _say(f"warehouse (DuckDB, published): {settings.duckdb_path()}  (`uv run mms-warehouse sql`)")
    _say(
        "report (Tables 1-8, Figure 1 beside the study; whole-frame estimates, trends): "
        f"{settings.reports_dir() / 'report.html'}"
    )
    _say(f"landing files (Parquet): {settings.landing_dir()}")
    _say(f"Dagster runs: {os.environ['DAGSTER_HOME']} (browse them with `make dev`)")
    return 0
