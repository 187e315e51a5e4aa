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
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: MMS_WAREHOUSE_SNAPSHOTS='abc' is not a whole number"
    ]
    # nothing was started: no lock, no build directory, no landing created
    assert sorted(p.name for p in tmp_path.iterdir()) == []
