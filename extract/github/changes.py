"""Whether a repository's closed issues changed since its last complete crawl, asked in one
request and without landing anything: what the daily refresh asks before it launches a crawl.

The request is the crawl's own first one (closed items updated ``since`` the landed watermark,
sorted by ``updated``, 100 a page), conditional on the last refresh's ETag when that ETag describes
the same window: an unchanged list then costs a ``304`` that GitHub does not charge. Otherwise the
answer is compared with the landed rows (``since`` is inclusive, so the boundary item always comes
back): news is an item not landed yet, or landed with an older ``updated_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import landing
from extract.github.client import GitHubClient
from extract.github.issues import IssueCrawler, _conditional, _crawl_state
from extract.github.metadata import known_ref
from extract.github.records import issue_row


@dataclass(frozen=True)
class ClosedItemNews:
    changed: bool
    reason: str


def closed_item_news(client: GitHubClient, repo_id: str, landing_root: Path) -> ClosedItemNews:
    """Whether crawling ``repo_id`` now would land anything new. Raises what the client raises
    (``RequestFailed``, ``GitHubUnreachable``); the caller then crawls, and the crawl reports."""
    state = _crawl_state(landing_root, repo_id)
    if state is None:
        return ClosedItemNews(True, "never crawled")
    if not state["is_complete"]:
        return ClosedItemNews(True, f"the last crawl ended {state['status']}: it resumes")
    ref = known_ref(landing_root, repo_id)
    if ref is None:
        return ClosedItemNews(True, "GitHub's id of the repository is not landed")
    since = state["next_since"]
    etag = state["etag"] if _conditional(state, since) else None
    headers = {"If-None-Match": etag} if etag else None
    params = IssueCrawler(client)._params(since)
    response = client.get(f"{ref.api_path}/issues", params, headers)
    if response.status == 304:
        return ClosedItemNews(False, "unchanged (304)")
    if response.status != 200 or not isinstance(response.data, list):
        return ClosedItemNews(True, f"GitHub answered {response.status}")
    if "next" in response.links:
        return ClosedItemNews(True, "more than a page updated since the last crawl")
    landed = landing.read_partition(landing_root, "github/issues", repo_id)
    known = {}
    if landed is not None:
        numbers = landed.column("number").to_pylist()
        updated = landed.column("updated_at").to_pylist()
        known = dict(zip(numbers, updated, strict=True))
    for item in response.data:
        row = issue_row(repo_id, item)
        previous = known.get(row["number"])
        if row["number"] not in known or (
            row["updated_at"] is not None and (previous is None or row["updated_at"] > previous)
        ):
            return ClosedItemNews(True, f"#{row['number']} is new or updated")
    return ClosedItemNews(False, "nothing updated since the last crawl")
