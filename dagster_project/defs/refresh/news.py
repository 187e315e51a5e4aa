"""Which repositories have something new, asked before the daily refresh launches their runs.

A run costs a process that loads the definitions, a ``git fetch``, a crawl request and, once it
lands, a warehouse build; a repository with nothing new needs none of it. Asking costs one
``git ls-remote`` and one GitHub request (a free ``304`` once a refresh has recorded its ETag) per
repository, asked in parallel within a time budget that keeps the schedule's tick well inside
Dagster's 60 s evaluation limit. A repository not asked in time, or whose question failed, runs:
the run then does the same work and reports what went wrong.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from dagster_project.defs.git.resources import GitSourceResource
from dagster_project.defs.github.resources import GitHubResource
from extract.git.changes import commit_news
from extract.github.changes import closed_item_news

#: seconds the questions may take in all; the rest run unasked
BUDGET_SECONDS = 40.0
#: questions asked at once (each waits on the network, not the CPU)
PARALLEL = 8


def repositories_with_news(
    repo_ids: Iterable[str],
    *,
    git: GitSourceResource,
    github: GitHubResource,
    landing_root: Path,
    budget_seconds: float = BUDGET_SECONDS,
    parallel: int = PARALLEL,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, str]:
    """``repo_id -> why it runs`` for every repository with news (or not asked in time)."""
    repo_ids = list(repo_ids)
    local = threading.local()

    def ask(repo_id: str) -> str | None:
        commits = commit_news(repo_id, git.source_for(repo_id), landing_root)
        if commits.changed:
            return f"commits: {commits.reason}"
        if not hasattr(local, "client"):
            local.client = github.client()
        issues = closed_item_news(local.client, repo_id, landing_root)
        return f"closed issues: {issues.reason}" if issues.changed else None

    news: dict[str, str] = {}
    deadline = time.monotonic() + budget_seconds
    pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="news")
    futures = {pool.submit(ask, repo_id): repo_id for repo_id in repo_ids}
    pending = set(futures)
    try:
        while pending and time.monotonic() < deadline:
            done, pending = wait(
                pending, timeout=deadline - time.monotonic(), return_when=FIRST_COMPLETED
            )
            for future in done:
                repo_id = futures[future]
                try:
                    reason = future.result()
                except Exception as exc:  # any failure: the run will meet it and report it
                    reason = f"the question failed ({type(exc).__name__}: {str(exc)[:200]})"
                if reason is not None:
                    news[repo_id] = reason
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    for future in pending:
        news[futures[future]] = f"not asked within {budget_seconds:.0f} s"
    log(
        f"{len(news)} of {len(repo_ids)} repositories have something new "
        f"({len(pending)} not asked in time)"
    )
    return news
