"""The label suggester: adjudicated labels of the sample -> suggested labels for every frame item.

What it sees (docs/method.md, "Label suggester"): for a commit its message, the paths of every file
it modifies, the Table 2 keywords that matched and its diff statistics; for a closed issue its title,
body and GitHub labels. Text is hashed into word uni- and bigrams (stateless, so nothing is fitted on
items outside a training fold), and one logistic regression per label (one-vs-rest) gives the
probability of each label; another gives the probability that the item is ML-related at all
(trained on the reviewers' keep/reject decisions).

Cross-fitting: projects are dealt into folds (GroupKFold), and every labelled item is predicted by
the models trained on the other folds, so agreement is measured on projects the model never saw and
population estimates are corrected with items that did not train the model. The frame's predictions
for the estimates are the fold models' average; the suggestions shown to people come from one model
trained on every labelled item. Everything is deterministic for a seed.

Lent items (``FrameInputs.lent``: the real set's labelled commits of other projects,
analysis/training.py) join the training items of every one of these models and are never predicted,
so they change what the models know, not what is out of fold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold
from sklearn.multiclass import OneVsRestClassifier

from analysis import agreement
from analysis.settings import SuggesterSettings
from analysis.training import LentItems

NONE_LABEL = agreement.NONE_LABEL
#: Characters of an issue body the suggester reads (the start says what the issue is about; the rest
#: is logs and stack traces that only cost time).
BODY_CHARACTERS = 2000


@dataclass
class FrameInputs:
    """One sampling frame as the suggester needs it.

    ``items``: one row per frame item with item_key, stratum (project), year, final_labels (list of
    labels, or None when not adjudicated), is_ml_related (True keep, False reject, None unknown) and
    in_design_sample (among the first `allocation` draws of its project: the stratified sample
    before replacements, which the estimates use). ``features``: sparse matrix, one row per item.
    """

    frame: str
    labels: list[str]
    items: pd.DataFrame
    features: sp.csr_matrix
    groups: dict[str, str] = field(default_factory=dict)
    #: the content score of each item (analysis/commit_features.py), or None: then P(ML-related)
    #: is learned from every feature, which learns projects rather than content
    relevance_score: np.ndarray | None = None
    #: labelled items of other projects that join every training set and nothing else (the
    #: bundled real set, analysis/training.py), in the same feature space; None: the frame's own
    lent: LentItems | None = None

    def relevance_features(self):
        return _relevance_features(self.features, self.relevance_score)


def _relevance_features(features, score):
    if score is None:
        return features
    return np.asarray(score, dtype=float).reshape(-1, 1)


@dataclass
class CrossFit:
    folds: int
    #: cross-fitted P(label) and P(ML-related) of every frame item: labelled items by the model of
    #: the fold that did not see them, the others by the average of the fold models
    frame_probabilities: pd.DataFrame
    fold_of_project: dict[str, int]


# --------------------------------------------------------------------------- features


#: A feature block: (name, documents, word n-gram range, weight). Each block is hashed and
#: l2-normalised on its own, so twenty path components do not drown a five-word message.
Block = tuple[str, pd.Series, tuple[int, int], float]


def commit_blocks(commits: pd.DataFrame) -> list[Block]:
    """Message (uni- and bigrams), modified paths (their components) and matched keywords."""
    paths = commits["changed_paths"].map(lambda p: " ".join(p) if p is not None else "")
    path_words = paths.str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True)
    keywords = commits["matched_keywords"].map(lambda k: " ".join(k) if k is not None else "")
    return [
        ("message", commits["message"].fillna(""), (1, 2), 1.0),
        ("paths", path_words, (1, 1), 0.5),
        ("keywords", keywords, (1, 1), 0.5),
    ]


def issue_blocks(issues: pd.DataFrame) -> list[Block]:
    """Title (uni- and bigrams), the start of the body, and GitHub labels (whole label names)."""
    labels = issues["github_labels"].map(
        lambda labels: (
            " ".join("_".join(label.lower().split()) for label in labels)
            if labels is not None
            else ""
        )
    )
    body = issues["body"].fillna("").str.slice(0, BODY_CHARACTERS)
    return [
        ("title", issues["title"].fillna(""), (1, 2), 1.0),
        ("body", body, (1, 2), 0.7),
        ("github_labels", labels, (1, 1), 0.7),
    ]


def commit_numbers(commits: pd.DataFrame) -> np.ndarray:
    """Diff statistics on a log scale (a 10,000-line commit is not 100 times a 100-line one)."""
    columns = ["insertions", "deletions", "files_modified", "model_file_count"]
    return np.log1p(commits[columns].fillna(0).to_numpy(float).clip(min=0)) / 10


def issue_numbers(issues: pd.DataFrame) -> np.ndarray:
    return np.log1p(issues[["comments_count"]].fillna(0).to_numpy(float).clip(min=0)) / 10


def featurize(
    blocks: Sequence[Block], numbers: np.ndarray, hash_features: int = 2**18
) -> sp.csr_matrix:
    """Each block's hashed word n-grams (stateless: nothing is fitted, so no fold leaks into
    another), weighted, beside the numeric columns."""
    matrices = []
    for _, documents, ngrams, weight in blocks:
        vectorizer = HashingVectorizer(
            n_features=hash_features, ngram_range=ngrams, alternate_sign=False, norm="l2"
        )
        matrices.append(vectorizer.transform(documents.to_numpy()) * weight)
    return sp.hstack([*matrices, sp.csr_matrix(numbers)], format="csr")


# --------------------------------------------------------------------------- models


def _label_matrix(final_labels: pd.Series, labels: Sequence[str]) -> np.ndarray:
    index = {label: j for j, label in enumerate(labels)}
    matrix = np.zeros((len(final_labels), len(labels)), dtype=int)
    for i, item_labels in enumerate(final_labels):
        for label in item_labels:
            matrix[i, index[label]] = 1
    return matrix


def _logistic(settings: SuggesterSettings) -> dict:
    # liblinear's dual solver: its cost grows with the labelled items (hundreds), not with the
    # hashed features (hundreds of thousands), 100x faster here than the primal.
    # liblinear shuffles the items: the seed makes it repeatable.
    return {
        "C": settings.regularisation_c,
        "solver": "liblinear",
        "dual": True,
        "max_iter": 5000,
        "random_state": settings.seed,
    }


def _label_model(settings: SuggesterSettings) -> OneVsRestClassifier:
    return OneVsRestClassifier(LogisticRegression(**_logistic(settings)))


def _fit_labels(x, y, settings: SuggesterSettings):
    import warnings

    with warnings.catch_warnings():
        # a label absent from a training fold gets a constant model: expected, not news
        warnings.filterwarnings("ignore", message="Label .* is present in all training examples")
        return _label_model(settings).fit(x, y)


#: pseudo-items added to the content score's calibration: one at each end of the scale, saying
#: what the lexicon says (all evidence against ML -> not ML-related, all for -> ML-related)
CONTENT_PRIOR = (np.array([[-1.0], [1.0]]), np.array([False, True]))


def _fit_relevance(x, y: np.ndarray, settings: SuggesterSettings):
    if x.shape[1] == 1:
        # The content score: only its slope and intercept are learned (Platt scaling), barely
        # regularised, so a handful of not-ML items in other projects calibrates it; the two
        # pseudo-items keep the lexicon's direction when the training projects have none at all
        # (otherwise every item would get the training share and rank by project, not content).
        prior_x, prior_y = CONTENT_PRIOR
        return LogisticRegression(C=100.0, max_iter=1000).fit(
            np.vstack([x, prior_x]), np.concatenate([np.asarray(y, bool), prior_y])
        )
    if len(np.unique(y)) < 2:
        # Every reviewed item kept (or none reviewed): the observed rate is all there is to learn.
        return DummyClassifier(strategy="prior").fit(x, y)
    return LogisticRegression(**_logistic(settings)).fit(x, y)


def _relevance_probability(model, x) -> np.ndarray:
    classes = list(model.classes_)
    if True in classes or 1 in classes:
        column = classes.index(True) if True in classes else classes.index(1)
        return model.predict_proba(x)[:, column]
    return np.zeros(x.shape[0])


def _training_rows(items: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    labelled = items["final_labels"].notna().to_numpy()
    # An adjudicated item was judged ML-related (rejected items are replaced, never labelled).
    relevance_known = (items["is_ml_related"].notna() | items["final_labels"].notna()).to_numpy()
    return labelled, relevance_known


def _relevance_truth(items: pd.DataFrame) -> np.ndarray:
    known = items["is_ml_related"]
    return np.where(known.notna(), known.fillna(False).astype(bool), True)


def _stack(top, bottom):
    """Rows of ``bottom`` under ``top``: the content score (dense) or the features (sparse)."""
    if isinstance(top, np.ndarray):
        return np.vstack([top, bottom])
    return sp.vstack([top, bottom], format="csr")


def _training_sets(inputs: FrameInputs, train_labels: np.ndarray, train_relevance: np.ndarray):
    """(x, y) of the label models and of the relevance model: the chosen frame items, then every
    lent item (a lent NOT_ML item trains relevance only)."""
    items = inputs.items
    x_labels = inputs.features[train_labels]
    y_labels = _label_matrix(items.loc[train_labels, "final_labels"], inputs.labels)
    x_relevance = inputs.relevance_features()[train_relevance]
    y_relevance = _relevance_truth(items)[train_relevance]
    lent = inputs.lent
    if lent is None or not len(lent):
        return x_labels, y_labels, x_relevance, y_relevance
    labelled = np.array([labels is not None for labels in lent.final_labels])
    lent_labels = [labels for labels in lent.final_labels if labels is not None]
    return (
        _stack(x_labels, lent.features[labelled]),
        np.vstack([y_labels, _label_matrix(pd.Series(lent_labels, dtype=object), inputs.labels)]),
        _stack(x_relevance, _relevance_features(lent.features, lent.relevance_score)),
        np.concatenate([y_relevance, lent.is_ml_related]),
    )


def check_enough_labels(inputs: FrameInputs, settings: SuggesterSettings) -> str | None:
    """Why the suggester cannot be trained and validated on these labels, or None when it can."""
    labelled, _ = _training_rows(inputs.items)
    count = int(labelled.sum())
    projects = inputs.items.loc[labelled, "stratum"].nunique()
    if count < settings.min_labelled_items:
        return (
            f"{count} adjudicated {inputs.frame} item(s); cross-validating the suggester needs at "
            f"least {settings.min_labelled_items}: no suggestion is made"
        )
    if projects < 2:
        return (
            f"adjudicated {inputs.frame} come from {projects} project(s); cross-validation by "
            "project needs at least 2: no suggestion is made"
        )
    distinct = {label for labels in inputs.items.loc[labelled, "final_labels"] for label in labels}
    if len(distinct) < 2:
        return f"every adjudicated {inputs.frame} item has the same single label: nothing to learn"
    return None


def fold_assignment(strata: pd.Series, folds: int, seed: int) -> dict[str, int]:
    """Projects dealt into folds (GroupKFold, shuffled by the seed): a project is in one fold."""
    projects = np.array(sorted(strata.unique()))
    folds = min(folds, len(projects))
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    assignment = {}
    for fold, (_, test) in enumerate(splitter.split(projects, groups=projects)):
        for project in projects[test]:
            assignment[str(project)] = fold
    return assignment


def cross_fit(inputs: FrameInputs, settings: SuggesterSettings) -> CrossFit:
    """Out-of-fold probabilities for labelled items, the fold models' average for the rest."""
    items, x, x_relevance = inputs.items, inputs.features, inputs.relevance_features()
    labelled, relevance_known = _training_rows(items)
    annotated = labelled | relevance_known
    assignment = fold_assignment(items.loc[annotated, "stratum"], settings.folds, settings.seed)
    folds = max(assignment.values()) + 1
    item_fold = items["stratum"].map(assignment).fillna(-1).to_numpy(int)

    k = len(inputs.labels)
    average = np.zeros((len(items), k + 1))
    out_of_fold = np.full((len(items), k + 1), np.nan)
    for fold in range(folds):
        training = _training_sets(
            inputs, labelled & (item_fold != fold), relevance_known & (item_fold != fold)
        )
        label_model = _fit_labels(training[0], training[1], settings)
        relevance_model = _fit_relevance(training[2], training[3], settings)
        probabilities = np.column_stack(
            [label_model.predict_proba(x), _relevance_probability(relevance_model, x_relevance)]
        )
        average += probabilities / folds
        held_out = item_fold == fold
        out_of_fold[held_out] = probabilities[held_out]
    combined = np.where(np.isnan(out_of_fold), average, out_of_fold)
    frame_probabilities = pd.DataFrame(
        combined, columns=[f"p_{label}" for label in inputs.labels] + ["p_ml_related"]
    )
    frame_probabilities.insert(0, "item_key", items["item_key"].to_numpy())
    return CrossFit(folds, frame_probabilities, assignment)


