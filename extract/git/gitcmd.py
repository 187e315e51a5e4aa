"""Running git safely, and turning a source (local path or clone URL) into a local git directory.

Every git call goes through :func:`spawn` (and :func:`git` / :func:`run_git` on top of it): an argument list (never a shell), a scrubbed
environment (no inherited ``GIT_DIR`` and friends, no credential prompts, no replace refs, no lazy
fetch of missing objects), and errors that name the repository with credentials removed. User input
reaches git only after ``--``/``--end-of-options`` or once it has been resolved to a full hash.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from base.repo_id import repo_slug
from extract.git.records import GitMiningError

# Inherited variables that would silently point git at another repository or object store.
_DROPPED_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_REPLACE_REF_BASE",
)
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:(?!//)")
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_HASH = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")


def git_env(ceiling: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="",
        SSH_ASKPASS="",
        # Replace refs and grafts would make the landed history differ from the repository's.
        GIT_NO_REPLACE_OBJECTS="1",
        # A partial clone must fail on a missing blob rather than reach for the network (git >= 2.44).
        GIT_NO_LAZY_FETCH="1",
        LC_ALL="C",
    )
    if ceiling is not None:
        env["GIT_CEILING_DIRECTORIES"] = str(ceiling)
    return env


def scrub(text: str) -> str:
    """Remove ``user:password@`` from every URL in ``text`` (tokens never reach logs or errors)."""
    return _USERINFO.sub("", text)


def scrub_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return scrub(url)


def last_line(stderr: str) -> str:
    """git's last word on a failure (its ``fatal:`` line), scrubbed: an error stays one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return scrub(lines[-1])[:300] if lines else "git said nothing"


def is_url(source: str) -> bool:
    return bool(_URL_SCHEME.match(source) or _SCP_LIKE.match(source))


def spawn(
    args: list[str],
    *,
    git_dir: Path | None = None,
    cwd: Path | None = None,
    ceiling: Path | None = None,
    stdin=None,
    stdout=subprocess.PIPE,
    stderr=subprocess.PIPE,
    buffered: bool = False,
) -> subprocess.Popen:
    """Start ``git [--git-dir=...] args`` in the scrubbed environment: the one place git is run.

    ``buffered``: git writes its output to a pipe in full buffers (``GIT_FLUSH=0``) instead of one
    write per record (``git log``, ``git diff-tree --stdin``), for a reader that needs no record
    before the rest. Raises :class:`OSError` when git cannot be started; callers name the
    repository.
    """
    cmd = ["git"] if git_dir is None else ["git", f"--git-dir={git_dir}"]
    env = git_env(ceiling)
    if buffered:
        env["GIT_FLUSH"] = "0"
    return subprocess.Popen(
        [*cmd, *args], cwd=cwd, stdin=stdin, stdout=stdout, stderr=stderr, env=env
    )


def git(
    args: list[str],
    *,
    git_dir: Path | None = None,
    cwd: Path | None = None,
    ceiling: Path | None = None,
    input: bytes | None = None,
) -> subprocess.CompletedProcess:
    """Run git to completion through :func:`spawn`; the exit status is the caller's to judge."""
    proc = spawn(
        args,
        git_dir=git_dir,
        cwd=cwd,
        ceiling=ceiling,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
    )
    out, err = proc.communicate(input)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_git(
    args: list[str],
    *,
    git_dir: Path | None = None,
    repo_id: str,
    what: str,
    input: bytes | None = None,
) -> bytes:
    """Run ``git [--git-dir=...] args`` and return stdout; raise GitMiningError naming ``what``."""
    try:
        done = git(args, git_dir=git_dir, input=input)
    except OSError as exc:
        raise GitMiningError(f"{repo_id}: cannot run git for {what}: {exc}") from exc
    if done.returncode != 0:
        detail = last_line(done.stderr.decode("utf-8", "replace"))
        raise GitMiningError(f"{repo_id}: git failed on {what}: {detail}")
    return done.stdout


@functools.cache
def git_version() -> str:
    out = git(["--version"]).stdout
    return out.decode().strip().removeprefix("git version ")


