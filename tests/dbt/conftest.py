"""A small generated study landed in tmp, and the real `dbt build` over it (run once per session)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from demo.study_data import Scale, generate

ROOT = Path(__file__).resolve().parents[2]
DBT_DIR = ROOT / "dbt"

#: Small enough for seconds, large enough that both populations exceed the 385-item target.
SMALL = Scale(
    selected_projects=6,
    excluded_by_inspection=2,
    failing_candidates=5,
    commits=2_500,
    issues=900,
)


def dbt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *args,
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            env["MMS_DBT_TARGET"],
            "--log-path",
            env["MMS_DBT_TARGET"],
        ],  # fmt: skip
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result


def make_env(tmp: Path, landing: Path, name: str) -> dict[str, str]:
    env = dict(os.environ)
    env["MMS_LANDING_DIR"] = str(landing)
    # dbt writes the build file; these tests read it directly, as the published warehouse.
    env["MMS_DUCKDB_PATH"] = env["MMS_DBT_BUILD_PATH"] = str(tmp / f"{name}.duckdb")
    # A target dir per warehouse, so parallel runs never share dbt's manifest files.
    env["MMS_DBT_TARGET"] = str(tmp / f"target-{name}")
    return env


def query(env: dict[str, str], sql: str) -> list[tuple]:
    with duckdb.connect(env["MMS_DUCKDB_PATH"], read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="session")
def study(tmp_path_factory):
    """(env, landing dir, generated counts) after one full `dbt build` of a generated study."""
    tmp = tmp_path_factory.mktemp("study")
    landing = tmp / "landing"
    counts = generate(landing, SMALL, seed=11)
    env = make_env(tmp, landing, "warehouse")
    dbt(env, "build")
    return env, landing, counts
