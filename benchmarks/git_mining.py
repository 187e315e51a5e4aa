"""What a user waits for: the whole ``mms-extract git mine`` process against raw ``git log --numstat``.

    uv run python benchmarks/git_mining.py REPO_PATH [REPO_PATH ...] --repeats 5

For each repository (a local git directory, e.g. a snapshot fetched as a bare repository), in
interleaved repeats (each repeat runs every measurement once, so a change of load hits all of
them):

(a) **raw git**, the baseline: ``git log --numstat`` over the commits git can diff, in ``rev-list``
    order (``--no-walk=unsorted --stdin``; on a complete repository this is ``git log --numstat
    HEAD``: a snapshot that lacks blobs makes that command fail). git's default ``-M``, no diff for
    merges, output discarded.
(b) **the CLI**: ``mms-extract git mine --full --missing-objects record`` into an empty landing
    directory, the whole process as a user starts it (imports, every git process, parsing, Arrow,
    Parquet landing), undiffable commits included.
(c) **the engine in-process**: ``iter_commits`` over the diffable commits (commits and files per
    second, the figures earlier versions of this benchmark reported).
(d) optionally **PyDriller**'s per-commit path on a seeded random sample of diffable commits
    (``--pydriller-commits``; 0 skips it), and our engine on the same sample.

Wall time and CPU (user + system of the process and every child it waited for) come from
``os.wait4``; peak memory of the process **tree** (the process and all its git children) from
sampling every 20 ms with psutil: the sum of RSS (what ``top`` shows; pages of the pack that two
git processes map are counted twice) and of PSS (shared pages split between the processes that
map them). The CLI/raw ratio is the median of each repeat's ratio. The load average of the machine
is printed beside each repository. Before the repeats the CLI runs once with bytecode caching on
(as after an installation), so start-up is measured warm.

Two single-process git runs explain where the time goes: git with exactly the engine's options
(``git diff-tree --stdin``: ``--raw --numstat -M --diff-merges=first-parent``), and the same with
merges not diffed (``--diff-merges=off``): the difference is the first-parent merge diffs that the
baseline does not compute.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extract.git import gitcmd  # noqa: E402
from extract.git.gitlog import default_jobs, diff_options, iter_commits  # noqa: E402
from extract.git.options import MiningOptions  # noqa: E402

CLI = [sys.executable, "-m", "extract"]


class Measured:
    """One finished process: wall and CPU seconds, peak RSS and PSS of its tree in MB."""

    def __init__(self, wall: float, cpu: float, rss: float, pss: float):
        self.wall, self.cpu, self.rss, self.pss = wall, cpu, rss, pss


def measure(cmd: list[str], *, stdin: Path | None = None, env=None, cwd=None) -> Measured:
    peak = {"rss": 0, "pss": 0}
    done = threading.Event()
    with open(stdin or os.devnull, "rb") as source:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd
        )
        sampler = threading.Thread(target=_sample, args=(proc.pid, peak, done), daemon=True)
        sampler.start()
        stderr = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:6]} failed ({proc.returncode}): {stderr.decode()[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Measured(wall, cpu, peak["rss"] / 2**20, peak["pss"] / 2**20)


def _sample(pid: int, peak: dict, done: threading.Event) -> None:
    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not done.is_set():
        rss = pss = 0
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        for proc in tree:
            try:
                memory = proc.memory_full_info()
            except psutil.Error:
                continue
            rss += memory.rss
            pss += memory.pss
        peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)
        time.sleep(0.02)


def cpu_now() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def engine(git_dir: Path, commits: list[str], jobs: int) -> tuple[float, int]:
    start = time.perf_counter()
    files = 0
    options = MiningOptions(missing_objects="record", jobs=jobs)
    for record in iter_commits(git_dir, None, only=commits, options=options, undiffable=[]):
        files += len(record.modified_files)
    return time.perf_counter() - start, files


def pydriller_sample(git_dir: Path, sample: list[str]) -> float:
    from pydriller import Git

    # Snapshots are bare without ``core.bare``: GitPython would run git in the parent directory.
    os.environ["GIT_DIR"] = str(git_dir)
    repo = Git(str(git_dir))
    start = time.perf_counter()
    for commit_hash in sample:
        commit = repo.get_commit(commit_hash)
        _ = commit.insertions, commit.deletions, len(commit.modified_files)
    del os.environ["GIT_DIR"]
    return time.perf_counter() - start


def cli_env(tree: Path = ROOT) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(tree)
    return env


def cli_run(git_dir: Path, name: str, jobs: int | None, tree: Path = ROOT) -> Measured:
    """The CLI of the code in ``tree`` (this checkout, or a baseline's) with this interpreter."""
    with tempfile.TemporaryDirectory(prefix="bench-landing-") as landing:
        cmd = [*CLI, "--landing-dir", landing, "git", "mine", f"bench/{name}"]
        cmd += ["--source", str(git_dir), "--full", "--missing-objects", "record"]
        cmd += ["--jobs", str(jobs)] if jobs else []
        return measure(cmd, env=cli_env(tree), cwd=tree)


def history(git_dir: Path) -> tuple[str, list[str], list[str], int]:
    repo = gitcmd.open_local("bench/repo", git_dir)
    _, head = gitcmd.resolve_head(repo, None)
    order = gitcmd.rev_list(repo.git_dir, head, repo_id="bench/repo")
    undiffable: list[str] = []
    options = MiningOptions(missing_objects="record")
    for _ in iter_commits(repo.git_dir, None, only=order, options=options, undiffable=undiffable):
        pass
    skip = set(undiffable)
    merges = gitcmd.run_git(
        ["rev-list", "--merges", "--count", head], git_dir=repo.git_dir, repo_id="x", what="merges"
    )
    diffable = [c for c in order if c not in skip]
    return head, order, diffable, int(merges)


def benchmark(path: Path, args, lists: Path) -> tuple[dict, dict]:
    name = path.name if path.name not in ("repo", ".git") else path.parent.name
    name = name.replace("+", "__")
    head, order, diffable, merges = history(path)
    listing = lists / f"{name}.commits"
    listing.write_text("\n".join(diffable) + "\n")
    raw = ["git", f"--git-dir={path}", "log", "--numstat", "--no-walk=unsorted", "--stdin"]
    ours_one = ["git", f"--git-dir={path}", *diff_options()]
    no_merges = [*ours_one[:-1], "--diff-merges=off", ours_one[-1]]
    picked = set(
        random.Random(args.seed).sample(diffable, min(args.pydriller_commits, len(diffable)))
    )
    sample = [c for c in diffable if c in picked]
    cli_run(path, name, args.jobs)  # warm-up: writes bytecode caches, fills the page cache
    if args.baseline_tree:
        cli_run(path, name, args.jobs, args.baseline_tree)
    runs: dict[str, list] = {
        k: [] for k in ("raw", "cli", "ratio", "engine", "pyd", "same", "load", "baseline")
    }
    for _ in range(args.repeats):
        runs["load"].append(os.getloadavg()[0])
        runs["raw"].append(measure(raw, stdin=listing))
        runs["cli"].append(cli_run(path, name, args.jobs))
        runs["ratio"].append(runs["cli"][-1].wall / runs["raw"][-1].wall)
        if args.baseline_tree:
            runs["baseline"].append(cli_run(path, name, args.jobs, args.baseline_tree))
        if args.cpu_only:
            continue
        runs["engine"].append(engine(path, diffable, args.jobs or default_jobs()))
        if sample:
            runs["pyd"].append(pydriller_sample(path, sample))
            runs["same"].append(engine(path, sample, args.jobs or default_jobs())[0])
    med = statistics.median
    cpu = cpu_row(name, runs, args.baseline_tree)
    if args.cpu_only:
        print(f"done {name}", file=sys.stderr)
        return {}, {}, cpu
    one = measure(ours_one, stdin=listing)
    off = measure(no_merges, stdin=listing)
    raw_s, cli_s = med(m.wall for m in runs["raw"]), med(m.wall for m in runs["cli"])
    engine_s, files = med(w for w, _ in runs["engine"]), runs["engine"][0][1]
    row = {
        "repository": name,
        "commits": len(order),
        "merges": merges,
        "undiffable": len(order) - len(diffable),
        "raw git s": f"{raw_s:.2f}",
        "CLI s": f"{cli_s:.2f}",
        "CLI/raw": f"{med(runs['ratio']):.2f}x",
        "CLI - raw s": f"{cli_s - raw_s:+.2f}",
        "CPU s raw / CLI": f"{med(m.cpu for m in runs['raw']):.1f} / "
        f"{med(m.cpu for m in runs['cli']):.1f}",
        "peak tree RSS / PSS MB (CLI)": f"{max(m.rss for m in runs['cli']):.0f} / "
        f"{max(m.pss for m in runs['cli']):.0f}",
        "peak RSS raw git MB": f"{max(m.rss for m in runs['raw']):.0f}",
        "engine c/s": f"{len(diffable) / engine_s:,.0f}",
        "engine files/s": f"{files / engine_s:,.0f}",
        "load avg min-max": f"{min(runs['load']):.1f}-{max(runs['load']):.1f}",
    }
    if sample:
        pyd_cps = len(sample) / med(runs["pyd"])
        row[f"PyDriller c/s ({len(sample)} random)"] = f"{pyd_cps:,.1f}"
        row["engine/PyDriller"] = f"{len(diffable) / engine_s / pyd_cps:,.0f}x"
        row["same sample"] = f"{len(sample) / med(runs['same']) / pyd_cps:,.0f}x"
    where = {
        "repository": name,
        "git, engine's options, 1 process: s / CPU s": f"{one.wall:.2f} / {one.cpu:.1f}",
        "same, merges not diffed: s / CPU s": f"{off.wall:.2f} / {off.cpu:.1f}",
        "merge diffs, CPU s": f"{one.cpu - off.cpu:.1f}",
        "peak RSS 1 git process MB": f"{one.rss:.0f}",
    }
    print(f"done {name}", file=sys.stderr)
    return row, where, cpu


def cpu_row(name: str, runs: dict, baseline: Path | None) -> dict:
    """The whole process's CPU seconds (its git children included) against raw git's: medians of
    the repeats, each ratio the median of the repeats' ratios."""
    med = statistics.median
    raw, cli = runs["raw"], runs["cli"]
    row = {
        "repository": name,
        "raw git CPU s": f"{med(m.cpu for m in raw):.2f}",
        "git mine CPU s": f"{med(m.cpu for m in cli):.2f}",
        "mine/raw": f"{med(c.cpu / r.cpu for c, r in zip(cli, raw, strict=True)):.2f}x",
        "peak tree RSS / PSS MB": f"{max(m.rss for m in cli):.0f} / {max(m.pss for m in cli):.0f}",
    }
    if baseline is not None:
        base = runs["baseline"]
        row["baseline CPU s"] = f"{med(m.cpu for m in base):.2f}"
        row["baseline/raw"] = f"{med(b.cpu / r.cpu for b, r in zip(base, raw, strict=True)):.2f}x"
        row["baseline peak RSS / PSS MB"] = (
            f"{max(m.rss for m in base):.0f} / {max(m.pss for m in base):.0f}"
        )
        row["mine/baseline"] = f"{med(c.cpu / b.cpu for c, b in zip(cli, base, strict=True)):.2f}x"
    row["load avg min-max"] = f"{min(runs['load']):.1f}-{max(runs['load']):.1f}"
    return row


def table(rows: list[dict]) -> None:
    headers = list(rows[0])
    widths = [max(len(h), *(len(str(r.get(h, ""))) for r in rows)) for h in headers]
    print(" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(str(r.get(h, "")).ljust(w) for h, w in zip(headers, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pydriller-commits", type=int, default=500, help="0 skips PyDriller")
    parser.add_argument("--jobs", type=int, default=None, help="git processes (default: the CLI's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        default=None,
        help="a checkout of the code to compare with (e.g. `git worktree add --detach DIR main`), "
        "run with this interpreter in the same interleaved repeats",
    )
    parser.add_argument(
        "--cpu-only",
        action="store_true",
        help="only raw git, the CLI and the baseline: the CPU table, none of the rates",
    )
    args = parser.parse_args()
    if args.baseline_tree is not None:
        args.baseline_tree = args.baseline_tree.resolve()
    rows, where, cpu = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as lists:
        for path in args.repos:
            row, explained, cpu_figures = benchmark(path.resolve(), args, Path(lists))
            rows.append(row)
            where.append(explained)
            cpu.append(cpu_figures)
    git = gitcmd.git_version()
    print(
        f"medians over {args.repeats} interleaved repeats; git {git}; "
        f"os.cpu_count() = {os.cpu_count()}; CLI git processes = {args.jobs or default_jobs()}"
    )
    if not args.cpu_only:
        table(rows)
        print()
        table(where)
        print()
    table(cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
