"""`mms-suggest evaluate` as a researcher runs it: real git repositories mined into a landing
directory, a labels CSV, leave-one-project-out outputs; and every bad CSV as one line, exit 2."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import landing
from analysis import embedding_cache, evaluation, training
from analysis.cli import main as mms_suggest
from analysis.settings import SuggesterSettings
from demo import truth
from extract.cli import main as mms_extract

BUILD_TRAINING_ITEMS = (
    Path(__file__).resolve().parents[2] / "benchmarks" / "real_labels" / "build_training_items.py"
)
TORCH = "import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n        return self.{name}(x)\n"
DJANGO = "from django.db import models\n\n\nclass Record(models.Model):\n    {name} = models.CharField()\n"
#: message, label, file written (a model file), whether it is the test file too
KINDS = [
    ("Fix crash in {name} when the batch is empty", "Bug Fix"),
    ("Add tests for {name}", "Testing"),
    ("Update docs of {name}", "Documentation"),
    ("Refactor {name} helpers", "Refactoring"),
]


def _git(path: Path, *args: str, tick: int = 0) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    stamp = f"{1_600_000_000 + tick * 3600} +0000"
    env.update(
        GIT_AUTHOR_NAME="a", GIT_AUTHOR_EMAIL="a@example.org", GIT_AUTHOR_DATE=stamp,
        GIT_COMMITTER_NAME="a", GIT_COMMITTER_EMAIL="a@example.org", GIT_COMMITTER_DATE=stamp,
        GIT_CONFIG_NOSYSTEM="1", HOME=str(path),
    )  # fmt: skip
    done = subprocess.run(["git", *args], cwd=path, env=env, capture_output=True, check=True)
    return done.stdout.decode().strip()


def _project(root: Path, name: str, web: bool, commits: int, seed: int) -> list[tuple[str, str]]:
    """A repository whose commits say what they do; a web app's model files are Django tables."""
    path = root / name
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "main")
    rng = np.random.default_rng(seed)
    labelled = []
    for i in range(commits):
        message, label = KINDS[int(rng.integers(0, len(KINDS)))]
        ident = f"part{i}"
        model = path / ("app/models.py" if web else "net/model.py")
        model.parent.mkdir(exist_ok=True)
        model.write_text((DJANGO if web else TORCH).format(name=ident))
        if label == "Testing":
            (path / "tests").mkdir(exist_ok=True)
            (path / "tests" / f"test_{i}.py").write_text(f"def test_{ident}():\n    pass\n")
        if label == "Documentation":
            (path / "docs").mkdir(exist_ok=True)
            (path / "docs" / f"page{i}.md").write_text(f"# {ident}\n")
        _git(path, "add", "-A", tick=i)
        _git(path, "commit", "-q", "-m", message.format(name=ident), tick=i)
        labelled.append((_git(path, "rev-parse", "HEAD"), "NOT_ML" if web else label))
    return labelled


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> tuple[Path, Path]:
    """Three ML projects and a web app, mined (and their diffs summarised), and the labels."""
    base = tmp_path_factory.mktemp("evaluate")
    root = base / "landing"
    rows = []
    for k, (name, web) in enumerate(
        [("alpha", False), ("beta", False), ("gamma", False), ("webshop", True)]
    ):
        repo_id = f"acme/{name}"
        for commit, label in _project(base / "repos", name, web, 14, seed=k):
            rows.append({"repo_id": repo_id, "hash": commit, "labels": label})
        source = str(base / "repos" / name)
        assert mms_extract(["--landing-dir", str(root), "git", "mine", repo_id, "--source", source]) == 0  # fmt: skip
        assert mms_extract(["--landing-dir", str(root), "git", "diffs", repo_id, "--source", source]) == 0  # fmt: skip
    labels = base / "labels.csv"
    pd.DataFrame(rows).to_csv(labels, index=False)
    return root, labels


