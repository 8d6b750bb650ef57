"""default_label: hand cases, calendar gaps, and real qlib evaluating the same expression."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rdq.errors import ConfigError, SchemaError
from rdq.signal import default_label, label_expression


def _panel(rows: dict[str, list[float | None]], *, skip: dict[str, int] | None = None) -> pl.DataFrame:
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(max(len(v) for v in rows.values()))]
    out = []
    for asset, closes in rows.items():
        for i, c in enumerate(closes):
            if skip and skip.get(asset) == i:
                continue
            out.append((dates[i], asset, c))
    return pl.DataFrame(out, schema={"date": pl.Date, "asset": pl.Utf8, "close": pl.Float64}, orient="row")


def test_hand_values() -> None:
    p = _panel({"A": [10.0, 11.0, 12.1, 13.31], "B": [5.0, 4.0, 2.0, 3.0]})
    lab = default_label(p)
    assert lab.columns == ["date", "asset", "label"]
    a = lab.filter(pl.col("asset") == "A")["label"].to_list()
    b = lab.filter(pl.col("asset") == "B")["label"].to_list()
    np.testing.assert_allclose(a[:2], [0.1, 0.1])
    np.testing.assert_allclose(b[:2], [2 / 4 - 1, 3 / 2 - 1])
    assert a[2:] == [None, None] and b[2:] == [None, None]
    h2 = default_label(p, horizon=2).filter(pl.col("asset") == "B")["label"].to_list()
    np.testing.assert_allclose(h2[:1], [3 / 4 - 1])
    assert h2[1:] == [None, None, None]
    assert label_expression(1) == "Ref($close, -2)/Ref($close, -1) - 1"


def test_calendar_gap_gives_null_like_qlib() -> None:
    # B misses day 2: on qlib's calendar its close there is NaN, so labels using it are NaN
    p = _panel({"A": [1.0, 2.0, 3.0, 4.0, 5.0], "B": [1.0, 2.0, 3.0, 4.0, 5.0]}, skip={"B": 2})
    lab = default_label(p).filter(pl.col("asset") == "B")
    assert lab["date"].to_list() == [dt.date(2020, 1, d) for d in (1, 2, 4, 5)]
    got = lab["label"].to_list()
    assert got[0] is None  # needs close of day 1 and day 2 (missing)
    assert got[1] is None  # needs day 2 (missing) and day 3
    assert got[2] is None and got[3] is None  # past the end


def test_bad_prices_and_options() -> None:
    p = _panel({"A": [1.0, 0.0, 3.0, None, 5.0, 6.0]})
    got = default_label(p)["label"].to_list()
    assert got[0] is None  # entry price 0
    assert got[1] is None and got[2] is None  # exit / entry missing
    assert got[3] == pytest.approx(6 / 5 - 1)
    with pytest.raises(ConfigError, match="horizon"):
        default_label(p, horizon=0)
    with pytest.raises(SchemaError, match="close"):
        default_label(p.drop("close"))
    with pytest.raises(SchemaError, match="duplicate"):
        default_label(pl.concat([p, p.head(1)]))


def test_no_dependence_on_later_rows_beyond_horizon() -> None:
    """Cutting the panel after day T changes only the labels of the last horizon+1 days before T."""
    rng = np.random.default_rng(0)
    closes = {f"S{i}": list(np.exp(np.cumsum(rng.normal(0, 0.02, 30)))) for i in range(4)}
    full = default_label(_panel(closes))  # type: ignore[arg-type]
    cut = default_label(_panel({k: v[:20] for k, v in closes.items()}))  # type: ignore[arg-type]
    joined = cut.join(full, on=["date", "asset"], suffix="_full")
    early = joined.filter(pl.col("date") < dt.date(2020, 1, 19))
    assert early["label"].null_count() == 0
    np.testing.assert_array_equal(early["label"].to_numpy(), early["label_full"].to_numpy())


def test_same_as_qlib_expression_engine(tmp_path: Path, sp500_path: Path) -> None:
    """Real qlib evaluates Ref($close,-h-1)/Ref($close,-1)-1 on a qlib dir holding the same closes."""
    qlib = pytest.importorskip("qlib")
    qlib_bin = pytest.importorskip("rdq.data.qlib_bin")
    from qlib.data import D

    from rdq.data.schema import normalize_panel

    assets = ["AAPL", "BHGE", "LNT", "EBAY", "O", "DHR"]  # O and DHR miss 16 days each
    raw = pl.read_parquet(sp500_path).rename({"symbol": "asset"}).filter(pl.col("asset").is_in(assets))
    panel = normalize_panel(raw)
    # qlib stores float32: give rdq the same rounded closes
    panel = panel.with_columns(pl.col("close").cast(pl.Float32).cast(pl.Float64))
    out = qlib_bin.write_qlib_dir(panel, tmp_path / "q")
    qlib.init(provider_uri=str(out), region="us", kernels=1)
    for h in (1, 5):
        expr = label_expression(h)
        got = D.features(assets, [expr], freq="day")
        peer = pl.from_pandas(got.reset_index()).rename(
            {"instrument": "asset", "datetime": "date", expr: "q"}
        )
        peer = peer.with_columns(pl.col("date").cast(pl.Date), pl.col("q").cast(pl.Float64).fill_nan(None))
        mine = default_label(panel, horizon=h).join(peer, on=["date", "asset"], how="inner")
        assert mine.height == panel.height
        assert (mine["label"].is_null() == mine["q"].is_null()).all()
        gap_nulls = mine.filter(pl.col("asset").is_in(["O", "DHR"]) & (pl.col("date") < dt.date(2018, 1, 1)))
        assert gap_nulls["label"].null_count() >= 16
        ok = mine.drop_nulls()
        assert ok.height > 6000
        # qlib computes in float32
        np.testing.assert_allclose(ok["label"].to_numpy(), ok["q"].to_numpy(), rtol=1e-5, atol=1e-6)
