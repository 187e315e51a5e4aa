"""Commits and modified files of each repository, mined with extract.git and landed as Parquet."""

import subprocess
from pathlib import Path

import dagster as dg

from dagster_project.defs.git.resources import GitSourceResource
from dagster_project.defs.partitions import DAILY_FRESHNESS, repository_partitions
from extract import settings
from extract.git import gitcmd
from extract.git.miner import GitMiningError, mine_repository

COMMITS = dg.AssetKey(["git", "commits"])
MODIFIED_FILES = dg.AssetKey(["git", "modified_files"])
EXTRACTIONS = dg.AssetKey(["git", "extractions"])


class GitMiningConfig(dg.Config):
    #: Re-mine the whole history instead of only the commits not landed yet.
    full_refresh: bool = False
    #: "git-log" (one streamed git log) or "pydriller" (the study's tool, per commit; slow).
    engine: str = "git-log"
    #: On a commit git cannot diff (a snapshot lacking blobs): "fail", or "record" it with unknown
    #: line counts (listed in git/extractions.undiffable_commits). Unset: the git source's policy
    #: ($MMS_GIT_MISSING_OBJECTS, else "fail"), so runs a sensor or schedule launches follow it.
    missing_objects: str | None = None
    #: git processes per repository; 1 when many repositories are mined at once on few cores.
    jobs: int | None = None


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            COMMITS,
            description="Every commit reachable from the default branch (landing: git/commits).",
            kinds={"git", "parquet"},
            freshness_policy=DAILY_FRESHNESS,
        ),
        dg.AssetSpec(
            MODIFIED_FILES,
            description="Every file each commit modifies, first-parent diff for merges "
            "(landing: git/modified_files).",
            kinds={"git", "parquet"},
            freshness_policy=DAILY_FRESHNESS,
        ),
        dg.AssetSpec(
            EXTRACTIONS,
            description="Provenance of each repository's landed git partition.",
            kinds={"parquet"},
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "commits_match_rev_list",
            asset=COMMITS,
            description="Commits landed = `git rev-list --count <mined head>` of the mirror.",
        )
    ],
    partitions_def=repository_partitions,
    group_name="git",
)
def git_history(context: dg.AssetExecutionContext, config: GitMiningConfig, git: GitSourceResource):
    repo_id = context.partition_key
    landing = settings.landing_dir()
    source = git.source_for(repo_id)
    try:
        result = mine_repository(
            repo_id,
            source,
            landing,
            mirror_dir=Path(git.mirror_dir),
            engine=config.engine,
            full_refresh=config.full_refresh,
            missing_objects=config.missing_objects or git.missing_objects,
            jobs=config.jobs,
            log=context.log.info,
        )
    except GitMiningError as exc:
        # The message names the repository and the bad input; the traceback adds nothing for users.
        raise dg.Failure(description=str(exc)) from None

    common = {
        "repo_id": repo_id,
        "mined_head": result.mined_head,
        "mode": result.mode,
        "engine": result.engine,
    }
    yield dg.MaterializeResult(
        asset_key=COMMITS,
        metadata={
            **common,
            "commits": result.commits,
            "new_commits": result.new_commits,
            "dropped_commits": result.dropped_commits,
            "dagster/row_count": result.commits,
        },
    )
    yield dg.MaterializeResult(
        asset_key=MODIFIED_FILES,
        metadata={
            **common,
            "modified_files": result.modified_files,
            "dagster/row_count": result.modified_files,
        },
    )
    yield dg.MaterializeResult(asset_key=EXTRACTIONS, metadata=common)
    expected = _rev_list_count(repo_id, source, Path(git.mirror_dir), result.mined_head)
    yield dg.AssetCheckResult(
        check_name="commits_match_rev_list",
        asset_key=COMMITS,
        passed=expected == result.commits,
        metadata={"landed": result.commits, "rev_list_count": expected},
    )


def _rev_list_count(repo_id: str, source: str, mirror_dir: Path, head: str | None) -> int:
    """Count commits reachable from the mined head with git itself, independently of the miner."""
    if head is None:
        return 0
    git_dir = gitcmd.mirror_path(mirror_dir, repo_id) if gitcmd.is_url(source) else Path(source)
    done = subprocess.run(
        ["git", "-C", str(git_dir), "rev-list", "--count", head, "--"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip())
