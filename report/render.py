"""The report as Markdown (pandas' DataFrame.to_markdown, i.e. tabulate) and as one self-contained
HTML page (pandas' Styler.to_html, figures embedded as data URIs, no external asset)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

import pandas as pd

from report.banner import banner_html, banner_markdown
from report.model import Report, Section
from report.provenance import parameters_summary, provenance_summary


def _is_missing(cell: object) -> bool:
    return cell is None or (pd.api.types.is_scalar(cell) and bool(pd.isna(cell)))


def frame_markdown(
    table: pd.DataFrame, *, label_columns: int = 1, group_rows: Sequence[int] = ()
) -> str:
    """A display frame (every cell already text) as a GitHub-flavoured table through pandas
    (DataFrame.to_markdown, i.e. tabulate): the first ``label_columns`` columns left, the others
    right-aligned, ``group_rows`` in bold."""
    # tabulate writes cells as they are: a pipe would open a column, a newline end the row.
    table = table.map(
        lambda cell: "" if _is_missing(cell) else str(cell).replace("|", "\\|").replace("\n", " ")
    )
    for position in group_rows:
        table.iloc[position] = [f"**{cell}**" if cell else cell for cell in table.iloc[position]]
    alignments = ["left"] * label_columns + ["right"] * (table.shape[1] - label_columns)
    # disable_numparse: cells are already formatted as the study prints them; tabulate must not
    # re-format "1,808.6" or "+0.4".
    return table.to_markdown(index=False, colalign=alignments, disable_numparse=True)


def markdown_table(section: Section) -> str:
    """GitHub-flavoured table: labels left, numbers right, group rows in bold."""
    assert section.table is not None
    return frame_markdown(
        section.table, label_columns=section.label_columns, group_rows=section.group_rows
    )


def _figure_markdown(section: Section, *, embed: bool) -> str:
    assert section.figure is not None
    if embed:
        source = "data:image/png;base64," + base64.b64encode(section.figure.png).decode()
    else:
        source = section.figure.file_name
    return f"![{section.figure.alt}]({source})"


def section_markdown(section: Section, *, level: int = 2, embed_figures: bool = False) -> str:
    parts = [f"{'#' * level} {section.title}"]
    if section.figure is not None:
        parts.append(_figure_markdown(section, embed=embed_figures))
    if section.table is not None and len(section.table.columns):
        parts.append(markdown_table(section))
    if section.notes:
        parts.append("\n".join(f"- {note}" for note in section.notes))
    return "\n\n".join(parts)


def _header_markdown(report: Report) -> list[str]:
    parts = [banner_markdown()] if report.provenance.is_sample_data else []
    return parts + [f"*{provenance_summary(report.provenance)}*"]


def markdown_document(report: Report, *, embed_figures: bool = False) -> str:
    """The whole report: banner, title, provenance, every section."""
    parts = [f"# {report.title}", *_header_markdown(report)]
    parts += [section_markdown(s, embed_figures=embed_figures) for s in report.sections]
    return "\n\n".join(parts) + "\n"


def section_document(report: Report, section: Section, *, embed_figures: bool = False) -> str:
    """One artefact as a file of its own, with the banner, the provenance line and the study
    parameters."""
    parts = [*_header_markdown(report)]
    if section.key != "study_parameters":
        parts.append(f"*{parameters_summary(report.provenance)}*")
    parts.append(section_markdown(section, embed_figures=embed_figures))
    if section.key not in ("provenance", "study_parameters"):
        parts.append("Full provenance and study parameters: README.md or report.html.")
    return "\n\n".join(parts) + "\n"


# -- HTML -------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto 4rem;
       max-width: 72rem; padding: 0 1.5rem; color: #1c1c1c; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-top: 1.5rem; }
h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
.summary { color: #444; font-size: .9rem; }
.sample-banner { position: sticky; top: 0; z-index: 10; background: #b00020; color: #fff;
                 font-weight: 700; padding: .6rem 1rem; margin: 0 -1.5rem; text-align: center; }
nav ol { columns: 2; font-size: .9rem; }
.table-scroll { overflow-x: auto; }
table.study-table { border-collapse: collapse; font-size: .88rem; margin: .8rem 0; }
table.study-table th, table.study-table td { border-bottom: 1px solid #e2e2e2; padding: .25rem .6rem;
                                             text-align: left; vertical-align: top; }
table.study-table thead th { border-bottom: 2px solid #555; background: #fafafa; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
ul.notes { font-size: .85rem; color: #333; }
"""


def html_table(section: Section) -> str:
    assert section.table is not None
    table = section.table
    numeric = range(section.label_columns, table.shape[1])
    groups = set(section.group_rows)
    styler = (
        table.style.hide(axis="index")
        .format(escape="html")
        .format_index(escape="html", axis=1)
        .set_uuid(section.key)
        .set_table_attributes('class="study-table"')
        .set_table_styles(
            [
                {
                    "selector": f"td.col{i}, th.col_heading.col{i}",
                    "props": "text-align: right; font-variant-numeric: tabular-nums; "
                    "white-space: nowrap;",
                }
                for i in numeric
            ],
            overwrite=False,
        )
    )
    if groups:
        styler = styler.apply(
            lambda row: (
                ["font-weight: 600; background: #f1f4f8" if row.name in groups else ""] * len(row)
            ),
            axis=1,
        )
    return styler.to_html()


def _section_html(section: Section) -> str:
    parts = [f'<section id="{html.escape(section.key)}">', f"<h2>{html.escape(section.title)}</h2>"]
    if section.figure is not None:
        encoded = base64.b64encode(section.figure.png).decode()
        parts.append(
            f'<figure><img src="data:image/png;base64,{encoded}" '
            f'alt="{html.escape(section.figure.alt)}"></figure>'
        )
    if section.table is not None and len(section.table.columns):
        # wide tables (the estimates, a column per year) scroll instead of leaving the page
        parts.append(f'<div class="table-scroll">{html_table(section)}</div>')
    if section.notes:
        notes = "".join(f"<li>{html.escape(note)}</li>" for note in section.notes)
        parts.append(f'<ul class="notes">{notes}</ul>')
    parts.append("</section>")
    return "\n".join(parts)


def html_document(report: Report) -> str:
    """One self-contained page: styles inline, figures as data URIs, nothing fetched."""
    banner = banner_html() if report.provenance.is_sample_data else ""
    contents = "".join(
        f'<li><a href="#{html.escape(s.key)}">{html.escape(s.title)}</a></li>'
        for s in report.sections
    )
    body = "\n".join(_section_html(s) for s in report.sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(report.title)}</title>
<style>{STYLE}</style>
</head>
<body>
{banner}
<header>
<h1>{html.escape(report.title)}</h1>
<p class="summary">{html.escape(provenance_summary(report.provenance))}</p>
</header>
<nav><ol>{contents}</ol></nav>
{body}
</body>
</html>
"""


def frame_of(rows: list[tuple[str, str]], columns: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns), dtype=object)
