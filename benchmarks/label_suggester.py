"""Time the label suggester and the whole-frame estimates at the study's scale; measure coverage.

1. Generates the study's scale (95,765 model-file commits, 376,758 closed issues; every item with a
   true label set, demo/truth.py), builds it with dbt, and plays the study's people from the truth
   (reviews with replacement, two raters, adjudication) through the real import commands.
2. Times what the Dagster asset does (analysis.warehouse.run: read the marts, featurize, cross-fit,
   suggest every item, estimate, land) in a child process, sampling the peak RSS of its process
   tree every 50 ms; median of --runs, against a baseline measured in the same run: the same on 1%
   of the study (imports and fixed costs). Targets: <= 180 s and <= 4 GB on 2 cores.
3. Coverage and width where the truth is known: the estimates of the last run against the true
   shares of the frame, then --draws fresh stratified samples drawn in Python with the study's
   design (each cross-fitted and estimated anew), so coverage is a rate, not one draw's luck.

    uv run python benchmarks/label_suggester.py                       # into /tmp/mms-bench-suggest
    uv run python benchmarks/label_suggester.py --runs 1 --draws 10
    uv run python benchmarks/label_suggester.py --runs 1 --draws 1 --message-encoder minilm
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import population, suggester  # noqa: E402
from analysis import warehouse as analysis_warehouse  # noqa: E402
from demo.study_data import Scale, generate  # noqa: E402
from demo.truth import review_and_label_from_truth, truth_by_key  # noqa: E402

DBT = str(Path(sys.executable).parent / "dbt")
#: What a new review changes: the staged reviews, the draws and the samples.
SAMPLE_MODELS = (
    "stg_annotations__sample_reviews", "int_sampling__commit_frame", "int_sampling__issue_frame",
    "commit_sampling_frame", "issue_sampling_frame", "commit_sample", "issue_sample",
)  # fmt: skip
LEVEL_KEYS = {"activity": "commits", "category": "commits", "challenge": "issues"}


def _dbt(env: dict[str, str], *args: str) -> None:
    target = Path(env["MMS_DUCKDB_PATH"]).with_suffix(".target")
    command = [DBT, *args, "--project-dir", str(ROOT / "dbt"), "--profiles-dir", str(ROOT / "dbt")]
    command += ["--target-path", str(target), "--log-path", str(target)]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"dbt {args[0]} failed:\n{result.stdout[-4000:]}")


def prepare(work: Path, name: str, scale: Scale) -> dict[str, str]:
    """A generated, built, reviewed and labelled study (reused when already there)."""
    landing, truth = work / name / "landing", work / name / "truth"
    env = dict(
        os.environ,
        MMS_LANDING_DIR=str(landing),
        MMS_DUCKDB_PATH=str(work / name / "warehouse.duckdb"),
        # dbt writes its build file, never the published one: here the build file is what the
        # suggester reads (nothing is published), so both name the same file.
        MMS_DBT_BUILD_PATH=str(work / name / "warehouse.duckdb"),
        MMS_SAMPLE_DATA="1",
    )
    done = work / name / ".labelled"
    if not done.exists():
        started = time.perf_counter()
        print(f"generating, building and labelling {name} ...", flush=True)
        generate(landing, scale, truth_dir=truth)
        _dbt(env, "build")
        review_and_label_from_truth(
            Path(env["MMS_DUCKDB_PATH"]),
            landing,
            truth,
            work / name / "annotation-files",
            rebuild=lambda: _dbt(env, "build"),
            rebuild_samples=lambda: _dbt(env, "run", "--select", *SAMPLE_MODELS),
        )
        done.touch()
        print(f"  prepared in {time.perf_counter() - started:.0f} s", flush=True)
    return env


def timed_run(env: dict[str, str], message_encoder: str = "none") -> tuple[float, int, str]:
    """The asset's work in a child process: (seconds, peak RSS bytes of the tree, its output)."""
    code = (
        "import sys, json; from pathlib import Path; from analysis.warehouse import run; "
        "from analysis.settings import SuggesterSettings; "
        "facts, results = run(Path(sys.argv[1]), Path(sys.argv[2]), "
        "SuggesterSettings(message_encoder=sys.argv[3])); "
        "print(json.dumps({r.frame: {k: round(v, 1) for k, v in r.seconds.items()} for r in results}))"
    )
    args = [
        sys.executable,
        "-c",
        code,
        env["MMS_DUCKDB_PATH"],
        env["MMS_LANDING_DIR"],
        message_encoder,
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    parent, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"suggester run failed:\n{err.decode()[-4000:]}")
    return seconds, peak, out.decode().strip()


