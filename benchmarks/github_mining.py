"""GitHub mining cost against the local stand-in: requests per 100 closed issues, charged requests
of a refresh with nothing new, the reconciliation's requests at study scale, and wall time.

Baselines, measured in the same run:
- crawling: PyGithub's own ``repo.get_issues(state="closed")`` iteration (the obvious way to write
  it), which pages 30 items at a time by default and has no conditional refresh;
- reconciliation: one search request per repository (``repo:o/n state:closed``, what
  ``closed_items_match_api`` spent before), against GraphQL counts 50 repositories to a query. The
  search API allows 30 requests a minute: the time spent waiting for it is simulated (a clock that
  advances when the client sleeps), not slept.

``uv run python benchmarks/github_mining.py [--repos 10] [--issues 1000] [--runs 3] [--reconcile 227]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from github import Auth, Github

from demo.github_stand_in import GitHubStandIn
from extract.github.client import GitHubClient
from extract.github.miner import ClosedCount, GitHubMiner

TOKEN = "bench-token"


def build(repos: int, issues: int) -> GitHubStandIn:
    stand_in = GitHubStandIn(tokens=[TOKEN], rate_limit=10**9)
    for r in range(repos):
        repo = stand_in.add_repository(f"bench/repo{r}")
        # Sizes vary around the mean, as repositories do (the last page is rarely full).
        for n in range(1, issues + (r * 37) % 100 - 50 + 1):
            repo.add_issue(
                n,
                created_at=1_500_000_000 + n,
                updated_at=1_600_000_000 + n,
                pull_request=n % 4 == 0,
                body="text " * 40,
            )
    return stand_in.start()


def run_once(stand_in: GitHubStandIn, names: list[str]) -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix="mms-bench-"))
    miner = GitHubMiner(GitHubClient(stand_in.base_url, [TOKEN]))
    total_issues = sum(len(stand_in.repositories[n].issues) for n in names)
    for name in names:  # the pipeline's order: metadata first, so the crawl knows each id
        miner.land_repository_metadata(name, root)
    stand_in.reset_counts()
    start = time.perf_counter()
    for name in names:
        miner.crawl_closed_issues(name, root)
    cold = time.perf_counter() - start
    cold_requests = stand_in.count()
    stand_in.reset_counts()
    for name in names:
        miner.crawl_closed_issues(name, root)
    refresh1 = stand_in.count(charged_only=True)
    stand_in.reset_counts()
    start = time.perf_counter()
    for name in names:
        miner.crawl_closed_issues(name, root)
    refresh_time = time.perf_counter() - start
    refresh2 = stand_in.count(charged_only=True)

    stand_in.reset_counts()
    gh = Github(auth=Auth.Token(TOKEN), base_url=stand_in.base_url, seconds_between_requests=0)
    start = time.perf_counter()
    baseline_issues = 0
    for name in names:
        baseline_issues += sum(1 for _ in gh.get_repo(name).get_issues(state="closed"))
    baseline = time.perf_counter() - start
    assert baseline_issues == total_issues
    return {
        "issues": total_issues,
        "cold_per_100": 100 * cold_requests / total_issues,
        "cold_s": cold,
        "refresh1": refresh1 / len(names),
        "refresh2": refresh2 / len(names),
        "refresh_s": refresh_time,
        "baseline_per_100": 100 * stand_in.count() / baseline_issues,
        "baseline_s": baseline,
    }


class SimulatedClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def reconcile(repos: int) -> dict[str, float]:
    """Requests and (simulated) waiting to count the closed items of ``repos`` repositories."""
    clock = SimulatedClock()
    stand_in = GitHubStandIn(tokens=[TOKEN], clock=clock)
    for r in range(repos):
        repo = stand_in.add_repository(f"study/project{r}")
        for n in range(1, r % 40 + 2):
            repo.add_issue(n, pull_request=n % 3 == 0)
    names = sorted(r.full_name for r in stand_in.repositories.values())
    root = Path(tempfile.mkdtemp(prefix="mms-bench-"))
    with stand_in:
        client = GitHubClient(stand_in.base_url, [TOKEN], sleeper=clock.sleep, clock=clock)
        started = clock.now
        for name in names:  # before: one search request per repository
            response = client.get(
                "/search/issues", {"q": f"repo:{name} state:closed", "per_page": 1}
            )
            assert response.status == 200
        search_wait = clock.now - started
        search_requests = stand_in.count()
        stand_in.reset_counts()
        started = clock.now
        counts = GitHubMiner(client).count_closed_items(names, root)
        assert all(isinstance(count, ClosedCount) for count in counts.values())
        graphql_wait = clock.now - started
        graphql_requests = stand_in.count()
    return {
        "search_requests": search_requests,
        "search_wait": search_wait,
        "graphql_requests": graphql_requests,
        "graphql_wait": graphql_wait,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=10)
    parser.add_argument("--issues", type=int, default=1000, help="mean closed items per repository")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reconcile", type=int, default=227, help="repositories to reconcile")
    args = parser.parse_args()
    stand_in = build(args.repos, args.issues)
    names = sorted(r.full_name for r in stand_in.repositories.values())
    try:
        runs = [run_once(stand_in, names) for _ in range(args.runs)]
    finally:
        stand_in.stop()
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    counts = reconcile(args.reconcile)
    print(
        f"{args.repos} repositories, {int(med['issues'])} closed issues and pull requests, "
        f"median of {args.runs} runs\n"
    )
    rows = [
        (
            "requests per 100 closed items, cold",
            med["cold_per_100"],
            med["baseline_per_100"],
            "<= 1.05",
        ),
        ("cold crawl wall time (s)", med["cold_s"], med["baseline_s"], ""),
        ("charged requests per repo, 1st refresh", med["refresh1"], None, "<= 2"),
        ("charged requests per repo, 2nd refresh", med["refresh2"], None, "<= 2"),
        ("refresh wall time (s)", med["refresh_s"], None, ""),
        (
            f"reconcile {args.reconcile} repos: requests",
            counts["graphql_requests"],
            counts["search_requests"],
            "",
        ),
        (
            f"reconcile {args.reconcile} repos: rate wait (s)",
            counts["graphql_wait"],
            counts["search_wait"],
            "0",
        ),
    ]
    print(f"{'measure':42} {'miner':>9} {'baseline':>9} {'ratio':>7}  target")
    for label, value, base, target in rows:
        b = f"{base:9.3f}" if base is not None else f"{'-':>9}"
        ratio = f"{value / base:7.2f}" if base else f"{'-':>7}"
        print(f"{label:42} {value:9.3f} {b} {ratio}  {target}")
    print(
        "\nbaselines: PyGithub repo.get_issues(state='closed') (30 per page, no refresh; a refresh "
        "without the miner re-reads every page); one search request per repository for the "
        "reconciliation (30 a minute), against GraphQL counts (50 repositories a query)."
    )


if __name__ == "__main__":
    main()
