"""The run planner without git or files: landed state + head + reachable commits + options."""

import pytest

from extract.git.options import MiningOptions
from extract.git.plan import LandedState, plan

HISTORY = ["c4", "c3", "c2", "c1"]  # newest first, as rev-list lists them


def landed(commits=("c2", "c1"), head="c2", **row):
    row = {"mined_head": head, "engine": "git-log", "detect_copies": False, **row}
    return LandedState.from_landing(row, commits)


def reachable(commits=HISTORY):
    return lambda: commits


def never():
    raise AssertionError("an unchanged repository must not be walked")


def test_nothing_landed_mines_everything():
    work = plan(None, "c4", reachable(), MiningOptions())
    assert (work.mode, work.to_mine, work.keep, work.dropped) == ("full", HISTORY, set(), 0)
    assert work.reason == "nothing landed yet"


def test_the_same_head_already_landed_is_unchanged_without_a_walk():
    work = plan(landed(HISTORY, "c4"), "c4", never, MiningOptions())
    assert (work.mode, work.to_mine, work.dropped) == ("unchanged", [], 0)


def test_new_commits_are_mined_and_landed_ones_kept():
    work = plan(landed(), "c4", reachable(), MiningOptions())
    assert (work.mode, work.to_mine, work.keep, work.dropped) == (
        "incremental",
        ["c4", "c3"],
        {"c2", "c1"},
        0,
    )


def test_after_a_force_push_vanished_commits_are_dropped():
    work = plan(landed(("x2", "c2", "c1"), "x2"), "c4", reachable(), MiningOptions())
    assert (work.mode, work.to_mine, work.keep, work.dropped) == (
        "incremental",
        ["c4", "c3"],
        {"c2", "c1"},
        1,
    )


def test_a_head_marked_landed_but_missing_from_the_rows_is_repaired():
    work = plan(landed(("c1",), "c2"), "c2", reachable(["c2", "c1"]), MiningOptions())
    assert (work.mode, work.to_mine) == ("incremental", ["c2"])


@pytest.mark.parametrize(
    ("row", "options", "reason"),
    [
        ({}, MiningOptions(full_refresh=True), "full refresh requested"),
        ({}, MiningOptions(engine="pydriller"), "engine changed (git-log -> pydriller)"),
        ({}, MiningOptions(detect_copies=True), "copy detection changed (off -> on)"),
        ({"detect_copies": True}, MiningOptions(), "copy detection changed (on -> off)"),
        # Landed before the option existed: the git-log engine ran with -M -C.
        ({"detect_copies": None}, MiningOptions(), "copy detection changed (on -> off)"),
        (
            {"undiffable_commits": ["c1"]},
            MiningOptions(missing_objects="fail"),
            "landed rows hold undiffable commits and missing_objects is now fail",
        ),
    ],
)
def test_every_option_that_changes_rows_forces_a_full_run(row, options, reason):
    work = plan(landed(HISTORY, "c4", **row), "c4", reachable(), options)
    assert (work.mode, work.to_mine, work.keep, work.reason) == ("full", HISTORY, set(), reason)


@pytest.mark.parametrize(
    ("row", "options"),
    [
        ({}, MiningOptions(jobs=1)),  # processes do not change rows
        ({}, MiningOptions(missing_objects="record")),  # nothing undiffable landed
        ({"undiffable_commits": ["c1"]}, MiningOptions(missing_objects="record")),
        ({"undiffable_commits": []}, MiningOptions(missing_objects="fail")),
        # PyDriller never detected copies, before or after the column existed.
        ({"engine": "pydriller", "detect_copies": None}, MiningOptions(engine="pydriller")),
    ],
)
def test_options_that_keep_rows_comparable_reuse_them(row, options):
    assert plan(landed(HISTORY, "c4", **row), "c4", never, options).mode == "unchanged"


def test_an_empty_repository_plans_a_full_run_of_nothing():
    work = plan(landed(), None, never, MiningOptions())
    assert (work.mode, work.to_mine, work.dropped) == ("full", [], 2)


def test_options_refuse_unknown_values_by_name():
    with pytest.raises(
        ValueError, match="unknown engine 'gitlog': choose one of git-log, pydriller"
    ):
        MiningOptions(engine="gitlog")
    with pytest.raises(ValueError, match="unknown missing-objects policy 'skip'"):
        MiningOptions(missing_objects="skip")
    with pytest.raises(ValueError, match="jobs must be a positive"):
        MiningOptions(jobs=0)
    with pytest.raises(ValueError, match="renames only"):
        MiningOptions(engine="pydriller", detect_copies=True)


def test_rows_with_a_root_the_repository_now_gives_parents_are_re_mined_in_full():
    """Rows mined from a shallow clone, which has been completed since: the same head is no longer
    'unchanged', and a moved head does not keep the fabricated root."""
    row = {"mined_head": "c4", "engine": "git-log", "detect_copies": False}
    shallow = LandedState.from_landing(row, ["c4", "c3"], grafted_roots=["c3"])
    for head, history in (("c4", HISTORY), ("c5", ["c5", *HISTORY])):
        work = plan(shallow, head, reachable(history), MiningOptions())
        assert (work.mode, work.keep) == ("full", set())
        assert work.reason.startswith("landed rows were mined from a shallow clone: 1 commit(s)")
