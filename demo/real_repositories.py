"""The GitHub side of real repositories, for the local stand-in: what the dry run serves.

Snapshots of real git histories (bare repositories fetched from public archives, which may lack
blobs of 4 MiB or more) come with no GitHub data. The stand-in is filled from the study universe's
real metadata of mid-2019 (``ml_universe_repo_metadata.csv``: ids, creation, stars, forks, open
issues, size, language) and, for each snapshot, from its own history as of the study's snapshot
date (last commit as ``pushed_at``, commits, distinct authors as contributors): the 2019 file
predates the study's snapshot by four years and its commit column does not count a repository's
history (skorch: 43). Closed issues and pull requests are generated (the file has none), sized
from the metadata: six closed issues per issue open in 2019 and one closed pull request per four
commits, with the skewed closure times, body lengths and labels of GitHub's data. Everything
generated is deterministic per repository id.
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from base.repo_id import InvalidRepoId, repo_key, validate_repo_id
from demo.github_stand_in import GitHubStandIn, StandInRepository, iso

#: the study's snapshot (dbt var snapshot_date)
SNAPSHOT = datetime(2023, 9, 30, tzinfo=UTC)
#: closed issues per issue open in the 2019 metadata; closed pull requests per commit
CLOSED_ISSUES_PER_OPEN_ISSUE = 6
COMMITS_PER_PULL_REQUEST = 4

_LABELS = ["bug", "enhancement", "question", "documentation", "performance", "dependencies"]
_WORDS = [
    "model", "training", "loss", "accuracy", "epoch", "batch", "gpu", "memory", "checkpoint",
    "export", "onnx", "tensor", "shape", "dataset", "loader", "transform", "pipeline", "version",
    "numpy", "pandas", "sklearn", "torch", "keras", "fit", "predict", "error", "traceback",
    "warning", "deprecated", "install", "build", "docs", "example", "notebook", "test", "flaky",
]  # fmt: skip


@dataclass(frozen=True)
class HistoryFacts:
    """A repository's history as GitHub would have described it on the snapshot date."""

    commits: int
    contributors: int
    last_commit_at: datetime | None


def snapshot_git_dirs(root: Path) -> dict[str, Path]:
    """Repository id -> git directory of every snapshot under ``root``.

    Accepts the layout the fetch tool writes (``owner+name/repo`` or ``owner+name/repo/.git``) and
    plain bare repositories named ``owner__name.git``. Anything else is skipped.
    """
    found: dict[str, Path] = {}
    for child in sorted(Path(root).iterdir()):
        if child.name.startswith(".") or not child.is_dir():
            continue
        if "+" in child.name:
            raw = child.name.replace("+", "/", 1)
        elif child.name.endswith(".git") and "__" in child.name:
            raw = child.name.removesuffix(".git").replace("__", "/", 1)
        else:
            continue
        try:
            repo_id = validate_repo_id(raw)
        except InvalidRepoId:
            continue
        for candidate in (child / "repo" / ".git", child / "repo", child):
            if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
                found[repo_id] = candidate
                break
    return found


def history_facts(git_dir: Path, snapshot: datetime = SNAPSHOT) -> HistoryFacts:
    """Commits, distinct author emails and the last commit reachable from HEAD before ``snapshot``."""
    before = f"--before={snapshot.isoformat()}"
    log = subprocess.run(
        ["git", f"--git-dir={git_dir}", "log", before, "--format=%ct %ae", "HEAD"],
        capture_output=True,
        text=True,
        errors="replace",
        check=True,
    ).stdout.splitlines()
    if not log:
        return HistoryFacts(0, 0, None)
    authors = {line.split(" ", 1)[1].lower() for line in log if " " in line}
    last = datetime.fromtimestamp(int(log[0].split(" ", 1)[0]), tz=UTC)
    return HistoryFacts(len(log), len(authors), last)


def fill_repository(
    stand_in: GitHubStandIn, repo_id: str, facts: HistoryFacts, snapshot: datetime = SNAPSHOT
) -> StandInRepository:
    """Give ``repo_id`` (added from the 2019 metadata, or created here when the file lacks it) its
    history's facts and a generated set of closed issues and pull requests."""
    repo = stand_in.resolve(repo_id)
    if repo is None:
        repo = stand_in.add_repository(repo_id, id=10**9 + len(stand_in.repositories))
    if facts.last_commit_at is not None:
        repo.pushed_at = iso(facts.last_commit_at.timestamp())
        repo.updated_at = repo.pushed_at
    repo.commits = facts.commits
    repo.contributors = facts.contributors
    rng = random.Random(repo_key(repo_id))
    issues = max(20, CLOSED_ISSUES_PER_OPEN_ISSUE * repo.open_issues_count)
    pull_requests = max(10, facts.commits // COMMITS_PER_PULL_REQUEST)
    kinds = [False] * issues + [True] * pull_requests
    rng.shuffle(kinds)
    created = _parse(repo.created_at) or snapshot - timedelta(days=3 * 365)
    span = max(1.0, (snapshot - created).total_seconds())
    # Items open over the repository's life, more of them recently, as projects grow.
    opened = sorted(created + timedelta(seconds=span * rng.random() ** 0.7) for _ in kinds)
    for number, (is_pr, opened_at) in enumerate(zip(kinds, opened, strict=True), start=1):
        closed_at = min(opened_at + _time_to_close(rng, is_pr), snapshot - timedelta(minutes=1))
        closed_at = max(closed_at, opened_at + timedelta(minutes=1))
        repo.add_issue(
            number,
            created_at=opened_at.timestamp(),
            closed_at=closed_at.timestamp(),
            updated_at=min(closed_at + timedelta(hours=rng.random() * 48), snapshot).timestamp(),
            title=_text(rng, rng.randint(3, 12)).capitalize(),
            body=None if rng.random() < 0.05 else _text(rng, _body_words(rng)),
            user=None if rng.random() < 0.01 else f"user{rng.randint(1, 400)}",
            labels=rng.sample(_LABELS, k=rng.choice([0, 0, 0, 1, 1, 2])),
            assignees=[f"user{rng.randint(1, 20)}"] if rng.random() < 0.3 else [],
            comments=int(rng.expovariate(1 / 3)),
            state_reason="not_planned" if rng.random() < 0.15 else "completed",
            pull_request=is_pr,
            merged_at=closed_at.timestamp() if is_pr and rng.random() < 0.7 else None,
        )
    return repo


def fill_stand_in(
    stand_in: GitHubStandIn, git_dirs: dict[str, Path], snapshot: datetime = SNAPSHOT
) -> dict[str, HistoryFacts]:
    """:func:`fill_repository` for every snapshot; returns the facts served for each."""
    facts = {}
    for repo_id, git_dir in git_dirs.items():
        facts[repo_id] = history_facts(git_dir, snapshot)
        fill_repository(stand_in, repo_id, facts[repo_id], snapshot)
    return facts


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _time_to_close(rng: random.Random, is_pr: bool) -> timedelta:
    # Heavy-tailed, as the study's Figure 1: most close within days, a few stay open for years.
    median_days = 2.0 if is_pr else 13.0
    return timedelta(days=median_days * rng.lognormvariate(0, 1.6))


def _body_words(rng: random.Random) -> int:
    # Median ~70 words, a long tail of pasted tracebacks and logs.
    return min(8000, int(rng.lognormvariate(4.25, 1.0)))


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))
