"""Read and write qlib's binary data folder, without qlib.

Layout (what ``qlib.init(provider_uri=DIR)`` reads)::

    DIR/
      calendars/day.txt                  one YYYY-MM-DD per line, the trading calendar
      instruments/all.txt                SYMBOL<TAB>YYYY-MM-DD<TAB>YYYY-MM-DD  (first and last date)
      features/<symbol lower>/<field>.day.bin
                                         little-endian float32: [start index in calendar, v0, v1, ...]
                                         dense from the start index to the last date, NaN in gaps

Reading is a few ``numpy.fromfile`` calls per instrument, so a whole cn_data folder loads in seconds.
Writing also adds ``change`` (= close / previous close - 1, what qlib's exchange uses for price limits)
and ``factor`` (1.0 when the panel has none), so qlib's backtest can run on the exported folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from datetime import date as Date
from pathlib import Path

import numpy as np
import polars as pl

from rdq import _files
from rdq.data.schema import KEY_COLUMNS, normalize_panel
from rdq.errors import DataError, did_you_mean

__all__ = ["write_qlib_dir", "read_qlib_dir", "read_calendar", "read_instruments", "is_qlib_dir"]

_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def _fname(symbol: str) -> str:
    """qlib's ``code_to_fname(code).lower()``."""
    return ("_qlib_" + symbol if symbol.upper() in _RESERVED else symbol).lower()


