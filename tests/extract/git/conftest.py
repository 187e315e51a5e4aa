"""Real git repositories built with the git CLI, and truth read back from git itself."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


class Repo:
    """A work tree driven through the git CLI with fixed identities and advancing dates."""

    def __init__(self, path: Path, bare_remote: bool = False):
        self.path = path
        self.tick = 0
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "commit.gpgsign", "false")

    def env(self) -> dict[str, str]:
        self.tick += 1
        stamp = f"{1_600_000_000 + self.tick * 3600} +0530"
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(
            GIT_AUTHOR_NAME="Ada Lovelace",
            GIT_AUTHOR_EMAIL="ada@example.org",
            GIT_AUTHOR_DATE=stamp,
            GIT_COMMITTER_NAME="Émile Committer",
            GIT_COMMITTER_EMAIL="emile@example.org",
            GIT_COMMITTER_DATE=f"{1_600_000_000 + self.tick * 3600 + 60} -0800",
            GIT_CONFIG_NOSYSTEM="1",
            HOME=str(self.path),
        )
        return env

    def git(self, *args: str, input: bytes | None = None) -> bytes:
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=self.env(), input=input, capture_output=True
        )
        if done.returncode != 0:
            raise AssertionError(
                f"git {' '.join(args)} failed ({done.returncode}): {done.stderr.decode(errors='replace')}"
            )
        return done.stdout

    def write(self, name: str | bytes, content: bytes | str) -> None:
        target = os.path.join(os.fsencode(self.path), os.fsencode(name))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as fh:
            fh.write(content.encode() if isinstance(content, str) else content)

    def commit(self, message: str | bytes = "change", *extra: str) -> str:
        self.git("add", "-A")
        raw = message.encode() if isinstance(message, str) else message
        self.git(
            "commit",
            "-q",
            "--allow-empty",
            "--allow-empty-message",
            "--cleanup=verbatim",
            *extra,
            "-F",
            "-",
            input=raw,
        )
        return self.head()

    def raw_commit(self, message: bytes, encoding: str | None = None) -> str:
        """A commit object written byte for byte: ``git commit`` would re-encode the message."""
        tree = self.git("write-tree").decode().strip()
        env = self.env()
        header = [f"tree {tree}", f"parent {self.head()}"]
        header.append(
            f"author {env['GIT_AUTHOR_NAME']} <{env['GIT_AUTHOR_EMAIL']}> {env['GIT_AUTHOR_DATE']}"
        )
        header.append(
            f"committer {env['GIT_COMMITTER_NAME']} <{env['GIT_COMMITTER_EMAIL']}> {env['GIT_COMMITTER_DATE']}"
        )
        if encoding:
            header.append(f"encoding {encoding}")
        body = "\n".join(header).encode() + b"\n\n" + message
        commit = (
            self.git("hash-object", "-t", "commit", "-w", "--stdin", input=body).decode().strip()
        )
        self.git("update-ref", "HEAD", commit)
        return commit

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").decode().strip()


@pytest.fixture
def make_repo(tmp_path):
    def make(name: str = "work") -> Repo:
        return Repo(tmp_path / name)

    return make


def truth_commit(repo_dir: Path, commit: str, *, copies: bool = False) -> dict:
    """One commit as git's plumbing reports it, parsed independently of the miner: renames
    detected (``-M``, as PyDriller), copies only with ``copies`` (``-C``)."""
    raw = subprocess.run(
        ["git", "cat-file", "commit", commit], cwd=repo_dir, capture_output=True, check=True
    ).stdout
    header, _, message = raw.partition(b"\n\n")
    parents, people, encoding = [], {}, "utf-8"
    lines = header.split(b"\n")
    for line in lines:
        if line.startswith(b"encoding "):
            encoding = line[len(b"encoding ") :].decode()
    for line in lines:
        key, _, value = line.partition(b" ")
        if key == b"parent":
            parents.append(value.decode())
        elif key in (b"author", b"committer"):
            ident, _, when = value.rpartition(b"> ")
            name, _, email = ident.partition(b" <")
            seconds, offset = when.split()
            sign = -1 if offset.startswith(b"-") else 1
            people[key.decode()] = (
                # git log re-encodes the whole commit, identities included, from its declared encoding
                name.decode(encoding),
                email.decode(encoding),
                int(seconds),
                sign * (int(offset[1:3]) * 60 + int(offset[3:5])),
            )
    base = [parents[0]] if parents else ["--root"]
    detection = ["-M", "-C"] if copies else ["-M"]
    status = subprocess.run(
        [
            "git",
            "diff-tree",
            "-r",
            "-z",
            *detection,
            "--no-commit-id",
            "--name-status",
            *base,
            commit,
        ],
        cwd=repo_dir,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")[:-1]
    numstat = subprocess.run(
        ["git", "diff-tree", "-r", "-z", *detection, "--no-commit-id", "--numstat", *base, commit],
        cwd=repo_dir,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")[:-1]
    kinds = {
        "A": "ADD",
        "D": "DELETE",
        "M": "MODIFY",
        "R": "RENAME",
        "C": "COPY",
        "T": "TYPE_CHANGE",
    }
    files = []
    i = 0
    while i < len(status):
        letter = status[i].decode()[0]
        if letter in "RC":
            old, new = status[i + 1].decode(), status[i + 2].decode()
            i += 3
        else:
            path = status[i + 1].decode()
            old = None if letter == "A" else path
            new = None if letter == "D" else path
            i += 2
        files.append({"change_type": kinds[letter], "old_path": old, "new_path": new})
    j = k = 0
    while j < len(numstat):
        added, deleted, path = numstat[j].split(b"\t", 2)
        j += 3 if path == b"" else 1
        files[k]["is_binary"] = added == b"-"
        files[k]["added_lines"] = 0 if added == b"-" else int(added)
        files[k]["deleted_lines"] = 0 if deleted == b"-" else int(deleted)
        k += 1
    return {
        "parents": parents,
        "author": people["author"],
        "committer": people["committer"],
        # git log re-encodes a message that declares its encoding; an undeclared one stays raw
        "message": message if encoding == "utf-8" else message.decode(encoding).encode(),
        "files": files,
    }


def all_commits(repo_dir: Path, head: str = "HEAD") -> list[str]:
    return (
        subprocess.run(["git", "rev-list", head], cwd=repo_dir, capture_output=True, check=True)
        .stdout.decode()
        .split()
    )


@pytest.fixture
def truth():
    """git's own view of a repository (the file is a conftest, so tests cannot import it)."""
    import types

    return types.SimpleNamespace(commit=truth_commit, all_commits=all_commits)
