"""Beyond the study: the label suggester judged on a real labelled set, leave-one-project-out.

The numbers are ``mms-suggest evaluate``'s (analysis.evaluation): its ``metrics.csv`` and, when it
ran with ``--learning-curve``, ``learning_curve.csv``, read from the evaluation directory
(``MMS_SUGGESTER_EVALUATION_DIR``). They are not in the warehouse: the labels are a researcher's own
file (benchmarks/real_labels/ for the project's), the items any mined repositories; the warehouse's
labels give the suggester_agreement section instead."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from report.formatting import (
    MISSING,
    count,
    interval,
    number,
    number_interval,
    percent,
    with_interval,
)
from report.frame_sections import display_frame
from report.model import Section

KEY = "suggester_real_set"
TITLE = "Beyond the study: the label suggester on a real labelled set (leave-one-project-out)"
METRICS = ("kappa_study_pairs", "kappa_none_pairs", "exact_set_agreement", "ml_related_auc")
#: the measures that are shares of items, shown as percentages
SHARES = ("exact_set_agreement",)
HEADERS = ("Method", "Items", "Projects", "Kappa, study pairs", "Kappa, paired with none",
           "Exact label sets %", "ML-related AUC")  # fmt: skip
#: how the methods of metrics.csv read in the table, in the table's order
METHOD_NAMES = {"suggester": "suggester", "majority": "majority label"}
SECOND_RATER = "second rater"
COMMAND = (
    "uv run mms-suggest evaluate benchmarks/real_labels/commits.csv --out DIR "
    "--second-rater benchmarks/real_labels/second_rater.csv --learning-curve"
)


def _method_name(method: str) -> str:
    if method in METHOD_NAMES:
        return METHOD_NAMES[method]
    if method == SECOND_RATER:
        return "second rater vs first"
    return f"{method.replace('-rule', '')} keyword rules"


def _with_interval(metric: str, row: pd.Series | None) -> str:
    """A measure and its bootstrap interval, as the report shows any: exact label sets as a share
    (``41.2% (33.5–48.9%)``), kappas and AUCs with three decimals (``0.213 (0.101 to 0.330)``)."""
    if row is None or pd.isna(row["value"]):
        return MISSING
    if metric in SHARES:
        return with_interval(percent(row["value"]), interval(row["ci_lower"], row["ci_upper"]))
    return with_interval(
        number(row["value"], 3), number_interval(row["ci_lower"], row["ci_upper"], 3)
    )


def _ordered(methods: list[str]) -> list[str]:
    first = [m for m in METHOD_NAMES if m in methods]
    last = [m for m in methods if m == SECOND_RATER]
    return first + [m for m in methods if m not in first and m not in last] + last


def _rows(overall: pd.DataFrame) -> list[list[str]]:
    rows = []
    for method in _ordered(list(dict.fromkeys(overall["method"]))):
        measures = overall[overall["method"] == method].set_index("metric")
        first = measures.iloc[0]
        cells = [
            _with_interval(m, measures.loc[m] if m in measures.index else None) for m in METRICS
        ]
        rows.append([_method_name(method), count(first["items"]), count(first["projects"]), *cells])
    return rows


def best_rules(overall: pd.DataFrame, metric: str = "kappa_none_pairs") -> tuple[str, float] | None:
    """The keyword-rule set with the highest ``metric``: the baseline the suggester must beat."""
    rules = overall[
        ~overall["method"].isin([*METHOD_NAMES, SECOND_RATER]) & (overall["metric"] == metric)
    ]
    if rules.empty:
        return None
    best = rules.loc[rules["value"].idxmax()]
    return str(best["method"]), float(best["value"])


def labels_to_beat(curve: pd.DataFrame, rules_value: float, metric: str) -> int | None:
    """The fewest training items whose mean (over the draws) ``metric`` beats the rules'."""
    means = curve[curve["method"] == "suggester"].groupby("training_items")[metric].mean()
    beating = [int(size) for size, value in means.sort_index().items() if value > rules_value]
    return beating[0] if beating else None


