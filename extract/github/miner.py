"""Repository metadata, closed issues, linked pull requests and closed-item counts from GitHub.

Everything lands in ``github/*`` tables (docs/landing-contract.md, docs/github-mining.md). The miner
is plain Python over one :class:`~extract.github.client.GitHubClient`::

    miner = GitHubMiner(GitHubClient.from_settings())
    miner.crawl_closed_issues("owner/name", landing_root)

Each task lives in its own module (``metadata``, ``issues``, ``links``, ``counts``); this class only
binds them to one client, so a run shares its tokens, rate-limit windows and request count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from base.repo_id import unique_repo_ids
from extract.github import counts, links, metadata
from extract.github.client import GitHubClient
from extract.github.counts import ClosedCount, NoCount
from extract.github.issues import CHECKPOINT_PAGES, CrawlResult, IssueCrawler
from extract.github.links import LinksResult
from extract.github.records import RepositoryRef

__all__ = ["ClosedCount", "CrawlResult", "GitHubMiner", "LinksResult", "NoCount"]


class GitHubMiner:
    """Mines GitHub through one client; see :class:`~extract.github.client.GitHubClient` for limits."""

    def __init__(
        self,
        client: GitHubClient,
        *,
        checkpoint_pages: int = CHECKPOINT_PAGES,
        per_page: int = 100,
        follow_reused_names: bool = False,
    ):
        self.client = client
        self.base_url = client.base_url
        #: a name that changed hands is followed to its new repository instead of keeping the id
        self.follow_reused_names = follow_reused_names
        self._issues = IssueCrawler(
            client,
            checkpoint_pages=checkpoint_pages,
            per_page=per_page,
            follow_reused_names=follow_reused_names,
        )

    def __repr__(self) -> str:
        return f"GitHubMiner({self.client!r})"

    def fetch_repository_metadata(self, repo_id: str) -> dict[str, Any]:
        return metadata.fetch_repository_metadata(self.client, repo_id)

    def land_repository_metadata(self, repo_id: str, landing_root: Path) -> dict[str, Any]:
        return metadata.land_repository_metadata(
            self.client, repo_id, landing_root, follow_reused_names=self.follow_reused_names
        )

    def crawl_closed_issues(self, repo_id: str, landing_root: Path) -> CrawlResult:
        return self._issues.crawl(repo_id, landing_root)

    def fetch_issue_links(
        self, repo_id: str, issue_numbers: Iterable[int], landing_root: Path
    ) -> LinksResult:
        return links.fetch_issue_links(self.client, repo_id, issue_numbers, landing_root)

    def count_closed_items(
        self, repo_ids: Sequence[str], landing_root: Path
    ) -> dict[str, ClosedCount | NoCount]:
        """GitHub's counts for the repositories, 50 to a GraphQL query, addressed by what the
        landing knows of them (their current name and id) at no extra request; why not, where
        GitHub gave none."""
        refs = [
            metadata.known_ref(landing_root, repo_id) or RepositoryRef(repo_id, repo_id)
            for repo_id in unique_repo_ids(repo_ids)
        ]
        return counts.count_closed_items(self.client, refs)
