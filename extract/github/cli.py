"""``mms-extract github ...``: candidates, metadata, closed issues and issue links.

Tokens come from ``GITHUB_TOKEN`` (several comma-separated); ``--base-url`` points at GitHub
Enterprise (``https://host/api/v3``) or the local stand-in.
"""

from __future__ import annotations

import argparse
import logging
import sys

from extract.github.candidates import (
    STUDY_TYPES,
    CandidateListError,
    load_candidates,
    valid_candidates,
)
from extract.github.client import DEFAULT_BASE_URL, GitHubAuthError
from extract.repo_id import InvalidRepoId, validate_repo_id


def _miner(args: argparse.Namespace):
    from extract.github.miner import GitHubMiner

    return GitHubMiner(args.base_url, allow_anonymous=args.anonymous)


def _repos(args: argparse.Namespace) -> list[str]:
    if args.repo:
        return [validate_repo_id(r) for r in args.repo]
    return valid_candidates(args.landing_dir, args.candidates)


def _cmd_candidates(args: argparse.Namespace) -> int:
    types = None if args.all_types else tuple(t.strip() for t in args.types.split(",") if t.strip())
    load = load_candidates(args.source, args.landing_dir, list_name=args.name, include_types=types)
    print(
        f"{load.list_name}: {load.rows} rows, {load.valid} candidates, {load.invalid} not ({load.path})"
    )
    return 0


def _cmd_metadata(args: argparse.Namespace) -> int:
    miner = _miner(args)
    for repo_id in _repos(args):
        row = miner.land_repository_metadata(repo_id, args.landing_dir)
        print(f"{repo_id}\t{row['status']}\t{row.get('status_detail') or ''}")
    return 0


def _cmd_issues(args: argparse.Namespace) -> int:
    miner = _miner(args)
    failed = 0
    for repo_id in _repos(args):
        result = miner.crawl_closed_issues(repo_id, args.landing_dir)
        failed += not result.is_complete
        print(
            f"{repo_id}\t{result.status}\t{result.issues_landed} issues\t"
            f"{result.pull_requests_landed} pull requests\t{result.requests} requests"
        )
    return 1 if failed else 0


def _cmd_links(args: argparse.Namespace) -> int:
    result = _miner(args).fetch_issue_links(args.repo[0], args.issue, args.landing_dir)
    print(f"{result.repo_id}\t{result.links} links\t{result.requests} requests")
    for number, detail in result.failed.items():
        print(f"  #{number} failed: {detail}", file=sys.stderr)
    return 1 if result.failed else 0


def _guarded(func):
    def run(args: argparse.Namespace) -> int:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        try:
            return func(args)
        except (GitHubAuthError, CandidateListError, InvalidRepoId) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


def register(commands: argparse._SubParsersAction) -> None:
    """Add this domain's sub-commands to ``mms-extract``."""
    github = commands.add_parser("github", help="mine GitHub metadata and closed issues")
    sub = github.add_subparsers(dest="github_command", required=True)

    def api_options(parser: argparse.ArgumentParser, many: bool = True) -> None:
        parser.add_argument("--base-url", default=DEFAULT_BASE_URL, help="API base URL")
        parser.add_argument(
            "--anonymous", action="store_true", help="allow running without GITHUB_TOKEN"
        )
        parser.add_argument(
            "--repo", action="append", required=not many, help="owner/name (repeatable)"
        )
        if many:
            parser.add_argument(
                "--candidates", default=None, help="landed candidate list name (default: all lists)"
            )

    candidates = sub.add_parser("candidates", help="candidate repositories")
    candidates_sub = candidates.add_subparsers(dest="candidates_command", required=True)
    load = candidates_sub.add_parser("load", help="land a CSV of owner/name (path or URL)")
    load.add_argument("source", help="CSV path or http(s) URL")
    load.add_argument("--name", default=None, help="list name (default: the file name)")
    load.add_argument(
        "--types",
        default=",".join(STUDY_TYPES),
        help="candidate types kept from the type column (default: %(default)s)",
    )
    load.add_argument("--all-types", action="store_true", help="keep rows of every type")
    load.set_defaults(func=_guarded(_cmd_candidates))

    metadata = sub.add_parser("metadata", help="repository metadata per candidate")
    api_options(metadata)
    metadata.set_defaults(func=_guarded(_cmd_metadata))

    issues = sub.add_parser("issues", help="closed issues and pull requests per candidate")
    api_options(issues)
    issues.set_defaults(func=_guarded(_cmd_issues))

    links = sub.add_parser("links", help="pull requests linked to given issues")
    api_options(links, many=False)
    links.add_argument("--issue", type=int, action="append", required=True)
    links.set_defaults(func=_guarded(_cmd_links))
