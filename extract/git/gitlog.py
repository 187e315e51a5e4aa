"""The fast engine: a few long-lived ``git diff-tree --stdin`` processes fed blocks of commits.

The commit list (``git rev-list`` order) is cut into blocks of :data:`BLOCK` commits. Each of
``jobs`` processes (one per core, at most 2) is given a block whenever it finishes one, so the
processes stay busy whatever each block costs (a merge's diff can cost as much as a hundred
commits), keep their object caches warm (two processes in all; a new git process costs ~0.3 s of
page faults and cold caches on a large repository), and never wait for Python: a reader thread per
process parses its output as it streams (:mod:`extract.git.logparse`). After each block a line
that is not a commit is fed; ``git diff-tree`` echoes it, which tells the reader that the block's
last commit is complete. Records are handed out in ``rev-list`` order; at most
:data:`MAX_AHEAD` blocks are mined ahead of the consumer, so memory stays flat.

Merges are diffed against their first parent only (``--diff-merges=first-parent``), for the
modified files *and* the line counts; octopus merges too. Root commits are diffed against the empty
tree. Renames are detected (``-M``, as the study's tool PyDriller does); copies only when asked
(``MiningOptions.detect_copies``: ``-C``). ``git diff-tree`` is plumbing: no user configuration
(``diff.renames``, ``diff.algorithm``, ...) changes what it prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import re
import secrets
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO

from extract.git import gitcmd
from extract.git.logparse import FORMAT, Boundary, LogFormatError, parse_log, tokens
from extract.git.options import MiningOptions, MissingObjects
from extract.git.records import CommitRecord, GitMiningError

_OBJECT_ID = re.compile(r"\b[0-9a-f]{40}(?:[0-9a-f]{24})?\b")
#: git processes per repository at most (more than the cores only adds contention)
MAX_JOBS = 2
#: commits fed to a process at a time: small enough to balance the processes, large enough that
#: a process's consecutive blocks stay close in history (warm caches: +4% git CPU at 64 on
#: mne-python against one process over the whole list)
BLOCK = 64
#: blocks mined ahead of the consumer at most (bounds the parsed records waiting in memory)
MAX_AHEAD = 32
_PIPE_SIZE = 1 << 20

#: settings that decide what the landed rows mean (never the user's configuration), and memory
#: bounds: by default each git process maps up to 1 GiB windows of the pack and keeps a 96 MiB
#: delta cache (~280 MB RSS each on mne-python); these keep a process near 100 MB for ~4% more CPU
_CONFIG = [
    "-c",
    "core.quotepath=off",
    "-c",
    "diff.noprefix=false",
    "-c",
    "core.packedGitWindowSize=16m",
    "-c",
    "core.packedGitLimit=64m",
    "-c",
    "core.deltaBaseCacheLimit=48m",
]


def _first_unread(batch: IO[bytes]) -> str | None:
    """The first object ``git cat-file --batch`` answers ``missing`` (content skipped unread)."""
    while header := batch.readline():
        oid, _, rest = header.rstrip(b"\n").partition(b" ")
        if rest == b"missing":
            return oid.decode("ascii")
        remaining = int(rest.rsplit(b" ", 1)[-1]) + 1  # the content and its newline
        while remaining:
            chunk = batch.read(min(remaining, 1 << 16))
            if not chunk:
                return None  # git stopped mid-object: its stderr names it
            remaining -= len(chunk)
    return None


def diff_options(*, detect_copies: bool = False, numstat: bool = True) -> list[str]:
    """``git diff-tree --stdin`` arguments whose output :func:`parse_log` reads (the benchmark
    and the recorded fixtures use them too)."""
    return [
        *_CONFIG,
        "diff-tree",
        "--stdin",
        "--always",
        "-r",
        "--root",
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


def iter_commits(
    git_dir: Path,
    head: str | None,
    exclude: Iterable[str] = (),
    *,
    only: Iterable[str] | None = None,
    repo_id: str = "?",
    options: MiningOptions | None = None,
    undiffable: list[str] | None = None,
) -> DiffTreePool:
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
    return DiffTreePool(git_dir, order, repo_id=repo_id, options=options, undiffable=undiffable)


def _referenced_blobs(raw: IO[bytes]) -> dict[str, list[str]]:
    """commit -> the blobs its diff reads, from ``-z --raw --no-renames --format=%x1e%H``."""
    blobs: dict[str, list[str]] = {}
    current: list[str] = []
    expect_path = False
    for token in tokens(raw):
        if expect_path:
            expect_path = False
            continue
        token = token.lstrip(b"\n")
        if token.startswith(b"\x1e"):
            current = blobs.setdefault(token[1:].decode("ascii"), [])
        elif token.startswith(b":"):
            old_mode, new_mode, old, new, _ = token[1:].split(b" ", 4)
            for mode, oid in ((old_mode, old), (new_mode, new)):
                if mode != b"160000" and oid.strip(b"0"):  # not a submodule, not the null id
                    current.append(oid.decode("ascii"))
            expect_path = True
    return blobs


def _complete_records(output: IO[bytes], expected: list[str], *, whole: bool) -> list[CommitRecord]:
    """The records of a ``--raw`` diff of ``expected`` that are surely complete, in order: all of
    them when git exited 0 (``whole``), else those followed by another commit's header (git may
    have died in the middle of the last one)."""
    done: list[CommitRecord] = []
    try:
        for record in parse_log(tokens(output), numstat=False):
            if len(done) >= len(expected) or record.commit_hash != expected[len(done)]:
                raise GitMiningError(f"git returned {record.commit_hash} out of order")
            done.append(record)
    except LogFormatError:
        whole = False
    if whole and len(done) != len(expected):
        raise GitMiningError(f"git returned {len(done)} of {len(expected)} commits")
    return done if whole else done[:-1]


class DiffTreePool:
    """Mines ``order`` with :data:`MAX_JOBS` ``git diff-tree`` processes; iterate once.

    The processes start on the first ``next()`` (or :meth:`start`); :meth:`close` (also when an
    iteration is abandoned) stops them.

    With ``missing_objects="record"`` (a snapshot that may lack blobs) a first pass lists the blobs
    each commit's diff reads (``--raw --no-renames``, trees only) and asks ``git cat-file`` which
    are missing: the commits that read one are mined one by one on a side thread (confirmed, then
    from ``--raw`` alone), so a missing blob rarely kills and restarts a process (~40 ms of git
    each, 3.5 s on deepchem's 81; the pass costs 0.4 s).
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
        self.jobs = options.jobs or default_jobs()
        self.undiffable = undiffable
        self.nonce = secrets.token_hex(8)
        self.blocks: list[list[str]] = []
        self.owners: dict[int, _Worker] = {}
        self.workers: list[_Worker] = []
        self.closed = False
        self._suspects: dict[str, Future[CommitRecord]] = {}
        self._next_block = self._consumed = 0
        self._idle: list[_Worker] = []
        self._failure: BaseException | None = None
        self._cond = threading.Condition()
        self._side: ThreadPoolExecutor | None = None
        self._planned: Future | None = None
        #: what the first pass found: each suspect's blobs, and the blobs git calls missing
        self._first_pass: tuple[dict[str, list[str]], set[str]] = ({}, set())
        self._stream = self._iterate()

    def __iter__(self) -> Iterator[CommitRecord]:
        return self

    def __next__(self) -> CommitRecord:
        return next(self._stream)

    def start(self) -> DiffTreePool:
        """Start the git processes now (e.g. before slow imports or reads), not on first use."""
        if self._side is None and self.order:
            side = self._side = ThreadPoolExecutor(1, thread_name_prefix="git-side")
            self._planned = side.submit(self._plan, side)
        return self

    def _plan(self, side: ThreadPoolExecutor) -> None:
        """Set suspects of missing blobs aside, cut the rest into blocks, start the processes; the
        suspects are mined on ``side``, the thread this runs on, after it."""
        suspects = self._suspect_commits() if self.policy is MissingObjects.RECORD else set()
        rest = [commit for commit in self.order if commit not in suspects]
        self.blocks = [rest[start : start + BLOCK] for start in range(0, len(rest), BLOCK)]
        with self._cond:
            if self.closed:
                return
            count = min(self.jobs, len(self.blocks))
            self.workers = [_Worker(self) for _ in range(count)]
            for worker in self.workers:
                worker.start()
            for _ in range(2):  # two blocks each: git never waits between blocks
                for worker in self.workers:
                    self._assign(worker)
        ordered = [commit for commit in self.order if commit in suspects]
        self._suspects = {commit: Future() for commit in ordered}
        if ordered:
            side.submit(self._mine_suspects, ordered)

    def _assign(self, worker: _Worker) -> None:
        """Feed ``worker`` the next block, or park it until the consumer catches up (call with
        ``_cond`` held)."""
        if self.closed:
            return
        if self._next_block >= len(self.blocks):
            worker.finish()
        elif self._next_block > self._consumed + MAX_AHEAD:
            self._idle.append(worker)
        else:
            block = self._next_block
            self._next_block += 1
            self.owners[block] = worker
            self._cond.notify_all()
            worker.feed(block, self.blocks[block])

    def fail(self, exc: BaseException) -> None:
        """A process's reader failed: wake a consumer that waits for a block it would have mined."""
        with self._cond:
            self._failure = self._failure or exc
            self._cond.notify_all()

    def block_done(self, worker: _Worker) -> None:
        with self._cond:
            self._assign(worker)

    def _advance(self, block: int) -> _Worker:
        """The consumer moves to ``block``: wake parked processes, wait for its owner."""
        with self._cond:
            self._consumed = block
            idle, self._idle = self._idle, []
            for worker in idle:
                self._assign(worker)
            while block not in self.owners:
                if self._failure is not None:
                    raise self._failure
                self._cond.wait()
            return self.owners.pop(block)

    def _records(self) -> Iterator[CommitRecord]:
        for block in range(len(self.blocks)):
            worker = self._advance(block)
            item = worker.records.get()
            if isinstance(item, BaseException):
                raise item
            yield from item

    def _iterate(self) -> Generator[CommitRecord, None, None]:
        self.start()
        try:
            if self._planned is not None:
                self._planned.result()
            mined = self._records()
            for expected in self.order:
                suspect = self._suspects.get(expected)
                record = suspect.result() if suspect else next(mined, None)
                if record is None or record.commit_hash != expected:
                    got = record.commit_hash if record else "nothing"
                    raise GitMiningError(
                        f"{self.repo_id}: git returned {got} where {expected} was expected"
                    )
                if record.insertions is None and self.undiffable is not None:
                    self.undiffable.append(expected)
                yield record
        finally:
            self._stop()

    def close(self) -> None:
        """Stop every git process of this pool."""
        self._stream.close()
        self._stop()

    def _stop(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        for worker in self.workers:
            worker.kill()
        for worker in self.workers:
            if worker.thread.ident is not None and worker.thread is not threading.current_thread():
                worker.thread.join()  # it reaps its process
        if self._side is not None:
            self._side.shutdown(wait=True, cancel_futures=True)
            self._side = None

    # One-off git processes: the first pass, probes and commits mined alone.

    def _git_to_file(self, args: list[str], lines: Iterable[str]) -> tuple[IO[bytes], int, str]:
        """Run git with ``lines`` on stdin and its output in a temporary file, read from the start;
        ``(output, exit status, stderr)``. The caller closes the output."""
        with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
            stdin.write(("\n".join(lines) + "\n").encode())
            stdin.seek(0)
            output = tempfile.TemporaryFile()  # noqa: SIM115 (outlives this call)
            try:
                proc = gitcmd.spawn(
                    args, git_dir=self.git_dir, stdin=stdin, stdout=output, stderr=stderr
                )
                returncode = proc.wait()
            except OSError as exc:
                output.close()
                raise GitMiningError(f"{self.repo_id}: cannot run git: {exc}") from exc
            stderr.seek(0)
            detail = stderr.read().decode("utf-8", "replace")
        output.seek(0)
        return output, returncode, detail

    def _blobs_read_by(self, commits: list[str]) -> dict[str, list[str]]:
        """commit -> the blobs its diff reads (``--raw --no-renames``: trees only, no blob read)."""
        listing = ["diff-tree", "--stdin", "--always", "-r", "--root", "-z", "--raw"]
        listing += ["--no-renames", "--no-abbrev", "--diff-merges=first-parent", "--format=%x1e%H"]
        output, returncode, detail = self._git_to_file(listing, commits)
        with output:
            if returncode != 0:
                of = f"of commit {commits[0]}" if len(commits) == 1 else "of the commits"
                raise GitMiningError(
                    f"{self.repo_id}: git cannot read the trees {of} in {self.git_dir} "
                    f"({gitcmd.last_line(detail)})"
                )
            return _referenced_blobs(output)

    def _suspect_commits(self) -> set[str]:
        """Commits whose diff reads a blob git cannot find (two cheap git passes). git's default
        ``--batch-check`` reads each object's header, so one whose header is corrupt shows as
        missing here too: :meth:`_undiffable` tells the two apart when the commit is mined."""
        blobs = self._blobs_read_by(self.order)
        wanted = sorted({blob for listed in blobs.values() for blob in listed})
        # --buffer: git writes its answers in full buffers, not one write per object (~0.07 s)
        check = ["cat-file", "--batch-check", "--buffer"]
        output, returncode, detail = self._git_to_file(check, wanted)
        with output:
            if returncode != 0:
                raise GitMiningError(
                    f"{self.repo_id}: git cat-file failed in {self.git_dir} ({gitcmd.last_line(detail)})"
                )
            lines = output.read().decode().splitlines()
        missing = {line.split()[0] for line in lines if line.endswith(" missing")}
        suspects = {commit for commit, listed in blobs.items() if missing.intersection(listed)}
        self._first_pass = {commit: blobs[commit] for commit in suspects}, missing
        return suspects

    def _absent(self, objects: list[str]) -> set[str]:
        """The objects the repository does not store at all. Asked for ``%(objectname)`` alone,
        ``git cat-file`` only looks each object up and never reads it: a stored but corrupt object
        is not absent."""
        if not objects:
            return set()
        check = ["cat-file", "--batch-check=%(objectname)", "--buffer"]
        output, returncode, detail = self._git_to_file(check, objects)
        with output:
            if returncode != 0:
                raise GitMiningError(
                    f"{self.repo_id}: git cat-file failed in {self.git_dir} ({gitcmd.last_line(detail)})"
                )
            lines = output.read().decode().splitlines()
        return {line.split()[0] for line in lines if line.endswith(" missing")}

    def _unreadable(self, objects: list[str]) -> str | None:
        """The first of ``objects`` (all stored) that git cannot read whole, or ``None``. Each is
        read through (``git cat-file --batch``; only a commit git could not diff costs this): one
        whose header is unreadable is answered ``<id> missing``, one whose content is unreadable
        stops git."""
        if not objects:
            return None
        with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
            stdin.write(("\n".join(objects) + "\n").encode())
            stdin.seek(0)
            try:
                proc = gitcmd.spawn(
                    ["cat-file", "--batch"], git_dir=self.git_dir, stdin=stdin, stderr=stderr
                )
            except OSError as exc:
                raise GitMiningError(f"{self.repo_id}: cannot run git: {exc}") from exc
            assert proc.stdout is not None  # spawn's stdout is a pipe
            with proc.stdout:
                unread = _first_unread(proc.stdout)
            returncode = proc.wait()
            stderr.seek(0)
            named = _OBJECT_ID.findall(stderr.read().decode("utf-8", "replace"))
        if unread is None and returncode == 0:
            return None
        return unread or next((oid for oid in named if oid in objects), objects[0])

    def _diff_alone(self, commit: str, *, numstat: bool = True, extra=()):
        """``(record, git's stderr)`` of one commit from a process of its own; the record is
        ``None`` if git cannot diff it."""
        args = [*diff_options(detect_copies=self.copies, numstat=numstat), *extra]
        output, returncode, detail = self._git_to_file(args, [commit])
        with output:
            if returncode != 0:
                return None, detail
            try:
                records = list(parse_log(tokens(output), numstat=numstat))
            except LogFormatError as exc:
                raise GitMiningError(f"{self.repo_id}: unreadable git output: {exc}") from exc
        return (records[0] if len(records) == 1 else None), detail

    def mine_one(self, commit: str, *, numstat: bool = True, extra=()) -> CommitRecord | None:
        """One commit from a process of its own; ``None`` if git cannot diff it."""
        return self._diff_alone(commit, numstat=numstat, extra=extra)[0]

    def raw_only(self, commit: str) -> CommitRecord:
        """The commit's files from ``--raw`` (trees only); without rename detection if that fails."""
        for extra in ([], ["--no-renames"]):
            record = self.mine_one(commit, numstat=False, extra=extra)
            if record is not None:
                return record
        raise GitMiningError(
            f"{self.repo_id}: git cannot read the trees of commit {commit} in {self.git_dir}"
        )

    def _mine_suspect(self, commit: str) -> CommitRecord:
        """A commit whose diff reads a missing blob: from ``--raw`` alone unless git can diff it."""
        record, detail = self._diff_alone(commit)
        return record or self._undiffable(commit, detail)

    def _mine_suspects(self, ordered: list[str]) -> None:
        """Resolve the suspects' futures in order: from one batch for those certainly undiffable
        (:meth:`_undiffable_in_batch`), one commit at a time (:meth:`_mine_suspect`) for the rest
        and for any the batch could not settle, so errors are those of the one-at-a-time path."""
        try:
            settled = self._undiffable_in_batch(ordered)
        except GitMiningError:
            settled = {}
        for commit in ordered:
            future = self._suspects[commit]
            if self.closed:
                future.cancel()
                continue
            if commit in settled:
                future.set_result(settled[commit])
                continue
            try:
                future.set_result(self._mine_suspect(commit))
            except BaseException as exc:  # raised to the consumer when it reaches the commit
                future.set_exception(exc)

    def _undiffable_in_batch(self, ordered: list[str]) -> dict[str, CommitRecord]:
        """The suspects that read an absent blob and no corrupt one, from ``--raw`` alone, in a
        few git processes instead of five or six each (~1.5 CPU s on deepchem's 81).

        ``--numstat`` reads every blob a diff lists (line counts, the binary check), so a commit
        listing an absent blob cannot be diffed: trying first would only fail. Corruption is ruled
        out as :meth:`_undiffable` does, for all at once: a blob the first pass found missing but
        that is stored has an unreadable header, and every stored blob is read through by one
        ``git cat-file --batch`` (a corrupt body stops it). Anything else is left to the
        one-at-a-time path."""
        if self.policy is not MissingObjects.RECORD:
            return {}
        listed, missing = self._first_pass
        wanted = sorted({blob for commit in ordered for blob in listed.get(commit, [])})
        absent = self._absent(wanted)
        unreadable_header = missing - absent
        sure = [
            commit
            for commit in ordered
            if absent.intersection(listed.get(commit, []))
            and not unreadable_header.intersection(listed[commit])
        ]
        stored = sorted({blob for commit in sure for blob in listed[commit] if blob not in absent})
        if not sure or not self._all_readable(stored):
            return {}
        return self._raw_records(sure)

    def _all_readable(self, objects: list[str]) -> bool:
        """git reads every one of ``objects`` (all stored) through to its end."""
        if not objects:
            return True
        with tempfile.TemporaryFile() as stdin:
            stdin.write(("\n".join(objects) + "\n").encode())
            stdin.seek(0)
            try:
                proc = gitcmd.spawn(
                    ["cat-file", "--batch"],
                    git_dir=self.git_dir,
                    stdin=stdin,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            except OSError as exc:
                raise GitMiningError(f"{self.repo_id}: cannot run git: {exc}") from exc
            return proc.wait() == 0

    def _raw_records(self, commits: list[str]) -> dict[str, CommitRecord]:
        """``--raw`` records of ``commits`` (as :meth:`raw_only` gives them) from one git process,
        restarted after a commit it cannot diff with rename detection, which is then mined alone
        (:meth:`raw_only`: without rename detection if need be)."""
        records: dict[str, CommitRecord] = {}
        rest = list(commits)
        while rest and not self.closed:
            args = diff_options(detect_copies=self.copies, numstat=False)
            output, returncode, _ = self._git_to_file(args, rest)
            with output:
                done = _complete_records(output, rest, whole=returncode == 0)
            records.update((record.commit_hash, record) for record in done)
            rest = rest[len(done) :]
            if rest and returncode != 0:
                records[rest[0]] = self.raw_only(rest[0])
                rest = rest[1:]
        return records

    def _undiffable(self, commit: str, detail: str) -> CommitRecord:
        """A commit git cannot diff: landed from ``--raw`` only when an object it reads is absent
        and the policy is ``record``. A corrupt object (stored, unreadable) fails the run under
        either policy: recording it would pass damage off as a snapshot's gap."""
        blobs = self._blobs_read_by([commit]).get(commit, [])
        absent = self._absent(blobs)
        corrupt = self._unreadable([blob for blob in blobs if blob not in absent])
        where = f"in {self.git_dir}; nothing was landed by this run"
        if corrupt is not None:
            raise GitMiningError(
                f"{self.repo_id}: commit {commit} reads object {corrupt}, which is corrupt "
                f"(stored but unreadable; only an absent object may be recorded) {where}; "
                "repair the repository (git fsck) or mine a fresh clone"
            )
        if not absent:
            raise GitMiningError(
                f"{self.repo_id}: git cannot diff commit {commit} {where} ({gitcmd.last_line(detail)})"
            )
        if self.policy is MissingObjects.FAIL:
            missing = next(blob for blob in blobs if blob in absent)
            raise GitMiningError(
                f"{self.repo_id}: git cannot diff commit {commit} (missing object {missing}) "
                f"{where}; --missing-objects record lands it with unknown line counts"
            )
        return self.raw_only(commit)


class _Worker:
    """One ``git diff-tree --stdin`` process of a pool and the thread that parses its output.

    ``fed`` lists what was written to its stdin and not yet read back: ``(block, commit)`` and
    ``(block, None)`` for a block's boundary line. A block's records go to ``records`` as one list
    when its boundary is read back: one hand-over per block, not per commit, spares the consumer
    thread a wake-up and two GIL hand-offs per commit (~0.3 CPU s of futex calls and context
    switches on mne-python's 18,904 commits).
    """

    #: the running process's pipes (set by _spawn, before anything is fed or read)
    stdin: IO[bytes]
    stdout: IO[bytes]

    def __init__(self, pool: DiffTreePool):
        self.pool = pool
        self.records: queue.SimpleQueue = queue.SimpleQueue()
        #: the records of the block being read, handed over at its boundary
        self.block_records: list[CommitRecord] = []
        self.fed: deque[tuple[int, str | None]] = deque()
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.finished = False
        self.thread = threading.Thread(target=self._read, daemon=True, name="git-diff-tree")

    def start(self) -> None:
        self._spawn()
        self.thread.start()

    def _spawn(self) -> None:
        args = diff_options(detect_copies=self.pool.copies)
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (read after the process ends)
        # Buffered: the echoed boundary line is flushed by git itself, so a block still ends on
        # time, and git writes ~4 KiB at a time instead of once per commit (fewer wake-ups of
        # this process's reader thread and fewer system calls for both).
        proc = gitcmd.spawn(
            args,
            git_dir=self.pool.git_dir,
            stdin=subprocess.PIPE,
            stderr=self.stderr,
            buffered=True,
        )
        assert proc.stdin is not None and proc.stdout is not None  # both are pipes
        self.proc, self.stdin, self.stdout = proc, proc.stdin, proc.stdout
        # Let git run ahead of the parser (Linux only).
        with contextlib.suppress(AttributeError, OSError):
            fcntl.fcntl(self.stdout.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_SIZE)

    def _boundary(self, block: int) -> str:
        return f"\x1fmms-{self.pool.nonce}-{block}"

    def feed(self, block: int, commits: list[str]) -> None:
        with self.lock:
            self.fed.extend((block, commit) for commit in commits)
            self.fed.append((block, None))
            self._write([*commits, self._boundary(block)])

    def _write(self, lines: list[str]) -> None:
        try:
            self.stdin.write(("\n".join(lines) + "\n").encode())
            self.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass  # git died: _recover() feeds what is left to the next process

    def finish(self) -> None:
        """No more blocks: git exits once it has printed what it was given."""
        with self.lock, contextlib.suppress(BrokenPipeError, ValueError):
            self.finished = True
            self.stdin.close()

    def kill(self) -> None:
        with self.lock:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()

    def _read(self) -> None:
        try:
            while not self._drain():
                if self.pool.closed:
                    return
                self._recover()
        except BaseException as exc:  # handed to the consumer, which raises it
            self.records.put(exc)
            self.pool.fail(exc)

    def _drain(self) -> bool:
        """Parse the process's output until it ends; ``True`` if git exited 0."""
        held: CommitRecord | None = None  # complete once anything follows it
        broken = None
        try:
            for item in parse_log(tokens(self.stdout, boundaries=True), boundaries=True):
                if held is not None:
                    self._emit(held)
                    held = None
                if isinstance(item, Boundary):
                    self._end_block(item)
                else:
                    held = item
        except LogFormatError as exc:
            broken = exc
        self.stdout.close()
        if self.proc is None or self.proc.wait() != 0:
            return False
        if broken is not None:
            raise GitMiningError(f"{self.pool.repo_id}: unreadable git output: {broken}")
        if held is not None:
            self._emit(held)
        if self.block_records or self.fed:  # no boundary will come to hand these over
            raise GitMiningError(f"{self.pool.repo_id}: git output ended inside a block")
        return True

    def _emit(self, record: CommitRecord) -> None:
        with self.lock:
            block, commit = self.fed.popleft() if self.fed else (None, None)
        if commit != record.commit_hash:
            raise GitMiningError(
                f"{self.pool.repo_id}: git returned {record.commit_hash} where {commit} was expected"
            )
        self.block_records.append(record)

    def _end_block(self, boundary: Boundary) -> None:
        with self.lock:
            entry = self.fed.popleft() if self.fed else None
        if (
            entry is None
            or entry[1] is not None
            or boundary.label != self._boundary(entry[0])[1:].encode()
        ):
            raise GitMiningError(f"{self.pool.repo_id}: git output out of step at {boundary}")
        self.records.put(self.block_records)
        self.block_records = []
        self.pool.block_done(self)

    def _recover(self) -> None:
        """git died on a commit it cannot diff: land it from ``--raw`` (or fail, by policy; a
        corrupt object always fails) and feed what was left to a new process."""
        pool = self.pool
        self.stderr.seek(0)
        detail = self.stderr.read().decode("utf-8", "replace")
        with self.lock:
            remaining = [commit for _, commit in self.fed if commit is not None]
        # The failing commit is the next one, or the one after it: git may have died before
        # printing a header, so the last complete record was held back.
        culprit = held = None
        for commit in remaining[:2]:
            record = pool.mine_one(commit)
            if record is None:
                culprit = commit
                break
            held = record
        if culprit is None:
            raise GitMiningError(
                f"{pool.repo_id}: git died while diffing commit {' or '.join(remaining[:2])} in "
                f"{pool.git_dir}; nothing was landed by this run ({gitcmd.last_line(detail)})"
            )
        if held is not None:  # the held-back commit is diffable: mined alone above
            self._emit(held)
        self._emit(pool._undiffable(culprit, detail))
        with self.lock:
            self._spawn()
            lines = [commit or self._boundary(block) for block, commit in self.fed]
            if lines:
                self._write(lines)
            if self.finished:  # no more blocks were coming to the process that died
                self.stdin.close()
