"""Aggregates of temporal vectors keep their type (code.kx.com/q/ref/max, /ref/min, /ref/sum:
"the result has the type of the argument"; nulls are ignored)."""

from __future__ import annotations

import pytest

from rdq.qlang import Session


@pytest.fixture
def q() -> Session:
    return Session()


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("max 2020.01.01 2021.06.30 2020.12.31", "2021.06.30"),
        ("min 2020.01.01 2021.06.30 2020.12.31", "2020.01.01"),
        ("min 0N 2020.01.02 2020.01.01", "2020.01.01"),
        ("max 0Nd,2020.01.02", "2020.01.02"),
        ("sum 00:01 00:02", "00:03"),
        ("sum 0D01:00:00 0D00:30:00", "0D01:30:00.000000000"),
        ("max 12:00:00.000 13:30:00.000", "13:30:00.000"),
        ("min 10:00:01 0N 09:00:00", "09:00:00"),
        ("max 2020.01m 2020.03m", "2020.03m"),
        ("type max 2020.01.01 2020.01.02", "-14h"),
    ],
)
def test_temporal_aggregates(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected
