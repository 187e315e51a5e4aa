"""What a run mines, keeps and drops: a pure function of the landed state, the head and the options.

No git, no files: :func:`plan` is given what the previous extraction landed (:class:`LandedState`),
the head to mine and a way to list the commits reachable from it, and decides the run mode. The
reachable set is asked for only when the landed rows cannot be reused as they are (an unchanged
repository costs no walk of its history).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from extract.git.options import Engine, MiningOptions, MissingObjects, RunMode


@dataclass(frozen=True)
class LandedState:
    """What the repository's current ``git/extractions`` row and ``git/commits`` say."""

    mined_head: str | None
    engine: str | None
    #: ``None``: landed before the option existed, i.e. with copy detection when by git-log
    detect_copies: bool | None
    #: commits landed with unknown line counts (``missing_objects="record"``)
    has_undiffable: bool
    commits: frozenset[str]
    #: commits landed as roots (no parents) that the repository now gives parents: the rows were
    #: mined from a shallow clone, whose oldest commits git shows without their parents
    grafted_roots: frozenset[str] = frozenset()

    @classmethod
    def from_landing(
        cls, row: Mapping, commits: Collection[str], grafted_roots: Collection[str] = ()
    ) -> LandedState:
        return cls(
            mined_head=row.get("mined_head"),
            engine=row.get("engine"),
            detect_copies=row.get("detect_copies"),
            has_undiffable=bool(row.get("undiffable_commits")),
            commits=frozenset(commits),
            grafted_roots=frozenset(grafted_roots),
        )

    @property
    def copies_detected(self) -> bool:
        if self.detect_copies is not None:
            return self.detect_copies
        return self.engine == Engine.GIT_LOG  # the git-log engine ran with -M -C until then


@dataclass(frozen=True)
class Plan:
    mode: RunMode
    #: commits to mine, in rev-list order (the whole history on a full run)
    to_mine: list[str]
    #: landed commits kept as they are
    keep: frozenset[str]
    #: landed commits no longer reachable from the head (e.g. after a force-push)
    dropped: int
    #: why the landed rows are not reused, or how they are
    reason: str


def reuse_blocker(landed: LandedState | None, options: MiningOptions) -> str | None:
    """Why the landed rows cannot be extended by this run, or ``None`` if they can.

    Every option that changes rows is compared: the engine, copy detection, and the
    missing-objects policy where it matters (rows with unknown line counts under ``fail``); and
    rows mined from a shallow clone (fabricated roots) are never reused.
    """
    if options.full_refresh:
        return "full refresh requested"
    if landed is None:
        return "nothing landed yet"
    if landed.grafted_roots:
        example = min(landed.grafted_roots)
        return (
            f"landed rows were mined from a shallow clone: {len(landed.grafted_roots)} commit(s) "
            f"landed without their parents, e.g. {example}"
        )
    if landed.engine != options.engine:
        return f"engine changed ({landed.engine} -> {options.engine})"
    if landed.copies_detected != options.detect_copies:
        before, after = ("on", "off") if landed.copies_detected else ("off", "on")
        return f"copy detection changed ({before} -> {after})"
    if landed.has_undiffable and options.missing_objects is MissingObjects.FAIL:
        return "landed rows hold undiffable commits and missing_objects is now fail"
    return None


def plan(
    landed: LandedState | None,
    head: str | None,
    reachable: Callable[[], Sequence[str]],
    options: MiningOptions,
) -> Plan:
    """Decide the run: ``unchanged`` (nothing to mine), ``incremental`` (mine the reachable
    commits not landed, drop the landed ones no longer reachable) or ``full``."""
    blocker = reuse_blocker(landed, options)
    if (
        blocker is None
        and landed is not None
        and head is not None
        and head == landed.mined_head
        and head in landed.commits
    ):
        return Plan(RunMode.UNCHANGED, [], landed.commits, 0, "same head, already landed")
    order = list(reachable()) if head is not None else []
    reachable_set = set(order)
    keep = landed.commits & reachable_set if blocker is None and landed is not None else frozenset()
    dropped = len(landed.commits - reachable_set) if landed is not None else 0
    to_mine = [commit for commit in order if commit not in keep]
    if keep:
        return Plan(RunMode.INCREMENTAL, to_mine, frozenset(keep), dropped, "landed rows reused")
    return Plan(
        RunMode.FULL, to_mine, frozenset(), dropped, blocker or "no landed commit reachable"
    )
