import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest

import landing
from extract.git import miner
from extract.git.gitlog import iter_commits
from extract.git.miner import GitMiningError, mine_repository
from extract.git.options import MiningOptions

WEIRD_PATHS = [
    "dir with space/file name.txt",
    "ünïcødé/файл.py",
    "quote\"d'name.md",
    "tab\there.txt",
    "new\nline.txt",
]


def build_varied(repo):
    """Renames, copies, binary files, a type change, merges (one octopus), odd messages and paths."""
    repo.write("a.py", "".join(f"line {i}\n" for i in range(40)))
    repo.write("bin.dat", bytes(range(256)) * 4)
    for name in WEIRD_PATHS:
        repo.write(name, f"content of {name}\n")
    repo.commit("root commit\n\nwith a body\n")
    repo.git("mv", "a.py", "b.py")
    repo.write("b.py", "".join(f"line {i}\n" for i in range(41)))
    repo.write("c.py", "".join(f"line {i}\n" for i in range(40)) + "extra\n")
    repo.write("bin.dat", bytes(range(255, -1, -1)) * 4)
    repo.commit("")  # empty message, kept raw
    latin1 = repo.raw_commit(b"caf\xe9 latin-1 without an encoding header\n")
    declared = repo.raw_commit(b"caf\xe9 latin-1 declared\n", encoding="ISO-8859-1")
    os.remove(repo.path / "dir with space/file name.txt")
    os.symlink("b.py", repo.path / "tab\there.txt.link")
    repo.commit("  spaces kept  \n\n\n")
    os.remove(repo.path / "tab\there.txt.link")
    repo.write("tab\there.txt.link", "now a file\n")
    repo.commit("type change")
    repo.commit("an empty commit: no file changed")
    for branch in ("x", "y", "z"):
        repo.git("checkout", "-q", "-b", branch, "main")
        repo.write(f"{branch}.txt", f"{branch}\n" * 3)
        repo.commit(f"work on {branch}")
    repo.git("checkout", "-q", "main")
    repo.write("main.txt", "main\n")
    repo.commit("main moves on")
    repo.git("merge", "-q", "--no-ff", "--no-edit", "x")
    repo.git("merge", "-q", "--no-ff", "--no-edit", "y", "z")  # octopus
    return repo.head(), latin1, declared


def landed(root, table, repo_id="acme/widgets"):
    return landing.read_partition(root, table, repo_id).to_pylist()


def assert_matches_git(truth, root, repo_dir, repo_id="acme/widgets", *, copies=False):
    commits = {row["commit_hash"]: row for row in landed(root, "git/commits", repo_id)}
    files: dict[str, list] = {}
    for row in landed(root, "git/modified_files", repo_id):
        files.setdefault(row["commit_hash"], []).append(row)
    expected = truth.all_commits(repo_dir)
    assert sorted(commits) == sorted(expected)
    for commit in expected:
        fact, row = truth.commit(repo_dir, commit, copies=copies), commits[commit]
        assert row["parent_hashes"] == fact["parents"]
        for who, prefix in (("author", "author"), ("committer", "committer")):
            name, email, seconds, offset = fact[who]
            assert row[f"{prefix}_name"] == name
            assert row[f"{prefix}_email"] == email
            stamp = row["authored_at" if who == "author" else "committed_at"]
            assert stamp == datetime.fromtimestamp(seconds, UTC)
            assert row[f"{prefix}_tz_offset_minutes"] == offset
        try:
            assert row["message"] == fact["message"].decode("utf-8")
            assert row["message_decoding_replaced"] is False
        except UnicodeDecodeError:
            assert row["message"] == fact["message"].decode("utf-8", "replace")
            assert row["message_decoding_replaced"] is True
        got = sorted(files.get(commit, []), key=lambda r: r["file_index"])
        assert [r["file_index"] for r in got] == list(range(len(got)))
        assert (
            [{k: r[k] for k in fact["files"][0]} for r in got] == fact["files"]
            if fact["files"]
            else got == []
        )
        assert row["files_modified"] == len(fact["files"])
        assert row["insertions"] == sum(f["added_lines"] for f in fact["files"])
        assert row["deletions"] == sum(f["deleted_lines"] for f in fact["files"])
    return commits, files


