"""Generate landing data shaped like the study's (section 2), at any scale, for tests and benchmarks.

Writes, through the landing package, the candidate list, repository metadata, commits, modified files,
closed issues and pull requests, and a reviewer file of the manual inspection. Activity is skewed the
way GitHub is (a Zipf-like law: a few projects hold most commits and issues); about one modified
file in eight has a path containing a Table 2 keyword, and about 0.1% of commits have an empty
message, as in the study.

    uv run python -m demo.study_data --landing-dir /tmp/landing            # study scale
    uv run python -m demo.study_data --landing-dir /tmp/l --scale 0.01       # 1%
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import landing
from demo import truth

UTC = dt.UTC
SNAPSHOT = dt.datetime(2023, 9, 30, tzinfo=UTC)

_DIRS = [
    "src", "lib", "core", "utils", "docs", "tests", "examples", "scripts", "api", "data", "io",
    "tools", "notebooks", "benchmarks", "config", "ops", "web", "cli", "vision", "text",
    "models", "training", "learners", "predictors", "nn",
]  # fmt: skip
_FILES = [
    "__init__.py", "utils.py", "README.md", "setup.py", "config.yaml", "io.py", "loader.py",
    "cli.py", "index.rst", "requirements.txt", "conftest.py", "main.cpp", "helpers.h",
    "api.ts", "Dockerfile", "CHANGELOG.md", "test_io.py", "plot.py", "tokenizer.py",
    "metrics.py", "layers.py", "ops.cu", "dataset.py", "transforms.py", "schema.json",
    "model.py", "Model.java", "train.py", "remodel.txt", "svm.py", "knn_test.py",
    "random_forest.py", "LinearRegression.scala", "learning_rate.md", "predict.py",
]  # fmt: skip


@dataclass(frozen=True)
class Scale:
    selected_projects: int = 227
    excluded_by_inspection: int = 138
    failing_candidates: int = 3666
    commits: int = 660_000
    issues: int = 377_000
    pull_request_ratio: float = 0.3
    empty_message_ratio: float = 0.0011
    mean_files_per_commit: float = 4.76

    @classmethod
    def fraction(cls, f: float) -> Scale:
        base = cls()
        return cls(
            selected_projects=max(3, round(base.selected_projects * f)),
            excluded_by_inspection=max(1, round(base.excluded_by_inspection * f)),
            failing_candidates=max(2, round(base.failing_candidates * f)),
            commits=max(50, round(base.commits * f)),
            issues=max(30, round(base.issues * f)),
        )


def _skewed_counts(rng: np.random.Generator, total: int, groups: int, minimum: int) -> np.ndarray:
    """Split ``total`` over ``groups`` with a Zipf-like skew, each group getting at least ``minimum``."""
    weights = 1.0 / np.arange(1, groups + 1) ** 1.1
    rng.shuffle(weights)
    spare = max(0, total - minimum * groups)
    counts = minimum + np.floor(weights / weights.sum() * spare).astype(np.int64)
    counts[np.argmax(weights)] += total - counts.sum()
    return counts


def _ts(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype("datetime64[us]"), type=pa.timestamp("us")).cast(
        pa.timestamp("us", tz="UTC")
    )


def _conform(table: pa.Table, name: str) -> pa.Table:
    """Add the contract's columns the generator does not fill (as nulls), so a schema that grows
    a column does not break the generator."""
    for field in landing.SCHEMAS[name]:
        if field.name not in table.column_names:
            table = table.append_column(field, pa.nulls(len(table), field.type))
    return table.select(landing.SCHEMAS[name].names).cast(landing.SCHEMAS[name])


def _slices(table: pa.Table, counts: np.ndarray):
    offset = 0
    for count in counts:
        yield table.slice(offset, int(count))
        offset += int(count)


def generate(
    root: Path, scale: Scale = Scale(), seed: int = 2023, truth_dir: Path | None = None
) -> dict[str, int]:
    """Land a synthetic study into ``root``; returns the number of rows landed per table.

    The true labels of every commit and issue (demo/truth.py) go to ``truth_dir`` (default
    ``truth/`` beside ``root``): ``commits.parquet`` and ``issues.parquet``, outside the landing
    contract, for measuring the suggester and the estimates where the truth is known.
    """
    rng = np.random.default_rng(seed)
    text_rng = np.random.default_rng([seed, 10])
    root = Path(root)
    truth_dir = Path(truth_dir) if truth_dir is not None else root.parent / "truth"
    landing.ensure_landing(root)
    n_sel, n_exc, n_fail = (
        scale.selected_projects,
        scale.excluded_by_inspection,
        scale.failing_candidates,
    )
    n_all = n_sel + n_exc + n_fail
    repo_ids = [f"org{i % 97}/project-{i}" for i in range(n_all)]
    selected = repo_ids[:n_sel]
    now = pa.scalar(dt.datetime.now(UTC), type=pa.timestamp("us", tz="UTC"))

    # Candidate list: every project, plus one duplicate and one malformed row kept as invalid.
    raw = [*repo_ids, repo_ids[0], "not a repository"]
    valid = [True] * n_all + [False, False]
    candidates = pa.table(
        {
            "candidate_list": ["generated-candidates"] * len(raw),
            "line_number": pa.array(range(2, len(raw) + 2), pa.int32()),
            "raw_value": raw,
            "repo_id": [*repo_ids, None, None],
            "candidate_type": ["Applied"] * len(raw),
            "is_valid": valid,
            "problem": [None] * n_all + ["duplicate", "malformed repository id"],
            "loaded_at": pa.array([now.as_py()] * len(raw), pa.timestamp("us", tz="UTC")),
        }
    )
    table = "github/candidates"
    landing.write_atomic(
        landing.table_dir(root, table) / "generated-candidates.parquet",
        _conform(candidates, table),
    )

    # Repository metadata: selected and inspection-excluded projects pass every criterion; the
    # failing ones break one criterion each, in turn.
    age_days = rng.integers(400, 4900, n_all)
    push_days = np.minimum(rng.geometric(1 / 15, n_all), 99)
    stars = (130 + rng.lognormal(7.7, 1.3, n_all)).astype(np.int64)
    contributors = 4 + rng.lognormal(3.2, 1.1, n_all).astype(np.int64)
    commit_meta = 51 + rng.lognormal(7.0, 1.2, n_all).astype(np.int64)
    for k in range(n_fail):
        i, rule = n_sel + n_exc + k, k % 5
        if rule == 0:
            age_days[i] = rng.integers(10, 360)
        elif rule == 1:
            commit_meta[i] = rng.integers(1, 10)
        elif rule == 2:
            push_days[i] = rng.integers(101, 900)
        elif rule == 3:
            stars[i] = rng.integers(0, 100)
        else:
            contributors[i] = rng.integers(1, 4)
    snapshot = np.datetime64(SNAPSHOT.replace(tzinfo=None), "s")
    repositories = pa.table(
        {
            "repo_id": repo_ids,
            "status": ["ok"] * n_all,
            "status_detail": [None] * n_all,
            "github_id": np.arange(1000, 1000 + n_all),
            "full_name": repo_ids,
            "created_at": _ts(snapshot - age_days.astype("timedelta64[D]")),
            "pushed_at": _ts(snapshot - push_days.astype("timedelta64[D]")),
            "updated_at": _ts(snapshot - push_days.astype("timedelta64[D]")),
            "stargazers_count": stars,
            "watchers_count": stars,
            "subscribers_count": (stars * rng.uniform(0.01, 0.05, n_all)).astype(np.int64),
            "forks_count": (stars * rng.uniform(0.05, 0.4, n_all)).astype(np.int64),
            "open_issues_count": rng.integers(0, 400, n_all),
            "size_kb": (90 + rng.lognormal(10.5, 1.4, n_all)).astype(np.int64),
            "default_branch": ["main"] * n_all,
            "is_archived": [False] * n_all,
            "is_fork": [False] * n_all,
            "language": ["Python"] * n_all,
            "topics": [["machine-learning"]] * n_all,
            "commits_count": commit_meta,
            "contributors_count": contributors,
            "fetched_at": _ts(np.full(n_all, snapshot)),
            "api_base_url": ["https://api.github.com"] * n_all,
        }
    )
    repositories = _conform(repositories, "github/repositories")
    for repo_id, part in zip(repo_ids, _slices(repositories, np.ones(n_all)), strict=True):
        landing.write_partition(root, "github/repositories", repo_id, part)

    # The manual inspection: include the selected projects, exclude the others that pass.
    inspected = repo_ids[: n_sel + n_exc]
    inspections = pa.table(
        {
            "repo_id": inspected,
            "reviewer": ["generator"] * len(inspected),
            "decision": ["include"] * n_sel + ["exclude"] * n_exc,
            "note": ["training code in train.py"] * n_sel + ["no training code"] * n_exc,
            "source_file": ["generated"] * len(inspected),
            "row_number": pa.array(range(2, len(inspected) + 2), pa.int32()),
            "imported_at": pa.array([now.as_py()] * len(inspected), pa.timestamp("us", tz="UTC")),
        }
    )
    table = "annotations/project_inspections"
    landing.write_atomic(
        landing.table_dir(root, table) / "generator.parquet",
        _conform(inspections, table),
    )

    # Commits and modified files of the selected projects.
    commit_counts = _skewed_counts(rng, scale.commits, n_sel, 10)
    n_commits = int(commit_counts.sum())
    commit_repo = np.repeat(np.arange(n_sel), commit_counts)
    hashes = [f"{i:040x}" for i in range(n_commits)]
    files_per_commit = rng.geometric(1 / scale.mean_files_per_commit, n_commits).astype(np.int64)
    n_files = int(files_per_commit.sum())
    starts = np.concatenate([[0], np.cumsum(files_per_commit)[:-1]])
    file_commit = np.repeat(np.arange(n_commits), files_per_commit)
    file_index = np.arange(n_files) - np.repeat(starts, files_per_commit)
    dir_idx = rng.integers(0, len(_DIRS), n_files)
    # Most files sit in ordinary folders with ordinary names; keyword folders and names are rarer.
    ordinary_dirs = len(_DIRS) - 5
    dir_idx = np.where(rng.random(n_files) < 0.94, dir_idx % ordinary_dirs, dir_idx)
    file_idx = rng.integers(0, 25, n_files)
    file_idx = np.where(
        rng.random(n_files) < 0.07, rng.integers(25, len(_FILES), n_files), file_idx
    )
    paths = pc.binary_join_element_wise(
        pa.array(_DIRS).take(pa.array(dir_idx)),
        pa.array([f"sub{i}" for i in range(8)]).take(pa.array(rng.integers(0, 8, n_files))),
        pa.array(_FILES).take(pa.array(file_idx)),
        "/",
    )
    change = pa.array(["modify", "add", "delete", "rename"]).take(
        pa.array(rng.choice(4, n_files, p=[0.7, 0.18, 0.07, 0.05]))
    )
    is_add, is_delete = pc.equal(change, "add"), pc.equal(change, "delete")
    null_paths = pa.nulls(n_files, pa.string())
    added = rng.lognormal(2.0, 2.0, n_files).astype(np.int64)
    deleted = rng.lognormal(1.5, 2.0, n_files).astype(np.int64)
    file_hashes = pa.array(hashes).take(pa.array(file_commit))
    file_repo = np.repeat(commit_repo, files_per_commit)
    repo_arr = pa.array(selected)
    modified_files = pa.table(
        {
            "repo_id": repo_arr.take(pa.array(file_repo)),
            "commit_hash": file_hashes,
            "file_index": pa.array(file_index, pa.int32()),
            "change_type": change,
            "old_path": pc.if_else(is_add, null_paths, paths),
            "new_path": pc.if_else(is_delete, null_paths, paths),
            "added_lines": added,
            "deleted_lines": deleted,
            "is_binary": pa.array(np.zeros(n_files, bool)),
        }
    )
    empty = pa.array(rng.random(n_commits) < scale.empty_message_ratio)
    authored = snapshot - rng.integers(0, 3000 * 86400, n_commits).astype("timedelta64[s]")
    commit_years = authored.astype("datetime64[Y]").astype(int) + 1970
    ml, first, second = truth.draw_truth(text_rng, truth.ACTIVITIES, commit_years, commit_repo)
    messages = pa.array(truth.commit_text(text_rng, ml, first, second, commit_repo), pa.string())
    messages = pc.if_else(empty, pa.scalar(""), messages)
    truth.write_truth(
        truth_dir,
        "commits",
        truth.truth_table(
            {"repo_id": repo_arr.take(pa.array(commit_repo)), "commit_hash": pa.array(hashes)},
            truth.ACTIVITIES,
            ml,
            first,
            second,
        ),
    )
    commits = pa.table(
        {
            "repo_id": repo_arr.take(pa.array(commit_repo)),
            "commit_hash": hashes,
            "parent_hashes": pa.array([[]] * n_commits, pa.list_(pa.string())),
            "author_name": ["dev"] * n_commits,
            "author_email": ["dev@example.org"] * n_commits,
            "authored_at": _ts(authored),
            "author_tz_offset_minutes": pa.array(np.zeros(n_commits, np.int32)),
            "committer_name": ["dev"] * n_commits,
            "committer_email": ["dev@example.org"] * n_commits,
            "committed_at": _ts(authored),
            "committer_tz_offset_minutes": pa.array(np.zeros(n_commits, np.int32)),
            "message": messages,
            "message_decoding_replaced": pa.array(np.zeros(n_commits, bool)),
            "insertions": np.add.reduceat(added, starts),
            "deletions": np.add.reduceat(deleted, starts),
            "files_modified": pa.array(files_per_commit.astype(np.int32)),
        }
    )
    commits = _conform(commits, "git/commits")
    modified_files = _conform(modified_files, "git/modified_files")
    file_counts = np.bincount(file_repo, minlength=n_sel)
    for repo_id, c_part, f_part in zip(
        selected, _slices(commits, commit_counts), _slices(modified_files, file_counts), strict=True
    ):
        landing.commit_repository(
            root,
            "git/extractions",
            repo_id,
            {
                "repo_id": repo_id,
                "source": "generated",
                "mode": "full",
                "commits": c_part.num_rows,
                "modified_files": f_part.num_rows,
                "engine": "generated",
                "extracted_at": dt.datetime.now(dt.UTC),
            },
            {"git/commits": c_part, "git/modified_files": f_part},
        )

    # Closed issues and pull requests of the selected projects.
    n_prs = round(scale.issues * scale.pull_request_ratio)
    issue_counts = _skewed_counts(rng, scale.issues + n_prs, n_sel, 2)
    n_items = int(issue_counts.sum())
    item_repo = np.repeat(np.arange(n_sel), issue_counts)
    starts = np.concatenate([[0], np.cumsum(issue_counts)[:-1]])
    numbers = np.arange(n_items) - np.repeat(starts, issue_counts) + 1
    is_pr = rng.random(n_items) < n_prs / n_items
    created = snapshot - rng.integers(86400, 3000 * 86400, n_items).astype("timedelta64[s]")
    closure = np.minimum(rng.lognormal(11.9, 2.6, n_items), 1462 * 86400).astype("timedelta64[s]")
    repos = repo_arr.take(pa.array(item_repo))
    kinds = pa.array(np.where(is_pr, "pull", "issues"))
    urls = pc.binary_join_element_wise(
        "https://github.com", repos, kinds, pa.array(numbers.astype(str)), "/"
    )
    closed_years = (created + closure).astype("datetime64[Y]").astype(int) + 1970
    ml, first, second = truth.draw_truth(text_rng, truth.CHALLENGES, closed_years, item_repo)
    titles, bodies, github_labels = truth.issue_text(text_rng, ml, first, second, item_repo)
    truth.write_truth(
        truth_dir,
        "issues",
        truth.truth_table(
            {"repo_id": repos, "number": pa.array(numbers)}, truth.CHALLENGES, ml, first, second
        ),
    )
    assignee_count = rng.choice(3, n_items, p=[0.6, 0.38, 0.02])
    issues = pa.table(
        {
            "repo_id": repos,
            "number": numbers,
            "is_pull_request": is_pr,
            "title": pa.array(titles, pa.string()),
            "body": pa.array(bodies, pa.string()),
            "author_login": ["user"] * n_items,
            "state": ["closed"] * n_items,
            "state_reason": ["completed"] * n_items,
            "labels": pa.array(github_labels, pa.list_(pa.string())),
            "assignees": [["maintainer", "dev"][:k] for k in assignee_count],
            "comments_count": rng.poisson(3, n_items),
            "created_at": _ts(created),
            "updated_at": _ts(created + closure),
            "closed_at": _ts(created + closure),
            "closed_by_login": ["maintainer"] * n_items,
            "pull_request_merged_at": pc.if_else(
                pa.array(is_pr),
                _ts(created + closure),
                pa.nulls(n_items, pa.timestamp("us", "UTC")),
            ),
            "html_url": urls,
        }
    )
    issues = _conform(issues, "github/issues")
    for repo_id, part in zip(selected, _slices(issues, issue_counts), strict=True):
        landing.commit_repository(
            root,
            "github/issue_crawls",
            repo_id,
            {
                "repo_id": repo_id,
                "api_base_url": "generated",
                "status": "complete",
                "is_complete": True,
                "issues_landed": part.num_rows,
                "extracted_at": dt.datetime.now(dt.UTC),
            },
            {"github/issues": part},
        )

    return {
        "candidates": len(raw),
        "repositories": n_all,
        "selected_projects": n_sel,
        "commits": n_commits,
        "empty_message_commits": int(pc.sum(empty).as_py() or 0),
        "modified_files": n_files,
        "closed_issues": int((~is_pr).sum()),
        "closed_pull_requests": int(is_pr.sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing-dir", type=Path, required=True)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the study's size")
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args()
    started = time.perf_counter()
    scale = Scale() if args.scale == 1.0 else Scale.fraction(args.scale)
    counts = generate(args.landing_dir, scale, args.seed)
    print(f"{'table':<24}{'rows':>12}")
    for name, count in counts.items():
        print(f"{name:<24}{count:>12,}")
    print(f"generated in {time.perf_counter() - started:.1f} s into {args.landing_dir}")


if __name__ == "__main__":
    main()
