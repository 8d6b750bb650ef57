"""Temporal values: casts, extractors and arithmetic (q types 12-19); literals and console text are
in :mod:`rdq.qlang._temporal_text` (re-exported here).

Representation (KX reference, "Datatypes"): each temporal type is a count from the epoch
``2000.01.01D00:00`` (or from midnight):

======  =========  =======  ==========================================
type    name       storage  unit
======  =========  =======  ==========================================
12 p    timestamp  int64    nanoseconds since 2000.01.01D00:00
13 m    month      int32    months since 2000.01
14 d    date       int32    days since 2000.01.01
15 z    datetime   float64  days since 2000.01.01 (fraction: time of day)
16 n    timespan   int64    nanoseconds
17 u    minute     int32    minutes
18 v    second     int32    seconds
19 t    time       int32    milliseconds
======  =========  =======  ==========================================

Nulls are the integer null of the storage type (``0Nd`` is ``-0W`` of int less one), infinities the
largest integer (``0Wd``); datetime uses NaN and inf as floats do.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from rdq.qlang._temporal_text import (
    _IMAX,
    _NS,
    NS_DAY,
    TEMPORAL,
    fill_null,
    fmt_temporal_atom,
    fmt_temporal_cells,
    fmt_temporal_vec,
    parse_literal,
    temporal_text,
)
from rdq.qlang._values import DTYPES, NULLS, TYPE_CHARS, A, QError, V

__all__ = [
    "TEMPORAL",
    "fill_null",
    "parse_literal",
    "fmt_temporal_atom",
    "fmt_temporal_vec",
    "fmt_temporal_cells",
    "temporal_text",
    "cast_temporal",
    "parse_temporal_str",
    "temporal_arith",
    "to_common",
    "EXTRACTORS",
    "extract",
]


# -- casts --------------------------------------------------------------------


def _arr(y: Any) -> tuple[np.ndarray, bool]:
    if type(y) is A:
        return np.array([y.v], dtype=DTYPES[y.t] if y.t != 1 else np.int64), True
    return y.a, False


def _out(t: int, r: np.ndarray, scalar: bool) -> Any:
    r = np.asarray(r).astype(DTYPES[t])
    if scalar:
        v = r[0].item()
        return A(t, float(v) if t in (8, 9, 15) else int(v))
    return V(t, r)


def _to_ns(t: int, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(nanoseconds since epoch or midnight as int64, null mask, +inf/-inf sign) for a temporal array."""
    if t == 15:
        nul = np.isnan(a)
        inf = np.where(np.isinf(a), np.sign(a), 0).astype(np.int64)
        ms = np.round(np.where(nul | (inf != 0), 0, a) * 86_400_000).astype(np.int64)
        return ms * 10**6, nul, inf
    a64 = a.astype(np.int64)
    nul = a64 == NULLS[t]
    inf = np.where(a64 == _IMAX[t], 1, np.where(a64 == -_IMAX[t], -1, 0))
    if t in (13, 14):
        days = a64 if t == 14 else _month_to_days(np.where(nul | (inf != 0), 0, a64))
        # beyond a timestamp's range (about 1707..2292) a point in time is an infinity (-0Wp, 0Wp)
        out_of_range = ~nul & (inf == 0) & (np.abs(days) > 106_751)
        inf = np.where(out_of_range, np.sign(days), inf)
        ns = np.where(out_of_range, 0, days) * NS_DAY
    else:
        ns = a64 * _NS[t]
    return ns, nul, inf


def _month_to_days(m: np.ndarray) -> np.ndarray:
    return (np.datetime64("2000-01", "M") + m.astype("timedelta64[M]")).astype("datetime64[D]").astype(
        np.int64
    ) - 10957


def _days_to_month(d: np.ndarray) -> np.ndarray:
    ym = (
        (np.datetime64("2000-01-01", "D") + d.astype("timedelta64[D]"))
        .astype("datetime64[M]")
        .astype(np.int64)
    )
    return ym - 360


