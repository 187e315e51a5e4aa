"""Issue 16, case 1: a repository's name re-used by another repository. ``owner/old`` was renamed to
``owner/new`` and a new repository (another numeric id) was created as ``owner/old``. Once landed, a
repository is its numeric id: the name's new owner is reported (``name_reused``), the landed id is
kept unless the user follows the name, and the issues of two ids never merge."""

import landing

from .conftest import BASE_TIME, add_issues

OLD_ID, NEW_ID = 17891941, 99990003


def _landed_then_reused(stand_in, run_cli):
    """owner/old landed (4 closed issues and closed pull request #1), then renamed away and its
    name taken by a new repository whose issue #1 is an issue, updated after everything landed."""
    old = stand_in.add_repository("owner/old", id=OLD_ID, stargazers_count=595, commits=40)
    old.add_issue(1, pull_request=True, merged_at=BASE_TIME, closed_at=BASE_TIME)
    add_issues(old, range(2, 6))
    url = ("--base-url", stand_in.base_url)
    assert run_cli("github", "metadata", *url, "--repo", "owner/old")[0] == 0
    assert run_cli("github", "issues", *url, "--repo", "owner/old")[0] == 0
    stand_in.rename_repository("owner/old", "owner/new")
    new = stand_in.add_repository("owner/old", id=NEW_ID, stargazers_count=0, commits=2)
    new.add_issue(1, closed_at=BASE_TIME + 10_000, title="the new repository's issue")
    stand_in.reset_counts()
    return url


def _rows(root):
    return {
        r["number"]: r
        for r in landing.read_partition(root, "github/issues", "owner/old").to_pylist()
    }


def _metadata(root):
    return landing.read_partition(root, "github/repositories", "owner/old").to_pylist()[0]


def test_a_reused_name_is_reported_and_the_landed_repository_kept(stand_in, run_cli, tmp_path):
    url = _landed_then_reused(stand_in, run_cli)
    root = tmp_path / "landing"
    code, out, _ = run_cli("github", "metadata", *url, "--repo", "owner/old")
    assert code == 0
    assert out == (
        f"owner/old\tname_reused\towner/old now names another repository (id {NEW_ID}), not the "
        f"landed one (id {OLD_ID}, now owner/new): kept id {OLD_ID}; --follow-reused-names "
        "follows the name\n"
    )
    row = _metadata(root)
    assert (row["status"], row["github_id"], row["full_name"]) == (
        "name_reused",
        OLD_ID,
        "owner/new",
    )
    assert (row["stargazers_count"], row["commits_count"]) == (595, 40)
    # The name, the landed id's values, its counts by its current name: one request more than a
    # rename costs, and only when a name changed hands.
    assert [(s.path, s.status) for s in stand_in.served] == [
        ("/repos/owner/old", 200),
        (f"/repositories/{OLD_ID}", 200),
        ("/repos/owner/new/commits", 200),
        ("/repos/owner/new/contributors", 200),
    ]

    stand_in.reset_counts()
    code, out, _ = run_cli("github", "issues", *url, "--repo", "owner/old")
    # A refresh of the landed id (nothing new there), and the line says what the metadata found.
    assert code == 0
    assert out.startswith("owner/old\tunchanged\t4 issues\t1 pull requests\t1 requests\t")
    assert f"name reused: owner/old now names another repository (id {NEW_ID})" in out
    assert [s.path for s in stand_in.served] == [f"/repositories/{OLD_ID}/issues"]
    rows = _rows(root)
    assert sorted(rows) == [1, 2, 3, 4, 5] and rows[1]["is_pull_request"]

    # A second metadata run still compares the name with the landed id, and still keeps it.
    code, out, _ = run_cli("github", "metadata", *url, "--repo", "owner/old")
    assert out.startswith("owner/old\tname_reused\t") and _metadata(root)["github_id"] == OLD_ID


def test_following_a_reused_name_starts_the_new_repository_over(stand_in, run_cli, tmp_path):
    url = _landed_then_reused(stand_in, run_cli)
    root = tmp_path / "landing"
    code, out, _ = run_cli(
        "github", "metadata", *url, "--repo", "owner/old", "--follow-reused-names"
    )
    assert code == 0 and out == (
        f"owner/old\tok\tfollowed the name to another repository: id {NEW_ID} replaces the landed "
        f"id {OLD_ID}\n"
    )
    row = _metadata(root)
    assert (row["status"], row["github_id"], row["stargazers_count"]) == ("ok", NEW_ID, 0)
    assert stand_in.count() == 3  # as for any repository: the followed name costs nothing more

    # The issues were landed under the old id: a crawl that is not told to follow keeps them.
    stand_in.reset_counts()
    code, out, _ = run_cli("github", "issues", *url, "--repo", "owner/old")
    assert code == 0 and "\tunchanged\t4 issues\t1 pull requests\t" in out
    assert f"the landed issues are id {OLD_ID}'s" in out and f"metadata names id {NEW_ID}" in out
    assert [s.path for s in stand_in.served] == [f"/repositories/{OLD_ID}/issues"]
    assert _rows(root)[1]["is_pull_request"]
    # The links of landed issues are asked of the repository whose issues they are.
    stand_in.reset_counts()
    assert run_cli("github", "links", *url, "--repo", "owner/old", "--issue", 1)[0] == 0
    assert [s.path for s in stand_in.served] == [f"/repositories/{OLD_ID}/issues/1/timeline"]

    # Told to follow, it starts over under the new id (no `since`, no landed rows): never a merge.
    stand_in.reset_counts()
    code, out, _ = run_cli("github", "issues", *url, "--repo", "owner/old", "--follow-reused-names")
    assert code == 0 and "\tcomplete\t1 issues\t0 pull requests\t1 requests" in out
    assert f"followed owner/old to id {NEW_ID}: its issues replace those of id {OLD_ID}" in out
    assert [s.path for s in stand_in.served] == [f"/repositories/{NEW_ID}/issues"]
    assert "since" not in stand_in.served[0].query
    rows = _rows(root)
    assert list(rows) == [1] and rows[1]["title"] == "the new repository's issue"
    assert not rows[1]["is_pull_request"]
    state = landing.read_partition(root, "github/issue_crawls", "owner/old").to_pylist()[0]
    assert (state["github_id"], state["issues_landed"], state["pull_requests_landed"]) == (
        NEW_ID,
        1,
        0,
    )
    # From now on the new id is the landed one: nothing more to report.
    code, out, _ = run_cli("github", "issues", *url, "--repo", "owner/old")
    assert code == 0 and "\tunchanged\t1 issues\t" in out and "name reused" not in out


def test_a_reused_name_whose_landed_repository_is_gone_keeps_the_last_values(
    tmp_path, make_miner, stand_in
):
    stand_in.add_repository("owner/old", id=OLD_ID, stargazers_count=595)
    miner = make_miner()
    miner.land_repository_metadata("owner/old", tmp_path)
    stand_in.remove_repository("owner/old")
    stand_in.add_repository("owner/old", id=NEW_ID, stargazers_count=0)
    row = miner.land_repository_metadata("owner/old", tmp_path)
    assert (row["status"], row["github_id"], row["stargazers_count"]) == (
        "name_reused",
        OLD_ID,
        595,
    )
    assert f"id {OLD_ID} answers HTTP 404" in row["status_detail"]
    assert f"(id {NEW_ID})" in row["status_detail"]
    assert row["values_fetched_at"] < row["fetched_at"]
