"""Per-commit summaries of model-file commits' diffs: what a rater reads besides the message.

``mms-extract git diffs OWNER/NAME --source PATH`` is a separate, opt-in pass over a repository that
``git mine`` has landed: it reads the landed commits and modified files, picks the model-file
commits (non-empty message, a modified path containing a Table 2 keyword variant: the warehouse's
frame rule, substring mode), runs one ``git diff-tree --stdin -p -U0`` over them and one
``git cat-file --batch`` over their model files, and lands one row per commit in
``git/commit_diffs`` (docs/landing-contract.md). The label suggester reads it when it is there
(analysis/suggester.py) and does without when it is not; ``git mine`` never pays for it.

A summary is not the diff: it keeps the distinct identifiers of the added and removed lines (model
files apart from the rest), the modules imported or no longer imported, and what every model file
imports and subclasses as it stands after the commit (what tells a Django model from a torch one,
whatever the diff touched). Each file's diff is read up to :data:`MAX_LINES_PER_FILE` lines and a
commit's up to :data:`MAX_LINES_PER_COMMIT` (a vendored data file or a notebook's outputs would
otherwise dominate), and each list keeps its first :data:`MAX_TOKENS` distinct entries.

Re-running is incremental: rows of the same :data:`SUMMARY_VERSION` for commits still in the frame
are kept, new frame commits are summarised, and the partition is replaced atomically.
"""

from __future__ import annotations

import csv
import functools
import re
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from base.repo_id import InvalidRepoId, validate_repo_id
from extract.git import gitcmd
from extract.git.records import GitMiningError

TABLE = "git/commit_diffs"
#: bump when what a summary holds changes: rows of another version are summarised again
SUMMARY_VERSION = "commit-diffs-1"
MAX_LINES_PER_FILE = 400
MAX_LINES_PER_COMMIT = 4000
MAX_TOKENS = 300
#: bytes of a model file read for its imports and class bases (imports are at the top)
MAX_FILE_BYTES = 64 * 1024
#: commits per ``git diff-tree`` call: bounds the memory of one call's unread output
BATCH = 200

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]+")
_IMPORT = re.compile(
    r"^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import\b|import\s+([A-Za-z_][\w.]*)"
    r"|.*\brequire\(\s*['\"]([^'\"]+)['\"]\s*\)|import\s.*\bfrom\s+['\"]([^'\"]+)['\"]"
    r"|\s*library\(\s*['\"]?([\w.]+))"
)
_CLASS = re.compile(r"^\s*class\s+\w+\s*\(([^)]*)\)")

Log = Callable[[str], None]


@dataclass
class FileDiff:
    path: str
    is_model_file: bool
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    deleted: bool = False


@dataclass
class DiffSummary:
    """What :func:`land_commit_diffs` did for one repository."""

    repo_id: str
    frame_commits: int
    summarised: int
    kept: int
    path: Path | None


def model_file_variants(keywords_csv: Path | None = None) -> list[str]:
    """The lower-cased Table 2 keyword variants (the dbt seed the warehouse's frame uses)."""
    from base import settings

    path = keywords_csv or settings.dbt_project_dir() / "seeds" / "model_file_keywords.csv"
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            variants = {row["variant"].strip().lower() for row in csv.DictReader(handle)}
    except (OSError, KeyError) as exc:
        raise GitMiningError(f"cannot read the model-file keywords {path}: {exc}") from exc
    return sorted(v for v in variants if v)


@functools.lru_cache(maxsize=8)
def _variants_pattern(variants: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(re.escape(v) for v in variants))


def is_model_path(path: str | None, variants: Iterable[str]) -> bool:
    """Whether the lower-cased path contains a keyword variant (the frame's substring rule)."""
    return bool(_variants_pattern(tuple(variants)).search((path or "").lower()))


def _distinct(values: Iterable[str], limit: int = MAX_TOKENS) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value not in seen:
            seen[value] = None
            if len(seen) >= limit:
                break
    return list(seen)


def imports_of(lines: Iterable[str]) -> list[str]:
    """Modules imported by the lines (Python import/from, JavaScript require/import, R library)."""
    found = []
    for line in lines:
        match = _IMPORT.match(line)
        if match:
            found.append(next(group for group in match.groups() if group).lower())
    return _distinct(found)


def class_bases_of(lines: Iterable[str]) -> list[str]:
    """The base classes named by ``class X(Base, ...)`` lines, lower-cased as written."""
    bases = []
    for line in lines:
        match = _CLASS.match(line)
        if match:
            for base in match.group(1).split(","):
                base = base.strip().split("=")[-1].strip().lower()
                if base and "metaclass" not in base:
                    bases.append(base)
    return _distinct(bases)


def identifiers_of(lines: Iterable[str]) -> list[str]:
    return _distinct(token.lower() for line in lines for token in _IDENTIFIER.findall(line))


def _unquote(path: str) -> str:
    """A path as git prints it in ``+++``/``---`` lines (C-quoted when unusual; prefix a/ or b/)."""
    path = path.rstrip("\t")
    if path.startswith('"') and path.endswith('"'):
        path = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        path = path.encode("latin-1", "replace").decode("utf-8", "replace")
    return path[2:] if path[:2] in ("a/", "b/") else path


