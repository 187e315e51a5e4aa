"""Staging copies the landing zone into the warehouse incrementally, one repository commit at a time:
after any change (a re-mined repository, a deleted one, a quarantined file) an incremental build
holds exactly what a full rebuild would, and reads only the repositories that changed."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pytest

import landing
from demo.study_data import Scale, generate

from .conftest import dbt, make_env, query

# three dbt builds of the staging models
pytestmark = pytest.mark.slow

TINY = Scale(
    selected_projects=4,
    excluded_by_inspection=1,
    failing_candidates=2,
    commits=600,
    issues=200,
)
STAGED = {
    "stg_git__commits": "select repo_id, commit_hash, insertions from stg_git__commits",
    "stg_git__modified_files": "select repo_id, commit_hash, file_index from stg_git__modified_files",
    "stg_github__issues": "select repo_id, issue_number, title from stg_github__issues",
    "stg_github__pull_requests": "select repo_id, pull_request_number from stg_github__pull_requests",
    "stg_github__repositories": "select repo_id, stars from stg_github__repositories",
}


def _staged(env):
    return {name: sorted(query(env, sql)) for name, sql in STAGED.items()}


def _recommit(root, repo_id, keep_every=2):
    """Re-land a repository's git tables with every other commit (a force-push, say)."""
    commits = landing.read_partition(root, "git/commits", repo_id)
    files = landing.read_partition(root, "git/modified_files", repo_id)
    kept = commits.slice(0, commits.num_rows // keep_every)
    hashes = kept["commit_hash"]
    landing.commit_repository(
        root,
        "git/extractions",
        repo_id,
        {"repo_id": repo_id, "mode": "full", "extracted_at": dt.datetime.now(dt.UTC)},
        {
            "git/commits": kept,
            "git/modified_files": files.filter(pc.is_in(files["commit_hash"], hashes)),
        },
    )
    return kept.num_rows


def test_incremental_staging_equals_a_full_rebuild_after_every_kind_of_change(tmp_path):
    root = tmp_path / "landing"
    generate(root, TINY, seed=5)
    env = make_env(tmp_path, root, "incremental")
    dbt(env, "build", "--select", "path:models/staging", "--indirect-selection", "cautious")
    repos = [r[0] for r in query(env, "select distinct repo_id from stg_git__commits order by 1")]
    assert len(repos) == TINY.selected_projects
    re_mined, deleted, quarantined = repos[0], repos[1], repos[2]

    kept = _recommit(root, re_mined)
    landing.delete_partition(root, "git/extractions", deleted)
    # Metadata: one repository re-fetched with other values, one candidate's file gone.
    metadata = landing.read_partition(root, "github/repositories", re_mined)
    landing.write_partition(
        root,
        "github/repositories",
        re_mined,
        metadata.set_column(
            metadata.schema.get_field_index("stargazers_count"), "stargazers_count", [[123456]]
        ),
    )
    landing.delete_partition(root, "github/repositories", deleted)
    bad = landing.current_path(root, "github/issues", quarantined)
    (root / landing.QUARANTINE_DIR).mkdir()
    shutil.move(bad, root / landing.QUARANTINE_DIR / bad.name)

    run = dbt(env, "build", "--select", "path:models/staging", "--indirect-selection", "cautious")
    incremental = _staged(env)
    # Only the re-mined repository's files were read again.
    compiled = (
        Path(env["MMS_DBT_TARGET"])
        / "compiled/model_management/models/staging/git/stg_git__commits.sql"
    ).read_text()
    read = sorted(set(re.findall(r"git/commits/([^'/*]+\.parquet)", compiled)))
    assert read == ["_schema.parquet", landing.current_path(root, "git/commits", re_mined).name]
    compiled = (
        Path(env["MMS_DBT_TARGET"])
        / "compiled/model_management/models/staging/github/stg_github__repositories.sql"
    ).read_text()
    read = sorted(set(re.findall(r"github/repositories/([^'/*]+\.parquet)", compiled)))
    assert read == ["_schema.parquet", f"{re_mined.replace('/', '__')}.parquet"]
    assert query(
        env, f"select stars from stg_github__repositories where repo_id = '{re_mined}'"
    ) == [(123456,)]
    assert query(env, f"select count(*) from stg_git__commits where repo_id = '{re_mined}'") == [
        (kept,)
    ]
    assert query(env, f"select count(*) from stg_git__commits where repo_id = '{deleted}'") == [
        (0,)
    ]
    assert query(
        env, f"select count(*) from stg_github__issues where repo_id = '{quarantined}'"
    ) == [(0,)]
    assert query(env, "select repo_id from stg_github__issue_crawls where not is_readable") == [
        (quarantined,)
    ]
    assert (
        "WARN" in run.stdout
        and "accepted_values_stg_github__issue_crawls_is_readable" in run.stdout
    )

    full = make_env(tmp_path, root, "full")
    dbt(full, "build", "--select", "path:models/staging", "--indirect-selection", "cautious")
    assert incremental == _staged(full)
