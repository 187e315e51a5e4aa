import os

import duckdb
import pytest

import landing
from extract.github.candidates import load_candidates
from tests.dbt_cli import dbt

from .conftest import BASE_TIME, add_issues


@pytest.mark.slow
def test_dbt_builds_github_staging_over_what_the_miner_landed(stand_in, make_miner, tmp_path):
    root = tmp_path / "landing"
    landing.ensure_landing(root)
    (tmp_path / "list.csv").write_text(
        "ProjectName,ProjectType\no/r,Tool\nO/R,Tool\ngone/x,Applied\nre/used,Tool\n"
    )
    load_candidates(tmp_path / "list.csv", root)
    repo = stand_in.add_repository("o/r", commits=40, contributors=3)
    add_issues(repo, range(1, 121), pr_every=3)
    repo.timelines[2] = [
        {
            "event": "cross-referenced",
            "source": {
                "issue": {"number": 3, "pull_request": {}, "repository": {"full_name": "o/r"}}
            },
        }
    ]
    miner = make_miner()
    for repo_id in ("o/r", "gone/x"):
        miner.land_repository_metadata(repo_id, root)
        miner.crawl_closed_issues(repo_id, root)
    miner.fetch_issue_links("o/r", [2], root)
    # A name another repository took after it was landed: staged as name_reused, the landed id's.
    stand_in.add_repository("re/used", id=77, commits=9)
    miner.land_repository_metadata("re/used", root)
    stand_in.rename_repository("re/used", "re/named")
    stand_in.add_repository("re/used", id=78, commits=1)
    miner.land_repository_metadata("re/used", root)
    warehouse = tmp_path / "warehouse.duckdb"
    env = {
        **os.environ,
        "MMS_DUCKDB_PATH": str(warehouse),
        "MMS_DBT_BUILD_PATH": str(warehouse),
        "MMS_LANDING_DIR": str(root),
    }
    run = dbt(
        env,
        "build",
        "--select",
        "path:models/staging/github",
        # Tests of other folders that reference these models need their models built too.
        "--indirect-selection",
        "cautious",
        target=tmp_path / "target",
    )
    assert "ERROR=0" in run.stdout and "PASS=" in run.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:

        def one(sql):
            return con.sql(sql).fetchall()

        assert one(
            "select count(*), count(*) filter (where is_pull_request) from stg_github__issues"
        ) == [(80, 0)]
        assert one(
            "select count(*), count(*) filter (where is_merged) from stg_github__pull_requests"
        ) == [(40, 20)]
        assert one(
            "select repo_id, metadata_status, commits, contributors from stg_github__repositories order by 1"
        ) == [
            ("gone/x", "not_found", None, None),
            ("o/r", "ok", 40, 3),
            ("re/used", "name_reused", 9, 1),
        ]
        assert one(
            "select repo_id, crawl_status, is_complete, github_id, github_full_name"
            " from stg_github__issue_crawls order by 1"
        ) == [
            ("gone/x", "not_found", False, None, None),
            ("o/r", "complete", True, 1000, "o/r"),
        ]
        assert one("select issue_key, linked_pull_request_number from stg_github__issue_links") == [
            ("o/r#2", 3)
        ]
        assert one(
            "select line_number, repo_id, is_valid from stg_github__candidates order by 1"
        ) == [(2, "o/r", True), (3, None, False), (4, "gone/x", True), (5, "re/used", True)]
        assert (
            one("select max(closed_at) from stg_github__issues")[0][0].timestamp()
            == BASE_TIME + 119
        )