def test_every_field_matches_git_on_a_varied_repository(truth, make_repo, tmp_path):
    repo = make_repo()
    head, latin1, declared = build_varied(repo)
    result = mine_repository("acme/widgets", repo.path, tmp_path / "landing")
    assert (result.mode, result.mined_head, result.previous_head) == ("full", head, None)
    assert result.ref == "refs/heads/main"
    commits, files = assert_matches_git(truth, tmp_path / "landing", repo.path)
    assert result.commits == len(commits) == result.new_commits
    assert result.modified_files == sum(len(v) for v in files.values())
    kinds = {r["change_type"] for rows in files.values() for r in rows}
    # Renames only by default, as PyDriller: of b.py and c.py, both a.py plus a line, one is
    # a.py renamed and the other an addition of all its lines.
    assert kinds == {"ADD", "DELETE", "MODIFY", "RENAME", "TYPE_CHANGE"}
    assert sorted(from_a(files)) == [("ADD", None, 41), ("RENAME", "a.py", 1)]
    assert (result.detect_copies, extraction_options(tmp_path / "landing")) == (
        False,
        (False, "fail"),
    )
    assert any(r["is_binary"] for rows in files.values() for r in rows)
    paths = {r["new_path"] for rows in files.values() for r in rows}
    assert set(WEIRD_PATHS) - {"dir with space/file name.txt"} <= paths
    octopus = [c for c in commits.values() if len(c["parent_hashes"]) == 3]
    assert len(octopus) == 1 and octopus[0]["files_modified"] == 2  # y.txt, z.txt vs first parent
    assert any(c["message"] == "" for c in commits.values())
    replaced = [h for h, c in commits.items() if c["message_decoding_replaced"]]
    assert replaced == [latin1]
    assert commits[latin1]["message"] == "caf\ufffd latin-1 without an encoding header\n"
    assert commits[declared]["message"] == "café latin-1 declared\n"
    extraction = landed(tmp_path / "landing", "git/extractions")[0]
    assert extraction["mined_head"] == head and extraction["mode"] == "full"
    assert json.loads(extraction["tool_versions"])["git"]
    meta = pq.read_schema(result.paths["git/commits"]).metadata[miner.METADATA_KEY.encode()]
    assert json.loads(meta)["mined_head"] == head


def from_a(files):
    """(change type, old path, added lines) of b.py and c.py, both made from a.py."""
    rows = [r for rs in files.values() for r in rs if r["new_path"] in ("b.py", "c.py")]
    return [(r["change_type"], r["old_path"], r["added_lines"]) for r in rows]


def extraction_options(root):
    row = landed(root, "git/extractions")[0]
    return row["detect_copies"], row["missing_objects"]


def test_copy_detection_is_an_option_and_changing_it_re_mines(truth, make_repo, tmp_path):
    root = tmp_path / "landing"
    repo = make_repo()
    build_varied(repo)
    mine_repository("acme/widgets", repo.path, root)
    copies = mine_repository("acme/widgets", repo.path, root, MiningOptions(detect_copies=True))
    # Same head, but rows mined without copy detection cannot be reused: a full run.
    assert (copies.mode, copies.new_commits, copies.detect_copies) == ("full", copies.commits, True)
    commits, files = assert_matches_git(truth, root, repo.path, copies=True)
    # The copy's line counts are against its source: a.py (40 lines) plus one line.
    assert sorted(from_a(files)) == [("COPY", "a.py", 1), ("RENAME", "a.py", 1)]
    assert extraction_options(root) == (True, "fail")
    again = mine_repository("acme/widgets", repo.path, root, MiningOptions(detect_copies=True))
    assert again.mode == "unchanged"
    back = mine_repository("acme/widgets", repo.path, root)
    assert (back.mode, back.new_commits) == ("full", back.commits)
    assert_matches_git(truth, root, repo.path)


