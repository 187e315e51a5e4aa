"""Closed issues and pull requests of a repository (``github/issues``), crawled or refreshed.

Three parts, after Perceval's backend/client split: the client's :meth:`~GitHubClient.pages`
generator fetches pages (retries, rate limits, ``Link``); an :class:`IssueCrawl` absorbs them (rows
merged by number, the watermark, shifts); :func:`checkpoint_due` and :func:`rows_to_land` decide
when and what to land. :class:`IssueCrawler` ties them together and lands through
``landing.commit_repository`` (the issues and the crawl's state in one commit).

The list is read sorted by ``updated`` ascending, 100 per page, from ``/repositories/{id}/issues``
(never redirected). A refresh asks only for items updated ``since`` the last seen ``updated_at``
(inclusive, so the boundary item comes back and is merged, not duplicated); when the previous
refresh's answer fitted on one page, its ETag makes the request conditional and an unchanged list
costs a ``304`` that GitHub does not charge.

Rows and the resumption state land every ``checkpoint_pages`` pages, so a page that fails after its
retries (or a crash) leaves the repository resumable from the last good page.

An item updated while a crawl runs moves to the end of the list and shifts every later item one
place forward, so one item could be skipped at a page boundary. The crawl notices (the moved item's
number comes back twice) and makes another pass from the moved item's old ``updated_at``.

Nothing is recorded ``complete`` that contradicts GitHub: a page with an item that is not closed (a
request that lost its query) ends the crawl as ``error``, and a crawl that found no closed item at
all asks GitHub's count (one GraphQL point; an anonymous run, which GraphQL refuses, asks the search
API) before it believes the repository has none. A count GitHub does not give (an error, an
exhausted limit) leaves such a crawl ``partial``: unknown is not zero. A page that is not a list of
complete items is a failed request (retried, then ``partial``).

The issues landed under a repository are one numeric id's. When the landing's metadata names
another id (the user followed a name that changed hands), the crawl keeps the landed id and says so,
unless told to follow: it then starts over under the new id, and never merges the two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

import landing
from base.repo_id import validate_repo_id
from extract.github.client import ApiResponse, GitHubClient, GitHubUnreachable, RequestFailed
from extract.github.counts import ClosedCount, NoCount, count_closed_items, search_closed_items
from extract.github.metadata import RepositoryUnavailable, resolve, reused_name
from extract.github.records import (
    CrawlStatus,
    MetadataStatus,
    RepositoryRef,
    iso,
    issue_page_problem,
    issue_row,
    now,
    status_of,
)

log = logging.getLogger("extract.github")

#: how many pages are fetched between two checkpoints of a long crawl (rows + resumption state)
CHECKPOINT_PAGES = 20
#: passes over the list when issues updated during the crawl shift page boundaries
MAX_PASSES = 3
#: statuses whose landing keeps the landed generation (nothing new was read)
_KEEPS_ROWS = (CrawlStatus.UNCHANGED, CrawlStatus.NOT_FOUND, CrawlStatus.BLOCKED)


@dataclass
class CrawlResult:
    """What one crawl of a repository's closed issues did."""

    repo_id: str
    status: CrawlStatus
    is_complete: bool
    since: datetime | None
    next_since: datetime | None
    pages: int = 0
    requests: int = 0
    received: int = 0  # issue and pull-request records received (re-sent duplicates included)
    issues_landed: int = 0
    pull_requests_landed: int = 0
    detail: str | None = None
    full_name: str | None = None  # GitHub's current name of the repository
    github_id: int | None = None
    #: GitHub's count, when the crawl asked for it (it does when it found nothing)
    api_count: ClosedCount | NoCount | None = None
    #: what the user should know of a complete crawl too (a reused name, an anonymous count)
    notice: str | None = None


@dataclass(frozen=True)
class CrawlEnd:
    """How a crawl ended, before it lands."""

    status: CrawlStatus
    detail: str | None = None
    etag: str | None = None  # for the next refresh's conditional request
    api_count: ClosedCount | NoCount | None = None
    notice: str | None = None


