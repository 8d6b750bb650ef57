"""Enumerations and foreign keys by the kdb+ reference (code.kx.com/q/ref/enumerate, /ref/enum-extend,
/ref/enumeration, /ref/fkeys, /ref/meta, /ref/dotq/#en)."""

from __future__ import annotations

import pytest

from rdq.qlang import Session
from rdq.qlang._v_extra import install


@pytest.fixture
def q() -> Session:
    s = Session()
    install(s.interp)
    return s


def test_enumerate(q: Session) -> None:
    # enumerate.md, verbatim
    q.display("d:`a`b`c")
    q.display("y:`a`b`c`b`a`b`c`c`c`c`c`c`c")
    assert q.display("show e:`d$y;") == "`d$`a`b`c`b`a`b`c`c`c`c`c`c`c"
    assert q.display('"i"$e') == "0 1 2 1 0 1 2 2 2 2 2 2 2i"
    q.display("d[0]:`o")
    assert q.display("e") == "`d$`o`b`c`b`o`b`c`c`c`c`c`c`c"
    assert q.display('"i"$e') == "0 1 2 1 0 1 2 2 2 2 2 2 2i"
    assert q.display("key e") == "`d"
    assert q.display("value e") == "`o`b`c`b`o`b`c`c`c`c`c`c`c"
    assert q.display("type e") == "20h"


def test_enumerate_missing_is_cast_error(q: Session) -> None:
    q.display("y:`a`b`c`b`a`b`c`c`c`c`c`c`c")
    q.display("x:`a`b")
    assert q.display("`x$y") == "'cast"


def test_enum_extend(q: Session) -> None:
    # enum-extend.md
    q.display("foo:`a`b")
    assert q.display("`foo?`a`b`c`b`a`b`c`c`c`c`c`c`c") == "`foo$`a`b`c`b`a`b`c`c`c`c`c`c`c"
    assert q.display("foo") == "`a`b`c"
    # a domain that does not exist yet is created
    assert q.display("`bar?`x`y`x") == "`bar$`x`y`x"
    assert q.display("bar") == "`x`y"


def test_enumeration_from_indices(q: Session) -> None:
    # enumeration.md: `x!1 2 3
    q.display("x:`a`b`c`d")
    assert q.display("`x!1 2 3") == "`x$`b`c`d"


def test_foreign_key(q: Session) -> None:
    q.display("kt:([eid:1001 1002 1003] name:`Dent`Beeblebrox`Prefect; iq:98 42 126)")
    q.display("tdetails:([] eid:`kt$1003 1001 1002 1001; sc:126 36 92 39)")
    assert q.display("tdetails") == "eid  sc\n--------\n1003 126\n1001 36\n1002 92\n1001 39"
    assert q.display("meta tdetails") == "c  | t f  a\n---| ------\neid| j kt\nsc | j"
    assert q.display("fkeys tdetails") == "eid| kt"
    assert q.display("`kt$1001 1004") == "'cast"
    assert q.display('"j"$tdetails`eid') == "2 0 1 0"
    # a foreign key's columns are reached with dot notation in qSQL, named by the last part
    assert q.display("select eid.name, sc from tdetails") == (
        "name       sc\n--------------\nPrefect    126\nDent       36\nBeeblebrox 92\nDent       39"
    )


def test_fkeys_of_a_table_without_foreign_keys(q: Session) -> None:
    assert q.display("count fkeys ([]a:1 2)") == "0"


def test_dotq_en_in_memory(q: Session) -> None:
    # .Q.en enumerates the symbol columns against sym (here in memory; nothing is written)
    q.display("t:.Q.en[`:db;([]s:`x`y`x;v:1 2 3)]")
    assert q.display("sym") == "`x`y"
    assert q.display("type t`s") == "20h"
    assert q.display("t") == "s v\n---\nx 1\ny 2\nx 3"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # the list verbs see an enumeration's symbols; indexing with a list, distinct, reverse, asc
        # and joining two enumerations over one domain keep the enumeration
        ("e[0 1]", "`d$`a`b"),
        ("e 1", "`d$`b"),
        ("first e", "`a"),
        ("count e", "4"),
        ("distinct e", "`d$`a`b`c"),
        ("reverse e", "`d$`a`c`b`a"),
        ("asc e", "`d$`a`a`b`c"),
        ("iasc e", "0 3 1 2"),
        ("e,`d$`b`c", "`d$`a`b`c`a`b`c"),
        ("e in `a`b", "1101b"),
        ("e?`b", "1"),
        ("e except `a", "`b`c"),
        ("group e", "a| 0 3\nb| ,1\nc| ,2"),
        ("`$string e", "`a`b`c`a"),
        ("e~`d$`a`b`c`a", "1b"),
        ("select sum v by s from ([]s:e;v:1 2 3 4)", "s| v\n-| -\na| 5\nb| 2\nc| 3"),
        ("select from ([]s:e;v:1 2 3 4) where s in `a", "s v\n---\na 1\na 4"),
    ],
)
def test_enumeration_as_a_list(q: Session, src: str, expected: str) -> None:
    q.display("d:`a`b`c")
    q.display("e:`d$`a`b`c`a")
    assert q.display(src) == expected


def test_enumerated_atoms(q: Session) -> None:
    # enumerate.md / ChangesIn3.6.md: an enumerated atom shows as `d$`b and is type -20h
    q.display("d:`a`b`c")
    q.display("e:`d$`a`b`c`a")
    assert q.display("`d$`b") == "`d$`b"
    assert q.display("type `d$`b") == "-20h"
    assert q.display("e 1") == "`d$`b"
    assert q.display("value e 1") == "`b"
    assert q.display('"i"$e 1') == "1i"
    assert q.display("e,e 1") == "`d$`a`b`c`a`b"
    assert q.display("`d$`q") == "'cast"
    assert q.display("(type a:`sym?`a`b;type `zym!4000000000)") == "20 -20h"
