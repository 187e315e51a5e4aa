"""How the recorded ``git log`` byte streams beside this file were made (run once, output committed).

    uv run python tests/extract/git/data/record.py

``valid.bin`` is real output of ``git diff-tree --stdin`` with the engine's options (``diff_options()``,
the commits of ``git rev-list HEAD`` on stdin) on a small
repository built here with fixed identities and dates: an addition, a rename with an edit, a binary
file, a type change, a path and a message that are not UTF-8, a merge. The other files are that
stream cut or edited at one place each, for the parser's error paths (see README.md).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from extract.git.gitlog import diff_options

HERE = Path(__file__).parent


def _git(repo: Path, *args: str, input: bytes | None = None, tick: list[int]) -> bytes:
    tick[0] += 1
    stamp = f"{1_600_000_000 + tick[0] * 3600} +0200"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="Ada Lovelace",
        GIT_AUTHOR_EMAIL="ada@example.org",
        GIT_AUTHOR_DATE=stamp,
        GIT_COMMITTER_NAME="Émile Committer",
        GIT_COMMITTER_EMAIL="emile@example.org",
        GIT_COMMITTER_DATE=stamp,
        GIT_CONFIG_NOSYSTEM="1",
        HOME=str(repo),
    )
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, input=input, capture_output=True, check=True
    ).stdout


def build(repo: Path) -> None:
    tick = [0]

    def git(*args, input=None):
        return _git(repo, *args, input=input, tick=tick)

    def commit(message: bytes) -> None:
        git("add", "-A")
        git("commit", "-q", "--allow-empty-message", "--cleanup=verbatim", "-F", "-", input=message)

    git("init", "-q", "-b", "main")
    (repo / "model.py").write_text("".join(f"w{i} = {i}\n" for i in range(20)))
    (repo / "weights.bin").write_bytes(bytes(range(256)))
    commit(b"initial\n\nwith a body\n")
    git("mv", "model.py", "net.py")
    (repo / "net.py").write_text("".join(f"w{i} = {i}\n" for i in range(21)))
    (repo / "weights.bin").write_bytes(bytes(range(255, -1, -1)))
    commit(b"rename and retrain\n")
    os.symlink("net.py", repo / "link")
    (repo / os.fsdecode(b"caf\xe9.txt")).write_text("latin-1 name\n")
    git("add", "-A")
    # Written byte for byte: `git commit` would not keep a message that is not UTF-8 as it is.
    tree = git("write-tree").decode().strip()
    parent = git("rev-parse", "HEAD").decode().strip()
    who = "Ada Lovelace <ada@example.org> 1600020000 +0200"
    body = f"tree {tree}\nparent {parent}\nauthor {who}\ncommitter {who}\n\n".encode()
    raw = git("hash-object", "-t", "commit", "-w", "--stdin", input=body + b"caf\xe9 latin-1\n")
    git("update-ref", "HEAD", raw.decode().strip())
    (repo / "link").unlink()
    (repo / "link").write_text("now a file\n")
    commit(b"type change\n")
    git("checkout", "-q", "-b", "feature")
    (repo / "feature.py").write_text("x = 1\n")
    commit(b"feature\n")
    git("checkout", "-q", "main")
    (repo / "net.py").write_text("w = 0\n")
    commit(b"shrink\n")
    git("merge", "-q", "--no-ff", "--no-edit", "feature")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        build(repo)
        listing = _git(repo, "rev-list", "HEAD", tick=[0])
        valid = _git(repo, *diff_options(), input=listing, tick=[0])
    (HERE / "valid.bin").write_bytes(valid)
    header_end = valid.index(b"\0", valid.index(b"ada@example.org")) + 1
    (HERE / "truncated_header.bin").write_bytes(valid[:header_end])
    rename = valid.index(b" R")
    (HERE / "truncated_rename.bin").write_bytes(valid[: valid.index(b"\0", rename) + 1])
    status = valid.index(b" M\0")
    (HERE / "unknown_status.bin").write_bytes(valid[:status] + b" X\0" + valid[status + 3 :])
    numstat = valid.index(b"1\t21\tnet.py\0")
    end = numstat + len(b"1\t21\tnet.py\0")
    (HERE / "raw_numstat_mismatch.bin").write_bytes(valid[:numstat] + valid[end:])
    (HERE / "numstat_without_tabs.bin").write_bytes(
        valid[:numstat] + b"1 21 net.py\0" + valid[end:]
    )
    (HERE / "not_a_header.bin").write_bytes(b"warning: some noise\n\0" + valid)
    date = valid.index(b"\0", valid.index(b"ada@example.org")) + 1
    (HERE / "bad_date.bin").write_bytes(
        valid[:date] + b"yesterday" + valid[valid.index(b"\0", date) :]
    )


if __name__ == "__main__":
    main()
