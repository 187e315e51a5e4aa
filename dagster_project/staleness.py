"""What needs building, by Dagster's own bookkeeping (docs/incremental-runs.md).

Every materialization records its asset's code version and the data versions of its inputs;
extraction assets version what they landed (the generation of a repository's commit, a hash of a
single-file table's rows), imported annotation files are observed sources, and dbt models carry
a code version derived from their SQL (defs/warehouse/dbt.py). An asset is *stale* when its code
version or an input's data version differs from those its last materialization recorded, or an
input is itself stale; *missing* when never materialized. Dagster's resolver answers that (the
same one behind the UI's "Materialize changed and missing" and ``RunRequest(stale_assets_only=True)``);
this module only asks it for the assets of one job and words the answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView, TemporalContext
from dagster._core.definitions.data_version import (
    DATA_VERSION_TAG,
    CachingStaleStatusResolver,
    StaleCause,
    StaleStatus,
    extract_data_version_from_entry,
)
from dagster._core.storage.event_log.base import AssetRecord
from dagster._time import get_current_datetime

PROJECT_DIR = Path(__file__).resolve().parents[1]


def source_code_version(*packages: str, extra: str = "") -> str:
    """A code version for a Python asset: a hash of the source files of the project's packages it
    runs (``.py`` and the templates beside them), so an edit rebuilds it and nothing else does."""
    digest = hashlib.sha256(extra.encode())
    for package in packages:
        root = PROJECT_DIR / package
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(path.relative_to(PROJECT_DIR).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def observation(key: dg.AssetKey, data_version: str) -> dg.AssetObservation:
    """An observation of ``key`` with this data version, as an observable source's
    ``ObserveResult`` records it: for an asset whose step lands what a source describes (the Label
    Studio import lands label files), so the change is known when it lands, not at the next
    observation."""
    return dg.AssetObservation(asset_key=key, tags={DATA_VERSION_TAG: data_version})


@dataclass
class Staleness:
    """What of a set of assets needs building, and why (one short phrase per asset)."""

    stale: dict[dg.AssetKey, str] = field(default_factory=dict)
    #: the changes at the root of it all ("annotations/labels: new data"), in graph order
    changes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.stale)


def _describe(cause: StaleCause) -> str:
    where = cause.key.asset_key.to_user_string()
    if cause.key.partition_key:
        where += f" [{cause.key.partition_key}]"
    reason = cause.reason.removeprefix("has a ").removeprefix("has ")
    return f"{where}: {reason}"


class Bookkeeping:
    """Dagster's answers about one asset graph on one instance: what is stale, which data
    versions it holds. Its resolver is kept while the instance's event log and the dynamic
    partitions stay as they were (a step that changed nothing writes no event), so a run of
    unchanged steps asks the event log once, not once per step."""

    def __init__(self, instance: dg.DagsterInstance, asset_graph) -> None:
        self.instance = instance
        self.asset_graph = asset_graph
        self._dynamic_partitions = sorted(
            {
                node.partitions_def.name
                for node in (asset_graph.get(key) for key in asset_graph.get_all_asset_keys())
                if isinstance(node.partitions_def, dg.DynamicPartitionsDefinition)
                and node.partitions_def.name
            }
        )
        self._state: tuple | None = None
        self._resolver: CachingStaleStatusResolver | None = None

    def _instance_state(self) -> tuple:
        return (
            self.instance.event_log_storage.get_maximum_record_id(),
            tuple(tuple(self.instance.get_dynamic_partitions(n)) for n in self._dynamic_partitions),
        )

    def resolver(self) -> CachingStaleStatusResolver:
        state = self._instance_state()
        if self._resolver is None or state != self._state:
            view = AssetGraphView(
                temporal_context=TemporalContext(
                    effective_dt=get_current_datetime(), last_event_id=None
                ),
                instance=self.instance,
                asset_graph=self.asset_graph,
            )
            # One query for every asset's record instead of one per asset as the resolver asks.
            AssetRecord.prepare(view, list(self.asset_graph.get_all_asset_keys()))
            self._resolver = CachingStaleStatusResolver(self.instance, self.asset_graph, view)
            self._state = state
        return self._resolver

    def stale_assets(self, keys: Iterable[dg.AssetKey]) -> Staleness:
        """The assets of ``keys`` that are stale or missing, with their root causes, and every
        asset of ``keys`` downstream of them: Dagster calls an asset stale only once an input has
        a new data version, and an input rebuilt in the same run gets its new one only then."""
        resolver = self.resolver()
        found = Staleness()
        keys = set(keys)
        for key in self.asset_graph.toposorted_asset_keys:
            if key not in keys:
                continue
            status = resolver.get_status(key)
            if status == StaleStatus.MISSING:
                found.stale[key] = "never built"
                if "never built" not in found.changes:
                    found.changes.append("never built")
            elif status == StaleStatus.STALE:
                causes = [_describe(c) for c in resolver.get_stale_root_causes(key)]
                found.stale[key] = "; ".join(causes)
                found.changes += [c for c in causes if c not in found.changes]
            else:
                parents = [p for p in self.asset_graph.get(key).parent_keys if p in found.stale]
                if parents:
                    found.stale[key] = f"downstream of {parents[0].to_user_string()}"
        return found

    def current_data_versions(
        self, keys: Iterable[dg.AssetKey], partition: str | None
    ) -> dict[dg.AssetKey, str]:
        """The data version Dagster holds for each asset (of one partition, if partitioned)."""
        resolver = self.resolver()
        return {key: resolver.get_current_data_version(key, partition).value for key in keys}

    def observed_data_versions(self, keys: Iterable[dg.AssetKey]) -> dict[dg.AssetKey, str | None]:
        """The data version of each observable source's latest observation (None: never
        observed): one indexed query each, without a resolver."""
        found: dict[dg.AssetKey, str | None] = {}
        for key in keys:
            record = self.instance.get_latest_data_version_record(key, is_source=True)
            version = record and extract_data_version_from_entry(record.event_log_entry)
            found[key] = version.value if version else None
        return found
