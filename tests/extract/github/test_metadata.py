import landing
from demo.github_stand_in import Fault

from .conftest import TOKEN  # noqa: F401  (the stand-in only accepts it)


def test_live_repository_costs_three_requests_and_counts_from_link_headers(
    stand_in, make_miner, tmp_path
):
    stand_in.add_repository("Org/Proj", id=77, commits=1234, contributors=56, topics=["ml"])
    row = make_miner().land_repository_metadata("org/proj", tmp_path)
    assert row["status"] == "ok" and row["full_name"] == "Org/Proj"
    assert (row["github_id"], row["commits_count"], row["contributors_count"]) == (77, 1234, 56)
    assert row["topics"] == ["ml"] and row["requests_made"] == 3
    assert stand_in.count() == 3
    assert [s.query.get("per_page") for s in stand_in.served[1:]] == ["1", "1"]
    landed = landing.read_partition(tmp_path, "github/repositories", "org/proj").to_pylist()
    assert landed[0]["commits_count"] == 1234 and landed[0]["api_base_url"] == stand_in.base_url


def test_single_commit_repository_has_no_link_header_and_counts_one(stand_in, make_miner):
    stand_in.add_repository("a/one", commits=1, contributors=1)
    row = make_miner().fetch_repository_metadata("a/one")
    assert (row["commits_count"], row["contributors_count"]) == (1, 1)


def test_renamed_missing_blocked_and_empty_repositories_get_a_status(
    stand_in, make_miner, tmp_path
):
    stand_in.add_repository("old/name", id=5, commits=9, contributors=2)
    stand_in.rename_repository("old/name", "new/name")
    stand_in.add_repository("dmca/repo", blocked=True)
    stand_in.add_repository("void/repo", commits=0)
    miner = make_miner()
    rows = {
        r: miner.land_repository_metadata(r, tmp_path)
        for r in ["old/name", "gone/repo", "dmca/repo", "void/repo"]
    }
    renamed = rows["old/name"]
    assert (renamed["status"], renamed["repo_id"], renamed["full_name"]) == (
        "renamed",
        "old/name",
        "new/name",
    )
    assert renamed["github_id"] == 5 and renamed["commits_count"] == 9
    # 301 + /repositories/5 + commits + contributors, the counts addressed by the new name
    assert renamed["requests_made"] == 4
    assert [s.path for s in stand_in.served[:4]] == [
        "/repos/old/name",
        "/repositories/5",
        "/repos/new/name/commits",
        "/repos/new/name/contributors",
    ]
    assert rows["gone/repo"]["status"] == "not_found" and rows["gone/repo"]["requests_made"] == 1
    assert rows["dmca/repo"]["status"] == "blocked" and "451" in rows["dmca/repo"]["status_detail"]
    assert rows["void/repo"]["status"] == "empty" and rows["void/repo"]["commits_count"] == 0
    assert stand_in.count() == 4 + 1 + 1 + 2
    statuses = {
        r: landing.read_partition(tmp_path, "github/repositories", r).to_pylist()[0]["status"]
        for r in rows
    }
    assert statuses == {
        "old/name": "renamed",
        "gone/repo": "not_found",
        "dmca/repo": "blocked",
        "void/repo": "empty",
    }


def test_repository_that_disappears_keeps_its_last_values_under_the_new_status(
    stand_in, make_miner, tmp_path
):
    stand_in.add_repository("a/b", id=9, stargazers_count=42)
    miner = make_miner()
    first = miner.land_repository_metadata("a/b", tmp_path)
    stand_in.remove_repository("a/b")
    second = miner.land_repository_metadata("a/b", tmp_path)
    assert second["status"] == "not_found" and second["stargazers_count"] == 42
    assert second["values_fetched_at"] == first["values_fetched_at"]
    assert second["fetched_at"] > first["fetched_at"]
    landed = landing.read_partition(tmp_path, "github/repositories", "a/b").to_pylist()
    assert len(landed) == 1 and landed[0]["status"] == "not_found" and landed[0]["github_id"] == 9


def test_server_errors_after_retries_are_an_error_status_and_the_run_goes_on(
    stand_in, make_miner, tmp_path
):
    stand_in.add_repository("bad/one")
    stand_in.add_repository("good/one")
    stand_in.add_fault(r"^/repos/bad/one$", *[Fault.status_code(502)] * 3)
    miner = make_miner(retries=2)
    bad = miner.land_repository_metadata("bad/one", tmp_path)
    good = miner.land_repository_metadata("good/one", tmp_path)
    assert bad["status"] == "error" and "/repos/bad/one" in bad["status_detail"]
    assert bad["requests_made"] == 3 == stand_in.count("/repos/bad/one")
    assert good["status"] == "ok"
