"""Time-series windows against a naive copy-based construction."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest
from models_helpers import segments_for

from rdq.errors import ConfigError
from rdq.models import Fillna, TSWindows, build_dataset, make_windows


def _ragged_frame(seed: int = 0) -> pl.DataFrame:
    """5 assets x 12 days x 3 features; assets start late, miss days, have NaN features."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(5):
        for d in range(12):
            if d < a or (a == 2 and d in (5, 6)):  # late starts, a hole
                continue
            f = rng.standard_normal(3)
            if rng.random() < 0.15:
                f[rng.integers(3)] = np.nan
            rows.append(
                (dt.date(2021, 3, 1) + dt.timedelta(days=d), f"A{a}", *f, float(rng.standard_normal()))
            )
    return pl.DataFrame(rows, schema=["date", "asset", "x0", "x1", "x2", "label"], orient="row").with_columns(
        pl.col("x0", "x1", "x2").fill_nan(None)
    )


def _naive(frame: pl.DataFrame, keys: pl.DataFrame, step_len: int, fillna: str) -> np.ndarray:
    """Copy each window out of a dict, day by day (qlib TSDataSampler semantics)."""
    cal = sorted(frame["date"].unique().to_list())
    table = {(r[0], r[1]): np.array(r[2:5], dtype=float) for r in frame.iter_rows()}
    out = []
    for date, asset in keys.iter_rows():
        t = cal.index(date)
        days = [cal[j] if j >= 0 else None for j in range(t - step_len + 1, t + 1)]
        # which day's row fills each step: its own if the asset has a row, else the nearest before/after
        src = pd.Series([d if (d, asset) in table else None for d in days], dtype=object)
        if fillna in ("ffill", "ffill+bfill"):
            src = src.ffill()
        if fillna == "ffill+bfill":
            src = src.bfill()
        w = pd.DataFrame([table[(d, asset)] if not pd.isna(d) else np.full(3, np.nan) for d in src])
        if fillna != "none":
            w = w.fillna(0.0)
        out.append(w.to_numpy())
    return np.array(out, dtype=np.float32)


@pytest.mark.parametrize("fillna", ["zero", "ffill", "ffill+bfill", "none"])
@pytest.mark.parametrize("step_len", [1, 4, 15])
def test_windows_match_naive_construction(step_len: int, fillna: str) -> None:
    frame = _ragged_frame()
    keys = frame.select("date", "asset").sample(fraction=1.0, shuffle=True, seed=1)
    w = TSWindows(frame, features=["x0", "x1", "x2"], step_len=step_len, sample_keys=keys, fillna=fillna)  # type: ignore[arg-type]
    got = w.windows()
    want = _naive(frame, keys, step_len, fillna)
    assert got.shape == (frame.height, step_len, 3)
    np.testing.assert_array_equal(got, want)
    # labels follow the sample keys
    lab = keys.join(frame, on=["date", "asset"], how="left")["label"].cast(pl.Float32).to_numpy()
    np.testing.assert_array_equal(w.labels, lab)
    # the panel is stored once (plus step_len - 1 padding days), not step_len times
    assert w.dense.shape == (5, 12 + step_len - 1, 3)
    # batches cover every sample once, with the same windows
    seen = np.concatenate([idx for idx, x, y in w.batches(7, shuffle=True)])
    assert sorted(seen.tolist()) == list(range(len(w)))
    for idx, x, y in w.batches(7):
        np.testing.assert_array_equal(x, want[idx])
        np.testing.assert_array_equal(y, lab[idx])
    # torch Dataset view
    tds = w.torch_dataset()
    x0, y0 = tds[3]
    assert tuple(x0.shape) == (step_len, 3)
    np.testing.assert_array_equal(x0.numpy(), want[3])


def test_make_windows_reads_history_before_the_segment(small_set: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    factors, label = small_set
    ds = build_dataset(factors, label, segments=segments_for(120), infer_processors=[Fillna()])
    w = make_windows(ds, "test", step_len=5)
    first = w.keys.with_row_index().filter(pl.col("date") == pl.col("date").min()).row(0)
    i, date, asset = first
    x = w.windows(np.array([i]))[0]
    hist = ds.infer.filter((pl.col("asset") == asset) & (pl.col("date") <= date)).tail(5)
    np.testing.assert_allclose(x, hist.select(ds.features).to_numpy().astype(np.float32))
    assert len(w) == ds.frame("test").height


def test_window_errors() -> None:
    frame = _ragged_frame()
    with pytest.raises(ConfigError, match="step_len"):
        TSWindows(frame, features=["x0"], step_len=0, sample_keys=frame.select("date", "asset"))
    with pytest.raises(ConfigError, match="absent"):
        TSWindows(
            frame,
            features=["x0"],
            step_len=2,
            sample_keys=pl.DataFrame({"date": [dt.date(1999, 1, 1)], "asset": ["A0"]}),
        )


@pytest.mark.parametrize("fillna", ["none", "ffill", "ffill+bfill"])
@pytest.mark.parametrize("step_len", [3, 8])
def test_windows_match_qlib_ts_data_sampler(step_len: int, fillna: str) -> None:
    qds = pytest.importorskip("qlib.data.dataset")
    frame = _ragged_frame(seed=3)
    pdf = (
        frame.rename({"date": "datetime", "asset": "instrument"})
        .with_columns(pl.col("datetime").cast(pl.Datetime("ns")))
        .to_pandas()
        .set_index(["datetime", "instrument"])
        .sort_index()
    )
    sampler = qds.TSDataSampler(
        pdf, start=pdf.index[0][0], end=pdf.index[-1][0], step_len=step_len, fillna_type=fillna
    )
    index = sampler.get_index()  # (datetime, instrument) of each sample, in the sampler's order
    keys = pl.DataFrame(
        {"date": [t.date() for t in index.get_level_values(0)], "asset": list(index.get_level_values(1))}
    )
    ours = TSWindows(frame, features=["x0", "x1", "x2"], step_len=step_len, sample_keys=keys, fillna=fillna)  # type: ignore[arg-type]
    got = ours.windows()
    want = np.stack([np.asarray(sampler[i], dtype=np.float64) for i in range(len(sampler))])
    assert got.shape == want[:, :, :3].shape == (frame.height, step_len, 3)
    # qlib fills missing days from neighbouring rows and leaves NaN values NaN; rdq then makes them 0
    expect = want[:, :, :3] if fillna == "none" else np.nan_to_num(want[:, :, :3], nan=0.0)
    np.testing.assert_allclose(got, expect.astype(np.float32), rtol=0, atol=0)
    np.testing.assert_allclose(ours.labels, want[:, -1, 3].astype(np.float32))
