"""Repositories are dynamic partitions: the selection adds and removes them, one key per `owner/name`."""

from datetime import timedelta

import dagster as dg

#: the partitions' name, for the instance's look-ups (the definition's ``name`` may be None)
REPOSITORIES = "repositories"
repository_partitions = dg.DynamicPartitionsDefinition(name=REPOSITORIES)

# Freshness matches the schedules: extraction and the warehouse daily (with slack for a slow crawl),
# metadata and selection weekly. Dagster shows an asset as stale past its window.
DAILY_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=30))
WEEKLY_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(days=8))