@dataclass
class IssueCrawl:
    """The rows of one repository's crawl so far, and where it stands; absorbs pages."""

    repo_id: str
    since: datetime | None  # the `since` the crawl started from (None: a cold crawl)
    rows: dict[int, dict] = field(default_factory=dict)
    watermark: datetime | None = None  # newest updated_at absorbed: the next refresh's `since`
    pages: int = 0
    received: int = 0
    #: the oldest updated_at an item had before it moved during this pass (None: nothing moved)
    shifted_from: datetime | None = None
    #: an absorbed item was not landed yet, or newer than its landed row
    changed: bool = False
    #: the landed rows are another repository's (a followed name): replaced even by nothing
    starts_over: bool = False
    _seen: dict[int, datetime | None] = field(default_factory=dict, repr=False)

    @classmethod
    def resume(cls, repo_id: str, state: dict | None, landed: list[dict]) -> IssueCrawl:
        since = state["next_since"] if state else None
        return cls(repo_id, since, {r["number"]: r for r in landed}, watermark=since)

    def start_pass(self) -> None:
        self._seen.clear()
        self.shifted_from = None

    @staticmethod
    def distrust(items: list[dict]) -> str | None:
        """Why a page of ``state=closed`` cannot be trusted, or ``None``: an item that is not closed
        means the request lost its query (e.g. a redirect followed without it)."""
        for item in items:
            if item.get("state") != "closed":
                return (
                    f"the closed-issues list returned {item.get('state')!r} item "
                    f"#{item.get('number')}: the request lost its query"
                )
        return None

    def absorb(self, items: list[dict]) -> None:
        """Merge one page: the latest ``updated_at`` of an issue wins."""
        for item in items:
            row = issue_row(self.repo_id, item)
            number, updated = row["number"], row["updated_at"]
            if number in self._seen and self._seen[number] != updated:
                old = self._seen[number]
                if old is not None:
                    self.shifted_from = (
                        old if self.shifted_from is None else min(self.shifted_from, old)
                    )
            self._seen[number] = updated
            kept = self.rows.get(number)
            if (
                kept is None
                or kept["updated_at"] is None
                or (updated and updated >= kept["updated_at"])
            ):
                self.changed = self.changed or kept is None or kept["updated_at"] != updated
                self.rows[number] = row
            if updated and (self.watermark is None or updated > self.watermark):
                self.watermark = updated
        self.pages += 1
        self.received += len(items)

    @property
    def pull_requests(self) -> int:
        return sum(1 for r in self.rows.values() if r["is_pull_request"])

    def table(self) -> pa.Table:
        ordered = [self.rows[n] for n in sorted(self.rows)]
        return pa.Table.from_pylist(ordered, schema=landing.SCHEMAS["github/issues"])


def checkpoint_due(crawl: IssueCrawl, *, every: int, more_pages: bool) -> bool:
    """Land the rows so far (as resumable) every ``every`` pages of a crawl that goes on."""
    return more_pages and crawl.pages % every == 0


def rows_to_land(end: CrawlEnd, crawl: IssueCrawl) -> pa.Table | None:
    """The rows a landing commits as a new generation; ``None`` keeps the landed generation (nothing
    was read, or nothing is held) and replaces only the crawl's state row. A crawl that starts
    over always replaces it: the landed rows are another repository's."""
    if crawl.starts_over:
        return crawl.table()
    if end.status in _KEEPS_ROWS or not crawl.rows:
        return None
    return crawl.table()


def _page_end(response: ApiResponse, etag: str | None) -> CrawlEnd | None:
    """How an answer that is not a page of items ends the crawl (``None``: it is a page)."""
    if response.status == 304:
        return CrawlEnd(CrawlStatus.UNCHANGED, etag=etag)
    if response.status == 410:
        return CrawlEnd(CrawlStatus.ISSUES_DISABLED, status_of(response)[1])
    if response.status != 200:
        return _unavailable(*status_of(response))
    return None


