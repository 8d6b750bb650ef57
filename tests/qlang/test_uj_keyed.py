"""``uj`` on keyed tables by the kdb+ reference (code.kx.com/q/ref/uj): the rows of ``y`` are
upserted into ``x`` extended with ``y``'s columns; a key in both updates only ``y``'s columns."""

from __future__ import annotations

from rdq.qlang import Session


def test_uj_keyed_tables() -> None:
    q = Session()
    # uj.md: a keyed table's rows are upserted; a key in both keeps x's other columns
    assert q.display("([a:1 2]b:3 4) uj ([a:2 3]c:5 6)") == "a| b c\n-| ---\n1| 3\n2| 4 5\n3|   6"
    assert q.display("([a:1 2]b:`x`y) uj ([a:2 3]b:`z`w)") == "a| b\n-| -\n1| x\n2| z\n3| w"


def test_uj_reference_examples() -> None:
    q = Session()
    q.display("s:([]a:1 2;b:2 3;c:5 7)")
    q.display('t:([]a:1 2 3;b:2 3 7;c:10 20 30;d:"ABC")')
    assert q.display("s uj t") == "a b c  d\n--------\n1 2 5\n2 3 7\n1 2 10 A\n2 3 20 B\n3 7 30 C"
    assert q.display("(2!s) uj 2!t") == "a b| c  d\n---| ----\n1 2| 10 A\n2 3| 20 B\n3 7| 30 C"
    # since V3.0 the records of y update x's, nulls included
    q.display("x:([a:1 2]b:`x`y;c:10 20)")
    q.display("y:([a:1 2]b:``z;c:1 0N)")
    assert q.display("x uj y") == "a| b c\n-| ---\n1|   1\n2| z"


def test_ujf_keeps_x_where_y_is_null() -> None:
    from rdq.qlang._v_extra import install

    q = Session()
    install(q.interp)
    q.display("x:([a:1 2]b:`x`y;c:10 20)")
    q.display("y:([a:1 2]b:``z;c:1 0N)")
    # uj.md: "the earlier version is available ... as ujf" (kdb+ 2.8's x uj y)
    assert q.display("ujf[x;y]") == "a| b c\n-| ----\n1| x 1\n2| z 20"
    # ChangesIn3.5.md
    assert (
        q.display(
            '([a:1 2 3]b:2 3 7;c:10 20 30;d:"WEC")~ujf[([a:1 2]b:2 3;c:5 7;d:"WE");([a:1 2 3]b:2 3 7;c:10 20 30;d:"  C")]'
        )
        == "1b"
    )
