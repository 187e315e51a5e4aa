"""Shallow clones (``git clone --depth``): git shows their oldest commit without its parents, so a
miner would land it as a root whose every file is added. They are refused, and rows landed from one
before that are re-mined once the repository is whole."""

import subprocess

import pytest

import landing
from extract.cli import main as mms_extract
from extract.git import gitcmd
from extract.git.miner import GitMiningError, mine_repository
from tests.extract.git.test_miner import assert_matches_git, landed


def _history(repo, commits=6):
    repo.write("big.txt", "".join(f"line {i}\n" for i in range(500)))
    for i in range(commits):
        repo.write(f"f{i}.txt", f"{i}\n")
        repo.write("big.txt", "".join(f"line {j}\n" for j in range(500 + i)))
        repo.commit(f"commit {i}")
    return repo


def _clone(*args: str) -> None:
    subprocess.run(["git", "clone", "-q", *args], check=True, capture_output=True)


def _is_shallow(path) -> bool:
    out = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"], cwd=path, capture_output=True, text=True
    )
    return out.stdout.strip() == "true"


@pytest.fixture
def shallow(make_repo, tmp_path):
    """A clone of a six-commit repository holding only its last two commits."""
    full = _history(make_repo("full"))
    _clone("--depth", "2", f"file://{full.path}", str(tmp_path / "shallow"))
    assert _is_shallow(tmp_path / "shallow")
    return full, tmp_path / "shallow"


def test_a_shallow_source_is_refused_with_one_line_naming_it(shallow, tmp_path, capsys):
    _, clone = shallow
    root = tmp_path / "landing"
    with pytest.raises(GitMiningError, match="shallow clone") as info:
        mine_repository("acme/widgets", clone, root)
    assert str(clone) in str(info.value) and "\n" not in str(info.value)
    assert landing.read_partition(root, "git/commits", "acme/widgets") is None
    args = ["--landing-dir", str(root), "git", "mine", "acme/widgets", "--source", str(clone)]
    assert mms_extract(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: acme/widgets: source ") and "shallow clone" in err[-1]
    assert len([line for line in err if line.startswith("error")]) == 1


def test_a_url_whose_remote_is_shallow_is_refused(shallow, tmp_path):
    _, clone = shallow
    with pytest.raises(GitMiningError, match="shallow") as info:
        mine_repository(
            "acme/widgets", f"file://{clone}", tmp_path / "landing", mirror_dir=tmp_path / "m"
        )
    assert f"file://{clone}" in str(info.value)
    assert landing.read_partition(tmp_path / "landing", "git/commits", "acme/widgets") is None


def test_a_shallow_mirror_of_a_whole_remote_is_completed_and_mined_whole(shallow, truth, tmp_path):
    """The mirror directory is ours: a shallow mirror left there (seeded by hand, say) is
    completed by the fetch that refreshes it anyway."""
    full, _ = shallow
    mirror = tmp_path / "m" / "acme__widgets.git"
    mirror.parent.mkdir()
    _clone("--bare", "--depth", "1", f"file://{full.path}", str(mirror))
    assert _is_shallow(mirror)
    root = tmp_path / "landing"
    result = mine_repository("acme/widgets", f"file://{full.path}", root, mirror_dir=mirror.parent)
    assert not _is_shallow(mirror)
    assert result.commits == 6
    assert_matches_git(truth, root, full.path)


@pytest.mark.parametrize("head_moved", [False, True], ids=["same-head", "head-moved"])
def test_rows_landed_from_a_shallow_clone_are_re_mined_once_it_is_unshallowed(
    shallow, truth, tmp_path, monkeypatch, head_moved
):
    """Rows landed from a shallow clone (before shallow sources were refused) hold a fabricated
    root: its parents missing and every file of its tree added. Once the clone is whole, the next
    run sees a landed root that git now gives parents, and re-mines in full."""
    full, clone = shallow
    root = tmp_path / "landing"
    with monkeypatch.context() as patch:
        patch.setattr(gitcmd, "is_shallow", lambda git_dir, **_: False, raising=False)
        first = mine_repository("acme/widgets", clone, root)
    assert first.commits == 2
    boundary = (clone / ".git" / "shallow").read_text().split()[0]
    fabricated = {r["commit_hash"]: r for r in landed(root, "git/commits")}[boundary]
    assert fabricated["parent_hashes"] == []
    subprocess.run(["git", "fetch", "-q", "--unshallow"], cwd=clone, check=True)
    if head_moved:
        (clone / "later.txt").write_text("later\n")
        subprocess.run(["git", "add", "-A"], cwd=clone, check=True)
        subprocess.run(
            ["git", "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "later"],
            cwd=clone,
            check=True,
        )
    again = mine_repository("acme/widgets", clone, root)
    assert again.mode == "full" and again.commits == 6 + head_moved
    rows = {r["commit_hash"]: r for r in landed(root, "git/commits")}
    assert rows[boundary]["parent_hashes"] == truth.commit(clone, boundary)["parents"] != []
    assert_matches_git(truth, root, clone)
