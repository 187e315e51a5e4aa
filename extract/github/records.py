"""The GitHub domain's vocabulary and rows: statuses, the repository a crawl addresses, and the rows
GitHub's JSON becomes in the landing tables (schemas in ``landing/schemas.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from extract.github.client import ApiResponse


class MetadataStatus(StrEnum):
    """``github/repositories.status``: what GitHub answered for the repository."""

    OK = "ok"
    RENAMED = "renamed"  # GitHub answered under another name (a 301 followed); full_name has it
    #: the name now names another repository (another id); the row is the landed id's, kept
    NAME_REUSED = "name_reused"
    NOT_FOUND = "not_found"  # 404
    BLOCKED = "blocked"  # 451, or 403 "access blocked"
    EMPTY = "empty"  # 409 on the commits: no commit yet
    ERROR = "error"  # anything else, with a detail


class CrawlStatus(StrEnum):
    """``github/issue_crawls.status``: how the last crawl of a repository's closed issues ended."""

    COMPLETE = "complete"  # every page read and consistent with what GitHub says of the repository
    UNCHANGED = "unchanged"  # GitHub answered 304 to the conditional refresh
    PARTIAL = "partial"  # stopped at a failing page; resumes from the last good one
    NOT_FOUND = "not_found"
    BLOCKED = "blocked"
    ISSUES_DISABLED = "issues_disabled"  # 410
    ERROR = "error"  # GitHub's answer contradicted itself or the repository; nothing trusted

    @property
    def is_complete(self) -> bool:
        return self in (CrawlStatus.COMPLETE, CrawlStatus.UNCHANGED)


@dataclass(frozen=True)
class RepositoryRef:
    """The repository a request addresses: the id it is known by in the landing (``repo_id``, the
    partition key), GitHub's numeric id and its current name (they differ after a rename)."""

    repo_id: str
    full_name: str
    github_id: int | None = None

    @property
    def api_path(self) -> str:
        """``/repositories/{id}`` when the id is known: it never redirects, whereas
        ``/repos/{old name}`` answers a 301 that PyGithub follows without the query string."""
        if self.github_id is not None:
            return f"/repositories/{self.github_id}"
        return f"/repos/{self.full_name}"

    def names(self, full_name: str | None, github_id: int | None = None) -> bool:
        """Whether GitHub's ``full_name`` / ``id`` of some repository are this repository."""
        if github_id is not None and self.github_id is not None:
            return github_id == self.github_id
        return full_name is not None and full_name.lower() in {
            self.repo_id.lower(),
            self.full_name.lower(),
        }


#: what the miner reads of a repository (``GET /repos/{o}/{r}``): a field missing or of another
#: type means the answer is incomplete, never a row of NULLs
_REPOSITORY_FIELDS: Mapping[str, type | tuple[type, ...]] = {
    "id": int,
    "full_name": str,
    "created_at": str,
    "updated_at": str,
    "pushed_at": (str, type(None)),
    "stargazers_count": int,
    "forks_count": int,
    "open_issues_count": int,
    "size": int,
    "default_branch": (str, type(None)),
    "archived": bool,
    "fork": bool,
    "language": (str, type(None)),
}
#: what an item of the issues list needs to become a row and to move the watermark
_ISSUE_FIELDS: Mapping[str, type | tuple[type, ...]] = {
    "number": int,
    "state": str,
    "created_at": str,
    "updated_at": str,
}


def _lacks(item: Any, fields: Mapping[str, type | tuple[type, ...]]) -> str | None:
    if not isinstance(item, dict):
        return f"not an object but {type(item).__name__}"
    for name, kinds in fields.items():
        if name not in item:
            return f"no {name!r}"
        if not isinstance(item[name], kinds):
            return f"{name!r} is {type(item[name]).__name__}"
    return None


def repository_problem(data: Any) -> str | None:
    """Why an answer to ``GET /repos/{o}/{r}`` (or ``/repositories/{id}``) is not a repository."""
    return _lacks(data, _REPOSITORY_FIELDS)


def _page_problem(data: Any, item_problem) -> str | None:
    if not isinstance(data, list):
        return f"not a list but {type(data).__name__}"
    for index, item in enumerate(data):
        problem = item_problem(item)
        if problem is not None:
            number = item.get("number") if isinstance(item, dict) else None
            return f"item {index}{f' (#{number})' if number is not None else ''}: {problem}"
    return None


