"""Landing schemas of the annotation domain: reviewer and rater files imported by extract/annotations."""

import pyarrow as pa

ANNOTATION_SCHEMAS: dict[str, pa.Schema] = {}