def predict_held_out(
    inputs: FrameInputs, train: np.ndarray, test: np.ndarray, settings: SuggesterSettings
) -> np.ndarray:
    """P(label) columns and P(ML-related) of the ``test`` items from models trained on the
    annotated ``train`` items only (leave-one-project-out evaluation, learning curves)."""
    x, x_relevance = inputs.features, inputs.relevance_features()
    labelled, relevance_known = _training_rows(inputs.items)
    x_labels, y_labels, x_relevant, y_relevant = _training_sets(
        inputs, labelled & train, relevance_known & train
    )
    label_model = _fit_labels(x_labels, y_labels, settings)
    relevance_model = _fit_relevance(x_relevant, y_relevant, settings)
    return np.column_stack(
        [
            label_model.predict_proba(x[test]),
            _relevance_probability(relevance_model, x_relevance[test]),
        ]
    )


def suggested_sets(probabilities: np.ndarray, labels: Sequence[str], threshold: float) -> list:
    """The labels at or above the threshold, or the most probable one when none is."""
    chosen = probabilities >= threshold
    top = probabilities.argmax(axis=1)
    chosen[np.arange(len(chosen)), top] = True
    names = np.array(labels, dtype=object)
    return [sorted(names[row]) for row in chosen]


def multi_instance_pairs(
    truth: Sequence[Sequence[str]], suggested: Sequence[Sequence[str]]
) -> tuple[list[str], list[str]]:
    """The study's multi-label -> multi-instance rule (int_labels__label_instances): one agreeing
    instance per shared label, the others paired in alphabetical order, surplus with (none)."""
    return agreement.study_pairs(truth, suggested)


