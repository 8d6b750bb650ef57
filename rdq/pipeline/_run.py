"""Run a scenario end to end: data -> factors + label -> model -> backtest -> metrics -> store + report.

Each stage's output is cached in the run folder (:class:`~rdq.pipeline._cache.StageCache`) under a
key that hashes the stage's config section and its upstream stage's key (the data stage: its config
section, the source files' size and modification time; downstream: the panel's content
fingerprint), so rerunning a killed scenario recomputes only the stages that had not finished, and
changing one section recomputes that stage and what follows.

The run is recorded in the workspace store (``<workspace>/.rdq/rdq.duckdb``, :class:`rdq.store.Store`:
its dataset by content fingerprint, and a ``backtest`` run with config, metrics and artifact paths).
Run folder ``<workspace>/.rdq/runs/<name>-<config hash>/``::

    config.json        the scenario as run
    stages/            cached stage outputs (panel, factors, label, scores, records)
    records.parquet    daily records: date, account, return, cost, turnover, bench, ...
    scores.parquet     test-span predictions: date, asset, score
    ic.parquet         daily IC / Rank IC of the scores
    quantiles.parquet  date, quantile, label
    metrics.json       flat metrics (backtest + signal.*)
    report/            report.html + PNG charts
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from rdq.metrics import Metric
from rdq.pipeline import _adapters as ad
from rdq.pipeline._cache import StageCache, atomic_write_parquet, atomic_write_text
from rdq.pipeline._config import ScenarioConfig, check_segments_in_data, load_scenario, section_hash
from rdq.report import TearSheet, TearSheetFiles, write_tearsheet

__all__ = ["ScenarioResult", "StageName", "STAGES", "run_scenario", "run_dir_for"]

log = logging.getLogger(__name__)

StageName = Literal["data", "factors", "label", "model", "backtest"]
STAGES: tuple[StageName, ...] = ("data", "factors", "label", "model", "backtest")
StageState = Literal["computed", "cached"]


@dataclass(frozen=True)
class ScenarioResult:
    """What :func:`run_scenario` produced.

    Attributes
    ----------
    config:
        The scenario.
    run_dir:
        Its run folder.
    run_id:
        The id the store gave the run.
    records:
        Daily backtest records, ``(n_days, >=6)``: ``date, account, return, cost, turnover, bench, ...``.
    scores:
        Test-span predictions ``date, asset, score``.
    metrics:
        Flat metrics: the backtest's (``excess_with_cost.information_ratio``, ...) and ``signal.ic`` etc.
    ic:
        ``date, ic, rank_ic``.
    quantiles:
        ``date, quantile, label``.
    report:
        Paths of the tear sheet.
    data_fingerprint:
        Content hash of the panel.
    stages:
        ``{stage: "computed" | "cached"}``.
    stage_files:
        ``{stage: path}`` of each stage's cached frame (``data`` is the panel, ``factors`` the
        FactorFrame, ``label`` the label frame), for analyses that reuse them.
    """

    config: ScenarioConfig
    run_dir: Path
    run_id: str
    records: pl.DataFrame
    scores: pl.DataFrame
    metrics: dict[str, Any]
    ic: pl.DataFrame
    quantiles: pl.DataFrame
    report: TearSheetFiles
    data_fingerprint: str
    stages: dict[str, StageState] = field(default_factory=dict)
    stage_files: dict[str, Path] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        """Notebook display: the run (id, folder, span, stages) and its flat :attr:`metrics` as tables."""
        from rdq._html import html_table, metrics_html

        r = self.records
        span = f"{r['date'].min()!s} .. {r['date'].max()!s} ({r.height} days)" if r.height else "no trading days"
        rows: list[list[Any]] = [
            ["run id", self.run_id],
            ["run folder", str(self.run_dir)],
            ["backtest span", span],
            ["stages", ", ".join(f"{k}: {v}" for k, v in self.stages.items()) or "-"],
            ["tear sheet", str(self.report.html)],
        ]
        head = html_table(["scenario", self.config.name], rows, caption=f"Scenario {self.config.name}")
        return head + metrics_html(self.metrics, caption="Metrics")


def _check_segments(cfg: ScenarioConfig, panel: pl.DataFrame) -> None:
    """The scenario's (or its model config's) train/valid/test spans must lie within the panel's dates."""
    if panel.height == 0:
        return
    segments: Any = cfg.segments
    if segments is None and cfg.model.path is not None:
        from rdq.models import load_model_config

        segments = load_model_config(cfg.model.path).data.segments
    lo, hi = panel["date"].min(), panel["date"].max()
    first = lo.date() if isinstance(lo, dt.datetime) else lo
    last = hi.date() if isinstance(hi, dt.datetime) else hi
    assert isinstance(first, dt.date) and isinstance(last, dt.date)
    check_segments_in_data(segments, first, last, source=cfg.source)


