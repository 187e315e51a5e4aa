"""Labelling rounds in Label Studio (issue 19): the sample exported as tasks with the suggester's
suggestions pre-filled, the raters' annotations imported through the CSV importer's validation and
landing, and progress read from the tool. Plain Python, no Dagster (dagster_project/defs/labelling
wraps it); docs/labelling.md says how to start the tool."""
