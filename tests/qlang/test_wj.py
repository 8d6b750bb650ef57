"""Window joins by the kdb+ reference (code.kx.com/q/ref/wj): the page's example, verbatim, and the
interval rules it states ("wj and wj1 are both [] interval ... For wj, the prevailing quote on entry
to the window is considered valid ... wj1 considers quotes on or after entry to the window")."""

from __future__ import annotations

import pytest

from rdq.qlang import Session
from rdq.qlang._v_extra import install


@pytest.fixture
def q() -> Session:
    s = Session()
    install(s.interp)
    for line in (
        "t:([]sym:3#`ibm;time:10:01:01 10:01:04 10:01:08;price:100 101 105)",
        "a:101 103 103 104 104 107 108 107 108",
        "b:98 99 102 103 103 104 106 106 107",
        "q:([]sym:`ibm; time:10:01:01+til 9; ask:a; bid:b)",
        "f:`sym`time",
        # the page writes t.time; t`time is the same column (dot notation is the evaluator's)
        "w:-2 1+\\:t`time",
    ):
        assert s.display(line) == ""
    return s


def test_wj_aggregates(q: Session) -> None:
    assert q.display("wj[w;f;t;(q;(max;`ask);(min;`bid))]") == (
        "sym time     price ask bid\n"
        "--------------------------\n"
        "ibm 10:01:01 100   103 98\n"
        "ibm 10:01:04 101   104 99\n"
        "ibm 10:01:08 105   108 104"
    )


def test_wj_identity_shows_each_window(q: Session) -> None:
    assert q.display("wj[w;f;t;(q;(::;`ask);(::;`bid))]") == (
        "sym time     price ask             bid\n"
        "--------------------------------------------------\n"
        "ibm 10:01:01 100   101 103         98 99\n"
        "ibm 10:01:04 101   103 103 104 104 99 102 103 103\n"
        "ibm 10:01:08 105   107 108 107 108 104 106 106 107"
    )


def test_wj1_only_quotes_inside_the_window(q: Session) -> None:
    # the windows start at 10:00:59, 10:01:02, 10:01:06; a quote exists at each second from 10:01:01
    assert q.display("(wj1[w;f;t;(q;(::;`ask))])`ask") == "101 103\n103 103 104 104\n107 108 107 108"
    # a window before every quote: wj has no prevailing quote either
    q.display("w2:(2#10:00:00;2#10:00:30)")
    q.display("t2:2#t")
    assert q.display("(wj[w2;f;t2;(q;(count;`ask))])`ask") == "0 0"


def test_wj_prevailing_quote(q: Session) -> None:
    # a window starting between quotes: wj takes the quote prevailing at the start, wj1 does not
    q.display("q3:([]sym:`ibm`ibm; time:10:00:00 10:00:10; ask:1 2)")
    q.display("t3:([]sym:enlist`ibm; time:enlist 10:00:12)")
    q.display("w3:(enlist 10:00:05;enlist 10:00:12)")
    assert q.display("-3!(wj[w3;f;t3;(q3;(::;`ask))])`ask") == '",1 2"'
    assert q.display("-3!(wj1[w3;f;t3;(q3;(::;`ask))])`ask") == '",,2"'


def test_wj_matches_on_sym(q: Session) -> None:
    q.display("q4:([]sym:`a`b`a; time:10:00:01 10:00:02 10:00:03; v:1 2 3)")
    q.display("t4:([]sym:`a`b; time:10:00:03 10:00:03)")
    q.display("w4:(t4[`time]-3;t4`time)")
    assert q.display("(wj[w4;`sym`time;t4;(q4;(sum;`v))])`v") == "4 2"
