"""Session fixtures shared by several test folders."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import pytest

from demo.study_data import Scale, generate
from tests.dbt_cli import WITHOUT_TESTS, DbtRun, dbt
from tests.session_builds import build_once

ROOT = Path(__file__).resolve().parents[1]
# Two pytest workers share the suite's two cores: BLAS's own threads (OpenBLAS starts one per core
# and spins while it waits for work) only compete with the other worker. One thread each halved the
# population tests' CPU (docs/testing.md). Set while the controller imports this file, before it
# starts the workers, whose numpy reads it when it loads, as does every process a test starts.
for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")
# dbt runs one node at a time (dbt/profiles.yml): on the tests' small studies a node is mostly dbt's
# own Python, so a second dbt thread only contends for the GIL, 7% more CPU for each build and no
# less wall (docs/testing.md). The sample end to end keeps the shipped default.
os.environ.setdefault("MMS_DBT_THREADS", "1")
#: What a new review changes: the staged reviews, then the draws and samples.
SAMPLE_MODELS = (
    "stg_annotations__sample_reviews", "int_sampling__commit_frame", "int_sampling__issue_frame", "commit_sampling_frame",
    "issue_sampling_frame", "commit_sample", "issue_sample",
)  # fmt: skip


def run_dbt(env: dict[str, str], *args: str) -> DbtRun:
    """The real dbt of this environment (in this process), with a target folder per warehouse; dbt
    writes the warehouse the tests read (no publish step)."""
    env = {**env, "MMS_DBT_BUILD_PATH": env["MMS_DUCKDB_PATH"]}
    warehouse = Path(env["MMS_DUCKDB_PATH"])
    return dbt(env, *args, target=warehouse.parent / f"target-{warehouse.stem}")


#: what the labelled study is generated from (the shared build's folder is named by it)
LABELLED_SCALE, LABELLED_SEED = Scale(selected_projects=8, excluded_by_inspection=2,
                                      failing_candidates=5, commits=3_000, issues=1_200), 5  # fmt: skip


def _labelled_study_env(root: Path) -> dict[str, str]:
    return {**os.environ, "MMS_LANDING_DIR": str(root / "landing"),
            "MMS_DUCKDB_PATH": str(root / "warehouse.duckdb"),
            "MMS_REPORTS_DIR": str(root / "reports"), "MMS_SAMPLE_DATA": "1"}  # fmt: skip


def _build_labelled_study(root: Path) -> dict:
    from demo.truth import review_and_label_from_truth

    generate(root / "landing", LABELLED_SCALE, seed=LABELLED_SEED, truth_dir=root / "truth")
    env = _labelled_study_env(root)
    run_dbt(env, "build", *WITHOUT_TESTS)
    review_and_label_from_truth(
        Path(env["MMS_DUCKDB_PATH"]),
        root / "landing",
        root / "truth",
        root / "annotation-files",
        rebuild=lambda: run_dbt(env, "build"),
        rebuild_samples=lambda: run_dbt(env, "run", "--select", *SAMPLE_MODELS),
    )
    return {}


@pytest.fixture(scope="session")
def labelled_study(tmp_path_factory):
    """A small generated study whose every item has a true label set, built with the real `dbt
    build`, its samples reviewed and labelled from the truth through the import commands, built
    again: (env, landing dir, truth dir). No suggestion is computed yet. Built once per session
    (session_builds) and shared: read it, or copy it to write."""
    inputs = {**asdict(LABELLED_SCALE), "seed": LABELLED_SEED}
    root, _ = build_once(tmp_path_factory, "labelled-study", inputs, _build_labelled_study)
    return _labelled_study_env(root), root / "landing", root / "truth"


#: fixtures that build a warehouse with dbt, run the sample end to end or drive a browser: a test
#: that uses one is marked slow (`make test-fast` leaves it out; CI runs everything)
SLOW_FIXTURES = {"sample_run", "labelled_study", "warehouse_path", "study",
                 "published", "dagster_ui", "written"}  # fmt: skip
#: the README's `make run` run again and again on one data directory (tests/demo/test_pipeline.py):
#: the longest chain of the suite, so it starts first
LONGEST_FIXTURES = {"sample_run"}


def pytest_collection_modifyitems(config, items):
    """Mark the slow tests, then order the session longest first: the end-to-end runs, then the
    other slow tests, then the fast ones, which fill the gaps at the end (pytest-xdist hands out
    whole files in this order, with --no-loadscope-reorder)."""
    for item in items:
        if SLOW_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)

    def rank(item) -> int:
        if LONGEST_FIXTURES & set(item.fixturenames):
            return 0
        return 1 if item.get_closest_marker("slow") else 2

    items.sort(key=rank)
