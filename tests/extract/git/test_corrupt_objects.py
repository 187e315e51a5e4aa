"""A corrupt object (stored, but git cannot read it) is not a missing one: only an object the
repository does not have at all may be recorded as undiffable (``--missing-objects record``); a
corrupt one fails the run with one line naming it, whatever the policy."""

import os
import subprocess
import zlib

import pytest

import landing
from extract.cli import main as mms_extract
from extract.git import gitlog
from extract.git.miner import GitMiningError, mine_repository
from extract.git.options import MiningOptions
from tests.extract.git.test_miner import landed


def _blob_file(repo, blob):
    return repo.path / ".git" / "objects" / blob[:2] / blob[2:]


def _corrupt(repo, blob, how):
    """Damage a loose object in place: its zlib header (git's ``--batch-check`` then calls it
    missing) or its body (the header still reads, the content does not)."""
    path = _blob_file(repo, blob)
    raw = path.read_bytes()
    os.chmod(path, 0o644)
    if how == "header":
        path.write_bytes(b"garbage, not zlib\n")
    else:
        assert len(zlib.decompress(raw)) > 2000  # the header is in the first bytes
        path.write_bytes(raw[: len(raw) // 4])


def _repository(make_repo):
    """first, then a commit adding data.txt (whose blob is damaged), then one after it."""
    repo = make_repo()
    repo.write("keep.txt", "k\n")
    repo.commit("first")
    repo.write("data.txt", "".join(f"value {i}\n" for i in range(1000)))
    broken = repo.commit("adds the blob that gets damaged")
    repo.write("keep.txt", "k2\n")
    repo.commit("after")
    blob = repo.git("rev-parse", f"{broken}:data.txt").decode().strip()
    return repo, broken, blob


@pytest.mark.parametrize("how", ["header", "body"])
@pytest.mark.parametrize("policy", ["fail", "record"])
@pytest.mark.parametrize("prescan", [True, False], ids=["first-pass", "restart"])
def test_a_corrupt_object_fails_with_one_line_and_is_never_recorded(
    make_repo, tmp_path, monkeypatch, how, policy, prescan
):
    if not prescan:
        monkeypatch.setattr(gitlog.DiffTreePool, "_suspect_commits", lambda self: set())
    repo, broken, blob = _repository(make_repo)
    root = tmp_path / "landing"
    first = repo.git("rev-list", "--max-parents=0", "HEAD").decode().strip()
    mine_repository("acme/widgets", repo.path, root, MiningOptions(ref=first))
    before = landed(root, "git/commits")
    _corrupt(repo, blob, how)
    with pytest.raises(GitMiningError) as info:
        mine_repository("acme/widgets", repo.path, root, MiningOptions(missing_objects=policy))
    message = str(info.value)
    assert "\n" not in message
    assert message == (
        f"acme/widgets: commit {broken} reads object {blob}, which is corrupt (stored but "
        f"unreadable; only an absent object may be recorded) in {repo.path / '.git'}; nothing was "
        "landed by this run; repair the repository (git fsck) or mine a fresh clone"
    )
    assert landed(root, "git/commits") == before


def test_the_cli_refuses_a_corrupt_object_under_record_with_exit_1(make_repo, tmp_path, capsys):
    repo, broken, blob = _repository(make_repo)
    _corrupt(repo, blob, "header")
    root = tmp_path / "landing"
    args = ["--landing-dir", str(root), "git", "mine", "acme/widgets", "--source", str(repo.path)]
    assert mms_extract([*args, "--missing-objects", "record"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(
        f"error: acme/widgets: commit {broken} reads object {blob}, which is corrupt"
    )
    assert not any(line.startswith(("error: inflate", "fatal:")) for line in err)
    assert landing.read_partition(root, "git/commits", "acme/widgets") is None


def test_a_missing_object_still_fails_with_one_line_or_is_recorded(make_repo, tmp_path):
    """The absent object of the same commit: one line naming it under fail, recorded under record."""
    repo, broken, blob = _repository(make_repo)
    _blob_file(repo, blob).unlink()
    root = tmp_path / "landing"
    with pytest.raises(GitMiningError) as info:
        mine_repository("acme/widgets", repo.path, root)
    message = str(info.value)
    assert "\n" not in message and f"missing object {blob}" in message and broken in message
    result = mine_repository(
        "acme/widgets", repo.path, root, MiningOptions(missing_objects="record")
    )
    assert result.undiffable_commits == [broken]


def test_a_commit_reading_a_missing_and_a_corrupt_object_is_not_recorded(make_repo, tmp_path):
    """git stops at the first object it cannot read; the absent one must not hide the corrupt one."""
    repo = make_repo()
    repo.write("keep.txt", "k\n")
    repo.commit("first")
    repo.write("a-gone.txt", "".join(f"gone {i}\n" for i in range(1000)))
    repo.write("b-corrupt.txt", "".join(f"bad {i}\n" for i in range(1000)))
    broken = repo.commit("adds two blobs")
    gone = repo.git("rev-parse", f"{broken}:a-gone.txt").decode().strip()
    bad = repo.git("rev-parse", f"{broken}:b-corrupt.txt").decode().strip()
    _blob_file(repo, gone).unlink()
    _corrupt(repo, bad, "body")
    with pytest.raises(GitMiningError, match=f"reads object {bad}, which is corrupt"):
        mine_repository(
            "acme/widgets", repo.path, tmp_path / "landing", MiningOptions(missing_objects="record")
        )
    subprocess.run(["git", "cat-file", "-e", bad], cwd=repo.path, check=True)  # still stored