def _verdict(overall: pd.DataFrame, curve: pd.DataFrame | None) -> list[str]:
    """The comparison a reader wants first, in words: does the suggester beat the rules?"""
    best = best_rules(overall)
    mine = overall[(overall["method"] == "suggester") & (overall["metric"] == "kappa_none_pairs")]
    if best is None or mine.empty:
        return []
    name, value = best
    gain = float(mine["value"].iloc[0]) - value
    notes = [
        f"The suggester's kappa paired with none is {number(abs(gain), 3)} "
        f"{'above' if gain >= 0 else 'below'} the best keyword rules ({_method_name(name)}, "
        f"{number(value, 3)}): "
        + (
            "it adds to what the rules know."
            if gain > 0.05
            else "it adds little or nothing to them."
        )
    ]
    if curve is not None:
        needed = labels_to_beat(curve, value, "kappa_none_pairs")
        notes.append(
            f"Learning curve: it beats the best rules with {count(needed)} labelled items."
            if needed is not None
            else "Learning curve: no number of labelled items tried made it beat the best rules."
        )
    return notes


def _provenance_notes(metrics: pd.DataFrame, model_version: str | None) -> list[str]:
    evaluated = str(metrics["model_version"].iloc[0]) if "model_version" in metrics else MISSING
    notes = [f"Suggester evaluated: {evaluated}."]
    # the same suggester with an opt-in part switched on (e.g. "...; message encoder: ...") is the
    # suggester evaluated, in another configuration, which the note above names
    same = evaluated == model_version or evaluated.startswith(f"{model_version}; ")
    if model_version is not None and not same:
        notes.append(
            f"The suggester has changed since (now {model_version}): run the evaluation again."
        )
    if "diff_summaries" in metrics and not bool(metrics["diff_summaries"].iloc[0]):
        notes.append(
            "Measured without diff summaries (mms-extract git diffs was not run): the suggester "
            "read messages and paths only."
        )
    return notes


def real_set_section(evaluation_dir: Path | None, model_version: str | None = None) -> Section:
    """The methods of ``metrics.csv`` as rows, each measure with its bootstrap interval by project;
    without an evaluation directory, how to make one."""
    metrics_file = Path(evaluation_dir) / "metrics.csv" if evaluation_dir else None
    if metrics_file is None or not metrics_file.is_file():
        return Section(
            key=KEY,
            title=TITLE,
            notes=(
                "No evaluation on a real labelled set is given. To add one: with MMS_LANDING_DIR "
                f"holding the labelled repositories mined (benchmarks/real_labels/README.md), "
                f"`{COMMAND}`, then set MMS_SUGGESTER_EVALUATION_DIR=DIR (python -m report: "
                "--evaluation DIR).",
            ),
        )
    metrics = pd.read_csv(metrics_file)
    overall = metrics[metrics["label"].isna()]
    curve_file = metrics_file.with_name("learning_curve.csv")
    curve = pd.read_csv(curve_file) if curve_file.is_file() else None
    return Section(
        key=KEY,
        title=TITLE,
        table=display_frame(HEADERS, _rows(overall)),
        notes=(
            *_verdict(overall, curve),
            "Each project of the labels file is held out in turn and its items suggested by the "
            "suggester trained on the other projects (a new study's situation); the baselines are "
            "the training projects' most common label and the first matching keyword rule of "
            "analysis/rules/keyword_rules.csv. Kappa, study pairs: the study's multi-instance "
            "pairs (labels only one side gave are paired with each other); paired with none: "
            "each such label is paired with none (stricter). Exact label sets: the share of items "
            "whose suggested set is the labelled one. Intervals: 95%, bootstrap resamples of "
            "projects. The second rater's row is the raters' own agreement on the items both "
            "labelled: the ceiling.",
            *_provenance_notes(metrics, model_version),
            f"Reproduce: `{COMMAND}` (docs/method.md).",
        ),
    )
