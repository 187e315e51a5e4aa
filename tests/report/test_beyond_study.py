"""The sections beyond the study (issue 10) built from a real warehouse: the suggester ran on a
labelled generated study and dbt staged its results. Whole-frame estimates beside Table 5/6's
Wilson intervals and the study's shares, the suggester's kappa beside the raters', the trends per
year with their figure; and, before any suggestion, the reason instead of a table.

Expected cells are recomputed from the marts' raw columns and the seeds, never copied from the
report."""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from PIL import Image

from extract.annotations.files import import_labels
from report import EXTRA_ARTEFACTS, Warehouse, build_report, render_files
from report.render import markdown_document
from tests.report.labelled_study import DBT_DIR, ROOT, dbt, study_env

EXTRA_ORDER = ["activity_estimates", "challenge_estimates", "ml_related_shares",
               "suggester_agreement", "suggester_real_set", "activity_trends",
               "challenge_trends"]  # fmt: skip
#: sections whose content does not come from the warehouse's suggestions
NOT_FROM_SUGGESTIONS = {"suggester_real_set"}


def _seed(name: str) -> list[dict[str, str]]:
    with open(DBT_DIR / "seeds" / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _points(share: float) -> str:
    """Percentage points as the study rounds its percentages: one decimal, a trailing .0 dropped."""
    text = f"{100 * share:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def _pct(share: float) -> str:
    return _points(share) + "%"


def _ci(low: float, high: float) -> str:
    return f"{_points(low)}–{_pct(high)}"


@pytest.fixture(scope="module")
def report(warehouse_path):
    with Warehouse.open(warehouse_path) as warehouse:
        return build_report(warehouse, project_dir=ROOT)


def test_the_sections_beyond_the_study_follow_the_study_in_order(report):
    keys = [s.key for s in report.sections]
    assert keys[-len(EXTRA_ORDER) :] == EXTRA_ORDER
    assert len(EXTRA_ARTEFACTS) == len(EXTRA_ORDER) - len(NOT_FROM_SUGGESTIONS)
    for key in set(EXTRA_ORDER) - NOT_FROM_SUGGESTIONS:
        section = report.section(key)
        assert section.table is not None and len(section.table) > 0, key
        assert not {"build_id", "estimate_status", "is_stale"} & set(section.table.columns)


def test_activity_estimates_put_ppi_beside_the_sample_only_interval(report, warehouse_path):
    section = report.section("activity_estimates")
    rows = section.table.to_dict("records")
    assert list(section.table.columns) == [
        "Category", "Activity", "Whole frame %", "95% CI (PPI)", "PPI width (pp)",
        "95% CI (sample only)", "Sample-only width (pp)", "Width ratio", "Suggester",
        "Sample % (Table 5)", "95% CI (Wilson)", "Study %",
    ]  # fmt: skip
    marts = {
        (level, name): values
        for level, name, *values in _query(
            warehouse_path,
            "select e.level, e.name, e.estimate, e.ci_lower, e.ci_upper, d.share, "
            "d.share_ci_lower, d.share_ci_upper, e.sample_ci_lower, e.sample_ci_upper, "
            "e.power_tuning, e.interval_method from activity_estimates e left join "
            "activity_distribution d on e.level = 'activity' and e.name = d.activity",
        )
    }
    # grouped like Table 5: categories in the study's order, each followed by its activities
    seed = _seed("activity_taxonomy")
    categories = sorted({(r["category"], float(r["study_category_share_pct"])) for r in seed},
                        key=lambda c: -c[1])  # fmt: skip
    expected = []
    for category, _ in categories:
        expected.append((category, ""))
        members = sorted((r for r in seed if r["category"] == category),
                         key=lambda r: -float(r["study_share_pct"]))  # fmt: skip
        expected += [("", r["activity"]) for r in members]
    assert [(r["Category"], r["Activity"]) for r in rows] == expected
    assert section.group_rows == tuple(i for i, (_, a) in enumerate(expected) if not a)

    table5 = {
        r["Activity"]: r for r in report.section("table5_activities").table.to_dict("records")
    }
    study = {r["activity"]: r["study_share_pct"] for r in seed}
    nothing = []
    for row in rows:
        if not row["Activity"]:
            continue
        values = marts[("activity", row["Activity"])]
        estimate, low, high, share, w_low, w_high, s_low, s_high, tuning, method = values
        assert row["Whole frame %"] == _pct(estimate)
        assert row["95% CI (PPI)"] == _ci(low, high)
        assert row["PPI width (pp)"] == _points(high - low)
        # like with like: the same estimator and design without the suggester
        assert row["95% CI (sample only)"] == _ci(s_low, s_high)
        assert row["Sample-only width (pp)"] == _points(s_high - s_low)
        assert row["Width ratio"] == f"{(high - low) / (s_high - s_low):.2f}"
        if method != "ppi++" or tuning < 0.05:
            nothing.append(row["Activity"])
            assert row["Suggester"].startswith(("added nothing", "not used", "not needed"))
        else:
            assert row["Suggester"] == f"λ {tuning:.2f}"
        # the study-style share is Table 5's, with its Wilson interval, shown separately
        assert row["Sample % (Table 5)"] == _pct(share) == table5[row["Activity"]]["%"]
        assert row["95% CI (Wilson)"] == _ci(w_low, w_high) == table5[row["Activity"]]["95% CI"]
        assert row["Study %"] == _pct(float(study[row["Activity"]]) / 100)
    # a plain sentence names what the suggester did not help with
    plain = [n for n in section.notes if n.startswith("The suggester added nothing")]
    assert len(plain) == (1 if nothing else 0)
    assert all(name in plain[0] for name in nothing) or "every interval" in plain[0]
    frame = _query(warehouse_path, "select count(*) from commit_label_frame")[0][0]
    assert any(f"all {frame:,} model-file commits" in note for note in section.notes)
    assert not any(note.startswith(("No estimate", "STALE")) for note in section.notes)


def test_challenge_estimates_in_table_6_order_beside_its_shares(report, warehouse_path):
    rows = report.section("challenge_estimates").table.to_dict("records")
    seed = sorted(_seed("challenge_taxonomy"),
                  key=lambda r: (r["challenge"] == "Other", -float(r["study_share_pct"])))  # fmt: skip
    assert [r["Challenge"] for r in rows] == [r["challenge"] for r in seed]
    table6 = {
        r["Challenge"]: r for r in report.section("table6_challenges").table.to_dict("records")
    }
    estimates = {
        name: (estimate, low, high)
        for name, estimate, low, high in _query(
            warehouse_path, "select name, estimate, ci_lower, ci_upper from challenge_estimates"
        )
    }
    for row, printed in zip(rows, seed, strict=False):
        estimate, low, high = estimates[printed["challenge"]]
        assert (row["Whole frame %"], row["95% CI (PPI)"]) == (_pct(estimate), _ci(low, high))
        assert row["Sample % (Table 6)"] == table6[printed["challenge"]]["%"]
        assert row["95% CI (Wilson)"] == table6[printed["challenge"]]["95% CI"]
        assert row["Study %"] == table6[printed["challenge"]]["Study %"]


def test_the_ml_related_share_of_each_frame_is_its_own_table(report, warehouse_path):
    section = report.section("ml_related_shares")
    rows = {r["Frame"]: r for r in section.table.to_dict("records")}
    assert set(rows) == {"ML-related commits", "ML-related issues"}
    for mart, frame in (("activity_estimates", "commits"), ("challenge_estimates", "issues")):
        ((estimate, low, high, s_low, s_high, items),) = _query(
            warehouse_path,
            f"select estimate, ci_lower, ci_upper, sample_ci_lower, sample_ci_upper, frame_items "
            f"from {mart} where level = 'ml_related'",
        )
        row = rows[f"ML-related {frame}"]
        assert (row["Whole frame %"], row["95% CI (PPI)"]) == (_pct(estimate), _ci(low, high))
        assert row["95% CI (sample only)"] == _ci(s_low, s_high)
        assert row["Frame items"] == f"{items:,}"


def test_the_suggester_kappa_stands_beside_the_raters_and_the_study(report, warehouse_path):
    rows = {r["Frame"]: r for r in report.section("suggester_agreement").table.to_dict("records")}
    assert set(rows) == {"commits", "issues"}
    suggester = {frame: kappas for frame, *kappas in _query(
        warehouse_path, "select frame, cohen_kappa, cohen_kappa_none_pairs from "
        "suggester_agreement where metric_scope = 'all labels'")}  # fmt: skip
    raters = dict(_query(warehouse_path,
                         "select frame, avg(cohen_kappa) from rater_agreement group by frame"))  # fmt: skip
    for frame, row in rows.items():
        study_pairs, none_pairs = suggester[frame]
        assert row["Suggester's kappa"] == f"{study_pairs:.2f}".replace("-0.00", "0.00")
        assert row["Kappa, paired with none"] == f"{none_pairs:.2f}".replace("-0.00", "0.00")
        assert row["Raters' kappa"] == f"{raters[frame]:.2f}"
    assert rows["commits"]["Study's kappa"] == "0.61" and rows["issues"]["Study's kappa"] == "–"


def test_trends_per_year_with_the_figure(report, warehouse_path):
    section = report.section("activity_trends")
    rows = section.table.to_dict("records")
    years = [y for (y,) in _query(warehouse_path,
                                  "select distinct commit_year from activity_trends order by 1")]  # fmt: skip
    assert list(section.table.columns) == ["Category", "Activity", *map(str, years)]
    counts = dict(_query(warehouse_path, "select commit_year, max(labelled_items_in_year) || ' / '"
                                         " || max(frame_items_in_year) from activity_trends group "
                                         "by 1"))  # fmt: skip
    assert rows[0]["Category"] == "Labelled / frame commits"
    assert [rows[0][str(y)] for y in years] == [counts[y] for y in years]
    cells = _query(warehouse_path, "select name, commit_year, estimate, ci_lower, ci_upper, "
                                   "labelled_items_in_year from activity_trends where level = "
                                   "'activity'")  # fmt: skip
    by_activity = {r["Activity"]: r for r in rows if r["Activity"]}
    thin = set()
    for name, year, estimate, low, high, labelled in cells:
        shown = by_activity[name][str(year)]
        if estimate is None:
            assert shown == "–" and labelled < 20
            thin.add(year)
        else:
            assert shown == f"{_pct(estimate)} ({_ci(low, high)})"
    assert thin, "the generated study has a year with too few labelled commits"
    assert any(
        note.startswith("No estimate for ") and all(str(y) in note for y in thin)
        for note in section.notes
    )
    png = Image.open(io.BytesIO(section.figure.png))
    assert png.width > 500 and "Warning" not in png.text  # mined data: no banner
    assert report.section("challenge_trends").figure.file_name == "challenge_trends.png"


def test_every_figure_is_decoded_from_the_html_and_written_beside_it(report):
    files = render_files(report)
    html = files["report.html"].decode()
    figures = {s.figure.file_name for s in report.sections if s.figure is not None}
    assert figures == {"figure1_closure_times.png", "activity_trends.png", "challenge_trends.png"}
    encoded = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert sorted(base64.b64decode(e) for e in encoded) == sorted(files[f] for f in figures)
    for key in EXTRA_ORDER:
        assert f'<section id="{key}">' in html and f"{key}.md" in files


def test_before_any_suggestion_each_section_says_why_instead_of_a_table(warehouse_path):
    with Warehouse.open(warehouse_path.parent / "unsuggested.duckdb") as warehouse:
        report = build_report(warehouse, project_dir=ROOT)
    reason = "no suggestions computed yet: materialize suggestions/label_suggestions"
    for key in set(EXTRA_ORDER) - NOT_FROM_SUGGESTIONS:
        section = report.section(key)
        assert section.table is None and section.figure is None, key
        assert any(reason in note for note in section.notes), (key, section.notes)
    markdown = markdown_document(report)
    estimates = markdown.split("## Beyond the study: activities over the whole frame")[1]
    assert estimates.split("\n## ")[0].count("|") == 0  # no empty table, the reason instead
    files = render_files(report)
    assert "activity_trends.png" not in files
    html = files["report.html"].decode()
    section = html.split('<section id="activity_estimates">')[1].split("</section>")[0]
    assert "<table" not in section and reason in section


def test_estimates_computed_from_older_labels_are_marked_stale(warehouse_path, tmp_path):
    shutil.copytree(warehouse_path.parent / "landing", tmp_path / "landing")
    shutil.copy(warehouse_path, tmp_path / "warehouse.duckdb")
    env = study_env(tmp_path)
    (item,) = _query(tmp_path / "warehouse.duckdb",
                     "select commit_key from commit_sample where label_status = 'labelled' "
                     "order by 1 limit 1")[0]  # fmt: skip
    consensus = tmp_path / "consensus.csv"
    consensus.write_text(f"item_key,labels\n{item},Model Porting\n", encoding="utf-8")
    import_labels(tmp_path / "landing", consensus, "commits", "second-panel",
                  tmp_path / "warehouse.duckdb", adjudication=True)  # fmt: skip
    dbt(env, "run", "--select", "stg_annotations__labels+")
    with Warehouse.open(tmp_path / "warehouse.duckdb") as warehouse:
        report = build_report(warehouse, project_dir=ROOT)
    for key in ("activity_estimates", "suggester_agreement", "activity_trends"):
        notes = report.section(key).notes
        assert any(
            n.startswith("STALE: labels or reviews changed") and "refresh_suggestions" in n
            for n in notes
        ), (key, notes)
    # the issues' labels did not change
    assert not any(n.startswith("STALE") for n in report.section("challenge_estimates").notes)
