"""Loaders: every source type gives the same canonical panel; bad input gives a clear error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from rdq.data import auto_mapping, load_panel, normalize_panel, synth_market, write_qlib_dir
from rdq.errors import ConfigError, DataError, SchemaError, ValidationError

RAW = pl.DataFrame(
    {
        "date": ["2021-01-04", "2021-01-05", "2021-01-06", "2021-01-04", "2021-01-05", "2021-01-06"],
        "symbol": ["AAA", "AAA", "AAA", "BBB", "BBB", "BBB"],
        "open": [10.0, 10.5, 10.2, 20.0, 20.5, 21.0],
        "high": [10.8, 10.9, 10.6, 20.9, 21.0, 21.5],
        "low": [9.9, 10.1, 10.0, 19.8, 20.1, 20.7],
        "close": [10.5, 10.2, 10.4, 20.5, 20.9, 21.2],
        "volume": [100, 200, 150, 1000, 1100, 900],
    }
)


def expected() -> pl.DataFrame:
    return normalize_panel(RAW.rename({"symbol": "asset"}))


def test_csv_with_date_symbol(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    RAW.write_csv(path)
    panel = load_panel(path)
    assert_frame_equal(panel, expected())
    assert panel.schema["date"] == pl.Date and panel.schema["volume"] == pl.Float64


def test_parquet_unsorted_with_extra_column(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    RAW.reverse().with_columns(pl.lit(2.0).alias("turnover")).write_parquet(path)
    panel = load_panel(path)
    assert_frame_equal(panel, expected().with_columns(pl.lit(2.0).alias("turnover")))
    assert "turnover" not in load_panel(path, fields=[]).columns


def test_kaggle_style_names_and_explicit_mapping(tmp_path: Path) -> None:
    path = tmp_path / "all_stocks_5yr.csv"
    RAW.rename({"symbol": "Name", "date": "timestamp", "open": "Open", "close": "Close"}).write_csv(path)
    assert_frame_equal(load_panel(path), expected())  # Name/timestamp/Open/Close are recognised
    assert_frame_equal(load_panel(path, mapping={"Name": "asset", "timestamp": "date"}), expected())


def test_auto_mapping_rules() -> None:
    m = auto_mapping(["Date", "Ticker", "OPEN", "High", "Low", "Close", "Vol", "Name"])
    assert m == {"Date": "date", "Ticker": "asset", "OPEN": "open", "High": "high", "Low": "low",
                 "Close": "close", "Vol": "volume"}  # Name is not used: Ticker already gives the asset
    with pytest.raises(ConfigError, match="did you mean 'Ticker'"):
        auto_mapping(["Date", "Ticker"], {"Tikcer": "asset"})
    with pytest.raises(SchemaError, match="two source columns map to 'asset'"):
        auto_mapping(["symbol", "code"], {"symbol": "asset", "code": "asset"})


def test_date_range_and_universe(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    RAW.write_parquet(path)
    panel = load_panel(path, start="2021-01-05", end=dt.date(2021, 1, 5), universe=["BBB"])
    assert panel.select("asset", "date").rows() == [("BBB", dt.date(2021, 1, 5))]


def test_universe_from_qlib_instruments_file(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    RAW.write_parquet(path)
    inst = tmp_path / "mine.txt"
    inst.write_text("AAA\t2021-01-05\t2021-01-06\nZZZ\t2020-01-01\t2030-01-01\n")
    panel = load_panel(path, universe=inst)
    assert panel.select("asset", "date").rows() == [("AAA", dt.date(2021, 1, 5)), ("AAA", dt.date(2021, 1, 6))]
    with pytest.raises(DataError, match="none of the universe"):
        load_panel(path, universe=["aaa"])  # case matters; the hint names the close match
    with pytest.raises(ConfigError, match="neither a list of assets nor an instruments file"):
        load_panel(path, universe=str(tmp_path / "nope.txt"))


def test_folder_of_per_asset_csv_files(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    for sym in ("AAA", "BBB"):
        RAW.filter(pl.col("symbol") == sym).drop("symbol").rename({"date": "Date"}).write_csv(folder / f"{sym}.csv")
    (folder / "README.md").write_text("not data")
    (folder / "notes.txt").write_text("not data either")
    assert_frame_equal(load_panel(folder), expected())


def test_folder_of_parquet_files_with_symbol_column(tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    RAW.filter(pl.col("symbol") == "AAA").write_parquet(folder / "part-0.parquet")
    RAW.filter(pl.col("symbol") == "BBB").write_parquet(folder / "part-1.parquet")
    assert_frame_equal(load_panel(folder), expected())


def test_folder_error_names_the_file_and_row(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    RAW.filter(pl.col("symbol") == "AAA").write_csv(folder / "AAA.csv")
    bad = RAW.filter(pl.col("symbol") == "BBB").with_columns(pl.col("open").cast(pl.Utf8))
    bad = bad.with_columns(pl.when(pl.int_range(pl.len()) == 1).then(pl.lit("n/a?")).otherwise("open").alias("open"))
    bad.write_csv(folder / "BBB.csv")
    with pytest.raises(SchemaError) as err:
        load_panel(folder)
    assert err.value.file == str(folder / "BBB.csv") and err.value.row == 2 and err.value.column == "open"


def test_duckdb_table_and_query(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    con = duckdb.connect(str(db))
    con.register("raw", RAW.with_columns(pl.col("date").str.to_date()).to_arrow())
    con.execute("create table bars as select * from raw")
    con.execute("create table other as select 1 as x")
    con.close()
    assert_frame_equal(load_panel(db, table="bars"), expected())
    q = "select * from bars where symbol = 'AAA'"
    assert_frame_equal(load_panel(db, query=q), expected().filter(pl.col("asset") == "AAA"))
    with pytest.raises(ConfigError, match="pass table"):
        load_panel(db)
    with pytest.raises(ConfigError, match="did you mean 'bars'"):
        load_panel(db, table="bar")
    with pytest.raises(ConfigError, match="query failed"):
        load_panel(db, query="select * from nowhere")


def test_qlib_folder_round_trip(tmp_path: Path) -> None:
    market = synth_market(n_assets=5, n_days=30, seed=4)
    out = write_qlib_dir(market.panel, tmp_path / "qlib")
    panel = load_panel(out)
    cols = ["date", "asset", "open", "high", "low", "close", "volume"]
    # qlib stores float32
    assert_frame_equal(
        panel.select(cols), market.panel.select(cols), check_exact=False, rel_tol=1e-6, check_column_order=False
    )
    sub = load_panel(out, universe=["S0001", "S0003"], start="2015-01-10", end="2015-01-20")
    assert sub["asset"].unique().sort().to_list() == ["S0001", "S0003"]
    assert sub["date"].min() >= dt.date(2015, 1, 10) and sub["date"].max() <= dt.date(2015, 1, 20)


def test_shared_sp500_loads(sp500_path: Path) -> None:
    # one row of the file has high below low (AOS 2014-05-19): fatal unless accepted
    with pytest.raises(ValidationError, match="high 23.595 is below low 23.85 for AOS on 2014-05-19"):
        load_panel(sp500_path)
    panel = load_panel(sp500_path, allow=["high_below_low"])
    assert panel.shape == (619040, 7)
    assert panel.columns == ["date", "asset", "open", "high", "low", "close", "volume"]
    assert panel.schema["date"] == pl.Date
    assert panel["asset"].n_unique() == 505
    assert panel.select((pl.col("date").diff().over("asset") > dt.timedelta(0)).fill_null(True).all()).item()
    assert (panel["date"].min(), panel["date"].max()) == (dt.date(2013, 2, 8), dt.date(2018, 2, 7))
    assert panel["open"].null_count() == 11  # NaN became null
    sel = load_panel(sp500_path, start="2017-01-01", universe=["AAPL", "MSFT"])
    assert sel["asset"].unique().sort().to_list() == ["AAPL", "MSFT"] and sel["date"].min() >= dt.date(2017, 1, 1)


# -------------------------------------------------------------------------------------------------
# bad input


def test_csv_bad_date_in_row_7(tmp_path: Path) -> None:
    dates = [f"2021-01-{d:02d}" for d in range(4, 14)]
    dates[6] = "2021-01-1O"  # a letter O in row 7
    frame = pl.DataFrame(
        {"date": dates, "symbol": "AAA", "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0}
    )
    path = tmp_path / "bad.csv"
    frame.write_csv(path)
    with pytest.raises(SchemaError) as err:
        load_panel(path)
    e = err.value
    assert (e.file, e.row, e.column) == (str(path), 7, "date")
    assert "2021-01-1O" in str(e) and "row 7" in str(e) and "column 'date'" in str(e) and e.fix


def test_csv_bad_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("date,symbol,open,high,low,close,volume\n2021-01-04,A,1,1,1,1,10\n2021-01-05,A,1,1,1,1.2.3,10\n")
    with pytest.raises(SchemaError, match="1.2.3") as err:
        load_panel(path)
    assert (err.value.row, err.value.column) == (2, "close")


def test_duplicates_raise_or_repair(tmp_path: Path) -> None:
    path = tmp_path / "dup.parquet"
    pl.concat([RAW, RAW[4:5].with_columns(pl.lit(99.0).alias("close"))]).write_parquet(path)
    with pytest.raises(ValidationError, match="duplicate") as err:
        load_panel(path)
    assert err.value.row == 7 and err.value.file == str(path)
    fixed = load_panel(path, repair=["duplicates", "high_low"])
    assert fixed.height == 6 and fixed.filter(pl.col("close") == 99.0).height == 1
    lenient = load_panel(path, strict=False)
    assert lenient.height == 7


def test_non_positive_price_raises(tmp_path: Path) -> None:
    path = tmp_path / "neg.csv"
    RAW.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(0.0).otherwise("low").alias("low")).write_csv(path)
    with pytest.raises(ValidationError, match="non-positive low") as err:
        load_panel(path)
    assert (err.value.row, err.value.column) == (3, "low")


def test_missing_column_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "m.parquet"
    RAW.drop("volume").rename({"close": "adj_close"}).write_parquet(path)
    with pytest.raises(SchemaError) as err:
        load_panel(path)
    assert err.value.column == "close" and "--map" in str(err.value) and "volume" in str(err.value)
    assert "did you mean 'adj_close'" in str(err.value)


def test_empty_and_missing_and_garbage_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("date,symbol,open,high,low,close,volume\n")
    with pytest.raises(ValidationError, match="no rows"):
        load_panel(empty)
    with pytest.raises(DataError, match="no such file"):
        load_panel(tmp_path / "nope.parquet")
    garbage = tmp_path / "g.parquet"
    garbage.write_bytes(b"not a parquet file at all")
    with pytest.raises(DataError, match="cannot read the file"):
        load_panel(garbage)
    (tmp_path / "emptydir").mkdir()
    with pytest.raises(DataError, match="no .csv or .parquet"):
        load_panel(tmp_path / "emptydir")


def test_one_asset_one_day_and_all_nan(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("Date,Ticker,Open,High,Low,Close,Volume\n2021-01-04,AAA,1,2,0.5,1.5,\n")
    # a column without one value is fatal unless accepted
    with pytest.raises(ValidationError, match="column 'volume' has no finite value"):
        load_panel(path)
    panel = load_panel(path, allow=["all_null"])
    assert panel.shape == (1, 7) and panel["volume"][0] is None
    nan = tmp_path / "nan.parquet"
    RAW.with_columns(pl.lit(float("nan")).alias("open"), pl.lit(None, dtype=pl.Int64).alias("volume")).write_parquet(nan)
    with pytest.raises(ValidationError, match=r"column 'open' has no finite value.*and 1 all_null more fatal"):
        load_panel(nan)
    panel = load_panel(nan, allow=["all_null"])
    assert panel["open"].null_count() == 6 and panel["volume"].null_count() == 6


def test_unreadable_date_type(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    RAW.with_columns(pl.lit(1.5).alias("date")).write_parquet(path)
    with pytest.raises(SchemaError) as err:
        load_panel(path)
    assert err.value.column == "date"


def test_extra_text_columns_are_dropped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    RAW.with_columns(pl.lit("Acme Corp").alias("name"), pl.lit("1.5").alias("beta")).write_csv(path)
    panel = load_panel(path)
    assert panel.columns == [*expected().columns, "beta"] and panel["beta"][0] == 1.5
    from rdq.data import read_source

    _, report = read_source(path)
    (issue,) = report.of_kind("dropped_column")
    assert issue.column == "name" and report.ok
    nested = tmp_path / "n.parquet"
    RAW.with_columns(pl.lit([1, 2]).alias("tags")).write_parquet(nested)
    assert "tags" not in load_panel(nested).columns


@settings(max_examples=15, deadline=None)
@given(
    n_assets=st.integers(1, 4),
    n_days=st.integers(1, 6),
    seed=st.integers(0, 10_000),
    fmt=st.sampled_from(["csv", "parquet"]),
)
def test_round_trip_any_clean_panel(n_assets: int, n_days: int, seed: int, fmt: str) -> None:
    """A panel written by polars in either format loads back unchanged (values, order, types)."""
    import tempfile

    rng = np.random.default_rng(seed)
    n = n_assets * n_days
    close = rng.uniform(1, 100, n)
    frame = pl.DataFrame(
        {
            "Date": [dt.date(2020, 1, 1) + dt.timedelta(days=d) for _ in range(n_assets) for d in range(n_days)],
            "Ticker": [f"T{a}" for a in range(n_assets) for _ in range(n_days)],
            "open": close,
            "high": close * 1.1,
            "low": close * 0.9,
            "close": close,
            "volume": rng.integers(0, 10**6, n).astype(float),
        }
    ).sample(fraction=1.0, shuffle=True, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"p.{fmt}"
        frame.write_csv(path) if fmt == "csv" else frame.write_parquet(path)
        panel = load_panel(path)
    assert_frame_equal(panel, normalize_panel(frame.rename({"Date": "date", "Ticker": "asset"})))