def evaluate(inputs: FrameInputs, crossfit: CrossFit, settings: SuggesterSettings) -> pd.DataFrame:
    """Cross-validated agreement of the suggester with the adjudicated labels (by project)."""
    items = inputs.items
    labelled, relevance_known = _training_rows(items)
    probabilities = crossfit.frame_probabilities
    p = probabilities[[f"p_{label}" for label in inputs.labels]].to_numpy()[labelled]
    truth_sets = list(items.loc[labelled, "final_labels"])
    predicted = suggested_sets(p, inputs.labels, settings.threshold)
    first, second = multi_instance_pairs(truth_sets, predicted)
    kappa = cohen_kappa_score(first, second)
    kappa_none = agreement.kappa(agreement.none_pairs(truth_sets, predicted))
    truth_matrix = _label_matrix(pd.Series(truth_sets), inputs.labels)
    predicted_matrix = _label_matrix(pd.Series(predicted), inputs.labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth_matrix, predicted_matrix, average=None, zero_division=0
    )
    rows = [
        {
            "metric_scope": "all labels",
            "label": None,
            "evaluated_items": int(labelled.sum()),
            "instances": len(first),
            "cohen_kappa": float(kappa),
            "cohen_kappa_none_pairs": kappa_none,
            "exact_set_agreement": float(
                np.mean([set(a) == set(b) for a, b in zip(truth_sets, predicted, strict=True)])
            ),
        }
    ]
    for j, label in enumerate(inputs.labels):
        rows.append(
            {
                "metric_scope": "label",
                "label": label,
                "evaluated_items": int(labelled.sum()),
                "support": int(support[j]),
                "predicted": int(predicted_matrix[:, j].sum()),
                "precision": float(precision[j]),
                "recall": float(recall[j]),
                "f1": float(f1[j]),
            }
        )
    rows.append(_relevance_agreement(items, probabilities, relevance_known))
    out = pd.DataFrame(rows)
    out["folds"] = crossfit.folds
    return out