def parse_patches(lines: Iterable[bytes], variants: list[str]) -> Iterator[tuple[str, list]]:
    """(commit hash, [FileDiff]) for each commit of ``git diff-tree --stdin -p -U0`` output whose
    records start with a ``\\x1e<hash>`` line."""
    files: list[FileDiff] = []
    commit, current, read, header = None, None, 0, False
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if line.startswith("\x1e"):
            if commit is not None:
                yield commit, files
            commit, files, current, read, header = line[1:].strip(), [], None, 0, False
        elif line.startswith("diff --git "):
            current, header = None, True
        elif header and line.startswith("--- "):
            current = FileDiff(_unquote(line[4:]), False)
        elif header and line.startswith("+++ ") and current is not None:
            if line[4:] == "/dev/null":
                current.deleted = True
            else:
                current.path = _unquote(line[4:])
            current.is_model_file = is_model_path(current.path, variants)
            files.append(current)
            header = False
        elif current is not None and not header and line[:1] in ("+", "-"):
            if read >= MAX_LINES_PER_COMMIT:
                continue
            if len(current.added) + len(current.removed) < MAX_LINES_PER_FILE:
                (current.added if line[0] == "+" else current.removed).append(line[1:])
                read += 1
    if commit is not None:
        yield commit, files


def frame_commits(root: Path, repo_id: str, variants: list[str]) -> tuple[list[str], dict, dict]:
    """The landed model-file commits (sorted) and, per commit, its model files git can show and
    every path it modifies."""
    import landing

    commits = landing.read_partition(root, "git/commits", repo_id)
    files = landing.read_partition(root, "git/modified_files", repo_id)
    if commits is None or files is None:
        raise GitMiningError(
            f"{repo_id}: no landed commits under {root}/git: run `mms-extract git mine` first"
        )
    with_message = {
        commit
        for commit, message in zip(
            commits["commit_hash"].to_pylist(), commits["message"].to_pylist(), strict=True
        )
        if (message or "").strip()
    }
    model_files: dict[str, list[str]] = {}
    paths: dict[str, list[str]] = {}
    rows = zip(
        files["commit_hash"].to_pylist(),
        files["old_path"].to_pylist(),
        files["new_path"].to_pylist(),
        files["is_binary"].to_pylist(),
        strict=True,
    )
    for commit, old, new, binary in rows:
        paths.setdefault(commit, []).extend(p for p in (old, new) if p)
        if commit in with_message and is_model_path(new or old, variants):
            shown = model_files.setdefault(commit, [])
            if new and not binary:  # a deleted or binary model file has no text to read
                shown.append(new)
    return sorted(model_files), model_files, paths


