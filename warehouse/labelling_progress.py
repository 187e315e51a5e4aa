"""Labelling progress as the published warehouse has it (``mms-warehouse status``): per frame and
rater, the sample items labelled and left, and each rater pair's kappa (rater_agreement). What
Label Studio holds but is not imported yet is `mms-label status`'s."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.published import WarehouseUnavailable, open_published

_LABELLED = """
    with sample as (
        select 'commits' as frame, lower(commit_key) as item_key from commit_sample
        union all
        select 'issues', lower(issue_key) from issue_sample
    ),
    sizes as (select frame, count(*) as items from sample group by frame),
    labelled as (
        select labels.frame, labels.rater, bool_or(labels.is_adjudication) as is_adjudication,
               count(distinct lower(labels.item_key)) as labelled
        from stg_annotations__labels as labels
        join sample on sample.frame = labels.frame and sample.item_key = lower(labels.item_key)
        group by all
    )
    select labelled.frame, labelled.rater, labelled.is_adjudication, labelled.labelled, sizes.items
    from labelled join sizes using (frame)
    order by 1, 3, 2
"""


def progress_lines(warehouse: Path) -> list[str]:
    """One line per frame and rater, then one per rater pair; none before labels are imported."""
    try:
        with open_published(warehouse) as con:
            raters = con.execute(_LABELLED).fetchall()
            pairs = con.execute(
                "select frame, rater_a, rater_b, item_count, cohen_kappa from rater_agreement "
                "order by 1, 2, 3"
            ).fetchall()
    except WarehouseUnavailable as exc:
        return [f"labelling progress unavailable: {exc}"]
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        return [f"labelling progress unavailable: {first}"]
    lines = [
        f"  {frame} {rater}{' (adjudication)' if adjudicated else ''}: {done} labelled, "
        f"{total - done} left of {total}"
        for frame, rater, adjudicated, done, total in raters
    ]
    lines += [
        f"  {frame} kappa {a} vs {b}: "
        + ("n/a" if kappa is None else f"{kappa:.3f}")
        + f" over {items} item(s)"
        for frame, a, b, items, kappa in pairs
    ]
    return lines
