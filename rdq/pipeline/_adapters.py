"""The one place the pipeline touches other areas' engines: data, factors, label, model, backtest, store.

Every call into ``rdq.data``, ``rdq.factors``, ``rdq.signal``, ``rdq.models``, ``rdq.backtest`` and
``rdq.store`` goes through a function here, so an API change elsewhere is a one-file change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from pathlib import Path
from typing import Any

import polars as pl

from rdq.errors import ConfigError, DataError
from rdq.pipeline._config import (
    EQUAL_WEIGHT,
    DataSection,
    FactorSection,
    MetricsSection,
    ModelSection,
    RollingSection,
    SegmentSection,
    StrategySection,
)

__all__ = [
    "load_data",
    "benchmark_panel",
    "feature_expressions",
    "compute_factors",
    "compute_label",
    "fit_predict",
    "run_backtest",
    "summarize_records",
    "record_run",
    "store_path",
    "rdq_dir",
    "panel_fingerprint",
    "EW_ASSET",
    "EQUAL_WEIGHT",
    "check_model",
    "score_signal",
]

log = logging.getLogger(__name__)

#: asset name of the equal-weighted benchmark added to the backtest panel
EW_ASSET = "__EQUAL_WEIGHT__"


# --------------------------------------------------------------------------- data


def panel_fingerprint(panel: pl.DataFrame) -> str:
    """Content hash of a panel (:func:`rdq.data.panel_fingerprint`)."""
    from rdq.data import panel_fingerprint as fp

    return fp(panel)


def load_data(data: DataSection) -> pl.DataFrame:
    """The scenario's panel: the synthetic market or :func:`rdq.data.load_panel` of ``data.path``."""
    import rdq.data as rd

    if data.synthetic is not None:
        s = data.synthetic
        alphas = tuple(dataclasses.replace(a, coef=a.coef * s.alpha_scale) for a in rd.PLANTED_ALPHAS)
        panel = rd.synth_market(n_assets=s.assets, n_days=s.days, seed=s.seed, start=s.start, alphas=alphas).panel
        if data.universe is not None:
            if not isinstance(data.universe, tuple):
                raise ConfigError(
                    "data.universe: with synthetic data give a list of asset names (e.g. [A000, A001])"
                )
            panel = panel.filter(pl.col("asset").is_in(list(data.universe)))
        if data.start is not None:
            panel = panel.filter(pl.col("date") >= data.start)
        if data.end is not None:
            panel = panel.filter(pl.col("date") <= data.end)
        return panel
    assert data.path is not None
    universe: Any = list(data.universe) if isinstance(data.universe, tuple) else data.universe
    return rd.load_panel(
        data.path,
        mapping=data.columns or None,
        start=data.start,
        end=data.end,
        universe=universe,
        allow=data.allow,
    )


def benchmark_panel(data: DataSection, panel: pl.DataFrame, benchmark: str | None) -> pl.DataFrame | None:
    """Rows to add to the backtest panel so that ``benchmark`` is an asset of it (``None``: nothing to add).

    ``"equal_weight"`` builds an index whose daily return is the mean ``close/prev close - 1`` of the
    universe; a name missing from the (universe-filtered) panel is read from ``data.path``.
    """
    if benchmark is None or benchmark in set(panel["asset"].unique().to_list()):
        return None
    if benchmark == EQUAL_WEIGHT:
        from rdq.backtest import equal_weight_index

        return equal_weight_index(panel, name=EW_ASSET)
    if data.path is None:
        raise ConfigError(
            f"strategy.benchmark: {benchmark!r} is not an asset of the synthetic panel;"
            f" use '{EQUAL_WEIGHT}' or null"
        )
    import rdq.data as rd

    try:
        bench = rd.load_panel(
            data.path, mapping=data.columns or None, start=data.start, end=data.end, universe=[benchmark]
        )
    except DataError as exc:
        raise ConfigError(
            f"strategy.benchmark: cannot read {benchmark!r} from {data.path}: no rows ({exc.message});"
            " check the symbol (qlib's CSI300 index is SH000300) or use 'equal_weight'"
        ) from None
    if bench.height == 0:
        raise ConfigError(f"strategy.benchmark: {benchmark!r} has no rows in {data.path}; check the symbol")
    common = [c for c in panel.columns if c in bench.columns]
    return bench.select(common)


# --------------------------------------------------------------------------- factors and label


def feature_expressions(factors: FactorSection) -> dict[str, str]:
    """``{column: expression}``: the library's (if any) then the extra ones."""
    from rdq.factors import list_libraries, load_library

    exprs: dict[str, str] = {}
    if factors.library is not None:
        names = list(list_libraries())
        if factors.library not in names and not Path(factors.library).is_file():  # a library file
            from rdq.errors import did_you_mean

            raise ConfigError(
                f"factors.library: unknown library {factors.library!r}{did_you_mean(factors.library, names)};"
                f" choose one of {names}"
            )
        exprs.update(load_library(factors.library))  # type: ignore[arg-type]
    exprs.update(factors.extra)
    return exprs


