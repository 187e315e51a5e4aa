"""Issue 8, case 6: GitHub's count of closed issues and pull requests, from GraphQL (many repositories
a query, its own rate limit), as the stand-in serves it, on github.com's and GitHub Enterprise's
layouts."""

import time

import pytest

from demo.github_stand_in import GitHubStandIn
from extract.github.client import GitHubClient, RetryPolicy
from extract.github.miner import GitHubMiner

from .conftest import BASE_TIME, TOKEN, add_issues

STUDY_SCALE = 227


def _repositories(stand_in, count):
    """Repository i: i % 7 closed issues, i % 3 merged and i % 2 unmerged closed pull requests,
    and an open issue and an open pull request that no count includes."""
    expected = {}
    for i in range(count):
        repo = stand_in.add_repository(f"org{i % 5}/project-{i}")
        number = 0
        for kind, n in (("issue", i % 7), ("merged", i % 3), ("unmerged", i % 2)):
            for _ in range(n):
                number += 1
                merged = BASE_TIME if kind == "merged" else None
                repo.add_issue(number, pull_request=kind != "issue", merged_at=merged)
        repo.add_issue(number + 1, state="open")
        repo.add_issue(number + 2, state="open", pull_request=True)
        expected[repo.full_name] = (i % 7, i % 3 + i % 2)
    return expected


def test_study_scale_reconciliation_costs_five_graphql_queries_and_no_search(
    stand_in, make_miner, tmp_path
):
    expected = _repositories(stand_in, STUDY_SCALE)
    stand_in.add_repository("old/name", id=4242).add_issue(1)
    stand_in.rename_repository("old/name", "new/name")
    names = [*expected, "old/name", "gone/away"]
    counts = make_miner().count_closed_items(names, tmp_path)
    got = {k: getattr(v, "reason", None) or (v.issues, v.pull_requests) for k, v in counts.items()}
    assert got == {
        **expected,
        "old/name": (1, 0),
        "gone/away": "GraphQL error: NOT_FOUND: Could not resolve to a Repository with the name "
        "'gone/away'.",
    }
    # 229 repositories, 50 to a query: 5 POSTs to /graphql, nothing else.
    assert stand_in.count() == 5 == stand_in.count("/graphql", resource="graphql")
    assert [len(s.variables) // 2 for s in stand_in.served] == [50, 50, 50, 50, 29]
    assert stand_in.count(resource="search") == 0


def test_graphql_queries_are_a_second_apart_by_default(stand_in, make_miner, tmp_path):
    """GitHub asks for a second between POSTs, and every GraphQL query is one: the client keeps
    PyGithub's spacing unless told otherwise (make_miner turns it off for the other tests)."""
    names = list(_repositories(stand_in, 51))  # two queries of at most 50
    miner = make_miner(seconds_between_writes=RetryPolicy().seconds_between_writes)
    started = time.monotonic()
    miner.count_closed_items(names, tmp_path)
    assert stand_in.count("/graphql", resource="graphql") == 2
    assert time.monotonic() - started >= 1.0


def test_the_graphql_limit_is_waited_for_on_its_own(stand_in, make_miner, clock, tmp_path):
    add_issues(stand_in.add_repository("o/r"), range(1, 4))
    stand_in.set_rate_limit(TOKEN, 0, reset_in=300, resource="graphql")
    miner = make_miner()
    miner.land_repository_metadata("o/r", tmp_path)  # the core limit is untouched: no wait
    assert clock.sleeps == []
    counts = miner.count_closed_items(["o/r"], tmp_path)
    assert counts["o/r"].issues == 3
    assert clock.sleeps == [pytest.approx(301, abs=1)]  # until the GraphQL reset, plus a second
    # The refused query (not charged, x-ratelimit-resource: graphql), then the query again.
    assert [(s.path, s.resource, s.charged) for s in stand_in.served[3:]] == [
        ("/graphql", "graphql", False),
        ("/graphql", "graphql", True),
    ]


def test_a_graphql_wait_beyond_the_maximum_gives_no_count(stand_in, make_miner, clock, tmp_path):
    stand_in.add_repository("o/r")
    stand_in.set_rate_limit(TOKEN, 0, reset_in=7200, resource="graphql")
    [count] = make_miner(max_wait=3600).count_closed_items(["o/r"], tmp_path).values()
    assert "rate limit (graphql): all 1 token(s) are out until their reset" in count.reason
    assert clock.sleeps == []


def test_github_enterprise_layout_rest_under_api_v3_graphql_at_api_graphql(clock, tmp_path):
    with GitHubStandIn(tokens=[TOKEN], clock=clock, api_prefix="/api/v3") as stand_in:
        add_issues(stand_in.add_repository("o/r"), range(1, 151), pr_every=3)
        client = GitHubClient(stand_in.base_url, [TOKEN], sleeper=clock.sleep, clock=clock)
        assert client.graphql_url.endswith("/api/graphql")  # not /api/v3/graphql
        miner = GitHubMiner(client)
        result = miner.crawl_closed_issues("o/r", tmp_path)
        counts = miner.count_closed_items(["o/r"], tmp_path)
        assert (result.issues_landed, result.pull_requests_landed) == (100, 50)
        assert (counts["o/r"].issues, counts["o/r"].pull_requests) == (100, 50)
        assert [s.path for s in stand_in.served] == [
            "/api/v3/repos/o/r",
            "/api/v3/repositories/1000/issues",
            "/api/v3/repositories/1000/issues",
            "/api/graphql",
        ]


def test_reconcile_command_compares_what_landed_with_github(stand_in, run_cli):
    for name in ("a/one", "a/two"):
        add_issues(stand_in.add_repository(name), range(1, 6), pr_every=5)
    url = ("--base-url", stand_in.base_url)
    assert run_cli("github", "issues", *url, "--repo", "a/one", "--repo", "a/two")[0] == 0
    stand_in.reset_counts()
    code, out, _ = run_cli("github", "reconcile", *url, "--repo", "a/one", "--repo", "A/TWO")
    assert code == 0 and "a/one\t4\t4\t1\t1\n" in out and "A/TWO\t4\t4\t1\t1\n" in out
    assert out.endswith("2 repositories, 0 differ, 1 GraphQL requests\n")
    assert stand_in.count() == 1
    # An issue the incremental crawl cannot see (updated before its `since`) shows as a difference.
    stand_in.repositories["a/two"].add_issue(99, created_at=BASE_TIME - 10, updated_at=BASE_TIME)
    code, out, _ = run_cli("github", "reconcile", *url, "--repo", "a/two")
    assert code == 1 and "a/two\t4\t5\t1\t1\n" in out
