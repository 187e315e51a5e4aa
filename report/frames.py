"""The study's two sampling frames as the report shows them: the commit frame (activities, Table 5,
RQ1) and the issue frame (challenges, Table 6, RQ2). Every section that exists once per frame
(Table 5/6, the whole-frame estimates, the trends per year, the suggester's Dagster metadata) is one
function of a FrameSpec.

Rows follow the study's order: Table 5's categories by their share, each followed by its
activities by theirs; Table 6's challenges by share with Other last (``study_order``)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class FrameSpec:
    #: the frame's name in the marts (rater_agreement.frame, suggestion_status.frame)
    frame: str
    question: str
    table: str
    #: the sample's mart (and its pipeline_counts step), the seed and marts of the frame's labels
    sample: str
    taxonomy: str
    distribution: str
    estimates: str
    trends: str
    #: the section key and Markdown file name of its Table 5 or 6
    table_key: str
    #: the label's level and column name (activity, challenge), its plural, and its group's
    label: str
    labels: str
    group: str | None
    #: what the frame holds, in the study's words, and one of them with its article
    items: str
    one_item: str
    year_column: str
    year_of: str
    #: the taxonomy seed's columns sorted as the study prints its rows
    study_order: str
    #: the level the trend figure draws, and how its legend reads in a note
    drawn_level: str
    drawn: str

    @property
    def label_headers(self) -> tuple[str, ...]:
        return tuple(word.capitalize() for word in (self.group, self.label) if word)

    def label_cells(self, text: str) -> tuple[str, ...]:
        """``text`` in the first label column, the others empty."""
        return (text,) + ("",) * (len(self.label_headers) - 1)

    @property
    def ml_related(self) -> str:
        """The estimates' row of the share of ML-related items (level ml_related)."""
        return f"ML-related {self.frame}"


COMMIT_FRAME = FrameSpec(
    frame="commits",
    question="RQ1",
    table="Table 5",
    sample="commit_sample",
    taxonomy="activity_taxonomy",
    distribution="activity_distribution",
    estimates="activity_estimates",
    trends="activity_trends",
    table_key="table5_activities",
    label="activity",
    labels="activities",
    group="category",
    items="model-file commits",
    one_item="a commit",
    year_column="commit_year",
    year_of="commit",
    study_order="study_category_share_pct desc, category, study_share_pct desc, activity",
    drawn_level="category",
    drawn="the activity categories",
)
ISSUE_FRAME = FrameSpec(
    frame="issues",
    question="RQ2",
    table="Table 6",
    sample="issue_sample",
    taxonomy="challenge_taxonomy",
    distribution="challenge_distribution",
    estimates="challenge_estimates",
    trends="challenge_trends",
    table_key="table6_challenges",
    label="challenge",
    labels="challenges",
    group=None,
    items="closed issues",
    one_item="an issue",
    year_column="closed_year",
    year_of="closure",
    study_order="challenge = 'Other', study_share_pct desc, challenge",
    drawn_level="challenge",
    drawn="the six largest challenges",
)
FRAMES = {spec.frame: spec for spec in (COMMIT_FRAME, ISSUE_FRAME)}


@dataclass(frozen=True)
class StudyRow:
    """A row of Table 5 or 6: a category heading its activities, an activity or a challenge.
    ``cells`` are its label columns (the category's second cell, the activity's first, empty)."""

    level: str
    name: str
    cells: tuple[str, ...]
    heads_group: bool = False


def study_rows(spec: FrameSpec, taxonomy: pd.DataFrame) -> list[StudyRow]:
    """The taxonomy (sorted by ``spec.study_order``) as the study's rows."""
    if spec.group is None:
        return [StudyRow(spec.label, name, (name,)) for name in taxonomy[spec.label]]
    rows = []
    for group, members in taxonomy.groupby(spec.group, sort=False):
        rows.append(StudyRow(spec.group, str(group), (str(group), ""), heads_group=True))
        rows += [StudyRow(spec.label, name, ("", name)) for name in members[spec.label]]
    return rows
