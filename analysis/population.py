"""Population shares of activities and challenges with prediction-powered confidence intervals.

The estimand (docs/method.md, "Population estimates") is the study's share of label occurrences,
taken over the whole sampling frame instead of the sample: for label k,

    theta_k = sum_i r_i y_ik / sum_i r_i |y_i|        (i over every frame item, or those of one year)

where r_i is 1 when item i is ML-related (the reviewers' keep) and y_i its set of labels. It is a
ratio of two frame means, A_k / B, so the interval comes from the linearisation (the influence
function) of the ratio, phi_i = (r_i y_ik - theta_k r_i |y_i|) / B, whose mean is estimated by
prediction-powered inference (Angelopoulos et al., Science 2023) with power tuning (PPI++): the
suggester's cross-fitted predictions of every frame item plus a rectifier measured on the labelled
items, weighted N_h / n_h for the stratified design. ``ppi_py.ppi_mean_ci`` computes every interval;
this module only builds its inputs (the linearisation) and adds the ratio back.

The sample-only interval beside it is the same estimand from the labelled items alone (the design-
weighted ratio, ``ppi_py.classical_mean_ci`` on the same linearisation): what the study's sample
says without the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: A domain (e.g. one year) with fewer labelled items inside it gets no interval: the rectifier's
#: variance would rest on a handful of items and the normal approximation says nothing useful.
MIN_LABELLED_IN_DOMAIN = 20
#: Fewer labelled items with the label (or without it) than this, and the normal approximation
#: behind PPI and the design-weighted interval covers far less than it claims (a label absent from
#: the sample gets [0, 0]); the interval is then Wilson's around the design-weighted estimate, with
#: the weights' effective sample size (Kish), which keeps its coverage for rare labels.
MIN_SUPPORT = 10
#: A power-tuning weight below this means the suggester's predictions did not narrow the interval.
NEGLIGIBLE_POWER_TUNING = 0.05
PPI = "ppi++"
WILSON = "wilson (design-weighted estimate, effective n)"
CENSUS = "census (every frame item labelled)"


class EstimationError(ValueError):
    """The inputs cannot give an estimate; the message says which and why."""


@dataclass(frozen=True)
class ShareEstimates:
    """One value per estimated quantity (label or group of labels), same order as ``names``."""

    names: list[str]
    estimate: np.ndarray
    ci_lower: np.ndarray
    ci_upper: np.ndarray
    power_tuning: np.ndarray
    sample_estimate: np.ndarray
    sample_ci_lower: np.ndarray
    sample_ci_upper: np.ndarray
    prediction_only: np.ndarray
    #: per quantity: PPI, WILSON or CENSUS (the sample-only interval uses the same fallback)
    interval_method: list[str]
    #: per quantity: why the suggester did or did not narrow the interval, in plain words
    model_note: list[str]


def stratum_weights(labelled_strata: Sequence[str], frame_strata: Sequence[str]) -> np.ndarray:
    """N_h / n_h for each labelled item: how many frame items of its stratum it stands for.

    Every stratum of the labelled items must be in the frame. Strata with no labelled item are
    represented by the others (the weights are normalised by ppi_py), which is the study's design
    as long as every project keeps at least one labelled item.
    """
    frame_sizes = pd.Series(np.asarray(frame_strata, dtype=object)).value_counts()
    labelled = pd.Series(np.asarray(labelled_strata, dtype=object))
    unknown = sorted(set(labelled) - set(frame_sizes.index))
    if unknown:
        raise EstimationError(
            f"{len(unknown)} labelled item stratum(s) are not in the frame, e.g. {unknown[:3]}"
        )
    labelled_sizes = labelled.value_counts()
    return (labelled.map(frame_sizes) / labelled.map(labelled_sizes)).to_numpy(dtype=float)


def _as_2d(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[:, None] if values.ndim == 1 else values


def _as_1d(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float)


def ratio_shares(
    *,
    names: Sequence[str],
    numerators: np.ndarray,
    denominators: np.ndarray,
    predicted_numerators: np.ndarray,
    predicted_denominators: np.ndarray,
    frame_numerators: np.ndarray,
    frame_denominators: np.ndarray,
    weights: np.ndarray,
    confidence: float = 0.95,
    census: bool = False,
) -> ShareEstimates:
    """Shares A_k / B over a finite frame from n labelled items and N frame predictions.

    ``census``: every frame item of the domain is labelled, so the labelled ratio is the share
    itself (the only case where an interval of width 0 is right).

    numerators (n, K) and denominators (n,) are the labelled items' true values (r y_k and
    r |y|); predicted_* are the cross-fitted predictions of the same items (models that did not see
    them); frame_* the predictions of all N frame items; weights (n,) the design weights N_h / n_h.
    """
    alpha = 1 - confidence
    y_num, f_num, frame_num = map(_as_2d, (numerators, predicted_numerators, frame_numerators))
    y_den, f_den, frame_den = map(
        _as_1d, (denominators, predicted_denominators, frame_denominators)
    )
    n, k = y_num.shape
    if len(names) != k or f_num.shape != (n, k) or frame_num.shape[1] != k:
        raise EstimationError("numerators, predictions and names do not have matching shapes")
    if n < 2:
        raise EstimationError(f"{n} labelled item(s): an interval needs at least 2")
    w = np.asarray(weights, dtype=float)
    theta1, phi, phi_hat, phi_frame = _linearised(
        (y_num, f_num, frame_num), (y_den, f_den, frame_den), w
    )

    lower, upper, lam = _ppi_intervals(phi, phi_hat, phi_frame, w, alpha)
    theta_sample, sample_lower, sample_upper = _sample_only(y_num, y_den, w, alpha)

    frame_b = frame_den.mean()
    prediction_only = frame_num.mean(axis=0) / frame_b if frame_b > 0 else np.full(k, np.nan)
    # A share lies in [0, 1]: clipping the normal interval there never loses coverage (a rare
    # label's correction can push the point estimate just below 0; it is shown as 0).
    result = ShareEstimates(
        names=list(names),
        estimate=np.clip(theta1 + (lower + upper) / 2, 0, 1),
        ci_lower=np.clip(theta1 + lower, 0, 1),
        ci_upper=np.clip(theta1 + upper, 0, 1),
        power_tuning=lam,
        sample_estimate=theta_sample,
        sample_ci_lower=sample_lower,
        sample_ci_upper=sample_upper,
        prediction_only=prediction_only,
        interval_method=[PPI] * k,
        model_note=[""] * k,
    )
    return _honest(result, y_num, y_den, w, phi, phi_hat, confidence, census)


def _linearised(numerators: tuple, denominators: tuple, w: np.ndarray) -> tuple:
    """(theta1, phi, phi_hat, phi_frame): plain PPI (lam = 1) of both frame means gives the point
    theta1 where the ratio is linearised, and the linearised values of the labelled items (true
    and predicted) and of the frame. ``numerators``/``denominators``: (labelled, predicted,
    frame)."""
    import ppi_py  # slow import (numba, statsmodels): only when estimating

    y_num, f_num, frame_num = numerators
    y_den, f_den, frame_den = denominators
    a1 = ppi_py.ppi_mean_pointestimate(y_num, f_num, frame_num, lam=1, w=w)
    b1 = float(ppi_py.ppi_mean_pointestimate(y_den, f_den, frame_den, lam=1, w=w)[0])
    if not b1 > 0:
        raise EstimationError("no label occurrence is expected in the frame: shares are undefined")
    theta1 = np.asarray(a1, dtype=float).reshape(-1) / b1
    phi = (y_num - theta1 * y_den[:, None]) / b1
    phi_hat = (f_num - theta1 * f_den[:, None]) / b1
    phi_frame = (frame_num - theta1 * frame_den[:, None]) / b1
    return theta1, phi, phi_hat, phi_frame


def _honest(result, y_num, y_den, w, phi, phi_hat, confidence, census) -> ShareEstimates:
    """Replace the normal intervals where they cannot be trusted and say what the model did.

    With fewer than MIN_SUPPORT labelled items on either side of a quantity both intervals become
    Wilson's around the design-weighted estimate with the weights' effective sample size; a census
    keeps the exact value; otherwise the note says whether the suggester narrowed the interval."""
    present = (y_num > 0).sum(axis=0)
    absent = ((y_den[:, None] > 0) & (y_num <= 0)).sum(axis=0)
    counted = y_den > 0
    n_eff = 0.0
    if counted.any():
        wc = w[counted]
        n_eff = float(wc.sum() ** 2 / (wc**2).sum() * np.average(y_den[counted], weights=wc))
    for j in range(len(result.names)):
        theta = result.sample_estimate[j]
        if census and np.isfinite(theta):
            for field in ("estimate", "ci_lower", "ci_upper", "sample_ci_lower", "sample_ci_upper"):
                getattr(result, field)[j] = theta
            result.interval_method[j] = CENSUS
            result.model_note[j] = "every frame item is labelled: the share is known exactly"
        elif min(present[j], absent[j]) < MIN_SUPPORT and np.isfinite(theta) and n_eff > 0:
            low, high = wilson_interval(theta * n_eff, n_eff, confidence)
            for prefix in ("", "sample_"):
                getattr(result, f"{prefix}ci_lower")[j] = float(low)
                getattr(result, f"{prefix}ci_upper")[j] = float(high)
            result.estimate[j] = theta
            result.interval_method[j] = WILSON
            result.model_note[j] = (
                f"{int(present[j])} labelled item(s) with it and {int(absent[j])} without, fewer "
                f"than {MIN_SUPPORT} on one side: too few for a normal interval, so the Wilson "
                "interval of the design-weighted estimate is given and the suggester is not used"
            )
        else:
            result.model_note[j] = _model_note(
                result.power_tuning[j],
                phi[:, j],
                phi_hat[:, j],
                result.ci_upper[j] - result.ci_lower[j],
                result.sample_ci_upper[j] - result.sample_ci_lower[j],
            )
    return result


def _model_note(lam, phi, phi_hat, width, sample_width) -> str:
    if np.ptp(phi_hat) == 0:
        return (
            "the suggester added nothing: it predicted the same value for every labelled item, "
            "so the interval is the sample-only one"
        )
    correlation = float(np.corrcoef(phi, phi_hat)[0, 1]) if np.ptp(phi) > 0 else 0.0
    if not np.isfinite(lam) or lam < NEGLIGIBLE_POWER_TUNING:
        return (
            f"the suggester added nothing (power tuning {0.0 if not np.isfinite(lam) else lam:.2f}):"
            f" its predictions follow the labelled items' values too weakly (correlation "
            f"{correlation:.2f}) to narrow the interval, which is the sample-only one"
        )
    ratio = width / sample_width if sample_width > 0 else float("nan")
    return (
        f"the suggester narrowed the interval to {ratio:.2f} of the sample-only width (power "
        f"tuning {lam:.2f}, correlation {correlation:.2f} on the labelled items)"
    )


def _ppi_intervals(phi, phi_hat, phi_frame, w, alpha: float):
    """PPI++ intervals of the linearised shares (lower and upper offsets) and each one's lam."""
    import ppi_py

    k = phi.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        lower, upper = ppi_py.ppi_mean_ci(
            phi, phi_hat, phi_frame, alpha=alpha, w=w, lam=None, lam_optim_mode="element"
        )
    lower, upper = np.asarray(lower, float).reshape(-1), np.asarray(upper, float).reshape(-1)
    lam = np.full(k, np.nan)
    for j in range(k):
        # A column whose predictions do not vary (a label the model never saw) has no optimal
        # lam (0 / 0): its PPI++ interval is the classical one, lam = 0.
        if not (np.isfinite(lower[j]) and np.isfinite(upper[j])):
            lo, hi = ppi_py.ppi_mean_ci(
                phi[:, j], phi_hat[:, j], phi_frame[:, j], alpha=alpha, w=w, lam=0
            )
            lower[j], upper[j], lam[j] = float(lo[0]), float(hi[0]), 0.0
    lam = np.where(np.isnan(lam), _tuned_lambda(phi, phi_hat, phi_frame, w), lam)
    return lower, upper, lam


