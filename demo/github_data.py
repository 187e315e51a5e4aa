"""GitHub data of the sample, served by extract.github's local stand-in (SAMPLE DATA, not GitHub's).

Besides the generated repositories, the candidate list holds projects that fail each criterion, a
missing one and non-ML and malformed rows, so the selection has something to select from.
"""

from __future__ import annotations

import csv
import random
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from demo.git_repos import SAMPLE_OWNER, SAMPLE_REPOS
from demo.github_stand_in import GitHubStandIn

#: The study's snapshot (dbt var snapshot_date): the sample's metadata is as of this day.
SNAPSHOT = datetime(2023, 9, 30, tzinfo=UTC)
SAMPLE_TOKEN = "sample-token-for-the-local-stand-in"

#: Candidates that fail the metadata criteria, one criterion each, and one that GitHub lacks.
FAILING_CANDIDATES = {
    f"{SAMPLE_OWNER}/tiny-notebook": {"stargazers_count": 12},
    f"{SAMPLE_OWNER}/abandoned-gan": {"pushed_at": "2021-02-01T00:00:00Z"},
    f"{SAMPLE_OWNER}/solo-project": {"contributors": 2},
    f"{SAMPLE_OWNER}/fresh-start": {"created_at": "2023-06-01T00:00:00Z", "commits": 8},
}
MISSING_CANDIDATE = f"{SAMPLE_OWNER}/deleted-repo"
NOT_ML_CANDIDATE = f"{SAMPLE_OWNER}/web-app"

_LABELS = ["bug", "documentation", "enhancement", "question", "dependencies", "performance"]
_TITLES = [
    "Training diverges with mixed precision",
    "Docs: tutorial notebook is out of date",
    "Incompatible with the latest numpy",
    "Pin the tensorflow version",
    "Model accuracy dropped after refactor",
    "Out of memory on large batches",
    "Support loading data from parquet",
    "Slow inference on CPU",
    "Flaky test in test_model.py",
    "Split the trainer into modules",
]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _commit_count(git_dir: Path) -> int:
    out = subprocess.run(
        ["git", "-C", str(git_dir), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


def build_stand_in(git_dirs: dict[str, Path]) -> GitHubStandIn:
    """A stand-in serving the sample's metadata and closed issues (not started)."""
    stand_in = GitHubStandIn(tokens=[SAMPLE_TOKEN])
    for index, spec in enumerate(SAMPLE_REPOS):
        rng = random.Random(spec.seed)
        repo = stand_in.add_repository(
            spec.repo_id,
            created_at="2019-01-07T09:00:00Z",
            pushed_at=_iso(SNAPSHOT - timedelta(days=3 + 20 * index)),
            updated_at=_iso(SNAPSHOT - timedelta(days=1)),
            stargazers_count=[2400, 650, 180][index],
            subscribers_count=[90, 31, 12][index],
            forks_count=[400, 120, 30][index],
            open_issues_count=[25, 9, 4][index],
            size=[48000, 9100, 2300][index],
            topics=["machine-learning", "deep-learning"],
            commits=_commit_count(git_dirs[spec.repo_id]),
            contributors=[45, 12, 5][index],
        )
        start = datetime(2019, 2, 1, tzinfo=UTC)
        for number in range(1, spec.commits // 2 + 1):
            created = start + timedelta(hours=number * 29 + rng.randint(0, 20))
            # Closure times are skewed as in the study: most close within days, a few take years.
            days_open = rng.choice([0, 0, 1, 2, 3, 6, 13, 30, 90, 400])
            closed = created + timedelta(days=days_open, hours=rng.randint(1, 20))
            is_pr = number % 3 == 0
            repo.add_issue(
                number,
                created_at=_iso(created),
                closed_at=_iso(closed),
                title=f"{rng.choice(_TITLES)} (#{number})",
                body=None if number % 17 == 0 else f"Sample issue {number} of {spec.repo_id}.",
                user=None if number % 23 == 0 else rng.choice(["ada", "linus", "grace", "alan"]),
                labels=rng.sample(_LABELS, k=rng.randint(0, 2)),
                assignees=rng.sample(["ada", "grace"], k=rng.randint(0, 1)),
                comments=rng.randint(0, 8),
                state_reason="completed" if number % 7 else "not_planned",
                pull_request=is_pr,
                merged_at=_iso(closed) if is_pr and number % 2 else None,
            )
    for offset, (repo_id, fields) in enumerate(FAILING_CANDIDATES.items()):
        values = {
            "created_at": "2018-03-01T00:00:00Z",
            "pushed_at": _iso(SNAPSHOT - timedelta(days=10)),
            "stargazers_count": 300,
            "commits": 120,
            "contributors": 9,
            "id": 9000 + offset,
        }
        values.update(fields)
        stand_in.add_repository(repo_id, **values)
    stand_in.add_repository(NOT_ML_CANDIDATE, stargazers_count=5000, commits=900, contributors=40)
    return stand_in


def write_candidate_list(path: Path) -> Path:
    """The sample's candidate list, in the study corpus's format (ProjectName, ProjectType)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [("ProjectName", "ProjectType")]
    rows += [
        (spec.repo_id, "Applied" if i % 2 == 0 else "Tool") for i, spec in enumerate(SAMPLE_REPOS)
    ]
    rows += [(repo_id, "Applied") for repo_id in FAILING_CANDIDATES]
    rows += [(MISSING_CANDIDATE, "Tool"), (NOT_ML_CANDIDATE, "NonML"), ("not a repository", "Tool")]
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_inspection_decisions(path: Path) -> Path:
    """The reviewer's manual inspection (section 2.1) of the candidates that pass the criteria."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["repo_id", "decision", "note"])
        for spec in SAMPLE_REPOS:
            writer.writerow([spec.repo_id, "include", "SAMPLE: training and test code present"])
    return path
