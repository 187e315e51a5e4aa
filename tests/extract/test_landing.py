import duckdb
import pyarrow as pa
import pytest

from extract import landing


def _commits(repo_id, hashes):
    schema = landing.SCHEMAS["git/commits"]
    return pa.Table.from_pylist(
        [
            {"repo_id": repo_id, "commit_hash": h, "parent_hashes": [], "insertions": 1}
            for h in hashes
        ],
        schema=schema,
    )


def test_init_writes_a_readable_empty_schema_for_every_table(tmp_path):
    landing.ensure_landing(tmp_path)
    for table, schema in landing.SCHEMAS.items():
        rel = duckdb.sql(f"select * from read_parquet('{tmp_path}/{table}/*.parquet')")
        assert rel.columns == schema.names
        assert rel.fetchall() == []


def test_relanding_a_partition_replaces_it_and_leaves_no_temporary_file(tmp_path):
    landing.write_partition(tmp_path, "git/commits", "a/b", _commits("a/b", ["1", "2"]))
    landing.write_partition(tmp_path, "git/commits", "c/d", _commits("c/d", ["1"]))
    landing.write_partition(tmp_path, "git/commits", "a/b", _commits("a/b", ["2", "3"]))
    rows = duckdb.sql(
        f"select repo_id, commit_hash from read_parquet('{tmp_path}/git/commits/*.parquet') order by all"
    ).fetchall()
    assert rows == [("a/b", "2"), ("a/b", "3"), ("c/d", "1")]
    assert sorted(p.name for p in (tmp_path / "git/commits").iterdir()) == [
        "_schema.parquet",
        "a__b.parquet",
        "c__d.parquet",
    ]


def test_a_failed_write_keeps_the_previous_partition(tmp_path, monkeypatch):
    landing.write_partition(tmp_path, "git/commits", "a/b", _commits("a/b", ["1"]))

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(landing.pq, "write_table", boom)
    with pytest.raises(OSError):
        landing.write_partition(tmp_path, "git/commits", "a/b", _commits("a/b", ["9"]))
    assert landing.read_partition(tmp_path, "git/commits", "a/b")["commit_hash"].to_pylist() == [
        "1"
    ]
    assert [p.name for p in (tmp_path / "git/commits").glob(".*")] == []


def test_rows_that_do_not_fit_the_schema_are_refused_naming_table_and_repository(tmp_path):
    bad = pa.table({"repo_id": ["a/b"]})
    with pytest.raises(landing.LandingError, match="git/commits of a/b"):
        landing.write_partition(tmp_path, "git/commits", "a/b", bad)
