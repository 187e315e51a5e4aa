"""What a report is: provenance and a list of sections, each a display table, notes and an
optional figure. Renderers (report.render) turn it into Markdown and HTML; nothing here formats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd


@dataclass(frozen=True)
class PublicationStatus:
    """Which warehouse build is published, and why a newer one is not (the build that failed).

    Passed in by whoever publishes the warehouse; the report prints it in its provenance and checks
    that the published build is the one it reads."""

    #: the newest build published over the file (a partial build publishes too, and leaves
    #: build_info to the build before it)
    published_build_id: str
    failed_build_id: str | None = None
    failed_at: datetime | None = None
    failure_reason: str | None = None
    #: build id -> who ran it, from the builds log ("Dagster run 1a2b3c4d (refresh_suggestions)")
    ran_by: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Figure:
    file_name: str
    png: bytes
    alt: str


@dataclass(frozen=True)
class Section:
    """One artefact of the report.

    ``table`` is a display frame: every cell is already text (report.formatting), the index is not
    shown. The first ``label_columns`` columns are left-aligned labels, the others right-aligned
    numbers. ``group_rows`` are the positions of rows that head a group (Table 5's categories),
    shown in bold."""

    key: str
    title: str
    table: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    figure: Figure | None = None
    label_columns: int = 1
    group_rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class OtherBuild:
    """A build that wrote some of the warehouse's marts but not build_info: a dbt build of a
    selection (the job refresh_suggestions rebuilds the estimate marts after build_warehouse), or
    an earlier build whose marts a later selection did not rebuild."""

    build_id: str
    built_at: datetime
    marts: tuple[str, ...]
    #: who ran it (the builds log), None for a build made by hand
    ran_by: str | None = None


@dataclass(frozen=True)
class Provenance:
    """Where every number of the report comes from, read from the warehouse (build_info and the
    marts' build stamps), not from the environment the report is rendered in."""

    #: the warehouse file relative to the project (its name when it is elsewhere): never a path
    #: of the machine the report was rendered on
    warehouse: str
    build_id: str
    built_at: datetime
    code_version: str
    #: 'build' (build_info.code_version), 'git describe at render time' or 'unknown'
    code_version_source: str
    dbt_version: str
    is_sample_data: bool
    study_parameters: Mapping[str, object]
    #: this run's counts along the pipeline (pipeline_counts: step -> run_count)
    counts: Mapping[str, int]
    #: first and last day the selection criteria were measured at (selected projects)
    snapshot_dates: tuple[str, str] | None
    rendered_at: datetime
    publication: PublicationStatus | None = None
    #: builds that wrote some marts but not build_info, oldest first
    other_builds: tuple[OtherBuild, ...] = ()
    #: who ran build_info's build (the builds log), None for a build made by hand
    ran_by: str | None = None


@dataclass(frozen=True)
class Report:
    title: str
    provenance: Provenance
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)
