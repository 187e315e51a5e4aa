"""Landing schemas of the annotation domain: reviewer and rater files imported by extract/annotations.

Annotation files are not per repository: each imported file is one partition named after its reviewer
or rater (``<reviewer>.parquet`` or ``<frame>__<rater>.parquet``), written atomically, so re-importing a
person's file replaces exactly that person's rows and nothing else.
"""

import pyarrow as pa

_TS = pa.timestamp("us", tz="UTC")

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
