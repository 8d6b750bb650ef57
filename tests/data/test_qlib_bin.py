"""qlib binary folder: round trip, and real qlib reads what rdq writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rdq.data.qlib_bin import is_qlib_dir, read_calendar, read_instruments, read_qlib_dir, write_qlib_dir
from rdq.data.schema import normalize_panel
from rdq.errors import DataError


def _panel() -> pl.DataFrame:
    """3 assets on 6 days; CON is a reserved Windows name (qlib prefixes it); BBB has a 1-day gap."""
    dates = pl.date_range(pl.date(2020, 1, 1), pl.date(2020, 1, 6), eager=True)
    rows = []
    for k, asset in enumerate(["AAA", "BBB", "CON"]):
        for i, d in enumerate(dates):
            if asset == "BBB" and i == 3:
                continue  # suspended day
            if asset == "CON" and i == 0:
                continue  # listed a day later
            px = 10.0 + k + 0.5 * i
            rows.append((d, asset, px, px + 1, px - 1, px + 0.25, 1000.0 * (i + 1)))
    frame = pl.DataFrame(rows, schema=["date", "asset", "open", "high", "low", "close", "volume"], orient="row")
    return normalize_panel(frame)


def test_round_trip(tmp_path: Path) -> None:
    panel = _panel()
    out = write_qlib_dir(panel, tmp_path / "q")
    assert is_qlib_dir(out)
    assert len(read_calendar(out)) == 6
    spans = read_instruments(out)
    assert spans["CON"][0].isoformat() == "2020-01-02"
    assert (out / "features" / "_qlib_con" / "close.day.bin").is_file()
    back = read_qlib_dir(out, fields=["open", "high", "low", "close", "volume"])
    assert back.height == panel.height  # the gap row is NaN in the file and dropped again
    joined = panel.join(back, on=["date", "asset"], suffix="_b")
    for c in ("open", "close", "volume"):
        np.testing.assert_allclose(joined[c].to_numpy(), joined[f"{c}_b"].to_numpy(), rtol=1e-7)
    # first value of each bin is the start index in the calendar
    raw = np.fromfile(out / "features" / "_qlib_con" / "close.day.bin", dtype="<f4")
    assert raw[0] == 1.0 and raw.size == 1 + 5
    bbb = np.fromfile(out / "features" / "bbb" / "close.day.bin", dtype="<f4")
    assert np.isnan(bbb[1 + 3])
    change = np.fromfile(out / "features" / "aaa" / "change.day.bin", dtype="<f4")
    assert np.isnan(change[1]) and change[2] == pytest.approx(10.75 / 10.25 - 1, rel=1e-6)


def test_selection(tmp_path: Path) -> None:
    out = write_qlib_dir(_panel(), tmp_path / "q")
    sub = read_qlib_dir(out, instruments=["AAA"], start="2020-01-03", end="2020-01-04")
    assert sub["asset"].unique().to_list() == ["AAA"]
    assert [d.isoformat() for d in sub["date"].to_list()] == ["2020-01-03", "2020-01-04"]
    inst = tmp_path / "mine.txt"
    inst.write_text("BBB\t2020-01-01\t2020-01-06\n")
    assert read_qlib_dir(out, instruments=str(inst))["asset"].unique().to_list() == ["BBB"]


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="calendar"):
        read_qlib_dir(tmp_path)
    out = write_qlib_dir(_panel(), tmp_path / "q")
    with pytest.raises(DataError, match="missing field 'vwap'"):
        read_qlib_dir(out, fields=["vwap"])
    with pytest.raises(DataError, match="no features folder"):
        read_qlib_dir(out, instruments=["ZZZ"])
    with pytest.raises(DataError, match="empty"):
        write_qlib_dir(_panel().head(0), tmp_path / "e")
    (out / "calendars" / "day.txt").write_text("2020-01-01\nnot-a-date\n")
    with pytest.raises(DataError, match="row 2"):
        read_calendar(out)


def test_real_qlib_reads_it(tmp_path: Path, sp500_path: Path) -> None:
    """qlib's own provider returns the values rdq wrote (float32), for real S&P data with gaps."""
    qlib = pytest.importorskip("qlib")
    from qlib.data import D

    raw = pl.read_parquet(sp500_path).rename({"symbol": "asset"})
    panel = normalize_panel(raw.filter(pl.col("asset").is_in(["AAPL", "BHGE", "LNT"])))
    out = write_qlib_dir(panel, tmp_path / "sp")
    qlib.init(provider_uri=str(out), region="us", kernels=1)
    got = D.features(["AAPL", "BHGE", "LNT"], ["$close", "$volume"], start_time="2016-05-01", end_time="2017-08-01")
    got = pl.from_pandas(got.reset_index()).rename({"instrument": "asset", "datetime": "date", "$close": "qc", "$volume": "qv"})
    got = got.with_columns(pl.col("date").cast(pl.Date)).drop_nulls("qc").filter(pl.col("qc").is_not_nan())
    mine = panel.join(got, on=["date", "asset"], how="inner")
    assert mine.height == got.height > 600
    np.testing.assert_allclose(mine["qc"].to_numpy(), mine["close"].to_numpy().astype(np.float32), rtol=0)
    np.testing.assert_allclose(mine["qv"].to_numpy(), mine["volume"].to_numpy().astype(np.float32), rtol=0)