def run_dir_for(config: ScenarioConfig, workspace: str | os.PathLike[str]) -> Path:
    """``<workspace>/.rdq/runs/<name>-<hash of the scenario>``: the same scenario always maps to the same folder."""
    body = config.to_dict()
    body.pop("source", None)
    return ad.rdq_dir(workspace) / "runs" / f"{config.name}-{section_hash(body)[:10]}"


def _source_stamp(config: ScenarioConfig) -> list[Any]:
    """Size and mtime of the data source (top-level entries of a folder) so edited data invalidates the cache."""
    path = config.data.path
    if path is None:
        return []
    p = Path(path)
    if not p.exists():
        return [str(p)]
    entries = [p] if p.is_file() else sorted(p.iterdir())[:2000]
    out: list[Any] = []
    for e in entries:
        st = e.stat()
        out.append([e.name, st.st_size, st.st_mtime_ns])
    return out


def _file_digest(path: Path | None) -> str | None:
    if path is None or not path.is_file():
        return None
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


class _Stages:
    """Runs stages through the cache and records which were computed."""

    def __init__(self, cache: StageCache, progress: Callable[[str], None]) -> None:
        self.cache = cache
        self.state: dict[str, StageState] = {}
        self.files: dict[str, Path] = {}
        self.progress = progress

    def run(
        self, stage: StageName, key: str, compute: Callable[[], tuple[pl.DataFrame, dict[str, Any]]]
    ) -> tuple[pl.DataFrame, dict[str, Any]]:
        self.files[stage] = self.cache.frame_path(stage, key)
        hit = self.cache.load(stage, key)
        if hit is not None:
            log.info("stage %s: cached (%s)", stage, key)
            self.state[stage] = "cached"
            self.progress(stage)
            return hit
        log.info("stage %s: computing (%s)", stage, key)
        frame, meta = compute()
        self.cache.save(stage, key, frame, meta)
        self.state[stage] = "computed"
        self.progress(stage)
        return frame, meta


@contextmanager
def _progress_bar(enabled: bool, name: str) -> Iterator[Callable[[str], None]]:
    """Stages done of the scenario ``name`` (:mod:`rdq.progress`: a bar on a terminal, else log lines)."""
    from rdq.progress import progress as report

    with report(f"{name}: data", len(STAGES) + 1, enabled=enabled, logger=log) as bar:

        def step(stage: str) -> None:
            nxt = STAGES[STAGES.index(stage) + 1] if stage in STAGES[:-1] else "report"  # type: ignore[arg-type]
            bar.advance(stage=f"{name}: {nxt}")

        yield step


