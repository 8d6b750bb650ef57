"""Fatal kinds (high < low, a column without one finite value), ``allow``, and the OHLC tolerance."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from rdq.data import IssueKind, validate_panel
from rdq.data._validate import ALLOWABLE_KINDS, OHLC_RTOL, check_allow, merge_reports
from rdq.errors import ConfigError, ValidationError


def panel(n_days: int = 5) -> pl.DataFrame:
    days = [dt.date(2021, 3, 1) + dt.timedelta(days=i) for i in range(n_days)]
    c = [100.0 / 3.0 * (1 + 0.01 * i) for i in range(n_days)]  # prices with a long binary expansion
    return pl.DataFrame(
        {"date": days, "asset": ["A"] * n_days, "open": [x * 0.99 for x in c], "high": [x * 1.02 for x in c],
         "low": [x * 0.98 for x in c], "close": c, "volume": [1e4] * n_days}
    )


def with_row(frame: pl.DataFrame, row: int, **values: float) -> pl.DataFrame:
    cols = {}
    for name, v in values.items():
        vals = frame[name].to_list()
        vals[row] = v
        cols[name] = pl.Series(name, vals)
    return frame.with_columns(**cols)


def test_float_noise_is_not_an_issue() -> None:
    p = panel()
    c, o = p["close"][1], p["open"][2]
    x = p["low"][3]
    # a flat bar whose high/low are a rounding step below/above its open == close (split-adjusted data)
    noisy = with_row(p, 1, open=c, close=c, high=c * (1 - 1e-16), low=c * (1 + 2e-16))
    noisy = with_row(noisy, 2, low=o * (1 + 3e-16))  # low above the open by float noise
    noisy = with_row(noisy, 3, open=x, close=x, high=x * (1 - 2e-16))  # high below low by float noise
    assert noisy["high"][1] < c < noisy["low"][1] and noisy["low"][2] > o and noisy["high"][3] < x  # real in float64
    report = validate_panel(noisy)
    assert report.counts == {} and report.ok


def test_real_violations_beyond_the_tolerance_still_count() -> None:
    p = panel()
    c = p["close"][1]
    bad = with_row(p, 1, high=c * (1 - 100 * OHLC_RTOL))  # high below the close, above the low
    bad = with_row(bad, 3, high=p["low"][3] * (1 - 100 * OHLC_RTOL))  # high below low
    report = validate_panel(bad, source="x.csv")
    assert report.counts == {"high_low": 1, "high_below_low": 1}
    (hl,) = report.of_kind(IssueKind.HIGH_LOW)
    (below,) = report.fatal
    assert (hl.row, hl.column, hl.severity) == (2, "high", "soft")
    assert (below.row, below.column, below.kind, below.date) == (4, "high", "high_below_low", "2021-03-04")
    with pytest.raises(ValidationError, match=r"file x.csv, row 4, column 'high': high .* is below low"):
        report.raise_if_fatal()


def test_allowing_downgrades_one_kind() -> None:
    p = with_row(panel(), 0, high=1.0, open=-1.0)  # high below low, and a non-positive open
    report = validate_panel(p)
    assert {str(i.kind) for i in report.fatal} == {"high_below_low", "non_positive_price"}
    one = report.allowing(["high_below_low"])
    assert [str(i.kind) for i in one.fatal] == ["non_positive_price"] and not one.ok
    assert one.of_kind("high_below_low")[0].severity == "soft" and one.allowed == ("high_below_low",)
    both = validate_panel(p, allow=["high_below_low", "non_positive_price"])
    assert both.ok and both.to_dict()["n_fatal"] == 0 and both.to_dict()["allowed"] == [
        "high_below_low", "non_positive_price"]
    assert merge_reports(one, validate_panel(panel())).allowed == ("high_below_low",)
    assert check_allow(["all_null,negative_volume", " high_below_low "]) == (
        "all_null", "negative_volume", "high_below_low")


@pytest.mark.parametrize("kind", ["duplicate", "missing_columns", "bad_date", "jump", "nope"])
def test_only_allowable_kinds_can_be_allowed(kind: str) -> None:
    with pytest.raises(ConfigError, match=f"--allow '{kind}': not a kind that can be accepted"):
        validate_panel(panel(), allow=[kind])
    assert kind not in ALLOWABLE_KINDS


@pytest.mark.parametrize(
    "values, what",
    [
        ([None] * 5, "every value is missing (null/NaN)"),
        ([float("nan")] * 5, "every value is missing (null/NaN)"),
        ([float("inf")] * 5, "every value is infinite"),
        ([float("-inf"), None, float("inf"), float("nan"), float("inf")], "2 missing and 3 infinite values"),
    ],
)
def test_a_column_without_one_finite_value_is_fatal(values: list[float | None], what: str) -> None:
    p = panel().with_columns(pl.Series("close", values, dtype=pl.Float64))
    report = validate_panel(p)
    (issue,) = report.of_kind(IssueKind.ALL_NULL)
    assert issue.severity == "fatal" and issue.column == "close" and what in issue.message
    assert validate_panel(p, allow=["all_null"]).of_kind("all_null")[0].severity == "soft"


def test_one_finite_value_is_enough() -> None:
    p = panel().with_columns(pl.Series("vwap", [None, float("inf"), 30.0, None, None], dtype=pl.Float64))
    assert "all_null" not in validate_panel(p).counts
