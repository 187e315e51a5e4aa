"""Command line for extraction: ``mms-extract <command>`` (see ``--help``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from extract import landing
from extract.annotations import cli as annotations_cli
from extract.git import cli as git_cli
from extract.github import cli as github_cli


def _cmd_init(args: argparse.Namespace) -> int:
    landing.ensure_landing(args.landing_dir)
    print(f"landing initialised at {args.landing_dir}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mms-extract", description=__doc__)
    parser.add_argument(
        "--landing-dir",
        type=Path,
        default=None,
        help="landing directory (default: $MMS_LANDING_DIR or data/landing)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create every landing table with its schema file")
    init.set_defaults(func=_cmd_init)
    # Each domain adds its own commands, so extraction domains evolve without touching this file.
    git_cli.register(commands)
    github_cli.register(commands)
    annotations_cli.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.landing_dir is None:
        args.landing_dir = landing.landing_root()
    try:
        return args.func(args)
    except landing.LandingError as exc:
        # A landing file that cannot be written or read (a full disk, say) is one line naming it.
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