_DIFF_TREE = ["diff-tree", "--stdin", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-textconv"]
_DIFF_TREE += ["--root", "--diff-merges=first-parent", "--format=%x1e%H"]


def _diff(git_dir: Path, hashes: list[str], variants: list[str], pathspec=()) -> list | None:
    """[(commit, [FileDiff])] of the commits, or None when git cannot diff them (a missing blob:
    snapshots lack large files). Output is read as it comes and capped per commit."""
    args = [*_DIFF_TREE, *(["--", *pathspec] if pathspec else ["-M"])]
    proc = gitcmd.spawn(args, git_dir=git_dir, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None  # spawned with pipes
    _feed(proc, "".join(f"{h}\n" for h in hashes).encode())
    parsed = list(parse_patches(proc.stdout, variants))
    proc.stderr.read()
    return parsed if proc.wait() == 0 else None


def _diff_batch(git_dir: Path, hashes: list[str], variants: list[str], paths: dict, repo_id: str):
    """The batch in one git call; when a blob is missing, commit by commit, and a commit that still
    fails file by file, leaving out the files git cannot read."""
    try:
        parsed = _diff(git_dir, hashes, variants)
        if parsed is not None:
            return parsed
        out = []
        for commit in hashes:
            single = _diff(git_dir, [commit], variants)
            if single is None:
                files = []
                for path in dict.fromkeys(paths.get(commit, [])):
                    one = _diff(git_dir, [commit], variants, pathspec=[f":(literal){path}"])
                    files += [f for _, fs in one or [] for f in fs]
                single = [(commit, files)]
            out += single
        return out
    except OSError as exc:
        raise GitMiningError(f"{repo_id}: cannot run git diff-tree: {exc}") from exc


def _feed(proc: subprocess.Popen, data: bytes) -> None:
    """Write stdin from a thread: git answers while it reads, and a full pipe would block both."""
    import threading

    stdin = proc.stdin
    assert stdin is not None  # spawned with stdin=PIPE

    def write() -> None:
        try:
            stdin.write(data)
        except BrokenPipeError:
            pass  # git stopped reading: its exit status says why
        finally:
            stdin.close()

    threading.Thread(target=write, daemon=True).start()


def model_file_texts(git_dir: Path, wanted: list[tuple[str, str]], repo_id: str) -> dict:
    """(commit, path) -> the start of the file's text after the commit (``git cat-file --batch``)."""
    if not wanted:
        return {}
    request = "".join(f"{commit}:{path}\n" for commit, path in wanted).encode()
    sizes = gitcmd.run_git(
        ["cat-file", "--batch-check=%(objecttype) %(objectsize)"],
        git_dir=git_dir,
        repo_id=repo_id,
        what="cat-file --batch-check",
        input=request,
    ).splitlines()
    small = [
        key
        for key, line in zip(wanted, sizes, strict=True)
        if line.startswith(b"blob ") and int(line.split()[1]) <= 16 * MAX_FILE_BYTES
    ]
    if not small:
        return {}
    proc = gitcmd.spawn(["cat-file", "--batch"], git_dir=git_dir, stdin=subprocess.PIPE)
    assert proc.stdout is not None  # spawn's stdout is a pipe
    _feed(proc, "".join(f"{commit}:{path}\n" for commit, path in small).encode())
    texts = {}
    for key in small:
        header = proc.stdout.readline().split()
        content = proc.stdout.read(int(header[2])) + proc.stdout.read(1)
        texts[key] = content[:MAX_FILE_BYTES].decode("utf-8", "replace")
    proc.stdout.close()
    proc.wait()
    return texts


def summary_row(repo_id: str, commit: str, files: list[FileDiff], texts: list[str]) -> dict:
    model = [f for f in files if f.is_model_file]
    other = [f for f in files if not f.is_model_file]
    added = [line for f in files for line in f.added]
    removed = [line for f in files for line in f.removed]
    text_lines = [line for text in texts for line in text.splitlines()]
    return {
        "repo_id": repo_id,
        "commit_hash": commit,
        "summary_version": SUMMARY_VERSION,
        "diff_files": len(files),
        "diff_lines_read": len(added) + len(removed),
        "added_imports": imports_of(added),
        "removed_imports": imports_of(removed),
        "model_added_identifiers": identifiers_of(line for f in model for line in f.added),
        "model_removed_identifiers": identifiers_of(line for f in model for line in f.removed),
        "other_added_identifiers": identifiers_of(line for f in other for line in f.added),
        "other_removed_identifiers": identifiers_of(line for f in other for line in f.removed),
        "model_file_imports": imports_of(text_lines),
        "model_file_class_bases": class_bases_of(text_lines),
        "summarised_at": datetime.now(UTC),
    }


def summarise(
    git_dir: Path,
    repo_id: str,
    hashes: list[str],
    model_files: dict,
    paths: dict,
    variants: list[str],
) -> Iterator[dict]:
    for start in range(0, len(hashes), BATCH):
        batch = hashes[start : start + BATCH]
        wanted = [(commit, path) for commit in batch for path in model_files.get(commit, [])]
        texts = model_file_texts(git_dir, wanted, repo_id)
        seen = set()
        for commit, files in _diff_batch(git_dir, batch, variants, paths, repo_id):
            seen.add(commit)
            shown = [
                texts[(commit, p)] for p in model_files.get(commit, []) if (commit, p) in texts
            ]
            yield summary_row(repo_id, commit, files, shown)
        for commit in batch:
            if commit not in seen:  # an empty diff (e.g. a merge equal to its first parent)
                shown = [
                    texts[(commit, p)] for p in model_files.get(commit, []) if (commit, p) in texts
                ]
                yield summary_row(repo_id, commit, [], shown)


def land_commit_diffs(
    repo_id: str,
    source,
    landing_root: Path,
    *,
    mirror_dir: Path | None = None,
    keywords_csv: Path | None = None,
    log: Log | None = None,
) -> DiffSummary:
    """Summarise the landed model-file commits of ``repo_id`` not summarised yet, and land them."""
    import pyarrow as pa

    import landing

    try:
        repo_id = validate_repo_id(repo_id)
    except InvalidRepoId as exc:
        raise GitMiningError(str(exc)) from exc
    root = Path(landing_root)
    variants = model_file_variants(keywords_csv)
    hashes, model_files, paths = frame_commits(root, repo_id, variants)
    repo = gitcmd.open_source(repo_id, source, mirror_dir)
    previous = landing.read_partition(root, TABLE, repo_id)
    wanted = set(hashes)
    kept = []
    if previous is not None:
        kept = [
            row
            for row in previous.to_pylist()
            if row["commit_hash"] in wanted and row["summary_version"] == SUMMARY_VERSION
        ]
    done = {row["commit_hash"] for row in kept}
    todo = [commit for commit in hashes if commit not in done]
    if log:
        log(f"{repo_id}: {len(hashes)} model-file commits, {len(todo)} to summarise")
    rows = kept + list(summarise(repo.git_dir, repo_id, todo, model_files, paths, variants))
    rows.sort(key=lambda row: row["commit_hash"])
    table = pa.Table.from_pylist(rows, schema=landing.SCHEMAS[TABLE])
    path = landing.write_partition(root, TABLE, repo_id, table)
    return DiffSummary(repo_id, len(hashes), len(todo), len(kept), path)
