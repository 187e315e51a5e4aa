"""The study's tables (markdown) and Figure 1 (PNG), written to the reports folder and shown in the UI."""

import base64

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.reports.render import closure_time_figure, markdown_table
from dagster_project.defs.warehouse.dbt import model_key
from extract import settings

#: (file stem, title, mart) in the study's order.
STUDY_TABLES = (
    (
        "table1_selected_projects",
        "Table 1. Descriptive statistics of the selected projects",
        "project_statistics",
    ),
    (
        "table3_commit_sample",
        "Table 3. Descriptive statistics of the commit sample",
        "commit_sample_statistics",
    ),
    (
        "table4_issue_sample",
        "Table 4. Descriptive statistics of the issue sample",
        "issue_sample_statistics",
    ),
    ("table5_activities", "Table 5. Model management activities (RQ1)", "activity_distribution"),
    ("table6_challenges", "Table 6. Model management challenges (RQ2)", "challenge_distribution"),
    (
        "figure1_closure_times",
        "Figure 1 data. Days to close issues by challenge",
        "closure_time_by_challenge",
    ),
    ("rater_agreement", "Inter-rater agreement (Cohen's kappa)", "rater_agreement"),
)
FIGURE_MART = "closure_time_by_challenge"


def study_report_asset() -> dg.AssetsDefinition:
    """Built when the definitions load: the marts' keys come from the dbt manifest."""

    @dg.asset(
        key=["reports", "study_report"],
        deps=[model_key(mart) for _, _, mart in STUDY_TABLES],
        group_name="reports",
        kinds={"markdown", "png"},
        automation_condition=dg.AutomationCondition.eager(),
    )
    def study_report(
        context: dg.AssetExecutionContext, duckdb: DuckDBResource
    ) -> dg.MaterializeResult:
        """Tables 1 and 3-6, rater agreement and Figure 1 of the study, regenerated from the marts."""
        out_dir = settings.reports_dir()
        out_dir.mkdir(parents=True, exist_ok=True)
        metadata: dict[str, dg.MetadataValue] = {}
        sections = ["# Model management study: results from the warehouse", ""]
        with duckdb.get_connection() as con:
            for stem, title, mart in STUDY_TABLES:
                cursor = con.execute(f"select * from {mart}")
                columns = [d[0] for d in cursor.description]
                rows = cursor.fetchall()
                table = markdown_table(columns, rows)
                (out_dir / f"{stem}.md").write_text(f"## {title}\n\n{table}\n", encoding="utf-8")
                sections += [f"## {title}", "", table, ""]
                metadata[stem] = dg.MetadataValue.md(f"**{title}**\n\n{table}")
            cursor = con.execute(f"select * from {FIGURE_MART}")
            names = [d[0] for d in cursor.description]
            figure_rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        png = closure_time_figure(figure_rows)
        (out_dir / "figure1_closure_times.png").write_bytes(png)
        sections += ["## Figure 1", "", "![Figure 1](figure1_closure_times.png)", ""]
        (out_dir / "README.md").write_text("\n".join(sections), encoding="utf-8")
        encoded = base64.b64encode(png).decode()
        metadata["figure1"] = dg.MetadataValue.md(f"![Figure 1](data:image/png;base64,{encoded})")
        metadata["reports_dir"] = dg.MetadataValue.path(str(out_dir))
        context.log.info(f"reports written to {out_dir}")
        return dg.MaterializeResult(metadata=metadata)

    return study_report


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[study_report_asset()])
