"""Build, then publish, tried as analysts and operators meet it: real `mms-warehouse build` processes
over a generated landing zone, readers in other threads, kill -9 at the dangerous moments.

The builds run a tiny dbt project (tiny_project/dbt: the real git staging models and macros, three
small marts, and a model a test can hold the build at), so a build takes seconds, not the study's
minute; publishing, locking and recovery are the same code whatever the project. The shrink guard
compares the study's selection marts, which the tiny project has not: its tests build the study's
project (test_publish_guards.py)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import pytest

from demo.study_data import Scale, generate
from warehouse import WarehouseFiles, publication_status
from warehouse.files import DEFINITIONS_TARGET

TINY_PROJECT = Path(__file__).resolve().parent / "tiny_project"

TINY = Scale(
    selected_projects=3, excluded_by_inspection=1, failing_candidates=2, commits=400, issues=150
)
README_QUERY = (
    "select activity, category, occurrences, round(100 * share, 1) as pct from "
    "activity_distribution order by occurrences desc"
)


def _env(tmp: Path, **extra) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MMS_LANDING_DIR=str(tmp / "landing"),
        MMS_DUCKDB_PATH=str(tmp / "warehouse.duckdb"),
        MMS_WAREHOUSE_SNAPSHOTS="1",
        MMS_PROJECT_DIR=str(TINY_PROJECT),
        **extra,
    )
    env.pop("DBT_LOG_LEVEL_FILE", None)  # the builds' own default, whatever the shell says
    return env


def _mms_warehouse(env, *args, **kwargs) -> subprocess.Popen:
    """A `mms-warehouse` process whose output goes to a file (``process.output()`` reads it): a
    pipe nobody reads while the test polls would fill and stall dbt."""
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (lives as long as the process)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "mms-warehouse"), *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )

    def output() -> str:
        log.seek(0)
        return log.read()

    process.output = output
    return process


def _held_build(env, tmp: Path, **kwargs) -> tuple[subprocess.Popen, Path]:
    """A build stopped while dbt is writing the build file (the tiny project's build_gate model
    waits there); it goes on when the returned gate file is created."""
    gate = tmp / "build-gate"
    waiting = Path(f"{gate}.waiting")
    gate.unlink(missing_ok=True)
    waiting.unlink(missing_ok=True)
    process = _mms_warehouse({**env, "MMS_TEST_BUILD_GATE": str(gate)}, "build", **kwargs)
    while not waiting.exists():
        assert process.poll() is None, process.output()
        time.sleep(0.05)
    return process, gate


def _build(env, *args) -> tuple[int, str]:
    process = _mms_warehouse(env, "build", *args)
    process.wait()
    return process.returncode, process.output()


def _build_id(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select build_id from build_info").fetchone()[0]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _build_folders(tmp: Path) -> list[Path]:
    """Folders of builds left in the builds folder (dbt's target folder, which every build of the
    warehouse shares, is not one)."""
    files = WarehouseFiles(tmp / "warehouse.duckdb")
    return [p for p in files.builds_dir.iterdir() if p.is_dir() and p != files.dbt_target]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A landing zone and a first published build."""
    tmp = tmp_path_factory.mktemp("warehouse")
    generate(tmp / "landing", TINY, seed=3)
    env = _env(tmp)
    code, output = _build(env)
    assert code == 0, output
    return tmp, env


def _copies(directory: Path) -> int:
    """Copies of the warehouse on disk: distinct inodes of its files (a snapshot and the file it
    was published as are one copy; a file may vanish while we look)."""
    inodes = set()
    for path in directory.rglob("*.duckdb*"):
        with contextlib.suppress(FileNotFoundError):
            # the database files and the staged link of a publish, not the lock or the WAL
            if path.is_file() and path.name.endswith((".duckdb", ".tmp")):
                inodes.add(path.stat().st_ino)
    return len(inodes)


