"""``mms-extract annotations ...``: import reviewer and rater files, export samples for labelling.

    mms-extract annotations import-inspections --reviewer alice inspection.csv
    mms-extract annotations export-commits commits.csv        (and export-issues)
    mms-extract annotations export-commits --order uncertain commits.csv   (least certain first)
    mms-extract annotations import-reviews --frame commits --reviewer alice review.csv
    mms-extract annotations import-labels --frame commits --rater alice alice.csv
    mms-extract annotations import-labels --frame commits --rater consensus --adjudication consensus.csv

The warehouse is $MMS_DUCKDB_PATH (or --warehouse); run `dbt build` after each import.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from base import settings
from extract.annotations import files


def _warehouse(args: argparse.Namespace) -> Path:
    return Path(args.warehouse) if args.warehouse else settings.duckdb_path()


def _run(action) -> int:
    try:
        message = action()
    except files.AnnotationFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(message)
    return 0


def _inspections(args: argparse.Namespace) -> int:
    return _run(
        lambda: f"landed {files.import_inspections(args.landing_dir, args.file, args.reviewer)}"
    )


def _reviews(args: argparse.Namespace) -> int:
    return _run(
        lambda: (
            "landed "
            + str(
                files.import_sample_reviews(
                    args.landing_dir, args.file, args.frame, args.reviewer, _warehouse(args)
                )
            )
        )
    )


def _labels(args: argparse.Namespace) -> int:
    return _run(
        lambda: (
            "landed "
            + str(
                files.import_labels(
                    args.landing_dir,
                    args.file,
                    args.frame,
                    args.rater,
                    _warehouse(args),
                    adjudication=args.adjudication,
                )
            )
        )
    )


def _export(frame: str):
    def command(args: argparse.Namespace) -> int:
        return _run(
            lambda: (
                f"wrote {files.export_frame(_warehouse(args), frame, args.out, args.order)} "
                f"{frame} to {args.out}"
            )
        )

    return command


def register(commands: argparse._SubParsersAction) -> None:
    """Add this domain's sub-commands to ``mms-extract``."""
    parser = commands.add_parser("annotations", help="import reviewer/rater files, export samples")
    sub = parser.add_subparsers(dest="annotations_command", required=True)

    def add(name: str, help_text: str, func) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text)
        command.add_argument(
            "--warehouse", type=Path, default=None, help="default $MMS_DUCKDB_PATH"
        )
        command.set_defaults(func=func)
        return command

    command = add("import-inspections", "land a manual inspection of projects", _inspections)
    command.add_argument("--reviewer", required=True)
    command.add_argument("file", type=Path)
    command = add("import-reviews", "land a relevance review of a sample", _reviews)
    command.add_argument("--frame", choices=files.FRAMES, required=True)
    command.add_argument("--reviewer", required=True)
    command.add_argument("file", type=Path)
    command = add("import-labels", "land a rater's labels of a sample", _labels)
    command.add_argument("--frame", choices=files.FRAMES, required=True)
    command.add_argument("--rater", required=True)
    command.add_argument("--adjudication", action="store_true", help="consensus labels")
    command.add_argument("file", type=Path)
    for frame in files.FRAMES:
        command = add(
            f"export-{frame}", f"write the {frame} sample as a CSV for raters", _export(frame)
        )
        command.add_argument(
            "--order",
            choices=sorted(files.EXPORT_ORDERS),
            default="draw",
            help="draw (the sample's order) or uncertain (the suggester's least certain first)",
        )
        command.add_argument("out", type=Path)
