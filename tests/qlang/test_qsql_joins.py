"""Joins ``pj ej aj aj0`` and ``.Q.s1``, against the examples of KX's reference pages.

code.kx.com/q/ref/pj: ``t pj s`` adds ``s``'s values (zero where no key matches).
code.kx.com/q/ref/ej: ``ej[`sym;s;t]`` lists every match in ``s``'s order.
code.kx.com/q/ref/aj: the last quote at or before each trade's time, per sym; an unmatched trade
keeps a null ``px``; ``aj0`` shows the quote's time (times here are longs, the page's are times).
"""

from __future__ import annotations

from rdq.qlang import Session


def _s(*setup: str) -> Session:
    s = Session()
    for ln in setup:
        assert s.display(ln) == ""
    return s


PJ = ("t:([]a:1 2 3;b:`x`y`z;c:10 20 30)", "s:([a:1 3;b:`x`z];c:1 2;d:7 8)")


def test_pj_reference_example() -> None:
    s = _s(*PJ)
    assert s.display("t pj s") == "a b c  d\n--------\n1 x 11 7\n2 y 20 0\n3 z 32 8"


def test_pj_keyed_left_stays_keyed() -> None:
    s = _s(*PJ)
    assert s.display("(`a`b xkey t) pj s") == "a b| c  d\n---| ----\n1 x| 11 7\n2 y| 20 0\n3 z| 32 8"


def test_ej_all_matches_in_left_order() -> None:
    s = _s("t:([]sym:`IBM`FDP`IBM`MSFT;price:1 2 3 4)", "s:([]sym:`IBM`MSFT;MC:1000 250)")
    assert s.display("exec price from ej[`sym;s;t]") == "1 3 4"
    assert s.display("exec MC from ej[`sym;s;t]") == "1000 1000 250"
    assert s.display("cols ej[`sym;s;t]") == "`sym`MC`price"


AJ = (
    "trade:([]time:11 13 14;sym:`msft`ibm`ge;qty:100 200 150)",
    "quote:([]time:10 11 11 12;sym:`ibm`msft`msft`ibm;px:100 99 101 98)",
)


def test_aj_last_quote_per_sym() -> None:
    s = _s(*AJ)
    assert s.display("exec px from aj[`sym`time;trade;quote]") == "101 98 0N"
    assert s.display("exec time from aj[`sym`time;trade;quote]") == "11 13 14"


def test_aj0_takes_the_quote_time() -> None:
    s = _s(*AJ)
    assert s.display("exec time from aj0[`sym`time;trade;quote]") == "11 12 14"


def test_q_s1_is_minus_3_bang() -> None:
    s = Session()
    assert s.display(".Q.s1 1 2 3") == '"1 2 3"'
    assert s.display(".Q.s1 `a`b!1 2") == '"`a`b!1 2"'
