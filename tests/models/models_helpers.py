"""Helpers shared by the model tests (a uniquely named module, so it never collides with another conftest)."""

from __future__ import annotations

import datetime as dt

from rdq.models import Segments


def day(i: int) -> dt.date:
    """The i-th calendar day of the synthetic sets (they start 2015-01-01, one row per day)."""
    return dt.date(2015, 1, 1) + dt.timedelta(days=i)


def segments_for(n_days: int) -> Segments:
    """60% / 20% / 20% train / valid / test of an ``n_days`` synthetic set."""
    a, b = int(n_days * 0.6), int(n_days * 0.8)
    return Segments(train=(day(0), day(a - 1)), valid=(day(a), day(b - 1)), test=(day(b), day(n_days - 1)))
