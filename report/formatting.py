"""Numbers as the study prints them: thousands separators, a fixed number of decimals, shares as
percentages with one decimal and the study's dropped ``.0`` (``20.5%``, ``19%``), a dash for a value
that does not exist. The one formatter of every table, Markdown entry and metadata the project
shows (report/, and the Dagster assets through it)."""

from __future__ import annotations

from numbers import Real

import pandas as pd

MISSING = "–"


def _is_missing(value: object) -> bool:
    # None, NaN, pd.NA (nullable integer columns) and NaT
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and not _is_missing(value)


def number(value: object, decimals: int = 0) -> str:
    """``1,808.6``: thousands separators and exactly ``decimals`` decimals."""
    if _is_missing(value):
        return MISSING
    text = f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]
    # a kappa of -0.0004 is printed 0.00, not -0.00
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def trimmed(value: object, decimals: int) -> str:
    """At most ``decimals`` decimals, trailing zeros dropped: 1,201 / 62.53 / 33.5 (Table 1's medians)."""
    text = number(value, decimals)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def count(value: object) -> str:
    if _is_missing(value):
        return MISSING
    return f"{int(value):,}"  # type: ignore[call-overload]


def percent(share: object, *, of_100: bool = False) -> str:
    """A share in [0, 1] as the study prints one: one decimal, ``.0`` dropped (Table 5's ``1%``,
    Table 6's ``7%``, Table 8's ``19%``). ``of_100``: the value is already a percentage (the
    seeds' ``study_share_pct``)."""
    if _is_missing(share):
        return MISSING
    return f"{trimmed(float(share) * (1 if of_100 else 100), 1)}%"  # type: ignore[arg-type]


def points(width: object) -> str:
    """A difference of two shares in percentage points, rounded as the shares are: ``9.8``."""
    if _is_missing(width):
        return MISSING
    return trimmed(100 * float(width), 1)  # type: ignore[arg-type]


def signed(value: object, decimals: int = 1, *, trim: bool = False) -> str:
    """A difference with its sign: ``+1.2``, ``-0.4``, ``0.0`` (``+9``, ``0`` when trimmed)."""
    if _is_missing(value):
        return MISSING
    text = trimmed(value, decimals) if trim else number(value, decimals)
    if float(text.replace(",", "")) == 0:
        return trimmed(0, decimals) if trim else number(0, decimals)
    return text if text.startswith("-") else f"+{text}"


def difference(run: object, study: object, decimals: int, *, trim: bool = False) -> str:
    """run - study, both rounded as printed first, so the difference shown is the one a reader
    computes from the two numbers beside it."""
    if not (is_number(run) and is_number(study)):
        return MISSING
    return signed(round(float(run), decimals) - round(float(study), decimals), decimals, trim=trim)  # type: ignore[arg-type]


def interval(lower: object, upper: object) -> str:
    """A confidence interval of shares, in percent: ``14.3–25.1%``."""
    if _is_missing(lower) or _is_missing(upper):
        return MISSING
    return f"{percent(lower)[:-1]}–{percent(upper)}"


def number_interval(lower: object, upper: object, decimals: int) -> str:
    """A confidence interval of a number that is not a share (a kappa, an AUC): ``0.312 to 0.518``;
    a kappa's bounds can be negative, and ``-0.252–-0.159`` would not read as an interval."""
    if _is_missing(lower) or _is_missing(upper):
        return MISSING
    return f"{number(lower, decimals)} to {number(upper, decimals)}"


def with_interval(value: str, interval_text: str) -> str:
    """A value and its interval as every table shows them: ``12.3% (10.1–14.5%)``; the value alone
    when it has no interval."""
    if value == MISSING or interval_text == MISSING:
        return value
    return f"{value} ({interval_text})"
