"""The landing tables' schemas: the written half of the contract between extraction and dbt.

The contract owns every table's schema, so each writer depends on the contract and never the other
way round: ``git/*``, ``github/*`` and ``annotations/*`` are written by extract/, ``suggestions/*`` by
analysis/, and the warehouse build checks every file against the same schemas without importing
either. Column meanings are documented where analysts read them: the dbt source and staging YAML
files and docs/landing-contract.md.
"""

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
            # mining options that change rows (extract/git/options.py); NULL for partitions landed
            # before the columns existed (mined with -M -C and missing_objects unknown)
            ("detect_copies", pa.bool_()),
            ("missing_objects", pa.string()),
            ("tool_versions", pa.string()),
            # commits git could not diff (a snapshot lacking blobs): landed with NULL line counts
            ("undiffable_commits", pa.list_(pa.string())),
            # the commit of the repository's data files (landing/: generations)
            ("generation", pa.string()),
            ("landed_files", pa.list_(pa.string())),
        ]
    ),
}

_TOKENS = pa.list_(pa.string())
#: Per-commit summaries of model-file commits' diffs (extract/git/diffs.py, `mms-extract git diffs`):
#: an opt-in table of its own, one file per repository, so `git mine` never pays for it.
GIT_SCHEMAS["git/commit_diffs"] = pa.schema(
    [
        ("repo_id", pa.string()),
        ("commit_hash", pa.string()),
        ("summary_version", pa.string()),
        ("diff_files", pa.int32()),
        ("diff_lines_read", pa.int32()),
        ("added_imports", _TOKENS),
        ("removed_imports", _TOKENS),
        ("model_added_identifiers", _TOKENS),
        ("model_removed_identifiers", _TOKENS),
        ("other_added_identifiers", _TOKENS),
        ("other_removed_identifiers", _TOKENS),
        ("model_file_imports", _TOKENS),
        ("model_file_class_bases", _TOKENS),
        ("summarised_at", _TS),
    ]
)

GITHUB_SCHEMAS: dict[str, pa.Schema] = {
    # The candidate list as loaded (one file per load, named after the list): invalid rows are kept
    # with their problem so nothing the user gave is dropped silently.
    "github/candidates": pa.schema(
        [
            ("candidate_list", pa.string()),
            ("line_number", pa.int32()),
            ("raw_value", pa.string()),
            ("repo_id", pa.string()),
            ("candidate_type", pa.string()),
            ("is_valid", pa.bool_()),
            ("problem", pa.string()),
            ("loaded_at", _TS),
        ]
    ),
    # Repository metadata, one row per candidate (one file per candidate repository).
    "github/repositories": pa.schema(
        [
            ("repo_id", pa.string()),
            ("status", pa.string()),
            ("status_detail", pa.string()),
            ("github_id", pa.int64()),
            ("full_name", pa.string()),
            ("created_at", _TS),
            ("pushed_at", _TS),
            ("updated_at", _TS),
            ("stargazers_count", pa.int64()),
            ("watchers_count", pa.int64()),
            ("subscribers_count", pa.int64()),
            ("forks_count", pa.int64()),
            ("open_issues_count", pa.int64()),
            ("size_kb", pa.int64()),
            ("default_branch", pa.string()),
            ("is_archived", pa.bool_()),
            ("is_fork", pa.bool_()),
            ("language", pa.string()),
            ("topics", pa.list_(pa.string())),
            ("commits_count", pa.int64()),
            ("contributors_count", pa.int64()),
            # When the status was fetched; values_fetched_at is when the values above were (they are
            # kept from the last successful fetch when a repository later disappears).
            ("fetched_at", _TS),
            ("values_fetched_at", _TS),
            ("requests_made", pa.int64()),
            ("api_base_url", pa.string()),
        ]
    ),
    # Closed issues and closed pull requests (GitHub's issues endpoint returns both), one file per
    # repository.
    "github/issues": pa.schema(
        [
            ("repo_id", pa.string()),
            ("number", pa.int64()),
            ("is_pull_request", pa.bool_()),
            ("title", pa.string()),
            ("body", pa.string()),
            ("author_login", pa.string()),
            ("state", pa.string()),
            ("state_reason", pa.string()),
            ("labels", pa.list_(pa.string())),
            ("assignees", pa.list_(pa.string())),
            ("comments_count", pa.int64()),
            ("created_at", _TS),
            ("updated_at", _TS),
            ("closed_at", _TS),
            ("closed_by_login", pa.string()),
            ("pull_request_merged_at", _TS),
            ("html_url", pa.string()),
        ]
    ),
    # Pull requests linked to an issue (fetched only for the items that need them, e.g. sampled ones).
    "github/issue_links": pa.schema(
        [
            ("repo_id", pa.string()),
            ("issue_number", pa.int64()),
            ("linked_repo_id", pa.string()),
            ("linked_number", pa.int64()),
            ("link_kind", pa.string()),
            ("commit_id", pa.string()),
            ("actor_login", pa.string()),
            ("fetched_at", _TS),
        ]
    ),
    # Provenance and resumption state of each repository's issue crawl.
    "github/issue_crawls": pa.schema(
        [
            ("repo_id", pa.string()),
            ("api_base_url", pa.string()),
            ("status", pa.string()),
            ("status_detail", pa.string()),
            ("since", _TS),
            ("next_since", _TS),
            ("etag", pa.string()),
            ("is_complete", pa.bool_()),
            ("pages_fetched", pa.int64()),
            ("requests_made", pa.int64()),
            ("issues_landed", pa.int64()),
            ("pull_requests_landed", pa.int64()),
            ("extracted_at", _TS),
            # the commit of the repository's data files (landing/: generations)
            ("generation", pa.string()),
            ("landed_files", pa.list_(pa.string())),
            # the repository the crawl addressed: GitHub's id (stable across renames) and its
            # current name, which differs from repo_id after a rename
            ("github_id", pa.int64()),
            ("full_name", pa.string()),
        ]
    ),
}