def test_a_commit_touching_5000_files(truth, make_repo, tmp_path):
    repo = make_repo()
    repo.write("seed", "x\n")
    repo.commit("seed")
    for i in range(5000):
        repo.write(f"pkg{i % 50}/m{i}.py", f"v = {i}\n")
    big = repo.commit("5000 files")
    mine_repository("acme/widgets", repo.path, tmp_path / "landing")
    commits, files = assert_matches_git(truth, tmp_path / "landing", repo.path)
    assert commits[big]["files_modified"] == 5000 == len(files[big])


def test_empty_repository_lands_empty_partitions(make_repo, tmp_path):
    repo = make_repo()
    result = mine_repository("acme/widgets", repo.path, tmp_path / "landing")
    assert (result.mined_head, result.commits, result.modified_files) == (None, 0, 0)
    assert landed(tmp_path / "landing", "git/commits") == []
    assert landed(tmp_path / "landing", "git/modified_files") == []
    assert landed(tmp_path / "landing", "git/extractions")[0]["mode"] == "full"


def test_one_commit_repository(truth, make_repo, tmp_path):
    repo = make_repo()
    repo.write("README", "hello\nworld\n")
    head = repo.commit("only")
    result = mine_repository("acme/widgets", str(repo.path / ".git"), tmp_path / "landing")
    commits, files = assert_matches_git(truth, tmp_path / "landing", repo.path)
    assert list(commits) == [head] and result.commits == 1
    assert files[head][0]["change_type"] == "ADD" and files[head][0]["added_lines"] == 2


def test_refresh_mines_only_new_commits_and_rerunning_is_idempotent(truth, make_repo, tmp_path):
    root = tmp_path / "landing"
    repo = make_repo()
    build_varied(repo)
    first = mine_repository("acme/widgets", repo.path, root)
    again = mine_repository("acme/widgets", repo.path, root)
    assert (again.mode, again.new_commits, again.commits) == ("unchanged", 0, first.commits)
    assert again.extracted_at > first.extracted_at
    repo.write("later.py", "one\ntwo\n")
    repo.commit("later")
    repo.write("later.py", "one\n")
    new_head = repo.commit("later still")
    seen = []
    refreshed = mine_repository("acme/widgets", repo.path, root, log=seen.append)
    assert (refreshed.mode, refreshed.new_commits, refreshed.dropped_commits) == (
        "incremental",
        2,
        0,
    )
    assert refreshed.previous_head == first.mined_head and refreshed.mined_head == new_head
    assert any("2 commits to mine" in line for line in seen)
    commits, _ = assert_matches_git(truth, root, repo.path)
    assert refreshed.commits == first.commits + 2 == len(commits)
    before = sorted(map(str, landed(root, "git/modified_files")), key=str)
    full = mine_repository("acme/widgets", repo.path, root, MiningOptions(full_refresh=True))
    assert full.mode == "full" and full.commits == refreshed.commits
    assert sorted(map(str, landed(root, "git/modified_files")), key=str) == before


def test_force_push_between_refreshes_drops_vanished_commits(truth, make_repo, tmp_path):
    root, mirrors = tmp_path / "landing", tmp_path / "mirrors"
    remote = make_repo("remote")
    remote.write("f.txt", "1\n")
    remote.commit("one")
    remote.write("f.txt", "2\n")
    remote.commit("two")
    remote.write("f.txt", "3\n")
    doomed = remote.commit("three")
    url = f"file://{remote.path}"
    first = mine_repository("acme/widgets", url, root, mirror_dir=mirrors)
    assert first.commits == 3 and first.source == url
    assert (mirrors / "acme__widgets.git").is_dir()
    remote.git("reset", "-q", "--hard", "HEAD~2")
    remote.write("g.txt", "new\n")
    remote.commit("rewritten")
    second = mine_repository("acme/widgets", url, root, mirror_dir=mirrors)
    assert (second.mode, second.dropped_commits, second.new_commits) == ("incremental", 2, 1)
    hashes = [r["commit_hash"] for r in landed(root, "git/commits")]
    assert doomed not in hashes and sorted(hashes) == sorted(truth.all_commits(remote.path))
    assert {r["commit_hash"] for r in landed(root, "git/modified_files")} <= set(hashes)
    assert_matches_git(truth, root, remote.path)


