"""Pull requests linked to given issues (``github/issue_links``), from each issue's timeline.

Cross-references from pull requests, ``connected`` events, and the commit that closed the issue.
One request per issue and 100 events: fetch only what needs it (e.g. sampled issues), since one
call per issue over the study's 376k issues would cost some 75 token-hours.

The issue numbers are those of the landed issues, so the timelines are asked of the repository
whose issues are landed (the id of its last issue crawl), even when the metadata followed a name
that another repository took since.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

import landing
from base.repo_id import validate_repo_id
from extract.github.client import GitHubClient, RequestFailed
from extract.github.metadata import RepositoryUnavailable, resolve
from extract.github.records import (
    RepositoryRef,
    iso,
    link_rows,
    now,
    status_of,
    timeline_page_problem,
)


@dataclass
class LinksResult:
    repo_id: str
    links: int = 0
    requests: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def fetch_issue_links(
    client: GitHubClient, repo_id: str, issue_numbers: Iterable[int], landing_root: Path
) -> LinksResult:
    """Fetch and land the links of the given issues. Rows of the fetched issues replace their
    previous rows; other issues' rows are kept."""
    repo_id = validate_repo_id(repo_id)
    numbers = sorted({int(n) for n in issue_numbers})
    before = client.requests_sent
    result = LinksResult(repo_id)
    try:
        ref = _crawled(landing_root, repo_id) or resolve(client, repo_id, landing_root)
    except (RepositoryUnavailable, RequestFailed) as exc:
        result.failed = dict.fromkeys(numbers, str(exc))
        result.requests = client.requests_sent - before
        return result
    fetched_at = now()
    new_rows: list[dict] = []
    done: set[int] = set()
    for number in numbers:
        try:
            events = _timeline(client, ref, number)
        except RequestFailed as exc:
            result.failed[number] = str(exc)
            continue
        done.add(number)
        new_rows.extend(link_rows(ref, number, events, fetched_at))
    result.links = _land(client, landing_root, repo_id, new_rows, done, fetched_at)
    result.requests = client.requests_sent - before
    return result


def _crawled(landing_root: Path, repo_id: str) -> RepositoryRef | None:
    """The repository whose issues are landed under ``repo_id``, at no request."""
    crawl = landing.read_partition(landing_root, "github/issue_crawls", repo_id)
    row = crawl.to_pylist()[0] if crawl is not None and crawl.num_rows else {}
    if row.get("github_id") is None:
        return None
    return RepositoryRef(repo_id, row.get("full_name") or repo_id, row["github_id"])


def _timeline(client: GitHubClient, ref: RepositoryRef, number: int) -> list[dict]:
    events: list[dict] = []
    pages = client.pages(
        f"{ref.api_path}/issues/{number}/timeline",
        {"per_page": 100},
        expect=timeline_page_problem,
    )
    for response in pages:
        if response.status != 200:
            raise RequestFailed(status_of(response)[1])
        events.extend(response.data)
    return events


def _land(
    client: GitHubClient,
    root: Path,
    repo_id: str,
    new_rows: list[dict],
    done: set[int],
    fetched_at,
) -> int:
    previous = landing.read_partition(root, "github/issue_links", repo_id)
    kept = [r for r in (previous.to_pylist() if previous else []) if r["issue_number"] not in done]
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
        root,
        "github/issue_links",
        repo_id,
        pa.Table.from_pylist(ordered, schema=landing.SCHEMAS["github/issue_links"]),
        metadata={"api_base_url": client.base_url, "extracted_at": iso(fetched_at)},
    )
    return len(ordered)
