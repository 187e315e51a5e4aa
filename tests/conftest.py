"""Session fixtures shared by several test folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What a new review changes: the staged reviews, then the draws and samples.
SAMPLE_MODELS = (
    "stg_annotations__sample_reviews", "int_sampling__commit_frame", "int_sampling__issue_frame", "commit_sampling_frame",
    "issue_sampling_frame", "commit_sample", "issue_sample",
)  # fmt: skip


def run_dbt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """The real dbt CLI of this environment, with a target folder per warehouse; dbt writes the
    warehouse the tests read (no publish step)."""
    env = {**env, "MMS_DBT_BUILD_PATH": env["MMS_DUCKDB_PATH"]}
    target = str(
        Path(env["MMS_DUCKDB_PATH"]).parent / f"target-{Path(env['MMS_DUCKDB_PATH']).stem}"
    )
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(ROOT / "dbt"),
         "--profiles-dir", str(ROOT / "dbt"), "--target-path", target, "--log-path", target],
        env=env, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="session")
def labelled_study(tmp_path_factory):
    """A small generated study whose every item has a true label set, built with the real `dbt
    build`, its samples reviewed and labelled from the truth through the import commands, built
    again: (env, landing dir, truth dir). No suggestion is computed yet."""
    from demo.study_data import Scale, generate
    from demo.truth import review_and_label_from_truth

    tmp = tmp_path_factory.mktemp("labelled-study")
    landing, truth = tmp / "landing", tmp / "truth"
    generate(
        landing,
        Scale(selected_projects=8, excluded_by_inspection=2, failing_candidates=5,
              commits=3_000, issues=1_200),
        seed=5,
        truth_dir=truth,
    )  # fmt: skip
    env = dict(os.environ)
    env.update(
        {
            "MMS_LANDING_DIR": str(landing),
            "MMS_DUCKDB_PATH": str(tmp / "warehouse.duckdb"),
            "MMS_REPORTS_DIR": str(tmp / "reports"),
            "MMS_SAMPLE_DATA": "1",
        }
    )
    run_dbt(env, "build")
    review_and_label_from_truth(
        Path(env["MMS_DUCKDB_PATH"]),
        landing,
        truth,
        tmp / "annotation-files",
        rebuild=lambda: run_dbt(env, "build"),
        rebuild_samples=lambda: run_dbt(env, "run", "--select", *SAMPLE_MODELS),
    )
    return env, landing, truth