def compute_factors(panel: pl.DataFrame, exprs: dict[str, str], *, progress: bool = False) -> pl.DataFrame:
    """FactorFrame ``date, asset, <one column per expression>`` (:func:`rdq.factors.compute`), as float32.

    Factor values are kept in float32, as qlib stores features and as LightGBM trains on them: half the
    memory of the whole pipeline (Alpha158 on 500 assets x 2,500 days is 1.25M rows x 158 columns).
    Factors reading a field the panel lacks (Alpha158's ``VWAP0`` on OHLCV data) are left out with
    one warning (``missing="skip"``).
    """
    from rdq.factors import compute

    return compute(panel, exprs, progress=progress, out_dtype="float32", chunk_size=16, missing="skip")


def compute_label(panel: pl.DataFrame, expr: str | None) -> pl.DataFrame:
    """``date, asset, label``: qlib's default label, or ``expr`` computed by the factor engine."""
    if expr is None:
        from rdq.signal import default_label

        return default_label(panel)
    from rdq.factors import compute

    return compute(panel, {"label": expr})


# --------------------------------------------------------------------------- model


def _model_parts(
    model: ModelSection, segments: SegmentSection | None
) -> tuple[Any, list[Any], list[Any], Any]:
    """(unfitted model, infer processors, learn processors, Segments)."""
    from rdq.models import (
        ModelSpec,
        Segments,
        build_model,
        build_processors,
        load_model_config,
        make_processor,
    )

    seed = model.seed
    infer_specs: list[Any] | None = None
    learn_specs: list[Any] | None = None
    seg = None
    if model.path is not None:
        cfg = load_model_config(model.path)
        spec = cfg.model
        seed = cfg.seed
        infer_specs = list(cfg.data.infer_processors)
        learn_specs = list(cfg.data.learn_processors)
        seg = cfg.data.segments
    else:
        assert model.cls is not None
        spec = ModelSpec(model.cls, dict(model.kwargs))
    try:
        est = build_model(spec, seed=seed)
    except TypeError as exc:
        raise ConfigError(f"model.kwargs: {exc}; check the option names of {spec.cls}") from None
    if model.infer_processors is not None:
        infer = [
            make_processor(n, dict(k), where="model.infer_processors") for n, k in model.infer_processors
        ]
    else:
        infer = build_processors(infer_specs or [])
    if model.learn_processors is not None:
        learn = [
            make_processor(n, dict(k), where="model.learn_processors") for n, k in model.learn_processors
        ]
    else:
        learn = build_processors(learn_specs or [])
    if segments is not None:
        seg = Segments(train=segments.train, valid=segments.valid, test=segments.test)
    if seg is None:
        raise ConfigError(
            "segments: missing; give train/valid/test spans in the scenario (or in the model config)"
        )
    return est, infer, learn, seg


def check_model(model: ModelSection) -> None:
    """Fail early on an unknown model class or option (before any data is loaded)."""
    from rdq.errors import did_you_mean
    from rdq.models import build_model, load_model_config
    from rdq.models._config import ModelSpec, _model_class, _model_options  # noqa: PLC2701

    if model.path is not None:
        load_model_config(model.path)
        return
    assert model.cls is not None
    cls = _model_class(model.cls)
    options = _model_options(cls)
    for key in model.kwargs:
        if key not in options:
            raise ConfigError(
                f"model.kwargs.{key}: {model.cls} has no option{did_you_mean(key, options)}; options: {options}"
            )
    build_model(ModelSpec(model.cls, dict(model.kwargs)), seed=model.seed)


def fit_predict(
    factors: pl.DataFrame,
    label: pl.DataFrame,
    *,
    model: ModelSection,
    segments: SegmentSection | None,
    rolling: RollingSection | None,
    progress: bool = False,
) -> pl.DataFrame:
    """Fit on train (early stopping on valid) and score the test span: ``date, asset, score``.

    ``factors`` is released once the learning dataset is built: pass a frame nobody else holds to
    lower the peak memory (the pipeline does).
    """
    from rdq.models import RollingSplitter, build_dataset, rolling_predict

    est, infer, learn, seg = _model_parts(model, segments)
    if rolling is not None:
        splitter = RollingSplitter(
            step=rolling.step, train_span=rolling.train_span, valid_span=rolling.valid_span, gap=rolling.gap
        )
        window = factors.filter((pl.col("date") >= seg.train[0]) & (pl.col("date") <= seg.test[1]))
        scores: pl.DataFrame = rolling_predict(
            est,
            window,
            label,
            splitter=splitter,
            infer_processors=infer,
            learn_processors=learn,
            progress=progress,
        )
        return scores.filter(pl.col("date") >= seg.test[0])
    ds = build_dataset(factors, label, segments=seg, infer_processors=infer, learn_processors=learn)
    del factors  # the dataset holds what the model needs; the caller handed the frame over
    out: pl.DataFrame = est.fit(ds).predict(ds, "test")
    return out


