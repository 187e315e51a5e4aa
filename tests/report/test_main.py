"""`python -m report`: the report without Dagster, and a clear error for a missing warehouse."""

import subprocess
import sys

from tests.report.labelled_study import ROOT


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "report", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env)  # fmt: skip


def test_writes_the_report_and_names_the_html(warehouse_path, tmp_path):
    done = _run("--warehouse", str(warehouse_path), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"report: {tmp_path / 'out' / 'report.html'}"
    assert (tmp_path / "out" / "table8_survey_solutions.md").is_file()


def test_a_missing_warehouse_is_one_line_naming_it(tmp_path):
    done = _run("--warehouse", str(tmp_path / "nowhere.duckdb"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: warehouse {tmp_path / 'nowhere.duckdb'} does not exist: build it first (make run)"
    ]
    assert not (tmp_path / "out").exists()