def _sample_only(y_num, y_den, w, alpha: float):
    """Sample only: the design-weighted ratio from the labelled items, linearised at itself, and
    its interval (clipped to [0, 1]); NaN when no labelled item has a label."""
    import ppi_py

    k = y_num.shape[1]
    w_norm = w / w.sum()
    b_sample = float(w_norm @ y_den)
    theta_sample = (w_norm @ y_num) / b_sample if b_sample > 0 else np.full(k, np.nan)
    sample_lower, sample_upper = np.full(k, np.nan), np.full(k, np.nan)
    if b_sample > 0:
        phi_sample = (y_num - theta_sample * y_den[:, None]) / b_sample
        for j in range(k):
            lo, hi = ppi_py.classical_mean_ci(phi_sample[:, j], w=w, alpha=alpha)
            sample_lower[j] = np.clip(theta_sample[j] + lo, 0, 1)
            sample_upper[j] = np.clip(theta_sample[j] + hi, 0, 1)
    return theta_sample, sample_lower, sample_upper


def _tuned_lambda(phi, phi_hat, phi_frame, w) -> np.ndarray:
    """The lam ppi_py chose (it does not return it): recovered from its point estimate, which is
    linear in lam, so the tables can say how much the model was trusted (0 = not at all, 1 = PPI)."""
    import ppi_py

    at0 = ppi_py.ppi_mean_pointestimate(phi, phi_hat, phi_frame, lam=0, w=w)
    at1 = ppi_py.ppi_mean_pointestimate(phi, phi_hat, phi_frame, lam=1, w=w)
    # A column whose predictions do not vary has lam 0 / 0 (NaN, and ppi_py's RuntimeWarning in
    # the run's log); _ppi_intervals has already given it lam 0 and keeps that.
    with np.errstate(divide="ignore", invalid="ignore"):
        tuned = ppi_py.ppi_mean_pointestimate(
            phi, phi_hat, phi_frame, lam=None, w=w, lam_optim_mode="element"
        )
        lam = (np.ravel(tuned) - np.ravel(at0)) / (np.ravel(at1) - np.ravel(at0))
    return np.clip(lam, 0, 1)


