"""A small generated study landed in tmp, and the real `dbt build` over it (run once per session)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from demo.study_data import Scale, generate
from tests.dbt_cli import DbtRun
from tests.dbt_cli import dbt as run_dbt
from tests.session_builds import build_once, copy_study

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


def dbt(env: dict[str, str], *args: str) -> DbtRun:
    return run_dbt(env, *args, target=Path(env["MMS_DBT_TARGET"]))


def make_env(tmp: Path, landing: Path, name: str) -> dict[str, str]:
    env = dict(os.environ)
    env["MMS_LANDING_DIR"] = str(landing)
    # dbt writes the build file; these tests read it directly, as the published warehouse. Named as
    # every other test warehouse, in a folder of its own: dbt then reuses one parse for all.
    env["MMS_DUCKDB_PATH"] = env["MMS_DBT_BUILD_PATH"] = str(tmp / name / "warehouse.duckdb")
    # A target dir per warehouse, so parallel runs never share dbt's manifest files.
    env["MMS_DBT_TARGET"] = str(tmp / f"target-{name}")
    return env


def query(env: dict[str, str], sql: str) -> list[tuple]:
    with duckdb.connect(env["MMS_DUCKDB_PATH"], read_only=True) as con:
        return con.execute(sql).fetchall()


SEED = 11


def _build_study(root: Path) -> dict[str, Any]:
    counts = generate(root / "landing", SMALL, seed=SEED)
    env = make_env(root, root / "landing", "warehouse")
    # The suite's one build with dbt's unit tests (tests/dbt_cli.py): they test SQL, not data.
    built = run_dbt(env, "build", target=Path(env["MMS_DBT_TARGET"]), unit_tests=True)
    return {
        "counts": {table: int(rows) for table, rows in counts.items()},
        "unit_tests_passed": built.unit_tests_passed,
    }


def _built_study(tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    inputs = {"scale": repr(SMALL), "seed": SEED}
    return build_once(tmp_path_factory, "dbt-study", inputs, _build_study)


@pytest.fixture(scope="session")
def study(tmp_path_factory):
    """(env, landing dir, generated counts) after one full `dbt build` of a generated study. Built
    once per session and shared by the workers: read it, or work on a copy (``copy_of_study``)."""
    root, built = _built_study(tmp_path_factory)
    return make_env(root, root / "landing", "warehouse"), root / "landing", built["counts"]


@pytest.fixture(scope="session")
def study_unit_tests_passed(tmp_path_factory) -> int:
    """How many of dbt's unit tests ran and passed in the study's build."""
    return _built_study(tmp_path_factory)[1]["unit_tests_passed"]


def copy_of_study(study, destination: Path) -> tuple[dict[str, str], Path]:
    """A private copy of the study a test may write to: (env, landing dir)."""
    env, landing, _ = study
    root = landing.parent
    copy_study(root, destination, "landing", "warehouse", Path(env["MMS_DBT_TARGET"]).name)
    return make_env(destination, destination / "landing", "warehouse"), destination / "landing"
