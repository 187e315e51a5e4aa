"""Issue 16, case 2: an answer that is not the JSON it should be (cut short, or missing a field the
miner needs) is a failed request: retried like a 5xx, then the repository is left partial (metadata:
``error``), never landed as ``ok``/``complete`` with NULLs, for every endpoint the miner parses."""

import pytest

import landing
from demo.github_stand_in import Fault

from .conftest import add_issues

REPOSITORY = r"^/repos/o/r$"


@pytest.fixture
def repo(stand_in):
    repo = stand_in.add_repository("o/r", id=41, stargazers_count=595, commits=77, contributors=5)
    add_issues(repo, range(1, 151), pr_every=5)
    repo.timelines[3] = [{"event": "closed", "commit_id": "c" * 40, "actor": {"login": "bob"}}]
    return repo


@pytest.mark.parametrize(
    "fault",
    [Fault.truncated(), Fault.dropping("id"), Fault.answer(200, [])],
    ids=["truncated", "no-id", "a-list"],
)
def test_a_spoiled_repository_answer_is_retried_and_lands_the_true_row(
    stand_in, make_miner, tmp_path, repo, fault
):
    stand_in.add_fault(REPOSITORY, fault)
    row = make_miner().land_repository_metadata("o/r", tmp_path)
    assert (row["status"], row["github_id"], row["stargazers_count"]) == ("ok", 41, 595)
    assert row["created_at"] is not None and row["commits_count"] == 77
    assert row["requests_made"] == 4 == stand_in.count()  # one retry


@pytest.mark.parametrize(
    "fault, problem",
    [
        (Fault.truncated(), "not JSON"),
        (Fault.dropping("id"), "no 'id'"),
        (Fault.dropping("created_at", "stargazers_count"), "no 'created_at'"),
    ],
    ids=["truncated", "no-id", "no-dates"],
)
def test_a_repository_answer_spoiled_every_time_is_an_error_not_an_ok_row_of_nulls(
    stand_in, make_miner, tmp_path, repo, fault, problem
):
    miner = make_miner(retries=2)
    first = miner.land_repository_metadata("o/r", tmp_path)
    stand_in.reset_counts()
    stand_in.add_fault(REPOSITORY, *[fault] * 3)
    row = miner.land_repository_metadata("o/r", tmp_path)
    assert row["status"] == "error" and problem in row["status_detail"]
    assert "GET /repos/o/r" in row["status_detail"] and row["requests_made"] == 3
    # The last good values are kept under the error, as for any failing repository.
    assert (row["github_id"], row["stargazers_count"]) == (41, 595)
    assert row["values_fetched_at"] == first["values_fetched_at"]
    landed = landing.read_partition(tmp_path, "github/repositories", "o/r").to_pylist()[0]
    assert landed["status"] == "error" and landed["created_at"] is not None


def test_a_first_fetch_spoiled_every_time_lands_an_error_without_values(
    stand_in, make_miner, tmp_path, repo
):
    stand_in.add_fault(REPOSITORY, *[Fault.truncated()] * 3)
    make_miner(retries=2).land_repository_metadata("o/r", tmp_path)
    row = landing.read_partition(tmp_path, "github/repositories", "o/r").to_pylist()[0]
    assert (row["status"], row["github_id"], row["created_at"]) == ("error", None, None)
    assert "not JSON" in row["status_detail"]


@pytest.mark.parametrize(
    "path, fault",
    [
        (r"/commits\?", Fault.truncated()),
        (r"/contributors\?", Fault.answer(200, {"message": "ok"})),
    ],
    ids=["commits-truncated", "contributors-not-a-list"],
)
def test_a_spoiled_count_listing_is_retried(stand_in, make_miner, tmp_path, repo, path, fault):
    stand_in.add_fault(path, fault)
    row = make_miner().land_repository_metadata("o/r", tmp_path)
    assert (row["status"], row["commits_count"], row["contributors_count"]) == ("ok", 77, 5)
    assert stand_in.count() == 4


