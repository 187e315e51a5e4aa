"""The tests' in-process dbt (tests/dbt_cli.py), on the publish tests' tiny project: the test can
read the warehouse dbt wrote, the environment is the test's again afterwards, a second warehouse
of another landing folder reuses the first one's parse whole, and a failure is one assertion with dbt's own message."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

import landing
from demo.study_data import Scale, generate
from tests.dbt_cli import dbt

TINY_DBT = Path(__file__).resolve().parent / "warehouse" / "tiny_project" / "dbt"
TINY = Scale(
    selected_projects=2, excluded_by_inspection=1, failing_candidates=1, commits=100, issues=20
)


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "MMS_LANDING_DIR": str(root / "landing"),
            "MMS_DBT_BUILD_PATH": str(root / "warehouse.duckdb")}  # fmt: skip


@pytest.mark.slow
def test_two_warehouses_built_in_process_read_back_with_one_parse(tmp_path):
    before = dict(os.environ)
    # a build leaves dbt's unit tests out unless asked (the tiny project has one)
    for name, seed, unit_tests in (("first", 1, False), ("second", 2, True)):
        generate(tmp_path / name / "landing", TINY, seed=seed)
        run = dbt(_env(tmp_path / name), "build", target=tmp_path / name / "target",
                  project_dir=TINY_DBT, unit_tests=unit_tests)  # fmt: skip
        with duckdb.connect(str(tmp_path / name / "warehouse.duckdb"), read_only=True) as con:
            commits = con.execute("select count(*) from stg_git__commits").fetchone()[0]
        assert commits == TINY.commits and "Completed successfully" in run.stdout
        assert run.unit_tests_passed == (1 if unit_tests else 0)
    # the second warehouse, another landing folder, parsed nothing: dbt rewrites its saved parse
    # only when it parsed a file again
    assert "Unable to do partial parsing" not in run.stdout
    saved = [(tmp_path / name / "target" / "partial_parse.msgpack").read_bytes()
             for name in ("first", "second")]  # fmt: skip
    assert saved[0] == saved[1]
    assert dict(os.environ) == before


def test_a_failed_command_fails_the_test_with_dbts_message(tmp_path):
    landing.ensure_landing(tmp_path / "landing")
    (tmp_path / "landing" / "git" / "commits" / "_schema.parquet").unlink()
    before = dict(os.environ)
    with pytest.raises(AssertionError, match="landing table 'git/commits' is not initialised"):
        dbt(_env(tmp_path), "build", target=tmp_path / "target", project_dir=TINY_DBT)
    assert dict(os.environ) == before