def rev_list(git_dir: Path, head: str, *, exclude: Iterable[str] = (), repo_id: str) -> list[str]:
    """Commits reachable from ``head`` and not from ``exclude``, newest first (``git rev-list``).

    Revisions are full hashes resolved beforehand and reach git on stdin, never as options.
    """
    revs = [head, *exclude]
    for rev in revs:
        if not isinstance(rev, str) or not is_full_hash(rev):
            raise GitMiningError(f"{repo_id}: {rev!r} is not a full commit hash")
    listing = run_git(
        ["rev-list", "--stdin"],
        git_dir=git_dir,
        repo_id=repo_id,
        what=f"walking the history of {head} in {git_dir}",
        input=("\n".join([head, *(f"^{rev}" for rev in revs[1:])]) + "\n").encode(),
    )
    return listing.decode().split()


def count_commits(git_dir: Path, head: str | None, *, repo_id: str) -> int:
    """How many commits are reachable from ``head`` (``git rev-list --count``); 0 for ``None``."""
    if head is None:
        return 0
    if not is_full_hash(head):
        raise GitMiningError(f"{repo_id}: {head!r} is not a full commit hash")
    out = run_git(
        ["rev-list", "--count", "--stdin"],
        git_dir=git_dir,
        repo_id=repo_id,
        what=f"counting the commits of {head} in {git_dir}",
        input=f"{head}\n".encode(),
    )
    return int(out.decode().strip())


@dataclass(frozen=True)
class LocalRepository:
    repo_id: str
    git_dir: Path
    #: what the extraction row records as the source: an absolute path or a scrubbed URL
    source: str


def open_local(repo_id: str, path: str | os.PathLike) -> LocalRepository:
    """A local repository (bare or with a work tree) exactly at ``path``, never a parent of it."""
    resolved = Path(path).expanduser().resolve()
    if not resolved.is_dir():
        raise GitMiningError(f"{repo_id}: source {str(path)!r} is not a directory")
    # The ceiling stops git from discovering an enclosing repository above the given path.
    try:
        done = git(["rev-parse", "--absolute-git-dir"], cwd=resolved, ceiling=resolved.parent)
    except OSError as exc:
        raise GitMiningError(f"{repo_id}: cannot run git in {str(path)!r}: {exc}") from exc
    if done.returncode != 0:
        raise GitMiningError(
            f"{repo_id}: source {str(path)!r} is not a git repository "
            f"({last_line(done.stderr.decode('utf-8', 'replace'))})"
        )
    git_dir = Path(done.stdout.decode("utf-8", "surrogateescape").strip())
    return LocalRepository(repo_id, git_dir, str(resolved))


def open_source(
    repo_id: str, source: str | os.PathLike, mirror_dir: Path | None
) -> LocalRepository:
    """Resolve ``source`` to a local git directory, cloning or refreshing a mirror for URLs.

    A shallow repository is refused: git shows its oldest commits without their parents, so they
    would land as root commits that add every file of their tree.
    """
    text = os.fspath(source)
    if isinstance(text, str) and is_url(text):
        if mirror_dir is None:
            raise GitMiningError(
                f"{repo_id}: source {scrub_url(text)!r} is a URL; a mirror directory is required"
            )
        repo = sync_mirror(repo_id, text, Path(mirror_dir))
        remedy = "the remote itself is shallow; point the source at a complete repository"
    else:
        repo = open_local(repo_id, text)
        remedy = "complete it with `git fetch --unshallow` or mine a full clone"
    if is_shallow(repo.git_dir, repo_id=repo_id):
        raise GitMiningError(
            f"{repo_id}: source {repo.source!r} is a shallow clone: its oldest commits would land "
            f"without their parents and with every file added; {remedy}; nothing was landed"
        )
    return repo


def is_shallow(git_dir: Path, *, repo_id: str) -> bool:
    """Whether the repository is a shallow clone (``git clone --depth``)."""
    out = run_git(
        ["rev-parse", "--is-shallow-repository"],
        git_dir=git_dir,
        repo_id=repo_id,
        what=f"asking whether {git_dir} is shallow",
    )
    return out.decode().strip() == "true"


def parents_of(git_dir: Path, commits: Iterable[str], *, repo_id: str) -> dict[str, list[str]]:
    """Each commit's parents as the repository gives them now; commits it lacks are left out."""
    listed = [commit for commit in commits if is_full_hash(commit)]
    if not listed:
        return {}
    out = run_git(
        ["rev-list", "--no-walk", "--parents", "--ignore-missing", "--stdin"],
        git_dir=git_dir,
        repo_id=repo_id,
        what=f"reading the parents of {len(listed)} commit(s) in {git_dir}",
        input=("\n".join(listed) + "\n").encode(),
    )
    return {commit: parents for commit, *parents in map(str.split, out.decode().splitlines())}


