"""Versions of what is landed: the same rows landed again are the same version, other rows are
another (Dagster's data versions of the extraction assets and annotation sources are these)."""

from datetime import UTC, datetime

import pyarrow as pa
import pytest

import landing
from landing.versions import NOTHING_LANDED, commit_version, table_version


def _commit(root, repo_id, hashes, with_data=True):
    data = {
        "git/commits": pa.Table.from_pylist(
            [{"repo_id": repo_id, "commit_hash": h, "parent_hashes": []} for h in hashes],
            schema=landing.SCHEMAS["git/commits"],
        ),
        "git/modified_files": pa.Table.from_pylist(
            [], schema=landing.SCHEMAS["git/modified_files"]
        ),
    }
    row = {"repo_id": repo_id, "commits": len(hashes), "extracted_at": datetime.now(UTC)}
    return landing.commit_repository(
        root, "git/extractions", repo_id, row, data if with_data else None
    )


def _labels(root, rater, label, imported_at):
    rows = pa.Table.from_pylist(
        [{"frame": "commits", "item_key": "o/n@abc", "rater": rater, "label": label,
          "imported_at": imported_at}],
        schema=landing.SCHEMAS["annotations/labels"],
    )  # fmt: skip
    landing.write_keyed(root, "annotations/labels", f"commits__{rater}", rows)


def test_a_refresh_with_nothing_new_keeps_the_version_new_commits_change_it(tmp_path):
    assert commit_version(tmp_path, "git/extractions", "o/n") == NOTHING_LANDED
    first = _commit(tmp_path, "o/n", ["a"])
    version = commit_version(tmp_path, "git/extractions", "o/n")
    assert version == first.generation
    _commit(tmp_path, "o/n", ["a"], with_data=False)  # nothing new: only the commit row again
    assert commit_version(tmp_path, "git/extractions", "o/n") == version
    _commit(tmp_path, "o/n", ["a", "b"])
    assert commit_version(tmp_path, "git/extractions", "o/n") != version
    with pytest.raises(KeyError, match="not a commit table"):
        commit_version(tmp_path, "git/commits", "o/n")


def test_the_same_labels_imported_again_are_the_same_version_other_labels_are_not(tmp_path):
    landing.ensure_landing(tmp_path)
    assert table_version(tmp_path, "annotations/labels") == NOTHING_LANDED
    _labels(tmp_path, "r1", "Testing", datetime(2026, 1, 1, tzinfo=UTC))
    version = table_version(tmp_path, "annotations/labels")
    _labels(tmp_path, "r1", "Testing", datetime(2026, 2, 1, tzinfo=UTC))
    assert table_version(tmp_path, "annotations/labels") == version
    _labels(tmp_path, "r1", "Refactoring", datetime(2026, 2, 1, tzinfo=UTC))
    changed = table_version(tmp_path, "annotations/labels")
    assert changed != version
    _labels(tmp_path, "r2", "Refactoring", datetime(2026, 2, 1, tzinfo=UTC))
    assert table_version(tmp_path, "annotations/labels") not in (version, changed)
    with pytest.raises(KeyError, match="landed in commits"):
        table_version(tmp_path, "git/commits")
