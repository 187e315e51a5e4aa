"""Throughput of the git miner against raw ``git log --numstat`` and PyDriller's per-commit path.

    uv run python benchmarks/git_mining.py REPO_PATH [REPO_PATH ...] --repeats 3

For each repository, the commits git can diff (snapshots may lack blobs; those commits are listed
by a first pass in ``missing_objects="record"`` mode) are fed to (a) raw ``git log --numstat`` with
its output discarded (the baseline), (b) our engine, both as one ``--no-walk`` process on the same
commit list; (c) our engine on the whole history (restarts after undiffable commits included);
(d) PyDriller's per-commit path (``Commit.insertions``, ``deletions``, ``modified_files``) on a
bounded prefix of the history. Medians over repeats; ratios against the baseline measured in the
same run; peak RSS of our engine mining the whole repository into Arrow tables, in a subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extract.git.gitcmd import git_env, open_local, resolve_head  # noqa: E402
from extract.git.gitlog import _rev_list, iter_commits  # noqa: E402

_RSS_PROBE = """
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from extract.git.gitlog import iter_commits
from extract.git.miner import records_to_tables
commits, files = records_to_tables("bench/repo", iter_commits(sys.argv[2], sys.argv[3],
    missing_objects="record", undiffable=[]))
print(json.dumps({"rows": commits.num_rows + files.num_rows,
    "python_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "git_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def raw_git(git_dir: Path, commits: list[str]) -> tuple[int, int]:
    with tempfile.TemporaryFile() as stdin:
        stdin.write(("\n".join(commits) + "\n").encode())
        stdin.seek(0)
        subprocess.run(
            ["git", f"--git-dir={git_dir}", "log", "--numstat", "--no-walk=unsorted", "--stdin"],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            env=git_env(),
            check=True,
        )
    return len(commits), -1


def ours(git_dir: Path, head: str, only: list[str] | None) -> tuple[int, int]:
    n = f = 0
    for record in iter_commits(git_dir, head, only=only, missing_objects="record", undiffable=[]):
        n += 1
        f += len(record.modified_files)
    return n, f


def pydriller_prefix(git_dir: Path, head: str, limit: int) -> tuple[int, int, int]:
    from pydriller import Repository

    # Fetched snapshots are bare without ``core.bare``, so GitPython would run git in their parent
    # directory; GIT_DIR (this process only; our engine drops it) points it at the repository.
    os.environ["GIT_DIR"] = str(git_dir)
    n = f = failed = 0
    for commit in Repository(str(git_dir), to_commit=head).traverse_commits():
        if n + failed >= limit:
            break
        try:
            _ = commit.insertions, commit.deletions
            f += len(commit.modified_files)
            n += 1
        except Exception:  # a missing blob in the snapshot: not counted
            failed += 1
    return n, f, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pydriller-commits", type=int, default=1000)
    args = parser.parse_args()
    rows = []
    for path in args.repos:
        repo = open_local("bench/repo", path)
        _, head = resolve_head(repo, None)
        undiffable: list[str] = []
        all_files = sum(
            len(r.modified_files)
            for r in iter_commits(
                repo.git_dir, head, missing_objects="record", undiffable=undiffable
            )
        )
        order = _rev_list(repo.git_dir, head, [])
        diffable = [c for c in order if c not in set(undiffable)]
        raw_t, ours_t, full_t, pyd_t = [], [], [], []
        files = pyd = None
        for _ in range(args.repeats):
            raw_t.append(timed(raw_git, repo.git_dir, diffable)[0])
            t, (n, files) = timed(ours, repo.git_dir, head, diffable)
            ours_t.append(t)
            full_t.append(timed(ours, repo.git_dir, head, None)[0])
            t, pyd = timed(pydriller_prefix, repo.git_dir, head, args.pydriller_commits)
            pyd_t.append(t)
        probe = subprocess.run(
            [sys.executable, "-c", _RSS_PROBE, str(ROOT), str(repo.git_dir), head],
            capture_output=True,
            check=True,
            text=True,
        )
        rss = json.loads(probe.stdout)
        raw_m, ours_m, full_m, pyd_m = map(statistics.median, (raw_t, ours_t, full_t, pyd_t))
        raw_cps = len(diffable) / raw_m
        ours_cps = len(diffable) / ours_m
        pyd_cps = pyd[0] / pyd_m
        rows.append(
            {
                "repository": path.name if path.name not in ("repo", ".git") else path.parent.name,
                "commits": len(order),
                "undiffable": len(undiffable),
                "raw git c/s": f"{raw_cps:,.0f}",
                "ours c/s": f"{ours_cps:,.0f}",
                "ours files/s": f"{files / ours_m:,.0f}",
                "ours/raw": f"{ours_cps / raw_cps:.2f}x",
                "ours full history c/s": f"{len(order) / full_m:,.0f}",
                f"PyDriller c/s (first {args.pydriller_commits})": f"{pyd_cps:,.1f}",
                "PyDriller files/s": f"{pyd[1] / pyd_m:,.1f}",
                "ours/PyDriller": f"{ours_cps / pyd_cps:,.0f}x",
                "peak RSS ours (MB)": f"{rss['python_kb'] / 1024:,.0f}",
                "peak RSS git (MB)": f"{rss['git_kb'] / 1024:,.0f}",
                "rows landed": rss["rows"],
            }
        )
        print(f"done {path} ({all_files} modified files)", file=sys.stderr)
    headers = list(rows[0])
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in headers]
    print(f"medians over {args.repeats} repeats; c/s = commits per second")
    print(" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(str(r[h]).ljust(w) for h, w in zip(headers, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