def group_matrix(labels: Sequence[str], groups: Mapping[str, str]) -> tuple[list[str], np.ndarray]:
    """(group names, 0/1 matrix labels x groups): a category's occurrences are its activities'."""
    names = sorted(set(groups[label] for label in labels))
    matrix = np.zeros((len(labels), len(names)))
    for i, label in enumerate(labels):
        matrix[i, names.index(groups[label])] = 1.0
    return names, matrix


def estimate_frame(
    *,
    labels: Sequence[str],
    labelled: pd.DataFrame,
    frame: pd.DataFrame,
    groups: Mapping[str, str] | None = None,
    domain_column: str | None = None,
    confidence: float = 0.95,
    min_labelled_in_domain: int = MIN_LABELLED_IN_DOMAIN,
) -> pd.DataFrame:
    """Population shares of every label (and group of labels), overall and per domain value.

    ``labelled``: one row per labelled item, columns item_key, stratum, is_ml_related (bool),
    truth_<label> (0/1; 0 for items that are not ML-related), p_ml_related and p_<label> (the
    cross-fitted predictions: models that did not see the item), and ``domain_column``.
    ``frame``: one row per frame item with stratum, p_ml_related, p_<label>, ``domain_column``
    (the labelled items included, with their cross-fitted predictions).
    Predicted occurrences of a label are P(ML-related) x P(label | ML-related).
    """
    labels = list(labels)
    if labelled.empty:
        raise EstimationError("no labelled item: nothing to correct the predictions with")
    weights = stratum_weights(labelled["stratum"], frame["stratum"])
    relevant = labelled["is_ml_related"].to_numpy(dtype=float)
    names, level_of, stacked = _levels(labels, groups)
    arrays = {**_occurrences(labels, labelled, frame, relevant), "stacked": stacked}
    rows = []
    for value, in_labelled, in_frame in _domains(labelled, frame, domain_column):
        d_l, d_f = in_labelled.astype(float), in_frame.astype(float)
        base = {
            "domain_value": value,
            "labelled_items": int(len(labelled)),
            "labelled_in_domain": int(in_labelled.sum()),
            "ml_related_labelled_in_domain": int((relevant * d_l).sum()),
            "frame_items_in_domain": int(in_frame.sum()),
        }
        if in_labelled.sum() < (min_labelled_in_domain if value is not None else 2):
            reason = (
                f"{int(in_labelled.sum())} labelled item(s) in this domain, fewer than "
                f"{min_labelled_in_domain}: no interval"
            )
            rows += [{**base, "level": lv, "name": n, "status": reason} for lv, n in zip(level_of, names, strict=True)]  # fmt: skip
            continue
        # the design sample holds every frame item of the domain: the shares are known exactly
        census = bool(in_labelled.sum() >= in_frame.sum())
        rows += _domain_rows(base, names, level_of, arrays, d_l, d_f, weights, confidence, census)
        rows += _relevance_rows(
            base, relevant * d_l, labelled, frame, d_l, d_f, weights, confidence, census
        )
    out = pd.DataFrame(rows)
    for column in _RESULT_COLUMNS.values():
        if column not in out:
            out[column] = np.nan
    out["ci_width"] = out["ci_upper"] - out["ci_lower"]
    out["sample_ci_width"] = out["sample_ci_upper"] - out["sample_ci_lower"]
    out["confidence"] = confidence
    return out


