"""``mms-warehouse``: build and publish the warehouse by hand, see what is published, query it.

mms-warehouse build [dbt args...]   dbt build on a private copy, published when it passes and
                                    loses no data against the published build (--allow-shrink)
mms-warehouse status                the published build, labelling progress, and the newest build
                                    that failed
mms-warehouse sql [-c QUERY]        DuckDB's CLI on the published warehouse: read-only, safe mode
"""

from __future__ import annotations

import argparse
import getpass
import sys

from base import settings
from landing import LandingError
from warehouse.files import WarehouseFiles
from warehouse.labelling_progress import progress_lines
from warehouse.lock import WarehouseBusy
from warehouse.publish import (
    BuildFailed,
    build_session,
    keep_snapshots,
    publication_status,
    run_dbt,
)


def _build(args: argparse.Namespace) -> int:
    files = WarehouseFiles.from_settings()
    holder = f"mms-warehouse build by {getpass.getuser()}"

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:  # a bad setting is one line, before the lock is taken or dbt started
        keep = keep_snapshots()
    except ValueError as exc:
        say(f"error: {exc}")
        return 2
    try:
        with build_session(
            files,
            holder=holder,
            landing_root=settings.landing_dir(),
            wait_seconds=args.wait,
            keep=keep,
            on_wait=say,
            log=say,
            allow_shrink=args.allow_shrink,
        ) as session:
            dbt_args = session.dbt_args(["build", *args.dbt_args])
            say(f"build {session.build_id}: dbt {' '.join(dbt_args)} into {session.build_path}")
            code = run_dbt(dbt_args, session.env)
            session.finish(passed=code == 0, reason=None if code == 0 else f"dbt exited {code}")
    except WarehouseBusy as exc:
        say(f"error: {exc}")
        return 3
    except (LandingError, BuildFailed) as exc:
        say(f"error: {exc}; nothing was published")
        return 2
    return 0 if session.published else 1


def _status(args: argparse.Namespace) -> int:
    files = WarehouseFiles.from_settings()
    status = publication_status(files)
    if status.published_build_id is None:
        print(f"nothing published at {files.published} yet")
    else:
        print(
            f"published: build {status.published_build_id} ({status.published_at}) at {files.published}"
        )
    published = status.published
    if published is not None and published.allowed_shrink:
        print("published with --allow-shrink although it lost data against the build before:")
        for shrink in published.shrinks:
            print(f"  {shrink}")
    if status.published_build_id is not None:
        lines = progress_lines(files.published)
        if lines:
            print("labelling (imported labels in the published build):")
            print("\n".join(lines))
    if status.last_failed is not None:
        failed = status.last_failed
        print(
            f"newer build {failed.build_id} ({failed.started_at}) was not published: {failed.reason}"
        )
        for shrink in failed.shrinks:
            print(f"  {shrink}")
    return 0


def _sql(args: argparse.Namespace) -> int:
    from warehouse.prompt import run_prompt

    return run_prompt(WarehouseFiles.from_settings().published, command=args.command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mms-warehouse",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command_name", required=True)
    build = commands.add_parser(
        "build", help="dbt build on a private copy; publish it if it passes"
    )
    build.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="seconds to wait for another writer (default: fail at once)",
    )
    build.add_argument(
        "--allow-shrink",
        action="store_true",
        help="publish even if the build loses repositories, or more than 5%% of a repository's "
        "commits or closed items, against the published build without a recorded reason",
    )
    build.add_argument(
        "dbt_args",
        nargs=argparse.REMAINDER,
        help="passed to dbt build (e.g. --vars '{sampling_seed: x}')",
    )
    build.set_defaults(func=_build)
    status = commands.add_parser("status", help="which build is published")
    status.set_defaults(func=_status)
    sql = commands.add_parser(
        "sql", help="DuckDB's CLI on the published warehouse: read-only, in safe mode"
    )
    sql.add_argument(
        "-c", "--command", default=None, help="run the statement(s) and exit (1 on an error)"
    )
    sql.set_defaults(func=_sql)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    # Whatever `build` does not know goes to dbt (`build --vars '{...}' --select x`).
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.func is not _build:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.func is _build:
        args.dbt_args = [*unknown, *args.dbt_args]
        # dbt has no such flag: wherever it stands, it is ours
        if "--allow-shrink" in args.dbt_args:
            args.dbt_args = [a for a in args.dbt_args if a != "--allow-shrink"]
            args.allow_shrink = True
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
