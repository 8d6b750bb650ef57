"""Temporal literals and their console text (q types 12-19): ``2020.01.01``, ``0D01:00:00``, ``0Nd`` ...

The representation is described in :mod:`rdq.qlang._temporal` (casts, extractors and arithmetic),
which builds on this module.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any

import numpy as np

from rdq.qlang._values import NULLS, TYPE_CHARS, QError

__all__ = [
    "NS_DAY",
    "TEMPORAL",
    "fill_null",
    "fmt_temporal_atom",
    "fmt_temporal_cells",
    "fmt_temporal_vec",
    "parse_literal",
    "temporal_text",
]

TEMPORAL = frozenset(range(12, 20))
NS_DAY = 86_400 * 10**9
_NS = {12: 1, 16: 1, 17: 60 * 10**9, 18: 10**9, 19: 10**6}  # nanoseconds per unit (intraday types)
_EPOCH = _dt.date(2000, 1, 1)
_EPOCH_ORD = _EPOCH.toordinal()
_IMAX = {
    12: 2**63 - 1,
    13: 2**31 - 1,
    14: 2**31 - 1,
    16: 2**63 - 1,
    17: 2**31 - 1,
    18: 2**31 - 1,
    19: 2**31 - 1,
}

_DATE = r"(\d{4})\.(\d\d)\.(\d\d)"
_CLOCK = r"(\d+)(?::(\d\d)(?::(\d\d)(?:\.(\d*))?)?)?"
_RE_P = re.compile(_DATE + r"D(?:" + _CLOCK + r")?$")
_RE_Z = re.compile(_DATE + r"T(?:" + _CLOCK + r")?$")
_RE_D = re.compile(_DATE + r"$")
_RE_M = re.compile(r"(\d{4})\.(\d\d)m?$")
_RE_N = re.compile(r"(-?)(\d+)D(?:" + _CLOCK + r")?$")
_RE_TIME = re.compile(r"(-?)(\d+):(\d\d)(?::(\d\d)(?:\.(\d*))?)?$")


def _days(y: int, m: int, d: int) -> int:
    try:
        return _dt.date(y, m, d).toordinal() - _EPOCH_ORD
    except ValueError:
        raise QError(f"{y:04d}.{m:02d}.{d:02d}") from None


def _clock_ns(h: str | None, mi: str | None, s: str | None, frac: str | None) -> int:
    ns = int(h or 0) * 3600 * 10**9 + int(mi or 0) * 60 * 10**9 + int(s or 0) * 10**9
    if frac:
        ns += int((frac + "000000000")[:9])
    return ns


def parse_literal(s: str) -> tuple[int, Any]:
    """One temporal literal's text -> (q type, stored value).

    ``2020.01.01`` date, ``2020.01m`` month, ``2020.01.01D10:00`` timestamp, ``2020.01.01T10:00``
    datetime, ``0D10:00`` / ``1D`` timespan, ``12:30`` minute, ``12:30:00`` second, ``12:30:00.000``
    time (more than 3 decimals: timespan). Raises ``QError`` (q's literal error) for an invalid one.
    """
    m = _RE_D.match(s)
    if m:
        return 14, _days(int(m[1]), int(m[2]), int(m[3]))
    m = _RE_P.match(s)
    if m:
        return 12, _days(int(m[1]), int(m[2]), int(m[3])) * NS_DAY + _clock_ns(m[4], m[5], m[6], m[7])
    m = _RE_Z.match(s)
    if m:
        ns = _clock_ns(m[4], m[5], m[6], m[7])
        return 15, _days(int(m[1]), int(m[2]), int(m[3])) + round(ns / 10**6) / 86_400_000
    m = _RE_M.match(s)
    if m and (s.endswith("m")):
        mo = int(m[2])
        if not 1 <= mo <= 12:
            raise QError(s)
        return 13, (int(m[1]) - 2000) * 12 + mo - 1
    m = _RE_N.match(s)
    if m:
        v = int(m[2]) * NS_DAY + _clock_ns(m[3], m[4], m[5], m[6])
        return 16, -v if m[1] else v
    m = _RE_TIME.match(s)
    if m:
        sign = -1 if m[1] else 1
        h, mi, sec, frac = int(m[2]), int(m[3]), m[4], m[5]
        if sec is None:
            return 17, sign * (h * 60 + mi)
        if frac is None:
            return 18, sign * (h * 3600 + mi * 60 + int(sec))
        if len(frac) > 3:
            return 16, sign * _clock_ns(m[2], m[3], sec, frac)
        return 19, sign * ((h * 3600 + mi * 60 + int(sec)) * 1000 + int((frac + "000")[:3]))
    raise QError(s)


def fill_null(t: int, s: str) -> Any:
    """The stored value of ``0N``/``0W``/``-0W`` (text ``s``, type char optional) as type ``t``."""
    neg = s.startswith("-")
    if "N" in s:
        return NULLS[t]
    if t == 15:
        return -math.inf if neg else math.inf
    return -_IMAX[t] if neg else _IMAX[t]


# -- text ---------------------------------------------------------------------


def _date_text(d: int) -> str:
    try:
        x = _dt.date.fromordinal(d + _EPOCH_ORD)
    except (ValueError, OverflowError):
        return "0N"
    return f"{x.year:04d}.{x.month:02d}.{x.day:02d}"


def _clock(ns: int, digits: int, unit: int) -> str:
    """``hh:mm[:ss[.f]]`` of a non-negative count ``ns`` of ``unit``-nanoseconds, ``digits`` decimals."""
    total = ns * unit
    h, rem = divmod(total, 3600 * 10**9)
    mi, rem = divmod(rem, 60 * 10**9)
    sec, frac = divmod(rem, 10**9)
    if digits < 0:
        return f"{h:02d}:{mi:02d}"
    if digits == 0:
        return f"{h:02d}:{mi:02d}:{sec:02d}"
    return f"{h:02d}:{mi:02d}:{sec:02d}.{str(frac).rjust(9, '0')[:digits]}"


def _is_null(t: int, v: Any) -> bool:
    return v != v if t == 15 else v == NULLS[t]


def _is_inf(t: int, v: Any) -> int:
    """1 for ``0W``, -1 for ``-0W``, else 0."""
    if t == 15:
        return 0 if not math.isinf(v) else (1 if v > 0 else -1)
    return 1 if v == _IMAX[t] else (-1 if v == -_IMAX[t] else 0)


def temporal_text(t: int, v: Any) -> str:
    """An element's text as ``string`` shows it and vectors print it (nulls ``""``-free: ``0N``, ``0W``)."""
    if _is_null(t, v):
        return "0N"
    inf = _is_inf(t, v)
    if inf:
        return "0W" if inf > 0 else "-0W"
    v = int(v) if t != 15 else float(v)
    if t == 14:
        return _date_text(v)
    if t == 13:
        y, mo = divmod(v, 12)
        return f"{y + 2000:04d}.{mo + 1:02d}"
    if t == 12:
        d, ns = divmod(v, NS_DAY)
        return _date_text(d) + "D" + _clock(ns, 9, 1)
    if t == 15:
        ms = round(v * 86_400_000)
        d, rem = divmod(ms, 86_400_000)
        return _date_text(d) + "T" + _clock(rem, 3, 10**6)
    sign = "-" if v < 0 else ""
    a = abs(v)
    if t == 16:
        d, ns = divmod(a, NS_DAY)
        return f"{sign}{d}D" + _clock(ns, 9, 1)
    digits = {17: -1, 18: 0, 19: 3}[t]
    return sign + _clock(a, digits, _NS[t])


def fmt_temporal_atom(t: int, v: Any) -> str:
    """The console text of a temporal atom (``2000.01.01``, ``2000.01m``, ``0Nd``, ``0Wp``)."""
    s = temporal_text(t, v)
    if s in ("0N", "0W", "-0W"):
        return s + TYPE_CHARS[t]
    return s + "m" if t == 13 else s


def fmt_temporal_cells(t: int, a: np.ndarray) -> list[str]:
    """Each element's text (nulls ``0N``, as q's vectors show them)."""
    return [temporal_text(t, v) for v in a.tolist()]


def fmt_temporal_vec(t: int, a: np.ndarray) -> str:
    """A temporal vector's console text: ``2000.01 2000.02m``; all-null/infinite ones keep their type char."""
    cells = fmt_temporal_cells(t, a)
    body = " ".join(cells)
    if t == 13:
        return body + "m"
    if all(c in ("0N", "0W", "-0W") for c in cells):
        return body + TYPE_CHARS[t]
    return body
