"""``mms-extract git ...``: mine repositories into the landing zone from the command line.

Paths default to the same settings Dagster reads (``MMS_MIRROR_DIR``, ``MMS_LANDING_DIR``; see
base/settings.py). Importing this module is cheap: the miner is imported when a command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import get_args

from extract.git.options import EngineName, MissingObjectsPolicy

#: packages pyarrow loads when they are installed and mining never uses: pandas (~0.25 s, on
#: pyarrow's first conversion of a Python list) and numpy (~0.2 s CPU, with pyarrow itself;
#: pyarrow >= 16 runs without it)
_DECLINED = ("pandas", "numpy")


class _Declined:
    """A meta path finder that answers `import pandas` or `import numpy` with ModuleNotFoundError,
    as if they were not installed (a None in sys.modules is not enough: Cython's import in pyarrow
    returns it)."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in _DECLINED:
            raise ModuleNotFoundError(f"{name} is not loaded by `mms-extract git mine`", name=name)
        return None


def _prepare_mining_process() -> None:
    """Mining never uses pandas or numpy, which pyarrow would load (together ~0.45 s, half the
    command's fixed cost on a small repository), so a `git mine` process declines them. Only a
    process of its own does this (see extract.cli.main): called in-process, the caller keeps
    them.

    It also gives Arrow the C library's allocator (Arrow's documented
    ``ARROW_DEFAULT_MEMORY_POOL``, read when pyarrow is first imported; a user's setting wins):
    the default, mimalloc, faults fresh zeroed pages in for every batch of rows (~0.15 CPU s of
    system time and ~35 MB more peak memory on mne-python), and a run builds its tables once."""
    if not any(name in sys.modules for name in _DECLINED):
        sys.meta_path.insert(0, _Declined())
    if "pyarrow" not in sys.modules:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


def _cmd_mine(args: argparse.Namespace) -> int:
    from base import settings
    from extract.git.miner import GitMiningError, MiningOptions, mine_repository
    from extract.git.options import MissingObjects

    try:
        options = MiningOptions(
            ref=args.ref,
            engine=args.engine,
            detect_copies=args.detect_copies,
            missing_objects=MissingObjects(args.missing_objects or settings.git_missing_objects()),
            full_refresh=args.full,
            jobs=args.jobs,
        )
        result = mine_repository(
            args.repo_id,
            args.source,
            args.landing_dir,
            options,
            mirror_dir=args.mirror_dir or settings.mirror_dir(),
            log=lambda line: print(line, file=sys.stderr),
        )
    except (GitMiningError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{result.repo_id}: {result.mode} at {result.mined_head}: {result.commits} commits, "
        f"{result.modified_files} modified files ({result.new_commits} new, "
        f"{result.dropped_commits} dropped, {len(result.undiffable_commits)} undiffable)"
    )
    return 0


def _cmd_diffs(args: argparse.Namespace) -> int:
    from base import settings
    from extract.git.diffs import land_commit_diffs
    from extract.git.records import GitMiningError

    try:
        result = land_commit_diffs(
            args.repo_id,
            args.source,
            args.landing_dir,
            mirror_dir=args.mirror_dir or settings.mirror_dir(),
            keywords_csv=args.keywords,
            log=lambda line: print(line, file=sys.stderr),
        )
    except (GitMiningError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{result.repo_id}: {result.frame_commits} model-file commits: {result.summarised} "
        f"summarised, {result.kept} kept from the last run"
    )
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of processes")
    return value


def register(commands: argparse._SubParsersAction) -> None:
    """Add this domain's sub-commands to ``mms-extract``."""
    git = commands.add_parser("git", help="mine commits and modified files of git repositories")
    sub = git.add_subparsers(dest="git_command", required=True)
    mine = sub.add_parser("mine", help="land one repository's commits (full or incremental)")
    mine.add_argument("repo_id", help="owner/name")
    mine.add_argument("--source", required=True, help="local git repository path or clone URL")
    mine.add_argument(
        "--mirror-dir",
        type=Path,
        default=None,
        help="where URL clones live (default: $MMS_MIRROR_DIR or data/mirrors)",
    )
    mine.add_argument("--ref", default=None, help="branch or commit (default: the default branch)")
    mine.add_argument("--engine", choices=get_args(EngineName), default="git-log")
    mine.add_argument(
        "--detect-copies",
        action="store_true",
        help="also detect copies (git -C): a copy lands as COPY with line counts against its "
        "source instead of an ADD (the study's tool detects renames only)",
    )
    mine.add_argument("--full", action="store_true", help="re-mine everything")
    mine.add_argument(
        "--missing-objects",
        choices=get_args(MissingObjectsPolicy),
        default=None,
        help="on a commit git cannot diff: fail, or land it with unknown line counts "
        "(default: $MMS_GIT_MISSING_OBJECTS, else fail)",
    )
    mine.add_argument(
        "--jobs",
        type=_positive,
        default=None,
        help="git processes mining the repository at once (default: one per core, at most 2)",
    )
    mine.set_defaults(func=_cmd_mine, prepare_process=_prepare_mining_process)
    diffs = sub.add_parser(
        "diffs",
        help="land per-commit diff summaries of a mined repository's model-file commits "
        "(opt-in; read by the label suggester)",
    )
    diffs.add_argument("repo_id", help="owner/name, already landed by `git mine`")
    diffs.add_argument("--source", required=True, help="local git repository path or clone URL")
    diffs.add_argument("--mirror-dir", type=Path, default=None, help="where URL clones live")
    diffs.add_argument(
        "--keywords",
        type=Path,
        default=None,
        help="model-file keyword CSV with a `variant` column (default: dbt/seeds/model_file_keywords.csv)",
    )
    diffs.set_defaults(func=_cmd_diffs)