def test_evaluate_writes_out_of_fold_suggestions_and_metrics_with_intervals(
    landed, tmp_path, capsys, monkeypatch
):
    root, labels = landed
    monkeypatch.setenv("MMS_LANDING_DIR", str(root))
    out = tmp_path / "out"
    assert mms_suggest(["evaluate", str(labels), "--out", str(out), "--bootstrap", "200"]) == 0
    printed = capsys.readouterr().out
    assert "suggester" in printed and "15-rule" in printed
    bundled = pd.read_json(training.BUNDLED_REAL_SET, lines=True, dtype=False)
    assert (
        f"also trained on {len(bundled):,} lent commits of {bundled['repo_id'].nunique()} projects"
        in printed
    )
    suggestions = pd.read_csv(out / "suggestions.csv")
    given = pd.read_csv(labels)
    assert list(suggestions.columns[:4]) == ["repo_id", "hash", "suggested_labels", "p_ml_related"]
    assert sorted(suggestions["hash"]) == sorted(given["hash"])
    metrics = pd.read_csv(out / "metrics.csv")
    assert set(metrics["method"]) == {"suggester", "majority", "4-rule", "15-rule"}
    assert "message encoder" not in metrics["model_version"].iloc[0]  # opt-in: off by default
    overall = metrics[metrics["label"].isna()].set_index(["method", "metric"])["value"]
    for metric in ("kappa_study_pairs", "kappa_none_pairs", "exact_set_agreement"):
        assert overall["suggester", metric] > overall["majority", metric]
    # ML-relatedness from content: the web app's Django tables rank below every torch model,
    # although no web app was in the training projects when it was held out
    assert overall["suggester", "ml_related_auc"] > 0.95
    web = suggestions["repo_id"] == "acme/webshop"
    assert suggestions.loc[web, "p_ml_related"].max() < suggestions.loc[~web, "p_ml_related"].min()
    assert np.isnan(overall["majority", "ml_related_auc"])  # a baseline does not rank relevance
    rows = metrics[metrics["label"].isna() & metrics["value"].notna()]
    assert (rows["ci_lower"] <= rows["value"] + 1e-9).all()
    assert (rows["value"] <= rows["ci_upper"] + 1e-9).all()
    assert (rows["projects"] == 4).all() and (rows["items"] == 56).all()
    per_label = metrics[metrics["label"].notna()]
    assert {"precision", "recall"} == set(per_label["metric"])


def test_a_second_rater_is_measured_on_the_items_both_labelled(landed, tmp_path, capsys):
    root, labels = landed
    given = pd.read_csv(labels)
    second = given.iloc[::2].copy()
    second.loc[second.index[:3], "labels"] = "Plumbing"  # three disagreements
    path = tmp_path / "second.csv"
    second.to_csv(path, index=False)
    args = [
        "evaluate",
        str(labels),
        "--out",
        str(tmp_path / "o"),
        "--bootstrap",
        "50",
        "--no-real-set",
    ]
    assert mms_suggest([*args, "--landing-dir", str(root), "--second-rater", str(path)]) == 0
    metrics = pd.read_csv(tmp_path / "o" / "metrics.csv")
    rater = metrics[(metrics["method"] == "second rater") & metrics["label"].isna()]
    exact = rater.set_index("metric").loc["exact_set_agreement"]
    assert exact["items"] == len(second)
    assert exact["value"] == pytest.approx((len(second) - 3) / len(second), abs=1e-4)


def test_the_message_encoder_is_opt_in_and_recorded_with_the_metrics(landed, tmp_path):
    root, labels = landed
    # (without the real set: its 2,132 messages would be embedded too; 1,681 took ~16 CPU s)
    args = [
        "evaluate",
        str(labels),
        "--landing-dir",
        str(root),
        "--bootstrap",
        "20",
        "--no-real-set",
    ]
    assert mms_suggest([*args, "--out", str(tmp_path / "on"), "--message-encoder", "minilm"]) == 0
    on = pd.read_csv(tmp_path / "on" / "metrics.csv")
    assert "; message encoder: all-MiniLM-L6-v2 on numpy" in on["model_version"].iloc[0]
    assert len(pd.read_csv(tmp_path / "on" / "suggestions.csv")) == 56
    # the embeddings are kept beside the landed data: the same run again embeds nothing new
    parts = sorted(embedding_cache.model_folder(embedding_cache.cache_root(root)).glob("part-*"))
    assert len(parts) == 1
    assert (
        mms_suggest([*args, "--out", str(tmp_path / "again"), "--message-encoder", "minilm"]) == 0
    )
    assert (
        sorted(embedding_cache.model_folder(embedding_cache.cache_root(root)).glob("part-*"))
        == parts
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "again" / "suggestions.csv"),
        pd.read_csv(tmp_path / "on" / "suggestions.csv"),
    )
    with pytest.raises(SystemExit) as exit_:
        mms_suggest([*args, "--out", str(tmp_path / "x"), "--message-encoder", "bert"])
    assert exit_.value.code == 2


