"""Repositories are dynamic partitions: the selection adds and removes them, one key per `owner/name`."""

import dagster as dg

repository_partitions = dg.DynamicPartitionsDefinition(name="repositories")