@pytest.mark.parametrize("bad", ["../x", "a/b/c", "-rf/x", "", "owner/..", "a/b.git"])
def test_invalid_repository_ids_are_refused_by_name(bad, make_repo, tmp_path):
    with pytest.raises(GitMiningError, match="invalid repository id|not a string"):
        mine_repository(bad, make_repo().path, tmp_path / "landing")
    assert not (tmp_path / "landing").exists()


def test_bad_sources_fail_naming_the_input_and_keep_what_was_landed(make_repo, tmp_path):
    root = tmp_path / "landing"
    repo = make_repo()
    repo.write("f", "x\n")
    repo.commit("x")
    mine_repository("acme/widgets", repo.path, root)
    before = landed(root, "git/commits")
    plain = tmp_path / "plain"
    plain.mkdir()
    inside = repo.path / "sub"
    inside.mkdir()
    cases = [
        (plain, "is not a git repository"),
        (inside, "is not a git repository"),  # never the enclosing repository
        (tmp_path / "absent", "is not a directory"),
    ]
    for source, message in cases:
        with pytest.raises(GitMiningError, match=message) as info:
            mine_repository("acme/widgets", source, root)
        assert "acme/widgets" in str(info.value) and str(source) in str(info.value)
    with pytest.raises(GitMiningError, match="cloning 'file:///nowhere/at/all'"):
        mine_repository("acme/widgets", "file:///nowhere/at/all", root, mirror_dir=tmp_path / "m")
    with pytest.raises(GitMiningError, match="'no-such-branch'"):
        mine_repository("acme/widgets", repo.path, root, MiningOptions(ref="no-such-branch"))
    with pytest.raises(GitMiningError, match="invalid ref '--output=/tmp/x'"):
        mine_repository("acme/widgets", repo.path, root, MiningOptions(ref="--output=/tmp/x"))
    assert landed(root, "git/commits") == before


def test_credentials_never_reach_errors_or_the_landing(tmp_path):
    url = "https://someone:s3cr3t-token@127.0.0.1:9/acme/widgets.git"
    with pytest.raises(GitMiningError) as info:
        mine_repository("acme/widgets", url, tmp_path / "landing", mirror_dir=tmp_path / "m")
    assert "s3cr3t" not in str(info.value) and "127.0.0.1:9/acme/widgets.git" in str(info.value)


def _drop_a_blob(repo):
    blob = repo.git("rev-parse", "HEAD:data.txt").decode().strip()
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    return blob


def test_a_missing_object_fails_naming_repository_commit_and_object(make_repo, tmp_path):
    root = tmp_path / "landing"
    repo = make_repo()
    repo.write("keep.txt", "k\n")
    repo.commit("first")
    mine_repository("acme/widgets", repo.path, root)
    before = landed(root, "git/commits")
    repo.write("data.txt", "lost\n")
    broken = repo.commit("adds a blob that goes missing")
    repo.write("keep.txt", "k2\n")
    repo.commit("after")
    blob = _drop_a_blob(repo)
    with pytest.raises(GitMiningError) as info:
        mine_repository("acme/widgets", repo.path, root, MiningOptions(full_refresh=True))
    assert "acme/widgets" in str(info.value) and broken in str(info.value)
    assert blob in str(info.value)
    assert landed(root, "git/commits") == before


