"""Repository metadata (``github/repositories``) and which repository a name means today.

GitHub answers a renamed repository's old name with a ``301`` to ``/repositories/{id}``. PyGithub
follows it by path and drops the query string, which is harmless for ``GET /repos/{o}/{n}`` (no
query) and wrong for anything paginated or filtered. So everything after the first request
addresses the repository by its id (:attr:`RepositoryRef.api_path`), or by its current name.

Once landed, a repository is its numeric id. A name can change hands: ``owner/old`` renamed away and
a new repository created as ``owner/old`` answers the name with another id and no redirect. That is
reported (``name_reused``, both ids) and the landed id is kept, its values read by id, unless the
user follows the name (``follow_reused_names``): the row is then the new repository's, and the issue
crawl starts that repository's data over rather than merging it with the old one's.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pyarrow as pa

import landing
from base.repo_id import validate_repo_id
from extract.github.client import ApiResponse, GitHubClient, RequestFailed
from extract.github.records import (
    MetadataStatus,
    RepositoryRef,
    iso,
    listing_problem,
    now,
    repository_problem,
    status_of,
    ts,
)

log = logging.getLogger("extract.github")

#: metadata statuses whose row is a repository GitHub has (under that name, or kept by its id)
_LIVE = (
    MetadataStatus.OK,
    MetadataStatus.RENAMED,
    MetadataStatus.EMPTY,
    MetadataStatus.NAME_REUSED,
)


class RepositoryUnavailable(Exception):
    """GitHub has no repository under the name (or refuses it): the answer, for the record."""

    def __init__(self, response: ApiResponse):
        self.status, self.detail = status_of(response)
        super().__init__(self.detail)


def lookup(client: GitHubClient, repo_id: str) -> tuple[ApiResponse, RepositoryRef | None]:
    """``GET /repos/{repo_id}``: GitHub's answer and, when it has the repository, what it is.
    Raises :class:`RequestFailed` when no complete answer comes (a repository without its id)."""
    response = client.get(f"/repos/{repo_id}", expect=repository_problem)
    if response.status != 200 or not isinstance(response.data, dict):
        return response, None
    full_name = response.data["full_name"]
    if full_name.lower() != repo_id.lower():
        # PyGithub followed GitHub's 301 to /repositories/<id> out of sight: one more request.
        client.count_followed_redirect()
    return response, RepositoryRef(repo_id, full_name, response.data["id"])


def landed_github_id(landing_root: Path, repo_id: str) -> int | None:
    """The numeric id the landing holds the repository under, at no request: its metadata row's
    (kept values included), else its last issue crawl's."""
    for table in ("github/repositories", "github/issue_crawls"):
        rows = landing.read_partition(landing_root, table, repo_id)
        if rows is not None and rows.num_rows and rows.column("github_id")[0].as_py() is not None:
            return rows.column("github_id")[0].as_py()
    return None


def reused_name(landing_root: Path, repo_id: str) -> str | None:
    """What the last metadata fetch said of a name now another repository's (``None``: nothing)."""
    rows = landing.read_partition(landing_root, "github/repositories", repo_id)
    if rows is None or not rows.num_rows:
        return None
    row = rows.to_pylist()[0]
    return row["status_detail"] if row["status"] == MetadataStatus.NAME_REUSED else None


def known_ref(landing_root: Path, repo_id: str) -> RepositoryRef | None:
    """What the landing already knows of the repository, at no request: its metadata row, else
    the identity its last issue crawl recorded."""
    meta = landing.read_partition(landing_root, "github/repositories", repo_id)
    if meta is not None and meta.num_rows:
        row = meta.to_pylist()[0]
        if row["status"] in _LIVE and row.get("github_id") is not None:
            return RepositoryRef(repo_id, row.get("full_name") or repo_id, row["github_id"])
    crawl = landing.read_partition(landing_root, "github/issue_crawls", repo_id)
    if crawl is not None and crawl.num_rows:
        row = crawl.to_pylist()[0]
        if row.get("github_id") is not None:
            return RepositoryRef(repo_id, row.get("full_name") or repo_id, row["github_id"])
    return None


