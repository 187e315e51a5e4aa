"""Repository metadata, closed issues and linked pull requests from the GitHub REST API.

Everything lands in ``github/*`` partitions (one file per repository, written atomically, see
docs/landing-contract.md and docs/github-mining.md). The miner is plain Python:
``GitHubMiner(base_url, tokens).crawl_closed_issues("owner/name", landing_root)``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import requests.utils

from extract import landing
from extract.github.client import (
    DEFAULT_BASE_URL,
    ApiResponse,
    GitHubClient,
    RequestFailed,
    tokens_from_env,
)
from extract.repo_id import validate_repo_id

log = logging.getLogger("extract.github")

#: how many pages are fetched between two checkpoints of a long crawl (rows + resumption state)
CHECKPOINT_PAGES = 20
#: passes over the list when issues updated during the crawl shift page boundaries (see below)
MAX_PASSES = 3

METADATA_STATUSES = ("ok", "renamed", "not_found", "blocked", "empty", "error")


def _now() -> datetime:
    return datetime.now(UTC)


def _ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _links(response: ApiResponse) -> dict[str, str]:
    header = response.headers.get("link")
    if not header:
        return {}
    return {
        link["rel"]: link["url"]
        for link in requests.utils.parse_header_links(header)
        if "rel" in link
    }


def _last_page_count(response: ApiResponse) -> int:
    """Item count of a ``per_page=1`` listing: the Link header's last page, else the items shown."""
    last = _links(response).get("last")
    if last:
        return int(parse_qs(urlsplit(last).query)["page"][0])
    return len(response.data or [])


def _status_of(response: ApiResponse) -> tuple[str, str]:
    """Metadata status and detail for a non-2xx answer."""
    detail = f"HTTP {response.status}: {response.message}".rstrip(": ")
    if response.status == 404:
        return "not_found", detail
    if response.status == 451 or (response.status == 403 and "block" in response.message.lower()):
        return "blocked", detail
    if response.status == 409:
        return "empty", detail
    return "error", detail


@dataclass
class CrawlResult:
    """What one crawl of a repository's closed issues did."""

    repo_id: str
    status: str  # complete, unchanged, partial, not_found, blocked, issues_disabled, error
    is_complete: bool
    since: datetime | None
    next_since: datetime | None
    pages: int = 0
    requests: int = 0
    received: int = 0  # issue and pull-request records received (re-sent duplicates included)
    issues_landed: int = 0
    pull_requests_landed: int = 0
    detail: str | None = None


@dataclass
class LinksResult:
    repo_id: str
    links: int = 0
    requests: int = 0
    failed: dict[int, str] = field(default_factory=dict)