def test_the_real_set_trains_the_suggester_and_is_never_evaluated(landed, tmp_path, monkeypatch):
    root, labels = landed
    lent = evaluation.evaluate_labels(labels, root, replicates=10)
    own = evaluation.evaluate_labels(
        labels, root, replicates=10, settings=SuggesterSettings(real_set=False)
    )
    # only the researcher's items are suggested for and measured
    for result in (lent, own):
        assert len(result.suggestions) == 56
        assert set(result.suggestions["repo_id"]) == {
            f"acme/{n}" for n in ("alpha", "beta", "gamma", "webshop")
        }
        assert (result.metrics["items"] == 56).all()
    real_set = pd.read_json(training.BUNDLED_REAL_SET, lines=True, dtype=False)
    assert (lent.metrics["lent_items"] == len(real_set)).all()
    assert (lent.metrics["lent_projects"] == real_set["repo_id"].nunique()).all()
    assert (own.metrics["lent_items"] == 0).all()
    assert "real set" in lent.metrics["model_version"].iloc[0]
    assert "real set" not in own.metrics["model_version"].iloc[0]
    # the lent items change the models (the content score is calibrated on 73 more not-ML items)
    assert not np.allclose(lent.suggestions["p_ml_related"], own.suggestions["p_ml_related"])
    # a project of the researcher's labels lends nothing: here, a bundle whose commits all
    # belong to acme/alpha lends nothing at all
    real_set = training.load(
        evaluation.taxonomy("commits"), exclude_projects=set(), with_diffs=True
    )
    real_set = real_set.rename(columns={"item_id": "hash"})
    real_set["labels"] = real_set["final_labels"].map(lambda s: ";".join(s or ["NOT_ML"]))
    bundle = real_set.assign(repo_id="acme/alpha")
    training.write(bundle, tmp_path / "real_commits.jsonl")
    monkeypatch.setattr(training, "BUNDLED_REAL_SET", tmp_path / "real_commits.jsonl")
    alone = evaluation.evaluate_labels(labels, root, replicates=10)
    assert (alone.metrics["lent_items"] == 0).all()
    pd.testing.assert_frame_equal(alone.suggestions, own.suggestions)
    # nor do the researcher's commits under another name (a fork): here 56 lent rows carry them
    given = pd.read_csv(labels)
    bundle = real_set.copy()
    bundle.loc[: len(given) - 1, "hash"] = given["hash"].to_numpy()
    bundle.loc[: len(given) - 1, "repo_id"] = "someone/fork"
    training.write(bundle, tmp_path / "real_commits.jsonl")
    forked = evaluation.evaluate_labels(labels, root, replicates=10)
    assert (forked.metrics["lent_items"] == len(real_set) - len(given)).all()


def test_the_bundled_real_set_is_built_from_labels_and_their_landed_commits(
    landed, tmp_path, capsys
):
    """benchmarks/real_labels/build_training_items.py, run on the generated projects as on the
    real ones: one row per labelled commit, what the suggester reads of it, loadable as lent items."""
    root, labels = landed
    spec = importlib.util.spec_from_file_location("build_training_items", BUILD_TRAINING_ITEMS)
    assert spec is not None and spec.loader is not None
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    out = tmp_path / "real_commits.jsonl"
    args = ["--labels", str(labels), "--landing-dir", str(root), "--out", str(out)]
    assert builder.main(args) == 0
    built, given = pd.read_json(out, lines=True, dtype=False), pd.read_csv(labels)
    assert list(built.columns) == list(training.COLUMNS)
    assert sorted(zip(built["hash"], built["labels"], strict=True)) == sorted(
        zip(given["hash"], given["labels"], strict=True)
    )
    lent = training.load(["Bug Fix", "Testing", "Documentation", "Refactoring"],
                         exclude_projects={"acme/alpha"}, with_diffs=True, path=out)  # fmt: skip
    assert len(lent) == (given["repo_id"] != "acme/alpha").sum()
    assert lent["model_added_identifiers"].map(len).gt(0).all()  # every commit edits its model
    # without diff summaries there is nothing to build: one line, exit 2
    plain = tmp_path / "plain"
    for table in ("commits", "modified_files", "extractions"):
        shutil.copytree(root / "git" / table, plain / "git" / table)
    args = ["--labels", str(labels), "--landing-dir", str(plain), "--out", str(tmp_path / "x")]
    assert builder.main(args) == 2 and not (tmp_path / "x").exists()
    assert "mms-extract git diffs" in capsys.readouterr().err


