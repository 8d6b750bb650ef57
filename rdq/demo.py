"""``rdq demo``: the main job on the embedded default data.

Generates the seeded synthetic market (with planted alphas), computes Alpha158 on it, and prints the
signal report: the strongest Alpha158 factors, and whether the engine rediscovers each planted alpha
at the strength the simulation put in. Everything lands in a workspace folder (``.rdq/demo``): the
panel and its truth, the factor values, the reports, and the DuckDB catalog.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

__all__ = ["DemoConfig", "run_demo", "register"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoConfig:
    """Settings of the demo.

    Attributes
    ----------
    workspace:
        Folder for every output (created).
    n_assets, n_days, seed:
        Size and seed of the synthetic market.
    library:
        Factor library to compute (``alpha158`` or ``alpha360``).
    top:
        How many of the library's factors to show, by absolute Rank IC.
    """

    workspace: Path = Path(".rdq/demo")
    n_assets: int = 300
    n_days: int = 2000
    seed: int = 0
    library: str = "alpha158"
    top: int = 12
    progress: bool = True


@dataclass
class DemoResult:
    """What the demo produced: file paths, timings and the summary figures."""

    paths: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    planted: list[dict[str, Any]] = field(default_factory=list)
    top_factors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"paths": self.paths, "seconds": self.seconds, "planted": self.planted, "top_factors": self.top_factors}


def _atomic_write_parquet(frame: pl.DataFrame, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    frame.write_parquet(tmp)
    os.replace(tmp, path)


def run_demo(config: DemoConfig = DemoConfig(), *, console: Console | None = None) -> DemoResult:
    """Run the demo; returns paths, timings and figures (see :class:`DemoResult`)."""
    from rdq.data import synth_market, write_synth
    from rdq.factors import compute, load_library
    from rdq.signal import Metric, default_label, signal_report
    from rdq.store import Store

    con = console or Console(quiet=True)
    ws = Path(config.workspace)
    ws.mkdir(parents=True, exist_ok=True)
    out = DemoResult()

    t0 = time.perf_counter()
    with con.status("generating the synthetic market ..."):
        market = synth_market(n_assets=config.n_assets, n_days=config.n_days, seed=config.seed)
        panel_path = ws / "market.parquet"
        write_synth(panel_path, market)
    out.seconds["synth"] = time.perf_counter() - t0
    out.paths["panel"] = str(panel_path)
    panel = market.panel
    dates = panel["date"].unique().sort()
    con.print(
        f"synthetic market: {panel['asset'].n_unique()} assets x {panel['date'].n_unique()} days "
        f"({dates[0]} .. {dates[-1]}), seed {config.seed} -> {panel_path}"
    )

    t0 = time.perf_counter()
    exprs = load_library(config.library)
    factors = compute(panel, exprs, cache_dir=ws / "cache", progress=config.progress and not con.quiet)
    out.seconds["factors"] = time.perf_counter() - t0
    factors_path = ws / f"{config.library}.parquet"
    _atomic_write_parquet(factors, factors_path)
    out.paths["factors"] = str(factors_path)
    con.print(f"{config.library}: {len(exprs)} factors in {out.seconds['factors']:.1f} s -> {factors_path}")

    t0 = time.perf_counter()
    label = default_label(panel)
    report = signal_report(factors, label, panel=panel, horizons=(1, 5, 20))
    # the truth's IC is measured once every planted alpha is defined (after the warm-up days)
    first = panel["date"].unique().sort()[int(market.truth["warmup_days"])]
    planted = compute(panel, market.expressions).filter(pl.col("date") >= first)
    planted_report = signal_report(planted, label, horizons=())
    out.seconds["signal"] = time.perf_counter() - t0

    frame = report.to_frame()
    ranked = frame.with_columns(pl.col(Metric.RANK_IC.value).abs().alias("_abs")).sort("_abs", descending=True, nulls_last=True)
    top = ranked.head(config.top).drop("_abs")
    out.top_factors = top.select("factor", Metric.IC.value, Metric.RANK_IC.value, Metric.ICIR.value, Metric.RANK_ICIR.value).to_dicts()
    report_path = ws / f"{config.library}_signal.parquet"
    _atomic_write_parquet(frame, report_path)
    out.paths["signal_report"] = str(report_path)

    table = Table(title=f"{config.library} on the synthetic market: top {config.top} by |Rank IC|")
    for head in ("factor", "IC", "Rank IC", "ICIR", "Rank ICIR", "t(IC)"):
        table.add_column(head, justify="left" if head == "factor" else "right")
    for row in top.iter_rows(named=True):
        table.add_row(
            row["factor"],
            *(f"{row[m.value]:.4f}" if row[m.value] is not None else "-" for m in (Metric.IC, Metric.RANK_IC, Metric.ICIR, Metric.RANK_ICIR)),
            f"{row[Metric.IC_TSTAT.value]:.1f}" if row[Metric.IC_TSTAT.value] is not None else "-",
        )
    con.print(table)

    truth = {a["name"]: a for a in market.truth["alphas"]}
    ptable = Table(title="planted alphas: rediscovered by the expression engine?")
    for head in ("alpha", "expression", "target IC", "measured IC", "Rank IC", "t(IC)"):
        ptable.add_column(head, justify="left" if head in ("alpha", "expression") else "right")
    for sig in planted_report.factors:
        t = truth[sig.name]
        row = {
            "name": sig.name,
            "expr": t["expr"],
            "target_ic": t["target_ic"],
            "ic": sig[Metric.IC],
            "rank_ic": sig[Metric.RANK_IC],
            "ic_tstat": sig[Metric.IC_TSTAT],
        }
        out.planted.append(row)
        ptable.add_row(sig.name, t["expr"], f"{t['target_ic']:.3f}", f"{row['ic']:.4f}", f"{row['rank_ic']:.4f}", f"{row['ic_tstat']:.1f}")
    con.print(ptable)

    store_path = ws / "rdq.duckdb"
    store = Store(store_path)
    with store.transaction() as tx:
        fingerprint = tx.add_dataset(panel, source=str(panel_path))
        tx.add_signal_report(report, dataset=fingerprint, expressions=exprs, library=config.library)
        tx.add_signal_report(planted_report, dataset=fingerprint, expressions=market.expressions, library="planted")
    out.paths["store"] = str(store_path)
    con.print(f"catalog: {store_path}  ({sum(out.seconds.values()):.1f} s in all)")
    return out


def register(app: typer.Typer) -> None:
    """Add ``rdq demo`` to the CLI."""

    @app.command("demo")
    def demo(
        workspace: Path = typer.Option(Path(".rdq/demo"), help="Folder for the outputs."),
        assets: int = typer.Option(300, help="Number of synthetic assets."),
        days: int = typer.Option(2000, help="Number of synthetic trading days."),
        seed: int = typer.Option(0, help="Seed of the synthetic market."),
        library: str = typer.Option("alpha158", help="Factor library: alpha158 or alpha360."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON summary instead of tables."),
    ) -> None:
        """Run the main job on the embedded default data: synthetic market -> Alpha158 -> signal report."""
        cfg = DemoConfig(workspace=workspace, n_assets=assets, n_days=days, seed=seed, library=library, progress=not as_json)
        result = run_demo(cfg, console=Console(quiet=as_json))
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
