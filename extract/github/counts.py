"""GitHub's own count of each repository's closed issues and pull requests, to reconcile the landing.

One GraphQL query counts up to :data:`BATCH` repositories (aliases ``r0``, ``r1``, ...):
``issues(states: CLOSED) { totalCount }`` and ``pullRequests(states: [CLOSED, MERGED])
{ totalCount }``, which is what the REST issues list returns with ``state=closed``. GraphQL has its
own rate limit (5,000 points an hour per token; such a query costs one point), so reconciling the
study's 227 repositories costs 5 queries, where the search API (``repo:o/n state:closed``, 30
requests a minute) needed 227 requests. The client waits for the GraphQL window like any other.

A count GitHub does not give is a :class:`NoCount` with GitHub's reason quoted (a GraphQL error, a
repository it cannot resolve, an exhausted limit), never ``0`` and never an unexplained ``None``.
GraphQL has no anonymous access: an anonymous run sends no query and says so.
:func:`search_closed_items` is the anonymous stand-in for one repository (one search request, the
issues and pull requests together).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from extract.github.client import GitHubClient, RequestFailed
from extract.github.records import RepositoryRef, status_of

log = logging.getLogger("extract.github")

#: repositories per query: far below GitHub's node and complexity limits, one point each
BATCH = 50
#: why an anonymous run has no GraphQL count
ANONYMOUS = "GitHub's GraphQL API needs a token; this run is anonymous"

_FIELDS = (
    "databaseId nameWithOwner "
    "issues(states: CLOSED) { totalCount } "
    "pullRequests(states: [CLOSED, MERGED]) { totalCount }"
)
_CONNECTIONS = ("issues", "pullRequests")


@dataclass(frozen=True)
class ClosedCount:
    """What GitHub counts of one repository: closed issues, and closed or merged pull requests."""

    issues: int
    pull_requests: int

    @property
    def total(self) -> int:
        return self.issues + self.pull_requests


@dataclass(frozen=True)
class NoCount:
    """GitHub gave no count of the repository; ``reason`` says why, quoting GitHub."""

    reason: str


def closed_count_query(size: int) -> str:
    """The query for ``size`` repositories, their owners and names as variables ``$o<i>``/``$n<i>``."""
    variables = ", ".join(f"$o{i}: String!, $n{i}: String!" for i in range(size))
    aliases = " ".join(
        f"r{i}: repository(owner: $o{i}, name: $n{i}) {{ {_FIELDS} }}" for i in range(size)
    )
    return f"query({variables}) {{ {aliases} }}"


def count_closed_items(
    client: GitHubClient, refs: Sequence[RepositoryRef], *, batch: int = BATCH
) -> dict[str, ClosedCount | NoCount]:
    """``repo_id`` -> GitHub's count, or why there is none (no such repository, a repository with
    another id under the name now, GraphQL failing, or refusing an anonymous run)."""
    if client.anonymous:
        log.warning("closed-item counts of %d repositories not asked: %s", len(refs), ANONYMOUS)
        return {ref.repo_id: NoCount(ANONYMOUS) for ref in refs}
    counts: dict[str, ClosedCount | NoCount] = {}
    for start in range(0, len(refs), batch):
        counts.update(_count_batch(client, refs[start : start + batch]))
    return counts


def _count_batch(
    client: GitHubClient, refs: Sequence[RepositoryRef]
) -> dict[str, ClosedCount | NoCount]:
    variables: dict[str, str] = {}
    for i, ref in enumerate(refs):
        variables[f"o{i}"], _, variables[f"n{i}"] = ref.full_name.partition("/")
    try:
        response = client.graphql(
            closed_count_query(len(refs)), variables, expect=_answer_problem(len(refs))
        )
    except RequestFailed as exc:
        log.warning("closed-item counts of %d repositories failed: %s", len(refs), exc)
        return {ref.repo_id: NoCount(str(exc)) for ref in refs}
    data = response.data.get("data") if isinstance(response.data, dict) else None
    errors = response.graphql_errors
    if response.status != 200 or not isinstance(data, dict):
        reason = _quoted(errors) or f"GraphQL answered {status_of(response)[1]}"
        log.warning("closed-item counts of %d repositories: %s", len(refs), reason)
        return {ref.repo_id: NoCount(reason) for ref in refs}
    return {
        ref.repo_id: _count_of(ref, data.get(f"r{i}"), _errors_of(errors, f"r{i}"))
        for i, ref in enumerate(refs)
    }


def _answer_problem(size: int):
    """What makes an answer to the count query unusable, retried as a failed request: no data, or
    a repository without its numbers, when GitHub names no error to explain it."""

    def problem(body: Any) -> str | None:
        if not isinstance(body, dict):
            return f"not an object but {type(body).__name__}"
        if body.get("errors"):
            return None  # GitHub's own account of what went wrong: quoted, not retried
        data = body.get("data")
        if not isinstance(data, dict):
            return "no 'data'"
        for i in range(size):
            node = data.get(f"r{i}")
            if not isinstance(node, dict):
                return f"no repository 'r{i}'"
            if not all(isinstance(_total(node, c), int) for c in _CONNECTIONS):
                return f"no counts of repository 'r{i}'"
        return None

    return problem


def _total(node: dict, connection: str) -> Any:
    counted = node.get(connection)
    return counted.get("totalCount") if isinstance(counted, dict) else None


def _errors_of(errors: list[dict], alias: str) -> list[dict]:
    """The errors about one aliased repository, or those about no repository in particular."""
    own = [e for e in errors if (e.get("path") or [None])[0] == alias]
    return own or [e for e in errors if not e.get("path")]


def _quoted(errors: list[dict]) -> str:
    quoted = [
        ": ".join(str(part) for part in (e.get("type"), e.get("message")) if part) for e in errors
    ]
    return f"GraphQL error: {'; '.join(quoted)}" if quoted else ""


def _count_of(ref: RepositoryRef, node: object, errors: list[dict]) -> ClosedCount | NoCount:
    if not isinstance(node, dict):
        return NoCount(_quoted(errors) or "GitHub's answer has no such repository")
    if ref.github_id is not None and node.get("databaseId") not in (None, ref.github_id):
        reason = (
            f"GitHub's {node.get('nameWithOwner')} is another repository (id "
            f"{node.get('databaseId')}, landed {ref.github_id})"
        )
        log.warning("%s: %s; not counted", ref.repo_id, reason)
        return NoCount(reason)
    issues, pull_requests = (_total(node, c) for c in _CONNECTIONS)
    if not isinstance(issues, int) or not isinstance(pull_requests, int):
        return NoCount(_quoted(errors) or "GitHub's answer has no count of the repository")
    return ClosedCount(issues, pull_requests)


def search_closed_items(client: GitHubClient, ref: RepositoryRef) -> int | NoCount:
    """Closed issues and pull requests of one repository by the search API (``repo:o/n is:closed``,
    one request of its own limit, anonymous too): what an anonymous run can ask instead of GraphQL."""
    try:
        response = client.get(
            "/search/issues",
            {"q": f"repo:{ref.full_name} is:closed", "per_page": 1},
            expect=_search_problem,
        )
    except RequestFailed as exc:
        return NoCount(str(exc))
    if response.status != 200:
        return NoCount(f"the search API answered {status_of(response)[1]}")
    if response.data["incomplete_results"]:
        return NoCount("the search API's count is incomplete (it timed out)")
    return response.data["total_count"]


def _search_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("total_count"), int):
        return "no 'total_count'"
    return None if isinstance(body.get("incomplete_results"), bool) else "no 'incomplete_results'"
