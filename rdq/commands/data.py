"""``rdq data ...``: simulate, validate, inspect and export market data."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from rdq.data._io import write_panel_file
from rdq.errors import ConfigError, ValidationError

__all__ = ["register", "ALLOW_HELP"]


class ExportFormat(StrEnum):
    QLIB = "qlib"
    PARQUET = "parquet"
    CSV = "csv"


_MAP_HELP = "Rename a source column: --map OLD=NEW (repeatable), e.g. --map Name=asset --map timestamp=date."
#: help of ``--allow`` (every command that loads a panel has it)
ALLOW_HELP = (
    "Accept a fatal data problem as a warning (repeatable): all_null (a column without one finite value), "
    "high_below_low, non_positive_price, negative_volume."
)


def _parse_map(items: list[str] | None) -> dict[str, str] | None:
    if not items:
        return None
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--map {item!r}: expected OLD=NEW, e.g. --map symbol=asset")
        old, new = item.split("=", 1)
        out[old.strip()] = new.strip()
    return out


def _console() -> Console:
    return Console(stderr=False, soft_wrap=True)


def _emit_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, default=str))


def _progress(console: Console, text: str) -> Any:
    """A spinner on stderr (a closing INFO line when stderr is no terminal): ``--json`` stdout stays clean."""
    del console
    from rdq.progress import progress

    return progress(text, None, logger=__name__)


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group to ``app``."""
    data = typer.Typer(
        help="Market data: simulate, validate, inspect and export panels.", no_args_is_help=True
    )
    app.add_typer(data, name="data")

    @data.command("synth")
    def synth_cmd(
        out: Annotated[Path, typer.Option("--out", help="Where to write the panel (.parquet or .csv).")],
        assets: Annotated[int, typer.Option("--assets", min=1, help="Number of assets.")] = 300,
        days: Annotated[int, typer.Option("--days", min=1, help="Number of business days.")] = 2000,
        seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 0,
        start: Annotated[
            str, typer.Option("--start", help="First business day (YYYY-MM-DD).")
        ] = "2015-01-01",
        as_json: Annotated[bool, typer.Option("--json", help="Print the truth as JSON.")] = False,
    ) -> None:
        """Simulate a market with planted alphas; write PATH and its truth to PATH.truth.json."""
        from rdq.data._synth import synth_market, truth_path, write_synth

        console = _console()
        with _progress(console, f"simulating {assets} assets x {days} days"):
            market = synth_market(n_assets=assets, n_days=days, seed=seed, start=start)
            write_synth(out, market)
        truth = market.truth
        if as_json:
            _emit_json({"path": str(out), "truth_path": str(truth_path(out)), **truth})
            return
        table = Table(title=f"planted alphas (label {truth['label']})")
        for col in ("name", "expression", "weight", "target IC", "measured IC", "rank IC"):
            table.add_column(col)
        for a in truth["alphas"]:
            table.add_row(
                a["name"],
                a["expr"],
                f"{a['weight']:.3f}",
                f"{a['target_ic']:.3f}",
                _fmt(a["measured_ic"]),
                _fmt(a["measured_rank_ic"]),
            )
        console.print(
            f"wrote [bold]{out}[/] ({assets} assets x {days} days, {truth['start']} .. {truth['end']}, "
            f"fingerprint {truth['fingerprint']}) and {truth_path(out)}"
        )
        console.print(table)

    @data.command("validate")
    def validate_cmd(
        path: Annotated[Path, typer.Argument(help="Parquet/CSV file, folder, DuckDB file or qlib folder.")],
        map_: Annotated[list[str] | None, typer.Option("--map", help=_MAP_HELP)] = None,
        repair: Annotated[
            str | None,
            typer.Option(
                "--repair", help="Comma-separated repairs: duplicates,high_low,nan,nonpositive or all."
            ),
        ] = None,
        out: Annotated[
            Path | None, typer.Option("--out", help="Write the (repaired) panel here (.parquet/.csv).")
        ] = None,
        table: Annotated[str | None, typer.Option("--table", help="DuckDB table to read.")] = None,
        query: Annotated[str | None, typer.Option("--query", help="DuckDB SQL query to read.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        max_rows: Annotated[int, typer.Option("--max-rows", help="Issues shown in the table.")] = 30,
        allow: Annotated[list[str] | None, typer.Option("--allow", help=ALLOW_HELP)] = None,
    ) -> None:
        """Check data quality; exit 0 with a report of soft problems, 2 on a fatal one."""
        from rdq.data._loaders import read_source
        from rdq.data._validate import (
            ROW_COL,
            SRC_COL,
            ValidationReport,
            check_allow,
            merge_reports,
            repair_panel,
            validate_panel,
        )

        allowed = check_allow(allow)
        console = _console()
        with _progress(console, f"reading {path}"):
            loaded, report = read_source(path, mapping=_parse_map(map_), table=table, query=query)
        changes: dict[str, int] = {}
        frame = loaded.frame
        if repair:
            actions = [a.strip() for a in repair.split(",") if a.strip()]
            frame, changes = repair_panel(frame, actions)
            parse = ValidationReport(
                issues=tuple(
                    i for i in report.issues if str(i.kind) in {"bad_date", "bad_number", "missing_asset"}
                ),
                counts={
                    k: v for k, v in report.counts.items() if k in {"bad_date", "bad_number", "missing_asset"}
                },
                null_counts={},
            )
            report = merge_reports(parse, validate_panel(frame, source=loaded.source, files=loaded.files))
        report = report.allowing(allowed)
        if as_json:
            _emit_json({**report.to_dict(), "repairs": changes})
        else:
            console.print(report.render(max_rows=max_rows))
            console.print(report.summary())
            if changes:
                console.print("repairs: " + ", ".join(f"{k}: {v}" for k, v in changes.items()))
        if out is not None:
            if not report.ok:
                raise ValidationError(
                    f"not writing {out}: fatal problems remain; " + report.fatal[0].message,
                    file=report.fatal[0].file,
                    row=report.fatal[0].row,
                    column=report.fatal[0].column,
                    fix=report.fatal[0].fix,
                )
            write_panel_file(frame.drop([c for c in (ROW_COL, SRC_COL) if c in frame.columns]), out)
            if not as_json:
                console.print(f"wrote {out}")
        if not report.ok:
            report.raise_if_fatal()

    @data.command("info")
    def info_cmd(
        path: Annotated[Path, typer.Argument(help="Parquet/CSV file, folder, DuckDB file or qlib folder.")],
        map_: Annotated[list[str] | None, typer.Option("--map", help=_MAP_HELP)] = None,
        table: Annotated[str | None, typer.Option("--table", help="DuckDB table to read.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    ) -> None:
        """Summarise a panel: assets, dates, range, fields and fingerprint."""
        from rdq.data._loaders import load_panel
        from rdq.data.schema import field_columns, panel_fingerprint

        console = _console()
        with _progress(console, f"reading {path}"):
            panel = load_panel(path, mapping=_parse_map(map_), table=table, strict=False)
        info: dict[str, Any] = {
            "path": str(path),
            "rows": panel.height,
            "assets": panel["asset"].n_unique() if panel.height else 0,
            "dates": panel["date"].n_unique() if panel.height else 0,
            "start": str(panel["date"].min()) if panel.height else None,
            "end": str(panel["date"].max()) if panel.height else None,
            "fields": field_columns(panel),
            "fingerprint": panel_fingerprint(panel),
        }
        if as_json:
            _emit_json(info)
            return
        t = Table(title=str(path), show_header=False)
        for k, v in info.items():
            t.add_row(k, ", ".join(v) if isinstance(v, list) else str(v))
        console.print(t)

    @data.command("export")
    def export_cmd(
        path: Annotated[Path, typer.Argument(help="Parquet/CSV file, folder, DuckDB file or qlib folder.")],
        out: Annotated[
            Path, typer.Option("--out", help="Output folder (qlib) or file/folder (parquet, csv).")
        ],
        fmt: Annotated[
            ExportFormat, typer.Option("--format", help="qlib, parquet or csv.")
        ] = ExportFormat.PARQUET,
        map_: Annotated[list[str] | None, typer.Option("--map", help=_MAP_HELP)] = None,
        table: Annotated[str | None, typer.Option("--table", help="DuckDB table to read.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
        allow: Annotated[list[str] | None, typer.Option("--allow", help=ALLOW_HELP)] = None,
    ) -> None:
        """Convert a panel to a qlib binary folder, a Parquet file or a CSV file."""
        from rdq.data._loaders import load_panel
        from rdq.data._validate import check_allow

        allowed = check_allow(allow)
        console = _console()
        with _progress(console, f"reading {path}"):
            panel = load_panel(path, mapping=_parse_map(map_), table=table, strict=True, allow=allowed)
        with _progress(console, f"writing {fmt.value} to {out}"):
            if fmt == ExportFormat.QLIB:
                from rdq.data.qlib_bin import write_qlib_dir

                target = write_qlib_dir(panel, out)
            else:
                target = out / f"{path.stem.split('.')[0]}.{fmt.value}" if out.is_dir() else out
                if target.suffix.lower() != f".{fmt.value}":
                    raise ConfigError(f"--out {out}: use a .{fmt.value} file name or an existing folder")
                write_panel_file(panel, target)
        if as_json:
            _emit_json({"path": str(target), "format": fmt.value, "rows": panel.height})
        else:
            console.print(f"wrote {fmt.value} {target} ({panel.height} rows)")


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"
