"""The Python API refuses the same bad inputs as the CLI: n_drop > topk, bad/outside dates, infinite scores."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from rdq.backtest import Exchange, TopkDropout, backtest_topk
from rdq.errors import ConfigError, DataError

from .conftest import random_scores, synthetic_panel

DATES = [date(2020, 1, 1) + timedelta(days=i) for i in range(40)]


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    return synthetic_panel(DATES, n_assets=8)


def test_topk_dropout_settings() -> None:
    TopkDropout(topk=3, n_drop=3)  # replacing the whole book each day is allowed
    with pytest.raises(ConfigError, match=r"n_drop \(4\) must not exceed topk \(3\)"):
        TopkDropout(topk=3, n_drop=4)
    with pytest.raises(ConfigError, match="topk must be an integer >= 1"):
        TopkDropout(topk=0, n_drop=1)
    with pytest.raises(ConfigError, match="n_drop must be an integer >= 1"):
        TopkDropout(topk=3, n_drop=0)


@pytest.mark.parametrize(
    "start, end, message",
    [
        ("2020-13-01", None, "start '2020-13-01' is not a valid date"),
        (None, "2020-02-30", "end '2020-02-30' is not a valid date"),
        ("2020-01-20", "2020-01-10", "the end 2020-01-10 is before the start 2020-01-20"),
        ("2020-06-01", None, "the start 2020-06-01 is after the last date 2020-02-09"),
        (None, "2019-06-01", "the end 2019-06-01 is before the first date 2020-01-01"),
        (None, "2020-12-31", "the data cover 2020-01-01 to 2020-02-09"),
    ],
)
def test_backtest_dates(panel: pl.DataFrame, start: str | None, end: str | None, message: str) -> None:
    scores = random_scores(panel, seed=2)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        backtest_topk(panel, scores, TopkDropout(topk=3, n_drop=1), exchange=Exchange.us(), start=start, end=end)


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_scores_are_an_error_nan_is_no_score(panel: pl.DataFrame, bad: float) -> None:
    scores = random_scores(panel, seed=2)
    values = scores["score"].to_numpy().copy()
    values[17] = bad
    with pytest.raises(DataError) as err:
        backtest_topk(panel, scores.with_columns(pl.Series("score", values)), TopkDropout(topk=3, n_drop=1),
                      exchange=Exchange.us(), source="s.parquet")
    e = err.value
    assert (e.file, e.row, e.column) == ("s.parquet", 18, "score") and "is infinite (1 such rows)" in e.message
    row = scores.row(17, named=True)
    assert f"asset '{row['asset']}' on {row['date']}" in e.message
    values[17] = np.nan
    res = backtest_topk(panel, scores.with_columns(pl.Series("score", values)), TopkDropout(topk=3, n_drop=1),
                        exchange=Exchange.us())
    assert res.records.height > 0
