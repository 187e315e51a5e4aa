"""The git log parser on recorded byte streams (tests/extract/git/data/, made by record.py)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from extract.git import logparse
from extract.git.logparse import LogFormatError, LogTruncated, parse_log, tokens

DATA = Path(__file__).parent / "data"


def parse(name: str, **kwargs):
    with open(DATA / name, "rb") as stream:
        return list(parse_log(tokens(stream), **kwargs))


def test_a_recorded_log_parses_into_every_field():
    records = parse("valid.bin")
    assert [r.message.splitlines()[0] for r in records] == [
        "Merge branch 'feature'",
        "shrink",
        "feature",
        "type change",
        "caf\ufffd latin-1",
        "rename and retrain",
        "initial",
    ]
    merge, shrink, _, type_change, latin1, rename, root = records
    # The merge is diffed against its first parent: the branch's file only.
    assert len(merge.parent_hashes) == 2 and merge.is_merge
    assert [(f.change_type, f.new_path, f.added_lines) for f in merge.modified_files] == [
        ("ADD", "feature.py", 1)
    ]
    assert (shrink.insertions, shrink.deletions) == (1, 21)
    assert [f.change_type for f in type_change.modified_files] == ["TYPE_CHANGE"]
    assert latin1.message_decoding_replaced and not rename.message_decoding_replaced
    assert {f.new_path for f in latin1.modified_files} == {"caf\ufffd.txt", "link"}
    renamed, binary = rename.modified_files
    assert (renamed.change_type, renamed.old_path, renamed.new_path) == (
        "RENAME",
        "model.py",
        "net.py",
    )
    assert (renamed.added_lines, renamed.deleted_lines, renamed.is_binary) == (1, 0, False)
    assert (binary.new_path, binary.added_lines, binary.is_binary) == ("weights.bin", 0, True)
    assert root.parent_hashes == [] and root.message == "initial\n\nwith a body\n"
    assert [(f.change_type, f.old_path) for f in root.modified_files] == [("ADD", None)] * 2
    assert root.committer_name == "Émile Committer" and root.author_tz_offset_minutes == 120
    assert root.authored_at == datetime.fromtimestamp(1_600_010_800, UTC)


def test_tokens_cut_across_reads_give_the_same_records(monkeypatch):
    whole = parse("valid.bin")
    monkeypatch.setattr(logparse, "_CHUNK", 7)
    assert parse("valid.bin") == whole


def test_a_raw_only_log_has_unknown_line_counts():
    root = parse("valid.bin", numstat=False)[-1]
    assert (root.insertions, root.deletions) == (None, None)
    assert {(f.added_lines, f.deleted_lines, f.is_binary) for f in root.modified_files} == {
        (None, None, None)
    }


MERGE = "4825be2cf7c6e72bfd1c54aeb2a6d71f1ba145ab"
SHRINK = "385766aa9b8d69ecf235ddd525096d8c4ddef389"
RENAME = "948ae7461b9eee4cc2cd02428deab9b0509cce3c"


@pytest.mark.parametrize(
    ("name", "error", "message", "parsed_before"),
    [
        ("truncated_header.bin", LogTruncated, f"ends inside commit {MERGE}", 0),
        ("truncated_rename.bin", LogTruncated, f"ends inside commit {RENAME}", 5),
        ("unknown_status.bin", LogFormatError, f"unknown change status b'X' in {SHRINK}", 1),
        ("raw_numstat_mismatch.bin", LogFormatError, f"{SHRINK}: 1 raw records but 0 numstat", 1),
        (
            "numstat_without_tabs.bin",
            LogFormatError,
            f"unreadable numstat record .* in {SHRINK}",
            1,
        ),
        ("not_a_header.bin", LogFormatError, "expected a commit header, got b'warning", 0),
        ("bad_date.bin", LogFormatError, f"{MERGE}: unreadable date b'yesterday'", 0),
    ],
)
def test_unreadable_output_fails_naming_the_commit_after_the_good_records(
    name, error, message, parsed_before
):
    good = []
    with open(DATA / name, "rb") as stream, pytest.raises(error, match=message):
        for record in parse_log(tokens(stream)):
            good.append(record)
    # The parser streams: every commit before the damage was already returned, unharmed.
    assert [r.commit_hash for r in good] == [r.commit_hash for r in parse("valid.bin")][
        :parsed_before
    ]
