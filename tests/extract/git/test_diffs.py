"""`mms-extract git diffs`: per-commit diff summaries of a mined repository's model-file commits."""

from __future__ import annotations

from pathlib import Path

import landing
from extract.cli import main as mms_extract
from extract.git.diffs import SUMMARY_VERSION, TABLE

DJANGO_MODEL = """from django.db import models


class Reimbursement(models.Model):
    value = models.DecimalField()
"""
TORCH_MODEL = """import torch
from torch import nn


class Tacotron(nn.Module):
    def forward(self, inputs):
        return self.decoder(inputs)
"""


def _mine(repo, root: Path) -> None:
    args = ["--landing-dir", str(root), "git", "mine", "acme/widgets", "--source", str(repo.path)]
    assert mms_extract(args) == 0


def _diffs(repo, root: Path) -> int:
    args = ["--landing-dir", str(root), "git", "diffs", "acme/widgets", "--source", str(repo.path)]
    return mms_extract(args)


def _rows(root: Path) -> dict[str, dict]:
    table = landing.read_partition(root, TABLE, "acme/widgets")
    return {row["commit_hash"]: row for row in table.to_pylist()}


def test_summaries_say_what_the_model_files_import_define_and_change(make_repo, tmp_path, capsys):
    repo = make_repo()
    repo.write("README.md", "widgets\n")
    plain = repo.commit("docs only: not a model-file commit")
    repo.write("web/models.py", DJANGO_MODEL)
    django = repo.commit("Add reimbursement table")
    repo.write("tts/model.py", TORCH_MODEL)
    repo.write("tests/test_forward.py", "def test_forward():\n    assert run_forward()\n")
    torch_commit = repo.commit("New tacotron")
    repo.write("tts/model.py", TORCH_MODEL.replace("self.decoder(inputs)", "self.postnet(x)"))
    changed = repo.commit("Use the postnet")
    root = tmp_path / "landing"
    _mine(repo, root)
    assert _diffs(repo, root) == 0
    assert "3 model-file commits: 3 summarised, 0 kept" in capsys.readouterr().out
    rows = _rows(root)
    assert set(rows) == {django, torch_commit, changed} and plain not in rows
    assert rows[django]["model_file_imports"] == ["django.db"]
    assert rows[django]["model_file_class_bases"] == ["models.model"]
    assert rows[torch_commit]["model_file_imports"] == ["torch"]
    assert rows[torch_commit]["model_file_class_bases"] == ["nn.module"]
    assert "run_forward" in rows[torch_commit]["other_added_identifiers"]
    assert "run_forward" not in rows[torch_commit]["model_added_identifiers"]
    assert "postnet" in rows[changed]["model_added_identifiers"]
    assert "decoder" in rows[changed]["model_removed_identifiers"]
    assert (
        rows[changed]["added_imports"] == [] and rows[changed]["summary_version"] == SUMMARY_VERSION
    )


def test_a_rerun_keeps_what_it_summarised_and_adds_new_commits(make_repo, tmp_path, capsys):
    repo = make_repo()
    repo.write("model.py", TORCH_MODEL)
    first = repo.commit("one")
    root = tmp_path / "landing"
    _mine(repo, root)
    assert _diffs(repo, root) == 0
    before = _rows(root)
    assert _diffs(repo, root) == 0
    assert _rows(root) == before  # idempotent: same rows, same summarised_at
    repo.write("model.py", TORCH_MODEL + "\n# more\n")
    second = repo.commit("two")
    _mine(repo, root)
    capsys.readouterr()
    assert _diffs(repo, root) == 0
    assert "2 model-file commits: 1 summarised, 1 kept" in capsys.readouterr().out
    after = _rows(root)
    assert after[first] == before[first] and second in after


def test_a_missing_blob_leaves_that_file_out_not_the_commit(make_repo, tmp_path):
    """Snapshots lack files of 4 MiB and more: git cannot diff them, the rest of the commit counts."""
    repo = make_repo()
    repo.write("model.py", TORCH_MODEL)
    repo.write("weights/model_big.txt", "pretend these are large weights\n")
    commit = repo.commit("Add model and weights")
    root = tmp_path / "landing"
    _mine(repo, root)
    blob = repo.git("rev-parse", f"{commit}:weights/model_big.txt").decode().strip()
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    assert _diffs(repo, root) == 0
    row = _rows(root)[commit]
    assert row["model_file_class_bases"] == ["nn.module"]
    assert "forward" in row["model_added_identifiers"]


def test_a_repository_never_mined_is_one_line_naming_it(make_repo, tmp_path, capsys):
    repo = make_repo()
    repo.write("model.py", TORCH_MODEL)
    repo.commit("one")
    assert _diffs(repo, tmp_path / "landing") == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "acme/widgets" in err and "git mine" in err
