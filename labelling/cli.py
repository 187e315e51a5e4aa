"""``mms-label``: labelling rounds in Label Studio (docs/labelling.md).

    mms-label export --frame commits --round round-1 --raters alice,bob
    mms-label status --frame commits --round round-1 --raters alice,bob
    mms-label import --frame commits --round round-1 --raters alice,bob
    mms-label export --frame commits --round round-1 --adjudication        (after a build)
    mms-label import --frame commits --round round-1 --adjudication --raters panel

Label Studio is $MMS_LABEL_STUDIO_URL (default http://localhost:8080) with the token in
$MMS_LABEL_STUDIO_TOKEN; the warehouse is $MMS_DUCKDB_PATH (or --warehouse), the landing directory
$MMS_LANDING_DIR. Run `mms-warehouse build` after an import.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from base import settings
from extract.annotations.files import FRAMES, AnnotationFileError
from labelling.client import LabelStudioError, from_environment


def _raters(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _export(args, client) -> list[str]:
    from labelling import rounds

    warehouse = args.warehouse or settings.duckdb_path()
    if args.adjudication:
        done = [
            rounds.export_adjudication(
                client, warehouse, args.frame, args.round, settings.mirror_dir()
            )
        ]
    else:
        done = rounds.export_round(
            client, warehouse, args.frame, args.round, args.raters, settings.mirror_dir()
        )
    return [project.line() for project in done]


def _import(args, client) -> list[str]:
    from labelling.imports import import_rater

    warehouse = args.warehouse or settings.duckdb_path()
    lines = []
    for rater in args.raters:
        imported = import_rater(
            client, settings.landing_dir(), warehouse, args.frame, args.round, rater,
            adjudication=args.adjudication,
        )  # fmt: skip
        lines += imported.lines()
    return lines


def _status(args, client) -> list[str]:
    from labelling.progress import round_progress

    return round_progress(client, args.frame, args.round, args.raters).lines()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mms-label", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command_name", required=True)
    for name, func, help_text in (
        ("export", _export, "create or update the round's projects from the published sample"),
        ("import", _import, "land the raters' (or the adjudication's) annotations"),
        ("status", _status, "labelled, left and kappa so far, read from Label Studio"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--frame", choices=FRAMES, required=True)
        command.add_argument("--round", required=True, help="e.g. round-1")
        command.add_argument(
            "--raters", type=_raters, default=[], help="comma-separated rater names"
        )
        command.add_argument(
            "--warehouse", type=Path, default=None, help="default $MMS_DUCKDB_PATH"
        )
        if name != "status":
            command.add_argument(
                "--adjudication", action="store_true", help="the round's adjudication project"
            )
        command.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.raters and not getattr(args, "adjudication", False):
        parser.error("--raters is required (the adjudication export takes none)")
    if (
        getattr(args, "adjudication", False)
        and args.command_name == "import"
        and len(args.raters) != 1
    ):
        parser.error("import --adjudication takes one name in --raters: who adjudicated")
    try:
        client = from_environment()
        for line in args.func(args, client):
            print(line, file=sys.stderr if line.startswith("warning:") else sys.stdout)
    except (LabelStudioError, AnnotationFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
