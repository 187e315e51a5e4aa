-- Table 5: the activities of the commit sample, and their categories (macros/frame_labels.sql).
{{ label_distribution('commits') }}
