"""Build the report from the published warehouse and write it to the reports directory."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from report.artefacts import EXTRA_ARTEFACTS, STUDY_ARTEFACTS, Artefact
from report.model import Provenance, PublicationStatus, Report, Section
from report.provenance import load_provenance, parameter_rows, provenance_rows
from report.publish import publish_directory
from report.real_set import real_set_section
from report.render import frame_of, html_document, markdown_document, section_document
from report.warehouse import Warehouse, WarehouseError

TITLE = "What are the activities and challenges of ML model management? This run beside the study"
HTML_FILE = "report.html"
#: Tables every report reads besides its artefacts' (provenance).
PROVENANCE_TABLES = ("build_info", "pipeline_counts", "selected_projects")
MARKDOWN_FILE = "README.md"
PROVENANCE_FILE = "provenance.json"


def required_tables(artefacts: Sequence[Artefact] = STUDY_ARTEFACTS) -> tuple[str, ...]:
    """The marts and seeds a report reads (its Dagster asset depends on them)."""
    names = list(PROVENANCE_TABLES)
    for artefact in artefacts:
        names += [name for name in artefact.requires if name not in names]
    return tuple(names)


def _provenance_sections(provenance: Provenance) -> tuple[Section, Section]:
    return (
        Section(
            key="provenance",
            title="Provenance",
            table=frame_of(provenance_rows(provenance), ("Item", "Value")),
            label_columns=2,
        ),
        Section(
            key="study_parameters",
            title="Study parameters (dbt vars of the build)",
            table=frame_of(parameter_rows(provenance), ("Parameter", "Value")),
            label_columns=2,
            notes=("Defaults are the study's values; docs/method.md explains each.",),
        ),
    )


def build_report(
    warehouse: Warehouse,
    *,
    project_dir: Path | None = None,
    publication: PublicationStatus | None = None,
    now: datetime | None = None,
    artefacts: Sequence[Artefact] = STUDY_ARTEFACTS + EXTRA_ARTEFACTS,
    evaluation_dir: Path | None = None,
) -> Report:
    """``evaluation_dir``: an ``mms-suggest evaluate --out`` directory, shown beyond the study
    (report.real_set) after the suggester's agreement; without one, that section says how to make
    one (only when the report has the suggester's agreement)."""
    provenance = load_provenance(
        warehouse, project_dir=project_dir, publication=publication, now=now
    )
    sections = list(_provenance_sections(provenance))
    for artefact in artefacts:
        if artefact.optional and not warehouse.has(*artefact.requires):
            continue
        missing = [table for table in artefact.requires if table not in warehouse.tables]
        if missing:
            raise WarehouseError(
                f"warehouse {warehouse.path} has no table {missing[0]}: it was built by an older "
                "version of the project; run the warehouse build again"
            )
        sections.append(artefact.build(warehouse, provenance))
    _insert_real_set(sections, evaluation_dir)
    return Report(title=TITLE, provenance=provenance, sections=tuple(sections))


def _insert_real_set(sections: list[Section], evaluation_dir: Path | None) -> None:
    """After the suggester's agreement, with how to make an evaluation when none is given; a report
    without that section (no suggestion marts, or only the study's artefacts) shows an evaluation
    only when one is given."""
    from analysis.settings import MODEL_VERSION

    keys = [section.key for section in sections]
    if "suggester_agreement" in keys:
        at = keys.index("suggester_agreement") + 1
    elif evaluation_dir is not None and (Path(evaluation_dir) / "metrics.csv").is_file():
        at = len(keys)
    else:
        return
    sections.insert(at, real_set_section(evaluation_dir, MODEL_VERSION))


def provenance_json(provenance: Provenance) -> str:
    publication = provenance.publication
    return json.dumps(
        {
            "warehouse": provenance.warehouse,
            "build_id": provenance.build_id,
            "built_at": provenance.built_at.isoformat(),
            "code_version": provenance.code_version,
            "code_version_source": provenance.code_version_source,
            "dbt_version": provenance.dbt_version,
            "is_sample_data": provenance.is_sample_data,
            "study_parameters": dict(provenance.study_parameters),
            "counts": dict(provenance.counts),
            "rendered_at": provenance.rendered_at.isoformat(),
            "publication": None
            if publication is None
            else {
                "published_build_id": publication.published_build_id,
                "failed_build_id": publication.failed_build_id,
                "failed_at": publication.failed_at.isoformat() if publication.failed_at else None,
                "failure_reason": publication.failure_reason,
                "ran_by": dict(publication.ran_by),
            },
            "ran_by": provenance.ran_by,
            "other_builds": [
                {
                    "build_id": build.build_id,
                    "built_at": build.built_at.isoformat(),
                    "marts": list(build.marts),
                    "ran_by": build.ran_by,
                    "later": build.built_at > provenance.built_at,
                }
                for build in provenance.other_builds
            ],
        },
        indent=2,
        sort_keys=True,
    )


def render_files(report: Report) -> dict[str, bytes]:
    """Every file of the reports directory: the HTML page, the whole report and each artefact as
    Markdown, the figures as PNG, and the provenance as JSON."""
    files = {
        HTML_FILE: html_document(report).encode(),
        MARKDOWN_FILE: markdown_document(report).encode(),
        PROVENANCE_FILE: (provenance_json(report.provenance) + "\n").encode(),
    }
    for section in report.sections:
        files[f"{section.key}.md"] = section_document(report, section).encode()
        if section.figure is not None:
            files[section.figure.file_name] = section.figure.png
    return files


@dataclass(frozen=True)
class WrittenReport:
    report: Report
    directory: Path
    files: tuple[str, ...]

    @property
    def html_path(self) -> Path:
        return self.directory / HTML_FILE


def current_publication(warehouse_path: Path) -> PublicationStatus | None:
    """What the warehouse's builds log says: the build published last (a partial build publishes
    without rebuilding build_info, so it is not build_info's), the newest failed one, and who ran
    each build; None for a warehouse that was never published (built by hand)."""
    from warehouse import WarehouseFiles, publication_status
    from warehouse.publish import read_records

    files = WarehouseFiles(Path(warehouse_path))
    status = publication_status(files)
    records = read_records(files)
    published = [r.build_id for r in records if r.status == "published"]
    latest = published[-1] if published else status.published_build_id
    if latest is None:
        return None
    failed = status.last_failed
    return PublicationStatus(
        published_build_id=latest,
        failed_build_id=failed.build_id if failed else None,
        failed_at=datetime.fromisoformat(failed.started_at) if failed else None,
        failure_reason=failed.reason if failed else None,
        ran_by={r.build_id: r.holder for r in records},
    )


def write_report(
    warehouse_path: Path,
    reports_dir: Path,
    *,
    project_dir: Path | None = None,
    publication: PublicationStatus | None = None,
    now: datetime | None = None,
    evaluation_dir: Path | None = None,
) -> WrittenReport:
    """Read the warehouse read-only, render every file, and swap them into ``reports_dir``.
    ``publication`` defaults to what the warehouse's builds log says."""
    if publication is None:
        publication = current_publication(warehouse_path)
    with Warehouse.open(warehouse_path) as warehouse:
        report = build_report(
            warehouse,
            project_dir=project_dir,
            publication=publication,
            now=now,
            evaluation_dir=evaluation_dir,
        )
    files = render_files(report)
    directory = publish_directory(files, reports_dir)
    return WrittenReport(report=report, directory=directory, files=tuple(sorted(files)))
