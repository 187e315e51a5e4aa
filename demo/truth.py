"""True labels and text that carries an imperfect signal of them, for the study-scale generator.

Every generated commit and closed issue gets a TRUE label set (activities for commits, challenges
for issues, drawn from the study's Table 5 and 6 shares, drifting over the years) and a flag saying
whether it is ML-related at all. As in the real labelled set (benchmarks/real_labels, issue 18):

- labels depend on the project: each project has its own mix (log-odds offsets around Table 5/6)
  and its own share of items that are not ML-related (most projects a few percent, some most of
  their items: a web app whose "models" are database tables);
- messages are not label templates: how often a project's text names what an item does varies by
  project (some write "updates" for everything), others name another activity, many say nothing;
- items that are not ML-related read like ML items: their text comes from the same phrases, and
  only a fifth mention another kind of "model" (web-app records, physics).

So a suggester can learn something, never everything, and coverage and interval widths can be
measured against the truth (the ``truth/`` files beside the landing directory).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

#: Table 5 (share %) and a yearly trend of the log-odds (positive: grows over time).
ACTIVITIES = {
    "Refactoring": (20.5, -0.10, ["Refactor {m} module", "Clean up {m} code", "Simplify {m} class structure", "Rename {m} helpers", "Restructure {m} package"]),
    "Documentation": (18.3, -0.05, ["Update {m} docs", "Add docstrings to {m}", "Fix typo in {m} tutorial", "Document {m} parameters", "Add {m} usage example"]),
    "Bug Fix": (11.6, 0.0, ["Fix crash in {m}", "Fix bug when {m} input is empty", "Handle NaN in {m} loss", "Fix off-by-one in {m} indexing", "Fix wrong shape in {m}"]),
    "Testing": (7.5, 0.0, ["Add unit tests for {m}", "Fix flaky {m} test", "Increase {m} test coverage", "Add regression test for {m}", "Test {m} on small inputs"]),
    "Model Behavior Enhancement": (10.6, 0.05, ["Improve {m} accuracy", "Speed up {m} inference", "Add beam search option to {m}", "Support multi-class in {m}", "Boost {m} performance"]),
    "Model Design": (3.9, 0.0, ["Add attention layer to {m}", "New {m} architecture", "Change {m} hidden layers", "Add residual blocks to {m}", "Design {m} encoder"]),
    "Functional Configurations": (2.5, 0.0, ["Make {m} input size configurable", "Add config option for {m} output", "Allow {m} to accept images", "Expose {m} threshold setting", "Set {m} defaults in config"]),
    "Model Versioning": (1.9, 0.35, ["Save {m} checkpoint version", "Tag {m} release weights", "Track {m} versions with dvc", "Store {m} snapshot metadata", "Version {m} artifacts"]),
    "Dependency Management": (3.7, 0.10, ["Bump torch version for {m}", "Update requirements for {m}", "Pin numpy for {m}", "Upgrade tensorflow in {m}", "Remove unused {m} dependency"]),
    "Plumbing": (3.5, 0.0, ["Add CLI for {m}", "Wire {m} command line flags", "Add argparse entry for {m}", "Move {m} scripts to bin", "Add logging setup for {m} cli"]),
    "Compatibility Management": (3.1, 0.05, ["Support Windows paths in {m}", "Fix {m} on python 3.12", "Make {m} work on apple silicon", "Support older CUDA in {m}", "Fix {m} on macOS"]),
    "Training and Validation": (5.4, 0.10, ["Tune {m} learning rate", "Add {m} cross validation", "Train {m} on new split", "Evaluate {m} with f1 score", "Add early stopping to {m} training"]),
    "Experiment Logging": (2.3, 0.30, ["Log {m} metrics to mlflow", "Add tensorboard logging for {m}", "Record {m} run metadata", "Log {m} loss per epoch", "Track {m} experiments with wandb"]),
    "Data Engineering": (4.1, 0.05, ["Add {m} data loader", "Normalize {m} input features", "Clean {m} training data", "Add {m} data augmentation", "Preprocess {m} dataset"]),
    "CI/CD": (0.6, 0.40, ["Add github actions for {m}", "Fix {m} CI pipeline", "Build {m} docker image in CI", "Deploy {m} with workflow", "Run {m} tests in CI"]),
    "Model Porting": (0.4, 0.30, ["Export {m} to onnx", "Convert {m} to tflite", "Port {m} to coreml", "Add {m} torchscript export", "Convert {m} weights to jax"]),
}  # fmt: skip
#: Table 6 (share %), a yearly trend, title phrases, a body sentence and GitHub labels it tends to get.
CHALLENGES = {
    "Documentation Maintenance": (15.3, -0.05, ["Docs for {m} are outdated", "Tutorial for {m} is broken", "Missing documentation of {m} parameters", "Example notebook for {m} fails"], "The documentation does not match the current {m} API.", "documentation"),
    "Bug Management": (14.9, 0.0, ["{m} crashes with IndexError", "Wrong output from {m}", "{m} raises exception on empty batch", "Segfault when calling {m}"], "Steps to reproduce: call {m} and observe the traceback.", "bug"),
    "Compatibility": (12.9, 0.05, ["{m} does not work on Windows", "{m} fails on python 3.11", "{m} incompatible with M1 mac", "{m} breaks with new CUDA driver"], "It works on Linux but not on this platform or python version.", "compatibility"),
    "Dependency": (11.2, 0.10, ["{m} breaks with numpy 2", "Conflict between torch and {m} requirements", "Upgrade tensorflow dependency of {m}", "{m} pins an old scipy"], "Installing the package pulls an incompatible dependency version.", "dependencies"),
    "Implementation": (10.1, 0.0, ["{m} lacks support for sparse input", "Feature request: {m} with custom loss", "{m} implementation has technical debt", "Add missing method to {m}"], "It would be useful if {m} supported this feature.", "enhancement"),
    "Model Performance": (7.0, 0.05, ["{m} accuracy lower than paper", "{m} overfits on small data", "{m} underfits with default hyperparameters", "{m} predictions degrade over time"], "The reported accuracy cannot be reproduced with the given hyperparameters.", "performance"),
    "Data Management": (5.7, 0.05, ["{m} dataset download fails", "Corrupted labels in {m} data", "How to split data for {m}", "{m} data pipeline drops rows"], "The dataset preprocessing step loses samples.", "data"),
    "Code Performance": (4.8, 0.0, ["{m} is very slow", "Memory leak in {m} loop", "{m} does not use the GPU", "Vectorize {m} computation"], "Profiling shows most time is spent in a python loop.", "performance"),
    "Resource Constraints": (3.7, 0.05, ["{m} runs out of GPU memory", "Training {m} takes days", "{m} too large for edge device", "{m} needs too much disk"], "Training on a single GPU is not possible with this memory use.", "question"),
    "Infrastructure": (3.3, 0.20, ["Deploy {m} on kubernetes", "Serve {m} behind REST API", "Monitor {m} in production", "Scale {m} inference service"], "We want to deploy the model as a service.", "deployment"),
    "Testing": (2.4, 0.05, ["Flaky test for {m}", "No test oracle for {m}", "{m} tests too slow", "Add benchmark tests for {m}"], "The test fails intermittently on CI.", "tests"),
    "Modularity": (2.2, 0.0, ["Split {m} into modules", "Decouple {m} from trainer", "Make {m} pluggable", "Move {m} into separate package"], "The component is tightly coupled to the rest of the code.", "refactoring"),
    "Other": (6.5, 0.0, ["Question about {m}", "License of {m} weights", "Code style in {m}", "Unclear error message from {m}"], "Not sure whether this is expected.", "question"),
}  # fmt: skip
_MODEL_WORDS = ["model", "classifier", "trainer", "encoder", "regressor", "network", "predictor", "learner"]  # fmt: skip
_GENERIC = ["Update", "Merge branch 'dev'", "WIP", "Minor changes", "Misc fixes", "Sync with upstream", "updates", "Merge pull request #{n} from contributor/patch-{n}", "address review comments", "minor", "cleanup", "small changes", "Apply suggestions from code review", "v0.{n} changes"]  # fmt: skip
#: Text of items that are not ML-related although a keyword matched (web-app and physics "models").
_NOT_ML = ["Update user model serializer", "Add migration for order model", "Fix physics model boundary conditions", "Rename django model field", "Update climate model grid", "Fix ORM model relationship", "Add admin view for profile model"]  # fmt: skip
_OTHER_GITHUB_LABELS = ["help wanted", "good first issue", "wontfix", "duplicate"]
#: Mean share of items whose text carries their own label's phrase (each project has its own, drawn
#: around it); CONFUSION of them say another label's, the rest nothing useful: the suggester's
#: ceiling, well below 1 as in real repositories.
SIGNAL = 0.55
CONFUSION = 0.2
NOT_ML_SHARE = 0.15
SECOND_LABEL_SHARE = 0.2
#: standard deviation of a project's log-odds offset of each label (its own label mix)
PROJECT_EFFECT = 0.8
#: share of projects whose not-ML items are most of their frame (web apps, physics codes)
NOT_ML_PROJECTS = 0.08
#: share of not-ML items whose text says what kind of "model" it is; the rest read like ML items
NOT_ML_TELLS = 0.2
REFERENCE_YEAR = 2019


def _priors(table: dict, years: np.ndarray, offsets: np.ndarray | None = None) -> np.ndarray:
    """(items, labels) probabilities of the first label, drifting with the year, shifted by each
    item's project offsets."""
    base = np.log(np.array([v[0] for v in table.values()]) / 100)
    trend = np.array([v[1] for v in table.values()])
    logits = base[None, :] + trend[None, :] * (years[:, None] - REFERENCE_YEAR)
    if offsets is not None:
        logits = logits + offsets
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def _sample_rows(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    return (p.cumsum(axis=1) > rng.random(len(p))[:, None]).argmax(axis=1)


def project_traits(rng: np.random.Generator, projects: int, labels: int) -> dict:
    """Per project: label log-odds offsets, share not ML-related, how often text names the label."""
    heavy = rng.random(projects) < NOT_ML_PROJECTS
    return {
        "offsets": rng.normal(0, PROJECT_EFFECT, (projects, labels)),
        "not_ml": np.where(heavy, rng.uniform(0.3, 0.6, projects), rng.beta(1, 12, projects)),
        "signal": rng.beta(SIGNAL * 6, (1 - SIGNAL) * 6, projects),
    }


def draw_truth(
    rng: np.random.Generator, table: dict, years: np.ndarray, projects: np.ndarray | None = None
) -> tuple:
    """(is_ml_related, first label index, second label index or -1) for every item; with
    ``projects`` (a project index per item) each project has its own label mix and not-ML share."""
    n = len(years)
    if projects is None:
        ml = rng.random(n) >= NOT_ML_SHARE
        p = _priors(table, years)
    else:
        traits = project_traits(
            np.random.default_rng(_TRAIT_SEED), int(projects.max()) + 1, len(table)
        )
        ml = rng.random(n) >= traits["not_ml"][projects]
        p = _priors(table, years, traits["offsets"][projects])
    first = _sample_rows(rng, p)
    p_second = p.copy()
    p_second[np.arange(n), first] = 0
    p_second /= p_second.sum(axis=1, keepdims=True)
    second = np.where(rng.random(n) < SECOND_LABEL_SHARE, _sample_rows(rng, p_second), -1)
    return ml, np.where(ml, first, -1), np.where(ml, second, -1)


#: project traits come from their own seed: the same project behaves alike in commits and issues
_TRAIT_SEED = 1815


def _phrase(rng, table: dict, label: np.ndarray, shown: np.ndarray) -> pa.Array:
    """A phrase of `shown` (a label index) with a model word; generic text where shown is -1."""
    names = list(table)
    per_label = [v[2] for v in table.values()]
    n = len(label)
    phrases = np.empty(n, dtype=object)
    words = np.array(_MODEL_WORDS, dtype=object)[rng.integers(0, len(_MODEL_WORDS), n)]
    choice = rng.integers(0, 1000, n)
    for j in range(len(names)):
        mask = shown == j
        options = per_label[j]
        picked = np.array(options, dtype=object)[choice[mask] % len(options)]
        phrases[mask] = [p.format(m=w) for p, w in zip(picked, words[mask], strict=True)]
    generic = shown < 0
    phrases[generic] = [
        g.format(n=c % 400)
        for g, c in zip(
            np.array(_GENERIC, dtype=object)[choice[generic] % len(_GENERIC)],
            choice[generic],
            strict=True,
        )
    ]
    return phrases


def _shown_label(rng, own: np.ndarray, labels: int, signal=SIGNAL) -> np.ndarray:
    """The label an item's text speaks of: its own (signal), another (CONFUSION), none (rest).
    A not-ML item (own -1) speaks of a random label as often as an ML item does of its own."""
    roll = rng.random(len(own))
    other = rng.integers(0, labels, len(own))
    own = np.where(own >= 0, own, other)
    return np.where(roll < signal, own, np.where(roll < signal + CONFUSION, other, -1))


def _project_signal(projects: np.ndarray | None, n: int) -> np.ndarray | float:
    if projects is None:
        return SIGNAL
    traits = project_traits(np.random.default_rng(_TRAIT_SEED), int(projects.max()) + 1, 1)
    return traits["signal"][projects]


def commit_text(rng, ml, first, second, projects: np.ndarray | None = None) -> np.ndarray:
    n = len(ml)
    signal = _project_signal(projects, n)
    text = _phrase(rng, ACTIVITIES, first, _shown_label(rng, first, len(ACTIVITIES), signal))
    has_second = second >= 0
    extra = _phrase(rng, ACTIVITIES, second, np.where(rng.random(n) < SIGNAL, second, -1))
    text[has_second] = [
        f"{a}; {b.lower()}" for a, b in zip(text[has_second], extra[has_second], strict=True)
    ]
    not_ml = np.array(_NOT_ML, dtype=object)[rng.integers(0, len(_NOT_ML), n)]
    tells = ~ml & (rng.random(n) < NOT_ML_TELLS)
    return np.where(tells, not_ml, text)


def issue_text(rng, ml, first, second, projects=None) -> tuple[np.ndarray, np.ndarray, list]:
    n = len(ml)
    names = list(CHALLENGES)
    signal = _project_signal(projects, n)
    title = _phrase(rng, CHALLENGES, first, _shown_label(rng, first, len(names), signal))
    body_shown = _shown_label(rng, first, len(names), signal)
    sentences = np.array([v[3] for v in CHALLENGES.values()], dtype=object)
    words = np.array(_MODEL_WORDS, dtype=object)[rng.integers(0, len(_MODEL_WORDS), n)]
    body = np.where(
        body_shown >= 0,
        [s.format(m=w) for s, w in zip(sentences[np.maximum(body_shown, 0)], words, strict=True)],
        "Any idea what is going on?",
    )
    has_second = second >= 0
    body[has_second] = [
        f"{b} Also: {s.format(m='it').lower()}"
        for b, s in zip(body[has_second], sentences[second[has_second]], strict=True)
    ]
    not_ml = np.array(_NOT_ML, dtype=object)[rng.integers(0, len(_NOT_ML), n)]
    tells = ~ml & (rng.random(n) < NOT_ML_TELLS)
    title = np.where(tells, not_ml, title)
    body = np.where(tells, "The record is not saved when the form is submitted.", body)
    github_label = np.array([v[4] for v in CHALLENGES.values()], dtype=object)
    gives_label = ml & (rng.random(n) < 0.5)
    others = rng.integers(0, len(_OTHER_GITHUB_LABELS), n)
    labels = [
        ([github_label[f]] if give else []) + ([_OTHER_GITHUB_LABELS[o]] if o == 0 else [])
        for f, give, o in zip(first, gives_label, others, strict=True)
    ]
    return title, body, labels


def truth_table(keys: dict[str, pa.Array], table: dict, ml, first, second) -> pa.Table:
    names = np.array(list(table), dtype=object)
    labels = [
        sorted([names[f]] + ([names[s]] if s >= 0 else [])) if f >= 0 else []
        for f, s in zip(first, second, strict=True)
    ]
    return pa.table(
        {**keys, "is_ml_related": pa.array(ml), "labels": pa.array(labels, pa.list_(pa.string()))}
    )


def write_truth(directory: Path, name: str, table: pa.Table) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.parquet"
    pq.write_table(table, path)
    return path


def read_truth(directory: Path, name: str) -> pa.Table:
    return pq.read_table(Path(directory) / f"{name}.parquet")


def truth_by_key(truth_dir: Path, frame: str) -> dict[str, tuple[bool, list[str]]]:
    """item_key (commit_key / issue_key, as staged by dbt) -> (is_ml_related, true labels)."""
    table = read_truth(truth_dir, frame).to_pydict()
    if frame == "commits":
        keys = [f"{r}@{h}" for r, h in zip(table["repo_id"], table["commit_hash"], strict=True)]
    else:
        keys = [f"{r}#{n}" for r, n in zip(table["repo_id"], table["number"], strict=True)]
    return dict(zip(keys, zip(table["is_ml_related"], table["labels"], strict=True), strict=True))


def review_and_label_from_truth(
    warehouse: Path,
    landing_root: Path,
    truth_dir: Path,
    workdir: Path,
    rebuild,
    rebuild_samples=None,
    seed: int = 7,
) -> dict[str, int]:
    """What the study's people did, played from the truth through the real import commands:
    a reviewer rejects the sampled items that are not ML-related (and the rebuilt sample replaces
    them, until none is left), two raters label the sample (the second errs on a quarter of the
    items) and an adjudicator settles their disagreements with the truth. ``rebuild()`` runs
    ``dbt build``; ``rebuild_samples()`` (default: rebuild) only what the samples need, between
    review rounds. Returns the labelled items per frame (their final labels are the truth)."""
    import csv
    import random

    from extract.annotations.files import import_labels, import_sample_reviews, taxonomy
    from warehouse.published import open_published

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    truths = {frame: truth_by_key(truth_dir, frame) for frame in ("commits", "issues")}
    models = {"commits": ("commit_sample", "commit_key"), "issues": ("issue_sample", "issue_key")}

    def sample(frame: str) -> list[str]:
        model, key = models[frame]
        with open_published(warehouse) as con:
            return [r[0] for r in con.execute(f"select {key} from {model} order by 1").fetchall()]

    def write(path: Path, header: list[str], rows) -> Path:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return path

    decisions: dict[str, dict[str, str]] = {"commits": {}, "issues": {}}
    for _ in range(20):
        rejected_now = 0
        for frame in decisions:
            for item in sample(frame):
                if item not in decisions[frame]:
                    decisions[frame][item] = "keep" if truths[frame][item][0] else "reject"
                    rejected_now += decisions[frame][item] == "reject"
            path = write(
                workdir / f"review_{frame}.csv",
                ["item_key", "decision"],
                sorted(decisions[frame].items()),
            )
            import_sample_reviews(landing_root, path, frame, "truth-reviewer", warehouse)
        (rebuild_samples or rebuild)()
        if not rejected_now:
            break
    counts = {}
    for frame in decisions:
        rng = random.Random(f"{seed}:{frame}")
        names = taxonomy(frame, warehouse)
        items = sample(frame)
        truth_labels = {item: truths[frame][item][1] for item in items}
        second = {}
        for item in items:
            labels = list(truth_labels[item])
            if rng.random() < 0.25:
                labels[rng.randrange(len(labels))] = rng.choice(names)
            second[item] = sorted(set(labels))
        for rater, labels in (("truth-rater-a", truth_labels), ("truth-rater-b", second)):
            path = write(
                workdir / f"{frame}_{rater}.csv",
                ["item_key", "labels"],
                [(item, "; ".join(labels[item])) for item in items],
            )
            import_labels(landing_root, path, frame, rater, warehouse)
        disputed = [item for item in items if sorted(truth_labels[item]) != second[item]]
        path = write(
            workdir / f"{frame}_adjudication.csv",
            ["item_key", "labels"],
            [(item, "; ".join(truth_labels[item])) for item in disputed],
        )
        import_labels(landing_root, path, frame, "truth-panel", warehouse, adjudication=True)
        counts[frame] = len(items)
    rebuild()
    return counts
