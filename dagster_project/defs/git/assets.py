"""Commits and modified files of each repository, mined with extract.git and landed as Parquet."""

from pathlib import Path
from typing import Literal

import dagster as dg
from pydantic import Field

from dagster_project.defs.git.resources import GitSourceResource
from dagster_project.defs.landing.resources import LandingResource
from dagster_project.defs.partitions import DAILY_FRESHNESS, repository_partitions
from extract.git import gitcmd
from extract.git.miner import GitMiningError, MiningOptions, mine_repository
from extract.git.options import Engine, EngineName, MissingObjects, MissingObjectsPolicy
from landing.versions import commit_version

COMMITS = dg.AssetKey(["git", "commits"])
MODIFIED_FILES = dg.AssetKey(["git", "modified_files"])
EXTRACTIONS = dg.AssetKey(["git", "extractions"])


class GitMiningConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Re-mine the whole history instead of only the commits not landed yet.",
    )
    engine: EngineName = Field(
        default="git-log",
        description="git-log: streamed git log processes (fast). pydriller: the study's tool, "
        "one commit at a time (slow, for comparison).",
    )
    detect_copies: bool = Field(
        default=False,
        description="Also detect copies (git -C). Off: renames only, as the study's tool; a "
        "copied file lands as an ADD of all its lines. On: as a COPY with line counts against its "
        "source. Changing it re-mines the repository.",
    )
    missing_objects: Literal["source", "fail", "record"] = Field(
        default="source",
        description="On a commit git cannot diff (a snapshot lacking blobs): fail, or record it "
        "with unknown line counts (listed in git/extractions.undiffable_commits). source: what "
        "the git source says ($MMS_GIT_MISSING_OBJECTS, else fail), which runs a sensor or "
        "schedule launches follow.",
    )
    jobs: int | None = Field(
        default=1,
        ge=1,
        description="git processes per repository. 1: the run queue already mines several "
        "repositories at once (dagster.yaml), which fills the cores, and a second git process "
        "per repository would only add CPU (5-8%, docs/git-mining.md). 2 halves the wall time of "
        "one repository mined alone; empty: one per core, at most 2 (the CLI's default).",
    )

    def options(self, source_policy: MissingObjectsPolicy = "fail") -> MiningOptions:
        """The miner's options; ``source_policy`` is what the git source says of missing objects."""
        return MiningOptions(
            engine=Engine(self.engine),
            detect_copies=self.detect_copies,
            missing_objects=MissingObjects(
                source_policy if self.missing_objects == "source" else self.missing_objects
            ),
            full_refresh=self.full_refresh,
            jobs=self.jobs,
        )


def _mine(context, config: GitMiningConfig, git: GitSourceResource, landing_root: Path):
    """Mine the partition's repository into the landing zone; the result and the commits git
    itself counts up to the mined head."""
    repo_id = context.partition_key
    source = git.source_for(repo_id)
    try:
        result = mine_repository(
            repo_id,
            source,
            landing_root,
            config.options(git.missing_objects),
            mirror_dir=Path(git.mirror_dir),
            log=context.log.info,
        )
        # Counted by git itself, independently of the miner's walk.
        git_dir = gitcmd.local_git_dir(repo_id, source, Path(git.mirror_dir))
        expected = gitcmd.count_commits(git_dir, result.mined_head, repo_id=repo_id)
    except GitMiningError as exc:
        # The message names the repository and the bad input; the traceback adds nothing for users.
        raise dg.Failure(description=str(exc)) from None
    return result, expected


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
def git_history(
    context: dg.AssetExecutionContext,
    config: GitMiningConfig,
    git: GitSourceResource,
    landing_zone: LandingResource,
):
    repo_id = context.partition_key
    result, expected = _mine(context, config, git, landing_zone.path)
    # The landed generation: a refresh that finds nothing new keeps it, so nothing downstream is
    # stale (docs/incremental-runs.md).
    version = dg.DataVersion(commit_version(landing_zone.path, "git/extractions", repo_id))
    common = {
        "repo_id": repo_id,
        "mined_head": result.mined_head,
        "mode": result.mode.value,
        "engine": result.engine.value,
        "detect_copies": result.detect_copies,
    }
    yield dg.MaterializeResult(
        asset_key=COMMITS,
        data_version=version,
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
        data_version=version,
        metadata={
            **common,
            "modified_files": result.modified_files,
            "dagster/row_count": result.modified_files,
        },
    )
    yield dg.MaterializeResult(asset_key=EXTRACTIONS, data_version=version, metadata=common)
    yield dg.AssetCheckResult(
        check_name="commits_match_rev_list",
        asset_key=COMMITS,
        passed=expected == result.commits,
        metadata={"landed": result.commits, "rev_list_count": expected},
    )


COMMIT_DIFFS = dg.AssetKey(["git", "commit_diffs"])


@dg.asset(
    key=COMMIT_DIFFS,
    deps=[EXTRACTIONS],
    partitions_def=repository_partitions,
    group_name="git",
    kinds={"git", "parquet"},
    description="Per-commit diff summaries of the repository's model-file commits, read by the "
    "label suggester (landing: git/commit_diffs). Opt-in: no job or schedule of the refresh "
    "cycle materializes it, so the mining pass never pays for it.",
)
def git_commit_diffs(
    context: dg.AssetExecutionContext, git: GitSourceResource, landing_zone: LandingResource
):
    from extract.git.diffs import land_commit_diffs

    repo_id = context.partition_key
    try:
        result = land_commit_diffs(
            repo_id,
            git.source_for(repo_id),
            landing_zone.path,
            mirror_dir=Path(git.mirror_dir),
            log=context.log.info,
        )
    except GitMiningError as exc:
        raise dg.Failure(description=str(exc)) from None
    return dg.MaterializeResult(
        metadata={
            "repo_id": repo_id,
            "model_file_commits": result.frame_commits,
            "summarised": result.summarised,
            "kept": result.kept,
            "dagster/row_count": result.frame_commits,
        }
    )
