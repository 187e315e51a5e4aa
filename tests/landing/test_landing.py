import errno
import os
import stat
import time

import duckdb
import pyarrow as pa
import pytest

import landing


def _commits(repo_id, hashes):
    return pa.Table.from_pylist(
        [
            {"repo_id": repo_id, "commit_hash": h, "parent_hashes": [], "insertions": 1}
            for h in hashes
        ],
        schema=landing.SCHEMAS["git/commits"],
    )


def _files(repo_id, hashes):
    return pa.Table.from_pylist(
        [
            {"repo_id": repo_id, "commit_hash": h, "file_index": 0, "new_path": "a.py"}
            for h in hashes
        ],
        schema=landing.SCHEMAS["git/modified_files"],
    )


def _commit(root, repo_id, hashes, **row):
    return landing.commit_repository(
        root,
        "git/extractions",
        repo_id,
        {"repo_id": repo_id, "commits": len(hashes), **row},
        {"git/commits": _commits(repo_id, hashes), "git/modified_files": _files(repo_id, hashes)},
    )


def _current(root, table):
    files = [str(p) for p in landing.current_files(root, table)]
    if not files:
        return []
    return duckdb.sql(
        f"select repo_id, commit_hash from read_parquet({files}) order by all"
    ).fetchall()


def test_init_writes_a_readable_empty_schema_for_every_table(tmp_path):
    landing.ensure_landing(tmp_path)
    for table, schema in landing.SCHEMAS.items():
        rel = duckdb.sql(f"select * from read_parquet('{tmp_path}/{table}/_schema.parquet')")
        assert rel.columns == schema.names
        assert rel.fetchall() == []


def test_a_commit_replaces_a_repositorys_tables_together(tmp_path):
    _commit(tmp_path, "a/b", ["1", "2"])
    _commit(tmp_path, "c/d", ["1"])
    second = _commit(tmp_path, "a/b", ["2", "3"])
    for table in ("git/commits", "git/modified_files"):
        assert _current(tmp_path, table) == [("a/b", "2"), ("a/b", "3"), ("c/d", "1")]
    row = landing.read_partition(tmp_path, "git/extractions", "a/b").to_pylist()[0]
    assert row["generation"] == second.generation
    assert row["landed_files"] == [
        f"git/commits/a__b@{second.generation}.parquet",
        f"git/modified_files/a__b@{second.generation}.parquet",
    ]
    assert landing.read_partition(tmp_path, "git/commits", "a/b").num_rows == 2


def test_keeping_the_data_rewrites_only_the_commit_row(tmp_path):
    first = _commit(tmp_path, "a/b", ["1"], mode="full")
    kept = landing.commit_repository(
        tmp_path, "git/extractions", "a/b", {"repo_id": "a/b", "mode": "unchanged"}, None
    )
    assert kept.generation == first.generation
    assert landing.read_partition(tmp_path, "git/extractions", "a/b")["mode"].to_pylist() == [
        "unchanged"
    ]
    assert _current(tmp_path, "git/commits") == [("a/b", "1")]


def test_a_crash_before_the_commit_row_leaves_the_previous_state_whole(tmp_path, monkeypatch):
    """Killed after the new data files were renamed into place but before the commit row: readers
    resolve files through the commit row, so they see the previous commits *and* files, no orphan
    rows; the next commit removes the dead writer's files and temporaries."""
    _commit(tmp_path, "a/b", ["1", "2"])
    real = landing.write_atomic

    def killed_at_the_commit_row(path, *args, **kwargs):
        if "extractions" in str(path):
            (path.parent / f".{path.name}.abc123.tmp").write_bytes(b"half a file")
            raise KeyboardInterrupt  # the process dies here
        return real(path, *args, **kwargs)

    monkeypatch.setattr(landing, "write_atomic", killed_at_the_commit_row)
    with pytest.raises(KeyboardInterrupt):
        _commit(tmp_path, "a/b", ["1", "2", "3"])
    monkeypatch.setattr(landing, "write_atomic", real)
    on_disk = sorted(p.name for p in (tmp_path / "git/commits").glob("a__b@*.parquet"))
    assert len(on_disk) == 2  # the orphan is there, but nothing names it
    for table in ("git/commits", "git/modified_files"):
        assert _current(tmp_path, table) == [("a/b", "1"), ("a/b", "2")]

    monkeypatch.setattr(landing, "GENERATION_GRACE_SECONDS", 0)
    third = _commit(tmp_path, "a/b", ["1", "2", "3"])
    assert not [p for p in (tmp_path / "git").rglob("*.tmp")]
    # The dead writer's files are gone; the current and the previous generation stay.
    first = on_disk[0]  # generations sort by time: the committed one is older than the orphan
    assert sorted(p.name for p in (tmp_path / "git/commits").glob("a__b@*.parquet")) == [
        first,
        f"a__b@{third.generation}.parquet",
    ]
    assert _current(tmp_path, "git/commits") == [("a/b", "1"), ("a/b", "2"), ("a/b", "3")]


