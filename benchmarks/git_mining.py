"""Throughput of the git miner against raw ``git log --numstat`` and PyDriller's per-commit path.

    uv run python benchmarks/git_mining.py REPO_PATH [REPO_PATH ...] --repeats 3

For each repository, the commits git can diff (snapshots may lack blobs; those commits are listed
by a first pass in ``missing_objects="record"`` mode) are fed, in ``rev-list`` order, to
(a) raw ``git log --numstat`` with its output discarded: the baseline of the targets (``-M`` by
    default, no diff for merges);
(b) one ``git log`` with exactly our options (``LOG_OPTIONS``: ``--raw -M -C``, first-parent diffs
    of merges), output discarded: what git alone costs for the rows we land;
(c) our engine (``iter_commits``, ``--jobs`` git processes, default one per core, at most 2);
(d) our engine on the whole history (restarts after undiffable commits included);
(e) PyDriller's per-commit path (``Git.get_commit`` then ``insertions``, ``deletions``,
    ``modified_files``) on a uniform random sample of the diffable commits (seeded, in
    ``rev-list`` order). PyDriller runs git processes per commit, so its rate on a uniform sample
    estimates its rate on the whole history: ``ours/PyDriller`` is (c) over that rate, i.e. the
    ratio of the times to mine the whole diffable history. Our engine also runs on the same
    sample (``same sample``): isolated commits lose the locality git's caches get from
    consecutive commits, so that ratio is a lower bound.
Wall-clock medians over repeats, all measured in the same run; CPU seconds (user + system, git
included) are medians too. Peak RSS of our engine mining the whole repository into Arrow tables,
in a subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extract.git.gitcmd import git_env, open_local, resolve_head  # noqa: E402
from extract.git.gitlog import LOG_OPTIONS, _rev_list, default_jobs, iter_commits  # noqa: E402

_RSS_PROBE = """
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from extract.git.gitlog import iter_commits
from extract.git.miner import records_to_tables
commits, files = records_to_tables("bench/repo", iter_commits(sys.argv[2], sys.argv[3],
    missing_objects="record", undiffable=[], jobs=int(sys.argv[4])))
