"""Segments and walk-forward splits."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from rdq.errors import ConfigError
from rdq.models import RollingSplitter, Segments


def test_segments_parse_and_check_order() -> None:
    s = Segments(
        train=("2010-01-01", "2010-12-31"),
        valid=("2011-01-01", "2011-06-30"),
        test=("2011-07-01", "2011-12-31"),
    )
    assert s.train == (dt.date(2010, 1, 1), dt.date(2010, 12, 31))
    assert s.end == dt.date(2011, 12, 31)
    frame = pl.DataFrame({"date": [dt.date(2010, 12, 31), dt.date(2011, 1, 1), dt.date(2012, 1, 1)]})
    assert frame.filter(s.mask("valid")).height == 1
    with pytest.raises(ConfigError, match="not after 'train' ends"):
        Segments(
            train=("2010-01-01", "2011-01-31"),
            valid=("2011-01-01", "2011-06-30"),
            test=("2011-07-01", "2011-12-31"),
        )
    with pytest.raises(ConfigError, match="ends .* before it starts"):
        Segments(
            train=("2010-01-01", "2009-01-31"),
            valid=("2011-01-01", "2011-06-30"),
            test=("2011-07-01", "2011-12-31"),
        )
    with pytest.raises(ConfigError, match="cannot read"):
        Segments(
            train=("2010-01-01", "soon"),
            valid=("2011-01-01", "2011-06-30"),
            test=("2011-07-01", "2011-12-31"),
        )
    with pytest.raises(ConfigError, match="did you mean 'valid'"):
        s.span("vaild")  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        s.train = s.valid  # type: ignore[misc]  # frozen


def test_rolling_splits_tile_the_calendar_and_never_fit_on_the_future() -> None:
    cal = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(100)]
    sp = RollingSplitter(step=10, train_span=30, valid_span=20)
    splits = list(sp.split(cal))
    assert len(splits) == 5 == sp.n_splits(cal)
    assert splits[0].train == (cal[0], cal[29])
    assert splits[0].valid == (cal[30], cal[49])
    assert splits[0].test == (cal[50], cal[59])
    assert splits[1].train == (cal[10], cal[39])
    tested = [d for s in splits for d in cal if s.test[0] <= d <= s.test[1]]
    assert tested == cal[50:]  # test spans tile the rest of the calendar, no overlap, no gap
    for s in splits:
        assert s.train[1] < s.valid[0] <= s.valid[1] < s.test[0]
    # a split's segments do not depend on calendar days after its test span
    assert list(sp.split(cal[:80]))[:3] == splits[:3]
    # a last, partial test span is cut at the calendar's end
    assert list(sp.split(cal[:95]))[-1].test == (cal[90], cal[94])


def test_rolling_gap_and_errors() -> None:
    cal = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(40)]
    s = next(RollingSplitter(step=5, train_span=10, valid_span=5, gap=2).split(cal))
    assert s.train == (cal[0], cal[9]) and s.valid == (cal[12], cal[16]) and s.test[0] == cal[19]
    with pytest.raises(ConfigError, match="step must be an integer >= 1"):
        RollingSplitter(step=0, train_span=10, valid_span=5)
    with pytest.raises(ConfigError, match="needs more than"):
        list(RollingSplitter(step=5, train_span=30, valid_span=10).split(cal))
