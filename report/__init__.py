"""The study report: every table and figure of the study beside this run's, with provenance, as
Markdown, PNG and one self-contained HTML page. Plain Python (pandas, matplotlib), no Dagster."""

from report.artefacts import EXTRA_ARTEFACTS, STUDY_ARTEFACTS, Artefact
from report.build import (
    WrittenReport,
    build_report,
    render_files,
    required_tables,
    write_report,
)
from report.model import Figure, Provenance, PublicationStatus, Report, Section
from report.publish import ReportDirectoryError
from report.warehouse import Warehouse, WarehouseError

__all__ = [
    "EXTRA_ARTEFACTS",
    "STUDY_ARTEFACTS",
    "Artefact",
    "Figure",
    "Provenance",
    "PublicationStatus",
    "Report",
    "ReportDirectoryError",
    "Section",
    "Warehouse",
    "WrittenReport",
    "WarehouseError",
    "build_report",
    "render_files",
    "required_tables",
    "write_report",
]
