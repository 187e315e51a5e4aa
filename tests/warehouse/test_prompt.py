"""The analysts' read-only SQL prompt, from the project's environment alone."""

import subprocess
import sys
from pathlib import Path

import duckdb


def _warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table activity_distribution as select 'Refactoring' as activity, 79 as occurrences"
        )
    return path


def _prompt(path, *args, stdin=""):
    return subprocess.run(
        [str(Path(sys.executable).parent / "mms-warehouse"), "sql", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={"MMS_DUCKDB_PATH": str(path), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


def test_statements_from_stdin_and_dot_commands(tmp_path):
    path = _warehouse(tmp_path)
    done = _prompt(
        path, stdin=".tables\nselect activity,\n  occurrences from activity_distribution;\n.quit\n"
    )
    assert done.returncode == 0, done.stderr
    assert "activity_distribution" in done.stdout
    assert "Refactoring" in done.stdout and "79" in done.stdout


def test_the_prompt_is_read_only_and_reports_errors_without_dying(tmp_path):
    path = _warehouse(tmp_path)
    done = _prompt(path, stdin="drop table activity_distribution;\nselect 1 as still_here;\n")
    assert done.returncode == 0
    assert "read-only" in done.stdout.lower() and "still_here" in done.stdout
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select count(*) from activity_distribution").fetchone() == (1,)


def test_one_query_and_a_missing_warehouse(tmp_path):
    path = _warehouse(tmp_path)
    assert "79" in _prompt(path, "-c", "select occurrences from activity_distribution").stdout
    missing = _prompt(tmp_path / "none.duckdb", "-c", "select 1")
    assert missing.returncode == 1
    assert f"no warehouse at {tmp_path / 'none.duckdb'}" in missing.stdout