def test_missing_objects_can_be_recorded_with_unknown_line_counts(make_repo, tmp_path):
    root = tmp_path / "landing"
    repo = make_repo()
    repo.write("keep.txt", "k\n")
    repo.commit("first")
    repo.write("data.txt", "lost\n")
    broken = repo.commit("adds a blob that goes missing")
    repo.write("keep.txt", "k2\n")
    repo.commit("after")
    _drop_a_blob(repo)
    result = mine_repository(
        "acme/widgets", repo.path, root, MiningOptions(missing_objects="record")
    )
    assert result.undiffable_commits == [broken] and result.commits == 3
    rows = {r["commit_hash"]: r for r in landed(root, "git/commits")}
    assert rows[broken]["insertions"] is None
    files = [r for r in landed(root, "git/modified_files") if r["commit_hash"] == broken]
    assert [(f["change_type"], f["new_path"], f["added_lines"]) for f in files] == [
        ("ADD", "data.txt", None)
    ]
    assert sum(r["insertions"] is not None for r in rows.values()) == 2


_KILLED_AT_THE_COMMIT_ROW = """
import os, signal, sys
from pathlib import Path
import landing
from extract.git.miner import mine_repository
from extract.git.options import MiningOptions
real = landing.write_atomic
def write_atomic(path, *args, **kwargs):
    if Path(path).parent.name == "extractions":
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9 after the data files, before the commit
    return real(path, *args, **kwargs)
landing.write_atomic = write_atomic
mine_repository(
    "acme/widgets", sys.argv[1], Path(sys.argv[2]), MiningOptions(full_refresh=sys.argv[3] == "full")
)
"""


@pytest.mark.parametrize("mode", ["incremental", "full"])
def test_kill_9_between_landing_writes_leaves_no_orphan_rows_and_the_next_run_repairs(
    truth, make_repo, tmp_path, mode
):
    """Killed after git/modified_files and git/commits are written and before the extraction row:
    every reader (the miner, dbt, a check) resolves files through that row, so it sees the previous
    commits with their own modified files, never a mix."""
    root = tmp_path / "landing"
    repo = make_repo()
    build_varied(repo)
    mine_repository("acme/widgets", repo.path, root)
    before_commits = landed(root, "git/commits")
    before_files = landed(root, "git/modified_files")
    repo.write("new.txt", "n\n")
    repo.commit("new")
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_AT_THE_COMMIT_ROW, str(repo.path), str(root), mode],
        capture_output=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert len(list((root / "git/commits").glob("*@*.parquet"))) == 2  # the dead run's file
    assert landed(root, "git/commits") == before_commits
    assert landed(root, "git/modified_files") == before_files
    result = mine_repository("acme/widgets", repo.path, root)
    assert result.new_commits == 1
    assert_matches_git(truth, root, repo.path)


def test_iter_commits_streams_typed_records_and_honours_exclusions(truth, make_repo):
    repo = make_repo()
    build_varied(repo)
    commits = truth.all_commits(repo.path)
    head, base = commits[0], commits[3]
    got = list(iter_commits(repo.path / ".git", head, exclude=[base]))
    expected = (
        subprocess.run(
            ["git", "rev-list", head, f"^{base}"], cwd=repo.path, capture_output=True, check=True
        )
        .stdout.decode()
        .split()
    )
    assert [c.commit_hash for c in got] == expected
    with pytest.raises(GitMiningError, match="not a full commit hash"):
        list(iter_commits(repo.path / ".git", "--all"))


def test_an_abandoned_iteration_stops_its_git_processes(make_repo, monkeypatch):
    from extract.git import gitlog

    repo = make_repo()
    build_varied(repo)
    monkeypatch.setattr(gitlog, "BLOCK", 1)
    commits = iter_commits(repo.path / ".git", repo.head(), options=MiningOptions(jobs=2))
    first = next(commits)
    assert first.commit_hash == repo.head()
    commits.close()
    assert commits.workers and all(w.proc.poll() is not None for w in commits.workers)
    assert not any(w.thread.is_alive() for w in commits.workers)