#: RatioShares attribute -> output column
_RESULT_COLUMNS = {
    "estimate": "estimate",
    "ci_lower": "ci_lower",
    "ci_upper": "ci_upper",
    "power_tuning": "power_tuning",
    "sample_estimate": "sample_estimate",
    "sample_ci_lower": "sample_ci_lower",
    "sample_ci_upper": "sample_ci_upper",
    "prediction_only": "prediction_only_share",
    "interval_method": "interval_method",
    "model_note": "model_note",
}


def _occurrences(labels: list[str], labelled, frame, relevant) -> dict[str, np.ndarray]:
    """Each label's true occurrences in the labelled items (0 unless ML-related) and predicted
    ones, P(ML-related) x P(label | ML-related), in the labelled items and in the frame."""
    columns = [f"p_{label}" for label in labels]
    truth = labelled[[f"truth_{label}" for label in labels]].to_numpy(dtype=float)
    pred = labelled[columns].to_numpy(float) * labelled["p_ml_related"].to_numpy(float)[:, None]
    frame_pred = frame[columns].to_numpy(float) * frame["p_ml_related"].to_numpy(float)[:, None]
    return {"truth": truth * relevant[:, None], "pred": pred, "frame_pred": frame_pred}


def _levels(labels: list[str], groups: Mapping[str, str] | None):
    """Names, level of each name, and the 0/1 matrix mapping labels to them (labels, then groups)."""
    levels: list[tuple[str, list[str], np.ndarray]] = [("label", labels, np.eye(len(labels)))]
    if groups:
        group_names, matrix = group_matrix(labels, groups)
        levels.append(("group", group_names, matrix))
    names = [name for _, level_names, _ in levels for name in level_names]
    level_of = [level for level, level_names, _ in levels for _ in level_names]
    return names, level_of, np.hstack([m for _, _, m in levels])


