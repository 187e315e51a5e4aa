"""`mms-warehouse` from the project's environment: bad settings are one line, before any work."""

import subprocess
import sys
from pathlib import Path


def test_a_bad_snapshot_setting_is_one_line_and_takes_no_lock(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mms-warehouse"), "build"],
        capture_output=True,
        text=True,
        env={
            "MMS_DUCKDB_PATH": str(warehouse),
            "MMS_LANDING_DIR": str(tmp_path / "landing"),
            "MMS_WAREHOUSE_SNAPSHOTS": "abc",
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: MMS_WAREHOUSE_SNAPSHOTS='abc' is not a whole number"
    ]
    # nothing was started: no lock, no build directory, no landing created
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_mistyped_landing_directory_builds_and_publishes_nothing(tmp_path):
    """A landing directory with no table in it is refused before dbt runs: building over it would
    publish an empty warehouse over a good one."""
    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table commits as select 1 as n")
    before = warehouse.read_bytes()
    missing = tmp_path / "landnig"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mms-warehouse"), "build"],
        capture_output=True,
        text=True,
        env={
            "MMS_DUCKDB_PATH": str(warehouse),
            "MMS_LANDING_DIR": str(missing),
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: landing directory {missing} holds no landed table: run `uv run mms-extract init` "
        "there, or point MMS_LANDING_DIR at the landing directory; nothing was published"
    )
    assert warehouse.read_bytes() == before
    assert not missing.exists()
