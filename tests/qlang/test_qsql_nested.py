"""qSQL templates nested without brackets, as in published q code.

KX reference (qSQL, code.kx.com/q/basics/qsql): the ``from`` phrase is any table expression, so
``exec a from select from t`` applies ``exec`` to the table ``select from t`` returns; the ``where``
that follows an inner template belongs to that inner template (q parses right to left).
"""

from __future__ import annotations

import pytest

from rdq.qlang import Session

SETUP = "t:([] a:1 2 3 4; b:`x`y`x`y; c:10 20 30 40.)"

CASES = [
    ("exec a from select from t", "1 2 3 4"),
    ("exec a from select from t where b=`x", "1 3"),
    ("exec c from select from select a,c from t where a>1", "20 30 40f"),
    ("select from select a,c from t where a>1", "a c\n----\n2 20\n3 30\n4 40"),
    # update doubles c, then sum by b: x: 20+60, y: 40+80
    ("select sum c by b from update c:c*2 from t", "b| c\n-| ---\nx| 80\ny| 120"),
    ("delete a from select from t where a<3", "b c\n----\nx 10\ny 20"),
    ("count select from t where b in exec b from t where a=2", "2"),
    ("exec sum a by b from t", "x| 4\ny| 6"),
    # the virtual column i names no column: q calls it x (code.kx.com/q/basics/qsql, select i, c1 from t)
    ("select i,a from t where a>2", "x a\n---\n2 3\n3 4"),
    ("select from t where c=(max;c) fby b", "a b c\n------\n3 x 30\n4 y 40"),
    ("exec a from ?[t;enlist(>;`a;2);0b;()]", "3 4"),
]


@pytest.mark.parametrize(("src", "expected"), CASES)
def test_nested(src: str, expected: str) -> None:
    s = Session()
    s.display(SETUP)
    assert s.display(src) == expected


def test_nested_in_function() -> None:
    s = Session()
    s.display(SETUP)
    s.display("f:{[t;k] exec a from select from t where b=k}")
    assert s.display("f[t;`y]") == "2 4"