def _numbers(root):
    table = landing.read_partition(root, "github/issues", "o/r")
    return [] if table is None else table.column("number").to_pylist()


@pytest.mark.parametrize(
    "fault",
    [Fault.truncated(), Fault.dropping("number"), Fault.dropping("updated_at")],
    ids=["truncated", "no-number", "no-updated_at"],
)
def test_a_spoiled_issues_page_is_retried_and_lands_every_item(
    stand_in, make_miner, tmp_path, repo, fault
):
    stand_in.add_fault(r"page=2", fault)
    result = make_miner().crawl_closed_issues("o/r", tmp_path)
    assert (result.status, result.requests) == ("complete", 4)  # lookup, 2 pages, 1 retry
    assert _numbers(tmp_path) == list(range(1, 151))
    assert (result.issues_landed, result.pull_requests_landed) == (120, 30)


@pytest.mark.parametrize(
    "fault, problem",
    [(Fault.truncated(), "not JSON"), (Fault.dropping("number"), "no 'number'")],
    ids=["truncated", "no-number"],
)
def test_an_issues_page_spoiled_every_time_leaves_the_crawl_partial(
    stand_in, make_miner, tmp_path, repo, fault, problem
):
    stand_in.add_fault(r"page=2", *[fault] * 3)
    result = make_miner(retries=2).crawl_closed_issues("o/r", tmp_path)
    assert (result.status, result.is_complete) == ("partial", False)
    assert problem in result.detail and "page=2" in result.detail
    assert _numbers(tmp_path) == list(range(1, 101))  # the good page, resumable from there
    state = landing.read_partition(tmp_path, "github/issue_crawls", "o/r").to_pylist()[0]
    assert (state["status"], state["etag"]) == ("partial", None)
    # The next run resumes from the first page's newest item and completes.
    result = make_miner().crawl_closed_issues("o/r", tmp_path)
    assert result.status == "complete" and _numbers(tmp_path) == list(range(1, 151))


def test_a_spoiled_timeline_is_retried_then_fails_that_issue_only(
    stand_in, make_miner, tmp_path, repo
):
    stand_in.add_fault(r"/issues/3/timeline", Fault.truncated())
    stand_in.add_fault(r"/issues/4/timeline", *[Fault.dropping("event")] * 3)
    repo.timelines[4] = [{"event": "closed", "commit_id": "d" * 40}]
    result = make_miner(retries=2).fetch_issue_links("o/r", [3, 4], tmp_path)
    assert result.links == 1 and list(result.failed) == [4]
    assert "no 'event'" in result.failed[4]
    links = landing.read_partition(tmp_path, "github/issue_links", "o/r").to_pylist()
    assert [(r["issue_number"], r["commit_id"]) for r in links] == [(3, "c" * 40)]


@pytest.mark.parametrize(
    "fault",
    [Fault.truncated(), Fault.dropping("data"), Fault.answer(200, {"data": {"r0": {}}})],
    ids=["truncated", "no-data", "no-counts"],
)
def test_a_spoiled_count_answer_is_retried(stand_in, make_miner, tmp_path, repo, fault):
    stand_in.add_fault(r"/graphql", fault)
    counts = make_miner().count_closed_items(["o/r"], tmp_path)
    assert (counts["o/r"].issues, counts["o/r"].pull_requests) == (120, 30)
    assert stand_in.count("/graphql") == 2


def test_a_count_answer_spoiled_every_time_is_no_count_with_its_reason(
    stand_in, make_miner, tmp_path, repo
):
    stand_in.add_fault(r"/graphql", *[Fault.truncated()] * 3)
    counts = make_miner(retries=2).count_closed_items(["o/r"], tmp_path)
    assert "not JSON" in counts["o/r"].reason and "POST /graphql" in counts["o/r"].reason
