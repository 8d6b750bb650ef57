"""Time rdq.signal against qlib.contrib.eva.alpha on the shared S&P 500 file (same input, same process).

Run:  .venv/bin/python benchmarks/bench_signal.py [--factors 20]

Prints, for one factor, the time of rdq's daily IC + Rank IC vs qlib's ``calc_ic`` and of rdq's
qlib-mode long-short vs ``calc_long_short_return`` (with the max relative difference of the daily
series), then the time of a full ``signal_report`` (IC family, quantiles, autocorr, turnover, decay at
5 horizons) for ``--factors`` momentum/reversal factors.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
import polars as pl
from _data import add_data_option, data_path, load_bench_panel  # benchmarks/_data.py


def _qlib_series(frame: pl.DataFrame, column: str) -> pd.Series:
    frame = frame.sort("date", "asset")
    idx = pd.MultiIndex.from_arrays(
        [pd.to_datetime(frame["date"].to_numpy()), frame["asset"].to_numpy()],
        names=["datetime", "instrument"],
    )
    return pd.Series(frame[column].fill_null(np.nan).to_numpy(), index=idx)


def _timed(fn, repeat: int = 3):  # type: ignore[no-untyped-def]
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    np.seterr(invalid="ignore", divide="ignore")
    parser = argparse.ArgumentParser()
    add_data_option(parser)
    parser.add_argument("--factors", type=int, default=20)
    args = parser.parse_args()
    path = data_path(args.data)
    if path is None:
        sys.exit("needs --data PATH or ../shared/data/sp500_5yr_daily.parquet")
    from qlib.contrib.eva.alpha import calc_ic, calc_long_short_return

    from rdq.signal import default_label, ic_series, qlib_long_short, signal_report

    panel = load_bench_panel(path)
    label = default_label(panel)
    windows = [5, 10, 20, 40, 60] * (args.factors // 5 + 1)
    exprs = {}
    for i, w in enumerate(windows[: args.factors]):
        shift = 1 + i // 5
        exprs[f"mom{w}_{shift}"] = (
            pl.col("close").shift(shift).over("asset") / pl.col("close").shift(w + shift).over("asset") - 1
        )
    factors = panel.select("date", "asset", *[e.alias(n) for n, e in exprs.items()])
    first = next(iter(exprs))
    print(f"panel {panel.height} rows, {panel['asset'].n_unique()} assets, {panel['date'].n_unique()} days")

    pred, lab = _qlib_series(factors, first), _qlib_series(label, "label")
    t_rdq, (ic, ric) = _timed(
        lambda: (
            ic_series(factors, label, column=first),
            ic_series(factors, label, column=first, method="spearman"),
        )
    )
    t_qlib, (q_ic, q_ric) = _timed(lambda: calc_ic(pred, lab), repeat=1)
    err = max(
        float(
            np.nanmax(
                np.abs(ic["ic"].fill_null(np.nan).to_numpy() - q_ic.to_numpy()) / np.abs(q_ic.to_numpy())
            )
        ),
        float(
            np.nanmax(
                np.abs(ric["ic"].fill_null(np.nan).to_numpy() - q_ric.to_numpy()) / np.abs(q_ric.to_numpy())
            )
        ),
    )
    print(
        f"IC + RankIC   rdq {t_rdq:7.3f}s  qlib calc_ic {t_qlib:7.3f}s  speed-up {t_qlib / t_rdq:6.1f}x  max rel err {err:.1e}"
    )

    t_rdq, ls = _timed(lambda: qlib_long_short(factors, label, column=first))
    t_qlib, (q_ls, _q_avg) = _timed(lambda: calc_long_short_return(pred, lab), repeat=1)
    mine = ls["long_short"].fill_null(np.nan).to_numpy()
    q = q_ls.reindex(_q_avg.index).to_numpy()
    err = float(np.nanmax(np.abs(mine - q) / np.abs(q)))
    print(
        f"long-short    rdq {t_rdq:7.3f}s  qlib           {t_qlib:7.3f}s  speed-up {t_qlib / t_rdq:6.1f}x  max rel err {err:.1e}"
    )

    t_rep, rep = _timed(lambda: signal_report(factors, label, panel=panel), repeat=1)
    print(
        f"signal_report {len(exprs)} factors x 5 horizons: {t_rep:.2f}s ({t_rep / len(exprs):.3f}s per factor)"
    )
    print(rep.to_frame().select("factor", "ic", "rank_ic", "rank_icir", "long_short", "autocorr").head(5))


if __name__ == "__main__":
    main()
