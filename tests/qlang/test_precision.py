r"""Float display precision and comparison tolerance by code.kx.com/q/basics/precision: the page's
examples (``\P 0`` shows 17 significant digits, as does any precision past 17), and datetime
arithmetic (a date plus a float number of days is a datetime)."""

from __future__ import annotations

import pytest

from rdq.qlang import Session


def _run(lines: list[str]) -> str:
    s = Session()
    for ln in lines[:-1]:
        s.display(ln)
    return s.display(lines[-1])


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["\\P 0", "1%3"], "0.33333333333333331"),
        (["\\P 0", "r7:1%7", "sum 7#r7"], "0.99999999999999978"),
        (["r7:1%7", "0=1.0-sum 7#r7"], "0b"),
        (
            ["\\P 0", "deltas 96.100000000000009 96.099999999999994"],
            "96.100000000000009 -1.4210854715202004e-14",
        ),
        (["\\P 0", "b:96.10000000001", "b"], "96.100000000009999"),
        (["t:2 xexp -43", "a:1e12", "t*a"], "0.1136868"),
        (["\\P 18", "x:0", "do[1000;x+:.001]", "x"], "1.0000000000000007"),
        (["\\P 0", "a:1f", "b:a-10 xexp -13", "distinct a,b"], "1 0.99999999999989997"),
        (["a:1f", "b:a-10 xexp -13", "(a,a)?b"], "2"),
        (["a:2000.01.02 + sum 1000#1%86400", "a"], "2000.01.02T00:16:40.000"),
        (["2000.01.02 - 0.5"], "2000.01.01T12:00:00.000"),
        (["type 2000.01.01+0.25"], "-15h"),
    ],
)
def test_precision_page(lines: list[str], expected: str) -> None:
    assert _run(lines) == expected
