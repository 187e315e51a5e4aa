"""The sample run: the same assets, jobs and sensor as a real crawl, pointed at bundled sample data."""

from __future__ import annotations

import os
import time
from pathlib import Path

from dagster_project import settings
from demo.git_repos import build_sample_repos
from demo.github_data import (
    SAMPLE_TOKEN,
    build_stand_in,
    write_candidate_list,
    write_inspection_decisions,
)
from extract import landing


def _say(message: str) -> None:
    print(f"[sample] {message}", flush=True)


def configure_sample_environment() -> tuple[Path, dict[str, Path]]:
    """Point the settings at the sample; returns the sample folder and its git repositories."""
    settings.resolve_all()
    os.environ.setdefault("DAGSTER_HOME", str(settings.PROJECT_ROOT / "dagster_home"))
    sample_dir = settings.landing_dir().parent / "sample"
    repos = build_sample_repos(sample_dir / "git")
    # The sample's "remote" is a folder of bare repositories; cloning them exercises the mirror path.
    os.environ["MMS_GIT_URL_TEMPLATE"] = f"file://{sample_dir}/git/{{slug}}.git"
    os.environ["MMS_CANDIDATE_LIST"] = str(write_candidate_list(sample_dir / "sample-data.csv"))
    # Never send a real token to the stand-in.
    os.environ["GITHUB_TOKEN"] = SAMPLE_TOKEN
    landing.ensure_landing(settings.landing_dir())
    return sample_dir, repos


def run_sample() -> int:
    started = time.monotonic()
    sample_dir, repos = configure_sample_environment()
    stand_in = build_stand_in(repos).start()
    os.environ["GITHUB_API_URL"] = stand_in.base_url
    _say(
        f"SAMPLE DATA: {len(repos)} generated repositories, GitHub stand-in at {stand_in.base_url}"
    )
    try:
        return _run(sample_dir, started)
    finally:
        stand_in.stop()


def _run(sample_dir: Path, started: float) -> int:
    # Imported late: resources read the environment configured above.
    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.defs.partitions import repository_partitions
    from dagster_project.defs.refresh.sensors import repository_partitions_from_selection
    from demo.labels import label_samples
    from extract.annotations.files import import_inspections

    instance = dg.DagsterInstance.get()

    def run(job_name: str, **kwargs) -> bool:
        result = defs.resolve_job_def(job_name).execute_in_process(instance=instance, **kwargs)
        return result.success

    _say("1/6 manual inspection decisions (reviewer file) ...")
    import_inspections(
        settings.landing_dir(),
        write_inspection_decisions(sample_dir / "inspections.csv"),
        "sample-reviewer",
    )
    _say("2/6 refresh_selection: candidate list, GitHub metadata, selection marts ...")
    if not run("refresh_selection"):
        return 1

    _say("3/6 the selection sensor turns selected projects into repository partitions ...")
    sensor_result = repository_partitions_from_selection(
        dg.build_sensor_context(instance=instance, resources={"duckdb": defs.resources["duckdb"]})
    )
    if isinstance(sensor_result, dg.SkipReason):
        # A second sample run: the partitions already match the selection, refresh them all.
        _say(f"   {sensor_result.skip_message}")
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
    _say(f"   repository partitions: {', '.join(keys)}")

    for done, repo_id in enumerate(keys, start=1):
        ok = run("refresh_repository", partition_key=repo_id)
        elapsed = time.monotonic() - started
        _say(
            f"4/6 refresh_repository {done}/{len(keys)} {repo_id}: ok={ok} (elapsed {elapsed:.0f}s)"
        )
        if not ok:
            return 1

    _say("5/6 build_warehouse: dbt build (every test an asset check) and the reports ...")
    if not run("build_warehouse"):
        return 1

    _say("6/6 two SAMPLE raters label the samples (export/import round trip), links, rebuild ...")
    counts = label_samples(settings.duckdb_path(), settings.landing_dir(), sample_dir)
    _say(f"   labelled {counts['commits']} commits and {counts['issues']} issues")
    if not (run("link_sampled_issues") and run("build_warehouse")):
        return 1

    _say(f"done in {time.monotonic() - started:.0f}s")
    _say(f"warehouse (DuckDB): {settings.duckdb_path()}")
    _say(
        f"report (Tables 1-8, Figure 1 beside the study): {settings.reports_dir() / 'report.html'}"
    )
    _say(f"landing files (Parquet): {settings.landing_dir()}")
    _say(f"Dagster runs: {os.environ['DAGSTER_HOME']} (browse them with `make dev`)")
    return 0