class GitHubMiner:
    """Mines GitHub through PyGithub; see :class:`~extract.github.client.GitHubClient` for limits.

    ``tokens=None`` reads ``GITHUB_TOKEN``. ``sleeper`` and ``clock`` are injectable so tests and
    the benchmark never sleep.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        tokens: Sequence[str] | None = None,
        *,
        allow_anonymous: bool = False,
        sleeper: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_wait: float = 3700.0,
        retries: int = 5,
        backoff_factor: float = 1.0,
        checkpoint_pages: int = CHECKPOINT_PAGES,
        per_page: int = 100,
    ):
        self.client = GitHubClient(
            base_url,
            tokens_from_env() if tokens is None else tokens,
            allow_anonymous=allow_anonymous,
            sleeper=sleeper,
            clock=clock,
            max_wait=max_wait,
            retries=retries,
            backoff_factor=backoff_factor,
        )
        self.base_url = self.client.base_url
        self.checkpoint_pages = checkpoint_pages
        self.per_page = per_page
        self.clock = clock

    def __repr__(self) -> str:
        return f"GitHubMiner({self.client!r})"

    def _get(self, url: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(url, params, headers)

    # -- repository metadata ---------------------------------------------------------------------
    def fetch_repository_metadata(self, repo_id: str) -> dict[str, Any]:
        """One ``github/repositories`` row: metadata and a status, never an exception per repository.

        Costs three requests for a live repository (the repository, then commits and contributors
        with ``per_page=1``, counted from the Link header's last page), four after a rename (the
        301 is one more), one for a missing or blocked one.
        """
        repo_id = validate_repo_id(repo_id)
        before = self.client.requests_sent
        row: dict[str, Any] = {
            "repo_id": repo_id,
            "status": "ok",
            "status_detail": None,
            "fetched_at": _now(),
            "api_base_url": self.base_url,
        }
        try:
            response = self._get(f"/repos/{repo_id}")
            if response.status != 200 or not isinstance(response.data, dict):
                row["status"], row["status_detail"] = _status_of(response)
            else:
                data = response.data
                full_name = data.get("full_name") or repo_id
                if full_name.lower() != repo_id.lower():
                    # PyGithub followed GitHub's 301 to /repositories/<id>: one more request.
                    self.client.requests_sent += 1
                    row["status"] = "renamed"
                    row["status_detail"] = f"renamed to {full_name}"
                row.update(
                    github_id=data.get("id"),
                    full_name=full_name,
                    created_at=_ts(data.get("created_at")),
                    pushed_at=_ts(data.get("pushed_at")),
                    updated_at=_ts(data.get("updated_at")),
                    stargazers_count=data.get("stargazers_count"),
                    watchers_count=data.get("watchers_count"),
                    subscribers_count=data.get("subscribers_count"),
                    forks_count=data.get("forks_count"),
                    open_issues_count=data.get("open_issues_count"),
                    size_kb=data.get("size"),
                    default_branch=data.get("default_branch"),
                    is_archived=data.get("archived"),
                    is_fork=data.get("fork"),
                    language=data.get("language"),
                    topics=data.get("topics") or [],
                    values_fetched_at=row["fetched_at"],
                )
                self._count_commits_and_contributors(full_name, row)
        except RequestFailed as exc:
            row["status"], row["status_detail"] = "error", str(exc)
        row["requests_made"] = self.client.requests_sent - before
        return row

    def _count_commits_and_contributors(self, full_name: str, row: dict[str, Any]) -> None:
        # Always address the current name: PyGithub follows a 301 to its path only, dropping the
        # query (per_page=1 and sha would be lost).
        params: dict[str, Any] = {"per_page": 1}
        if row.get("default_branch"):
            params["sha"] = row["default_branch"]
        commits = self._get(f"/repos/{full_name}/commits", params)
        if commits.status == 409:
            row.update(status="empty", status_detail=commits.message, commits_count=0)
            row["contributors_count"] = 0
            return
        if commits.status != 200:
            row.update(status="error", status_detail=f"commits count: {_status_of(commits)[1]}")
            return
        row["commits_count"] = _last_page_count(commits)
        contributors = self._get(f"/repos/{full_name}/contributors", {"per_page": 1})
        if contributors.status == 204:
            row["contributors_count"] = 0
        elif contributors.status == 200:
            row["contributors_count"] = _last_page_count(contributors)
        else:
            detail = f"contributors count: {_status_of(contributors)[1]}"
            row.update(status="error", status_detail=detail)

    def land_repository_metadata(self, repo_id: str, landing_root: Path) -> dict[str, Any]:
        """Fetch and land one repository's metadata row.

        When a repository that was seen before is now missing, blocked or failing, the values of the
        last successful fetch are kept (``values_fetched_at`` says when) under the new status.
        """
        row = self.fetch_repository_metadata(repo_id)
        if row["status"] in ("not_found", "blocked", "error") and row.get("github_id") is None:
            previous = landing.read_partition(landing_root, "github/repositories", row["repo_id"])
            if previous is not None and previous.num_rows:
                kept = previous.to_pylist()[0]
                if kept.get("github_id") is not None:
                    kept.update(
                        status=row["status"],
                        status_detail=row["status_detail"],
                        fetched_at=row["fetched_at"],
                        requests_made=row["requests_made"],
                        api_base_url=row["api_base_url"],
                    )
                    row = kept
        schema = landing.SCHEMAS["github/repositories"]
        table = pa.Table.from_pylist([row], schema=schema)
        landing.write_partition(
            landing_root,
            "github/repositories",
            row["repo_id"],
            table,
            metadata={"api_base_url": self.base_url, "extracted_at": _iso(row["fetched_at"])},
        )
        log.info(
            "%s: metadata %s (%d requests, %s left)",
            row["repo_id"],
            row["status"],
            row["requests_made"],
            self.client.rate_remaining,
        )
        return row

    # -- closed issues ---------------------------------------------------------------------------
    def _api_name(self, repo_id: str, landing_root: Path) -> str:
        """The name to address: the current one after a rename, when the metadata knows it."""
        meta = landing.read_partition(landing_root, "github/repositories", repo_id)
        if meta is not None and meta.num_rows:
            row = meta.to_pylist()[0]
            if row["status"] in ("renamed", "ok", "empty") and row.get("full_name"):
                return row["full_name"]
        return repo_id

    def crawl_closed_issues(self, repo_id: str, landing_root: Path) -> CrawlResult:
        """Crawl (or refresh) a repository's closed issues and pull requests into ``github/issues``.

        The list is read sorted by ``updated`` ascending, 100 per page, following the Link header.
        A refresh asks only for items updated ``since`` the last seen ``updated_at`` (inclusive, so
        the boundary item comes back and is merged, not duplicated); when the previous refresh's
        answer fitted on one page, its ETag makes the request conditional and an unchanged list
        costs a ``304`` that GitHub does not charge.

        Rows are merged by issue number, the latest ``updated_at`` winning, and landed every
        ``checkpoint_pages`` pages with the resumption state, so a page that fails after its retries
        (or a crash) leaves the repository resumable from the last good page: the next call resumes
        with ``since`` = the newest ``updated_at`` landed.

        An item updated while a crawl runs moves to the end of the list and shifts every later item
        one place forward, so one item could be skipped at a page boundary. The crawl notices (the
        moved item's number comes back twice) and makes another pass from the moved item's old
        ``updated_at``.
        """
        repo_id = validate_repo_id(repo_id)
        landing.ensure_landing(landing_root, ["github/issues", "github/issue_crawls"])
        started = self.clock()
        before = self.client.requests_sent
        previous_state = landing.read_partition(landing_root, "github/issue_crawls", repo_id)
        state = (
            previous_state.to_pylist()[0] if previous_state and previous_state.num_rows else None
        )
        landed = landing.read_partition(landing_root, "github/issues", repo_id)
        rows: dict[int, dict] = {r["number"]: r for r in (landed.to_pylist() if landed else [])}

        since: datetime | None = state["next_since"] if state else None
        etag = None
        if state and state["is_complete"] and state["etag"] and state["since"] == since:
            etag = state["etag"]
        api_name = self._api_name(repo_id, landing_root)
        result = CrawlResult(repo_id, "complete", False, since, since)
        watermark = since
        first_etag: str | None = None
        single_page = False
        pass_since = since
        for pass_number in range(MAX_PASSES):
            seen: dict[int, datetime] = {}
            shifted_from: datetime | None = None
            url = f"/repos/{api_name}/issues"
            params: dict[str, Any] | None = {
                "state": "closed",
                "sort": "updated",
                "direction": "asc",
                "per_page": self.per_page,
            }
            if pass_since is not None:
                params["since"] = _iso(pass_since)
            page = 0
            last_page: int | None = None
            while url:
                conditional = page == 0 and pass_number == 0 and etag is not None
                try:
                    response = self._get(
                        url, params, {"If-None-Match": etag} if conditional else None
                    )
                except RequestFailed as exc:
                    result.status, result.detail = "partial", str(exc)
                    log.warning("%s: page %d failed: %s; resumable", repo_id, page + 1, exc)
                    return self._land_crawl(
                        landing_root, repo_id, rows, result, watermark, None, False, before
                    )
                if response.status == 304:
                    result.status = "unchanged"
                    return self._land_crawl(
                        landing_root, repo_id, rows, result, watermark, etag, True, before
                    )
                if response.status != 200:
                    status, detail = _status_of(response)
                    if response.status == 410:
                        status = "issues_disabled"
                    result.status = "partial" if status == "error" else status
                    result.detail = detail
                    log.warning("%s: issues list answered %s", repo_id, detail)
                    keep_state = previous_state is not None and page == 0 and pass_number == 0
                    return self._land_crawl(
                        landing_root,
                        repo_id,
                        rows,
                        result,
                        watermark,
                        None,
                        False,
                        before,
                        landed_before=keep_state,
                    )
                items = response.data if isinstance(response.data, list) else None
                if items is None:
                    result.status, result.detail = "partial", "issues list was not a JSON array"
                    return self._land_crawl(
                        landing_root, repo_id, rows, result, watermark, None, False, before
                    )
                for item in items:
                    if item.get("state") != "closed":
                        result.status = "error"
                        result.detail = (
                            f"issues list of {api_name} returned a {item.get('state')} item: the "
                            "request lost its query (a redirect?); fetch the metadata first"
                        )
                        return self._land_crawl(
                            landing_root, repo_id, rows, result, watermark, None, False, before
                        )
                    row = _issue_row(repo_id, item)
                    number = row["number"]
                    if number in seen and seen[number] != row["updated_at"]:
                        old = seen[number]
                        shifted_from = old if shifted_from is None else min(shifted_from, old)
                    seen[number] = row["updated_at"]
                    kept = rows.get(number)
                    if (
                        kept is None
                        or kept["updated_at"] is None
                        or (row["updated_at"] and row["updated_at"] >= kept["updated_at"])
                    ):
                        rows[number] = row
                    if row["updated_at"] and (watermark is None or row["updated_at"] > watermark):
                        watermark = row["updated_at"]
                result.received += len(items)
                page += 1
                result.pages += 1
                links = _links(response)
                if page == 1 and pass_number == 0:
                    first_etag = response.headers.get("etag")
                    single_page = "next" not in links
                if "last" in links:
                    last_page = int(parse_qs(urlsplit(links["last"]).query)["page"][0])
                self._log_progress(repo_id, page, last_page, len(rows), started)
                url = links.get("next")
                params = None  # the next link carries the query
                if url and result.pages % self.checkpoint_pages == 0:
                    self._land_crawl(
                        landing_root, repo_id, rows, result, watermark, None, False, before
                    )
            if shifted_from is None:
                break
            log.info("%s: the list shifted during the crawl; another pass", repo_id)
            pass_since = shifted_from
        return self._land_crawl(
            landing_root,
            repo_id,
            rows,
            result,
            watermark,
            first_etag if single_page else None,
            True,
            before,
        )

    def _log_progress(self, repo_id, page, last_page, total, started) -> None:
        elapsed = self.clock() - started
        eta = ""
        if last_page and page < last_page:
            eta = f", ETA {elapsed / page * (last_page - page):.0f} s"
        log.info(
            "%s: page %d%s, %d issues and pull requests, %s requests left%s",
            repo_id,
            page,
            f"/{last_page}" if last_page else "",
            total,
            self.client.rate_remaining,
            eta,
        )

    def _land_crawl(
        self,
        landing_root: Path,
        repo_id: str,
        rows: dict[int, dict],
        result: CrawlResult,
        watermark: datetime | None,
        etag: str | None,
        complete: bool,
        requests_before: int,
        *,
        landed_before: bool = False,
    ) -> CrawlResult:
        result.is_complete = complete
        result.next_since = watermark
        result.requests = self.client.requests_sent - requests_before
        ordered = [rows[n] for n in sorted(rows)]
        result.pull_requests_landed = sum(1 for r in ordered if r["is_pull_request"])
        result.issues_landed = len(ordered) - result.pull_requests_landed
        extracted_at = _now()
        provenance = {
            "api_base_url": self.base_url,
            "since": "" if result.since is None else _iso(result.since),
            "extracted_at": _iso(extracted_at),
        }
        state = {
            "repo_id": repo_id,
            "api_base_url": self.base_url,
            "status": result.status,
            "status_detail": result.detail,
            "since": result.since,
            "next_since": watermark,
            "etag": etag,
            "is_complete": complete,
            "pages_fetched": result.pages,
            "requests_made": result.requests,
            "issues_landed": result.issues_landed,
            "pull_requests_landed": result.pull_requests_landed,
            "extracted_at": extracted_at,
        }
        if landed_before:
            # The repository answered 404/451/410 before any page: keep the resumption point of the
            # previous crawl so nothing is re-fetched if it comes back.
            state["is_complete"] = False
        # The issues and the crawl state land as one commit: a reader never sees the rows of one
        # checkpoint beside the resumption state of another.
        keeps_rows = result.status in ("unchanged", "not_found", "blocked") or not ordered
        landing.commit_repository(
            landing_root,
            "github/issue_crawls",
            repo_id,
            state,
            None
            if keeps_rows
            else {
                "github/issues": pa.Table.from_pylist(
                    ordered, schema=landing.SCHEMAS["github/issues"]
                )
            },
            metadata=provenance,
        )
        log.info(
            "%s: crawl %s, %d pages, %d requests, %d issues and %d pull requests landed",
            repo_id,
            result.status,
            result.pages,
            result.requests,
            result.issues_landed,
            result.pull_requests_landed,
        )
        return result

    # -- reconciliation --------------------------------------------------------------------------
    def count_closed_items(self, repo_id: str, landing_root: Path) -> int | None:
        """GitHub's own count of the repository's closed issues and pull requests, from one search
        request (``repo:o/n state:closed``, ``per_page=1``), to reconcile with what was landed.
        ``None`` when the search does not answer (e.g. disabled on a GitHub Enterprise server)."""
        repo_id = validate_repo_id(repo_id)
        try:
            response = self._get(
                "/search/issues",
                {"q": f"repo:{self._api_name(repo_id, landing_root)} state:closed", "per_page": 1},
            )
        except RequestFailed:
            return None
        if response.status != 200 or not isinstance(response.data, dict):
            return None
        return int(response.data.get("total_count", 0))

    # -- linked pull requests --------------------------------------------------------------------
    def fetch_issue_links(
        self, repo_id: str, issue_numbers: Iterable[int], landing_root: Path
    ) -> LinksResult:
        """Pull requests linked to the given issues, from each issue's timeline (one request per
        issue and 100 events): cross-references from pull requests, ``connected`` events, and the
        commit that closed the issue. Fetch only what needs it (e.g. sampled issues): one call per
        issue over the study's 376k issues would cost some 75 token-hours.

        Rows of the fetched issues replace their previous rows; other issues' rows are kept.
        """
        repo_id = validate_repo_id(repo_id)
        numbers = sorted({int(n) for n in issue_numbers})
        before = self.client.requests_sent
        result = LinksResult(repo_id)
        api_name = self._api_name(repo_id, landing_root)
        fetched_at = _now()
        new_rows: list[dict] = []
        done: set[int] = set()
        for number in numbers:
            url: str | None = f"/repos/{api_name}/issues/{number}/timeline"
            params: dict | None = {"per_page": 100}
            events: list[dict] = []
            try:
                while url:
                    response = self._get(url, params)
                    if response.status != 200 or not isinstance(response.data, list):
                        raise RequestFailed(_status_of(response)[1])
                    events.extend(response.data)
                    url, params = _links(response).get("next"), None
            except RequestFailed as exc:
                result.failed[number] = str(exc)
                continue
            done.add(number)
            new_rows.extend(_link_rows(repo_id, number, events, fetched_at))
        previous = landing.read_partition(landing_root, "github/issue_links", repo_id)
        kept = [
            r for r in (previous.to_pylist() if previous else []) if r["issue_number"] not in done
        ]
        unique: dict[tuple, dict] = {}
        for row in kept + new_rows:
            key = (
                row["issue_number"],
                row["link_kind"],
                row["linked_repo_id"],
                row["linked_number"],
                row["commit_id"],
            )
            unique[key] = row
        ordered = sorted(unique.values(), key=lambda r: (r["issue_number"], r["link_kind"]))
        landing.write_partition(
            landing_root,
            "github/issue_links",
            repo_id,
            pa.Table.from_pylist(ordered, schema=landing.SCHEMAS["github/issue_links"]),
            metadata={"api_base_url": self.base_url, "extracted_at": _iso(fetched_at)},
        )
        result.links = len(ordered)
        result.requests = self.client.requests_sent - before
        return result


def _login(user: Any) -> str | None:
    return user.get("login") if isinstance(user, dict) else None


def _issue_row(repo_id: str, item: dict) -> dict[str, Any]:
    pull_request = item.get("pull_request")
    return {
        "repo_id": repo_id,
        "number": item["number"],
        "is_pull_request": pull_request is not None,
        "title": item.get("title"),
        "body": item.get("body"),
        "author_login": _login(item.get("user")),
        "state": item.get("state"),
        "state_reason": item.get("state_reason"),
        "labels": [
            label["name"] if isinstance(label, dict) else str(label)
            for label in item.get("labels") or []
        ],
        "assignees": [a for a in (_login(x) for x in item.get("assignees") or []) if a],
        "comments_count": item.get("comments"),
        "created_at": _ts(item.get("created_at")),
        "updated_at": _ts(item.get("updated_at")),
        "closed_at": _ts(item.get("closed_at")),
        # The list endpoint may leave closed_by out; the issue's timeline has the closer.
        "closed_by_login": _login(item.get("closed_by")),
        "pull_request_merged_at": _ts((pull_request or {}).get("merged_at")),
        "html_url": item.get("html_url"),
    }


def _link_rows(repo_id: str, number: int, events: list[dict], fetched_at: datetime) -> list[dict]:
    rows = []
    for event in events:
        kind = event.get("event")
        base = {
            "repo_id": repo_id,
            "issue_number": number,
            "linked_repo_id": None,
            "linked_number": None,
            "commit_id": None,
            "actor_login": _login(event.get("actor")),
            "fetched_at": fetched_at,
        }
        if kind in ("cross-referenced", "connected"):
            source = (event.get("source") or {}).get("issue") or {}
            if "pull_request" not in source:
                continue  # a reference from another issue, not a pull request
            repository = source.get("repository") or {}
            rows.append(
                {
                    **base,
                    "link_kind": kind.replace("-", "_"),
                    "linked_repo_id": repository.get("full_name") or repo_id,
                    "linked_number": source.get("number"),
                }
            )
        elif kind == "closed" and event.get("commit_id"):
            rows.append({**base, "link_kind": "closed_by_commit", "commit_id": event["commit_id"]})
    return rows
