"""What a push does to the bare repositories tests mine: a new commit on the default branch."""

from __future__ import annotations

import subprocess
from pathlib import Path


def add_commit(git_dir: Path, message: str) -> str:
    """A new commit on the default branch of a bare repository, as a push would add it (same tree as
    its parent); its hash."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    head = git("rev-parse", "HEAD")
    commit = git("commit-tree", f"{head}^{{tree}}", "-p", head, "-m", message)
    git("update-ref", "HEAD", commit)
    return commit
