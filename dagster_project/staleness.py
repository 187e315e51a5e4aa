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


def _resolver(instance: dg.DagsterInstance, asset_graph) -> CachingStaleStatusResolver:
    view = AssetGraphView(
        temporal_context=TemporalContext(effective_dt=get_current_datetime(), last_event_id=None),
        instance=instance,
        asset_graph=asset_graph,
    )
    # One query for every asset's record instead of one per asset as the resolver asks.
    AssetRecord.prepare(view, list(asset_graph.get_all_asset_keys()))
    return CachingStaleStatusResolver(instance, asset_graph, view)


def _describe(cause: StaleCause) -> str:
    where = cause.key.asset_key.to_user_string()
    if cause.key.partition_key:
        where += f" [{cause.key.partition_key}]"
    reason = cause.reason.removeprefix("has a ").removeprefix("has ")
    return f"{where}: {reason}"


def stale_assets(
    instance: dg.DagsterInstance, asset_graph, keys: Iterable[dg.AssetKey]
) -> Staleness:
    """The assets of ``keys`` that are stale or missing, with their root causes, and every asset
    of ``keys`` downstream of them: Dagster calls an asset stale only once an input has a new
    data version, and an input rebuilt in the same run gets its new one only then."""
    resolver = _resolver(instance, asset_graph)
    found = Staleness()
    keys = set(keys)
    for key in asset_graph.toposorted_asset_keys:
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
            parents = [p for p in asset_graph.get(key).parent_keys if p in found.stale]
            if parents:
                found.stale[key] = f"downstream of {parents[0].to_user_string()}"
    return found


def current_data_versions(
    instance: dg.DagsterInstance, asset_graph, keys: Iterable[dg.AssetKey], partition: str | None
) -> dict[dg.AssetKey, str]:
    """The data version Dagster holds for each asset (of one partition, if partitioned)."""
    resolver = _resolver(instance, asset_graph)
    return {key: resolver.get_current_data_version(key, partition).value for key in keys}
