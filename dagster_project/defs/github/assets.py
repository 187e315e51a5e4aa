"""GitHub extraction: the candidate list, repository metadata and the sampled issues' linked pull
requests. Each repository's closed issues are in closed_issues.py, with the git history in the
`repositories` code location (dagster_project/definitions.py)."""

import time
from datetime import UTC, datetime, timedelta

import dagster as dg
from pydantic import Field

import landing
from base import settings
from dagster_project.defs.github.resources import GitHubResource
from dagster_project.defs.landing.resources import LandingResource
from dagster_project.defs.partitions import (
    WEEKLY_FRESHNESS,
)
from dagster_project.defs.warehouse.dbt import model_key
from dagster_project.defs.warehouse.resources import PublishedWarehouseResource
from extract.github.candidates import CandidateListError, load_candidates, valid_candidates
from extract.github.client import GitHubUnreachable
from extract.github.records import MetadataStatus
from landing.versions import table_version

CANDIDATES = dg.AssetKey(["github", "candidates"])
REPOSITORY_METADATA = dg.AssetKey(["github", "repository_metadata"])
ISSUE_LINKS = dg.AssetKey(["github", "issue_links"])


class CandidatesConfig(dg.Config):
    candidate_list: str = Field(
        default="",
        description="A path or http(s) URL of a CSV of owner/name, with an optional type column "
        "(ProjectType: only Applied and Tool rows are candidates). Default: $MMS_CANDIDATE_LIST.",
    )


@dg.asset(key=CANDIDATES, group_name="selection", kinds={"csv", "parquet"})
def candidates(
    context: dg.AssetExecutionContext, config: CandidatesConfig, landing_zone: LandingResource
) -> dg.MaterializeResult:
    """The candidate ML repositories (the study's 4,031), invalid rows kept with their problem."""
    source = config.candidate_list or settings.candidate_list()
    if not source:
        raise dg.Failure(
            description="no candidate list: set MMS_CANDIDATE_LIST or the asset's candidate_list config "
            "to a CSV of owner/name (e.g. ml_projects_breadth_corpus.csv)"
        )
    try:
        loaded = load_candidates(source, landing_zone.path)
    except (CandidateListError, OSError) as exc:
        raise dg.Failure(description=str(exc)) from None
    context.log.info(f"{loaded.rows} rows from {source}: {loaded.valid} valid candidates")
    return dg.MaterializeResult(
        # The same rows loaded again are no change for the selection built from them.
        data_version=dg.DataVersion(table_version(landing_zone.path, "github/candidates")),
        metadata={
            "list": loaded.list_name,
            "rows": loaded.rows,
            "valid_candidates": loaded.valid,
            "invalid_rows": loaded.rows - loaded.valid,
            "dagster/row_count": loaded.rows,
        },
    )


class MetadataConfig(dg.Config):
    max_age_hours: float = Field(
        default=24.0,
        description="Metadata fetched more recently than this is kept as is, so a crashed run "
        "resumes where it stopped and a weekly refresh re-fetches everything once. A fetch that "
        "failed (status error) is never kept: the next run asks again.",
    )


def _fresh(landing_root, repo_id, cutoff) -> bool:
    """Whether the landed metadata is recent and not a failed fetch, so it is kept as is."""
    table = landing.read_partition(landing_root, "github/repositories", repo_id)
    if table is None or table.num_rows == 0:
        return False
    row = table.select(["fetched_at", "status"]).to_pylist()[0]
    return row["status"] != MetadataStatus.ERROR and row["fetched_at"] >= cutoff


