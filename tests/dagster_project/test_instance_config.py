"""The project's Dagster instance (dagster_home/dagster.yaml) as the daemon reads it."""

import shutil

import dagster as dg

from base import settings


def test_the_daemon_dequeues_every_second_and_still_runs_four_at_once(tmp_path):
    """A queued run waited up to Dagster's default 5 s for the daemon's next look at the queue, on
    average half a nothing-new refresh_repository run (docs/dry-run.md); the setting that shortens
    it must not lose the limit of 4 runs at once (Dagster refuses some queue keys beside
    ``concurrency``)."""
    shutil.copy(settings.project_dir() / "dagster_home" / "dagster.yaml", tmp_path)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_coordinator.dequeue_interval_seconds == 1
        queue = instance.get_concurrency_config().run_queue_config
        assert queue is not None
        assert queue.max_concurrent_runs == 4
