"""The parser of ``git log -z --raw --numstat`` output: bytes in, :class:`CommitRecord` out.

Format (``-z``, :data:`FORMAT`): each commit starts with a header whose first field is marked with
``\\x1e``; fields are NUL-separated (hash, parents, author name/email/date, committer
name/email/date, raw body ``%B``). Then come the ``--raw`` records (``:<modes> <blobs> <status>``
and one path, or two for renames and copies) and the ``--numstat`` records (``added\\tdeleted\\tpath``,
or an empty path followed by old and new path) of the same diff queue, in the same order. The parser
knows by position which token is a path, so paths and messages may hold any byte but NUL.

Decoding: paths, names and e-mails are UTF-8; bytes that are not valid UTF-8 become U+FFFD
(documented in docs/git-mining.md; git paths are bytes, the warehouse stores text). Messages come
through git's own re-encoding to UTF-8 (it honours a commit's ``encoding`` header, as GitPython
does) and are kept byte-faithful when the result is valid UTF-8; otherwise they are decoded with
replacement and flagged with ``message_decoding_replaced``.

Pure: no git, no files. tests/extract/git/data/ holds recorded byte streams of its error paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import IO, Literal, overload

from extract.git.records import ChangeType, CommitRecord, ModifiedFileRecord

MARK = b"\x1e"
#: first byte of a boundary line: a line fed to ``git diff-tree --stdin`` that is not a commit is
#: echoed to its output, so a fed ``\x1f<label>\n`` marks where the output of a block of commits ends
BOUNDARY = b"\x1f"
FORMAT = "%x1e%H%x00%P%x00%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd%x00%B"
#: git's status letter -> change type (A D M R C T; the letters are the names' initials)
_STATUS = {ord(change.value[0]): change for change in ChangeType}
_HEX = frozenset("0123456789abcdef")
_TWO_PATHS = (ChangeType.RENAME, ChangeType.COPY)
_CHUNK = 1 << 20


class LogFormatError(ValueError):
    """Output of ``git log`` this parser cannot read; the message names the commit."""


class LogTruncated(LogFormatError):
    """The output ends inside a commit's header or diff."""


@dataclass(frozen=True)
class Boundary:
    """An echoed boundary line: every commit fed before it has been printed."""

    label: bytes


def tokens(stream: IO[bytes], *, boundaries: bool = False) -> Iterator[bytes]:
    """The NUL-separated tokens of a byte stream, read as it comes (a megabyte at most at once).

    With ``boundaries``, echoed boundary lines are tokens of their own, handed over as soon as they
    arrive (no NUL follows them until git prints the next commit, which may wait for more input).
    """
    rest = b""
    # read1: what has arrived, without waiting for a full chunk (every buffered stream has it)
    read = getattr(stream, "read1", stream.read)
    while chunk := read(_CHUNK):
        parts = (rest + chunk).split(b"\0") if rest else chunk.split(b"\0")
        rest = parts.pop()
        for part in parts:
            if boundaries and part[:1] == BOUNDARY:
                lines, part = _boundary_lines(part)
                yield from lines
                if not part:
                    continue
            yield part
        if boundaries and rest[:1] == BOUNDARY:
            lines, rest = _boundary_lines(rest)
            yield from lines
    if rest:
        yield rest


def _boundary_lines(part: bytes) -> tuple[list[bytes], bytes]:
    """Complete boundary lines at the start of ``part``, and what follows them."""
    lines = []
    while part[:1] == BOUNDARY and b"\n" in part:
        line, part = part.split(b"\n", 1)
        lines.append(line)
    return lines, part


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


_TZ_CACHE: dict[bytes, tuple[timezone, int]] = {}


def _when(raw: bytes, commit_hash: str) -> tuple[datetime, int]:
    seconds, _, offset = raw.partition(b" ")
    cached = _TZ_CACHE.get(offset)
    try:
        if cached is None:
            sign = -1 if offset[:1] == b"-" else 1
            minutes = sign * (int(offset[1:3]) * 60 + int(offset[3:5]))
            cached = (timezone(timedelta(minutes=minutes)), minutes)
            _TZ_CACHE[offset] = cached
        tz, minutes = cached
        return datetime.fromtimestamp(int(seconds), tz), minutes
    except (ValueError, OverflowError) as exc:
        raise LogFormatError(f"{commit_hash}: unreadable date {raw[:40]!r}") from exc


class _Stream:
    """Tokens with a one-token lookahead; :meth:`take` inside a commit fails on a cut stream."""

    def __init__(self, source: Iterator[bytes]):
        self._source = source

    def next(self) -> bytes | None:
        return next(self._source, None)

    def take_many(self, count: int, commit_hash: str) -> list[bytes]:
        taken = list(islice(self._source, count))
        if len(taken) < count:
            raise LogTruncated(f"the output ends inside commit {commit_hash}")
        return taken

    def take(self, commit_hash: str) -> bytes:
        try:
            return next(self._source)
        except StopIteration:
            raise LogTruncated(f"the output ends inside commit {commit_hash}") from None