def test_readers_never_see_a_lock_error_and_never_block_the_build(published):
    """One analyst keeps a connection open across the build; another reconnects every 50 ms and
    runs the README's query. The build succeeds, neither reader ever errors, the held connection
    keeps its snapshot, and new connections see the new build."""
    tmp, env = published
    path = tmp / "warehouse.duckdb"
    before = _build_id(path)
    held = duckdb.connect(str(path), read_only=True)
    errors: list[str] = []
    queries = 0
    stop = threading.Event()

    def reconnecting_reader():
        nonlocal queries
        while not stop.is_set():
            try:
                with duckdb.connect(str(path), read_only=True) as con:
                    assert con.execute(README_QUERY).fetchall()
                queries += 1
            except Exception as exc:  # every failure counts, whatever its type
                errors.append(repr(exc))
            time.sleep(0.05)

    reader = threading.Thread(target=reconnecting_reader)
    reader.start()
    copies_during_build: list[int] = []
    process, gate = _held_build(env, tmp)
    queries_before = queries
    while process.poll() is None:
        copies_during_build.append(_copies(tmp))
        if queries - queries_before > 20:  # readers worked while dbt wrote: let the build finish
            gate.touch()
        time.sleep(0.2)
    output = process.output()
    stop.set()
    reader.join()
    assert process.returncode == 0, output
    assert errors == [] and queries - queries_before > 20
    assert held.execute("select build_id from build_info").fetchone()[0] == before
    assert held.execute(README_QUERY).fetchall()
    held.close()
    after = _build_id(path)
    assert after != before
    assert publication_status(WarehouseFiles(path)).published_build_id == after
    # Published + the build being written, never more (snapshots are hard links of published).
    assert max(copies_during_build) == 2