def resolve(client: GitHubClient, repo_id: str, landing_root: Path) -> RepositoryRef:
    """The repository to address, whatever ran before: from the landing when it knows the id, else
    from one lookup (two requests after a rename). Raises :class:`RepositoryUnavailable` when
    GitHub has no such repository, :class:`RequestFailed` when it cannot answer."""
    known = known_ref(landing_root, repo_id)
    if known is not None:
        return known
    response, ref = lookup(client, repo_id)
    if ref is None:
        raise RepositoryUnavailable(response)
    return ref


def fetch_repository_metadata(
    client: GitHubClient,
    repo_id: str,
    *,
    landed_id: int | None = None,
    follow_reused_names: bool = False,
) -> dict[str, Any]:
    """One ``github/repositories`` row: metadata and a status, never an exception per repository.

    Costs three requests for a live repository (the repository, then commits and contributors
    with ``per_page=1``, counted from the Link header's last page), four after a rename (the
    301 is one more), one for a missing or blocked one. When the name answers with another id than
    ``landed_id``, the landed repository is kept (``name_reused``, one request more: it is read by
    id) unless ``follow_reused_names``.
    """
    repo_id = validate_repo_id(repo_id)
    before = client.requests_sent
    row: dict[str, Any] = {
        "repo_id": repo_id,
        "status": MetadataStatus.OK,
        "status_detail": None,
        "fetched_at": now(),
        "api_base_url": client.base_url,
    }
    try:
        response, ref = lookup(client, repo_id)
        if ref is None:
            row["status"], row["status_detail"] = status_of(response)
        elif landed_id is None or ref.github_id == landed_id:
            _fill(client, row, response.data, ref)
        elif follow_reused_names:
            _fill(client, row, response.data, ref)
            followed = (
                f"followed the name to another repository: id {ref.github_id} replaces the landed "
                f"id {landed_id}"
            )
            row["status_detail"] = "; ".join(filter(None, [row["status_detail"], followed]))
        else:
            _keep_landed(client, row, ref, landed_id)
    except RequestFailed as exc:
        row["status"], row["status_detail"] = MetadataStatus.ERROR, str(exc)
    row["requests_made"] = client.requests_sent - before
    return row


def _fill(client: GitHubClient, row: dict[str, Any], data: dict, ref: RepositoryRef) -> None:
    row.update(_values(data, ref, row["fetched_at"]))
    if ref.full_name.lower() != ref.repo_id.lower():
        row["status"] = MetadataStatus.RENAMED
        row["status_detail"] = f"renamed to {ref.full_name}"
    _count_commits_and_contributors(client, ref, row)


def _keep_landed(
    client: GitHubClient, row: dict[str, Any], named: RepositoryRef, landed_id: int
) -> None:
    """The name is another repository's now: the row stays the landed id's, read by its id."""
    repo_id = named.repo_id
    response = client.get(f"/repositories/{landed_id}", expect=repository_problem)
    row["status"] = MetadataStatus.NAME_REUSED
    decide = "--follow-reused-names follows the name"
    if response.status != 200:
        row["status_detail"] = (
            f"{repo_id} now names another repository (id {named.github_id}), and the landed id "
            f"{landed_id} answers {status_of(response)[1]}: kept its last values; {decide}"
        )
        log.warning("%s: %s", repo_id, row["status_detail"])
        return
    landed = RepositoryRef(repo_id, response.data["full_name"], landed_id)
    row.update(_values(response.data, landed, row["fetched_at"]))
    row["status_detail"] = (
        f"{repo_id} now names another repository (id {named.github_id}), not the landed one "
        f"(id {landed_id}, now {landed.full_name}): kept id {landed_id}; {decide}"
    )
    log.warning("%s: %s", repo_id, row["status_detail"])
    _count_commits_and_contributors(client, landed, row)


