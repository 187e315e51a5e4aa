"""Issue 8, case 1: a renamed repository crawled before its metadata, through the CLI as a user runs
it. GitHub answers the old name with a 301 that PyGithub follows without the query string."""

import landing
from demo.github_stand_in import Fault

from .conftest import BASE_TIME, add_issues


def _renamed_repository(stand_in):
    """23 closed issues and 6 closed pull requests, nothing open: the lost query's `state=open`
    finds nothing, so nothing looks wrong."""
    repo = stand_in.add_repository("Old-Owner/Name", id=31)
    add_issues(repo, range(1, 24))
    for number in range(24, 30):
        repo.add_issue(number, pull_request=True, merged_at=BASE_TIME if number % 2 else None)
    stand_in.rename_repository("Old-Owner/Name", "new-owner/name")
    return repo


def _rows(root, repo_id):
    table = landing.read_partition(root, "github/issues", repo_id)
    return [] if table is None else table.to_pylist()


def _state(root, repo_id):
    return landing.read_partition(root, "github/issue_crawls", repo_id).to_pylist()[0]


def test_renamed_repository_without_metadata_lands_every_closed_item(stand_in, run_cli, tmp_path):
    _renamed_repository(stand_in)
    code, out, _ = run_cli(
        "github", "issues", "--base-url", stand_in.base_url, "--repo", "old-owner/name"
    )
    root = tmp_path / "landing"
    rows = _rows(root, "old-owner/name")
    assert code == 0 and "\tcomplete\t23 issues\t6 pull requests\t3 requests" in out
    assert len(rows) == 29 and {r["repo_id"] for r in rows} == {"old-owner/name"}
    # The lookup of the old name (301, then /repositories/31), then the list by id with its query.
    assert [(s.path, s.status) for s in stand_in.served] == [
        ("/repos/old-owner/name", 301),
        ("/repositories/31", 200),
        ("/repositories/31/issues", 200),
    ]
    assert stand_in.served[2].query["state"] == "closed"
    state = _state(root, "old-owner/name")
    assert (state["github_id"], state["full_name"], state["is_complete"]) == (
        31,
        "new-owner/name",
        True,
    )
    # The next run needs no lookup: the crawl recorded the id.
    stand_in.reset_counts()
    code, out, _ = run_cli(
        "github", "issues", "--base-url", stand_in.base_url, "--repo", "old-owner/name"
    )
    assert code == 0 and [s.path for s in stand_in.served] == ["/repositories/31/issues"]
    assert len(_rows(root, "old-owner/name")) == 29


def test_an_empty_list_that_contradicts_githubs_count_is_not_complete(stand_in, run_cli, tmp_path):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 6), pr_every=5)
    # Whatever made the list come back empty (a lost query, a GitHub bug), GitHub's own count of the
    # repository says it is wrong.
    stand_in.add_fault(r"/issues\?", Fault.answer(200, []), Fault.answer(200, []))
    code, out, _ = run_cli("github", "issues", "--base-url", stand_in.base_url, "--repo", "o/r")
    root = tmp_path / "landing"
    state = _state(root, "o/r")
    assert code == 1 and "\terror\t" in out and "GitHub counts 4 closed issues and 1" in out
    assert (state["status"], state["is_complete"], state["etag"]) == ("error", False, None)
    assert stand_in.count("/graphql", resource="graphql") == 1
    # Nothing was trusted: the next run starts over (no `since`, no ETag) and lands everything.
    stand_in.reset_counts()
    code, out, _ = run_cli("github", "issues", "--base-url", stand_in.base_url, "--repo", "o/r")
    assert code == 1 and "\terror\t" in out  # the second scripted empty answer
    code, out, _ = run_cli("github", "issues", "--base-url", stand_in.base_url, "--repo", "o/r")
    assert code == 0 and "\tcomplete\t4 issues\t1 pull requests\t1 requests" in out
    assert "since" not in stand_in.served[-1].query
    assert len(_rows(root, "o/r")) == 5


def test_an_open_item_in_the_closed_list_is_an_error_and_lands_nothing_of_its_page(
    stand_in, make_miner, tmp_path
):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 4))
    open_item = repo.add_issue(4, state="open")
    stand_in.add_fault(r"/issues\?", Fault.answer(200, [open_item, repo.issues[1]]))
    result = make_miner().crawl_closed_issues("o/r", tmp_path)
    assert (result.status, result.is_complete) == ("error", False)
    assert "'open' item #4" in result.detail and _rows(tmp_path, "o/r") == []


def test_a_repository_without_closed_items_is_complete_once_github_counts_none(
    stand_in, make_miner, tmp_path
):
    stand_in.add_repository("o/quiet").add_issue(1, state="open")
    result = make_miner().crawl_closed_issues("o/quiet", tmp_path)
    assert (result.status, result.api_count.total) == ("complete", 0)
    assert stand_in.count() == 3 and stand_in.count("/graphql") == 1  # lookup, list, count


def test_links_and_issues_name_a_renamed_repository_the_same_way(stand_in, run_cli, tmp_path):
    repo = _renamed_repository(stand_in)
    # GitHub reports the cross-referencing pull request under the repository's current name.
    repo.timelines[1] = [
        {
            "event": "cross-referenced",
            "source": {
                "issue": {
                    "number": 24,
                    "pull_request": {},
                    "repository": {"id": 31, "full_name": "new-owner/name"},
                }
            },
        },
        {
            "event": "cross-referenced",
            "source": {
                "issue": {
                    "number": 7,
                    "pull_request": {},
                    "repository": {"id": 99, "full_name": "someone/fork"},
                }
            },
        },
    ]
    url = ("--base-url", stand_in.base_url)
    # The metadata first, as the pipeline does, so that only the naming of links is at stake.
    assert run_cli("github", "metadata", *url, "--repo", "Old-Owner/Name")[0] == 0
    assert run_cli("github", "issues", *url, "--repo", "Old-Owner/Name")[0] == 0
    code, out, _ = run_cli(
        "github", "links", "--base-url", stand_in.base_url, "--repo", "Old-Owner/Name", "--issue", 1
    )
    root = tmp_path / "landing"
    links = landing.read_partition(root, "github/issue_links", "old-owner/name").to_pylist()
    issues = {r["repo_id"] for r in _rows(root, "old-owner/name")}
    assert code == 0 and issues == {"Old-Owner/Name"}
    assert sorted((r["linked_repo_id"], r["linked_number"]) for r in links) == [
        ("Old-Owner/Name", 24),
        ("someone/fork", 7),
    ]
    assert {r["repo_id"] for r in links} == issues


def test_one_repository_named_twice_in_two_cases_is_crawled_once(stand_in, run_cli, tmp_path):
    repo = stand_in.add_repository("A/B")
    add_issues(repo, range(1, 4))
    code, out, _ = run_cli(
        "github", "issues", "--base-url", stand_in.base_url, "--repo", "A/B", "--repo", "a/b"
    )
    assert code == 0 and out.count("\n") == 1 and out.startswith("A/B\tcomplete\t3 issues")
    assert stand_in.count() == 2  # the lookup and one page, once
    crawls = landing.table_dir(tmp_path / "landing", "github/issue_crawls")
    assert sorted(p.name for p in crawls.glob("*.parquet")) == ["_schema.parquet", "a__b.parquet"]