def true_shares(inputs: dict, truths: dict) -> dict[tuple[str, str], float]:
    shares = {}
    for frame, data in inputs.items():
        truth = truths[frame]
        counts = dict.fromkeys(data.labels, 0)
        relevant = 0
        for key in data.items["item_key"]:
            is_ml, labels = truth[key]
            relevant += bool(is_ml)
            for label in labels if is_ml else []:
                counts[label] += 1
        total = sum(counts.values())
        level = "activity" if frame == "commits" else "challenge"
        for label, count in counts.items():
            shares[(level, label)] = count / total
        for label, group in (data.groups or {}).items():
            shares[("category", group)] = shares.get(("category", group), 0) + counts[label] / total
        shares[(frame, "ML-related")] = relevant / len(data.items)
    return shares


def _allocation(sizes: np.ndarray, target: int = 385) -> np.ndarray:
    """The study's allocation (macro stratified_sample): 1 each, the rest by largest remainder."""
    h, n = len(sizes), int(sizes.sum())
    shared = min(n, max(target, h)) - h
    quota = shared * (sizes - 1)
    base, remainder = quota // (n - h), quota % (n - h)
    extra = np.zeros(h, int)
    extra[np.lexsort((-sizes, -remainder))[: shared - int(base.sum())]] = 1
    return 1 + base + extra


def redraw(data: suggester.FrameInputs, truth: dict, rng: np.random.Generator):
    """A fresh stratified sample with the study's design: the first `allocation` items of each
    project's random order are reviewed (relevance) and, when ML-related, labelled (the truth)."""
    items = data.items.copy()
    strata = items.groupby("stratum").indices
    names = sorted(strata)
    allocation = _allocation(np.array([len(strata[s]) for s in names]))
    drawn = np.concatenate(
        [rng.permutation(strata[s])[:a] for s, a in zip(names, allocation, strict=True)]
    )
    mask = np.zeros(len(items), bool)
    mask[drawn] = True
    keys = items["item_key"].to_numpy()
    relevant = np.array([truth[k][0] for k in keys])
    items["in_design_sample"] = mask
    items["is_ml_related"] = [bool(r) if m else None for r, m in zip(relevant, mask, strict=True)]
    items["final_labels"] = [
        list(truth[k][1]) if m and r else None for k, m, r in zip(keys, mask, relevant, strict=True)
    ]
    occurrences = {}
    for labels in items["final_labels"].dropna():
        for label in labels:
            occurrences[label] = occurrences.get(label, 0) + 1
    # everything else as the asset read it: the content score, the lent real set
    return dataclasses.replace(data, items=items), occurrences


