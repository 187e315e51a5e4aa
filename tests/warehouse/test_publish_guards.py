"""What a build does not publish, tried with real `mms-warehouse build` processes: a build that lost
repositories against the published one (a listed file missing, files quarantined), landing files of
another schema met by an incremental build, a disk that fills while the build copies the warehouse.
Each test works on a fresh copy of one generated landing zone and its first published build, in
turn in the same folder, so that dbt reuses the first build's parse."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import landing
from demo.study_data import Scale, generate

TINY = Scale(
    selected_projects=3, excluded_by_inspection=1, failing_candidates=2, commits=400, issues=150
)
MMS_WAREHOUSE = str(Path(sys.executable).parent / "mms-warehouse")
# builds of the study's dbt project (its selection marts are part of what is checked)
pytestmark = pytest.mark.slow
#: What the guard reads (warehouse/shrink.py) and the tests query, with everything it is built
#: from: the study's marts beyond these add nothing the guard looks at and half of each build's time.
GUARDED = ("--indirect-selection", "cautious", "--select", "+selected_projects", "+project_selection", "+stg_git__commits",
           "+stg_git__extractions", "+stg_github__issues", "+stg_github__pull_requests",
           "build_info")  # fmt: skip


def _env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MMS_LANDING_DIR": str(tmp / "landing"),
        "MMS_DUCKDB_PATH": str(tmp / "warehouse.duckdb"),
        "MMS_WAREHOUSE_SNAPSHOTS": "1",
    }


def _run(env, *args) -> tuple[int, str]:
    if args[0] == "build":
        args = (*args, *GUARDED)
    done = subprocess.run([MMS_WAREHOUSE, *args], env=env, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def workplace(tmp_path_factory) -> Path:
    """The one folder every test of this module works in, in turn (a fresh copy each time). dbt
    reuses a saved parse only when its profile, which holds the build file's path, is unchanged:
    built at the same path as the pristine build, a test's first build starts from that build's
    parse instead of parsing the whole project again (~3 CPU s of each first build)."""
    return tmp_path_factory.getbasetemp() / "publish-guards-work"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, workplace):
    """A landing zone and its first build: nothing was published before, so nothing can shrink."""
    shutil.rmtree(workplace, ignore_errors=True)
    generate(workplace / "landing", TINY, seed=3)
    code, output = _run(_env(workplace), "build")
    assert code == 0, output
    tmp = tmp_path_factory.mktemp("pristine")
    shutil.copytree(workplace, tmp, dirs_exist_ok=True)
    return tmp


@pytest.fixture
def warehouse(pristine, workplace):
    """A copy of the pristine landing zone, published warehouse, builds log and dbt's saved parse,
    in the module's workplace."""
    shutil.rmtree(workplace, ignore_errors=True)
    shutil.copytree(pristine / "landing", workplace / "landing")
    shutil.copy(pristine / "warehouse.duckdb", workplace / "warehouse.duckdb")
    builds = workplace / "warehouse.duckdb.builds"
    (builds / "dbt-target").mkdir(parents=True)
    shutil.copy(pristine / "warehouse.duckdb.builds" / "builds.jsonl", builds)
    parse = pristine / "warehouse.duckdb.builds" / "dbt-target" / "partial_parse.msgpack"
    shutil.copy(parse, builds / "dbt-target")
    return workplace, _env(workplace)


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _commits(path: Path) -> dict[str, int]:
    return dict(_query(path, "select repo_id, count(*) from stg_git__commits group by 1"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _last_record(tmp: Path) -> dict:
    return json.loads(
        (tmp / "warehouse.duckdb.builds" / "builds.jsonl").read_text().splitlines()[-1]
    )


def _reland_commits(root: Path, repo_id: str, commits: pa.Table, **row) -> None:
    """Commit a new generation of the repository's git tables, as the miner does."""
    files = landing.read_partition(root, "git/modified_files", repo_id)
    kept = files.filter(pc.is_in(files["commit_hash"], commits["commit_hash"].cast(pa.string())))
    extraction = {
        "repo_id": repo_id,
        "mode": "incremental",
        "extracted_at": dt.datetime.now(dt.UTC),
    }
    landing.commit_repository(
        root,
        "git/extractions",
        repo_id,
        {**extraction, "commits": commits.num_rows, **row},
        {"git/commits": commits, "git/modified_files": kept},
    )


def test_a_build_that_lost_its_repositories_is_not_published_and_status_says_why(warehouse):
    """The issue's case: one listed generation file missing, two others unreadable. The build
    passes dbt (fewer rows are consistent rows) but loses every repository: it is not published,
    every file is named, `status` says why, and --allow-shrink publishes it on purpose."""
    tmp, env = warehouse
    root, path = tmp / "landing", tmp / "warehouse.duckdb"
    before = _commits(path)
    missing, unreadable_files, unreadable_commits = sorted(before)
    gone = landing.current_path(root, "git/commits", missing)
    gone.unlink()
    for repo_id, table in (
        (unreadable_files, "git/modified_files"),
        (unreadable_commits, "git/commits"),
    ):
        bad = landing.current_path(root, table, repo_id)
        bad.write_bytes(bad.read_bytes()[:100])
    digest = _digest(path)

    code, output = _run(env, "build")

    assert code == 1, output
    slug = missing.replace("/", "__")
    assert (
        f"quarantined git/commits of {slug}: git/commits/{gone.name} is listed by its "
        "git/extractions row but missing (deleted?) (nothing to move)"
    ) in output
    assert f"quarantined git/modified_files of {unreadable_files.replace('/', '__')}: " in output
    assert f"quarantined git/commits of {unreadable_commits.replace('/', '__')}: " in output
    assert (
        "not published: its landed data shrank against the published build in 3 repositories"
        in output
    )
    assert _digest(path) == digest
    code, status = _run(env, "status")
    assert code == 0
    assert "was not published: its landed data shrank" in status and "--allow-shrink" in status
    for repo_id, commits in before.items():
        assert (
            f"  {repo_id}: 0 commits against {commits} published (landed files missing or "
            "quarantined)"
        ) in status.splitlines()

    code, output = _run(env, "build", "--allow-shrink")
    assert code == 0, output
    assert _commits(path) == {}
    code, status = _run(env, "status")
    assert "published with --allow-shrink although it lost data against the build before:" in status
    assert f"  {missing}: 0 commits against {before[missing]} published" in status


def test_one_unreadable_repository_is_quarantined_and_the_others_build_once_allowed(warehouse):
    """The unreadable file costs only its repository, and never silently: the build that lost it
    is held back (the shrink guard) until the operator allows it."""
    tmp, env = warehouse
    root = tmp / "landing"
    path = tmp / "warehouse.duckdb"
    repos = sorted(_commits(path))
    victim = repos[0]
    bad = landing.current_path(root, "git/modified_files", victim)
    bad.write_bytes(bad.read_bytes()[:100])  # truncated
    before = _query(path, "select build_id from build_info")
    code, output = _run(env, "build")
    assert code == 1, output
    assert f"quarantined git/modified_files of {victim.replace('/', '__')}" in output
    assert f"{victim}: 0 commits against" in output
    assert _query(path, "select build_id from build_info") == before
    code, output = _run(env, "build", "--allow-shrink")
    assert code == 0, output
    staged = _commits(path)
    unreadable = _query(path, "select repo_id from stg_git__extractions where not is_readable")
    assert victim not in staged and set(staged) == set(repos) - {victim}
    assert unreadable == [(victim,)]
    moved = list((root / landing.QUARANTINE_DIR).rglob("*.parquet"))
    assert {p.parent.name for p in moved} == {"commits", "modified_files"}


def test_a_recorded_force_push_and_an_inspection_exclusion_are_published(warehouse):
    """What the guard lets through: fewer commits the git miner recorded as dropped (a
    force-push), a repository an inspection excluded. The same loss unrecorded is held back."""
    tmp, env = warehouse
    root, path = tmp / "landing", tmp / "warehouse.duckdb"
    before = _commits(path)
    pushed, excluded, _ = sorted(before)
    commits = landing.read_partition(root, "git/commits", pushed)
    kept = commits.slice(0, commits.num_rows // 2)

    _reland_commits(root, pushed, kept, dropped_commits=0)
    code, output = _run(env, "build")
    assert code == 1, output
    assert f"{pushed}: {kept.num_rows} commits against {before[pushed]} published" in output

    _reland_commits(root, pushed, kept, dropped_commits=commits.num_rows - kept.num_rows)
    inspections = pq.read_table(root / "annotations" / "project_inspections" / "generator.parquet")
    inspections = pa.Table.from_pylist(
        [
            {**row, "decision": "exclude" if row["repo_id"] == excluded else row["decision"]}
            for row in inspections.to_pylist()
        ],
        schema=inspections.schema,
    )
    landing.write_keyed(root, "annotations/project_inspections", "generator", inspections)
    code, output = _run(env, "build")
    assert code == 0, output
    assert _commits(path)[pushed] == kept.num_rows
    assert excluded not in {r[0] for r in _query(path, "select repo_id from selected_projects")}
    assert _last_record(tmp)["shrinks"] == []


def _land_raw_commits(root: Path, repo_id: str, commits: pa.Table) -> str:
    """A new generation whose commits file is written as is (another tool, another version)."""
    row = landing.read_partition(root, "git/extractions", repo_id).to_pylist()[0]
    generation = landing.new_generation()
    slug = repo_id.replace("/", "__")
    commits_path = root / "git" / "commits" / f"{slug}@{generation}.parquet"
    pq.write_table(commits, commits_path)
    files_path = root / "git" / "modified_files" / f"{slug}@{generation}.parquet"
    shutil.copy(landing.current_path(root, "git/modified_files", repo_id), files_path)
    row.update(
        generation=generation,
        landed_files=[f"git/commits/{commits_path.name}", f"git/modified_files/{files_path.name}"],
    )
    landing.write_atomic(
        landing.partition_path(root, "git/extractions", repo_id),
        pa.Table.from_pylist([row], schema=landing.SCHEMAS["git/extractions"]),
    )
    return commits_path.name


def test_an_incremental_build_quarantines_landing_files_of_another_schema(warehouse):
    """Insertions landed as text were cast back to numbers by the incremental insert, and a
    contract column missing read as NULLs: the build read only the new files and published them.
    Now every current file's schema is checked against the contract before dbt runs, whatever the
    build reads; the repositories left out then hold the build back like any other loss."""
    tmp, env = warehouse
    root, path = tmp / "landing", tmp / "warehouse.duckdb"
    before = _commits(path)
    as_text, without_column, intact = sorted(before)
    commits = landing.read_partition(root, "git/commits", as_text)
    insertions = pc.cast(commits["insertions"], pa.string())
    text_file = _land_raw_commits(
        root,
        as_text,
        commits.set_column(commits.schema.get_field_index("insertions"), "insertions", insertions),
    )
    commits = landing.read_partition(root, "git/commits", without_column)
    short_file = _land_raw_commits(root, without_column, commits.drop_columns(["committed_at"]))

    code, output = _run(env, "build")

    assert (
        f"quarantined git/commits of {as_text.replace('/', '__')}: git/commits/{text_file}: "
        "does not fit the landing contract: column insertions is string, the contract says int64"
    ) in output
    assert (
        f"quarantined git/commits of {without_column.replace('/', '__')}: git/commits/"
        f"{short_file}: does not fit the landing contract: column committed_at missing"
    ) in output
    assert _last_record(tmp)["full_refresh"] is False  # the incremental path
    assert code == 1, output
    assert _commits(path) == before
    code, output = _run(env, "build", "--allow-shrink")
    assert code == 0, output
    assert _commits(path) == {intact: before[intact]}
    assert sorted(
        _query(path, "select repo_id from stg_git__extractions where not is_readable")
    ) == [
        (as_text,),
        (without_column,),
    ]


def _one_line_and_no_partial_copy(tmp: Path, output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    builds = tmp / "warehouse.duckdb.builds"
    # the log and dbt's folder of the builds before, and no partial copy of the warehouse
    assert sorted(p.name for p in builds.iterdir()) == ["builds.jsonl", "dbt-target"]
    record = _last_record(tmp)
    assert record["status"] == "failed" and "the disk is full" in record["reason"]
    return lines[0]


_FULL_DISK = """
import errno, os, shutil, sys
import warehouse.publish as publish
def copy_then_fill(src, dst):
    with open(src, "rb") as source, open(dst, "wb") as target:
        target.write(source.read(os.path.getsize(src) // 2))
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
publish.shutil.copyfile = copy_then_fill
from warehouse.cli import main
sys.exit(main(["build"]))
"""


def test_a_disk_that_fills_while_the_build_copies_is_one_line_cleaned_and_recorded(warehouse):
    """The copy fails half-way with ENOSPC, injected at the copy (this test runs anywhere; the next
    one fills a real file system where the machine allows mounting one)."""
    tmp, env = warehouse
    done = subprocess.run(
        [sys.executable, "-c", _FULL_DISK], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    line = _one_line_and_no_partial_copy(tmp, done.stdout + done.stderr)
    assert re.fullmatch(
        rf"error: cannot copy the published warehouse to {re.escape(str(tmp))}/warehouse\.duckdb"
        r"\.builds/\S+: the disk is full \([\d.,]+ MB free there, a build needs [\d.,]+ MB\); "
        r"nothing was published",
        line,
    ), line
    code, status = _run(env, "status")
    assert "was not published: cannot copy the published warehouse" in status


def _can_mount_a_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"]
    return subprocess.run(probe, capture_output=True).returncode == 0


_ON_A_SMALL_DISK = """
set -e
mount -t tmpfs -o size="$SIZE" tmpfs "$DISK"
cp "$SRC/warehouse.duckdb" "$DISK/"
mkdir "$DISK/warehouse.duckdb.builds"
cp "$SRC/warehouse.duckdb.builds/builds.jsonl" "$DISK/warehouse.duckdb.builds/"
set +e
"$MMS" build > "$OUT/build.txt" 2>&1
echo $? > "$OUT/code"
"$MMS" status > "$OUT/status.txt" 2>&1
df -B1 --output=used "$DISK" | tail -1 > "$OUT/used"
cp -r "$DISK/warehouse.duckdb.builds" "$OUT/"
"""


@pytest.mark.skipif(not _can_mount_a_tmpfs(), reason="no user namespace to mount a small tmpfs in")
def test_a_real_full_disk_while_the_build_copies(warehouse, tmp_path_factory):
    """The warehouse on a tmpfs half again its size, mounted in a user namespace of its own (it
    vanishes with the test): the copy fills it. One line, the space given back, the failure in
    the builds log and in `status`."""
    tmp, env = warehouse
    disk, out = tmp_path_factory.mktemp("disk"), tmp_path_factory.mktemp("out")
    size = (tmp / "warehouse.duckdb").stat().st_size
    env = {
        **env,
        "MMS_DUCKDB_PATH": str(disk / "warehouse.duckdb"),
        "SIZE": str(size * 3 // 2),
        "DISK": str(disk),
        "SRC": str(tmp),
        "OUT": str(out),
        "MMS": MMS_WAREHOUSE,
    }
    subprocess.run(["unshare", "-rm", "sh", "-c", _ON_A_SMALL_DISK], env=env, check=True)
    assert (out / "code").read_text().strip() == "2"
    output = (out / "build.txt").read_text()
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith(f"error: cannot copy the published warehouse to {disk}/")
    assert "the disk is full" in lines[0] and lines[0].endswith("nothing was published")
    # only the published warehouse, the lock and the log take room again
    assert int((out / "used").read_text()) < size + 1_000_000
    assert [p.name for p in (out / "warehouse.duckdb.builds").iterdir()] == ["builds.jsonl"]
    record = json.loads(
        (out / "warehouse.duckdb.builds" / "builds.jsonl").read_text().splitlines()[-1]
    )
    assert record["status"] == "failed" and "the disk is full" in record["reason"]
    assert (
        "was not published: cannot copy the published warehouse" in (out / "status.txt").read_text()
    )