def _domains(labelled: pd.DataFrame, frame: pd.DataFrame, domain_column: str | None):
    """(domain value, labelled mask, frame mask): the whole frame (None), then each value."""
    yield None, np.ones(len(labelled), bool), np.ones(len(frame), bool)
    if domain_column:
        for value in sorted(frame[domain_column].dropna().unique()):
            yield (
                value,
                (labelled[domain_column] == value).to_numpy(),
                (frame[domain_column] == value).to_numpy(),
            )


def _domain_rows(
    base, names, level_of, arrays, d_l, d_f, weights, confidence, census=False
) -> list[dict]:
    """One row per label and group of a domain: its estimate, or why there is none."""
    truth, pred, frame_pred, stacked = (
        arrays[k] for k in ("truth", "pred", "frame_pred", "stacked")
    )
    try:
        result = ratio_shares(
            names=names,
            numerators=(truth @ stacked) * d_l[:, None],
            denominators=truth.sum(axis=1) * d_l,
            predicted_numerators=(pred @ stacked) * d_l[:, None],
            predicted_denominators=pred.sum(axis=1) * d_l,
            frame_numerators=(frame_pred @ stacked) * d_f[:, None],
            frame_denominators=frame_pred.sum(axis=1) * d_f,
            weights=weights,
            confidence=confidence,
            census=census,
        )
    except EstimationError as exc:
        return [
            {**base, "level": level, "name": name, "status": str(exc)}
            for level, name in zip(level_of, names, strict=True)
        ]
    return [
        {
            **base,
            "level": level,
            "name": name,
            "status": "ok",
            **{column: getattr(result, attr)[j] for attr, column in _RESULT_COLUMNS.items()},
        }
        for j, (level, name) in enumerate(zip(level_of, names, strict=True))
    ]


def _relevance_rows(
    base, relevant_d, labelled, frame, d_l, d_f, weights, confidence, census=False
) -> list[dict]:
    """The share of frame items (of the domain) that are ML-related: its own ratio estimate."""
    try:
        result = ratio_shares(
            names=["ML-related"],
            numerators=relevant_d,
            denominators=d_l,
            predicted_numerators=labelled["p_ml_related"].to_numpy(float) * d_l,
            predicted_denominators=d_l,
            frame_numerators=frame["p_ml_related"].to_numpy(float) * d_f,
            frame_denominators=d_f,
            weights=weights,
            confidence=confidence,
            census=census,
        )
    except EstimationError as exc:
        return [{**base, "level": "ml_related", "name": "ML-related", "status": str(exc)}]
    return [
        {
            **base,
            "level": "ml_related",
            "name": "ML-related",
            "status": "ok",
            **{column: getattr(result, attr)[0] for attr, column in _RESULT_COLUMNS.items()},
        }
    ]


def wilson_interval(successes, trials, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval of the sample-only marts (statsmodels, which ppi_py installs)."""
    from statsmodels.stats.proportion import proportion_confint

    lower, upper = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    return np.asarray(lower, float), np.asarray(upper, float)
