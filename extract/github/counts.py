"""GitHub's own count of each repository's closed issues and pull requests, to reconcile the landing.

One GraphQL query counts up to :data:`BATCH` repositories (aliases ``r0``, ``r1``, ...):
``issues(states: CLOSED) { totalCount }`` and ``pullRequests(states: [CLOSED, MERGED])
{ totalCount }``, which is what the REST issues list returns with ``state=closed``. GraphQL has its
own rate limit (5,000 points an hour per token; such a query costs one point), so reconciling the
study's 227 repositories costs 5 queries, where the search API (``repo:o/n state:closed``, 30
requests a minute) needed 227 requests. The client waits for the GraphQL window like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from extract.github.client import GitHubClient, RequestFailed
from extract.github.records import RepositoryRef

log = logging.getLogger("extract.github")

#: repositories per query: far below GitHub's node and complexity limits, one point each
BATCH = 50

_FIELDS = (
    "databaseId nameWithOwner "
    "issues(states: CLOSED) { totalCount } "
    "pullRequests(states: [CLOSED, MERGED]) { totalCount }"
)


@dataclass(frozen=True)
class ClosedCount:
    """What GitHub counts of one repository: closed issues, and closed or merged pull requests."""

    issues: int
    pull_requests: int

    @property
    def total(self) -> int:
        return self.issues + self.pull_requests


def closed_count_query(size: int) -> str:
    """The query for ``size`` repositories, their owners and names as variables ``$o<i>``/``$n<i>``."""
    variables = ", ".join(f"$o{i}: String!, $n{i}: String!" for i in range(size))
    aliases = " ".join(
        f"r{i}: repository(owner: $o{i}, name: $n{i}) {{ {_FIELDS} }}" for i in range(size)
    )
    return f"query({variables}) {{ {aliases} }}"


def count_closed_items(
    client: GitHubClient, refs: Sequence[RepositoryRef], *, batch: int = BATCH
) -> dict[str, ClosedCount | None]:
    """``repo_id`` -> GitHub's count, ``None`` where GitHub gave none (no such repository, a
    repository with another id under the name now, GraphQL failing or unavailable)."""
    counts: dict[str, ClosedCount | None] = {}
    for start in range(0, len(refs), batch):
        counts.update(_count_batch(client, refs[start : start + batch]))
    return counts


def _count_batch(
    client: GitHubClient, refs: Sequence[RepositoryRef]
) -> dict[str, ClosedCount | None]:
    counts: dict[str, ClosedCount | None] = {ref.repo_id: None for ref in refs}
    variables: dict[str, str] = {}
    for i, ref in enumerate(refs):
        variables[f"o{i}"], _, variables[f"n{i}"] = ref.full_name.partition("/")
    try:
        response = client.graphql(closed_count_query(len(refs)), variables)
    except RequestFailed as exc:
        log.warning("closed-item counts of %d repositories failed: %s", len(refs), exc)
        return counts
    data = (response.data or {}).get("data") if isinstance(response.data, dict) else None
    if response.status != 200 or not isinstance(data, dict):
        log.warning(
            "closed-item counts: GraphQL answered HTTP %d %s",
            response.status,
            "; ".join(str(e.get("message")) for e in response.graphql_errors) or response.message,
        )
        return counts
    for i, ref in enumerate(refs):
        counts[ref.repo_id] = _count_of(ref, data.get(f"r{i}"))
    return counts


def _count_of(ref: RepositoryRef, node: object) -> ClosedCount | None:
    if not isinstance(node, dict):
        return None  # GitHub names it in `errors` (NOT_FOUND)
    if ref.github_id is not None and node.get("databaseId") not in (None, ref.github_id):
        log.warning(
            "%s: GitHub's %s is another repository (id %s, landed %s); not counted",
            ref.repo_id,
            node.get("nameWithOwner"),
            node.get("databaseId"),
            ref.github_id,
        )
        return None
    try:
        return ClosedCount(
            int(node["issues"]["totalCount"]), int(node["pullRequests"]["totalCount"])
        )
    except (KeyError, TypeError, ValueError):
        return None