def test_builds_share_one_target_folder_reuse_its_parse_and_leave_unit_tests_out(published):
    """Every build of a warehouse writes the same build path and dbt target folder, so dbt starts
    from the last build's parse (a profile that changed would make it parse everything again);
    the build tests the data, not the SQL: dbt's unit tests are for `dbt build` by hand and CI."""
    # Before the tests that build with other --vars (which dbt re-parses for): this build follows
    # builds with the project's own vars.
    tmp, env = published
    files = WarehouseFiles(tmp / "warehouse.duckdb")
    log = files.dbt_target / "dbt.log"
    # dbt's log file is at info unless asked (warehouse/publish.py); at debug it says how it parsed
    assert "[debug]" not in log.read_text(encoding="utf-8")
    # nor dbt's JSON artefacts, unless a build asks for them (as this one does, to read them)
    assert not {"manifest.json", "run_results.json"} & {p.name for p in files.dbt_target.iterdir()}
    code, output = _build({**env, "DBT_LOG_LEVEL_FILE": "debug"}, "--write-json")
    assert code == 0, output
    text = log.read_text(encoding="utf-8")
    this_build = text[text.rindex("Running with dbt=") :]
    assert "Unable to do partial parsing" not in this_build
    assert "Partial parsing enabled, no changes found, skipping parsing" in this_build
    # dbt/profiles.yml reads MMS_DBT_THREADS (the suite sets 1 unless the shell says otherwise)
    assert f"Concurrency: {os.environ['MMS_DBT_THREADS']} threads" in this_build
    manifest = json.loads((files.dbt_target / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["unit_tests"], "the tiny project has a unit test"
    ran = json.loads((files.dbt_target / "run_results.json").read_text(encoding="utf-8"))
    kinds = {result["unique_id"].split(".")[0] for result in ran["results"]}
    assert "model" in kinds and "unit_test" not in kinds
    assert _build_folders(tmp) == []


def test_a_new_warehouses_first_build_starts_from_the_projects_saved_parse(published, tmp_path):
    """dbt's profile holds the build file's path, and dbt parses the whole project again for a saved
    parse made under another profile; the sources and staging models read the landing directory
    when they are parsed. Both are given relative to the builds folder dbt runs in, so the parse
    the Dagster definitions keep (made for any warehouse of this name, on any landing zone) serves
    a warehouse never built before, on another landing zone, whole: its first build parses no
    file again."""
    tmp, env = published
    shutil.copytree(TINY_PROJECT, tmp_path / "project")
    project = tmp_path / "project" / "dbt"
    elsewhere = WarehouseFiles(tmp_path / "elsewhere" / "warehouse.duckdb")
    # as the definitions parse (dagster_project/defs/warehouse/dbt.py: _parse_environment)
    parsed = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "parse", "--quiet", "--project-dir", str(project),
         "--profiles-dir", str(project), "--target-path", str(project / DEFINITIONS_TARGET)],
        env={**env, "MMS_DBT_BUILD_PATH": str(elsewhere.dbt_build_path),
             "MMS_LANDING_DIR": str(elsewhere.dbt_landing_dir)},
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    new = tmp_path / "new" / "warehouse.duckdb"
    project_env = {"MMS_PROJECT_DIR": str(tmp_path / "project"), "DBT_LOG_LEVEL_FILE": "debug"}
    code, output = _build({**env, **project_env, "MMS_DUCKDB_PATH": str(new)})
    assert code == 0, output
    files = WarehouseFiles(new)
    log = (files.dbt_target / "dbt.log").read_text(encoding="utf-8")
    assert "Unable to do partial parsing" not in log
    assert "Partial parsing enabled, no changes found, skipping parsing" in log
    # the build read the landing zone it was given, through a link that went with its folder
    with duckdb.connect(str(new), read_only=True) as con:
        assert con.execute("select count(*) from stg_git__commits").fetchone()[0] == TINY.commits
    assert _build_id(new) and _build_folders(new.parent) == []
    # the relative path reached the new warehouse's builds folder only
    # (published, so that folder is gone too), nowhere else
    assert not list(tmp_path.rglob("building")) and not list(project.rglob("*.duckdb"))
    assert not (Path.cwd() / "building").exists()


def test_a_failing_build_publishes_nothing_and_says_why(published):
    tmp, env = published
    path = tmp / "warehouse.duckdb"
    digest, build_id = _digest(path), _build_id(path)
    # A margin of 0 makes Cochran's sample size infinite: the sampling models fail.
    code, output = _build(env, "--vars", "{sample_margin: 0}")
    assert code == 1, output
    assert "not published: dbt exited 1" in output
    assert _digest(path) == digest and _build_id(path) == build_id
    status = publication_status(WarehouseFiles(path))
    assert status.published_build_id == build_id
    assert status.last_failed is not None and status.last_failed.reason == "dbt exited 1"
    assert _build_folders(tmp) == []


def test_a_second_writer_fails_fast_naming_the_first(published):
    tmp, env = published
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from warehouse import WarehouseFiles, writer_lock\n"
            "with writer_lock(WarehouseFiles(Path(sys.argv[1])), 'Dagster run 1234abcd (build_warehouse)'):\n"
            # far longer than the build takes to give up: it must not wait for the lock's release
            "    print('locked', flush=True); time.sleep(600)\n",
            str(tmp / "warehouse.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        code, output = _build(env)
        assert code == 3 and holder.poll() is None  # gave up at once, while the lock was held
        assert "being written by Dagster run 1234abcd (build_warehouse) (pid" in output
        holder.kill()  # kill -9 of the holder frees the lock by itself
        holder.wait()
        code, output = _build(env, "--select", "build_info")
        assert code == 0, output
    finally:
        holder.kill()


_KILL_AT = """
import os, signal, sys
import warehouse.publish as publish
point = sys.argv[1]
real_replace, real_append = os.replace, publish.append_record
def kill(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if point == "rename":
    def replace(src, dst):
        if str(dst).endswith("warehouse.duckdb"):
            kill()
        return real_replace(src, dst)
    publish.os.replace = replace
elif point == "record":
    publish.append_record = kill
from warehouse.cli import main
sys.exit(main(["build", "--select", "build_info"]))
"""


@pytest.mark.parametrize("point", ["dbt", "rename", "record"])
def test_kill_9_anywhere_leaves_a_warehouse_that_opens_and_the_next_build_needs_no_one(
    published, point
):
    tmp, env = published
    path = tmp / "warehouse.duckdb"
    before = _build_id(path)
    if point == "dbt":
        process, _ = _held_build(env, tmp, start_new_session=True)  # dbt is writing the build file
        os.killpg(process.pid, signal.SIGKILL)  # the build and its dbt, as a dying host would
        process.wait()
    else:
        killed = subprocess.run([sys.executable, "-c", _KILL_AT, point], env=env)
        assert killed.returncode == -signal.SIGKILL
    survivor = _build_id(path)  # it opens
    if point == "record":
        assert survivor != before  # the rename had happened: the new build is published
    else:
        assert survivor == before
    code, output = _build(env, "--select", "build_info")
    assert code == 0, output
    assert _build_folders(tmp) == []
    assert not list(tmp.glob(".warehouse.duckdb.*.tmp"))


def test_files_landed_before_a_column_existed_still_build(published):
    """A column added to the contract later: the build refreshes the schema files, so the old
    files read with the column empty (and staging's documented reading of an empty value) instead
    of failing the build."""
    import pyarrow.parquet as pq

    tmp, env = published
    table = tmp / "landing" / "git" / "extractions"
    landed_rows = 0
    for path in table.glob("*.parquet"):
        old = pq.read_table(path)
        pq.write_table(old.drop_columns(["detect_copies"]), path)
        landed_rows += 0 if path.name == "_schema.parquet" else old.num_rows
    assert landed_rows > 0
    code, output = _build(env, "--select", "stg_git__extractions")
    assert code == 0, output
    with duckdb.connect(str(tmp / "warehouse.duckdb"), read_only=True) as con:
        rows, as_documented = con.execute(
            "select count(*), count(*) filter (detects_copies = (engine = 'git-log'))"
            " from stg_git__extractions"
        ).fetchone()
    # rows landed before the option existed: only the old git-log engine detected copies
    assert (rows, as_documented) == (landed_rows, landed_rows)
