"""The qSQL template parser (rdq.qlang._parse_sql): ``select[n]``, ``select[n;>c]``, ``select[>c]``.

code.kx.com/q/ref/select/#limiting-results: ``select[n]`` takes the first n rows (last n for negative n,
``select[m n]`` n rows from row m); ``select[>c]``/``select[<c]`` sorts by column c descending/ascending;
``select[n;>c]`` does both.
"""

from __future__ import annotations

import pytest

from rdq.qlang import Session

_T = "t:([] p:3 1 2 5 4; s:`a`b`c`d`e)"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("select[2] from t", "p s\n---\n3 a\n1 b"),
        ("select[-2] from t", "p s\n---\n5 d\n4 e"),
        ("select[1 2] from t", "p s\n---\n1 b\n2 c"),
        ("select[>p] from t", "p s\n---\n5 d\n4 e\n3 a\n2 c\n1 b"),
        ("select[<p] from t", "p s\n---\n1 b\n2 c\n3 a\n4 e\n5 d"),
        ("select[2;>p] from t", "p s\n---\n5 d\n4 e"),
        ("select[-2;<p] s from t", "s\n-\ne\nd"),
        ("select[<p] from t where p>1", "p s\n---\n2 c\n3 a\n4 e\n5 d"),
        ("exec s from select[2;<p] from t", "`b`c"),
    ],
)
def test_select_limit_and_order(src: str, expected: str) -> None:
    s = Session()
    s.display(_T)
    assert s.display(src) == expected


def test_sort_is_stable_on_ties() -> None:
    s = Session()
    s.display("t:([] p:1 2 1 2; s:`a`b`c`d)")
    assert s.display("exec s from select[>p] from t") == "`b`d`a`c"
    assert s.display("exec s from select[<p] from t") == "`a`c`b`d"