print(json.dumps({"rows": commits.num_rows + files.num_rows,
    "python_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "git_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for git processes
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn, *args):
    """(wall seconds, CPU seconds, result)."""
    cpu, start = _cpu(), time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, _cpu() - cpu, out


def git_log(git_dir: Path, commits: list[str], options: list[str]) -> tuple[int, int]:
    with tempfile.TemporaryFile() as stdin:
        stdin.write(("\n".join(commits) + "\n").encode())
        stdin.seek(0)
        subprocess.run(
            ["git", f"--git-dir={git_dir}", *options, "--no-walk=unsorted", "--stdin"],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            env=git_env(),
            check=True,
        )
    return len(commits), -1


def ours(git_dir: Path, head: str, only: list[str] | None, jobs: int) -> tuple[int, int]:
    n = f = 0
    for record in iter_commits(
        git_dir, head, only=only, missing_objects="record", undiffable=[], jobs=jobs
    ):
        n += 1
        f += len(record.modified_files)
    return n, f


def pydriller_sample(git_dir: Path, sample: list[str]) -> tuple[int, int]:
    from pydriller import Git

    # Fetched snapshots are bare without ``core.bare``, so GitPython would run git in their parent
    # directory; GIT_DIR (this process only; our engine drops it) points it at the repository.
    os.environ["GIT_DIR"] = str(git_dir)
    repo = Git(str(git_dir))
    n = f = 0
    for commit_hash in sample:
        commit = repo.get_commit(commit_hash)
        _ = commit.insertions, commit.deletions
        f += len(commit.modified_files)
        n += 1
    return n, f


def _merges(git_dir: Path, head: str) -> list[str]:
    out = subprocess.run(
        ["git", f"--git-dir={git_dir}", "rev-list", "--merges", head],
        capture_output=True,
        env=git_env(),
        check=True,
    )
    return out.stdout.decode().split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--pydriller-commits", type=int, default=500, help="size of the random sample"
    )
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="git processes of ours")
    parser.add_argument("--seed", type=int, default=0)
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
        skip = set(undiffable)
        diffable = [c for c in order if c not in skip]
        picked = set(
            random.Random(args.seed).sample(diffable, min(args.pydriller_commits, len(diffable)))
        )
        sample = [c for c in diffable if c in picked]
        raw_options = ["log", "--numstat"]
        same_options = LOG_OPTIONS
        runs: dict[str, list[tuple[float, float]]] = {
            k: [] for k in ("raw", "same", "ours", "full", "pyd", "ours_sample")
        }
        files = pyd = None
        for _ in range(args.repeats):
            wall, cpu, _ = timed(git_log, repo.git_dir, diffable, raw_options)
            runs["raw"].append((wall, cpu))
            wall, cpu, _ = timed(git_log, repo.git_dir, diffable, same_options)
            runs["same"].append((wall, cpu))
            wall, cpu, (_, files) = timed(ours, repo.git_dir, head, diffable, args.jobs)
            runs["ours"].append((wall, cpu))
            wall, cpu, _ = timed(ours, repo.git_dir, head, None, args.jobs)
            runs["full"].append((wall, cpu))
            wall, cpu, _ = timed(ours, repo.git_dir, head, sample, args.jobs)
            runs["ours_sample"].append((wall, cpu))
            wall, cpu, pyd = timed(pydriller_sample, repo.git_dir, sample)
            runs["pyd"].append((wall, cpu))
        probe = subprocess.run(
            [sys.executable, "-c", _RSS_PROBE, str(ROOT), str(repo.git_dir), head, str(args.jobs)],
            capture_output=True,
            check=True,
            text=True,
        )
        rss = json.loads(probe.stdout)
        wall = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
        cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
        raw_cps = len(diffable) / wall["raw"]
        same_cps = len(diffable) / wall["same"]
        ours_cps = len(diffable) / wall["ours"]
        pyd_cps = pyd[0] / wall["pyd"]
        ours_sample_cps = len(sample) / wall["ours_sample"]
        rows.append(
            {
                "repository": path.name if path.name not in ("repo", ".git") else path.parent.name,
                "commits": len(order),
                "merges": sum(1 for _ in _merges(repo.git_dir, head)),
                "undiffable": len(undiffable),
                "raw git c/s": f"{raw_cps:,.0f}",
                "git, our options, 1 proc c/s": f"{same_cps:,.0f}",
                "ours c/s": f"{ours_cps:,.0f}",
                "ours files/s": f"{files / wall['ours']:,.0f}",
                "ours/raw": f"{ours_cps / raw_cps:.2f}x",
                "CPU s raw / ours": f"{cpu['raw']:.1f} / {cpu['ours']:.1f}",
                "ours full history c/s": f"{len(order) / wall['full']:,.0f}",
                f"PyDriller c/s ({len(sample)} random)": f"{pyd_cps:,.1f}",
                "PyDriller files/s": f"{pyd[1] / wall['pyd']:,.1f}",
                "ours/PyDriller": f"{ours_cps / pyd_cps:,.0f}x",
                "ours c/s (same sample)": f"{ours_sample_cps:,.0f}",
                "ours/PyDriller same sample": f"{ours_sample_cps / pyd_cps:,.0f}x",
                "peak RSS ours (MB)": f"{rss['python_kb'] / 1024:,.0f}",
                "peak RSS git (MB)": f"{rss['git_kb'] / 1024:,.0f}",
                "rows landed": rss["rows"],
            }
        )
        print(f"done {path} ({all_files} modified files)", file=sys.stderr)
    headers = list(rows[0])
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in headers]
    print(
        f"medians over {args.repeats} repeats; c/s = commits per second (wall clock); "
        f"ours = {args.jobs} git process(es); os.cpu_count() = {os.cpu_count()}"
    )
    print(" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(str(r[h]).ljust(w) for h, w in zip(headers, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