def _values(data: dict, ref: RepositoryRef, fetched_at) -> dict[str, Any]:
    return {
        "github_id": ref.github_id,
        "full_name": ref.full_name,
        "created_at": ts(data.get("created_at")),
        "pushed_at": ts(data.get("pushed_at")),
        "updated_at": ts(data.get("updated_at")),
        "stargazers_count": data.get("stargazers_count"),
        "watchers_count": data.get("watchers_count"),
        "subscribers_count": data.get("subscribers_count"),
        "forks_count": data.get("forks_count"),
        "open_issues_count": data.get("open_issues_count"),
        "size_kb": data.get("size"),
        "default_branch": data.get("default_branch"),
        "is_archived": data.get("archived"),
        "is_fork": data.get("fork"),
        "language": data.get("language"),
        "topics": data.get("topics") or [],
        "values_fetched_at": fetched_at,
    }


def _count_commits_and_contributors(
    client: GitHubClient, ref: RepositoryRef, row: dict[str, Any]
) -> None:
    # Addressed by the current name: a 301 followed by PyGithub would drop per_page=1 and sha.
    params: dict[str, Any] = {"per_page": 1}
    if row.get("default_branch"):
        params["sha"] = row["default_branch"]
    commits = client.get(f"/repos/{ref.full_name}/commits", params, expect=listing_problem)
    if commits.status == 409:
        row.update(status=MetadataStatus.EMPTY, status_detail=commits.message, commits_count=0)
        row["contributors_count"] = 0
        return
    if commits.status != 200:
        detail = f"commits count: {status_of(commits)[1]}"
        row.update(status=MetadataStatus.ERROR, status_detail=detail)
        return
    row["commits_count"] = _item_count(commits)
    contributors = client.get(
        f"/repos/{ref.full_name}/contributors", {"per_page": 1}, expect=listing_problem
    )
    if contributors.status == 204:
        row["contributors_count"] = 0
    elif contributors.status == 200:
        row["contributors_count"] = _item_count(contributors)
    else:
        detail = f"contributors count: {status_of(contributors)[1]}"
        row.update(status=MetadataStatus.ERROR, status_detail=detail)


def _item_count(response: ApiResponse) -> int:
    """Item count of a ``per_page=1`` listing: the Link header's last page, else the items shown."""
    return response.last_page or len(response.data or [])


def land_repository_metadata(
    client: GitHubClient, repo_id: str, landing_root: Path, *, follow_reused_names: bool = False
) -> dict[str, Any]:
    """Fetch and land one repository's metadata row.

    When a repository that was seen before is now missing, blocked, failing or gone from a name that
    another repository took, the values of the last successful fetch are kept (``values_fetched_at``
    says when) under the new status.
    """
    row = fetch_repository_metadata(
        client,
        repo_id,
        landed_id=landed_github_id(landing_root, validate_repo_id(repo_id)),
        follow_reused_names=follow_reused_names,
    )
    if row.get("github_id") is None:
        row = _keep_last_values(landing_root, row)
    table = pa.Table.from_pylist([row], schema=landing.SCHEMAS["github/repositories"])
    landing.write_partition(
        landing_root,
        "github/repositories",
        row["repo_id"],
        table,
        metadata={"api_base_url": client.base_url, "extracted_at": iso(row["fetched_at"])},
    )
    log.info(
        "%s: metadata %s (%d requests, %s left)",
        row["repo_id"],
        row["status"],
        row["requests_made"],
        client.rate_remaining(),
    )
    return row


def _keep_last_values(landing_root: Path, row: dict[str, Any]) -> dict[str, Any]:
    previous = landing.read_partition(landing_root, "github/repositories", row["repo_id"])
    if previous is None or not previous.num_rows:
        return row
    kept = previous.to_pylist()[0]
    if kept.get("github_id") is None:
        return row
    kept.update(
        {k: row[k] for k in ("status", "status_detail", "fetched_at", "requests_made")},
        api_base_url=row["api_base_url"],
    )
    return kept