@pytest.mark.parametrize(("jobs", "block", "ahead"), [(1, 64, 32), (2, 1, 3), (3, 2, 0)])
def test_parallel_git_processes_yield_the_same_records_in_rev_list_order(
    truth, make_repo, tmp_path, monkeypatch, jobs, block, ahead
):
    from extract.git import gitlog

    repo = make_repo()
    build_varied(repo)
    head = repo.head()
    monkeypatch.setattr(gitlog, "BLOCK", block)
    monkeypatch.setattr(gitlog, "MAX_AHEAD", ahead)
    got = list(iter_commits(repo.path / ".git", head, options=MiningOptions(jobs=jobs)))
    assert [c.commit_hash for c in got] == truth.all_commits(repo.path)
    result = mine_repository(
        "acme/widgets", repo.path, tmp_path / "landing", MiningOptions(jobs=jobs)
    )
    assert result.commits == len(got)
    assert_matches_git(truth, tmp_path / "landing", repo.path)


@pytest.mark.parametrize("prescan", [True, False], ids=["missing-blobs-found-first", "restarts"])
def test_undiffable_commits_in_several_processes_are_recorded_and_landed(
    truth, make_repo, tmp_path, monkeypatch, prescan
):
    """Found by the first pass (the commits are mined aside), or, should that pass miss one, by
    git dying on it (its process restarts after it): the same rows either way."""
    from extract.git import gitlog

    if not prescan:
        monkeypatch.setattr(gitlog.DiffTreePool, "_suspect_commits", lambda self: set())
    root = tmp_path / "landing"
    repo = make_repo()
    repo.write("keep.txt", "k\n")
    repo.commit("first")
    broken, blobs = [], []
    for i in range(4):
        repo.write(f"data{i}.txt", f"lost {i}\n")
        broken.append(repo.commit(f"adds blob {i} that goes missing"))
        blobs.append(repo.git("rev-parse", f"HEAD:data{i}.txt").decode().strip())
        repo.write("keep.txt", f"k{i}\n")
        repo.commit(f"after {i}")
    for blob in blobs:
        (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    monkeypatch.setattr(gitlog, "BLOCK", 1)
    monkeypatch.setattr(gitlog, "MAX_AHEAD", 2)
    order = truth.all_commits(repo.path)
    seen: list[str] = []
    got = list(
        iter_commits(
            repo.path / ".git",
            repo.head(),
            options=MiningOptions(missing_objects="record", jobs=2),
            undiffable=seen,
        )
    )
    assert [c.commit_hash for c in got] == order
    assert seen == [c for c in order if c in broken]
    with pytest.raises(GitMiningError, match="missing object") as info:
        list(iter_commits(repo.path / ".git", repo.head(), options=MiningOptions(jobs=2)))
    assert broken[-1] in str(info.value)

    result = mine_repository(
        "acme/widgets", repo.path, root, MiningOptions(missing_objects="record", jobs=2)
    )
    assert result.undiffable_commits == seen
    extraction = landed(root, "git/extractions")[0]
    assert extraction["undiffable_commits"] == seen
    rows = {r["commit_hash"]: r for r in landed(root, "git/commits")}
    assert {h for h, r in rows.items() if r["insertions"] is None} == set(broken)
    # A refresh keeps the earlier undiffable commits and says so in its extraction row. The new
    # commit is built with plumbing: `git commit` would refuse an index naming the deleted blobs
    # (or, when the files look racily clean, silently re-create them), which made this test flaky.
    later_blob = repo.git("hash-object", "-w", "--stdin", input=b"later\n").decode().strip()
    entries = [
        line
        if not line.endswith(b"\tkeep.txt")
        else b"100644 blob " + later_blob.encode() + b"\tkeep.txt"
        for line in repo.git("ls-tree", "HEAD").splitlines()
    ]
    tree = repo.git("mktree", "--missing", input=b"\n".join(entries) + b"\n").decode().strip()
    later = repo.git("commit-tree", tree, "-p", "HEAD", "-m", "later").decode().strip()
    repo.git("update-ref", "HEAD", later)
    again = mine_repository(
        "acme/widgets", repo.path, root, MiningOptions(missing_objects="record")
    )
    assert (again.mode, again.new_commits) == ("incremental", 1)
    assert sorted(landed(root, "git/extractions")[0]["undiffable_commits"]) == sorted(broken)
    unchanged = mine_repository(
        "acme/widgets", repo.path, root, MiningOptions(missing_objects="record")
    )
    assert unchanged.mode == "unchanged"
    assert sorted(unchanged.undiffable_commits) == sorted(broken)


def test_a_full_disk_during_git_mine_is_one_line_naming_the_file(
    make_repo, tmp_path, monkeypatch, capsys
):
    import errno

    from extract.cli import main as mms_extract

    repo = make_repo()
    build_varied(repo)
    root = tmp_path / "landing"
    landing.ensure_landing(root)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(landing.pq, "write_table", disk_full)
    code = mms_extract(
        ["--landing-dir", str(root), "git", "mine", "acme/widgets", "--source", str(repo.path)]
    )
    assert code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith(f"error: cannot write {root}/git/commits/acme__widgets@")
    assert err[-1].endswith(".parquet: the disk is full")
    assert not any("Traceback" in line for line in err)


def test_commits_reading_absent_blobs_are_settled_in_a_batch_as_one_at_a_time(
    make_repo, tmp_path, monkeypatch
):
    """The first pass's suspects that read an absent blob land from a few git processes for all of
    them, not five or six each, and exactly as the one-at-a-time path lands them: a rename whose
    detection needs the absent blob too (``--raw -M`` fails: a delete and an add)."""
    from extract.git import gitcmd, gitlog

    repo = make_repo()
    repo.write("keep.txt", "k\n")
    repo.commit("first")
    lines = "".join(f"line {i}\n" for i in range(50))
    repo.write("old.txt", lines)
    adds_old = repo.commit("adds old.txt, whose blob goes missing")
    gone = [repo.git("rev-parse", "HEAD:old.txt").decode().strip()]
    repo.git("mv", "old.txt", "new.txt")
    repo.write("new.txt", lines + "one more\n")
    renames = repo.commit("renames and edits it: detecting the rename reads the absent blob")
    broken = [adds_old, renames]
    for i in range(4):
        repo.write(f"data{i}.txt", f"lost {i}\n")
        broken.append(repo.commit(f"adds blob {i} that goes missing"))
        gone.append(repo.git("rev-parse", f"HEAD:data{i}.txt").decode().strip())
        repo.write("keep.txt", f"k{i}\n")
        repo.commit(f"after {i}")
    for blob in gone:
        (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    spawned: list[list[str]] = []
    spawn = gitcmd.spawn
    monkeypatch.setattr(
        gitcmd, "spawn", lambda args, **kw: spawned.append(args) or spawn(args, **kw)
    )
    options = MiningOptions(missing_objects="record", jobs=1)
    batch = mine_repository("acme/widgets", repo.path, tmp_path / "batch", options)
    in_batch = len(spawned)
    monkeypatch.setattr(gitlog.DiffTreePool, "_undiffable_in_batch", lambda self, ordered: {})
    spawned.clear()
    alone = mine_repository("acme/widgets", repo.path, tmp_path / "alone", options)

    assert sorted(batch.undiffable_commits) == sorted(alone.undiffable_commits) == sorted(broken)
    for table in ("git/commits", "git/modified_files"):
        assert landed(tmp_path / "batch", table) == landed(tmp_path / "alone", table)
    renamed = [
        r for r in landed(tmp_path / "batch", "git/modified_files") if r["commit_hash"] == renames
    ]
    assert [
        (r["change_type"], r["old_path"], r["new_path"], r["added_lines"]) for r in renamed
    ] == [
        ("ADD", None, "new.txt", None),
        ("DELETE", "old.txt", None, None),
    ]
    assert in_batch + 2 * len(broken) <= len(spawned)  # a constant few against 4-5 each