def _clean(value: Any) -> Any:
    """JSON-safe metric value (NaN/inf -> None)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def run_scenario(
    config: ScenarioConfig | str | os.PathLike[str],
    *,
    workspace: str | os.PathLike[str] = ".",
    progress: bool = True,
    resume: bool = True,
) -> ScenarioResult:
    """Run a scenario end to end and record it in the workspace store.

    Parameters
    ----------
    config:
        A :class:`ScenarioConfig` or the path of a scenario YAML file.
    workspace:
        The project folder: the store is ``<workspace>/.rdq/rdq.duckdb``, run folders ``<workspace>/.rdq/runs/``
        (a folder named ``.rdq`` is taken as that ``.rdq`` folder itself).
    progress:
        Report progress over the stages, factors and model (:mod:`rdq.progress`: a rich bar when
        stderr is a terminal, else INFO lines on the ``rdq.*`` loggers every few seconds).
    resume:
        Reuse finished stages cached in the run folder (``False`` recomputes everything).

    Returns
    -------
    ScenarioResult

    Raises
    ------
    ConfigError, DataError
        From the config or any stage, naming what to fix.
    """
    cfg = config if isinstance(config, ScenarioConfig) else load_scenario(Path(config))
    ws = Path(workspace)
    run_dir = run_dir_for(cfg, ws)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "config.json", json.dumps(cfg.to_dict(), indent=2, sort_keys=True))
    ad.check_model(cfg.model)
    cache = StageCache(run_dir, enabled=resume)

    with _progress_bar(progress, cfg.name) as step:
        st = _Stages(cache, step)

        # data
        data_key = section_hash("data", cfg.data, _source_stamp(cfg))

        def _data() -> tuple[pl.DataFrame, dict[str, Any]]:
            panel = ad.load_data(cfg.data)
            return panel, {"fingerprint": ad.panel_fingerprint(panel), "rows": panel.height}

        panel, data_meta = st.run("data", data_key, _data)
        data_fp = str(data_meta["fingerprint"])
        _check_segments(cfg, panel)  # before any factor or model is computed

        # factors and label
        exprs = ad.feature_expressions(cfg.factors)
        factors_key = section_hash("factors", exprs, data_fp)
        factors, _ = st.run(
            "factors", factors_key, lambda: (ad.compute_factors(panel, exprs, progress=progress), {})
        )
        label_key = section_hash("label", cfg.label, data_fp)
        label, _ = st.run("label", label_key, lambda: (ad.compute_label(panel, cfg.label), {}))

        # model
        model_key = section_hash(
            "model",
            cfg.model,
            _file_digest(cfg.model.path),
            cfg.segments,
            cfg.rolling,
            factors_key,
            label_key,
        )
        # hand the factor frame over to the model stage and drop it here, so its memory is freed as
        # soon as the learning dataset is built (peak memory of the whole pipeline)
        handover = [factors]
        del factors
        scores, _ = st.run(
            "model",
            model_key,
            lambda: (
                ad.fit_predict(
                    handover.pop(),
                    label,
                    model=cfg.model,
                    segments=cfg.segments,
                    rolling=cfg.rolling,
                    progress=progress,
                ),
                {},
            ),
        )

        # backtest
        test_end = cfg.segments.test[1] if cfg.segments is not None else None
        backtest_key = section_hash("backtest", cfg.strategy, test_end, model_key, data_fp)

        def _backtest() -> tuple[pl.DataFrame, dict[str, Any]]:
            bench = cfg.strategy.benchmark
            extra = ad.benchmark_panel(cfg.data, panel, bench)
            bt_panel = panel if extra is None else pl.concat([panel, extra], how="diagonal_relaxed")
            first = scores["date"].min()
            if isinstance(first, dt.date):
                before = bt_panel.filter(pl.col("date") < first)["date"].max()
                bt_panel = bt_panel.filter(
                    pl.col("date") >= (before if isinstance(before, dt.date) else first)
                )
            asset = ad.EW_ASSET if bench == ad.EQUAL_WEIGHT else bench
            records, settings = ad.run_backtest(
                bt_panel, scores, strategy=cfg.strategy, benchmark_asset=asset, end=test_end
            )
            return records, {"settings": settings}

        records, _ = st.run("backtest", backtest_key, _backtest)

        # metrics, signal analysis, outputs
        metrics = ad.summarize_records(records, cfg.metrics)
        ic, quantiles, signal = ad.score_signal(scores, label, quantiles=cfg.metrics.quantiles)
        metrics.update(signal)
        metrics = {k: _clean(v) for k, v in metrics.items()}

        atomic_write_parquet(run_dir / "records.parquet", records)
        atomic_write_parquet(run_dir / "scores.parquet", scores)
        atomic_write_parquet(run_dir / "ic.parquet", ic)
        atomic_write_parquet(run_dir / "quantiles.parquet", quantiles)
        atomic_write_text(run_dir / "metrics.json", json.dumps(metrics, indent=2, sort_keys=True))
        sheet = TearSheet(
            records,
            metrics,
            ic=ic,
            quantiles=quantiles,
            title=f"rdq backtest: {cfg.name}",
            notes={"scenario": str(cfg.source or cfg.name), "data fingerprint": data_fp},
        )
        report = write_tearsheet(sheet, run_dir / "report")
        step("report")

    artifacts = {
        "run_dir": str(run_dir),
        "records": str(run_dir / "records.parquet"),
        "scores": str(run_dir / "scores.parquet"),
        Metric.IC.value: str(run_dir / "ic.parquet"),
        "quantiles": str(run_dir / "quantiles.parquet"),
        "metrics": str(run_dir / "metrics.json"),
        "report": str(report.html),
    }
    store_config = {
        **cfg.to_dict(),
        "data_fingerprint": data_fp,
        "stage_keys": {
            "data": data_key,
            "factors": factors_key,
            "label": label_key,
            "model": model_key,
            "backtest": backtest_key,
        },
    }
    run_id = ad.record_run(
        ws,
        kind="backtest",
        config=store_config,
        metrics=metrics,
        artifacts=artifacts,
        panel=panel,
        source=str(cfg.data.path) if cfg.data.path is not None else f"synthetic:{cfg.data.synthetic}",
    )
    atomic_write_text(
        run_dir / "run.json",
        json.dumps(
            {"run_id": run_id, "stages": st.state, "artifacts": artifacts, "data_fingerprint": data_fp},
            indent=2,
            sort_keys=True,
        ),
    )
    return ScenarioResult(
        config=cfg,
        run_dir=run_dir,
        run_id=run_id,
        records=records,
        scores=scores,
        metrics=metrics,
        ic=ic,
        quantiles=quantiles,
        report=report,
        data_fingerprint=data_fp,
        stages=dict(st.state),
        stage_files=dict(st.files),
    )
