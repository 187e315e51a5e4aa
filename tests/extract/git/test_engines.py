"""The fast engine against PyDriller's per-commit path on repositories the tests build."""

import landing
from extract.git.miner import mine_repository
from extract.git.options import MiningOptions


def build(repo):
    repo.write("src/model.py", "".join(f"w{i} = {i}\n" for i in range(30)))
    repo.write("weights.bin", bytes(range(256)) * 8)
    repo.write("dir with space/ünï.txt", "a\nb\n")
    repo.commit("initial\n")
    repo.git("mv", "src/model.py", "src/net.py")
    repo.write("src/net.py", "".join(f"w{i} = {i}\n" for i in range(31)))
    repo.write("weights.bin", bytes(range(255, -1, -1)) * 8)
    repo.commit("rename and retrain")
    # A near copy of a file modified in the same commit: git -C would call it a COPY with line
    # counts against net.py; PyDriller (renames only) sees an addition of all its lines.
    repo.write("src/net.py", "".join(f"w{i} = {i}\n" for i in range(32)))
    repo.write("src/net_v2.py", "".join(f"w{i} = {i}\n" for i in range(31)) + "v2 = True\n")
    repo.commit("second network")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("feature.py", "x = 1\n")
    repo.commit("feature")
    repo.git("checkout", "-q", "main")
    repo.write("dir with space/ünï.txt", "a\nc\nd\n")
    repo.commit("")
    repo.git("merge", "-q", "--no-ff", "--no-edit", "feature")
    (repo.path / "weights.bin").unlink()
    repo.commit("  drop weights  \n")


def rows(root, table):
    return landing.read_partition(root, table, "acme/widgets").to_pylist()


def test_both_engines_land_the_same_rows_except_the_documented_differences(make_repo, tmp_path):
    repo = make_repo()
    build(repo)
    fast = mine_repository("acme/widgets", repo.path, tmp_path / "fast")
    ref = mine_repository(
        "acme/widgets", repo.path, tmp_path / "ref", MiningOptions(engine="pydriller")
    )
    assert ref.engine == "pydriller" and "pydriller" in ref.tool_versions
    assert (fast.commits, fast.mined_head) == (ref.commits, ref.mined_head)
    fast_c = {r["commit_hash"]: r for r in rows(tmp_path / "fast", "git/commits")}
    ref_c = {r["commit_hash"]: r for r in rows(tmp_path / "ref", "git/commits")}
    assert fast_c.keys() == ref_c.keys()
    merges = {h for h, r in fast_c.items() if len(r["parent_hashes"]) > 1}
    assert len(merges) == 1
    for commit, mine in fast_c.items():
        theirs = ref_c[commit]
        # PyDriller strips messages; we keep them raw.
        assert mine["message"].strip() == theirs["message"]
        same = {k for k in mine if k not in ("message", "files_modified")}
        assert {k: mine[k] for k in same} == {k: theirs[k] for k in same}, commit
        if commit in merges:
            # Merges: the same first-parent line counts, but PyDriller lists no modified files.
            assert theirs["files_modified"] == 0 < mine["files_modified"]
        else:
            assert mine["files_modified"] == theirs["files_modified"]

    def by_commit(root):
        out = {}
        for r in rows(root, "git/modified_files"):
            out.setdefault(r["commit_hash"], []).append({k: r[k] for k in r if k != "repo_id"})
        return out

    fast_f, ref_f = by_commit(tmp_path / "fast"), by_commit(tmp_path / "ref")
    assert {h: v for h, v in fast_f.items() if h not in merges} == ref_f
    assert any(f["is_binary"] for files in ref_f.values() for f in files)
    assert any(f["change_type"] == "RENAME" for files in ref_f.values() for f in files)
    [copy] = [f for files in fast_f.values() for f in files if f["new_path"] == "src/net_v2.py"]
    assert (copy["change_type"], copy["added_lines"], copy["deleted_lines"]) == ("ADD", 32, 0)


def test_a_refresh_with_the_reference_engine_mines_only_new_commits(make_repo, tmp_path):
    repo = make_repo()
    build(repo)
    first = mine_repository("acme/widgets", repo.path, tmp_path, MiningOptions(engine="pydriller"))
    repo.write("more.py", "y = 2\n")
    new = repo.commit("more")
    second = mine_repository("acme/widgets", repo.path, tmp_path, MiningOptions(engine="pydriller"))
    assert (second.mode, second.new_commits, second.commits) == (
        "incremental",
        1,
        first.commits + 1,
    )
    assert new in {r["commit_hash"] for r in rows(tmp_path, "git/commits")}
    switched = mine_repository("acme/widgets", repo.path, tmp_path)
    assert switched.mode == "full"  # another engine's rows are never mixed in