@dg.asset(
    key=REPOSITORY_METADATA,
    deps=[CANDIDATES],
    group_name="selection",
    kinds={"github", "parquet"},
    freshness_policy=WEEKLY_FRESHNESS,
)
def repository_metadata(
    context: dg.AssetExecutionContext,
    config: MetadataConfig,
    github: GitHubResource,
    landing_zone: LandingResource,
) -> dg.MaterializeResult:
    """GitHub metadata of every valid candidate (stars, pushes, commits, contributors, ...)."""
    root = landing_zone.path
    repo_ids = valid_candidates(root)
    miner = github.miner()
    cutoff = datetime.now(UTC) - timedelta(hours=config.max_age_hours)
    statuses: dict[str, int] = {}
    reused: list[str] = []
    fetched = skipped = 0
    started = time.monotonic()
    for index, repo_id in enumerate(repo_ids, start=1):
        if _fresh(root, repo_id, cutoff):
            skipped += 1
            continue
        try:
            row = miner.land_repository_metadata(repo_id, root)
        except GitHubUnreachable as exc:
            raise dg.Failure(description=str(exc)) from None
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
        if row["status"] == MetadataStatus.NAME_REUSED:
            reused.append(f"{repo_id}: {row['status_detail']}")
            context.log.warning(reused[-1])
        fetched += 1
        if fetched % 50 == 0 or index == len(repo_ids):
            rate = fetched / max(time.monotonic() - started, 1e-9)
            eta = (len(repo_ids) - index) / rate if rate else 0
            context.log.info(
                f"metadata {index}/{len(repo_ids)} ({skipped} fresh, kept); "
                f"requests left {miner.client.rate_remaining()}; ETA {eta:.0f}s"
            )
    return dg.MaterializeResult(
        data_version=dg.DataVersion(table_version(root, "github/repositories")),
        metadata={
            "candidates": len(repo_ids),
            "fetched": fetched,
            "kept_fresh": skipped,
            **{f"status_{k}": v for k, v in sorted(statuses.items())},
            # A name another repository took: the landed id was kept; the user decides.
            **(
                {"name_reused": dg.MetadataValue.md("\n".join(f"- {r}" for r in reused))}
                if reused
                else {}
            ),
            "requests": miner.client.requests_sent,
            "dagster/row_count": len(repo_ids),
        },
    )


def issue_links_asset() -> dg.AssetsDefinition:
    """Built when the definitions load: its input's key comes from the dbt manifest."""

    @dg.asset(
        key=ISSUE_LINKS,
        deps=[model_key("issue_sample")],
        group_name="github",
        kinds={"github", "parquet"},
    )
    def issue_links(
        context: dg.AssetExecutionContext,
        github: GitHubResource,
        duckdb: PublishedWarehouseResource,
        landing_zone: LandingResource,
    ) -> dg.MaterializeResult:
        """Pull requests linked to the sampled closed issues only: one timeline request per issue, so
        385 sampled issues cost ~385 requests instead of ~377k for the whole corpus."""
        with duckdb.get_connection() as con:
            rows = con.execute(
                "select repo_id, issue_number from issue_sample order by repo_id, issue_number"
            ).fetchall()
        by_repo: dict[str, list[int]] = {}
        for repo_id, number in rows:
            by_repo.setdefault(repo_id, []).append(int(number))
        miner = github.miner()
        links = requests = 0
        failed: dict[str, int] = {}
        for repo_id, numbers in by_repo.items():
            try:
                result = miner.fetch_issue_links(repo_id, numbers, landing_zone.path)
            except GitHubUnreachable as exc:
                raise dg.Failure(description=str(exc)) from None
            links += result.links
            requests += result.requests
            if result.failed:
                failed[repo_id] = len(result.failed)
        context.log.info(f"{links} links for {len(rows)} sampled issues, {requests} requests")
        return dg.MaterializeResult(
            data_version=dg.DataVersion(table_version(landing_zone.path, "github/issue_links")),
            metadata={
                "sampled_issues": len(rows),
                "linked_pull_requests": links,
                "requests": requests,
                "issues_failed": sum(failed.values()),
                "dagster/row_count": links,
            },
        )

    return issue_links


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[candidates, repository_metadata, issue_links_asset()])
