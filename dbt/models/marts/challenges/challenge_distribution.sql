-- Table 6: the challenges of the issue sample (macros/frame_labels.sql).
{{ label_distribution('issues') }}
