"""The one way into the published warehouse: read-only, one line naming the file when it cannot be
opened, never turned away by a build, and no reader in the code opening it any other way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse import open_published
from warehouse.published import WarehouseUnavailable

ROOT = Path(__file__).resolve().parents[2]
#: everything that reads the published warehouse (tests may open files as they like)
READERS = ("base", "landing", "extract", "warehouse", "analysis", "report", "labelling",
           "dagster_project", "demo", "benchmarks")  # fmt: skip


def _warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create table build_info as select 'b1' as build_id")
    return path


def test_opens_read_only_and_reads(tmp_path):
    path = _warehouse(tmp_path / "warehouse.duckdb")
    with open_published(path) as con:
        assert con.execute("select build_id from build_info").fetchall() == [("b1",)]
        with pytest.raises(duckdb.InvalidInputException, match="read-only"):
            con.execute("create table written (x int)")


def test_defaults_to_the_configured_warehouse(tmp_path, monkeypatch):
    path = _warehouse(tmp_path / "elsewhere.duckdb")
    monkeypatch.setenv("MMS_DUCKDB_PATH", str(path))
    with open_published() as con:
        assert con.execute("select count(*) from build_info").fetchone() == (1,)


def test_a_missing_warehouse_is_one_line_naming_it(tmp_path):
    missing = tmp_path / "nowhere.duckdb"
    with pytest.raises(WarehouseUnavailable) as raised:
        open_published(missing)
    assert str(raised.value) == f"warehouse {missing} does not exist: build it first (make run)"
    assert not missing.exists()  # opening never creates an empty warehouse


def test_a_file_that_is_no_warehouse_is_one_line_naming_it(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    path.write_text("not a database\n" * 1000)
    with pytest.raises(WarehouseUnavailable) as raised:
        open_published(path)
    message = str(raised.value)
    assert message.startswith(f"warehouse {path} cannot be opened read-only: ")
    assert "\n" not in message


#: a build as warehouse.publish runs one: the writer lock held, dbt writing the build copy
BUILD = """
import sys
from pathlib import Path
import duckdb
from warehouse import WarehouseFiles, writer_lock
files = WarehouseFiles(Path(sys.argv[1]))
with writer_lock(files, "test build"):
    build = files.build_path
    build.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(build)) as con:
        con.execute("create table build_info as select 'b2' as build_id")
        print("building", flush=True)
        sys.stdin.readline()
"""


def test_a_running_build_never_turns_a_reader_away(tmp_path):
    published = _warehouse(tmp_path / "warehouse.duckdb")
    build = subprocess.Popen(
        [sys.executable, "-c", BUILD, str(published)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert build.stdout.readline().strip() == "building"
        with open_published(published) as con:
            assert con.execute("select build_id from build_info").fetchall() == [("b1",)]
    finally:
        build.communicate("done\n")
    assert build.returncode == 0


def _read_only_connects(path: Path) -> list[int]:
    """Lines calling duckdb.connect(..., read_only=...) or passing access_mode: READ_ONLY."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        keywords = {keyword.arg for keyword in node.keywords}
        constants = {
            n.value
            for n in ast.walk(node)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
        if "read_only" in keywords or "READ_ONLY" in constants:
            lines.append(node.lineno)
    return lines


def test_every_reader_opens_the_published_warehouse_through_open_published():
    others = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in READERS
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != ROOT / "warehouse" / "published.py"
        for line in _read_only_connects(path)
    ]
    assert others == []
