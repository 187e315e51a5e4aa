"""``mms-extract git ...``: mine repositories into the landing zone from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _cmd_mine(args: argparse.Namespace) -> int:
    from extract import settings
    from extract.git.miner import GitMiningError, mine_repository

    try:
        missing_objects = args.missing_objects or settings.git_missing_objects()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result = mine_repository(
            args.repo_id,
            args.source,
            args.landing_dir,
            mirror_dir=args.mirror_dir,
            ref=args.ref,
            engine=args.engine,
            full_refresh=args.full,
            log=lambda line: print(line, file=sys.stderr),
            missing_objects=missing_objects,
            jobs=args.jobs,
        )
    except GitMiningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{result.repo_id}: {result.mode} at {result.mined_head}: {result.commits} commits, "
        f"{result.modified_files} modified files ({result.new_commits} new, "
        f"{result.dropped_commits} dropped, {len(result.undiffable_commits)} undiffable)"
    )
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add this domain's sub-commands to ``mms-extract``."""
    git = commands.add_parser("git", help="mine commits and modified files of git repositories")
    sub = git.add_subparsers(dest="git_command", required=True)
    mine = sub.add_parser("mine", help="land one repository's commits (full or incremental)")
    mine.add_argument("repo_id", help="owner/name")
    mine.add_argument("--source", required=True, help="local git repository path or clone URL")
    mine.add_argument(
        "--mirror-dir", type=Path, default=Path("data/mirrors"), help="where URL clones live"
    )
    mine.add_argument("--ref", default=None, help="branch or commit (default: the default branch)")
    mine.add_argument("--engine", choices=("git-log", "pydriller"), default="git-log")
    mine.add_argument("--full", action="store_true", help="re-mine everything")
    mine.add_argument(
        "--missing-objects",
        choices=("fail", "record"),
        default=None,
        help="on a commit git cannot diff: fail, or land it with unknown line counts "
        "(default: $MMS_GIT_MISSING_OBJECTS, else fail)",
    )
    mine.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="git processes mining the repository at once (default: one per core, at most 2)",
    )
    mine.set_defaults(func=_cmd_mine)
