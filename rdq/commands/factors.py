"""``rdq factors ...``: compute factor libraries or expressions, evaluate them, check look-ahead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from rdq.commands.data import ALLOW_HELP
from rdq.errors import ConfigError

__all__ = ["register", "load_data", "parse_expr_options", "compute_python"]

_DATA_HELP = "Market data: Parquet/CSV file, folder of per-asset files, DuckDB or qlib folder."
_LIBRARY_HELP = "A built-in library (alpha158, alpha360: rdq factors list) or a library YAML file."
_EXPR_HELP = "A factor as NAME=EXPR (repeatable), e.g. --expr 'MA5=Mean($close, 5)/$close'."


def load_data(
    path: Path, *, start: str | None = None, end: str | None = None, allow: list[str] | None = None
) -> pl.DataFrame:
    """Load a panel with :func:`rdq.data.load_panel` (the one place to swap the loader).

    ``--start``/``--end`` must be dates, the end not before the start, and within the data (naming its
    first and last date); ``allow`` lists fatal data problems accepted as warnings (``--allow``).
    """
    from rdq.data import load_panel
    from rdq.data._dates import check_span, check_within, parse_date
    from rdq.data._validate import check_allow

    lo = None if start is None else parse_date(start, "--start")
    hi = None if end is None else parse_date(end, "--end")
    check_span(lo, hi, "--start/--end")
    panel = load_panel(path, allow=check_allow(allow))
    if panel.height and (lo is not None or hi is not None):
        first, last = panel["date"].min(), panel["date"].max()
        check_within(lo, hi, first, last, what="--start/--end", data=str(path))  # type: ignore[arg-type]
        if lo is not None:
            panel = panel.filter(pl.col("date") >= lo)
        if hi is not None:
            panel = panel.filter(pl.col("date") <= hi)
    return panel


def _exprs(library: str | None, exprs: list[str] | None) -> dict[str, str]:
    from rdq.factors import load_library

    if library and exprs:
        raise ConfigError("give either --library or --expr, not both")
    if library:
        return load_library(library)
    if not exprs:
        raise ConfigError("nothing to compute: give --library alpha158|alpha360 or --expr NAME=EXPR")
    return parse_expr_options(exprs)


def parse_expr_options(items: list[str]) -> dict[str, str]:
    """``--expr`` values as ``{name: expression}``, in order.

    ``NAME=EXPR`` names a factor; a bare expression (no ``NAME=`` prefix) is named ``f1``, ``f2``, ...
    by its position. ``=`` inside an expression (``If($close==$open, 1, 0)``) is not a name.

    Raises
    ------
    ConfigError
        ``NAME=`` with an empty expression, an empty ``--expr``, or a name given twice (naming both).
    """
    import re

    out: dict[str, str] = {}
    where: dict[str, int] = {}
    for i, item in enumerate(items, 1):
        match = re.match(r"\s*([^=$()\s,<>!]+)\s*=(?!=)(.*)$", item, flags=re.S)
        if match:
            name, text = match.group(1), match.group(2).strip()
            if not text:
                raise ConfigError(
                    f"--expr {item!r} (#{i}): the expression after '{name}=' is empty; "
                    f"write --expr '{name}=Mean($close, 5)/$close'"
                )
        else:
            name, text = f"f{i}", item.strip()
            if not text:
                raise ConfigError(
                    f"--expr #{i} is empty; write --expr 'NAME=EXPR', e.g. --expr 'MA5=Mean($close, 5)'"
                )
        if name in out:
            raise ConfigError(
                f"--expr #{i} names '{name}' again (first given by --expr #{where[name]}: {out[name]!r}); "
                "give every factor its own name"
            )
        out[name] = text
        where[name] = i
    return out


def register(app: typer.Typer) -> None:
    """Add the ``factors`` command group to ``app``."""
    grp = typer.Typer(
        help="Factor expressions: compute, evaluate, check look-ahead, list.", no_args_is_help=True
    )
    app.add_typer(grp, name="factors")

    @grp.command("compute")
    def compute_cmd(
        data: Annotated[Path, typer.Option("--data", help=_DATA_HELP)],
        out: Annotated[
            Path, typer.Option("--out", help="Output Parquet: date, asset, one column per factor.")
        ],
        library: Annotated[str | None, typer.Option("--library", help=_LIBRARY_HELP)] = None,
        expr: Annotated[list[str] | None, typer.Option("--expr", help=_EXPR_HELP)] = None,
        start: Annotated[str | None, typer.Option("--start", help="First date (YYYY-MM-DD).")] = None,
        end: Annotated[str | None, typer.Option("--end", help="Last date (YYYY-MM-DD).")] = None,
        precision: Annotated[
            str, typer.Option("--precision", help="float64, or qlib (float32 like qlib).")
        ] = "float64",
        cache_dir: Annotated[
            Path | None, typer.Option("--cache-dir", help="Cache factor values here.")
        ] = None,
        allow: Annotated[list[str] | None, typer.Option("--allow", help=ALLOW_HELP)] = None,
        strict: Annotated[
            bool,
            typer.Option(
                "--strict", help="A factor reading a field the data lacks (e.g. $vwap) is an error."
            ),
        ] = False,
        dtype: Annotated[
            str, typer.Option("--dtype", help="float64, or float32 (half the file and the memory).")
        ] = "float64",
        chunk_rows: Annotated[
            int | None,
            typer.Option("--chunk-rows", min=1, help="Rows per chunk of assets (default: ~24M values)."),
        ] = None,
        python: Annotated[
            Path | None,
            typer.Option(
                "--python", help="A Python file defining factor(panel) -> date, asset, value; runs sandboxed."
            ),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="With --python: print one JSON line {status, reason, ...}.")
        ] = False,
        timeout_s: Annotated[
            float, typer.Option("--timeout-s", help="--python: wall-clock limit (s).")
        ] = 60.0,
        cpu_s: Annotated[float, typer.Option("--cpu-s", help="--python: CPU-time limit (s).")] = 60.0,
        memory_mb: Annotated[
            int, typer.Option("--memory-mb", help="--python: address-space limit (MiB).")
        ] = 4096,
        nproc: Annotated[int, typer.Option("--nproc", help="--python: process limit.")] = 64,
        file_mb: Annotated[
            int, typer.Option("--file-mb", help="--python: file and directory size limit (MiB).")
        ] = 256,
        output_kb: Annotated[
            int, typer.Option("--output-kb", help="--python: captured output limit (KiB).")
        ] = 1024,
        isolation: Annotated[
            str, typer.Option("--isolation", help="--python: auto (best available), bwrap, unshare or none.")
        ] = "auto",
    ) -> None:
        """Compute factors and write them as Parquet (columns named as qlib names them).

        The panel is computed in chunks of whole assets streamed to the file (rows sorted by asset,
        date). Factors reading a field the data lacks (Alpha158's VWAP0 on OHLCV data) are skipped
        with one warning and listed in the file's metadata key ``rdq.skipped_factors``; --strict
        makes that an error.
        """
        if python is not None:
            if library or expr:
                raise ConfigError(
                    "--python runs a Python factor file and --expr/--library compute expressions: give one of them "
                    f"(drop {'--library' if library else '--expr'} or --python)"
                )
            limits = dict(
                wall_s=timeout_s,
                cpu_s=cpu_s,
                memory_mb=memory_mb,
                nproc=nproc,
                file_mb=file_mb,
                output_kb=output_kb,
            )
            code = compute_python(
                python,
                load=lambda: load_data(data, start=start, end=end, allow=allow),
                out=out,
                limits=limits,
                isolation=isolation,
                as_json=as_json,
            )
            if code:
                raise typer.Exit(code)
            return
        if as_json:
            raise ConfigError("--json goes with --python (a Python factor file); drop --json")
        from rdq.factors import compute_to_parquet

        if dtype not in ("float64", "float32"):
            raise ConfigError(f"--dtype must be float64 or float32, got {dtype!r}")
        if precision not in ("float64", "qlib"):
            raise ConfigError(f"--precision must be float64 or qlib, got {precision!r}")
        exprs = _exprs(library, expr)
        panel = load_data(data, start=start, end=end, allow=allow)
        res = compute_to_parquet(
            panel,
            exprs,
            out,
            chunk_rows=chunk_rows,
            precision=precision,  # type: ignore[arg-type]
            out_dtype=dtype,  # type: ignore[arg-type]
            missing="error" if strict else "skip",
            cache_dir=cache_dir,
            progress=True,
            source=str(data),
        )
        from rdq.progress import is_quiet

        if not is_quiet():
            skipped = f" (skipped {len(res.skipped)}: see the warning)" if res.skipped else ""
            Console(stderr=True, soft_wrap=True).print(
                f"wrote {res.rows:,} rows x {len(res.factors)} factors{skipped} to {out}"
            )

    @grp.command("eval")
    def eval_cmd(
        data: Annotated[Path, typer.Option("--data", help=_DATA_HELP)],
        library: Annotated[str | None, typer.Option("--library", help=_LIBRARY_HELP)] = None,
        expr: Annotated[list[str] | None, typer.Option("--expr", help=_EXPR_HELP)] = None,
        start: Annotated[str | None, typer.Option("--start")] = None,
        end: Annotated[str | None, typer.Option("--end")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        allow: Annotated[list[str] | None, typer.Option("--allow", help=ALLOW_HELP)] = None,
    ) -> None:
        """IC / RankIC / ICIR report of factors against qlib's default label."""
        from rdq.factors import compute
        from rdq.signal import signal_report

        exprs = _exprs(library, expr)
        panel = load_data(data, start=start, end=end, allow=allow)
        frame = compute(panel, exprs, progress=True)  # progress goes to stderr: --json stdout stays pure
        report = signal_report(frame, panel=panel, horizons=None)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), indent=2, default=_json_default))
            return
        from rdq.signal import report_table

        Console().print(report_table(report))

    @grp.command("check")
    def check_cmd(
        data: Annotated[Path, typer.Option("--data", help=_DATA_HELP)],
        expr: Annotated[list[str] | None, typer.Option("--expr", help=_EXPR_HELP)] = None,
        library: Annotated[
            str | None,
            typer.Option("--library", help="Check every factor of a library (alpha158, alpha360) instead."),
        ] = None,
        n_cuts: Annotated[int, typer.Option("--n-cuts", help="Truncation dates to test.")] = 5,
        as_json: Annotated[bool, typer.Option("--json", help="Print each factor's verdict as JSON.")] = False,
        allow: Annotated[list[str] | None, typer.Option("--allow", help=ALLOW_HELP)] = None,
    ) -> None:
        """Check factors for look-ahead: a table of each one's verdict; exits 1 when one reads the future."""
        from rdq.factors import check_lookahead

        exprs = _exprs(library, expr)
        panel = load_data(data, allow=allow)
        reports = check_lookahead(panel, exprs, n_cuts=n_cuts)
        if as_json:
            typer.echo(json.dumps(reports.to_dict(), indent=2, default=str))
        else:
            _print_verdicts(reports, title=library or "look-ahead check")
        if reports.looks_ahead:
            raise typer.Exit(1)

    @grp.command("export")
    def export_cmd(
        run: Annotated[
            str, typer.Argument(help="A research run id (or a unique prefix): rdq research list.")
        ],
        out: Annotated[
            Path, typer.Option("--out", "-o", help="The library file to write, e.g. factors/mine.yaml.")
        ],
        with_base: Annotated[
            bool,
            typer.Option("--with-base", help="Put the run's base factors first (the full SOTA library)."),
        ] = False,
        workspace: Annotated[
            Path, typer.Option("--workspace", "-w", help="The workspace of the run (default: here).")
        ] = Path("."),
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Write a research run's accepted factors as a library file (--library FILE reads it)."""
        from rdq.agent._export import export_factors

        res = export_factors(run, out, workspace=workspace, with_base=with_base)
        if as_json:
            typer.echo(json.dumps(res, indent=2))
        else:
            Console().print(
                f"wrote {res['n_factors']} factors to {res['path']}: rdq factors compute --library {res['path']} ..."
            )
            for name, file in res["python_factors"].items():
                Console().print(f"  {name} is a Python factor, not in the library: rdq factors compute --python {file} ...")

    @grp.command("list")
    def list_cmd(
        library: Annotated[str | None, typer.Option("--library", help="Show this library's factors.")] = None,
    ) -> None:
        """List libraries, or a library's factors with their expressions."""
        from rdq.factors import list_libraries, load_library, operator_names

        console = Console()
        if library is None:
            for name in list_libraries():
                console.print(f"{name}: {len(load_library(name))} factors (built-in: --library {name})")
            console.print("or pass a library YAML file: --library path/to/library.yaml")
            console.print(f"operators: {', '.join(operator_names())}")
            return
        table = Table(title=library)
        table.add_column("name")
        table.add_column("expression")
        for name, text in load_library(library).items():
            table.add_row(name, text)
        console.print(table)


def compute_python(
    path: Path,
    *,
    load: Any,
    out: Path,
    limits: dict[str, Any],
    isolation: str = "auto",
    as_json: bool = False,
) -> int:
    """``rdq factors compute --python``: run ``factor(panel)`` of ``path`` sandboxed; return the exit code.

    Writes ``out`` (date, asset, value) when the run is ``ok`` (exit 0); any other status exits 2.
    With ``as_json`` one JSON line goes to stdout (bad input included, as status ``error``).
    """
    from rdq.errors import RdqError
    from rdq.sandbox import Limits, run_python_factor

    def emit(payload: dict[str, Any]) -> int:
        ok = payload["status"] == "ok"
        if as_json:
            typer.echo(json.dumps(payload, default=str))
        else:
            Console(stderr=True, soft_wrap=True, highlight=False).print(
                payload["reason"] if not ok else f"wrote {payload['rows']:,} rows to {out}", markup=False
            )
            if not ok and payload.get("traceback_tail"):
                Console(stderr=True, soft_wrap=True, highlight=False).print(
                    payload["traceback_tail"], markup=False
                )
        return 0 if ok else 2

    try:
        if not path.is_file():
            raise ConfigError(
                f"--python {path}: no such file; give the path of a .py file defining factor(panel)"
            )
        source = path.read_text(encoding="utf-8")
        lim = Limits(**limits)
        panel = load()
        res, frame = run_python_factor(source, panel, limits=lim, isolation=isolation)  # type: ignore[arg-type]
    except RdqError as exc:
        if not as_json:
            raise
        return emit({"status": "error", "reason": f"error: {exc.one_line()}"})
    payload = res.to_dict()
    payload.update(file=str(path), rows=0, out=None)
    if frame is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(out)
        payload.update(rows=frame.height, out=str(out))
    if as_json:
        payload.pop("stdout")
        payload.pop("stderr")
        payload["stdout_tail"] = res.stdout[-2000:]
        payload["stderr_tail"] = res.stderr[-2000:]
    return emit(payload)


def _print_verdicts(reports: Any, *, title: str) -> None:
    """A table of :class:`rdq.factors.LookaheadReports`: name, verdict, expression, why."""
    style = {"ok": "green", "looks ahead": "bold red", "exempt": "yellow", "skipped": "yellow"}
    table = Table(title=title)
    for col in ("factor", "verdict", "expression", "detail"):
        table.add_column(col, overflow="fold")
    for r in reports:
        table.add_row(r.name, f"[{style[r.verdict]}]{r.verdict}[/]", r.expr, r.detail)
    console = Console()
    console.print(table)
    counts = {v: sum(r.verdict == v for r in reports) for v in style}
    console.print(", ".join(f"{n} {v}" for v, n in counts.items() if n))


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)