ANNOTATION_SCHEMAS: dict[str, pa.Schema] = {
    # Manual inspection of the projects that pass the metadata criteria (section 2.1): is it an ML
    # project with training/testing code? decision is 'include' or 'exclude'.
    "annotations/project_inspections": pa.schema(
        [
            ("repo_id", pa.string()),
            ("reviewer", pa.string()),
            ("decision", pa.string()),
            ("note", pa.string()),
            ("source_file", pa.string()),
            ("row_number", pa.int32()),
            ("imported_at", _TS),
        ]
    ),
    # Relevance review of sampled items (section 2.3): 'keep' or 'reject' (not ML related); a
    # rejected item is replaced by the next item of its stratum.
    "annotations/sample_reviews": pa.schema(
        [
            ("frame", pa.string()),
            ("item_key", pa.string()),
            ("reviewer", pa.string()),
            ("decision", pa.string()),
            ("note", pa.string()),
            ("source_file", pa.string()),
            ("row_number", pa.int32()),
            ("imported_at", _TS),
        ]
    ),
    # Labels of the sampled items, one row per (item, rater, label): a multi-label cell becomes
    # several rows. is_adjudication marks the consensus file that resolves disagreements.
    "annotations/labels": pa.schema(
        [
            ("frame", pa.string()),
            ("item_key", pa.string()),
            ("rater", pa.string()),
            ("is_adjudication", pa.bool_()),
            ("label", pa.string()),
            ("label_position", pa.int32()),
            ("source_file", pa.string()),
            ("row_number", pa.int32()),
            ("imported_at", _TS),
        ]
    ),
}

