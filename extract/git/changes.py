"""Whether a repository has commits its landed git partition lacks, asked without fetching.

The daily refresh asks this before it launches a run: the source's ``HEAD`` (``git ls-remote`` of a
URL, one round trip and no object transferred; ``HEAD`` of a local repository) against the head the
last extraction mined (``git/extractions.mined_head``). A repository that was never mined, or whose
default branch moved, has news; one whose head is the mined head has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import landing
from extract.git import gitcmd


@dataclass(frozen=True)
class CommitNews:
    changed: bool
    reason: str


def source_head(repo_id: str, source: str) -> str | None:
    """The commit the source's default branch points at (``None``: an empty repository)."""
    if gitcmd.is_url(source):
        listing = gitcmd.run_git(
            ["ls-remote", "--", source, "HEAD"],
            repo_id=repo_id,
            what=f"reading the head of {gitcmd.scrub_url(source)!r}",
        ).decode("utf-8", "replace")
        for line in listing.splitlines():
            sha, _, name = line.partition("\t")
            if name == "HEAD":
                return sha
        return None
    return gitcmd.resolve_head(gitcmd.open_local(repo_id, source), None)[1]


def commit_news(repo_id: str, source: str, landing_root: Path) -> CommitNews:
    """Whether mining ``repo_id`` now would land anything new; raises ``GitMiningError`` when the
    source cannot be read (the caller then mines, and the run reports why)."""
    landed = landing.read_partition(landing_root, "git/extractions", repo_id)
    if landed is None or landed.num_rows == 0:
        return CommitNews(True, "never mined")
    mined = landed.column("mined_head")[0].as_py()
    head = source_head(repo_id, source)
    if head == mined:
        return CommitNews(False, "head unchanged")
    return CommitNews(True, f"head moved from {(mined or 'none')[:12]} to {(head or 'none')[:12]}")
