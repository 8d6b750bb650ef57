"""Enumerations (type 20): hand-checked against the q reference semantics."""

from __future__ import annotations

from rdq.qlang import Session


def test_enumerate_and_resolve() -> None:
    s = Session()
    s.display("d:`a`b`c")
    s.display("e:`d$`c`a`c")
    assert s.display("e") == "`d$`c`a`c"
    assert s.display("type e") == "20h"
    assert s.display('"i"$e') == "2 0 2i"
    assert s.display("key e") == "`d"
    assert s.display("value e") == "`c`a`c"
    # the enumeration follows its domain
    s.display("d[0]:`z")
    assert s.display("value e") == "`c`z`c"


def test_enumerate_missing_symbol_is_cast_error() -> None:
    s = Session()
    s.display("d:`a`b")
    assert s.display("`d$`a`q") == "'cast"


def test_enum_extend_appends_to_domain() -> None:
    s = Session()
    s.display("d:`a`b")
    assert s.display("`d?`b`q`q") == "`d$`b`q`q"
    assert s.display("d") == "`a`b`q"
    # an undefined domain is created
    assert s.display("`sym?`x`y`x") == "`sym$`x`y`x"
    assert s.display("sym") == "`x`y"


def test_enumeration_from_indices() -> None:
    s = Session()
    s.display("x:`a`b`c`d")
    assert s.display("`x!1 2 3") == "`x$`b`c`d"