# --------------------------------------------------------------------------- backtest


def run_backtest(
    panel: pl.DataFrame,
    scores: pl.DataFrame,
    *,
    strategy: StrategySection,
    benchmark_asset: str | None,
    end: dt.date | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Top-k dropout backtest (:func:`rdq.backtest.backtest_topk`); returns (records, settings)."""
    from rdq.backtest import Exchange, TopkDropout, backtest_topk

    c = strategy.costs
    exchange = Exchange(
        open_cost=c.open_cost,
        close_cost=c.close_cost,
        min_cost=c.min_cost,
        impact_cost=c.impact_cost,
        trade_unit=c.trade_unit,
        limit_threshold=c.limit_threshold,
        deal_price=c.deal_price,
    )
    topk = TopkDropout(
        topk=strategy.topk,
        n_drop=strategy.n_drop,
        hold_thresh=strategy.hold_thresh,
        only_tradable=strategy.only_tradable,
        risk_degree=strategy.risk_degree,
    )
    res = backtest_topk(
        panel, scores, topk, exchange=exchange, account=strategy.account, benchmark=benchmark_asset, end=end
    )
    return res.records, dict(res.settings)


def summarize_records(records: pl.DataFrame, metrics: MetricsSection) -> dict[str, Any]:
    """Flat metric dict (:meth:`rdq.backtest.BacktestMetrics.to_dict`) of the daily records."""
    from rdq.backtest import summarize

    return dict(summarize(records, mode=metrics.mode, n=metrics.n).to_dict())


# --------------------------------------------------------------------------- store


def rdq_dir(workspace: str | os.PathLike[str]) -> Path:
    """The workspace's ``.rdq`` folder: ``<workspace>/.rdq``, or ``workspace`` itself when it is named ``.rdq``."""
    p = Path(workspace)
    return p if p.name == ".rdq" else p / ".rdq"


def store_path(workspace: str | os.PathLike[str]) -> Path:
    """The workspace's store file: ``<workspace>/.rdq/rdq.duckdb`` (:func:`rdq.store.default_store_path`)."""
    return rdq_dir(workspace) / "rdq.duckdb"


def record_run(
    workspace: Path,
    *,
    kind: str,
    config: dict[str, Any],
    metrics: dict[str, Any],
    artifacts: dict[str, str],
    panel: pl.DataFrame | None = None,
    source: str | None = None,
) -> str:
    """Write the run (and its dataset, when ``panel`` is given) to the workspace store; return the run id.

    Uses :class:`rdq.store.Store` at ``<workspace>/.rdq/rdq.duckdb`` in one transaction.
    """
    from rdq.store import Store

    store = Store(store_path(workspace))
    with store.transaction() as tx:
        dataset = tx.add_dataset(panel, source=source) if panel is not None else None
        return str(tx.add_run(kind, config, metrics, artifacts, dataset=dataset))


# --------------------------------------------------------------------------- signal of the scores


def score_signal(
    scores: pl.DataFrame, label: pl.DataFrame, *, quantiles: int = 5
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, float]]:
    """Daily IC / Rank IC of the scores, quantile returns, and their summary (``signal.<Metric>``).

    Returns
    -------
    (ic, quantiles, summary)
        ``date, ic, rank_ic``; ``date, quantile, label``; ``{"signal.ic": ..., "signal.icir": ...}``.
    """
    from rdq.metrics import Metric, signal_key
    from rdq.signal import ic_series, ic_summary, quantile_returns

    lab = label.filter(pl.col("date").is_between(scores["date"].min(), scores["date"].max()))
    ic = ic_series(scores, lab, column="score", method="pearson")
    ric = ic_series(scores, lab, column="score", method="spearman").rename({Metric.IC: Metric.RANK_IC})
    both = ic.join(ric, on="date", how="full", coalesce=True).sort("date")
    q = quantile_returns(scores, lab, column="score", quantiles=quantiles)
    a, b = ic_summary(both[Metric.IC]), ic_summary(both[Metric.RANK_IC])
    summary = {
        signal_key(Metric.IC): a["mean"],
        signal_key(Metric.ICIR): a["ir"],
        signal_key(Metric.RANK_IC): b["mean"],
        signal_key(Metric.RANK_ICIR): b["ir"],
    }
    return both, q, summary