def _relevance_agreement(
    items: pd.DataFrame, probabilities: pd.DataFrame, relevance_known: np.ndarray
) -> dict:
    """The relevance suggestion against the review decisions (keep/reject), scored with "not
    ML-related" as the positive class; kappa only when both decisions occur."""
    truth_relevant = _relevance_truth(items)[relevance_known]
    predicted_relevant = probabilities["p_ml_related"].to_numpy()[relevance_known] >= 0.5
    r_precision, r_recall, r_f1, _ = precision_recall_fscore_support(
        truth_relevant, predicted_relevant, average="binary", pos_label=False, zero_division=0
    )
    return {
        "metric_scope": "not ML-related",
        "label": "not ML-related",
        "evaluated_items": int(relevance_known.sum()),
        "support": int((~truth_relevant).sum()),
        "predicted": int((~predicted_relevant).sum()),
        "precision": float(r_precision),
        "recall": float(r_recall),
        "f1": float(r_f1),
        "cohen_kappa": float(cohen_kappa_score(truth_relevant, predicted_relevant))
        if len(set(truth_relevant) | set(predicted_relevant)) > 1
        else None,
    }


def suggest(inputs: FrameInputs, settings: SuggesterSettings) -> pd.DataFrame:
    """One model trained on every labelled item, applied to the whole frame."""
    items, x, x_relevance = inputs.items, inputs.features, inputs.relevance_features()
    labelled, relevance_known = _training_rows(items)
    x_labels, y_labels, x_relevant, y_relevant = _training_sets(inputs, labelled, relevance_known)
    label_model = _fit_labels(x_labels, y_labels, settings)
    relevance_model = _fit_relevance(x_relevant, y_relevant, settings)
    p = label_model.predict_proba(x)
    p_relevant = _relevance_probability(relevance_model, x_relevance)
    suggested = suggested_sets(p, inputs.labels, settings.threshold)
    decisiveness = np.abs(2 * np.column_stack([p, p_relevant]) - 1).min(axis=1)
    out = pd.DataFrame(
        {
            "item_key": items["item_key"].to_numpy(),
            "repo_id": items["stratum"].to_numpy(),
            "suggested_labels": suggested,
            "top_probability": p.max(axis=1),
            "ml_related_probability": p_relevant,
            # 1 when some yes/no question (a label, ML-related) is a coin flip, 0 when all are sure
            "uncertainty": 1 - decisiveness,
        }
    )
    # One numeric column per label (p_<label>), not a list of dicts per item: at study scale that
    # is millions of Python objects; analysis.warehouse makes the list column in Arrow.
    probabilities = pd.DataFrame(p, columns=[f"p_{label}" for label in inputs.labels])
    return pd.concat([out, probabilities], axis=1)


def labels_digest(inputs: FrameInputs) -> str:
    """A short hash of what the model was trained on (for reproducibility, not staleness)."""
    labelled = inputs.items[inputs.items["final_labels"].notna()]
    text = "\n".join(
        f"{key}={';'.join(sorted(labels))}"
        for key, labels in sorted(zip(labelled["item_key"], labelled["final_labels"], strict=True))
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]
