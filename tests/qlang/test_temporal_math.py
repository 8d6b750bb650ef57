"""abs and signum of temporal values read their counts (abs.md: ``abs 1999.01.01`` is ``2000.12.31``;
signum.md: ``signum 1999.12.31`` is ``-1i`` and every null, temporal ones included, is ``-1i``)."""

from __future__ import annotations

import pytest

from rdq.qlang import Session


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("abs 1999.01.01", "2000.12.31"),
        ("signum 1999.12.31", "-1i"),
        ("signum (0n;0N;0Nt;0Nd;0Nz;0Nu;0Nv;0Nm;0Nh;0Nj;0Ne)", "-1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1i"),
        ("signum 2000.01.02 1999.01.01 2000.01.01", "1 -1 0i"),
        ("abs -00:00:01", "00:00:01"),
        ("abs 0Nd", "0Nd"),
        ("abs 2000.01.02 0Nd 1999.12.31", "2000.01.02 0N 2000.01.02"),
        ("abs `a", "'type"),
    ],
)
def test_abs_signum_temporal(src: str, expected: str) -> None:
    assert Session().display(src) == expected
