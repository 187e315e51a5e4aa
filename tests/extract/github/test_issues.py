import pyarrow.parquet as pq

import landing
from demo.github_stand_in import Fault

from .conftest import BASE_TIME, add_issues


def _landed(root, repo="o/r"):
    table = landing.read_partition(root, "github/issues", repo)
    return [] if table is None else table.to_pylist()


def _state(root, repo="o/r"):
    return landing.read_partition(root, "github/issue_crawls", repo).to_pylist()[0]


def test_cold_crawl_lands_every_closed_item_with_prs_separated(stand_in, make_miner, tmp_path):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 251), pr_every=5)
    repo.add_issue(251, state="open", updated_at=BASE_TIME + 999)
    repo.add_issue(
        252,
        user=None,
        body=None,
        title="ünïcödé ✓ 模型",
        labels=["bug", "ml"],
        assignees=["bob"],
        comments=7,
        state_reason="not_planned",
        closed_by="carol",
        created_at=BASE_TIME,
        closed_at=BASE_TIME + 500,
        updated_at=BASE_TIME + 500,
    )
    repo.add_issue(253, body="x" * 100_000, created_at=BASE_TIME, updated_at=BASE_TIME + 600)
    result = make_miner().crawl_closed_issues("o/r", tmp_path)
    # Without landed metadata the crawl looks the repository up once (its id), then reads 3 pages.
    assert (result.status, result.is_complete, result.pages, result.requests) == (
        "complete",
        True,
        3,
        4,
    )
    assert stand_in.count() == 4 and stand_in.count("/repositories/1000/issues") == 3
    rows = _landed(tmp_path)
    assert [r["number"] for r in rows] == list(range(1, 251)) + [252, 253]
    assert (result.issues_landed, result.pull_requests_landed) == (202, 50)
    pr = next(r for r in rows if r["number"] == 10)
    assert pr["is_pull_request"] and pr["pull_request_merged_at"] is not None
    assert next(r for r in rows if r["number"] == 5)["pull_request_merged_at"] is None
    odd = next(r for r in rows if r["number"] == 252)
    assert (odd["author_login"], odd["body"], odd["title"]) == (None, None, "ünïcödé ✓ 模型")
    assert (odd["labels"], odd["assignees"], odd["comments_count"]) == (["bug", "ml"], ["bob"], 7)
    assert (odd["state_reason"], odd["closed_by_login"]) == ("not_planned", "carol")
    assert len(next(r for r in rows if r["number"] == 253)["body"]) == 100_000
    state = _state(tmp_path)
    assert state["since"] is None and state["is_complete"] and state["pages_fetched"] == 3
    assert state["next_since"].timestamp() == BASE_TIME + 600
    meta = pq.read_metadata(landing.current_path(tmp_path, "github/issues", "o/r")).metadata
    assert meta[b"api_base_url"] == stand_in.base_url.encode() and meta[b"since"] == b""


def test_refresh_with_nothing_new_costs_one_then_zero_charged_requests(
    stand_in, make_miner, tmp_path
):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 121))
    miner = make_miner()
    miner.crawl_closed_issues("o/r", tmp_path)
    before = _landed(tmp_path)
    stand_in.reset_counts()
    generation = landing.current_path(tmp_path, "github/issues", "o/r")
    first = miner.crawl_closed_issues("o/r", tmp_path)
    # Only the boundary item came back, as landed: nothing new, the generation stays.
    assert (first.status, first.requests) == ("unchanged", 1)
    assert landing.current_path(tmp_path, "github/issues", "o/r") == generation
    assert stand_in.served[0].query["since"] == "2020-09-13T12:28:40Z"
    assert stand_in.count(charged_only=True) == 1
    second = miner.crawl_closed_issues("o/r", tmp_path)
    assert (second.status, second.requests) == ("unchanged", 1)
    assert stand_in.served[-1].status == 304 and stand_in.count(charged_only=True) == 1
    assert _landed(tmp_path) == before


def test_a_refresh_with_nothing_new_keeps_the_landed_generation(stand_in, make_miner, tmp_path):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 251))
    miner = make_miner()
    miner.crawl_closed_issues("o/r", tmp_path)
    generation = landing.current_path(tmp_path, "github/issues", "o/r")
    refresh = miner.crawl_closed_issues("o/r", tmp_path)
    # The boundary item came back as landed: dbt has no new generation to restage.
    assert (refresh.status, refresh.issues_landed) == ("unchanged", 250)
    assert landing.current_path(tmp_path, "github/issues", "o/r") == generation
    add_issues(repo, [251], updated_base=BASE_TIME + 9000)
    assert miner.crawl_closed_issues("o/r", tmp_path).status == "complete"
    assert landing.current_path(tmp_path, "github/issues", "o/r") != generation


def test_refresh_with_new_and_updated_issues_merges_without_duplicates(
    stand_in, make_miner, tmp_path
):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 51))
    miner = make_miner()
    miner.crawl_closed_issues("o/r", tmp_path)
    repo.add_issue(7, title="edited", created_at=BASE_TIME, updated_at=BASE_TIME + 5000)
    add_issues(repo, range(51, 56), updated_base=BASE_TIME + 6000)
    stand_in.reset_counts()
    result = miner.crawl_closed_issues("o/r", tmp_path)
    assert (result.requests, result.received) == (1, 7)  # boundary item 50, #7, 51-55
    rows = _landed(tmp_path)
    assert [r["number"] for r in rows] == list(range(1, 56))
    assert next(r for r in rows if r["number"] == 7)["title"] == "edited"
    assert _state(tmp_path)["next_since"].timestamp() == BASE_TIME + 6055


