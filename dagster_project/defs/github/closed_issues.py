"""Each repository's closed issues and pull requests (a partition of `refresh_repository`).

Nothing here imports dbt: this module is part of the `repositories` code location, whose run
workers load no dbt project (dagster_project/definitions.py).
"""

import dagster as dg

from dagster_project.defs.github.resources import GitHubResource
from dagster_project.defs.landing.resources import LandingResource
from dagster_project.defs.partitions import DAILY_FRESHNESS, repository_partitions
from extract.github.client import GitHubUnreachable
from extract.github.counts import NoCount
from extract.github.records import CrawlStatus
from landing.versions import commit_version

CLOSED_ISSUES = dg.AssetKey(["github", "closed_issues"])
ISSUE_CRAWLS = dg.AssetKey(["github", "issue_crawls"])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            CLOSED_ISSUES,
            description="Closed issues and pull requests of the repository (landing: github/issues).",
            kinds={"github", "parquet"},
            freshness_policy=DAILY_FRESHNESS,
        ),
        dg.AssetSpec(
            ISSUE_CRAWLS,
            description="Provenance and resumption state of the repository's issue crawl.",
            kinds={"parquet"},
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "crawl_complete",
            asset=CLOSED_ISSUES,
            description="The crawl reached the last page (a partial crawl resumes on the next run).",
        ),
        dg.AssetCheckSpec(
            "closed_items_match_api",
            asset=CLOSED_ISSUES,
            description="Closed issues and closed pull requests landed = GitHub's counts "
            "(GraphQL `issues(states: CLOSED)` and `pullRequests(states: [CLOSED, MERGED])`, one "
            "point of the GraphQL limit; the search API is not used).",
        ),
    ],
    partitions_def=repository_partitions,
    group_name="github",
)
def closed_issue_history(
    context: dg.AssetExecutionContext, github: GitHubResource, landing_zone: LandingResource
):
    repo_id = context.partition_key
    root = landing_zone.path
    miner = github.miner()
    try:
        result = miner.crawl_closed_issues(repo_id, root)
    except GitHubUnreachable as exc:
        raise dg.Failure(description=str(exc)) from None
    context.log.info(
        f"{repo_id}: {result.status}, {result.pages} pages, {result.requests} requests, "
        f"{result.issues_landed} issues and {result.pull_requests_landed} pull requests landed"
    )
    if result.notice:
        context.log.warning(f"{repo_id}: {result.notice}")
    if result.status is CrawlStatus.ERROR:
        # GitHub's answer contradicted itself or the repository: nothing of it is trusted.
        raise dg.Failure(description=f"{repo_id}: issue crawl failed: {result.detail}")
    # The landed generation: a crawl that finds nothing new keeps it (docs/incremental-runs.md).
    crawl = commit_version(root, "github/issue_crawls", repo_id)
    common = {
        "repo_id": repo_id,
        "status": str(result.status),
        "requests": result.requests,
        **({"notice": result.notice} if result.notice else {}),
    }
    yield dg.MaterializeResult(
        asset_key=CLOSED_ISSUES,
        data_version=dg.DataVersion(crawl.partition(":")[0]),
        metadata={
            **common,
            "closed_issues": result.issues_landed,
            "closed_pull_requests": result.pull_requests_landed,
            "dagster/row_count": result.issues_landed + result.pull_requests_landed,
        },
    )
    yield dg.MaterializeResult(
        asset_key=ISSUE_CRAWLS,
        data_version=dg.DataVersion(crawl),
        metadata={
            **common,
            "since": str(result.since) if result.since else "cold crawl",
            "pages": result.pages,
        },
    )
    yield dg.AssetCheckResult(
        check_name="crawl_complete",
        asset_key=CLOSED_ISSUES,
        passed=result.is_complete,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"status": str(result.status), "detail": result.detail or ""},
    )
    yield _closed_items_check(miner, repo_id, root, result)


def _closed_items_check(miner, repo_id, root, result) -> dg.AssetCheckResult:
    count = result.api_count or miner.count_closed_items([repo_id], root)[repo_id]
    landed = (result.issues_landed, result.pull_requests_landed)
    if isinstance(count, NoCount):
        # Unknown is not a match: a warning that quotes why GitHub gave no count.
        return dg.AssetCheckResult(
            check_name="closed_items_match_api",
            asset_key=CLOSED_ISSUES,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"not counted: {count.reason}",
            metadata={"landed": sum(landed), "not_counted": count.reason},
        )
    api = (count.issues, count.pull_requests)
    return dg.AssetCheckResult(
        check_name="closed_items_match_api",
        asset_key=CLOSED_ISSUES,
        # An issue reopened after it was landed stays in the landing zone, so counts can differ.
        passed=landed == api,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "landed": sum(landed),
            "api_count": count.total,
            "landed_issues": landed[0],
            "api_issues": api[0],
            "landed_pull_requests": landed[1],
            "api_pull_requests": api[1],
        },
    )
