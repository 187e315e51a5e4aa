"""A run costs what changed (issue 20): after a sample run, a second one with nothing new builds
nothing and says why; a changed label file, a changed dbt model or a new commit in one repository
rebuilds exactly what depends on it. Real runs: `python -m demo`, real dbt builds on a real DuckDB
file, Dagster's own materializations and data versions in a real instance.

The tests share one sample (built once, ~3 min idle) and run in file order, each on the state the
previous one left.
"""

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from demo.git_repos import SAMPLE_REPOS
from tests.bare_repositories import add_commit

#: `make run` end to end, again and again on one data directory
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WAREHOUSE_JOBS = ("refresh_selection", "build_warehouse", "refresh_suggestions")


def _env(root: Path) -> dict[str, str]:
    return {
        "DAGSTER_HOME": str(root / "dagster_home"),
        "MMS_DUCKDB_PATH": str(root / "data" / "warehouse.duckdb"),
        "MMS_LANDING_DIR": str(root / "data" / "landing"),
        "MMS_MIRROR_DIR": str(root / "data" / "mirrors"),
        "MMS_REPORTS_DIR": str(root / "reports"),
    }


@pytest.fixture(scope="module")
def incremental_sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    (root / "dagster_home").mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", root / "dagster_home")

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "demo"],
            cwd=ROOT,
            env={**os.environ, **_env(root)},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    first = run()
    return root, run, first


def _materialized(root: Path) -> dict[str, int]:
    """Materializations recorded per asset (every partition), read from the run's instance."""
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        counts = {}
        for key in instance.get_asset_keys():
            records = instance.fetch_materializations(key, limit=10_000).records
            counts[key.to_user_string()] = len(records)
    return counts


