"""A finite frame with known truth, the study's stratified design and an imperfect model's
predictions, for testing the estimator directly (no text, no training): test code only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit

#: The study's Table 5 shares (percent): realistic rare and common labels.
SHARES = {
    "Refactoring": 20.5, "Documentation": 18.3, "Bug Fix": 11.6, "Testing": 7.5,
    "Model Behavior Enhancement": 10.6, "Model Design": 3.9, "Functional Configurations": 2.5,
    "Model Versioning": 1.9, "Dependency Management": 3.7, "Plumbing": 3.5,
    "Compatibility Management": 3.1, "Training and Validation": 5.4, "Experiment Logging": 2.3,
    "Data Engineering": 4.1, "CI/CD": 0.6, "Model Porting": 0.4,
}  # fmt: skip
GROUPS = {
    "Refactoring": "Maintenance", "Documentation": "Maintenance", "Bug Fix": "Maintenance",
    "Testing": "Maintenance", "Model Behavior Enhancement": "Development",
    "Model Design": "Development", "Functional Configurations": "Development",
    "Model Versioning": "Development", "Dependency Management": "Environment",
    "Plumbing": "Environment", "Compatibility Management": "Environment",
    "Training and Validation": "Experiment", "Experiment Logging": "Experiment",
    "Data Engineering": "Data Engineering", "CI/CD": "Deployment", "Model Porting": "Deployment",
}  # fmt: skip
LABELS = list(SHARES)


@dataclass
class Simulated:
    labelled: pd.DataFrame
    frame: pd.DataFrame
    truth: dict[str, float]  # label or group -> true share over the frame
    wilson_counts: tuple[np.ndarray, int]  # occurrences per label in the sample, total occurrences


def allocate(sizes: np.ndarray, target: int) -> np.ndarray:
    """The study's allocation: 1 per stratum, the rest proportional to size - 1, largest remainder."""
    h, n = len(sizes), sizes.sum()
    shared = min(n, max(target, h)) - h
    quota = shared * (sizes - 1)
    base, rem = quota // (n - h), quota % (n - h)
    order = np.lexsort((-sizes, -rem))
    extra = np.zeros(h, int)
    extra[order[: shared - base.sum()]] = 1
    return 1 + base + extra


def simulate(
    seed: int,
    *,
    frame_size: int = 20_000,
    strata: int = 60,
    target: int = 385,
    signal: float = 2.0,
    relevant_share: float = 0.85,
    years: int = 0,
    project_effect: float = 0.0,
) -> Simulated:
    """``signal`` is how far the model's logit moves with the truth: 0 is a useless model.

    ``project_effect`` > 0 is the realistic case (issue 18, the real labelled set): each project
    has its own label mix (log-odds offsets with that standard deviation) and its own share of
    items that are not ML-related (most projects a few percent, some nearly all: a web app whose
    "models" are database tables), while the model, trained on other projects, knows neither."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, strata + 1) ** 1.1
    sizes = 1 + np.floor(weights / weights.sum() * (frame_size - strata)).astype(int)
    stratum = np.repeat(np.arange(strata), sizes)
    n = len(stratum)
    prior = np.array(list(SHARES.values())) / 100
    mix = np.log(prior)[None, :] + rng.normal(0, project_effect, (strata, len(LABELS)))
    mix = np.exp(mix - mix.max(axis=1, keepdims=True))
    mix = (mix / mix.sum(axis=1, keepdims=True))[stratum]
    first = (mix.cumsum(axis=1) > rng.random(n)[:, None]).argmax(axis=1)
    truth = np.zeros((n, len(LABELS)))
    truth[np.arange(n), first] = 1
    second = rng.random(n) < 0.2
    truth[second, rng.choice(len(LABELS), second.sum(), p=prior / prior.sum())[:]] = 1
    project_relevance = np.full(strata, relevant_share)
    if project_effect > 0:
        project_relevance = np.where(
            rng.random(strata) < 0.1, rng.uniform(0.05, 0.4, strata), rng.uniform(0.9, 1.0, strata)
        )
    relevant = (rng.random(n) < project_relevance[stratum]).astype(float)
    base = logit(np.clip(prior * 1.2, 1e-3, 0.9))
    pred = expit(base + signal * (2 * truth - 1) + rng.normal(0, 1, truth.shape))
    p_relevant = expit(logit(relevant_share) + signal * (2 * relevant - 1) + rng.normal(0, 1, n))
    year = rng.integers(2015, 2015 + years, n) if years else np.zeros(n, int)

    allocation = allocate(sizes, target)
    # The first `allocation` items of each project's random order: the sample before rejected items
    # were replaced (the replacements' inverse sampling would bias the ML-related share).
    drawn = np.sort(
        np.concatenate(
            [rng.permutation(np.flatnonzero(stratum == h))[: allocation[h]] for h in range(strata)]
        )
    )

    frame = pd.DataFrame(
        {"item_key": np.arange(n).astype(str), "stratum": stratum.astype(str), "year": year}
    )
    frame["p_ml_related"] = p_relevant
    for j, label in enumerate(LABELS):
        frame[f"p_{label}"] = pred[:, j]
    labelled = frame.iloc[drawn].copy()
    labelled["is_ml_related"] = relevant[drawn].astype(bool)
    for j, label in enumerate(LABELS):
        labelled[f"truth_{label}"] = truth[drawn, j] * relevant[drawn]

    occurrences = (truth * relevant[:, None]).sum(axis=0)
    shares = {label: occurrences[j] / occurrences.sum() for j, label in enumerate(LABELS)}
    for group in set(GROUPS.values()):
        shares[group] = sum(shares[label] for label in LABELS if GROUPS[label] == group)
    shares["ML-related"] = relevant.mean()
    sample_occ = (truth[drawn] * relevant[drawn][:, None]).sum(axis=0)
    return Simulated(labelled, frame, shares, (sample_occ, int(sample_occ.sum())))