def test_superseded_generations_stay_for_the_grace_period_then_go(tmp_path):
    first = _commit(tmp_path, "a/b", ["1"])
    second = _commit(tmp_path, "a/b", ["2"])
    old = tmp_path / "git/commits" / f"a__b@{first.generation}.parquet"
    assert old.exists()  # previous generation: a reader may have resolved it a moment ago
    third = _commit(tmp_path, "a/b", ["3"])
    assert old.exists()  # older than the previous, but younger than the grace period
    past = time.time() - landing.GENERATION_GRACE_SECONDS - 5
    os.utime(old, (past, past))
    _commit(tmp_path, "a/b", ["4"])
    assert not old.exists()
    assert (tmp_path / "git/commits" / f"a__b@{third.generation}.parquet").exists()
    # The second is older than the previous generation but within the grace period: kept.
    assert (tmp_path / "git/commits" / f"a__b@{second.generation}.parquet").exists()


def test_a_commit_must_land_every_table_of_its_domain(tmp_path):
    with pytest.raises(landing.LandingError, match="lands exactly"):
        landing.commit_repository(
            tmp_path,
            "git/extractions",
            "a/b",
            {"repo_id": "a/b"},
            {"git/commits": _commits("a/b", ["1"])},
        )
    assert landing.read_partition(tmp_path, "git/extractions", "a/b") is None


def test_one_file_per_repository_whatever_the_case(tmp_path):
    table = landing.SCHEMAS["github/repositories"]
    landing.write_partition(
        tmp_path, "github/repositories", "Sample-ML/Vision", table.empty_table()
    )
    landing.write_partition(
        tmp_path, "github/repositories", "sample-ml/vision", table.empty_table()
    )
    assert [p.name for p in landing.current_files(tmp_path, "github/repositories")] == [
        "sample-ml__vision.parquet"
    ]


def test_landed_files_are_readable_by_group_and_others_per_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        _commit(tmp_path, "a/b", ["1"])
    finally:
        os.umask(old)
    for path in (tmp_path / "git").rglob("*.parquet"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == 0o644, (path, oct(mode))


def test_a_failed_write_keeps_the_previous_file_and_names_it(tmp_path, monkeypatch):
    table = landing.SCHEMAS["github/repositories"]
    rows = pa.Table.from_pylist([{"repo_id": "a/b", "status": "ok"}], schema=table)
    landing.write_partition(tmp_path, "github/repositories", "a/b", rows)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(landing.pq, "write_table", disk_full)
    with pytest.raises(landing.LandingError) as err:
        landing.write_partition(tmp_path, "github/repositories", "a/b", rows)
    assert str(err.value) == (
        f"cannot write {tmp_path}/github/repositories/a__b.parquet: the disk is full"
    )
    assert landing.read_partition(tmp_path, "github/repositories", "a/b").num_rows == 1
    assert [p.name for p in (tmp_path / "github/repositories").glob(".*")] == []


def test_rows_that_do_not_fit_the_schema_are_refused_naming_table_and_repository(tmp_path):
    bad = pa.table({"repo_id": ["a/b"]})
    with pytest.raises(landing.LandingError, match="git/commits of a/b"):
        landing.commit_repository(
            tmp_path,
            "git/extractions",
            "a/b",
            {"repo_id": "a/b"},
            {"git/commits": bad, "git/modified_files": _files("a/b", [])},
        )
