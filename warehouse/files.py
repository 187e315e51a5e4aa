"""Where the published warehouse, its snapshots, builds and lock live (all beside the published
file, so one setting, ``MMS_DUCKDB_PATH``, places them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from base import settings

#: where the Dagster definitions keep the dbt project's parse (manifest and saved parse), relative
#: to the dbt project: a warehouse's first build starts from it (warehouse/publish.py)
DEFINITIONS_TARGET = Path("target/dagster")


@dataclass(frozen=True)
class WarehouseFiles:
    #: the file analysts open: a hard link to the newest published snapshot
    published: Path

    @classmethod
    def from_settings(cls) -> WarehouseFiles:
        return cls(settings.duckdb_path())

    @property
    def lock(self) -> Path:
        return self.published.with_name(self.published.name + ".lock")

    @property
    def builds_dir(self) -> Path:
        return self.published.with_name(self.published.name + ".builds")

    @property
    def snapshots_dir(self) -> Path:
        return self.published.with_name(self.published.name + ".snapshots")

    @property
    def log(self) -> Path:
        """One JSON line per build: published, or failed and why."""
        return self.builds_dir / "builds.jsonl"

    @property
    def build_path(self) -> Path:
        """The build in progress. The same path for every build (builds take the writer lock, so
        one runs at a time). Same file name as the published warehouse: DuckDB names the catalog
        after the file's stem, and dbt and Dagster refer to relations as <stem>.main.<model>."""
        return self.builds_dir / "building" / self.published.name

    @property
    def dbt_build_path(self) -> Path:
        """The build file as dbt is given it: relative to ``builds_dir``, the folder dbt runs in.
        dbt's profile holds the path, and dbt re-parses the whole project (~4 CPU s) for a saved
        parse made under another profile: relative, the path is the same for every warehouse of
        this file name, so a new warehouse's first build starts from the project's saved parse."""
        return self.build_path.relative_to(self.builds_dir)

    @property
    def landing_link(self) -> Path:
        """A link to the landing directory a build reads, beside the build file: made with the
        build's folder and gone with it (a copy of the builds folder between builds holds none)."""
        return self.build_path.parent / "landing"

    @property
    def dbt_landing_dir(self) -> Path:
        """The landing directory as dbt is given it ($MMS_LANDING_DIR): ``landing_link``, relative
        to ``builds_dir``. The sources and the staging models read it when dbt parses them, and
        dbt re-parses them and what they feed for another value (4.9 against 2.5 CPU s for a
        parse): this way it is the same for every warehouse of this file name and every landing
        zone, and a parse made anywhere, the Dagster definitions' included, holds no machine's
        path."""
        return self.landing_link.relative_to(self.builds_dir)

    @property
    def dbt_target(self) -> Path:
        """dbt's target folder for this warehouse's builds: its artefacts and its saved parse,
        which the next build starts from."""
        return self.builds_dir / "dbt-target"

    @property
    def dev_build_path(self) -> Path:
        """Where `dbt build` run by hand writes (never published): see dbt/profiles.yml."""
        return self.builds_dir / "dev" / self.published.name

    def snapshot_path(self, build_id: str) -> Path:
        return self.snapshots_dir / f"{build_id}.duckdb"
