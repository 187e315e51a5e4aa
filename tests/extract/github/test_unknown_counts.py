"""Issue 16, cases 3 and 4: GitHub's count of closed items when it cannot be had. Unknown is not zero:
a closed list that came back empty is believed only on a count of 0, and an anonymous run, which
GraphQL refuses, asks the search API instead of aborting on a 401 it mistook for a bad token."""

import pytest

import landing
from demo.github_stand_in import Fault, GitHubStandIn

from .conftest import TOKEN, add_issues

GRAPHQL_ERROR = (
    "Something went wrong while executing your query. Please include `C0DE:1234` when reporting "
    "this issue."
)


def _state(root, repo_id):
    return landing.read_partition(root, "github/issue_crawls", repo_id).to_pylist()[0]


@pytest.fixture
def emptied(stand_in):
    """A repository with 4 closed issues and a closed pull request whose closed list comes back
    empty (a lost query, a GitHub bug): only GitHub's count can tell."""
    add_issues(stand_in.add_repository("o/r"), range(1, 6), pr_every=5)
    stand_in.add_fault(r"/issues\?", Fault.answer(200, []))
    return stand_in


def test_an_empty_list_with_a_count_that_errs_is_partial_with_the_error(emptied, run_cli, tmp_path):
    emptied.add_fault(r"/graphql", Fault.answer(200, {"errors": [{"message": GRAPHQL_ERROR}]}))
    code, out, _ = run_cli("github", "issues", "--base-url", emptied.base_url, "--repo", "o/r")
    assert code == 1
    assert out.startswith("o/r\tpartial\t0 issues\t0 pull requests\t3 requests\t")
    assert "the closed-issues list returned none and GitHub's count is unknown" in out
    assert GRAPHQL_ERROR in out
    state = _state(tmp_path / "landing", "o/r")
    assert (state["status"], state["is_complete"], state["etag"]) == ("partial", False, None)
    # Nothing was believed: the next run reads the list again and lands everything.
    code, out, _ = run_cli("github", "issues", "--base-url", emptied.base_url, "--repo", "o/r")
    assert code == 0 and "\tcomplete\t4 issues\t1 pull requests\t" in out


def test_an_empty_list_with_the_graphql_limit_exhausted_is_partial(
    emptied, make_miner, clock, tmp_path
):
    emptied.set_rate_limit(TOKEN, 0, reset_in=7200, resource="graphql")
    result = make_miner(max_wait=3600).crawl_closed_issues("o/r", tmp_path)
    assert (result.status, result.is_complete) == ("partial", False)
    assert "rate limit (graphql)" in result.detail and "MMS_GITHUB_MAX_WAIT" in result.detail
    assert clock.sleeps == []


def test_an_empty_list_of_a_repository_graphql_cannot_find_is_partial(
    emptied, make_miner, tmp_path
):
    # The list was read by id; GraphQL is asked by name, and that name is gone.
    emptied.add_fault(
        r"/graphql",
        Fault.answer(
            200,
            {
                "data": {"r0": None},
                "errors": [
                    {"type": "NOT_FOUND", "path": ["r0"], "message": "Could not resolve o/r."}
                ],
            },
        ),
    )
    result = make_miner().crawl_closed_issues("o/r", tmp_path)
    assert result.status == "partial" and "NOT_FOUND: Could not resolve o/r." in result.detail


def test_reconcile_says_why_graphql_gave_no_count(stand_in, run_cli):
    for name in ("a/one", "a/two"):
        add_issues(stand_in.add_repository(name), range(1, 6), pr_every=5)
    url = ("--base-url", stand_in.base_url)
    assert run_cli("github", "issues", *url, "--repo", "a/one", "--repo", "a/two")[0] == 0
    stand_in.add_fault(r"/graphql", Fault.answer(200, {"errors": [{"message": GRAPHQL_ERROR}]}))
    code, out, _ = run_cli("github", "reconcile", *url, "--repo", "a/one", "--repo", "a/two")
    assert code == 1
    assert f"a/one\t4\t?\t1\t?\tnot counted: GraphQL error: {GRAPHQL_ERROR}\n" in out
    assert out.endswith("2 repositories, 0 differ, 2 not counted, 1 GraphQL requests\n")
    assert "None" not in out


@pytest.fixture
def open_stand_in(clock):
    """As github.com: REST answers anonymous requests, GraphQL does not."""
    with GitHubStandIn(clock=clock) as server:
        server.add_repository("o/quiet").add_issue(1, state="open")
        add_issues(server.add_repository("o/busy"), range(1, 4))
        yield server


def test_an_anonymous_run_asks_the_search_api_for_the_count(open_stand_in, run_cli, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    code, out, err = run_cli(
        "github", "issues", "--anonymous", "--base-url", open_stand_in.base_url,
        "--repo", "o/quiet", "--repo", "o/busy",
    )  # fmt: skip
    assert code == 0 and "GITHUB_TOKEN" not in err
    assert out == (
        "o/quiet\tcomplete\t0 issues\t0 pull requests\t3 requests\tanonymous run: GitHub's "
        "GraphQL count needs a token, so the search API's was asked: 0 closed items\n"
        "o/busy\tcomplete\t3 issues\t0 pull requests\t2 requests\n"
    )
    assert open_stand_in.count("/graphql") == 0
    [search] = [s for s in open_stand_in.served if s.resource == "search"]
    assert search.query["q"] == "repo:o/quiet is:closed" and search.token is None


def test_an_anonymous_run_does_not_believe_an_empty_list_the_search_api_contradicts(
    open_stand_in, make_miner, tmp_path
):
    add_issues(open_stand_in.repositories["o/quiet"], range(2, 4))
    open_stand_in.add_fault(r"/issues\?", Fault.answer(200, []))
    miner = make_miner(tokens=(), base_url=open_stand_in.base_url)
    result = miner.crawl_closed_issues("o/quiet", tmp_path)
    assert result.status == "error"
    assert "GitHub's search API counts 2 closed issues and pull requests" in result.detail


def test_an_anonymous_reconcile_says_it_needs_a_token_and_sends_nothing(
    open_stand_in, run_cli, monkeypatch
):
    monkeypatch.delenv("GITHUB_TOKEN")
    url = ("--base-url", open_stand_in.base_url)
    code, out, err = run_cli("github", "reconcile", "--anonymous", *url, "--repo", "o/busy")
    assert code == 1 and open_stand_in.count() == 0 and "rejected" not in err
    assert (
        "o/busy\t-\t?\t-\t?\tnot counted: GitHub's GraphQL API needs a token; this run is "
        "anonymous\n" in out
    )