def coverage_over_draws(env: dict[str, str], draws: int, confidence: float = 0.95) -> pd.DataFrame:
    settings = suggester.SuggesterSettings()
    with analysis_warehouse.connect(Path(env["MMS_DUCKDB_PATH"])) as con:
        inputs = {
            f: analysis_warehouse.read_inputs(con, f, settings) for f in ("commits", "issues")
        }
    truth_dir = Path(env["MMS_LANDING_DIR"]).parent / "truth"
    truths = {frame: truth_by_key(truth_dir, frame) for frame in inputs}
    shares = true_shares(inputs, truths)
    rows = []
    for draw in range(draws):
        rng = np.random.default_rng(1000 + draw)
        for frame, data in inputs.items():
            sample, occurrences = redraw(data, truths[frame], rng)
            result = analysis_warehouse.compute_frame(sample, settings, confidence)
            est = result.estimates[result.estimates["domain_value"].isna()].copy()
            total = sum(occurrences.values())
            counts = {name: occurrences.get(name, 0) for name in data.labels}
            for label, group in (data.groups or {}).items():
                counts[group] = counts.get(group, 0) + occurrences.get(label, 0)
            lower, upper = population.wilson_interval(
                np.array([counts.get(n, 0) for n in est["name"]]), total, confidence
            )
            est["wilson_width"] = np.where(est["level"] == "ml_related", np.nan, upper - lower)
            est["truth"] = [
                shares.get((frame if level == "ml_related" else level, name))
                for level, name in zip(est["level"], est["name"], strict=True)
            ]
            est["draw"], est["frame"] = draw, frame
            rows.append(est)
        print(f"  draw {draw + 1}/{draws}", flush=True)
    out = pd.concat(rows, ignore_index=True)
    out["covered"] = (out["ci_lower"] <= out["truth"]) & (out["truth"] <= out["ci_upper"])
    out["sample_covered"] = (out["sample_ci_lower"] <= out["truth"]) & (
        out["truth"] <= out["sample_ci_upper"]
    )
    out["expected_occurrences"] = out["truth"] * 385
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/mms-bench-suggest"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument(
        "--message-encoder",
        choices=["none", "minilm"],
        default="none",
        help="time the suggester with its opt-in message encoder (coverage draws use the default)",
    )
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    cases = {
        "1% of the study (baseline)": prepare(args.work_dir, "study-1pct", Scale.fraction(0.01)),
        "study scale": prepare(args.work_dir, "study-full", Scale()),
    }
    timings = {}
    for name, env in cases.items() if args.runs > 0 else ():
        runs = [timed_run(env, args.message_encoder) for _ in range(args.runs)]
        timings[name] = (statistics.median(s for s, _, _ in runs), max(p for _, p, _ in runs))
        print(f"{name}: {[round(s, 1) for s, _, _ in runs]} s; stages {runs[-1][2]}", flush=True)

    full = cases["study scale"]
    with analysis_warehouse.connect(Path(full["MMS_DUCKDB_PATH"])) as con:
        sizes = con.execute(
            "select frame, frame_items, adjudicated_items from label_frame_fingerprints order by 1"
        ).fetchall()
    print("coverage over fresh stratified draws at study scale ...", flush=True)
    coverage = coverage_over_draws(full, args.draws)

    base = timings["1% of the study (baseline)"][0] if timings else 1.0
    print()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end")
    print("frames: " + ", ".join(f"{f} {n:,} items ({a} adjudicated)" for f, n, a in sizes))
    if timings:
        print(f"{'case':<30}{'median s':>10}{'x baseline':>12}{'peak RSS MB':>13}{'target':>20}")
    for name, (seconds, peak) in timings.items():
        verdict = "<=180 s, <=4 GB" if seconds <= 180 and peak <= 4 * 2**30 else "MISSED"
        print(
            f"{name:<30}{seconds:>10.1f}{seconds / base:>12.2f}{peak / 2**20:>13.0f}{verdict:>20}"
        )
    print()
    print(
        f"coverage and width at study scale, {args.draws} fresh stratified samples of 385 per frame"
    )
    # "sample": the same estimand from the labelled items alone, design-weighted (valid for the
    # frame); Wilson: Table 5/6's interval, which ignores the weights (it describes the sample).
    print(
        f"{'quantities':<44}{'n':>6}{'PPI cover':>11}{'sample cover':>14}{'PPI width':>11}"
        f"{'sample width':>14}{'Wilson width':>14}{'PPI/sample':>12}{'PPI/Wilson':>12}"
    )
    groups = {
        "commits: activities + categories, >=10 expected": (coverage["frame"] == "commits")
        & (coverage["level"] != "ml_related")
        & (coverage["expected_occurrences"] >= 10),
        "commits: rare (<10 expected in the sample)": (coverage["frame"] == "commits")
        & (coverage["level"] != "ml_related")
        & (coverage["expected_occurrences"] < 10),
        "issues: challenges, >=10 expected": (coverage["frame"] == "issues")
        & (coverage["level"] != "ml_related")
        & (coverage["expected_occurrences"] >= 10),
        "issues: rare (<10 expected)": (coverage["frame"] == "issues")
        & (coverage["level"] != "ml_related")
        & (coverage["expected_occurrences"] < 10),
        "ML-related share (both frames)": coverage["level"] == "ml_related",
    }
    for label, mask in groups.items():
        part = coverage[mask]
        if part.empty:
            continue
        to_wilson = (part["ci_width"] / part["wilson_width"]).median()
        to_sample = (part["ci_width"] / part["sample_ci_width"]).median()
        print(
            f"{label:<44}{len(part):>6}{part['covered'].mean():>11.3f}"
            f"{part['sample_covered'].mean():>14.3f}{100 * part['ci_width'].median():>10.2f}%"
            f"{100 * part['sample_ci_width'].median():>13.2f}%"
            f"{100 * part['wilson_width'].median():>13.2f}%{to_sample:>12.2f}{to_wilson:>12.2f}"
        )


if __name__ == "__main__":
    main()