def _unknown_count(ref: RepositoryRef, count: NoCount) -> CrawlEnd:
    """An empty closed list that GitHub's count can neither confirm nor contradict: unknown is not
    zero, so the crawl stays resumable and the next run reads the list again."""
    detail = f"the closed-issues list returned none and GitHub's count is unknown: {count.reason}"
    log.warning("%s: %s; not recorded as complete", ref.repo_id, detail)
    return CrawlEnd(CrawlStatus.PARTIAL, detail, None, count)


def _unavailable(status: MetadataStatus, detail: str) -> CrawlEnd:
    """A repository GitHub has not (any more) or refuses; anything else is worth a retry later."""
    crawl_status = {
        MetadataStatus.NOT_FOUND: CrawlStatus.NOT_FOUND,
        MetadataStatus.BLOCKED: CrawlStatus.BLOCKED,
    }.get(status, CrawlStatus.PARTIAL)
    return CrawlEnd(crawl_status, detail)


class IssueCrawler:
    """Crawls closed issues with a :class:`GitHubClient` and lands them."""

    def __init__(
        self,
        client: GitHubClient,
        *,
        checkpoint_pages: int = CHECKPOINT_PAGES,
        per_page: int = 100,
        clock: Callable[[], float] | None = None,
        follow_reused_names: bool = False,
    ):
        self.client = client
        self.checkpoint_pages = checkpoint_pages
        self.per_page = per_page
        self.clock = clock or client.clock
        self.follow_reused_names = follow_reused_names

    def crawl(self, repo_id: str, landing_root: Path) -> CrawlResult:
        """Crawl (or refresh) one repository's closed issues and pull requests; see the module."""
        repo_id = validate_repo_id(repo_id)
        landing.ensure_landing(landing_root, ["github/issues", "github/issue_crawls"])
        before = self.client.requests_sent
        state = _crawl_state(landing_root, repo_id)
        landed = landing.read_partition(landing_root, "github/issues", repo_id)
        crawl = IssueCrawl.resume(repo_id, state, landed.to_pylist() if landed else [])
        try:
            ref = resolve(self.client, repo_id, landing_root)
        except RepositoryUnavailable as exc:
            end = _unavailable(exc.status, exc.detail)
            return self._land(landing_root, crawl, RepositoryRef(repo_id, repo_id), end, before)
        except RequestFailed as exc:
            end = CrawlEnd(CrawlStatus.PARTIAL, str(exc))
            return self._land(landing_root, crawl, RepositoryRef(repo_id, repo_id), end, before)
        ref, state, crawl, notice = self._identity(ref, state, crawl, landing_root)
        etag = state["etag"] if state and _conditional(state, crawl.since) else None
        try:
            end = self._read(crawl, ref, etag, landing_root, before)
        except GitHubUnreachable:
            if crawl.pages:  # keep what this run read; otherwise the landed state stays as it was
                end = CrawlEnd(CrawlStatus.PARTIAL, "the GitHub API became unreachable")
                self._land(landing_root, crawl, ref, end, before)
            raise
        if end.status is CrawlStatus.COMPLETE and not crawl.rows:
            end = self._confirm_none(ref, end)
        elif end.status is CrawlStatus.COMPLETE and crawl.since is not None and not crawl.changed:
            # Only the boundary item came back, as landed: keep the landed generation (dbt has
            # nothing to restage) and record the ETag, so the next refresh is a free 304.
            end = CrawlEnd(CrawlStatus.UNCHANGED, "nothing updated since the last crawl", end.etag)
        result = self._land(landing_root, crawl, ref, end, before)
        result.notice = "; ".join(filter(None, [notice, end.notice])) or None
        return result

    def _identity(
        self, ref: RepositoryRef, state: dict | None, crawl: IssueCrawl, root: Path
    ) -> tuple[RepositoryRef, dict | None, IssueCrawl, str | None]:
        """The repository to crawl when the landed issues are another id's than the metadata's
        (kept, or started over when following), and what to tell the user; costs no request."""
        repo_id = crawl.repo_id
        reused = reused_name(root, repo_id)
        notice = f"name reused: {reused}" if reused else None
        landed_id = state.get("github_id") if state else None
        if state is None or landed_id is None or ref.github_id in (None, landed_id):
            return ref, state, crawl, notice
        if self.follow_reused_names:
            notice = (
                f"followed {repo_id} to id {ref.github_id}: its issues replace those of id "
                f"{landed_id}"
            )
            log.warning("%s: %s", repo_id, notice)
            return ref, None, IssueCrawl(repo_id, None, starts_over=True), notice
        notice = (
            f"the metadata names id {ref.github_id}, the landed issues are id {landed_id}'s: kept "
            f"id {landed_id}; --follow-reused-names starts over under id {ref.github_id}"
        )
        log.warning("%s: %s", repo_id, notice)
        kept = RepositoryRef(repo_id, state.get("full_name") or repo_id, landed_id)
        return kept, state, crawl, notice

    def _read(
        self, crawl: IssueCrawl, ref: RepositoryRef, etag: str | None, root: Path, before: int
    ) -> CrawlEnd:
        """Read the list, in passes while items move under the crawl; how the reading ended."""
        started = self.clock()
        first_etag: str | None = None
        pass_since = crawl.since
        for pass_number in range(MAX_PASSES):
            crawl.start_pass()
            pages = self.client.pages(
                f"{ref.api_path}/issues",
                self._params(pass_since),
                etag=etag if pass_number == 0 else None,
                expect=issue_page_problem,
            )
            try:
                for page_number, response in enumerate(pages, start=1):
                    end = _page_end(response, etag)
                    if end is None:
                        end = self._absorb(crawl, response)
                    if end is not None:
                        return end
                    if pass_number == 0 and page_number == 1 and "next" not in response.links:
                        first_etag = response.headers.get("etag")
                    self._log_progress(crawl, page_number, response.last_page, started)
                    if checkpoint_due(
                        crawl, every=self.checkpoint_pages, more_pages="next" in response.links
                    ):
                        checkpoint = CrawlEnd(
                            CrawlStatus.PARTIAL, "checkpoint of a crawl in progress"
                        )
                        self._land(root, crawl, ref, checkpoint, before)
            except RequestFailed as exc:
                log.warning("%s: a page failed: %s; resumable", crawl.repo_id, exc)
                return CrawlEnd(CrawlStatus.PARTIAL, str(exc))
            if crawl.shifted_from is None:
                break
            log.info("%s: the list shifted during the crawl; another pass", crawl.repo_id)
            pass_since = crawl.shifted_from
        return CrawlEnd(CrawlStatus.COMPLETE, etag=first_etag)

    def _absorb(self, crawl: IssueCrawl, response: ApiResponse) -> CrawlEnd | None:
        problem = IssueCrawl.distrust(response.data)
        if problem is not None:
            return CrawlEnd(CrawlStatus.ERROR, problem)
        crawl.absorb(response.data)
        return None

    def _params(self, since: datetime | None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "state": "closed",
            "sort": "updated",
            "direction": "asc",
            "per_page": self.per_page,
        }
        if since is not None:
            params["since"] = iso(since)
        return params

    def _confirm_none(self, ref: RepositoryRef, end: CrawlEnd) -> CrawlEnd:
        """A list without a single closed item is believed only if GitHub counts none."""
        if self.client.anonymous:
            return self._confirm_none_by_search(ref, end)
        count = count_closed_items(self.client, [ref])[ref.repo_id]
        if isinstance(count, NoCount):
            return _unknown_count(ref, count)
        if count.total == 0:
            return CrawlEnd(end.status, end.detail, end.etag, count)
        detail = (
            f"GitHub counts {count.issues} closed issues and {count.pull_requests} closed pull "
            f"requests of {ref.full_name}, but its closed-issues list returned none"
        )
        log.warning("%s: %s; not recorded as complete", ref.repo_id, detail)
        return CrawlEnd(CrawlStatus.ERROR, detail, None, count)

    def _confirm_none_by_search(self, ref: RepositoryRef, end: CrawlEnd) -> CrawlEnd:
        """GraphQL refuses anonymous requests; the search API's count (one request) stands in."""
        total = search_closed_items(self.client, ref)
        if isinstance(total, NoCount):
            return _unknown_count(ref, total)
        if total == 0:
            notice = (
                "anonymous run: GitHub's GraphQL count needs a token, so the search API's was "
                "asked: 0 closed items"
            )
            log.warning("%s: %s", ref.repo_id, notice)
            return CrawlEnd(end.status, end.detail, end.etag, notice=notice)
        detail = (
            f"GitHub's search API counts {total} closed issues and pull requests of "
            f"{ref.full_name}, but its closed-issues list returned none"
        )
        log.warning("%s: %s; not recorded as complete", ref.repo_id, detail)
        return CrawlEnd(CrawlStatus.ERROR, detail)

    def _log_progress(
        self, crawl: IssueCrawl, page: int, last_page: int | None, started: float
    ) -> None:
        elapsed = self.clock() - started
        eta = ""
        if last_page and page < last_page:
            eta = f", ETA {elapsed / page * (last_page - page):.0f} s"
        log.info(
            "%s: page %d%s, %d issues and pull requests, %s requests left%s",
            crawl.repo_id,
            page,
            f"/{last_page}" if last_page else "",
            len(crawl.rows),
            self.client.rate_remaining(),
            eta,
        )

    def _land(
        self, root: Path, crawl: IssueCrawl, ref: RepositoryRef, end: CrawlEnd, before: int
    ) -> CrawlResult:
        """Commit the rows (or keep the landed ones) with the crawl's state row; the result."""
        requests = self.client.requests_sent - before
        extracted_at = now()
        pull_requests = crawl.pull_requests
        state = {
            "repo_id": crawl.repo_id,
            "api_base_url": self.client.base_url,
            "status": str(end.status),
            "status_detail": end.detail,
            "since": crawl.since,
            "next_since": crawl.watermark,
            "etag": end.etag,
            "is_complete": end.status.is_complete,
            "pages_fetched": crawl.pages,
            "requests_made": requests,
            "issues_landed": len(crawl.rows) - pull_requests,
            "pull_requests_landed": pull_requests,
            "extracted_at": extracted_at,
            "github_id": ref.github_id,
            # unknown when GitHub never answered for the repository (not found from the start)
            "full_name": ref.full_name if ref.github_id is not None else None,
        }
        rows = rows_to_land(end, crawl)
        landing.commit_repository(
            root,
            "github/issue_crawls",
            crawl.repo_id,
            state,
            None if rows is None else {"github/issues": rows},
            metadata={
                "api_base_url": self.client.base_url,
                "since": "" if crawl.since is None else iso(crawl.since),
                "extracted_at": iso(extracted_at),
            },
        )
        result = _result(crawl, ref, end, state)
        log.info(
            "%s: crawl %s, %d pages, %d requests, %d issues and %d pull requests landed",
            crawl.repo_id,
            end.status,
            crawl.pages,
            requests,
            result.issues_landed,
            result.pull_requests_landed,
        )
        return result


def _result(crawl: IssueCrawl, ref: RepositoryRef, end: CrawlEnd, state: dict) -> CrawlResult:
    return CrawlResult(
        repo_id=crawl.repo_id,
        status=end.status,
        is_complete=end.status.is_complete,
        since=crawl.since,
        next_since=crawl.watermark,
        pages=crawl.pages,
        requests=state["requests_made"],
        received=crawl.received,
        issues_landed=state["issues_landed"],
        pull_requests_landed=state["pull_requests_landed"],
        detail=end.detail,
        full_name=ref.full_name,
        github_id=ref.github_id,
        api_count=end.api_count,
    )


def _crawl_state(root: Path, repo_id: str) -> dict | None:
    table = landing.read_partition(root, "github/issue_crawls", repo_id)
    return table.to_pylist()[0] if table is not None and table.num_rows else None


def _conditional(state: dict, since: datetime | None) -> bool:
    """The last crawl completed from the same `since` on one page: its ETag still describes it."""
    return bool(state["is_complete"] and state["etag"] and state["since"] == since)
