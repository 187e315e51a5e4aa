"""Agreement between two labellings of the same items: a rater and the suggester, or two raters.

Every labelling is one set of labels per item (activities or challenges, or the single label
``NOT_ML`` for an item that is not ML-related). The measures (docs/method.md, "Judging the
suggester on your own labels"):

- Cohen's kappa over the study's multi-instance form (``int_labels__label_instances``, which
  ``rater_agreement`` uses): one agreeing instance per label both gave, the labels only one side
  gave paired with each other in alphabetical order, the longer side's surplus with ``(none)``.
- Cohen's kappa with every disagreeing label paired with ``(none)``: a label given by one side and
  not the other is a disagreement of its own, so a suggester is not rewarded for pairing a wrong
  label with a missed one (stricter; the issue 18 form).
- Exact-set agreement: the share of items whose two sets are equal.
- Per-label precision and recall (the second labelling judged against the first).
- ML-related AUC: how well a probability ranks ML-related items above the others.

Intervals come from a bootstrap by project (projects drawn with replacement, all their items with
them): the suggester is meant for projects it has not seen, so projects, not items, are the unit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import zip_longest

import numpy as np
from sklearn.metrics import cohen_kappa_score, roc_auc_score

NONE_LABEL = "(none)"
NOT_ML = "NOT_ML"


def _pairs(first: Sequence, second: Sequence, unmatched) -> tuple[list[str], list[str]]:
    """One agreeing instance per label both sides gave; ``unmatched(only_first, only_second)``
    pairs the rest (each sorted)."""
    left, right = [], []
    for a, b in zip(first, second, strict=True):
        a, b = set(a), set(b)
        agreed = sorted(a & b)
        for x, y in [
            *((label, label) for label in agreed),
            *unmatched(sorted(a - b), sorted(b - a)),
        ]:
            left.append(x)
            right.append(y)
    return left, right


def study_pairs(first: Sequence, second: Sequence) -> tuple[list[str], list[str]]:
    """The study's multi-instance pairs (the rule of int_labels__label_instances)."""
    return _pairs(first, second, lambda a, b: zip_longest(a, b, fillvalue=NONE_LABEL))


def none_pairs(first: Sequence, second: Sequence) -> tuple[list[str], list[str]]:
    """Multi-instance pairs where every label only one side gave is paired with ``(none)``."""
    return _pairs(
        first, second, lambda a, b: [*((x, NONE_LABEL) for x in a), *((NONE_LABEL, y) for y in b)]
    )


def kappa(pairs: tuple[list[str], list[str]]) -> float:
    left, right = pairs
    if not left:
        return float("nan")
    if len(set(left) | set(right)) < 2:
        return 1.0  # both sides gave one and the same label throughout
    return float(cohen_kappa_score(left, right))


def exact_set(first: Sequence, second: Sequence) -> float:
    return float(np.mean([set(a) == set(b) for a, b in zip(first, second, strict=True)]))


def ml_related_auc(truth_ml: Sequence[bool], p_ml: Sequence[float] | np.ndarray) -> float:
    """AUC of P(ML-related); NaN when one class is absent (nothing to rank)."""
    truth = np.asarray(truth_ml, dtype=bool)
    if truth.all() or not truth.any():
        return float("nan")
    return float(roc_auc_score(truth, np.asarray(p_ml, dtype=float)))


def per_label(first: Sequence, second: Sequence, labels: Sequence[str]) -> list[dict]:
    """Precision and recall of each label, the second labelling judged against the first."""
    rows = []
    for label in labels:
        truth = np.array([label in set(a) for a in first])
        given = np.array([label in set(b) for b in second])
        hits = int((truth & given).sum())
        rows.append(
            {
                "label": label,
                "support": int(truth.sum()),
                "suggested": int(given.sum()),
                "precision": hits / given.sum() if given.any() else float("nan"),
                "recall": hits / truth.sum() if truth.any() else float("nan"),
            }
        )
    return rows


def overall(
    first: Sequence, second: Sequence, p_ml: Sequence[float] | np.ndarray | None = None
) -> dict:
    """Both kappa forms, exact-set agreement and (with probabilities) the ML-related AUC."""
    truth_ml = [NOT_ML not in set(a) for a in first]
    return {
        "kappa_study_pairs": kappa(study_pairs(first, second)),
        "kappa_none_pairs": kappa(none_pairs(first, second)),
        "exact_set_agreement": exact_set(first, second),
        "ml_related_auc": ml_related_auc(truth_ml, p_ml) if p_ml is not None else float("nan"),
    }


def bootstrap_by_project(
    projects: Sequence[str] | np.ndarray,
    measure: Callable[[np.ndarray], dict],
    *,
    replicates: int = 1000,
    confidence: float = 0.95,
    seed: int = 2023,
) -> dict[str, tuple[float, float, int]]:
    """Percentile intervals of each measure over resamples of whole projects.

    ``measure(index)`` computes the measures on the items at ``index`` (a project drawn twice
    contributes its items twice). A replicate whose value is NaN (e.g. no item that is not
    ML-related among the projects drawn, so no AUC) is left out; the count of usable replicates is
    returned beside each interval.
    """
    project_of = np.asarray(projects, dtype=object)
    names = np.unique(project_of)
    items_of = {name: np.flatnonzero(project_of == name) for name in names}
    rng = np.random.default_rng(seed)
    values: dict[str, list[float]] = {}
    for _ in range(replicates):
        drawn = rng.choice(names, size=len(names), replace=True)
        index = np.concatenate([items_of[name] for name in drawn])
        for key, value in measure(index).items():
            values.setdefault(key, []).append(value)
    alpha = (1 - confidence) / 2
    out = {}
    for key, series in values.items():
        finite = np.asarray([v for v in series if np.isfinite(v)], dtype=float)
        if len(finite) == 0:
            out[key] = (float("nan"), float("nan"), 0)
        else:
            low, high = np.quantile(finite, [alpha, 1 - alpha])
            out[key] = (float(low), float(high), len(finite))
    return out