def is_qlib_dir(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` looks like a qlib data folder."""
    p = Path(path)
    return (p / "calendars" / "day.txt").is_file() and (p / "features").is_dir()


def read_calendar(path: str | os.PathLike[str], *, freq: str = "day") -> list[Date]:
    """The trading calendar of a qlib folder, as dates."""
    cal = Path(path) / "calendars" / f"{freq}.txt"
    if not cal.is_file():
        raise DataError(
            "not a qlib data folder: no calendar",
            file=str(cal),
            fix="point at the folder that holds calendars/, instruments/ and features/",
        )
    out: list[Date] = []
    for i, line in enumerate(cal.read_text().split(), start=1):
        try:
            out.append(Date.fromisoformat(line[:10]))
        except ValueError:
            raise DataError(
                f"bad date {line!r} in calendar", file=str(cal), row=i, fix="one YYYY-MM-DD per line"
            ) from None
    return out


def read_instruments(path: str | os.PathLike[str], *, market: str = "all") -> dict[str, tuple[Date, Date]]:
    """``{SYMBOL: (first, last)}`` from ``instruments/<market>.txt`` (or a path to such a file).

    A symbol listed on several lines (qlib allows several spans) keeps its widest span.
    """
    p = Path(path)
    file = p if p.is_file() else p / "instruments" / f"{market}.txt"
    if not file.is_file():
        markets = sorted(f.stem for f in (p / "instruments").glob("*.txt")) if p.is_dir() else []
        raise DataError(
            f"no instruments file for market '{market}'{did_you_mean(market, markets)}",
            file=str(file),
            fix=f"use a market of the folder ({', '.join(markets) or 'none found'}) as universe= in Python or "
            "data.universe in a scenario, or a path to an instruments .txt file",
        )
    spans: dict[str, tuple[Date, Date]] = {}
    for i, line in enumerate(file.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        try:
            sym, start, end = parts[0], Date.fromisoformat(parts[1][:10]), Date.fromisoformat(parts[2][:10])
        except (IndexError, ValueError):
            raise DataError(
                f"cannot read {line!r}",
                file=str(file),
                row=i,
                fix="lines look like SYMBOL<TAB>2010-01-04<TAB>2020-12-31",
            ) from None
        if sym in spans:
            start, end = min(start, spans[sym][0]), max(end, spans[sym][1])
        spans[sym] = (start, end)
    return spans


def read_qlib_dir(
    path: str | os.PathLike[str],
    *,
    instruments: str | Sequence[str] = "all",
    start: str | Date | None = None,
    end: str | Date | None = None,
    fields: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Load a qlib binary folder as a canonical panel.

    Parameters
    ----------
    path:
        The folder holding ``calendars/``, ``instruments/`` and ``features/``.
    instruments:
        A market name (``"all"``, ``"csi300"``: reads ``instruments/<name>.txt``), a path to an instruments
        file, or a list of symbols.
    start, end:
        Inclusive date bounds.
    fields:
        Fields to read (default: every ``*.day.bin`` of the first instrument, ``change`` excepted).

    Returns
    -------
    pl.DataFrame
        ``date, asset, <fields>`` sorted by ``(asset, date)``; rows where every field is NaN are dropped.
    """
    root = Path(path)
    calendar = np.array(read_calendar(root), dtype="datetime64[D]")
    if isinstance(instruments, str):
        symbols = sorted(
            read_instruments(Path(instruments) if Path(instruments).is_file() else root, market=instruments)
        )
    else:
        symbols = list(instruments)
    lo = 0 if start is None else int(np.searchsorted(calendar, np.datetime64(str(start)[:10], "D"), "left"))
    hi = (
        len(calendar)
        if end is None
        else int(np.searchsorted(calendar, np.datetime64(str(end)[:10], "D"), "right"))
    )
    frames: list[pl.DataFrame] = []
    for sym in symbols:
        folder = root / "features" / _fname(sym)
        if not folder.is_dir():
            raise DataError(
                f"instrument '{sym}' has no features folder",
                file=str(folder),
                fix="check the instruments file against features/",
            )
        names = (
            list(fields)
            if fields is not None
            else sorted(
                f.name.split(".")[0] for f in folder.glob("*.day.bin") if f.name.split(".")[0] != "change"
            )
        )
        cols: dict[str, np.ndarray] = {}
        first, last = len(calendar), 0
        raw: dict[str, tuple[int, np.ndarray]] = {}
        for name in names:
            f = folder / f"{name}.day.bin"
            if not f.is_file():
                raise DataError(
                    f"missing field '{name}' for '{sym}'",
                    file=str(f),
                    column=name,
                    fix="export that field, or leave it out of fields=",
                )
            arr = np.fromfile(f, dtype="<f4")
            if arr.size == 0:
                continue
            s = int(arr[0])
            raw[name] = (s, arr[1:].astype(np.float64))
            first, last = min(first, s), max(last, s + arr.size - 1)
        a, b = max(first, lo), min(last, hi)
        if b <= a:
            continue
        for name, (s, vals) in raw.items():
            dense = np.full(b - a, np.nan)
            i0, i1 = max(a, s), min(b, s + vals.size)
            if i1 > i0:
                dense[i0 - a : i1 - a] = vals[i0 - s : i1 - s]
            cols[name] = dense
        frame = pl.DataFrame({"date": calendar[a:b], "asset": [sym] * (b - a), **cols})
        frames.append(frame)
    if not frames:
        return normalize_panel(
            pl.DataFrame(
                {"date": [], "asset": [], **{c: [] for c in ("open", "high", "low", "close", "volume")}},
                schema={
                    "date": pl.Date,
                    "asset": pl.Utf8,
                    **{c: pl.Float64 for c in ("open", "high", "low", "close", "volume")},
                },
            )
        )
    panel = pl.concat(frames, how="diagonal_relaxed").with_columns(pl.col("date").cast(pl.Date))
    value_cols = [c for c in panel.columns if c not in KEY_COLUMNS]
    panel = panel.filter(~pl.all_horizontal([pl.col(c).is_nan() for c in value_cols]))
    if all(c in panel.columns for c in ("open", "high", "low", "close", "volume")):
        return normalize_panel(panel, source=str(root))
    return panel.with_columns(pl.col(value_cols).fill_nan(None)).sort(["asset", "date"])


def write_qlib_dir(
    panel: pl.DataFrame,
    out_dir: str | os.PathLike[str],
    *,
    fields: Sequence[str] | None = None,
    add_change: bool = True,
) -> Path:
    """Write ``panel`` as a qlib binary folder (atomically: a temp folder renamed into place).

    Parameters
    ----------
    panel:
        A canonical panel (``date, asset, open, high, low, close, volume[, vwap, factor, ...]``), daily.
    out_dir:
        Destination folder; replaced if it exists.
    fields:
        Fields to write (default: all numeric fields).
    add_change:
        Also write ``change`` = close / previous close - 1 (qlib's exchange needs it for price limits), and
        ``factor`` = 1.0 when the panel has none.

    Returns
    -------
    Path
        ``out_dir``.
    """
    out = Path(out_dir)
    if panel.height == 0:
        raise DataError("cannot export an empty panel", fix="check the date range and universe")
    if panel.schema["date"] != pl.Date:
        raise DataError(
            "qlib export supports daily panels only",
            column="date",
            fix="resample intraday bars to days first",
        )
    names = list(fields) if fields is not None else [c for c in panel.columns if c not in KEY_COLUMNS]
    panel = panel.sort(["asset", "date"])
    if add_change:
        if "factor" not in panel.columns:
            panel = panel.with_columns(pl.lit(1.0).alias("factor"))
            names.append("factor")
        panel = panel.with_columns(
            (pl.col("close") / pl.col("close").shift(1).over("asset") - 1).alias("change")
        )
        names.append("change")
    calendar = panel["date"].unique().sort()
    cal_np = calendar.to_numpy().astype("datetime64[D]")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(_files.mkdtemp(prefix=".qlib-", dir=out.parent))
    try:
        (tmp / "calendars").mkdir()
        (tmp / "instruments").mkdir()
        (tmp / "calendars" / "day.txt").write_text("\n".join(str(d) for d in calendar.to_list()) + "\n")
        lines = []
        date_idx = np.searchsorted(cal_np, panel["date"].to_numpy().astype("datetime64[D]"))
        assets = panel["asset"].to_numpy()
        bounds = np.flatnonzero(assets[1:] != assets[:-1]) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(assets)]])
        values = {n: panel[n].cast(pl.Float64).fill_null(np.nan).to_numpy() for n in names}
        for s, e in zip(starts, ends, strict=True):
            sym = str(assets[s])
            idx = date_idx[s:e]
            first, last = int(idx[0]), int(idx[-1])
            lines.append(f"{sym}\t{cal_np[first]}\t{cal_np[last]}")
            folder = tmp / "features" / _fname(sym)
            folder.mkdir(parents=True)
            for n in names:
                dense = np.full(last - first + 1, np.nan, dtype="<f4")
                dense[idx - first] = values[n][s:e]
                np.concatenate([np.array([first], dtype="<f4"), dense]).astype("<f4").tofile(
                    folder / f"{n}.day.bin"
                )
        (tmp / "instruments" / "all.txt").write_text("\n".join(lines) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