def test_a_team_lends_its_own_labelled_projects_with_mms_suggest_lend(landed, tmp_path, capsys):
    """`mms-suggest lend` writes the labelled commits of two projects; `--lend` trains on them
    when the other two are evaluated, and they lend nothing when they are evaluated themselves."""
    root, labels = landed
    given = pd.read_csv(labels)
    ours, judged = tmp_path / "ours.csv", tmp_path / "judged.csv"
    given[given["repo_id"].isin(["acme/alpha", "acme/beta"])].to_csv(ours, index=False)
    given[given["repo_id"].isin(["acme/gamma", "acme/webshop"])].to_csv(judged, index=False)
    lent = tmp_path / "lent" / "our_commits.jsonl"
    assert mms_suggest(["lend", str(ours), "--out", str(lent), "--landing-dir", str(root)]) == 0
    assert "28 labelled commits of 2 projects" in capsys.readouterr().out
    written = pd.read_json(lent, lines=True, dtype=False)
    assert sorted(written["hash"]) == sorted(pd.read_csv(ours)["hash"])
    # the generated projects share a first commit (same tree, same time): it is the evaluated
    # projects' too, so it lends nothing
    shared = set(written["hash"]) & set(pd.read_csv(judged)["hash"])

    def evaluate(labels_file: Path, *extra: str) -> pd.DataFrame:
        out = tmp_path / f"eval-{len(list(tmp_path.iterdir()))}"
        args = ["evaluate", str(labels_file), "--out", str(out), "--landing-dir", str(root)]
        assert mms_suggest([*args, "--bootstrap", "10", "--no-real-set", *extra]) == 0
        return pd.read_csv(out / "metrics.csv")

    # gamma and a web app: with gamma held out, nothing but NOT_ML would train the suggester
    args = ["evaluate", str(judged), "--out", str(tmp_path / "alone"), "--landing-dir", str(root)]
    assert mms_suggest([*args, "--no-real-set"]) == 2
    err = capsys.readouterr().err
    assert "with acme/gamma held out" in err and "--lend" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "alone").exists()
    with_ours = evaluate(judged, "--lend", str(lent))
    assert (with_ours["lent_items"] == 28 - len(shared)).all()
    assert (with_ours["lent_projects"] == 2).all()
    version = with_ours["model_version"].iloc[0]
    assert "our_commits.jsonl (sha256 " in version and "real set" not in version
    # the lent projects' own labels are evaluated, not lent
    everything = evaluate(labels, "--lend", str(lent))
    assert (everything["lent_items"] == 0).all() and (everything["items"] == 56).all()
    # bad inputs: one line naming the file, exit 2, nothing written
    capsys.readouterr()
    missing = tmp_path / "missing.jsonl"
    args = ["evaluate", str(judged), "--out", str(tmp_path / "bad"), "--landing-dir", str(root)]
    assert mms_suggest([*args, "--lend", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bad").exists()
    plain = tmp_path / "plain"
    for table in ("commits", "modified_files", "extractions"):
        shutil.copytree(root / "git" / table, plain / "git" / table)
    nowhere = tmp_path / "nowhere.jsonl"
    assert mms_suggest(["lend", str(ours), "--out", str(nowhere), "--landing-dir", str(plain)]) == 2
    err = capsys.readouterr().err
    assert "mms-extract git diffs" in err and len(err.strip().splitlines()) == 1
    assert not nowhere.exists()


def test_learning_curve_grows_with_the_training_items(landed, tmp_path):
    root, labels = landed
    result = evaluation.evaluate_labels(
        labels, root, replicates=10, with_learning_curve=True,
        settings=SuggesterSettings(real_set=False),
    )  # fmt: skip
    curve = result.learning_curve
    model = curve[curve["method"] == "suggester"]
    assert set(model["training_items"]) == {25, 50, 56}
    assert set(curve["method"]) >= {"4-rule", "15-rule"}


def _bad(tmp_path: Path, rows: list[dict], columns=None) -> Path:
    path = tmp_path / "bad.csv"
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda g: g.assign(labels=g["labels"].where(g.index != 3, "Bug Fixing")), "row 5: unknown label 'Bug Fixing'"),
        (lambda g: g.assign(hash=g["hash"].where(g.index != 0, "0" * 40)), "row 2: commit 0000000000000000000000000000000000000000 of acme/alpha is not in the landed data"),
        (lambda g: g[g["repo_id"] == "acme/alpha"], "every row is of acme/alpha"),
        (lambda g: g.drop(columns="labels"), "missing column(s) labels"),
        (lambda g: g.assign(labels=g["labels"].where(g.index != 1, "NOT_ML;Testing")), "row 3: NOT_ML cannot go with other labels"),
        (lambda g: pd.concat([g, g.iloc[[0]]]), "is labelled twice (also row 2)"),
        (lambda g: g.assign(repo_id=g["repo_id"].where(g.index != 0, "acme/never-mined")), "repository acme/never-mined has no landed git/commits"),
    ],
)  # fmt: skip
def test_a_bad_labels_file_is_one_line_naming_file_row_and_value(
    landed, tmp_path, capsys, make, expected
):
    root, labels = landed
    bad = tmp_path / "bad.csv"
    make(pd.read_csv(labels)).to_csv(bad, index=False)
    out = tmp_path / "out"
    assert mms_suggest(["evaluate", str(bad), "--out", str(out), "--landing-dir", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(bad) in err and expected in err, err
    assert not out.exists()  # nothing half-written


def test_issues_are_evaluated_the_same_way_on_generated_issues(tmp_path, capsys):
    """There are no real labelled issues: generated ones (demo/truth.py, the realistic generator)
    landed as `github/issues`, labels from their truth."""
    rng = np.random.default_rng(7)
    root, rows = tmp_path / "landing", []
    names = list(truth.CHALLENGES)
    for k in range(4):
        n = 60
        projects = np.full(n, k)
        ml, first, second = truth.draw_truth(rng, truth.CHALLENGES, np.full(n, 2020), projects)
        titles, bodies, github_labels = truth.issue_text(rng, ml, first, second, projects)
        repo_id = f"acme/p{k}"
        now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        issues = pa.Table.from_pylist(
            [
                {"repo_id": repo_id, "number": i + 1, "is_pull_request": False, "title": t,
                 "body": b, "labels": g, "comments_count": 1, "state": "closed", "closed_at": now}
                for i, (t, b, g) in enumerate(zip(titles, bodies, github_labels, strict=True))
            ],
            schema=landing.SCHEMAS["github/issues"],
        )  # fmt: skip
        landing.commit_repository(
            root, "github/issue_crawls", repo_id, {"repo_id": repo_id}, {"github/issues": issues}
        )
        for i in range(n):
            given = ["NOT_ML"] if not ml[i] else [names[first[i]]] + ([names[second[i]]] if second[i] >= 0 else [])  # fmt: skip
            rows.append({"repo_id": repo_id, "number": i + 1, "labels": ";".join(given)})
    path = tmp_path / "issues.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, ["repo_id", "number", "labels"])
        writer.writeheader()
        writer.writerows(rows)
    args = ["evaluate", str(path), "--frame", "issues", "--out", str(tmp_path / "o")]
    assert mms_suggest([*args, "--landing-dir", str(root), "--bootstrap", "50"]) == 0
    metrics = pd.read_csv(tmp_path / "o" / "metrics.csv")
    assert set(metrics["method"]) == {"suggester", "majority"}  # activity rules do not apply
    overall = metrics[metrics["label"].isna()].set_index(["method", "metric"])["value"]
    assert overall["suggester", "kappa_study_pairs"] > overall["majority", "kappa_study_pairs"]
    suggestions = pd.read_csv(tmp_path / "o" / "suggestions.csv")
    assert list(suggestions.columns[:2]) == ["repo_id", "number"] and len(suggestions) == 240


def _with_interval(row: pd.Series, *, share: bool = False) -> str:
    """As the report shows a measure: ``0.213 (0.101 to 0.330)``, a share ``41.2% (33.5–48.9%)``."""
    if np.isnan(row["value"]):
        return "–"

    def shown(value: float) -> str:
        if not share:
            return f"{value:.3f}".replace("-0.000", "0.000")
        return f"{100 * value:.1f}".removesuffix(".0")

    value, low, high = (shown(row[c]) for c in ("value", "ci_lower", "ci_upper"))
    if np.isnan(row["ci_lower"]):
        return f"{value}%" if share else value
    return f"{value}% ({low}–{high}%)" if share else f"{value} ({low} to {high})"


def test_the_report_shows_the_evaluation_it_was_given(landed, tmp_path):
    """The study report's real-set section is the directory `mms-suggest evaluate` wrote: every
    method with both kappa forms, exact sets and AUC (bootstrap intervals), the verdict against
    the best rules and the labels the learning curve needed, in words."""
    from analysis.settings import MODEL_VERSION, SuggesterSettings
    from report.real_set import real_set_section

    root, labels = landed
    given = pd.read_csv(labels)
    second = tmp_path / "second.csv"
    given.iloc[::2].to_csv(second, index=False)
    out = tmp_path / "eval"
    args = ["evaluate", str(labels), "--out", str(out), "--bootstrap", "50", "--learning-curve"]
    args.append("--no-real-set")  # the learning curve's 10 fits, each without 2,132 lent items
    assert mms_suggest([*args, "--landing-dir", str(root), "--second-rater", str(second)]) == 0

    section = real_set_section(out, MODEL_VERSION)
    rows = section.table.to_dict("records")
    assert [r["Method"] for r in rows] == [
        "suggester", "majority label", "4 keyword rules", "15 keyword rules", "second rater vs first"
    ]  # fmt: skip
    metrics = pd.read_csv(out / "metrics.csv")
    overall = metrics[metrics["label"].isna()].set_index(["method", "metric"])
    shown = {"suggester": "suggester", "majority": "majority label", "4-rule": "4 keyword rules",
             "15-rule": "15 keyword rules", "second rater": "second rater vs first"}  # fmt: skip
    by_name = {r["Method"]: r for r in rows}
    for method, name in shown.items():
        row = by_name[name]
        assert row["Kappa, study pairs"] == _with_interval(
            overall.loc[(method, "kappa_study_pairs")]
        )
        assert row["Kappa, paired with none"] == _with_interval(
            overall.loc[(method, "kappa_none_pairs")]
        )
        assert row["Exact label sets %"] == _with_interval(
            overall.loc[(method, "exact_set_agreement")], share=True
        )
        assert row["ML-related AUC"] == _with_interval(overall.loc[(method, "ml_related_auc")])
    assert by_name["majority label"]["ML-related AUC"] == "–"

    none = overall.xs("kappa_none_pairs", level="metric")["value"]
    best = max(("4-rule", "15-rule"), key=lambda m: none[m])
    gain = none["suggester"] - none[best]
    verdict = section.notes[0]
    assert f"{abs(gain):.3f} {'above' if gain >= 0 else 'below'}" in verdict
    curve = pd.read_csv(out / "learning_curve.csv")
    means = (
        curve[curve["method"] == "suggester"].groupby("training_items")["kappa_none_pairs"].mean()
    )
    beating = [int(size) for size, value in means.sort_index().items() if value > none[best]]
    assert (
        (f"with {beating[0]:,} labelled items" in section.notes[1])
        if beating
        else ("no number" in section.notes[1])
    )
    assert not any("has changed since" in note for note in section.notes)
    # evaluated by another suggester: the report says the figures are not this one's
    assert any("has changed since" in n for n in real_set_section(out, "mms-suggester-0").notes)
    # evaluated by this suggester with its message encoder on: the same suggester, named so
    metrics = pd.read_csv(out / "metrics.csv")
    metrics["model_version"] = SuggesterSettings(message_encoder="minilm").model_version
    metrics.to_csv(out / "metrics.csv", index=False)
    notes = real_set_section(out, MODEL_VERSION).notes
    assert not any("has changed since" in n for n in notes)
    assert any(n.startswith("Suggester evaluated:") and "all-MiniLM-L6-v2" in n for n in notes)


def test_without_an_evaluation_the_report_says_how_to_make_one(tmp_path):
    from report.real_set import real_set_section

    for given in (None, tmp_path / "absent"):
        section = real_set_section(given)
        assert section.table is None
        assert "mms-suggest evaluate" in section.notes[0]
        assert "MMS_SUGGESTER_EVALUATION_DIR" in section.notes[0]
