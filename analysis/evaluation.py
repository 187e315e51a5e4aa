"""Judge the label suggester on a researcher's own labels, leave-one-project-out (mms-suggest).

A researcher brings LABELS.csv (``repo_id, hash, labels`` for commits, ``repo_id, number, labels``
for closed issues; labels ``;``-separated Table 5/6 names or ``NOT_ML``) for items of repositories
mined into the landing directory. Every project in turn is held out: the suggester is trained on the
others' labels and suggests labels for it, as in a new study whose projects have no label yet. The
same is done for three baselines that need no model (the most common label of the training projects,
and each keyword rule set of analysis/rules/keyword_rules.csv), and, with a second rater's file, for
the raters against each other: the ceiling a suggester can be held to.

Outputs (docs/method.md, "Judging the suggester on your own labels"): ``suggestions.csv`` (out of
fold), ``metrics.csv`` (analysis.agreement's measures with bootstrap intervals by project) and, when
asked, ``learning_curve.csv``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import (
    agreement,
    commit_features,
    embedding_cache,
    keyword_rules,
    suggester,
    training,
)
from analysis.agreement import NOT_ML

FRAMES = {
    "commits": ("hash", "activity_taxonomy.csv", "activity"),
    "issues": ("number", "challenge_taxonomy.csv", "challenge"),
}
LEARNING_CURVE_SIZES = (25, 50, 100, 200, 300)


class LabelsError(ValueError):
    """LABELS.csv (or a second rater's file) cannot be evaluated; one line naming file, row, value."""


@dataclass
class Labelled:
    frame: str
    path: Path
    #: repo_id, item_id (hash or issue number as text), labels (list of str)
    rows: pd.DataFrame


def taxonomy(frame: str) -> list[str]:
    from base import settings

    _, seed, column = FRAMES[frame]
    with open(settings.dbt_project_dir() / "seeds" / seed, newline="", encoding="utf-8") as handle:
        return [row[column] for row in csv.DictReader(handle)]


def read_labels(path: Path, frame: str, labels: list[str], *, min_projects: int = 2) -> Labelled:
    """Read and check a labels file; every problem is a LabelsError naming the row and value."""
    key = FRAMES[frame][0]
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelsError(f"{path}: cannot read it: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in ("repo_id", key, "labels") if c not in (reader.fieldnames or [])]
    if missing:
        raise LabelsError(
            f"{path}: missing column(s) {', '.join(missing)} (need repo_id, {key}, labels)"
        )
    known, rows = set(labels), []
    seen: dict[tuple[str, str], int] = {}
    for line, row in enumerate(reader, start=2):
        repo_id, item = (row["repo_id"] or "").strip().lower(), (row[key] or "").strip()
        given = [label.strip() for label in (row["labels"] or "").split(";") if label.strip()]
        if not repo_id or not item:
            raise LabelsError(f"{path} row {line}: empty repo_id or {key}")
        if frame == "issues" and not item.isdigit():
            raise LabelsError(f"{path} row {line}: issue number {item!r} is not a number")
        if not given:
            raise LabelsError(f"{path} row {line}: no label for {repo_id} {item}")
        for label in given:
            if label not in known and label != NOT_ML:
                raise LabelsError(
                    f"{path} row {line}: unknown label {label!r} (expected one of the "
                    f"{len(labels)} names of {FRAMES[frame][1]}, or {NOT_ML})"
                )
        if NOT_ML in given and len(given) > 1:
            raise LabelsError(f"{path} row {line}: {NOT_ML} cannot go with other labels")
        if (repo_id, item) in seen:
            raise LabelsError(
                f"{path} row {line}: {repo_id} {item} is labelled twice (also row {seen[repo_id, item]})"
            )
        seen[repo_id, item] = line
        rows.append({"repo_id": repo_id, "item_id": item, "labels": given, "row": line})
    if not rows:
        raise LabelsError(f"{path}: no labelled row")
    out = pd.DataFrame(rows)
    projects = out["repo_id"].nunique()
    if projects < min_projects:
        raise LabelsError(
            f"{path}: every row is of {out['repo_id'].iloc[0]}; leave-one-project-out needs "
            f"labels of at least {min_projects} projects"
        )
    return Labelled(frame, path, out)


def _landed(root: Path, table: str, repo_id: str, labels_path: Path):
    import landing

    try:
        return landing.read_partition(root, table, repo_id)
    except landing.LandingError as exc:
        raise LabelsError(f"{labels_path}: {exc}") from exc


def _not_landed(labelled: Labelled, repo_id: str, table: str, root: Path) -> LabelsError:
    line = int(labelled.rows.loc[labelled.rows["repo_id"] == repo_id, "row"].iloc[0])
    command = "mms-extract git mine" if labelled.frame == "commits" else "mms-extract github issues"
    return LabelsError(
        f"{labelled.path} row {line}: repository {repo_id} has no landed {table} under {root} "
        f"(land it with `{command}`, or set MMS_LANDING_DIR)"
    )


def _unknown_items(labelled: Labelled, items: pd.DataFrame, root: Path) -> None:
    known = set(zip(items["repo_id"], items["item_id"], strict=True))
    for row in labelled.rows.itertuples():
        if (row.repo_id, row.item_id) not in known:
            what = "commit" if labelled.frame == "commits" else "closed issue"
            raise LabelsError(
                f"{labelled.path} row {row.row}: {what} {row.item_id} of {row.repo_id} is not in "
                f"the landed data under {root}"
            )


def commit_items(root: Path, labelled: Labelled) -> pd.DataFrame:
    """The labelled repositories' model-file commits (the frame) and every labelled commit, with
    their paths and, where ``mms-extract git diffs`` ran, their diff summaries."""
    from extract.git.diffs import TABLE as DIFFS
    from extract.git.diffs import is_model_path, model_file_variants

    variants = model_file_variants()
    parts = []
    for repo_id in sorted(labelled.rows["repo_id"].unique()):
        commits = _landed(root, "git/commits", repo_id, labelled.path)
        files = _landed(root, "git/modified_files", repo_id, labelled.path)
        if commits is None or files is None:
            raise _not_landed(labelled, repo_id, "git/commits", root)
        commits = commits.select(["commit_hash", "message", "insertions", "deletions"]).to_pandas()
        files = files.select(["commit_hash", "old_path", "new_path"]).to_pandas()
        files["path"] = files["new_path"].fillna(files["old_path"])
        paths = files.groupby("commit_hash")["path"].agg(list)
        commits["changed_paths"] = commits["commit_hash"].map(paths)
        commits["changed_paths"] = commits["changed_paths"].map(
            lambda p: p if isinstance(p, list) else []
        )
        wanted = set(labelled.rows.loc[labelled.rows["repo_id"] == repo_id, "item_id"])
        in_frame = commits["message"].fillna("").str.strip().ne("") & commits["changed_paths"].map(
            lambda p: any(is_model_path(x, variants) for x in p)
        )
        commits = commits[in_frame | commits["commit_hash"].isin(wanted)].copy()
        diffs = _landed(root, DIFFS, repo_id, labelled.path)
        if diffs is not None:
            columns = [*commit_features.DIFF_COLUMNS, *commit_features.CONTENT_COLUMNS]
            diffs = diffs.select(["commit_hash", *columns]).to_pandas()
            commits = commits.merge(diffs, on="commit_hash", how="left")
        commits.insert(0, "repo_id", repo_id)
        parts.append(commits.rename(columns={"commit_hash": "item_id"}))
    items = pd.concat(parts, ignore_index=True)
    _unknown_items(labelled, items, root)
    return items


def issue_items(root: Path, labelled: Labelled) -> pd.DataFrame:
    """The labelled repositories' closed issues (pull requests left out) and every labelled one."""
    parts = []
    for repo_id in sorted(labelled.rows["repo_id"].unique()):
        issues = _landed(root, "github/issues", repo_id, labelled.path)
        if issues is None:
            raise _not_landed(labelled, repo_id, "github/issues", root)
        issues = issues.to_pandas()
        wanted = set(labelled.rows.loc[labelled.rows["repo_id"] == repo_id, "item_id"])
        issues["item_id"] = issues["number"].astype(str)
        keep = (~issues["is_pull_request"].fillna(False)) | issues["item_id"].isin(wanted)
        issues = issues[keep].rename(columns={"labels": "github_labels"})
        issues["repo_id"] = repo_id
        parts.append(issues)
    items = pd.concat(parts, ignore_index=True)
    _unknown_items(labelled, items, root)
    return items


def build_inputs(
    items: pd.DataFrame,
    labelled: Labelled,
    labels: list[str],
    rules: keyword_rules.RuleBook,
    lexicon: commit_features.Lexicon | None,
    message_encoder: str = "none",
    embedding_cache: Path | None = None,
    lent_files: Sequence[Path] = (),
) -> suggester.FrameInputs:
    """FrameInputs of the items: labelled ones carry their labels (NOT_ML: relevance False).
    ``lent_files``: the commit suggester also trains on their items (analysis/training.py)."""
    given = {
        (row.repo_id, row.item_id): row.labels for row in labelled.rows.itertuples(index=False)
    }
    truth = [given.get(key) for key in zip(items["repo_id"], items["item_id"], strict=True)]
    frame = pd.DataFrame(
        {
            "item_key": items["repo_id"] + "|" + items["item_id"],
            "stratum": items["repo_id"].to_numpy(),
            "year": None,
            "final_labels": [None if t is None or t == [NOT_ML] else t for t in truth],
            "is_ml_related": [None if t is None else t != [NOT_ML] for t in truth],
            "in_design_sample": False,
        }
    )
    score, lent = None, None
    if labelled.frame == "commits":
        from extract.git.diffs import model_file_variants

        assert lexicon is not None  # evaluate_labels loads it for the commit frame

        def matrix(commits: pd.DataFrame):
            return commit_features.commit_matrix(
                commits, rules, lexicon, model_file_variants(), message_encoder, embedding_cache
            )

        if lent_files:
            # The lent files' projects among the researcher's labels lend nothing: those labels
            # are theirs to judge the suggester with.
            lent_items = training.load_all(
                labels,
                lent_files,
                exclude_projects=set(items["repo_id"]),
                exclude_commits=set(items["item_id"]),
                with_diffs=commit_features.has_diffs(items),
            )
            features, score, lent = training.featurise(items, lent_items, matrix)
        else:
            features, score = matrix(items)
    else:
        blocks, numbers = suggester.issue_blocks(items), suggester.issue_numbers(items)
        features = suggester.featurize(blocks, numbers)
    return suggester.FrameInputs(
        labelled.frame, labels, frame, features, relevance_score=score, lent=lent
    )


def truth_sets(inputs: suggester.FrameInputs) -> tuple[np.ndarray, list[list[str]]]:
    """(index of the labelled items, their label sets with NOT_ML for items not ML-related)."""
    items = inputs.items
    annotated = np.flatnonzero(items["is_ml_related"].notna().to_numpy())
    sets = [
        list(items["final_labels"].iloc[i]) if items["is_ml_related"].iloc[i] else [NOT_ML]
        for i in annotated
    ]
    return annotated, sets


def to_sets(probabilities: np.ndarray, labels: list[str], threshold: float) -> list[list[str]]:
    """Suggested sets: NOT_ML when P(ML-related) < 0.5, else the labels at or above the threshold
    (the most probable one always)."""
    chosen = suggester.suggested_sets(probabilities[:, :-1], labels, threshold)
    return [
        [NOT_ML] if p_ml < 0.5 else list(sets)
        for sets, p_ml in zip(chosen, probabilities[:, -1], strict=True)
    ]


def _suggestions(inputs, annotated, frame, suggested, probabilities, truth) -> pd.DataFrame:
    """suggestions.csv: one row per labelled item, out of fold."""
    keys = inputs.items["item_key"].to_numpy()[annotated]
    return pd.DataFrame(
        {
            "repo_id": [k.split("|")[0] for k in keys],
            FRAMES[frame][0]: [k.split("|", 1)[1] for k in keys],
            "suggested_labels": [";".join(s) for s in suggested],
            "p_ml_related": probabilities[:, -1].round(4),
            "labels": [";".join(t) for t in truth],
        }
    )


def _check_every_project_can_be_held_out(inputs: suggester.FrameInputs, path: Path) -> None:
    """Each held-out project is suggested for by models trained on the others' labels: they (or
    the lent items) must hold at least one item with a label, not only NOT_ML."""
    lent = inputs.lent
    if lent is not None and any(labels is not None for labels in lent.final_labels):
        return
    items = inputs.items
    with_labels = items.loc[items["final_labels"].notna(), "stratum"]
    for project in sorted(items.loc[items["is_ml_related"].notna(), "stratum"].unique()):
        if not (with_labels != project).any():
            raise LabelsError(
                f"{path}: with {project} held out, the other projects hold no item labelled with "
                "an activity or challenge, only NOT_ML: nothing to train on; label ML-related "
                "items of at least two projects (or lend labelled items, --lend)"
            )


def out_of_fold(
    inputs: suggester.FrameInputs, settings: suggester.SuggesterSettings, train_mask=None
) -> np.ndarray:
    """Leave-one-project-out probabilities of every labelled item (rows: ``truth_sets`` order).
    ``train_mask`` restricts the training items (learning curves)."""
    annotated = inputs.items["is_ml_related"].notna().to_numpy()
    strata = inputs.items["stratum"].to_numpy()
    out = np.full((len(strata), len(inputs.labels) + 1), np.nan)
    for project in np.unique(strata[annotated]):
        test = annotated & (strata == project)
        train = annotated & (strata != project)
        if train_mask is not None:
            train &= train_mask
        out[test] = suggester.predict_held_out(inputs, train, test, settings)
    return out[annotated]


def _majority(train_sets: list[list[str]]) -> tuple[str, str]:
    """(most common label, most common ML label) of the training items."""
    counts = pd.Series([label for labels in train_sets for label in labels]).value_counts()
    activities = counts.drop(NOT_ML, errors="ignore")
    return str(counts.index[0]), str(activities.index[0])


def baselines(
    inputs: suggester.FrameInputs,
    texts: pd.Series,
    sets: list[list[str]],
    rules: keyword_rules.RuleBook | None,
) -> dict[str, tuple[list, np.ndarray | None]]:
    """Leave-one-project-out predictions of the majority label and of each keyword rule set;
    they do not say whether an item is ML-related (no AUC: a per-fold constant would rank the
    projects by their training share, which says nothing about content). Their majority counts
    the lent items' labels too, as the suggester trains on them."""
    annotated = np.flatnonzero(inputs.items["is_ml_related"].notna().to_numpy())
    projects = inputs.items["stratum"].to_numpy()[annotated]
    texts = texts.iloc[annotated].reset_index(drop=True)
    rule_sets = rules.rule_sets if rules is not None else []
    lent = inputs.lent
    lent_sets = [labels or [NOT_ML] for labels in lent.final_labels] if lent is not None else []
    out: dict[str, tuple[list, np.ndarray | None]] = {
        name: ([None] * len(sets), None) for name in ["majority", *rule_sets]
    }
    for project in np.unique(projects):
        test = np.flatnonzero(projects == project)
        train = [sets[i] for i in np.flatnonzero(projects != project)] + lent_sets
        majority, majority_activity = _majority(train)
        predictions = {"majority": [[majority]] * len(test)}
        for name in rule_sets:
            assert rules is not None  # rule_sets is empty without a rule book
            predictions[name] = keyword_rules.first_match(
                texts.iloc[test], rules.of(name), majority_activity
            )
        for name, predicted in predictions.items():
            for i, labels in zip(test, predicted, strict=True):
                out[name][0][i] = labels
    return out


def measures(truth, predicted, p_ml, labels: list[str]) -> dict[str, float]:
    values = agreement.overall(truth, predicted, p_ml)
    for row in agreement.per_label(truth, predicted, labels):
        values[f"precision|{row['label']}"] = row["precision"]
        values[f"recall|{row['label']}"] = row["recall"]
    return values


def _resampled_measures(
    truth: list, predicted: list, p_ml: np.ndarray | None, labels: list[str]
) -> Callable[[np.ndarray], dict[str, float]]:
    """The measures of the items at a bootstrap index (a project drawn twice counts twice)."""

    def measure(at: np.ndarray) -> dict[str, float]:
        p = None if p_ml is None else p_ml[at]
        return measures([truth[i] for i in at], [predicted[i] for i in at], p, labels)

    return measure


def metrics_table(
    truth: list[list[str]],
    methods: Mapping[str, tuple[list, np.ndarray | None]],
    projects: np.ndarray,
    labels: list[str],
    *,
    replicates: int,
    seed: int,
) -> pd.DataFrame:
    """One row per method and measure (per-label ones name the label), with bootstrap intervals
    by project. A method may cover a subset of the items (the second rater): ``None`` elsewhere."""
    rows = []
    for method, (predicted, p_ml) in methods.items():
        covered = np.array([p is not None for p in predicted])
        index = np.flatnonzero(covered)
        t = [truth[i] for i in index]
        s = [predicted[i] for i in index]
        p = None if p_ml is None else np.asarray(p_ml)[index]
        point = measures(t, s, p, labels)
        intervals = agreement.bootstrap_by_project(
            projects[index],
            _resampled_measures(t, s, p, labels),
            replicates=replicates,
            seed=seed,
        )
        for key, value in point.items():
            metric, _, label = key.partition("|")
            low, high, used = intervals.get(key, (np.nan, np.nan, 0))
            rows.append(
                {
                    "method": method,
                    "metric": metric,
                    "label": label or None,
                    "value": value,
                    "ci_lower": low,
                    "ci_upper": high,
                    "bootstrap_replicates": used,
                    "items": len(index),
                    "projects": len(np.unique(projects[index])),
                }
            )
    return pd.DataFrame(rows)


def learning_curve(
    inputs: suggester.FrameInputs,
    truth: list[list[str]],
    settings: suggester.SuggesterSettings,
    rule_methods: Mapping[str, tuple[list, np.ndarray | None]],
    *,
    sizes=LEARNING_CURVE_SIZES,
    repeats: int = 3,
) -> pd.DataFrame:
    """Agreement on held-out projects when the other projects lend only ``size`` labelled items
    (drawn at random, ``repeats`` times), beside the keyword rules (which learn nothing)."""
    annotated = inputs.items["is_ml_related"].notna().to_numpy()
    positions = np.flatnonzero(annotated)
    rng = np.random.default_rng(settings.seed)
    rows = []
    available = [*[s for s in sizes if s < len(positions)], len(positions)]
    for size in available:
        for repeat in range(repeats if size < len(positions) else 1):
            mask = np.zeros(len(annotated), bool)
            mask[rng.choice(positions, size=size, replace=False)] = True
            probabilities = out_of_fold(inputs, settings, train_mask=mask)
            predicted = to_sets(probabilities, inputs.labels, settings.threshold)
            values = agreement.overall(truth, predicted, probabilities[:, -1])
            rows.append({"method": "suggester", "training_items": size, "repeat": repeat, **values})
    for method, (predicted, p_ml) in rule_methods.items():
        values = agreement.overall(truth, predicted, p_ml)
        rows.append({"method": method, "training_items": None, "repeat": 0, **values})
    return pd.DataFrame(rows)


@dataclass
class Evaluation:
    suggestions: pd.DataFrame
    metrics: pd.DataFrame
    learning_curve: pd.DataFrame | None


def evaluate_labels(
    labels_path: Path,
    landing_root: Path,
    *,
    frame: str = "commits",
    second_rater: Path | None = None,
    rules_path: Path | None = None,
    lexicon_path: Path | None = None,
    settings: suggester.SuggesterSettings | None = None,
    replicates: int = 1000,
    with_learning_curve: bool = False,
) -> Evaluation:
    settings = settings or suggester.SuggesterSettings()
    labels = taxonomy(frame)
    labelled = read_labels(labels_path, frame, labels)
    rules = _rules_for(frame, rules_path, labels)
    lexicon = commit_features.load_lexicon(lexicon_path) if frame == "commits" else None
    items = (commit_items if frame == "commits" else issue_items)(landing_root, labelled)
    inputs = build_inputs(
        items, labelled, labels, rules, lexicon, settings.message_encoder,
        embedding_cache.cache_root(landing_root),
        training.lent_paths(settings.real_set, settings.lent_files),
    )  # fmt: skip
    _check_every_project_can_be_held_out(inputs, labels_path)
    annotated, truth = truth_sets(inputs)
    projects = inputs.items["stratum"].to_numpy()[annotated]
    probabilities = out_of_fold(inputs, settings)
    suggested = to_sets(probabilities, labels, settings.threshold)
    texts = (
        items["message"] if frame == "commits" else items["title"] + "\n" + items["body"].fillna("")
    )
    methods: dict[str, tuple[list, np.ndarray | None]] = {
        "suggester": (suggested, probabilities[:, -1])
    }
    methods.update(baselines(inputs, texts, truth, rules))
    if second_rater is not None:
        methods["second rater"] = _second_rater(second_rater, frame, labels, inputs, annotated)
    metrics = metrics_table(
        truth, methods, projects, labels, replicates=replicates, seed=settings.seed
    )
    metrics["rules_digest"] = rules.digest if rules is not None else None
    metrics["model_version"] = settings.model_version
    # what the suggester borrowed: the lent files' items of projects outside these labels
    lent = inputs.lent
    metrics["lent_items"], metrics["lent_projects"] = (len(lent), lent.projects) if lent else (0, 0)
    metrics["diff_summaries"] = bool(frame == "commits" and commit_features.has_diffs(items))
    suggestions = _suggestions(inputs, annotated, frame, suggested, probabilities, truth)
    curve = None
    if with_learning_curve:
        rule_methods = {k: v for k, v in methods.items() if k not in ("suggester", "second rater")}
        curve = learning_curve(inputs, truth, settings, rule_methods)
    return Evaluation(suggestions, metrics, curve)


def _rules_for(frame: str, rules_path: Path | None, labels: list[str]):
    """The rule sets, checked against the frame's labels. The bundled rules name activities: for
    issues they apply only when the researcher gives a rules file of challenges."""
    if frame == "issues" and rules_path is None:
        return None
    try:
        return keyword_rules.load_rules(rules_path, labels)
    except keyword_rules.RulesError as exc:
        raise LabelsError(str(exc)) from exc


def _second_rater(path: Path, frame: str, labels: list[str], inputs, annotated) -> tuple:
    """The second rater's sets on the items both labelled (None elsewhere), P = its own NOT_ML."""
    second = read_labels(path, frame, labels, min_projects=1)
    given = {
        f"{row.repo_id}|{row.item_id}": row.labels for row in second.rows.itertuples(index=False)
    }
    keys = inputs.items["item_key"].to_numpy()[annotated]
    unknown = sorted(set(given) - set(keys))
    if unknown:
        line = int(
            second.rows.loc[
                second.rows["repo_id"] + "|" + second.rows["item_id"] == unknown[0], "row"
            ].iloc[0]
        )
        raise LabelsError(
            f"{path} row {line}: {unknown[0].replace('|', ' ')} is not in the labels file"
        )
    predicted = [given.get(key) for key in keys]
    p_ml = np.array([np.nan if p is None else float(p != [NOT_ML]) for p in predicted])
    return predicted, p_ml


def write(evaluation: Evaluation, out: Path) -> list[Path]:
    """The CSVs, each written to a temporary file and renamed (a crash leaves the old one)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in (
        ("suggestions.csv", evaluation.suggestions),
        ("metrics.csv", evaluation.metrics),
        ("learning_curve.csv", evaluation.learning_curve),
    ):
        if table is None:
            continue
        path = out / name
        tmp = out / f".{name}.tmp"
        # six decimals: the report's three are then rounded once, as the command prints them
        table.to_csv(tmp, index=False, float_format="%.6f")
        tmp.replace(path)
        written.append(path)
    return written


def summary(metrics: pd.DataFrame) -> pd.DataFrame:
    """The headline numbers: one row per method and overall measure with its interval (data; the
    study report shows them formatted, report.real_set)."""
    overall = metrics[metrics["label"].isna()]
    columns = ["method", "metric", "value", "ci_lower", "ci_upper", "items", "projects"]
    return overall[columns].reset_index(drop=True)