def _from_ns(t: int, ns: np.ndarray, nul: np.ndarray, inf: np.ndarray, *, intraday: bool) -> np.ndarray:
    """Nanoseconds -> type ``t``'s storage; ``intraday``: keep the time of day only (from a point in time)."""
    safe = np.where(nul | (inf != 0), 0, ns)
    if t == 15:
        out: np.ndarray = (safe // 10**6) / 86_400_000
        out = np.where(nul, np.nan, np.where(inf != 0, inf * np.inf, out))
        return out
    if t == 14:
        r = safe // NS_DAY
    elif t == 13:
        r = _days_to_month(safe // NS_DAY)
    else:
        if intraday:
            safe = safe % NS_DAY
        r = safe // _NS[t]
    r = np.where(nul, NULLS[t], np.where(inf > 0, _IMAX[t], np.where(inf < 0, -_IMAX[t], r)))
    return r


_POINT = (12, 13, 14, 15)  # points in time; 16-19 are durations / times of day


def cast_temporal(t: int, y: Any) -> Any:
    """`` `t$y`` where ``t`` or ``y``'s type is temporal (``y`` an atom or simple vector).

    From a number: the number is the stored count (`` `date$1 `` is ``2000.01.02``); to a number: the
    stored count (`` `int$2000.01.02 `` is ``1i``); between temporal types the value converts (a date to a
    timestamp at midnight, a timestamp to its date, a timestamp to its time of day).
    """
    a, scalar = _arr(y)
    src = y.t
    if src == t:
        return y
    if src not in TEMPORAL:
        if src not in (1, 4, 5, 6, 7, 8, 9):
            raise QError("type")
        if src in (5, 6, 7):
            nul = a == NULLS[src]
            big = np.abs(a.astype(np.int64)) == {5: 2**15 - 1, 6: 2**31 - 1, 7: 2**63 - 1}[src]
            if t == 15:
                r = np.where(nul, np.nan, a.astype(np.float64))
            else:
                r = np.where(nul, NULLS[t], np.where(big, np.sign(a) * _IMAX[t], a))
            return _out(t, r, scalar)
        if src in (8, 9):
            if t == 15:
                return _out(t, a.astype(np.float64), scalar)
            nan = np.isnan(a)
            inf = np.isinf(a)
            r = np.where(nan | inf, 0, a)
            r = np.floor(r + 0.5).astype(np.int64)
            r = np.where(nan, NULLS[t], np.where(inf, np.sign(a).astype(np.int64) * _IMAX[t], r))
            return _out(t, r, scalar)
        return _out(t, a.astype(np.int64), scalar)
    if t not in TEMPORAL:
        if t in (10, 11):
            raise QError("type")
        if src == 15:
            return _out(t, a, scalar) if t in (8, 9) else _out(t, _int_from_float(t, a), scalar)
        a64 = a.astype(np.int64)
        nul = a64 == NULLS[src]
        if t in (8, 9):
            return _out(t, np.where(nul, np.nan, a64.astype(np.float64)), scalar)
        if t in (5, 6, 7):
            return _out(t, np.where(nul, NULLS[t], a64), scalar)
        return _out(t, a64 if t != 1 else a64 != 0, scalar)
    if src in (13, 14) and t in (13, 14, 15):  # between calendar types: by days, whatever the year
        a64 = a.astype(np.int64)
        nul = a64 == NULLS[src]
        inf = np.where(a64 == _IMAX[src], 1, np.where(a64 == -_IMAX[src], -1, 0))
        days = a64 if src == 14 else _month_to_days(np.where(nul | (inf != 0), 0, a64))
        if t == 15:
            infs = np.where(inf > 0, np.inf, -np.inf)
            rf = np.where(nul, np.nan, np.where(inf != 0, infs, days.astype(np.float64)))
            return _out(t, rf, scalar)
        r = days if t == 14 else _days_to_month(days)
        r = np.where(nul, NULLS[t], np.where(inf > 0, _IMAX[t], np.where(inf < 0, -_IMAX[t], r)))
        return _out(t, r, scalar)
    ns, nul, inf = _to_ns(src, a)
    if src == 13 and t not in _POINT:
        raise QError("type")
    if src in (16, 17, 18, 19) and t in _POINT:
        if t == 13 or t == 14:
            raise QError("type")
        # a time of day cast to a point in time: that time on 2000.01.01
    intraday = src in _POINT and t in (17, 18, 19)
    return _out(t, _from_ns(t, ns, nul, inf, intraday=intraday), scalar)


def _int_from_float(t: int, a: np.ndarray) -> np.ndarray:
    nan = np.isnan(a)
    r = np.floor(np.where(nan | np.isinf(a), 0, a) + 0.5).astype(np.int64)
    return np.where(nan, NULLS[t] if t in NULLS else 0, r)


def parse_temporal_str(t: int, s: str) -> A:
    """``"D"$"2020.01.01"`` (tok): the text as type ``t``, or ``t``'s null when it does not parse.

    Accepts the literal forms and, for dates, ``yyyymmdd`` and ``yyyy-mm-dd``; a point in time
    accepts a date (midnight); a time type accepts any clock text (converted to its unit).
    """
    s = s.strip()
    if s in ("", "0N", "0n") or s == "0N" + TYPE_CHARS[t]:
        return A(t, NULLS[t])
    if s in ("0W", "0W" + TYPE_CHARS[t]):
        return A(t, math.inf if t == 15 else _IMAX[t])
    m = re.fullmatch(r"(\d{10,11})(?:\.(\d{1,9}))?", s) if t == 12 else None
    if m:  # seconds since 1970.01.01 (tok.md)
        ns = (int(m.group(1)) - 946_684_800) * 10**9 + int((m.group(2) or "0").ljust(9, "0"))
        return A(12, ns)
    m = re.fullmatch(r"(\d{8})-(\d.*)", s) if t in (12, 15) else None
    if m:  # yyyymmdd-hh:mm:ss.ttt
        s = f"{m.group(1)[:4]}.{m.group(1)[4:6]}.{m.group(1)[6:]}{'D' if t == 12 else 'T'}{m.group(2)}"
    txt = s.replace("-", ".") if t in _POINT and len(s) >= 10 and s[4:5] == "-" else s
    if t in _POINT and re.fullmatch(r"\d{8}", txt):
        txt = f"{txt[:4]}.{txt[4:6]}.{txt[6:]}"
    if t == 13 and re.fullmatch(r"\d{4}\.\d\d", txt):
        txt += "m"
    if t == 12 and "T" in txt:
        txt = txt.replace("T", "D")
    if t == 15 and "D" in txt:
        txt = txt.replace("D", "T")
    if t in (17, 18, 19) and re.fullmatch(r"\d{3,4}", txt):
        txt = txt.zfill(4)
        txt = txt[:2] + ":" + txt[2:]
    elif t in (16, 17, 18, 19) and re.fullmatch(r"\d{6}(\d+)?", txt):  # hhmmss[ddd] (0: column formats)
        txt = f"{txt[:2]}:{txt[2:4]}:{txt[4:6]}" + (f".{txt[6:]}" if len(txt) > 6 else "")
    m = re.fullmatch(r"(\d\d?)/(\d\d?)/(\d{4})", txt) if t in _POINT else None
    if m:  # [m]m/[d]d/yyyy
        txt = f"{m.group(3)}.{int(m.group(1)):02d}.{int(m.group(2)):02d}"
    try:
        src, v = parse_literal(txt)
    except QError:
        return A(t, NULLS[t])
    if src == t:
        return A(t, v)
    try:
        return cast_temporal(t, A(src, v))
    except QError:
        return A(t, NULLS[t])


# -- extractors ---------------------------------------------------------------

#: `` `year$d `` etc.: name -> result type (an int, or minute/second for ``uu``/``ss``? no: ints)
EXTRACTORS = {"year": 6, "mm": 6, "dd": 6, "hh": 6, "uu": 6, "ss": 6, "week": 14}


def extract(name: str, y: Any) -> Any:
    """`` `year$ `` `` `mm$ `` `` `dd$ `` `` `hh$ `` `` `uu$ `` `` `ss$ `` `` `week$ `` of a temporal value.

    KX "Cast": ``year``, ``mm`` (month of year), ``dd`` (day of month) from points in time with a
    date; ``hh``/``uu``/``ss`` (hours, minutes, seconds of the time of day) from points in time and
    times; ``week`` is the date of the Monday that starts the week.
    """
    if type(y) is not A and type(y) is not V:
        raise QError("type")
    src = y.t
    if src not in TEMPORAL:
        raise QError("type")
    a, scalar = _arr(y)
    ns, nul, inf = _to_ns(src, a)
    bad = nul | (inf != 0)
    safe = np.where(bad, 0, ns)
    if name == "mm" and src not in _POINT:
        name = "uu"  # `mm$ of a time is its minutes (KX "Cast": `mm$03:30:00.000 is 30i)
    if name in ("year", "mm", "dd", "week"):
        if src not in _POINT:
            raise QError("type")
        days = safe // NS_DAY
        dd = np.datetime64("2000-01-01", "D") + days.astype("timedelta64[D]")
        if name == "year":
            r = dd.astype("datetime64[Y]").astype(np.int64) + 1970
        elif name == "mm":
            r = dd.astype("datetime64[M]").astype(np.int64) % 12 + 1
        elif name == "dd":
            r = (dd - dd.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
        else:
            r = days - (days + 5) % 7  # 2000.01.01 is a Saturday; weeks start on Monday
            return _out(14, np.where(bad, NULLS[14], r), scalar)
        return _out(6, np.where(bad, NULLS[6], r), scalar)
    if src == 13 or (src == 14 and name != "ss"):
        raise QError("type")
    tod = safe % NS_DAY if src in _POINT else np.abs(safe)
    div = {"hh": 3600 * 10**9, "uu": 60 * 10**9, "ss": 10**9}[name]
    r = tod // div
    if name != "hh":
        r = r % 60
    return _out(6, np.where(bad, NULLS[6], r), scalar)


# -- arithmetic ---------------------------------------------------------------


def to_common(x: Any, y: Any) -> tuple[Any, Any, bool]:
    """For a comparison of a temporal value with another: both as float64/int64 arrays in one unit.

    Returns ``(a, b, ok)``; ``ok`` is False when the two types do not compare (``'type``).
    """
    tx, ty = x.t, y.t
    ax, sx = _arr(x)
    ay, sy = _arr(y)
    if tx == ty:
        return ax, ay, True
    numeric = (1, 4, 5, 6, 7, 8, 9)
    if tx in TEMPORAL and ty in numeric:
        return ax, ay, True
    if ty in TEMPORAL and tx in numeric:
        return ax, ay, True
    if tx in TEMPORAL and ty in TEMPORAL:
        if (tx in _POINT) != (ty in _POINT):
            return ax, ay, False
        nx, nulx, _ = _to_ns(tx, ax)
        ny, nuly, _ = _to_ns(ty, ay)
        return np.where(nulx, NULLS[7], nx), np.where(nuly, NULLS[7], ny), True
    return ax, ay, False


def _result_type(op: str, tx: int, ty: int) -> int | None:
    """The type of ``x op y`` with a temporal operand (None: q's ``'type``)."""
    ints = (1, 4, 5, 6, 7)
    if op == "+":
        if tx in TEMPORAL and ty in ints:
            return tx
        if ty in TEMPORAL and tx in ints:
            return ty
        if (15 in (tx, ty) or 14 in (tx, ty)) and (tx in (8, 9) or ty in (8, 9)):
            return 15  # a date or datetime plus a float (days) is a datetime
        pair = {tx, ty}
        if pair == {14, 16} or pair == {12, 16} or pair == {12, 17} or pair == {12, 18} or pair == {12, 19}:
            return 12
        if pair <= {14, 17, 18, 19} and 14 in pair and len(pair) == 2:
            return 12  # a date plus a time of day is a timestamp (code.kx.com/q/ref/add)
        if tx in (16, 17, 18, 19) and ty in (16, 17, 18, 19):
            return max(tx, ty) if 16 not in (tx, ty) else 16
        return None
    if op == "-":
        if tx in TEMPORAL and ty in ints:
            return tx
        if tx in (14, 15) and ty in (8, 9):
            return 15
        if tx == ty:
            return {12: 16, 13: 6, 14: 6, 15: 9}.get(tx, tx)
        if tx in (12, 14) and ty in (12, 14):
            return 16
        if tx == 12 and ty in (16, 17, 18, 19):
            return 12
        if tx == 14 and ty in (16, 17, 18, 19):
            return 12
        if tx in (16, 17, 18, 19) and ty in (16, 17, 18, 19):
            return 16 if 16 in (tx, ty) else max(tx, ty)
        if ty in TEMPORAL and tx in ints:
            return ty
        return None
    if op == "*":
        if tx in (16, 17, 18, 19) and ty in ints:
            return tx
        if ty in (16, 17, 18, 19) and tx in ints:
            return ty
        if tx in (16, 17, 18, 19) and ty in (8, 9):
            return tx
        if ty in (16, 17, 18, 19) and tx in (8, 9):
            return ty
        return None
    return None


def temporal_arith(op: str, x: Any, y: Any) -> Any:
    """``x+y``, ``x-y``, ``x*y`` with a temporal atom/vector operand (KX "Temporal arithmetic").

    A date plus an int is a date, a date minus a date an int, a timestamp minus a timestamp (or a
    date) a timespan, a date plus a timespan a timestamp, a time plus an int ms a time; nulls stay
    null, other combinations are ``'type``. ``%`` of temporal values divides their counts (a float).
    """
    tx, ty = x.t, y.t
    ax, sx = _arr(x)
    ay, sy = _arr(y)
    scalar = sx and sy
    rt = _result_type(op, tx, ty)
    if rt is None:
        raise QError("type")
    floaty = rt in (8, 9, 15) or tx in (8, 9) or ty in (8, 9)
    if tx in TEMPORAL and ty in TEMPORAL and tx != ty:
        # convert both to the result's unit through nanoseconds
        unit_t = rt if rt in TEMPORAL else (16 if rt == 16 else tx)
        cx = _convert_for(tx, ax, unit_t)
        cy = _convert_for(ty, ay, unit_t)
        nul = _nulls(tx, ax) | _nulls(ty, ay)
    else:
        cx = ax.astype(np.float64) if floaty else ax.astype(np.int64)
        cy = ay.astype(np.float64) if floaty else ay.astype(np.int64)
        nul = _nulls(tx, ax) | _nulls(ty, ay)
    with np.errstate(all="ignore"):
        if op == "+":
            r = cx + cy
        elif op == "-":
            r = cx - cy
        else:
            r = cx * cy
    if rt in (8, 9, 15):
        r = np.where(nul, np.nan, r.astype(np.float64))
    else:
        if r.dtype.kind == "f":
            r = np.floor(np.where(np.isfinite(r), r, 0) + 0.5).astype(np.int64)
        r = np.where(nul, NULLS[rt], r)
        if rt in (13, 14, 17, 18, 19, 6):
            r = ((r.astype(np.int64) + 2**31) % 2**32 - 2**31) if not nul.all() else r
            r = np.where(nul, NULLS[rt], r)
    return _out(rt, r, scalar)


def _nulls(t: int, a: np.ndarray) -> np.ndarray:
    if t in (8, 9, 15):
        return np.isnan(a)
    if t in NULLS and t not in (1, 4):
        return a == NULLS[t]
    return np.zeros(a.shape, dtype=bool)


def _convert_for(t: int, a: np.ndarray, rt: int) -> np.ndarray:
    """A temporal array's values in the unit of result type ``rt`` (days for a datetime)."""
    ns, nul, inf = _to_ns(t, a)
    if rt == 15:
        return (ns // 10**6) / 86_400_000
    unit = {12: 1, 16: 1}.get(rt, _NS.get(rt, NS_DAY))
    return ns // unit