@overload
def parse_log(
    source: Iterator[bytes], *, numstat: bool = True, boundaries: Literal[False] = False
) -> Iterator[CommitRecord]: ...


@overload
def parse_log(
    source: Iterator[bytes], *, numstat: bool = True, boundaries: bool
) -> Iterator[CommitRecord | Boundary]: ...


def parse_log(
    source: Iterator[bytes], *, numstat: bool = True, boundaries: bool = False
) -> Iterator[CommitRecord | Boundary]:
    """Turn the NUL-separated tokens of ``git log``/``git diff-tree`` into records, one per header.

    With ``numstat=False`` (the output of a ``--raw``-only diff, used for commits whose blobs are
    missing) line counts and binary flags are ``None``: unknown, not zero. With ``boundaries``,
    boundary tokens (:func:`tokens`) end the commit before them and come out as :class:`Boundary`.
    Raises :class:`LogFormatError` on output it cannot read.
    """
    stream = _Stream(source)
    pending = stream.next()
    while pending is not None:
        if boundaries and pending[:1] == BOUNDARY:
            yield Boundary(pending[1:])
            pending = stream.next()
            continue
        if not pending.startswith(MARK):
            raise LogFormatError(f"expected a commit header, got {pending[:80]!r}")
        header = _header(pending, stream)
        changes, counts, pending = _diff(header[0], stream)
        yield _record(header, changes, counts if numstat else None)


def _header(first: bytes, stream: _Stream) -> list:
    commit_hash = first[1:].decode("ascii", "replace")
    if len(commit_hash) not in (40, 64) or not _HEX.issuperset(commit_hash):
        raise LogFormatError(f"unreadable commit hash {first[1:80]!r}")
    fields = stream.take_many(8, commit_hash)
    parents = fields[0].decode("ascii", "replace").split()
    return [commit_hash, parents, *fields[1:]]


def _diff(commit_hash: str, stream: _Stream):
    """The raw records and numstat counts of one commit, and the token after them."""
    changes: list[tuple[ChangeType, bytes | None, bytes | None]] = []
    counts: list[tuple[bytes, bytes]] = []
    pending = stream.next()
    if pending is not None and pending[:1] == b"\n":
        pending = pending[1:]  # git separates the header from the diff with a newline
    while pending is not None and pending[:1] not in (MARK, BOUNDARY):
        if pending[:1] == b":":
            status = pending.rpartition(b" ")[2]
            kind = _STATUS.get(status[0]) if status else None
            if kind is None:
                raise LogFormatError(f"unknown change status {status!r} in {commit_hash}")
            if kind in _TWO_PATHS:
                changes.append((kind, stream.take(commit_hash), stream.take(commit_hash)))
            else:
                path = stream.take(commit_hash)
                old = None if kind is ChangeType.ADD else path
                changes.append((kind, old, None if kind is ChangeType.DELETE else path))
        else:
            fields = pending.split(b"\t", 2)
            if len(fields) != 3:
                raise LogFormatError(f"unreadable numstat record {pending[:80]!r} in {commit_hash}")
            if not fields[2]:
                stream.take(commit_hash), stream.take(commit_hash)  # old and new path
            counts.append((fields[0], fields[1]))
        pending = stream.next()
    return changes, counts, pending


def _record(header: list, changes: list, counts: list[tuple[bytes, bytes]] | None) -> CommitRecord:
    commit_hash, parents, a_name, a_mail, a_date, c_name, c_mail, c_date, raw_message = header
    if counts is not None and len(changes) != len(counts):
        raise LogFormatError(
            f"{commit_hash}: {len(changes)} raw records but {len(counts)} numstat records"
        )
    files = []
    insertions = deletions = 0
    for index, (kind, old, new) in enumerate(changes):
        added: int | None = None
        deleted: int | None = None
        binary: bool | None = None
        if counts is not None:
            added, deleted, binary = _counts(*counts[index], commit_hash)
            insertions += added
            deletions += deleted
        files.append(
            ModifiedFileRecord(
                kind,
                None if old is None else _text(old),
                None if new is None else _text(new),
                added,
                deleted,
                binary,
            )
        )
    try:
        message, replaced = raw_message.decode("utf-8"), False
    except UnicodeDecodeError:
        message, replaced = raw_message.decode("utf-8", "replace"), True
    authored_at, author_tz = _when(a_date, commit_hash)
    committed_at, committer_tz = _when(c_date, commit_hash)
    known = counts is not None
    return CommitRecord(
        commit_hash,
        parents,
        _text(a_name),
        _text(a_mail),
        authored_at,
        author_tz,
        _text(c_name),
        _text(c_mail),
        committed_at,
        committer_tz,
        message,
        replaced,
        insertions if known else None,
        deletions if known else None,
        files,
    )


def _counts(added: bytes, deleted: bytes, commit_hash: str) -> tuple[int, int, bool]:
    if added == b"-" and deleted == b"-":
        return 0, 0, True  # numstat's mark for a binary file
    try:
        return int(added), int(deleted), False
    except ValueError:
        raise LogFormatError(
            f"unreadable line counts {added[:20]!r} {deleted[:20]!r} in {commit_hash}"
        ) from None
