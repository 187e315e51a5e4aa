"""``mms-extract github ...``: candidates, metadata, closed issues, issue links and reconciliation.

Settings come from the environment (``base/settings.py``) unless an option overrides them:
``GITHUB_TOKEN`` (several comma-separated), ``GITHUB_API_URL`` (``--base-url``: GitHub Enterprise's
``https://host/api/v3`` or the local stand-in), ``MMS_GITHUB_MAX_WAIT`` (``--max-wait``) and
``MMS_GITHUB_TIMEOUT`` (``--timeout``). An unreachable API stops the command at the first
repository with exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import sys

from base.repo_id import InvalidRepoId, unique_repo_ids
from extract.github.candidates import (
    STUDY_TYPES,
    CandidateListError,
    load_candidates,
    valid_candidates,
)
from extract.github.client import GitHubAuthError, GitHubUnreachable
from landing import LandingError


class _BadSetting(ValueError):
    """A setting from the environment that is not a value (``MMS_GITHUB_MAX_WAIT=soon``)."""


def _miner(args: argparse.Namespace):
    from extract.github.client import GitHubClient, RetryPolicy
    from extract.github.miner import GitHubMiner

    try:
        policy = RetryPolicy.from_settings(max_wait=args.max_wait, timeout=args.timeout)
    except ValueError as exc:
        raise _BadSetting(str(exc)) from None
    client = GitHubClient.from_settings(
        base_url=args.base_url, allow_anonymous=args.anonymous or None, policy=policy
    )
    return GitHubMiner(client, follow_reused_names=getattr(args, "follow_reused_names", False))


def _repos(args: argparse.Namespace) -> list[str]:
    if args.repo:
        return unique_repo_ids(args.repo)
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
            + (f"\t{result.detail}" if result.detail and not result.is_complete else "")
            + (f"\t{result.notice}" if result.notice else "")
        )
    return 1 if failed else 0


def _cmd_links(args: argparse.Namespace) -> int:
    result = _miner(args).fetch_issue_links(args.repo[0], args.issue, args.landing_dir)
    print(f"{result.repo_id}\t{result.links} links\t{result.requests} requests")
    for number, detail in result.failed.items():
        print(f"  #{number} failed: {detail}", file=sys.stderr)
    return 1 if result.failed else 0


def _cmd_reconcile(args: argparse.Namespace) -> int:
    import landing
    from extract.github.counts import NoCount

    miner = _miner(args)
    repo_ids = _repos(args)
    before = miner.client.requests_sent
    counts = miner.count_closed_items(repo_ids, args.landing_dir)
    mismatches = unknown = 0
    print("repo_id\tlanded issues\tGitHub issues\tlanded pull requests\tGitHub pull requests")
    for repo_id, count in counts.items():
        crawl = landing.read_partition(args.landing_dir, "github/issue_crawls", repo_id)
        state = crawl.to_pylist()[0] if crawl is not None and crawl.num_rows else {}
        landed = [_shown(state.get("issues_landed")), _shown(state.get("pull_requests_landed"))]
        if isinstance(count, NoCount):
            unknown += 1
            print(f"{repo_id}\t{landed[0]}\t?\t{landed[1]}\t?\tnot counted: {count.reason}")
            continue
        mismatches += landed != [str(count.issues), str(count.pull_requests)]
        print(f"{repo_id}\t{landed[0]}\t{count.issues}\t{landed[1]}\t{count.pull_requests}")
    requests = miner.client.requests_sent - before
    print(
        f"{len(counts)} repositories, {mismatches} differ, "
        + (f"{unknown} not counted, " if unknown else "")
        + f"{requests} GraphQL requests"
    )
    return 1 if mismatches or unknown else 0


def _shown(landed: int | None) -> str:
    """A landed count as the table shows it: ``-`` for a repository never crawled."""
    return "-" if landed is None else str(landed)


def _guarded(func):
    def run(args: argparse.Namespace) -> int:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        try:
            return func(args)
        except (
            GitHubAuthError,
            GitHubUnreachable,
            CandidateListError,
            InvalidRepoId,
            LandingError,
            _BadSetting,
        ) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


def _api_options(parser: argparse.ArgumentParser, *, many: bool = True) -> None:
    parser.add_argument(
        "--base-url", default=None, help="API base URL (default: $GITHUB_API_URL or github.com)"
    )
    parser.add_argument(
        "--anonymous", action="store_true", help="allow running without GITHUB_TOKEN"
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=None,
        help="longest wait for a rate-limit reset, seconds (default: $MMS_GITHUB_MAX_WAIT or 3700)",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=None,
        help="seconds a request may take to connect and to answer (default: $MMS_GITHUB_TIMEOUT or 20)",
    )
    parser.add_argument(
        "--repo",
        action="append",
        required=not many,
        help="owner/name (repeatable; case-insensitive)",
    )
    if many:
        parser.add_argument(
            "--candidates", default=None, help="landed candidate list name (default: all lists)"
        )


def register(commands: argparse._SubParsersAction) -> None:
    """Add this domain's sub-commands to ``mms-extract``."""
    github = commands.add_parser("github", help="mine GitHub metadata and closed issues")
    sub = github.add_subparsers(dest="github_command", required=True)

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

    for name, help_text, command in (
        ("metadata", "repository metadata per candidate", _cmd_metadata),
        ("issues", "closed issues and pull requests per candidate", _cmd_issues),
        ("reconcile", "landed closed items against GitHub's counts (GraphQL)", _cmd_reconcile),
    ):
        parser = sub.add_parser(name, help=help_text)
        _api_options(parser)
        if name != "reconcile":
            parser.add_argument(
                "--follow-reused-names",
                action="store_true",
                help="when a landed repository's name now names another repository (another "
                "id), follow the name: its data starts over under the new id (default: keep the "
                "landed id and report name_reused)",
            )
        parser.set_defaults(func=_guarded(command))

    links = sub.add_parser("links", help="pull requests linked to given issues")
    _api_options(links, many=False)
    links.add_argument("--issue", type=int, action="append", required=True)
    links.set_defaults(func=_guarded(_cmd_links))
