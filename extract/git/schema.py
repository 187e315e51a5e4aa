"""Landing schemas of the git domain (see docs/landing-contract.md)."""

import pyarrow as pa

_TS = pa.timestamp("us", tz="UTC")

GIT_SCHEMAS: dict[str, pa.Schema] = {
    "git/commits": pa.schema(
        [
            ("repo_id", pa.string()),
            ("commit_hash", pa.string()),
            ("parent_hashes", pa.list_(pa.string())),
            ("author_name", pa.string()),
            ("author_email", pa.string()),
            ("authored_at", _TS),
            ("author_tz_offset_minutes", pa.int32()),
            ("committer_name", pa.string()),
            ("committer_email", pa.string()),
            ("committed_at", _TS),
            ("committer_tz_offset_minutes", pa.int32()),
            ("message", pa.string()),
            ("message_decoding_replaced", pa.bool_()),
            ("insertions", pa.int64()),
            ("deletions", pa.int64()),
            ("files_modified", pa.int32()),
        ]
    ),
    "git/modified_files": pa.schema(
        [
            ("repo_id", pa.string()),
            ("commit_hash", pa.string()),
            ("file_index", pa.int32()),
            ("change_type", pa.string()),
            ("old_path", pa.string()),
            ("new_path", pa.string()),
            ("added_lines", pa.int64()),
            ("deleted_lines", pa.int64()),
            ("is_binary", pa.bool_()),
        ]
    ),
    "git/extractions": pa.schema(
        [
            ("repo_id", pa.string()),
            ("source", pa.string()),
            ("ref", pa.string()),
            ("mined_head", pa.string()),
            ("previous_head", pa.string()),
            ("mode", pa.string()),
            ("commits", pa.int64()),
            ("modified_files", pa.int64()),
            ("new_commits", pa.int64()),
            ("dropped_commits", pa.int64()),
            ("extracted_at", _TS),
            ("engine", pa.string()),
            ("tool_versions", pa.string()),
            # commits git could not diff (a snapshot lacking blobs): landed with NULL line counts
            ("undiffable_commits", pa.list_(pa.string())),
        ]
    ),
}