def mirror_path(mirror_dir: Path, repo_id: str) -> Path:
    return Path(mirror_dir).resolve() / f"{repo_slug(repo_id)}.git"


def local_git_dir(repo_id: str, source: str | os.PathLike, mirror_dir: Path) -> Path:
    """The git directory :func:`open_source` mines for ``source``, without cloning or fetching."""
    text = os.fspath(source)
    if is_url(text):
        return mirror_path(mirror_dir, repo_id)
    return open_local(repo_id, text).git_dir


def sync_mirror(repo_id: str, url: str, mirror_dir: Path) -> LocalRepository:
    """Clone ``url`` into a bare mirror once; later calls ``git fetch --prune --force`` it.

    The clone happens in a temporary directory renamed into place, so an interrupted clone never
    leaves a half mirror. The stored remote URL is scrubbed; the URL with credentials is only
    passed on the command line of clone and fetch.
    """
    shown = scrub_url(url)
    target = mirror_path(mirror_dir, repo_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        _clone(repo_id, url, target)
        return LocalRepository(repo_id, target, shown)
    repo = open_local(repo_id, target)
    _fetch(repo, url)
    return LocalRepository(repo_id, repo.git_dir, shown)


def _clone(repo_id: str, url: str, target: Path) -> None:
    shown = scrub_url(url)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        clone = staging / "repo.git"
        run_git(
            ["clone", "--bare", "--quiet", "--no-tags", "--", url, str(clone)],
            repo_id=repo_id,
            what=f"cloning {shown!r}",
        )
        run_git(
            ["remote", "set-url", "origin", shown],
            git_dir=clone,
            repo_id=repo_id,
            what=f"configuring mirror {clone}",
        )
        os.replace(clone, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _fetch(repo: LocalRepository, url: str) -> None:
    """Refresh the mirror's branches, and its HEAD: the remote's default branch may have changed."""
    shown, target = scrub_url(url), repo.git_dir
    refspec = "+refs/heads/*:refs/heads/*"
    # The mirror is ours to complete: a shallow one (seeded by hand, or cloned while the remote
    # was shallow) gets the rest of its history with the fetch it needs anyway.
    deepen = ["--unshallow"] if is_shallow(target, repo_id=repo.repo_id) else []
    run_git(
        ["fetch", "--prune", "--force", "--quiet", "--no-tags", *deepen, "--", url, refspec],
        git_dir=target,
        repo_id=repo.repo_id,
        what=f"fetching {shown!r} into {target}",
    )
    listing = run_git(
        ["ls-remote", "--symref", "--", url, "HEAD"],
        git_dir=target,
        repo_id=repo.repo_id,
        what=f"reading the default branch of {shown!r}",
    ).decode("utf-8", "replace")
    for line in listing.splitlines():
        if line.startswith("ref: ") and line.endswith("\tHEAD"):
            branch = line[len("ref: ") : -len("\tHEAD")]
            run_git(
                ["symbolic-ref", "HEAD", branch],
                git_dir=target,
                repo_id=repo.repo_id,
                what=f"pointing HEAD of {target} at {branch}",
            )


def resolve_head(repo: LocalRepository, ref: str | None) -> tuple[str, str | None]:
    """``(ref name, commit hash)``; the hash is ``None`` for an empty repository."""
    if ref is None:
        symbolic = git(["symbolic-ref", "-q", "HEAD"], git_dir=repo.git_dir)
        ref_name = symbolic.stdout.decode().strip() or "HEAD"
        probe = git(["rev-parse", "-q", "--verify", "HEAD^{commit}"], git_dir=repo.git_dir)
        if probe.returncode == 0:
            return ref_name, probe.stdout.decode().strip()
        refs = run_git(
            ["for-each-ref", "--count=1", "--format=%(refname)"],
            git_dir=repo.git_dir,
            repo_id=repo.repo_id,
            what="listing refs",
        )
        if not refs.strip():
            return ref_name, None  # no commits at all: an empty repository
        raise GitMiningError(
            f"{repo.repo_id}: the default branch {ref_name!r} of {repo.source!r} has no commit; "
            "pass ref= explicitly"
        )
    if not ref or ref.startswith("-") or "\0" in ref:
        raise GitMiningError(f"{repo.repo_id}: invalid ref {ref!r}")
    out = run_git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
        git_dir=repo.git_dir,
        repo_id=repo.repo_id,
        what=f"resolving ref {ref!r} in {repo.source!r}",
    )
    return ref, out.decode().strip()


def is_full_hash(value: str) -> bool:
    return bool(_HASH.match(value))
