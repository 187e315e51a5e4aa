"""Command line for extraction: ``mms-extract <command>`` (see ``--help``)."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from base import settings

#: command -> the domain module that registers it. Only the domain a command line names is imported:
#: `mms-extract git` does not load PyGithub or pyarrow before git runs (0.8 s of start-up).
DOMAINS = {
    "git": "extract.git.cli",
    "github": "extract.github.cli",
    "annotations": "extract.annotations.cli",
}


def _cmd_init(args: argparse.Namespace) -> int:
    import landing

    landing.ensure_landing(args.landing_dir)
    print(f"landing initialised at {args.landing_dir}")
    return 0


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
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
    for name, module in DOMAINS.items():
        if command not in DOMAINS or command == name:
            importlib.import_module(module).register(commands)
    return parser


def _command(argv: list[str]) -> str | None:
    """The command a command line names (``git``, ``github``, ...), options before it skipped."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--landing-dir")
    pre.add_argument("command", nargs="?")
    known, _ = pre.parse_known_args(argv)
    return known.command


def main(argv: list[str] | None = None) -> int:
    own_process = argv is None  # a console script or `python -m extract`, not a caller's call
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(_command(argv))
    args = parser.parse_args(argv)
    if args.landing_dir is None:
        args.landing_dir = settings.landing_dir()
    if own_process and hasattr(args, "prepare_process"):
        args.prepare_process()
    try:
        return args.func(args)
    except Exception as exc:
        # A landing file that cannot be written or read (a full disk, say) is one line naming it.
        # The landing module is looked up, not imported: a command that never loaded it (and
        # pyarrow with it) cannot have raised its error.
        landing = sys.modules.get("landing")
        if landing is None or not isinstance(exc, landing.LandingError):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
