"""The study report (report/ package) as an asset: every table and figure of the study beside this
run's, written to the reports directory and shown in the UI as Markdown with the figure embedded."""

import dagster as dg

from base import settings
from dagster_project.defs.warehouse.dbt import model_key
from dagster_project.defs.warehouse.resources import PublishedWarehouseResource
from dagster_project.staleness import source_code_version
from report import EXTRA_ARTEFACTS, WrittenReport, required_tables, write_report
from report.provenance import project_checkout, shown_path
from report.render import section_document


def _report_deps() -> list[dg.AssetKey]:
    """The marts and seeds the report reads, and those of the optional artefacts (issue 10's
    estimates) that the dbt project has."""
    keys = [model_key(name) for name in required_tables()]
    for artefact in EXTRA_ARTEFACTS:
        for name in artefact.requires:
            try:
                keys.append(model_key(name))
            except KeyError:
                continue  # not in this dbt project: the report skips the artefact
    return list(dict.fromkeys(keys))


def study_report_asset() -> dg.AssetsDefinition:
    """Built when the definitions load: the marts' keys come from the dbt manifest."""

    @dg.asset(
        key=["reports", "study_report"],
        deps=_report_deps(),
        group_name="reports",
        kinds={"html", "markdown", "png"},
        automation_condition=dg.AutomationCondition.eager(),
        # The same marts and the same report code write the same report: nothing to rewrite.
        code_version=source_code_version("report"),
    )
    def study_report(
        context: dg.AssetExecutionContext, duckdb: PublishedWarehouseResource
    ) -> dg.MaterializeResult:
        """Tables 1-8, inter-rater agreement and Figure 1 beside the study's values, with
        provenance (which build is published, and why a newer one is not): report.html (one
        self-contained page), README.md and one Markdown file per artefact, PNG."""
        written = write_report(
            duckdb.path,
            settings.reports_dir(),
            project_dir=project_checkout(),
            evaluation_dir=settings.suggester_evaluation_dir(),
        )
        context.log.info(f"report written to {shown_path(written.html_path)}")
        return dg.MaterializeResult(metadata=report_metadata(written))

    return study_report


def report_metadata(written: WrittenReport) -> dict[str, dg.MetadataValue]:
    """The report in the UI: provenance first, then one Markdown entry per artefact (banner and
    provenance line included, figures embedded as PNG data). Paths relative to the project (the
    file name when outside it), never the machine's."""
    provenance = written.report.provenance
    metadata: dict[str, dg.MetadataValue] = {
        "html_report": dg.MetadataValue.path(shown_path(written.html_path)),
        "build_id": dg.MetadataValue.text(provenance.build_id),
        "code_version": dg.MetadataValue.text(provenance.code_version),
        "is_sample_data": dg.MetadataValue.bool(provenance.is_sample_data),
    }
    for section in written.report.sections:
        metadata[section.key] = dg.MetadataValue.md(
            section_document(written.report, section, embed_figures=True)
        )
    return metadata


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[study_report_asset()])
