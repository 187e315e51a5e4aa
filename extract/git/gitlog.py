"""The fast engine: ``git log`` over contiguous chunks of the history, several processes at once.

The commit list (``git rev-list`` order) is cut into contiguous chunks that a few ``git log
--no-walk=unsorted --stdin`` processes (``jobs``, one per core, at most 2) mine at the same time,
each writing to a temporary file; the chunks are parsed in order (:mod:`extract.git.logparse`), so
records come in ``rev-list`` order. Why files and contiguous chunks: git never waits for the parser
(a full pipe would stall it while Python starts up or lands), consecutive commits keep git's object
caches warm (round-robin blocks cost 25% more git CPU), and memory stays flat (at most
``LOOKAHEAD`` chunks of output are on disk, none of it in memory).

Merges are diffed against their first parent only (``--diff-merges=first-parent``), for the
modified files *and* the line counts; octopus merges too. Root commits are diffed against the empty
tree. Renames are detected (``-M``, as the study's tool PyDriller does); copies only when asked
(``MiningOptions.detect_copies``: ``-C``).
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from extract.git import gitcmd
from extract.git.logparse import FORMAT, LogFormatError, parse_log, tokens
from extract.git.options import MiningOptions, MissingObjects
from extract.git.records import CommitRecord, GitMiningError

_MISSING = re.compile(rb"([0-9a-f]{40})")
#: git processes per repository at most (more than the cores only adds contention)
MAX_JOBS = 2
#: commits per chunk: at least MIN_CHUNK (a git process costs a few milliseconds to start), at
#: most MAX_CHUNK (git reads every listed commit before printing any, and a restart after an
#: undiffable commit re-reads the rest of its chunk), else about CHUNKS_PER_JOB chunks per process
MIN_CHUNK = 64
MAX_CHUNK = 1000
CHUNKS_PER_JOB = 4
#: chunks mined ahead of the parser (their output waits in temporary files)
LOOKAHEAD = 4

#: settings that decide what the landed rows mean (never the user's configuration)
_CONFIG = [
    "-c",
    "core.quotepath=off",
    "-c",
    "log.showSignature=false",
    "-c",
    "log.mailmap=false",
    "-c",
    "diff.noprefix=false",
]


def log_options(*, detect_copies: bool = False, numstat: bool = True) -> list[str]:
    """The ``git log`` arguments whose output :func:`parse_log` reads (the benchmark reuses them)."""
    return [
        *_CONFIG,
        "log",
        "-z",
        "--raw",
        *(["--numstat"] if numstat else []),
        "--no-abbrev",
        "-M",
        *(["-C"] if detect_copies else []),
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--diff-merges=first-parent",
        "--date=raw",
        f"--format={FORMAT}",
    ]


def default_jobs() -> int:
    """git processes per repository: one per core, at most :data:`MAX_JOBS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_JOBS, cores))


def chunks(order: list[str], jobs: int) -> list[list[str]]:
    """Contiguous slices of ``order``, about :data:`CHUNKS_PER_JOB` per process."""
    size = -(-len(order) // (jobs * CHUNKS_PER_JOB))
    size = max(MIN_CHUNK, min(MAX_CHUNK, size))
    return [order[start : start + size] for start in range(0, len(order), size)]


@dataclass
class _LogRun:
    """A finished ``git log`` process: its output in a temporary file, read from the start."""

    commits: list[str]
    output: IO[bytes]
    returncode: int
    stderr: str


def iter_commits(
    git_dir: Path,
    head: str | None,
    exclude: Iterable[str] = (),
    *,
    only: Iterable[str] | None = None,
    repo_id: str = "?",
    options: MiningOptions | None = None,
    undiffable: list[str] | None = None,
) -> Iterator[CommitRecord]:
    """Stream every commit reachable from ``head`` and not from ``exclude``, or exactly ``only``.

    Records come in ``git rev-list`` order (or the order of ``only``). Revisions are full hashes
    resolved beforehand and reach git on stdin, so no user input meets git's option parser.
    ``options`` supplies ``detect_copies``, ``missing_objects`` and ``jobs``.

    A commit git cannot diff (a snapshot without some blobs) either raises
    :class:`GitMiningError` naming the repository, the commit and the missing object
    (``missing_objects="fail"``), or (``"record"``) is yielded from its ``--raw`` diff alone, with
    line counts and binary flags ``None``, its hash appended to ``undiffable``.
    """
    options = options or MiningOptions()
    if only is not None:
        revs = list(only)
        for rev in revs:
            if not isinstance(rev, str) or not gitcmd.is_full_hash(rev):
                raise GitMiningError(f"{repo_id}: {rev!r} is not a full commit hash")
        order = list(dict.fromkeys(revs))
    elif head is None:
        order = []
    else:
        order = gitcmd.rev_list(git_dir, head, exclude=exclude, repo_id=repo_id)
    return ChunkedLog(git_dir, order, repo_id=repo_id, options=options, undiffable=undiffable)


class ChunkedLog:
    """Mines ``order`` with a pool of ``git log`` processes; iterate once for the records.

    The processes start on the first ``next()`` (or :meth:`start`); :meth:`close` (also on
    garbage collection of an abandoned iteration) stops them and removes their files.
    """

    def __init__(
        self,
        git_dir: Path,
        order: list[str],
        *,
        repo_id: str,
        options: MiningOptions,
        undiffable: list[str] | None = None,
    ):
        self.git_dir, self.order, self.repo_id = git_dir, order, repo_id
        self.copies = options.detect_copies
        self.policy = MissingObjects(options.missing_objects)
        jobs = options.jobs or default_jobs()
        self.chunks = chunks(order, jobs) if order else []
        self.jobs = max(1, min(jobs, len(self.chunks)))
        self.undiffable = undiffable
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future[_LogRun]] = deque()
        self._submitted = 0
        self._procs: set = set()
        self._lock = threading.Lock()
        self._closed = False
        self._stream = self._iterate()

    def __iter__(self) -> Iterator[CommitRecord]:
        return self

    def __next__(self) -> CommitRecord:
        return next(self._stream)

    def start(self) -> ChunkedLog:
        """Start the git processes now (e.g. before slow imports or reads), not on first use."""
        if self._pool is None and self.chunks:
            self._pool = ThreadPoolExecutor(self.jobs, thread_name_prefix="git-log")
            while self._submitted < min(len(self.chunks), self.jobs + LOOKAHEAD):
                self._submit()
        return self

    def _submit(self) -> None:
        commits = self.chunks[self._submitted]
        self._pending.append(self._pool.submit(self._run, commits))
        self._submitted += 1

    def _iterate(self) -> Iterator[CommitRecord]:
        self.start()
        position = 0
        try:
            for _ in self.chunks:
                run = self._pending.popleft().result()
                if self._submitted < len(self.chunks):
                    self._submit()
                for record in self._mine_chunk(run):
                    expected = self.order[position]
                    if record.commit_hash != expected:
                        raise GitMiningError(
                            f"{self.repo_id}: git log returned {record.commit_hash} where "
                            f"{expected} was expected"
                        )
                    if record.insertions is None and self.undiffable is not None:
                        self.undiffable.append(expected)
                    position += 1
                    yield record
            if position != len(self.order):
                raise GitMiningError(
                    f"{self.repo_id}: git log returned {position} of {len(self.order)} commits"
                )
        finally:
            self._stop()

    def close(self) -> None:
        """Stop every git process of this log and drop the output not read yet."""
        self._stream.close()
        self._stop()

    def _stop(self) -> None:
        with self._lock:
            self._closed = True
            for proc in list(self._procs):
                proc.kill()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        while self._pending:
            future = self._pending.popleft()
            if future.done() and not future.cancelled() and future.exception() is None:
                future.result().output.close()

    def _run(self, commits: list[str], *, numstat: bool = True, extra=("--no-walk=unsorted",)):
        """One ``git log`` over exactly ``commits``; its output goes to a temporary file."""
        options = [*log_options(detect_copies=self.copies, numstat=numstat), *extra, "--stdin"]
        with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
            stdin.write(("\n".join(commits) + "\n").encode())
            stdin.seek(0)
            # The output outlives this call (the parser reads it later): closed by _records().
            output = tempfile.TemporaryFile()  # noqa: SIM115
            try:
                with self._lock:
                    if self._closed:
                        raise GitMiningError(f"{self.repo_id}: mining was stopped")
                    proc = gitcmd.spawn(
                        options, git_dir=self.git_dir, stdin=stdin, stdout=output, stderr=stderr
                    )
                    self._procs.add(proc)
                try:
                    returncode = proc.wait()
                finally:
                    with self._lock:
                        self._procs.discard(proc)
            except OSError as exc:
                output.close()
                raise GitMiningError(f"{self.repo_id}: cannot run git log: {exc}") from exc
            except BaseException:
                output.close()
                raise
            stderr.seek(0)
            detail = stderr.read().decode("utf-8", "replace")
        output.seek(0)
        return _LogRun(commits, output, returncode, detail)

    def _records(self, run: _LogRun, *, numstat: bool = True) -> Iterator[CommitRecord]:
        """The complete records of a run. After a failure the newest one is dropped (git may
        have died inside its diff) and an unreadable tail is expected."""
        held: CommitRecord | None = None
        with run.output:
            try:
                for record in parse_log(tokens(run.output), numstat=numstat):
                    if held is not None:
                        yield held
                    held = record
            except LogFormatError as exc:
                if run.returncode == 0:
                    raise GitMiningError(
                        f"{self.repo_id}: unreadable git log output: {exc}"
                    ) from exc
        if held is not None and run.returncode == 0:
            yield held

    def _mine_chunk(self, run: _LogRun) -> Iterator[CommitRecord]:
        """Exactly ``run.commits``, in order; after a commit git cannot diff, the rest of the
        chunk is mined by a new process (the undiffable commit from its ``--raw`` diff)."""
        commits, start = run.commits, 0
        while True:
            done = 0
            for record in self._records(run):
                done += 1
                yield record
            if run.returncode == 0:
                return
            start += done
            start += yield from self._after_failure(commits, start, run)
            if start >= len(commits):
                return
            run = self._run(commits[start:])

    def _after_failure(
        self, commits: list[str], start: int, run: _LogRun
    ) -> Iterator[CommitRecord]:
        """Records of ``commits[start:]`` up to the one that broke ``run``; returns how many."""
        remaining = commits[start:]
        # The failing commit is the next one, or the one after it: git may have died before
        # printing a header, so the last complete record was held back.
        culprit = next((c for c in remaining[:2] if not self._diffable(c)), None)
        missing = _MISSING.findall(run.stderr.encode())
        if culprit is None or self.policy is MissingObjects.FAIL:
            where = f"commit {culprit or ' or '.join(remaining[:2])}"
            what = f" (missing object {missing[0].decode()})" if missing else ""
            raise GitMiningError(
                f"{self.repo_id}: git cannot diff {where}{what} in {self.git_dir}; nothing was "
                f"landed by this run: {gitcmd.scrub(run.stderr.strip())[-500:]}"
            )
        if culprit != remaining[0]:  # the held-back commit is diffable: mine it alone
            yield from self._mine_chunk(self._run(remaining[:1]))
        yield self._raw_only(culprit)
        return remaining.index(culprit) + 1

    def _diffable(self, commit: str) -> bool:
        probe = gitcmd.git(
            [
                "diff-tree",
                "-r",
                "--root",
                "--numstat",
                "-M",
                *(["-C"] if self.copies else []),
                "--no-commit-id",
                "--diff-merges=first-parent",
                commit,
            ],
            git_dir=self.git_dir,
        )
        return probe.returncode == 0

    def _raw_only(self, commit: str) -> CommitRecord:
        """The commit's files from ``--raw`` (trees only); without rename detection if that fails."""
        for extra in (["--no-walk"], ["--no-walk", "--no-renames"]):
            run = self._run([commit], numstat=False, extra=extra)
            records = list(self._records(run, numstat=False))
            if run.returncode == 0 and len(records) == 1:
                return records[0]
        raise GitMiningError(
            f"{self.repo_id}: git cannot read the trees of commit {commit} in {self.git_dir}"
        )
