"""``parse`` of qSQL gives its functional form, and ``eval`` of that runs it (code.kx.com/q/basics/funsql:
``select`` is ``?[t;c;b;a]``, ``exec`` ``?[t;c;();a]``, ``update`` ``![t;c;b;a]``, ``delete`` ``![t;c;0b;a]``)."""

from __future__ import annotations

import pytest

from rdq.qlang import Session

SETUP = "t:([] a:1 2 3; b:`x`y`x)"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ('eval parse "select a from t"', "a\n-\n1\n2\n3"),
        ('eval parse "select sum a by b from t where a>1"', "b| a\n-| -\nx| 3\ny| 2"),
        ('eval parse "exec a from t"', "1 2 3"),
        ('eval parse "update a:a*2 from t"', "a b\n---\n2 x\n4 y\n6 x"),
        ('eval parse "delete a from t"', "b\n-\nx\ny\nx"),
        ('eval parse "delete from t where a>1"', "a b\n---\n1 x"),
    ],
)
def test_eval_parse_is_the_query(src: str, expected: str) -> None:
    s = Session()
    s.display(SETUP)
    assert s.display(src) == expected


def test_parse_select_shape() -> None:
    s = Session()
    s.display(SETUP)
    # (?;`t;();0b;(,`a)!,`a): five items, the table name, no where, no by, a dict of columns
    assert s.display('count parse "select a from t"') == "5"
    assert s.display('(parse "select a from t") 1') == "`t"
    assert s.display('(parse "select a from t") 3') == "0b"
    assert s.display('key (parse "select a from t") 4') == ",`a"
    # the where phrase is quoted: one list holding the list of conditions
    assert s.display('count first (parse "select from t where a>1,a<3") 2') == "2"