def _issue_problem(item: Any) -> str | None:
    problem = _lacks(item, _ISSUE_FIELDS)
    if problem is None and item["state"] == "closed" and not isinstance(item.get("closed_at"), str):
        return "closed without 'closed_at'"
    return problem


def issue_page_problem(data: Any) -> str | None:
    """Why a page of the issues list cannot be absorbed (an open item is the crawl's to judge)."""
    return _page_problem(data, _issue_problem)


def timeline_page_problem(data: Any) -> str | None:
    """Why a page of an issue's timeline cannot be read: every event names its kind."""
    return _page_problem(data, lambda event: _lacks(event, {"event": str}))


def listing_problem(data: Any) -> str | None:
    """Why the page of a listing counted from its Link header (commits, contributors) is not one."""
    return None if isinstance(data, list) else f"not a list but {type(data).__name__}"


def now() -> datetime:
    return datetime.now(UTC)


def ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_of(response: ApiResponse) -> tuple[MetadataStatus, str]:
    """Status and detail of a non-2xx answer about a repository."""
    detail = f"HTTP {response.status}: {response.message}".rstrip(": ")
    if response.status == 404:
        return MetadataStatus.NOT_FOUND, detail
    if response.status == 451 or (response.status == 403 and "block" in response.message.lower()):
        return MetadataStatus.BLOCKED, detail
    if response.status == 409:
        return MetadataStatus.EMPTY, detail
    return MetadataStatus.ERROR, detail


def login(user: Any) -> str | None:
    return user.get("login") if isinstance(user, dict) else None


def issue_row(repo_id: str, item: dict) -> dict[str, Any]:
    """A ``github/issues`` row from an item of the issues list (an issue or a pull request)."""
    pull_request = item.get("pull_request")
    return {
        "repo_id": repo_id,
        "number": item["number"],
        "is_pull_request": pull_request is not None,
        "title": item.get("title"),
        "body": item.get("body"),
        "author_login": login(item.get("user")),
        "state": item.get("state"),
        "state_reason": item.get("state_reason"),
        "labels": [
            label["name"] if isinstance(label, dict) else str(label)
            for label in item.get("labels") or []
        ],
        "assignees": [a for a in (login(x) for x in item.get("assignees") or []) if a],
        "comments_count": item.get("comments"),
        "created_at": ts(item.get("created_at")),
        "updated_at": ts(item.get("updated_at")),
        "closed_at": ts(item.get("closed_at")),
        # The list endpoint may leave closed_by out; the issue's timeline has the closer.
        "closed_by_login": login(item.get("closed_by")),
        "pull_request_merged_at": ts((pull_request or {}).get("merged_at")),
        "html_url": item.get("html_url"),
    }


def link_rows(
    ref: RepositoryRef, number: int, events: list[dict], fetched_at: datetime
) -> list[dict]:
    """``github/issue_links`` rows from an issue's timeline events.

    A pull request of the repository itself is named ``ref.repo_id``, as the issue rows name the
    repository, even when GitHub reports it under its new name after a rename."""
    rows = []
    for event in events:
        kind = event.get("event")
        base = {
            "repo_id": ref.repo_id,
            "issue_number": number,
            "linked_repo_id": None,
            "linked_number": None,
            "commit_id": None,
            "actor_login": login(event.get("actor")),
            "fetched_at": fetched_at,
        }
        if kind in ("cross-referenced", "connected"):
            source = (event.get("source") or {}).get("issue") or {}
            if "pull_request" not in source:
                continue  # a reference from another issue, not a pull request
            repository = source.get("repository") or {}
            full_name = repository.get("full_name")
            same = not full_name or ref.names(full_name, repository.get("id"))
            rows.append(
                {
                    **base,
                    "link_kind": kind.replace("-", "_"),
                    "linked_repo_id": ref.repo_id if same else full_name,
                    "linked_number": source.get("number"),
                }
            )
        elif kind == "closed" and event.get("commit_id"):
            rows.append({**base, "link_kind": "closed_by_commit", "commit_id": event["commit_id"]})
    return rows