def _built_between(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {key for key, count in after.items() if count > before.get(key, 0)}


def _line(output: str, pattern: str) -> str:
    found = [line for line in output.splitlines() if re.search(pattern, line)]
    assert found, f"no line matching {pattern!r} in:\n{output}"
    return found[0]


def test_a_second_run_with_nothing_new_builds_nothing_and_says_why(incremental_sample):
    root, run, first = incremental_sample
    # The first run built everything and said so.
    assert "never built" in _line(first, r"5/7 build_warehouse: ok, built \d+ of \d+ assets")
    before = _materialized(root)
    second = run()
    built = _built_between(before, _materialized(root))
    # No dbt model, no suggester refit, no report, no repository refreshed (each one asked first,
    # nothing new): only the candidate list and the metadata are looked at again, as always.
    assert built <= {"github/candidates", "github/repository_metadata"}, built
    assert "refresh_selection: unchanged (nothing new landed;" in second
    for job in WAREHOUSE_JOBS:
        line = _line(second, rf"\] [\d/]+ {job}: ")
        assert re.search(
            rf"{job}: unchanged \(.*no input data version or code version changed", line
        )
    for spec in SAMPLE_REPOS:
        line = _line(second, rf"\[\d/\d\] {re.escape(spec.repo_id)} ")
        assert "refresh_repository: unchanged (same head" in line
    # The summary says what changed, never how many rows exist.
    assert not re.search(r"[\d,]+ rows", second), second


def _partitions_materialized(root: Path, key: dg.AssetKey) -> dict[str, int]:
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        records = instance.fetch_materializations(key, limit=10_000).records
    counts: dict[str, int] = {}
    for record in records:
        counts[record.partition_key] = counts.get(record.partition_key, 0) + 1
    return counts


def test_a_new_commit_in_one_repository_refreshes_it_and_what_reads_git(incremental_sample):
    root, run, _ = incremental_sample
    changed = SAMPLE_REPOS[0].repo_id
    slug = changed.replace("/", "__")
    add_commit(root / "data" / "sample" / "git" / f"{slug}.git", "Tune the learning rate")
    commits, issues = dg.AssetKey(["git", "commits"]), dg.AssetKey(["github", "closed_issues"])
    before = (_partitions_materialized(root, commits), _partitions_materialized(root, issues))
    output = run()
    after = (_partitions_materialized(root, commits), _partitions_materialized(root, issues))
    # Only the repository with the new commit was mined (and crawled, in the same run).
    assert {p for p in after[0] if after[0][p] > before[0].get(p, 0)} == {changed}
    assert {p for p in after[1] if after[1][p] > before[1].get(p, 0)} == {changed}
    assert "new data: git/commits" in _line(output, rf"\[\d/\d\] {re.escape(changed)} ")
    for spec in SAMPLE_REPOS[1:]:
        assert "unchanged (same head" in _line(output, rf"\[\d/\d\] {re.escape(spec.repo_id)} ")
    # The warehouse rebuilt what reads the git landing, because of that one partition.
    build = _line(output, r"5/7 build_warehouse: ")
    assert re.search(
        rf"build_warehouse: ok, built \d+ of \d+ assets \(git/\w+ \[{changed}\]", build
    )


@pytest.fixture
def steps_of(monkeypatch):
    """The sample's steps run in this process, against the sample's instance and warehouse."""
    opened = []

    def open_steps(root: Path):
        from dagster_project.definitions import defs as load_definitions
        from dagster_project.defs.warehouse import dbt
        from demo.steps import SampleSteps

        for name, value in _env(root).items():
            monkeypatch.setenv(name, value)
        dbt.dbt_project.cache_clear()
        dbt.warehouse_dbt_assets.cache_clear()
        instance = dg.DagsterInstance.from_config(str(root / "dagster_home"))
        opened.append(instance.__enter__())
        said = []
        steps = SampleSteps(
            instance,
            load_definitions(),
            run_config={},
            tags={},
            log_path=root / "steps.log",
            verbose=False,
            say=said.append,
        )
        return steps, said

    yield open_steps
    from dagster_project.defs.warehouse import dbt

    for instance in opened:
        instance.__exit__(None, None, None)
    dbt.dbt_project.cache_clear()
    dbt.warehouse_dbt_assets.cache_clear()


def _downstream(steps, key: dg.AssetKey, job: str) -> set[str]:
    """The job's assets that read ``key`` through the job's own assets: one that reads it only
    through an asset of another job (the suggester, the issue links) has nothing new until that
    job runs."""
    job_keys = set(steps.defs.resolve_job_def(job).asset_layer.executable_asset_keys)
    below: set[dg.AssetKey] = set()
    for asset in steps.graph.toposorted_asset_keys:
        parents = steps.graph.get(asset).parent_keys
        if asset in job_keys and (key in parents or parents & below):
            below.add(asset)
    return {k.to_user_string() for k in below}


def test_a_changed_label_file_rebuilds_only_what_reads_the_labels(incremental_sample, steps_of):
    from extract.annotations.files import import_labels

    root, _, _ = incremental_sample
    landing, warehouse = root / "data" / "landing", root / "data" / "warehouse.duckdb"
    rated = root / "data" / "sample" / "commits__sample-rater-b.csv"
    with rated.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    # One rater changes her mind on one commit.
    rows[1][1] = "Testing" if rows[1][1] != "Testing" else "Refactoring"
    with rated.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    import_labels(landing, rated, "commits", "sample-rater-b", warehouse)

    steps, said = steps_of(root)
    steps.observe_annotations()
    before = _materialized(root)
    assert steps.run("again", "build_warehouse")
    built = _built_between(before, _materialized(root))
    labels = dg.AssetKey(["annotations", "labels"])
    assert built == _downstream(steps, labels, "build_warehouse"), said
    assert "stg_git__commits" not in built and "selected_projects" not in built
    assert "annotations/labels: new data version" in said[-1]
    # The suggester reads the labels' marts: it refits, the rest of the frame stays as it is.
    before = _materialized(root)
    assert steps.run("again", "refresh_suggestions")
    assert "suggestions/label_suggestions" in _built_between(before, _materialized(root)), said


def test_a_changed_dbt_model_rebuilds_it_and_its_downstream_only(
    incremental_sample, steps_of, tmp_path, monkeypatch
):
    root, _, _ = incremental_sample
    project = tmp_path / "project"
    shutil.copytree(ROOT / "dbt", project / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    edited = next((project / "dbt" / "models").rglob("int_labels__final_labels.sql"))
    edited.write_text(edited.read_text(encoding="utf-8") + "\n-- reviewed\n", encoding="utf-8")
    monkeypatch.setenv("MMS_PROJECT_DIR", str(project))

    steps, said = steps_of(root)
    model = dg.AssetKey("int_labels__final_labels")
    before = _materialized(root)
    assert steps.run("again", "build_warehouse")
    built = _built_between(before, _materialized(root))
    assert built == {"int_labels__final_labels"} | _downstream(steps, model, "build_warehouse")
    assert "int_labels__final_labels: new code version" in said[-1]