def test_failing_page_leaves_the_crawl_resumable_and_the_next_run_resumes(
    stand_in, make_miner, tmp_path
):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 301))
    stand_in.add_fault(r"/issues\?.*page=3", *[Fault.status_code(502)] * 3)
    miner = make_miner(retries=2)
    result = miner.crawl_closed_issues("o/r", tmp_path)
    assert (result.status, result.is_complete, result.pages) == ("partial", False, 2)
    assert result.requests == 1 + 2 + 3 == stand_in.count()  # lookup, 2 pages, page 3 thrice
    assert [r["number"] for r in _landed(tmp_path)] == list(range(1, 201))
    state = _state(tmp_path)
    assert not state["is_complete"] and state["next_since"].timestamp() == BASE_TIME + 200
    assert "502" in state["status_detail"]
    stand_in.reset_counts()
    resumed = miner.crawl_closed_issues("o/r", tmp_path)
    assert (resumed.status, resumed.requests, resumed.received) == ("complete", 2, 101)
    assert stand_in.served[0].query["since"] == "2020-09-13T12:30:00Z"
    assert [r["number"] for r in _landed(tmp_path)] == list(range(1, 301))


def test_checkpoints_land_rows_during_a_long_crawl(stand_in, make_miner, tmp_path, monkeypatch):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 501))
    writes = []
    real = landing.commit_repository

    def spy(root, commit_table, repo_id, row, data, metadata=None):
        writes.append((row["is_complete"], data["github/issues"].num_rows))
        return real(root, commit_table, repo_id, row, data, metadata)

    monkeypatch.setattr(landing, "commit_repository", spy)
    make_miner(checkpoint_pages=2).crawl_closed_issues("o/r", tmp_path)
    # Each checkpoint commits the rows so far with a resumable (incomplete) state.
    assert writes == [(False, 200), (False, 400), (True, 500)]


def test_an_item_updated_during_the_crawl_triggers_a_second_pass(stand_in, make_miner, tmp_path):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 201))
    # After page 1 is served, issue 3 is updated: it moves to the end and #101 slides onto page 1.

    def update_issue_3(served):
        first_page = "page" not in served.query and "since" not in served.query
        if served.path.endswith("/issues") and first_page:
            repo.add_issue(3, created_at=BASE_TIME, updated_at=BASE_TIME + 10_000)

    stand_in.on_served(update_issue_3)
    result = make_miner().crawl_closed_issues("o/r", tmp_path)
    assert [r["number"] for r in _landed(tmp_path)] == list(range(1, 201))
    # lookup, pages 1 and 2, then a second pass (2 pages) from #3's old updated_at
    assert result.requests == 5 == stand_in.count()
    assert stand_in.served[3].query["since"] == "2020-09-13T12:26:43Z"


def test_repository_that_disappears_between_runs_keeps_its_issues(stand_in, make_miner, tmp_path):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 11))
    miner = make_miner()
    miner.crawl_closed_issues("o/r", tmp_path)
    stand_in.remove_repository("o/r")
    result = miner.crawl_closed_issues("o/r", tmp_path)
    assert (result.status, result.requests) == ("not_found", 1)
    assert [r["number"] for r in _landed(tmp_path)] == list(range(1, 11))
    state = _state(tmp_path)
    assert state["status"] == "not_found" and not state["is_complete"]
    assert state["next_since"].timestamp() == BASE_TIME + 10


def test_renamed_repository_is_crawled_under_its_new_name(stand_in, make_miner, tmp_path):
    repo = stand_in.add_repository("old/r", id=8)
    add_issues(repo, range(1, 4))
    repo.add_issue(4, state="open")
    stand_in.rename_repository("old/r", "new/r")
    miner = make_miner()
    miner.land_repository_metadata("old/r", tmp_path)
    stand_in.reset_counts()
    result = miner.crawl_closed_issues("old/r", tmp_path)
    # Addressed by its id, which never redirects: one request, the metadata knew the rest.
    assert result.status == "complete" and result.requests == 1
    assert [s.path for s in stand_in.served] == ["/repositories/8/issues"]
    assert [r["number"] for r in _landed(tmp_path, "old/r")] == [1, 2, 3]
    assert (_state(tmp_path, "old/r")["full_name"], _state(tmp_path, "old/r")["github_id"]) == (
        "new/r",
        8,
    )


def test_issues_disabled_and_blocked_are_recorded(stand_in, make_miner, tmp_path):
    stand_in.add_repository("o/noissues", issues_disabled=True)
    stand_in.add_repository("o/blocked", blocked=True)
    miner = make_miner()
    assert miner.crawl_closed_issues("o/noissues", tmp_path).status == "issues_disabled"
    assert miner.crawl_closed_issues("o/blocked", tmp_path).status == "blocked"
    assert _state(tmp_path, "o/blocked")["status"] == "blocked"
