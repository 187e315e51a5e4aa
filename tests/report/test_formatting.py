"""Numbers as the study prints them: the one formatter of the report and the Dagster metadata."""

import math

import pandas as pd
import pytest

from report.formatting import (
    count,
    difference,
    interval,
    number,
    number_interval,
    percent,
    points,
    signed,
    trimmed,
    with_interval,
)


@pytest.mark.parametrize(("call", "expected"), [
    (lambda: number(1808.6, 1), "1,808.6"),
    (lambda: number(2898.04, 2), "2,898.04"),
    (lambda: trimmed(1201.0, 2), "1,201"),
    (lambda: trimmed(62.53, 2), "62.53"),
    (lambda: trimmed(33.5, 1), "33.5"),
    (lambda: trimmed(-0.001, 1), "0"),
    (lambda: number(-0.0004, 2), "0.00"),
    (lambda: number(-0.02, 2), "-0.02"),
    (lambda: percent(0.20549), "20.5%"),
    (lambda: percent(1), "100%"),
    # the study drops a trailing .0: Table 5's 1%, Table 6's 7%, Table 8's 19% and 0%
    (lambda: percent(0.19), "19%"),
    (lambda: percent(19.0, of_100=True), "19%"),
    (lambda: percent(0.0, of_100=True), "0%"),
    (lambda: percent(0.999999), "100%"),
    (lambda: difference(20.46, 20.5, 1, trim=True), "0"),
    (lambda: difference(27.54, 20.5, 1, trim=True), "+7"),
    (lambda: difference(2, None, 1), "–"),
    (lambda: signed(1.25, 1), "+1.2"),
    (lambda: signed(-0.04, 1), "0.0"),
    (lambda: signed(-16.1, 1), "-16.1"),
    (lambda: signed(9.0, 2, trim=True), "+9"),
    (lambda: interval(0.143, 0.2514), "14.3–25.1%"),
    (lambda: interval(0.07, 0.125), "7–12.5%"),
    (lambda: points(0.0984), "9.8"),
    (lambda: points(0.1), "10"),
    (lambda: count(376758), "376,758"),
    (lambda: number(None), "–"),
    (lambda: number(math.nan, 1), "–"),
    (lambda: count(pd.NA), "–"),
    (lambda: interval(None, 0.2), "–"),
    (lambda: number_interval(-0.047, 0.1667, 3), "-0.047 to 0.167"),
    (lambda: number_interval(0.2, math.nan, 3), "–"),
    (lambda: with_interval(percent(0.413), interval(0.35, 0.473)), "41.3% (35–47.3%)"),
    (lambda: with_interval("0.216", "–"), "0.216"),
    (lambda: with_interval("–", "0.1–0.2"), "–"),
])  # fmt: skip
def test_formats(call, expected):
    assert call() == expected
