"""Time LightGBM training (qlib's Alpha158 benchmark settings) on an Alpha158-sized synthetic set.

    .venv/bin/python benchmarks/models_train.py                      # 300 assets x 2000 days x 158 features
    .venv/bin/python benchmarks/models_train.py --assets 100 --days 500 --qlib-processors
    .venv/bin/python benchmarks/models_train.py --data ../shared/data/sp500_5yr_daily.parquet   # real data

What is timed, in one process on the same data:

1. ``build_dataset`` with the Alpha158 config's processors (RobustZScoreNorm fitted on train +
   Fillna; DropnaLabel + CSRankNorm(label)); with ``--qlib-processors`` also qlib's own processor
   classes on the same frame as pandas (the peer), and the ratio;
2. ``LGBMModel().fit`` with qlib's benchmark parameters (early stopping 50 rounds on valid, at
   most 1000 rounds, every core), against the peer: ``lightgbm.train`` called directly with the
   same parameters on the same arrays (what qlib's ``LGBModel.fit`` does), and the ratio.

The synthetic set has a planted linear signal in 20 of the 158 features (expected test IC about
``|w| / sqrt(|w|^2 + noise^2)``), so the printed test IC shows the model learned something.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import polars as pl


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=None,
        help="market data: time on its Alpha158 factors and default label instead of the synthetic set",
    )  # fmt: skip
    parser.add_argument("--assets", type=int, default=300)
    parser.add_argument("--days", type=int, default=2000)
    parser.add_argument("--features", type=int, default=158)
    parser.add_argument("--noise", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=None, help="LightGBM threads (default: every core)")
    parser.add_argument("--qlib-processors", action="store_true", help="also time qlib's processors (pandas)")
    parser.add_argument("--no-peer", action="store_true", help="skip the direct lightgbm.train peer run")
    parser.add_argument("--no-lgbm", action="store_true", help="time the dataset processors only")
    args = parser.parse_args()

    import lightgbm as lgb

    from rdq.models import (
        CSRankNorm,
        DropnaLabel,
        Fillna,
        LGBMModel,
        RobustZScoreNorm,
        Segments,
        build_dataset,
    )
    from rdq.models._synthetic import synthetic_learning_set

    threads = args.threads or os.cpu_count() or 1
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"lightgbm {lgb.__version__}"
    )
    t0 = time.perf_counter()
    if args.data is not None:
        from _data import load_bench_panel  # benchmarks/_data.py

        from rdq.factors import compute, load_library
        from rdq.signal import default_label

        panel = load_bench_panel(args.data)
        factors = compute(panel, load_library("alpha158"), out_dtype="float32", missing="skip")
        label = default_label(panel)
        what = f"{args.data.name}: Alpha158 and qlib's default label"
    else:
        factors, label = synthetic_learning_set(
            n_assets=args.assets,
            n_days=args.days,
            n_features=args.features,
            n_signal=20,
            noise=args.noise,
            seed=0,
        )
        what = "synthetic set"
    print(f"{what}: {factors.height:,} rows x {factors.width - 2} features ({time.perf_counter() - t0:.1f} s)")
    dates = factors.get_column("date").unique().sort().to_list()
    a, b = int(len(dates) * 0.6), int(len(dates) * 0.8)
    seg = Segments(train=(dates[0], dates[a - 1]), valid=(dates[a], dates[b - 1]), test=(dates[b], dates[-1]))

    infer = [RobustZScoreNorm(fields_group="feature", clip_outlier=True), Fillna(fields_group="feature")]
    learn = [DropnaLabel(), CSRankNorm(fields_group="label")]
    t0 = time.perf_counter()
    ds = build_dataset(factors, label, segments=seg, infer_processors=infer, learn_processors=learn)
    t_proc = time.perf_counter() - t0
    print(f"rdq  build_dataset (RobustZScoreNorm+Fillna, DropnaLabel+CSRankNorm): {t_proc:8.2f} s")

    if args.qlib_processors:
        from qlib.data.dataset import processor as qp

        feats = list(ds.features)
        pdf = (
            factors.join(label, on=["date", "asset"], how="left")
            .rename({"date": "datetime", "asset": "instrument"})
            .with_columns(pl.col("datetime").cast(pl.Datetime("ns")))
            .to_pandas()
            .set_index(["datetime", "instrument"])
            .sort_index()
        )
        import pandas as pd

        pdf.columns = pd.MultiIndex.from_tuples([("feature", c) for c in feats] + [("label", "LABEL0")])
        t0 = time.perf_counter()
        rz = qp.RobustZScoreNorm(
            fit_start_time=str(seg.train[0]),
            fit_end_time=str(seg.train[1]),
            fields_group="feature",
            clip_outlier=True,
        )
        rz.fit(pdf)
        q = rz(pdf)
        q = qp.Fillna(fields_group="feature")(q)
        q = qp.DropnaLabel()(q)
        q = qp.CSRankNorm(fields_group="label")(q)
        t_q = time.perf_counter() - t0
        print(
            f"qlib same processors on pandas:                                    {t_q:8.2f} s   "
            f"(qlib / rdq = {t_q / t_proc:.2f}x)"
        )
        del pdf, q

    if args.no_lgbm:
        return
    model = LGBMModel(num_threads=threads, seed=0)
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(ds)
    t_fit, c_fit = time.perf_counter() - t0, time.process_time() - c0
    n_rounds = len(model.evals_result_["valid"]["l2"])
    scores = model.predict(ds, "test")
    ic = (
        scores.join(ds.infer.select("date", "asset", "label"), on=["date", "asset"])
        .group_by("date")
        .agg(pl.corr("score", "label", method="spearman").alias("ic"))["ic"]
        .mean()
    )
    print(
        f"rdq  LGBMModel.fit (qlib Alpha158 params, {threads} threads): {t_fit:8.2f} s, {n_rounds} rounds "
        f"(best {model.best_iteration_}), {t_fit / n_rounds * 1000:.0f} ms/round, {c_fit:.1f} CPU s; "
        f"test rank IC {ic:.3f}"
    )

    if not args.no_peer:
        _, x_tr, y_tr = ds.arrays("train")
        _, x_va, y_va = ds.arrays("valid")
        t0, c0 = time.perf_counter(), time.process_time()
        dtrain = lgb.Dataset(x_tr, label=y_tr)
        dvalid = lgb.Dataset(x_va, label=y_va, reference=dtrain)
        booster = lgb.train(
            model.lgb_params(),
            dtrain,
            num_boost_round=1000,
            valid_sets=[dtrain, dvalid],
            valid_names=["train", "valid"],
            callbacks=[lgb.early_stopping(50, verbose=False)],
        )
        t_peer, c_peer = time.perf_counter() - t0, time.process_time() - c0
        same = np.allclose(
            booster.predict(ds.arrays("test", data="infer")[1], num_iteration=booster.best_iteration),
            scores["score"].to_numpy(),
        )
        print(
            f"peer lightgbm.train, same params and arrays:        {t_peer:8.2f} s, best {booster.best_iteration} "
            f"{c_peer:.1f} CPU s (rdq / peer = {t_fit / t_peer:.2f}x wall, {c_fit / c_peer:.2f}x CPU; "
            f"same predictions: {same})"
        )


if __name__ == "__main__":
    main()
