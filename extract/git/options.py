"""The vocabulary of a git mining run: engines, policies, run modes, and the options object.

Options that change the landed rows (``engine``, ``detect_copies``, and ``missing_objects`` where
undiffable commits are landed) are recorded in the repository's ``git/extractions`` row; a later run
with other values re-mines instead of mixing rows mined under different conventions
(:func:`extract.git.plan.plan`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Engine(StrEnum):
    #: streamed ``git log`` processes parsed from bytes (extract/git/gitlog.py)
    GIT_LOG = "git-log"
    #: PyDriller's per-commit path, as the study mined (extract/git/reference.py); slow
    PYDRILLER = "pydriller"


class MissingObjects(StrEnum):
    """What to do with a commit git cannot diff (a snapshot lacking some blobs)."""

    #: stop; nothing is landed by the run
    FAIL = "fail"
    #: land it from its ``--raw`` diff with unknown (NULL) line counts, listed as undiffable
    RECORD = "record"


class RunMode(StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"
    UNCHANGED = "unchanged"


#: the same values as Literal types, for configuration forms (Dagster's launch form, argparse)
EngineName = Literal["git-log", "pydriller"]
MissingObjectsPolicy = Literal["fail", "record"]


def _member(kind: type[StrEnum], value: str, what: str) -> StrEnum:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise ValueError(f"unknown {what} {value!r}: choose one of {choices}") from None


@dataclass(frozen=True, kw_only=True)
class MiningOptions:
    """How to mine a repository. Strings are accepted where an enum is expected (CLI, config)."""

    #: branch, tag or commit to mine; ``None``: the repository's default branch
    ref: str | None = None
    engine: Engine = Engine.GIT_LOG
    #: git's ``-C`` on top of ``-M``: a file copied from one modified in the same commit lands as
    #: ``COPY`` with line counts against its source instead of an ``ADD`` of all its lines. Off by
    #: default: the study's tool (PyDriller) detects renames only.
    detect_copies: bool = False
    missing_objects: MissingObjects = MissingObjects.FAIL
    #: re-mine the whole history instead of only the commits not landed yet
    full_refresh: bool = False
    #: git processes mining the repository at once (``None``: one per core, at most 2); the rows
    #: do not depend on it
    jobs: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "engine", _member(Engine, self.engine, "engine"))
        object.__setattr__(
            self,
            "missing_objects",
            _member(MissingObjects, self.missing_objects, "missing-objects policy"),
        )
        if self.jobs is not None and (not isinstance(self.jobs, int) or self.jobs < 1):
            raise ValueError(f"jobs must be a positive number of git processes, not {self.jobs!r}")
        if self.engine is Engine.PYDRILLER and self.detect_copies:
            raise ValueError(
                "the pydriller engine detects renames only; detect_copies needs git-log"
            )