# Computed by analysis/ (issue 10) from the previous published build: one file per frame
# (commits.parquet, issues.parquet). Every row carries the provenance below, so the estimate marts
# can tell results computed from the current labels and frame from stale ones.
_SUGGESTION_PROVENANCE = [
    ("model_version", pa.string()),
    ("training_items", pa.int64()),
    ("seed", pa.int64()),
    ("folds", pa.int32()),
    # label_frame_fingerprints of the build the inputs were read from
    ("labels_fingerprint", pa.string()),
    ("frame_fingerprint", pa.string()),
    ("source_build_id", pa.string()),
    ("computed_at", _TS),
]
SUGGESTION_SCHEMAS: dict[str, pa.Schema] = {
    # One row per frame item: the labels the suggester proposes, never a rater's label.
    "suggestions/label_suggestions": pa.schema(
        [
            ("frame", pa.string()),
            ("item_key", pa.string()),
            ("repo_id", pa.string()),
            ("suggested_labels", pa.list_(pa.string())),
            (
                "label_probabilities",
                pa.list_(pa.struct([("label", pa.string()), ("probability", pa.float64())])),
            ),
            ("top_probability", pa.float64()),
            ("ml_related_probability", pa.float64()),
            ("uncertainty", pa.float64()),
            *_SUGGESTION_PROVENANCE,
        ]
    ),
    # Cross-validated (by project) agreement with the adjudicated labels, or why there is none.
    "suggestions/suggester_evaluations": pa.schema(
        [
            ("frame", pa.string()),
            ("metric_scope", pa.string()),
            ("label", pa.string()),
            ("status", pa.string()),
            ("status_reason", pa.string()),
            ("evaluated_items", pa.int64()),
            ("instances", pa.int64()),
            ("support", pa.int64()),
            ("predicted", pa.int64()),
            ("precision", pa.float64()),
            ("recall", pa.float64()),
            ("f1", pa.float64()),
            ("cohen_kappa", pa.float64()),
            # the same with every disagreeing label paired with (none) (analysis/agreement.py)
            ("cohen_kappa_none_pairs", pa.float64()),
            ("exact_set_agreement", pa.float64()),
            *_SUGGESTION_PROVENANCE,
        ]
    ),
    # Shares over the whole frame (year null) and per year: prediction-powered and sample-only.
    "suggestions/population_estimates": pa.schema(
        [
            ("frame", pa.string()),
            ("level", pa.string()),
            ("name", pa.string()),
            ("year", pa.int32()),
            ("status", pa.string()),
            ("estimate", pa.float64()),
            ("ci_lower", pa.float64()),
            ("ci_upper", pa.float64()),
            ("ci_width", pa.float64()),
            ("power_tuning", pa.float64()),
            ("sample_estimate", pa.float64()),
            ("sample_ci_lower", pa.float64()),
            ("sample_ci_upper", pa.float64()),
            ("sample_ci_width", pa.float64()),
            ("prediction_only_share", pa.float64()),
            # ppi++, wilson (too few labelled items with or without the quantity), or census
            ("interval_method", pa.string()),
            # what the suggester did to the interval, in plain words (e.g. it added nothing, why)
            ("model_note", pa.string()),
            ("confidence", pa.float64()),
            ("labelled_items", pa.int64()),
            ("labelled_in_domain", pa.int64()),
            ("ml_related_labelled_in_domain", pa.int64()),
            ("frame_items_in_domain", pa.int64()),
            *_SUGGESTION_PROVENANCE,
        ]
    ),
}

#: table name (a path under the landing root) -> Arrow schema
SCHEMAS: dict[str, pa.Schema] = {
    **GIT_SCHEMAS,
    **GITHUB_SCHEMAS,
    **ANNOTATION_SCHEMAS,
    **SUGGESTION_SCHEMAS,
}

#: Columns added to a table's contract after files of it had been landed. A file landed before reads
#: them as NULL (staging documents what NULL means there); any other contract column a file lacks
#: makes it a file of another schema, which the warehouse build quarantines. Adding a column to a
#: schema above: add it here too, or every file landed before is quarantined at the next build.
COLUMNS_ADDED_LATER: dict[str, frozenset[str]] = {
    "git/extractions": frozenset(
        {"detect_copies", "missing_objects", "generation", "landed_files"}
    ),
    "github/issue_crawls": frozenset({"github_id", "full_name", "generation", "landed_files"}),
}
