"""The reports directory is replaced whole: readers see the old report or the new one, never a mix
or a half-written file; a directory holding someone else's files is never touched."""

from __future__ import annotations

import threading

import pytest

from report.publish import MARKER, ReportDirectoryError, publish_directory


def _files(generation: int) -> dict[str, bytes]:
    # every file names its generation and ends with a marker, so a reader can tell a whole file
    # of one generation from a half-written or mixed one
    return {
        f"table{i}.md": f"generation {generation}\n{'x' * 20000}\nEND\n".encode() for i in range(8)
    }


def _leftovers(parent, name):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def test_a_new_report_replaces_the_old_one_whole(tmp_path):
    target = tmp_path / "reports"
    publish_directory({"old.md": b"old", "figure.png": b"png"}, target)
    publish_directory({"new.md": b"new"}, target)
    assert sorted(p.name for p in target.iterdir()) == sorted([MARKER, "new.md"])
    assert (target / "new.md").read_bytes() == b"new"
    assert oct(target.stat().st_mode & 0o777) == "0o755"
    # the replaced report stays readable, hidden beside it, for the grace period only
    (retired,) = _leftovers(tmp_path, "reports")
    assert (tmp_path / retired / "old.md").read_bytes() == b"old"
    publish_directory({"newer.md": b"newer"}, target, grace_seconds=0)
    assert _leftovers(tmp_path, "reports") == []


def test_a_directory_with_other_files_is_refused_and_left_alone(tmp_path):
    target = tmp_path / "home"
    (target / "thesis").mkdir(parents=True)
    (target / "notes.txt").write_text("mine")
    with pytest.raises(
        ReportDirectoryError, match=r"home holds notes\.txt, which the report did not write"
    ):
        publish_directory({"README.md": b"x"}, target)
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt", "thesis"]
    assert _leftovers(tmp_path, "home") == []


def test_reports_written_before_the_marker_existed_are_replaced(tmp_path):
    target = tmp_path / "reports"
    target.mkdir()
    (target / "table1_selected_projects.md").write_text("old")
    (target / "figure1_closure_times.png").write_bytes(b"old")
    publish_directory({"README.md": b"new"}, target)
    assert sorted(p.name for p in target.iterdir()) == sorted([MARKER, "README.md"])


def test_a_failed_write_keeps_the_old_report(tmp_path):
    target = tmp_path / "reports"
    publish_directory({"README.md": b"old"}, target)
    before = _leftovers(tmp_path, "reports")
    with pytest.raises(ValueError, match="not a plain file name"):
        publish_directory({"README.md": b"new", "../escape.md": b"x"}, target)
    assert (target / "README.md").read_bytes() == b"old"
    assert not (tmp_path / "escape.md").exists()
    assert _leftovers(tmp_path, "reports") == before == []


def test_readers_never_see_half_a_report(tmp_path):
    target = tmp_path / "reports"
    publish_directory(_files(0), target)
    expected = set(_files(0)) | {MARKER}
    stop = threading.Event()
    seen: list[str] = []

    def read_repeatedly():
        while not stop.is_set():
            try:
                names = {p.name for p in target.iterdir()}
                contents = [(target / name).read_bytes() for name in sorted(names - {MARKER})]
            except FileNotFoundError:
                continue  # between the two renames, or the directory was swapped while reading
            if names != expected:
                seen.append(f"incomplete directory: {sorted(names)}")
            for content in contents:
                if not content.endswith(b"END\n"):
                    seen.append("half-written file")

    reader = threading.Thread(target=read_repeatedly)
    reader.start()
    try:
        for generation in range(1, 40):
            publish_directory(_files(generation), target)
    finally:
        stop.set()
        reader.join()
    assert seen == []
    assert (target / "table0.md").read_bytes().startswith(b"generation 39\n")
