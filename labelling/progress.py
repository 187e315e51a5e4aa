"""How far a round is, read live from Label Studio: per rater, tasks labelled and left, and
Cohen's kappa between the round's raters so far over the items both labelled (the study's
multi-label -> multi-instance pairing, analysis.suggester.multi_instance_pairs, the rule the
warehouse's rater_agreement applies after an import)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

from sklearn.metrics import cohen_kappa_score

from analysis.suggester import multi_instance_pairs
from labelling.client import LabelStudio
from labelling.config import NOT_ML_RELATED
from labelling.imports import answers
from labelling.rounds import project_title


@dataclass
class RaterProgress:
    rater: str
    title: str
    tasks: int
    labelled: int

    @property
    def left(self) -> int:
        return self.tasks - self.labelled


@dataclass
class PairAgreement:
    rater_a: str
    rater_b: str
    items: int
    cohen_kappa: float | None


@dataclass
class RoundProgress:
    frame: str
    round_name: str
    raters: list[RaterProgress]
    agreement: list[PairAgreement]

    def lines(self) -> list[str]:
        out = [f"{p.title}: {p.labelled} labelled, {p.left} left of {p.tasks}" for p in self.raters]
        for pair in self.agreement:
            kappa = "n/a" if pair.cohen_kappa is None else f"{pair.cohen_kappa:.3f}"
            out.append(
                f"{self.frame} {self.round_name}: kappa {pair.rater_a} vs {pair.rater_b} so far "
                f"{kappa} over {pair.items} item(s) both labelled"
            )
        return out


def pair_kappa(
    first: dict[str, list[str]], second: dict[str, list[str]]
) -> tuple[int, float | None]:
    """(items both labelled, Cohen's kappa over their multi-instance pairs) of two raters' label sets
    (item key -> labels); not-ML-related answers are relevance decisions, not labels."""
    shared = sorted(
        k for k in first.keys() & second.keys()
        if NOT_ML_RELATED not in first[k] and NOT_ML_RELATED not in second[k]
    )  # fmt: skip
    if not shared:
        return 0, None
    a, b = multi_instance_pairs([first[k] for k in shared], [second[k] for k in shared])
    kappa = cohen_kappa_score(a, b)
    return len(shared), None if math.isnan(kappa) else float(kappa)


def round_progress(
    client: LabelStudio, frame: str, round_name: str, raters: list[str]
) -> RoundProgress:
    progress: list[RaterProgress] = []
    given: dict[str, dict[str, list[str]]] = {}  # rater -> item key -> labels
    for rater in raters:
        title = project_title(frame, round_name, rater)
        project = client.project_by_title(title)
        if project is None:
            progress.append(RaterProgress(rater, title + " (no project yet)", 0, 0))
            given[rater] = {}
            continue
        found, keys = answers(client.export_tasks(project["id"]))
        given[rater] = {a.item_key.lower(): a.choices for a in found if a.choices}
        progress.append(RaterProgress(rater, title, len(keys), len(given[rater])))
    agreement = [
        PairAgreement(a, b, *pair_kappa(given[a], given[b])) for a, b in combinations(raters, 2)
    ]
    return RoundProgress(frame, round_name, progress, agreement)
