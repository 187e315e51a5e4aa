"""One step of the sample run: run a job's extraction assets (they ask the outside world), then
only those of its other assets that Dagster finds stale or missing, and say in one line what
changed, or ``unchanged (why)`` (docs/incremental-runs.md)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from dagster_project.defs.annotations.sources import ANNOTATION_TABLES, observe_annotations_job
from dagster_project.defs.refresh.jobs import EXTRACTION_ASSETS
from dagster_project.defs.suggestions.assets import LABEL_SUGGESTIONS
from dagster_project.staleness import Bookkeeping
from landing.versions import table_version

#: how many root causes a summary line names before it says "and N more"
SHOWN_CHANGES = 3


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:SHOWN_CHANGES])
    return shown + (f" and {len(items) - SHOWN_CHANGES} more" if len(items) > SHOWN_CHANGES else "")


def _checks(results: list[dg.ExecuteInProcessResult]) -> str:
    checks = [c for r in results for c in r.get_asset_check_evaluations()]
    failed = [c.check_name for c in checks if not c.passed]
    if not checks:
        return ""
    return f", {len(checks)} checks" + (
        f" ({len(failed)} failed: {_listed(failed)})" if failed else ""
    )


def _suggester(results: list[dg.ExecuteInProcessResult]) -> str:
    """What the suggester said of each frame (ok, or why it suggested nothing), when it ran."""
    for result in results:
        for event in result.get_asset_materialization_events():
            if event.asset_key == LABEL_SUGGESTIONS:
                metadata = event.materialization.metadata
                said = [
                    f"{name.removesuffix('_status')} {entry.value}"
                    for name, entry in metadata.items()
                    if name.endswith("_status")
                ]
                return f", suggester: {'; '.join(said)}"
    return ""


class SampleSteps:
    """Runs the sample's jobs in this process against one instance and one set of definitions."""

    def __init__(self, instance, defs, *, run_config, tags, log_path: Path, verbose: bool, say):
        self.instance = instance
        self.defs = defs
        self.graph = defs.resolve_asset_graph()
        self.bookkeeping = Bookkeeping(instance, self.graph)
        self.run_config = run_config
        self.tags = tags
        self.log_path = log_path
        self.verbose = verbose
        self.say: Callable[[str], None] = say
        self.extraction = EXTRACTION_ASSETS.resolve(self.graph)

    def _job(self, job_name: str, keys=None) -> dg.JobDefinition:
        """The job, or the part of it that materializes ``keys`` with the checks whose every
        parent is among them: dbt runs only those (``--indirect-selection cautious``), and a
        blocking check that emits nothing is reported as missing."""
        job = self.defs.resolve_job_def(job_name)
        if keys is None:
            return job
        keys = set(keys)
        checks = {
            check
            for check in self.graph.asset_check_keys
            if check.asset_key in keys and self.graph.get(check).parent_entity_keys <= keys
        }
        return job.get_subset(asset_selection=keys, asset_check_selection=checks)

    def _execute(self, job_name: str, keys=None, **kwargs) -> dg.ExecuteInProcessResult:
        # dbt's own output goes to the log file unless --verbose; Dagster's events are in the
        # instance either way.
        with (
            open(self.log_path, "a", encoding="utf-8") as log,
            contextlib.nullcontext() if self.verbose else contextlib.redirect_stdout(log),
        ):
            return self._job(job_name, keys).execute_in_process(
                instance=self.instance,
                run_config=self.run_config,
                tags=self.tags,
                raise_on_error=False,
                **kwargs,
            )

    def observe_annotations(self) -> None:
        """Record the data version of the imported annotation files (a hash of their rows),
        unless Dagster's latest observation already holds it for every file: an observation of
        the same version changes nothing, and its run would cost a second run a tenth of its time."""
        root = self.defs.resources["landing_zone"].path
        versions = {
            key: table_version(root, table) for key, (table, _) in ANNOTATION_TABLES.items()
        }
        if self.bookkeeping.observed_data_versions(versions) == versions:
            return
        result = self._execute(observe_annotations_job.name)
        if not result.success:
            raise RuntimeError(f"observing the annotation files failed: run {result.run_id}")

    def _failed(self, result: dg.ExecuteInProcessResult) -> None:
        for event in result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                self.say(
                    f"   {event.step_key}: {error.message.strip() if error else event.message}"
                )
        self.say(f"   full log: run {result.run_id} in {os.environ['DAGSTER_HOME']} (`make dev`)")

    def _extract(self, job_name, keys, partition_key) -> tuple[dg.ExecuteInProcessResult, list]:
        """Run the extraction assets; those that landed something new (a new data version)."""
        before = self.bookkeeping.current_data_versions(keys, partition_key)
        result = self._execute(job_name, keys, partition_key=partition_key)
        after = self.bookkeeping.current_data_versions(keys, partition_key)
        return result, sorted(k.to_user_string() for k in keys if after[k] != before[k])

    def run(self, step: str, job_name: str, partition_key: str | None = None) -> bool:
        """Run one job as the sample needs it; prints one line; False if it failed."""
        began = time.monotonic()
        keys = set(self.defs.resolve_job_def(job_name).asset_layer.executable_asset_keys)
        extraction, derived = keys & self.extraction, keys - self.extraction
        changed, unchanged, results = [], [], []
        if extraction:
            result, new = self._extract(job_name, extraction, partition_key)
            results.append(result)
            where = f" [{partition_key}]" if partition_key else ""
            if new:
                changed.append(f"new data: {_listed(new)}{where}")
            else:
                unchanged.append("nothing new landed")
        if derived and all(r.success for r in results):
            staleness = self.bookkeeping.stale_assets(derived)
            if staleness:
                results.append(self._execute(job_name, staleness.stale))
                changed.append(
                    f"built {len(staleness.stale)} of {len(derived)} assets "
                    f"({_listed(staleness.changes)})"
                )
            else:
                unchanged.append(
                    f"{len(derived)} assets: no input data version or code version changed "
                    "since their last build"
                )
        ok = all(r.success for r in results)
        if not ok:
            text = "FAILED, " + "; ".join(changed + unchanged)
        elif changed:
            text = "ok, " + "; ".join(changed)
        else:
            text = f"unchanged ({'; '.join(unchanged)})"
        text += _checks(results) + _suggester(results)
        self.say(f"{step} {job_name}: {text}, {time.monotonic() - began:.1f}s")
        for result in results:
            if not result.success:
                self._failed(result)
        return ok
