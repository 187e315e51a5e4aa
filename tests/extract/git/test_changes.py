"""Whether a repository has commits not landed yet, asked without fetching or landing anything."""

import pytest

import landing
from extract.git.changes import commit_news, source_head
from extract.git.miner import mine_repository
from extract.git.records import GitMiningError


def _files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("as_url", [False, True])
def test_news_is_a_moved_head_and_asking_changes_nothing(make_repo, tmp_path, as_url):
    repo = make_repo()
    repo.write("model.py", "w = 1\n")
    repo.commit("first")
    source = f"file://{repo.path}/.git" if as_url else str(repo.path)
    root = tmp_path / "landing"
    first = commit_news("acme/widgets", source, root)
    assert (first.changed, first.reason) == (True, "never mined")

    mine_repository("acme/widgets", source, root, mirror_dir=tmp_path / "mirrors")
    before = _files(root)
    quiet = commit_news("acme/widgets", source, root)
    assert (quiet.changed, quiet.reason) == (False, "head unchanged")
    assert _files(root) == before  # asking lands nothing, not even the commit row

    repo.write("model.py", "w = 2\n")
    new_head = repo.commit("second")
    news = commit_news("acme/widgets", source, root)
    assert news.changed and news.reason.endswith(f"to {new_head[:12]}")
    assert source_head("acme/widgets", source) == new_head


def test_an_unreadable_source_is_an_error_naming_the_repository(tmp_path):
    root = tmp_path / "landing"
    landing.ensure_landing(root)
    source = tmp_path / "src"
    source.mkdir()
    with pytest.raises(GitMiningError, match="acme/gone"):
        source_head("acme/gone", f"file://{tmp_path}/missing.git")
    with pytest.raises(GitMiningError, match="acme/gone"):
        source_head("acme/gone", str(source))
