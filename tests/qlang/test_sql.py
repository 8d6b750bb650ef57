"""qSQL templates and functional forms on a small hand-checked table."""

from __future__ import annotations

import pytest

from rdq.qlang import Session


@pytest.fixture
def s() -> Session:
    s = Session()
    s.display("t:([]sym:`a`b`a`c;px:1 2 3 4;sz:10 20 30 40)")
    return s


def test_select_where(s: Session) -> None:
    assert s.display("select px from t where sym=`a") == "px\n--\n1\n3"
    assert s.display("select from t where px>1, sz<40") == "sym px sz\n---------\nb   2  20\na   3  30"


def test_select_by_is_keyed_and_sorted(s: Session) -> None:
    assert s.display("select sum px by sym from t") == "sym| px\n---| --\na  | 4\nb  | 2\nc  | 4"
    assert s.display("select n:count i by sym from t where px<4") == "sym| n\n---| -\na  | 2\nb  | 1"


def test_exec_update_delete(s: Session) -> None:
    assert s.display("exec px from t") == "1 2 3 4"
    assert s.display("exec sum px by sym from t") == "a| 4\nb| 2\nc| 4"
    assert s.display("update px:px*10 from t where sym=`a") == (
        "sym px sz\n---------\na   10 10\nb   2  20\na   30 30\nc   4  40"
    )
    assert s.display("update tot:sum px by sym from t") == (
        "sym px sz tot\n-------------\na   1  10 4\nb   2  20 2\na   3  30 4\nc   4  40 4"
    )
    assert s.display("delete from t where px>2") == "sym px sz\n---------\na   1  10\nb   2  20"
    assert s.display("cols delete sz from t") == "`sym`px"
    s.display("update px:0 from `t where sym=`c")
    assert s.display("t`px") == "1 2 3 0"


def test_functional_forms(s: Session) -> None:
    assert s.display("?[t;enlist(>;`px;2);0b;`s`p!`sym`px]") == "s p\n---\na 3\nc 4"
    assert s.display("![t;enlist(=;`sym;enlist`a);0b;`symbol$()]") == "sym px sz\n---------\nb   2  20\nc   4  40"
