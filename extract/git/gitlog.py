"""The fast engine: streamed ``git log`` processes (two on two cores), parsed from the pipes as bytes.

Output format (``-z``): each commit starts with a header whose first field is marked with ``\\x1e``;
fields are NUL-separated (hash, parents, author name/email/date, committer name/email/date, raw
body ``%B``). Then come the ``--raw`` records (``:<modes> <blobs> <status>`` and one path, or two
for renames and copies) and the ``--numstat`` records (``added\\tdeleted\\tpath``, or an empty path
followed by old and new path) of the same diff queue, in the same order. The parser knows by position
which token is a path, so paths and messages may hold any byte but NUL.

Decoding: paths, names and e-mails are UTF-8; bytes that are not valid UTF-8 become U+FFFD
(documented in docs/git-mining.md; git paths are bytes, the warehouse stores text). Messages go
through git's own re-encoding to UTF-8 (it honours a commit's ``encoding`` header, as GitPython
does) and are kept byte-faithful when the result is valid UTF-8; otherwise they are decoded with
replacement and flagged with ``message_decoding_replaced``.

Merges: diffed against their first parent only (``--diff-merges=first-parent``), for the modified
files *and* the line counts; octopus merges too. Root commits are diffed against the empty tree.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from extract.git.gitcmd import git_env, is_full_hash, scrub
from extract.git.records import CommitRecord, GitMiningError, ModifiedFileRecord

_MARK = b"\x1e"
_FORMAT = "%x1e%H%x00%P%x00%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd%x00%B"
_STATUS = {
    ord("A"): "ADD",
    ord("D"): "DELETE",
    ord("M"): "MODIFY",
    ord("R"): "RENAME",
    ord("C"): "COPY",
    ord("T"): "TYPE_CHANGE",
}
_CHUNK = 1 << 20
_MISSING = re.compile(rb"([0-9a-f]{40})")
#: commits dealt to one git process at a time; git processes per repository at most
BLOCK = 32
MAX_JOBS = 2
#: commits handed to one git process (it is restarted on the rest after an undiffable commit)
WINDOW = 1000
_PIPE_SIZE = 1 << 20

#: the options that decide what the landed rows mean; the benchmark reuses them
LOG_OPTIONS = [
    "-c",
    "core.quotepath=off",
    "-c",
    "log.showSignature=false",
    "-c",
    "log.mailmap=false",
    "-c",
    "diff.noprefix=false",
    "log",
    "-z",
    "--raw",
    "--numstat",
    "--no-abbrev",
    "-M",
    "-C",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--diff-merges=first-parent",
    "--date=raw",
    f"--format={_FORMAT}",
]


class _Truncated(Exception):
    pass


def _tokens(stream) -> Iterator[bytes]:
    rest = b""
    while chunk := stream.read1(_CHUNK):
        parts = (rest + chunk).split(b"\0") if rest else chunk.split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


_TZ_CACHE: dict[bytes, tuple[timezone, int]] = {}


def _when(raw: bytes) -> tuple[datetime, int]:
    seconds, _, offset = raw.partition(b" ")
    cached = _TZ_CACHE.get(offset)
    if cached is None:
        sign = -1 if offset[:1] == b"-" else 1
        minutes = sign * (int(offset[1:3]) * 60 + int(offset[3:5]))
        cached = (timezone(timedelta(minutes=minutes)), minutes)
        _TZ_CACHE[offset] = cached
    tz, minutes = cached
    return datetime.fromtimestamp(int(seconds), UTC).astimezone(tz), minutes


def parse_log(tokens: Iterator[bytes], *, numstat: bool = True) -> Iterator[CommitRecord]:
    """Turn the NUL-separated tokens of ``git log`` (:data:`LOG_OPTIONS`) into records.

    With ``numstat=False`` (the output of a ``--raw``-only log, used for commits whose blobs are
    missing) line counts and the binary flag are ``None``: unknown, not zero.
    """

    def take() -> bytes:
        try:
            return next(tokens)
        except StopIteration:
            raise _Truncated from None

    pending = next(tokens, None)
    while pending is not None:
        if not pending.startswith(_MARK):
            raise ValueError(f"expected a commit header, got {pending[:80]!r}")
        commit_hash = pending[1:].decode("ascii")
        parents = take().decode("ascii").split()
        author_name, author_email, author_date = take(), take(), take()
        committer_name, committer_email, committer_date = take(), take(), take()
        raw_message = take()
        try:
            message, replaced = raw_message.decode("utf-8"), False
        except UnicodeDecodeError:
            message, replaced = raw_message.decode("utf-8", "replace"), True
        changes: list[tuple[str, bytes | None, bytes | None]] = []
        counts: list[tuple[bytes, bytes]] = []
        pending = next(tokens, None)
        if pending is not None and pending[:1] == b"\n":
            pending = pending[1:]  # git separates the header from the diff with a newline
        while pending is not None and not pending.startswith(_MARK):
            if pending[:1] == b":":
                status = pending.rpartition(b" ")[2]
                kind = _STATUS.get(status[0])
                if kind is None:
                    raise ValueError(f"unknown change status {status!r} in {commit_hash}")
                if kind in ("RENAME", "COPY"):
                    old, new = take(), take()
                else:
                    path = take()
                    old = None if kind == "ADD" else path
                    new = None if kind == "DELETE" else path
                changes.append((kind, old, new))
            else:
                added, deleted, path = pending.split(b"\t", 2)
                if not path:
                    take(), take()
                counts.append((added, deleted))
            pending = next(tokens, None)
        if not numstat:
            counts = [(None, None)] * len(changes)
        if len(changes) != len(counts):
            raise ValueError(
                f"{commit_hash}: {len(changes)} raw records but {len(counts)} numstat records"
            )
        files = []
        insertions = deletions = 0
        for (kind, old, new), (added, deleted) in zip(changes, counts, strict=True):
            if added is None:
                binary = a = d = None
            else:
                binary = added == b"-"
                a = 0 if binary else int(added)
                d = 0 if binary else int(deleted)
                insertions += a
                deletions += d
            files.append(
                ModifiedFileRecord(
                    kind,
                    None if old is None else _text(old),
                    None if new is None else _text(new),
                    a,
                    d,
                    binary,
                )
            )
        authored_at, author_tz = _when(author_date)
        committed_at, committer_tz = _when(committer_date)
        yield CommitRecord(
            commit_hash,
            parents,
            _text(author_name),
            _text(author_email),
            authored_at,
            author_tz,
            _text(committer_name),
            _text(committer_email),
            committed_at,
            committer_tz,
            message,
            replaced,
            insertions if numstat else None,
            deletions if numstat else None,
            files,
        )


class _LogFailed(Exception):
    def __init__(self, last: str | None, detail: str):
        super().__init__(detail)
        self.last = last
        self.detail = detail


def _run_log(
    git_dir: Path, lines: list[str], extra: list[str], *, numstat: bool = True
) -> Iterator[CommitRecord]:
    """One ``git log`` process; revisions on stdin. Raises _LogFailed if git exits non-zero.

    The newest parsed record is held back until the next header arrives or git exits 0: a git that
    dies mid-diff may have printed a commit's header and part of its diff.
    """
    options = LOG_OPTIONS if numstat else [o for o in LOG_OPTIONS if o != "--numstat"]
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
        stdin.write(("\n".join(lines) + "\n").encode())
        stdin.seek(0)
        proc = subprocess.Popen(
            ["git", f"--git-dir={git_dir}", *options, *extra, "--stdin"],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=git_env(),
        )
        # Let git run ahead while another process's output is being read (Linux only).
        with contextlib.suppress(AttributeError, OSError):
            fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
        held: CommitRecord | None = None
        last: str | None = None
        broken: Exception | None = None
        try:
            try:
                for record in parse_log(_tokens(proc.stdout), numstat=numstat):
                    if held is not None:
                        last = held.commit_hash
                        yield held
                    held = record
            except (_Truncated, ValueError, UnicodeDecodeError) as exc:
                broken = exc
            proc.stdout.close()
            returncode = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if returncode != 0:
            stderr.seek(0)
            raise _LogFailed(last, stderr.read().decode("utf-8", "replace"))
        if broken is not None:
            raise ValueError(f"unreadable git log output after commit {last}: {broken!r}")
        if held is not None:
            yield held


def _rev_list(git_dir: Path, head: str, exclude: list[str]) -> list[str]:
    listing = subprocess.run(
        ["git", f"--git-dir={git_dir}", "rev-list", "--stdin"],
        input=("\n".join([head, *(f"^{rev}" for rev in exclude)]) + "\n").encode(),
        capture_output=True,
        env=git_env(),
        check=False,
    )
    if listing.returncode != 0:
        raise _LogFailed(None, listing.stderr.decode("utf-8", "replace"))
    return listing.stdout.decode().split()


def _diffable(git_dir: Path, commit: str) -> bool:
    probe = subprocess.run(
        [
            "git",
            f"--git-dir={git_dir}",
            "diff-tree",
            "-r",
            "--root",
            "--numstat",
            "-M",
            "-C",
            "--no-commit-id",
            "--diff-merges=first-parent",
            commit,
        ],
        capture_output=True,
        env=git_env(),
        check=False,
    )
    return probe.returncode == 0


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
    missing_objects: str = "fail",
    undiffable: list[str] | None = None,
    jobs: int | None = None,
) -> Iterator[CommitRecord]:
    """Stream every commit reachable from ``head`` and not from ``exclude``, or exactly ``only``.

    Records come in ``git rev-list`` order (or the order of ``only``). Revisions are full hashes
    resolved beforehand and reach git on stdin (``--stdin``), so no user input meets git's option
    parser and thousands of them fit.

    The commit list is dealt round-robin, in blocks of :data:`BLOCK` commits, to ``jobs`` ``git log
    --no-walk=unsorted`` processes (default :func:`default_jobs`) that run at the same time; their
    outputs are read in turn, so records stay in order and memory stays flat (each pipe buffers at
    most about a megabyte ahead).

    A commit git cannot diff (a snapshot without some blobs) either raises
    :class:`GitMiningError` naming the repository, the commit and the missing object
    (``missing_objects="fail"``), or (``"record"``) is landed from its ``--raw`` diff alone, with
    line counts and binary flags ``None``, its hash appended to ``undiffable``; that process then
    resumes after it.
    """
    if missing_objects not in ("fail", "record"):
        raise GitMiningError(f"{repo_id}: missing_objects must be 'fail' or 'record'")
    revs = list(only) if only is not None else [head, *exclude]
    for rev in revs:
        if not isinstance(rev, str) or not is_full_hash(rev):
            raise GitMiningError(f"{repo_id}: {rev!r} is not a full commit hash")
    if only is not None:
        order = list(dict.fromkeys(revs))
    else:
        try:
            order = _rev_list(git_dir, head, list(exclude))
        except _LogFailed as exc:
            raise GitMiningError(
                f"{repo_id}: git cannot list the commits of {git_dir}: {scrub(exc.detail)}"
            ) from exc
    if not order:
        return
    jobs = default_jobs() if jobs is None else max(1, int(jobs))
    jobs = min(jobs, -(-len(order) // BLOCK))
    lists: list[list[str]] = [[] for _ in range(jobs)]
    for start in range(0, len(order), BLOCK):
        lists[(start // BLOCK) % jobs].extend(order[start : start + BLOCK])
    streams = [
        _mine_list(git_dir, commits, repo_id=repo_id, missing_objects=missing_objects)
        for commits in lists
    ]
    try:
        for start in range(0, len(order), BLOCK):
            stream = streams[(start // BLOCK) % jobs]
            for expected in order[start : start + BLOCK]:
                record = next(stream, None)
                if record is None or record.commit_hash != expected:
                    got = record.commit_hash if record else "nothing"
                    raise GitMiningError(
                        f"{repo_id}: git log returned {got} where {expected} was expected"
                    )
                if record.insertions is None and undiffable is not None:
                    undiffable.append(expected)
                yield record
    finally:
        for stream in streams:
            stream.close()  # stops the other git processes early if this one failed


def _mine_list(
    git_dir: Path, commits: list[str], *, repo_id: str, missing_objects: str
) -> Iterator[CommitRecord]:
    """Exactly ``commits``, in order, from one ``git log --no-walk`` process (restarted after a
    commit it cannot diff); an undiffable commit comes from :func:`_raw_only`."""
    start = 0
    while start < len(commits):
        # A bounded window per process: git parses every listed commit before printing any, and
        # a restart after an undiffable commit would re-read the whole rest of the list.
        batch = commits[start : start + WINDOW]
        done = 0
        try:
            for record in _run_log(git_dir, batch, ["--no-walk=unsorted"]):
                done += 1
                yield record
            start += len(batch)
            continue
        except ValueError as exc:
            raise GitMiningError(f"{repo_id}: {exc}") from exc
        except _LogFailed as failure:
            remaining = batch[done:]
            # The failing commit is the next one, or the one after it: git may have died before
            # printing a header, so the last complete record was held back.
            culprit = next((c for c in remaining[:2] if not _diffable(git_dir, c)), None)
            missing = _MISSING.findall(failure.detail.encode())
            if culprit is None or missing_objects == "fail":
                where = f"commit {culprit}" if culprit else f"the commit after {failure.last}"
                what = f" (missing object {missing[0].decode()})" if missing else ""
                raise GitMiningError(
                    f"{repo_id}: git cannot diff {where}{what} in {git_dir}; nothing was "
                    f"landed by this run: {scrub(failure.detail.strip())[-500:]}"
                ) from None
            if culprit != remaining[0]:  # the held-back commit is diffable: mine it alone
                yield from _mine_list(
                    git_dir, remaining[:1], repo_id=repo_id, missing_objects=missing_objects
                )
            yield _raw_only(git_dir, culprit, repo_id)
            start += done + remaining.index(culprit) + 1


def _raw_only(git_dir: Path, commit: str, repo_id: str) -> CommitRecord:
    """The commit's files from ``--raw`` (trees only); without rename detection if that fails too."""
    for extra in (["--no-walk"], ["--no-walk", "--no-renames"]):
        try:
            records = list(_run_log(git_dir, [commit], extra, numstat=False))
        except _LogFailed:
            continue
        if len(records) == 1:
            return records[0]
    raise GitMiningError(f"{repo_id}: git cannot read the trees of commit {commit} in {git_dir}")
