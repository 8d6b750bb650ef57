"""Attributes by the kdb+ reference (code.kx.com/q/ref/set-attribute, /ref/attr, /ref/asc).

Expected texts are the reference pages' own console results, or follow from their stated rules:
"s, u and g are preserved on append in memory, if possible"; "setting the sorted attribute on an
unsorted list signals an error"; "the unique attribute can be set on ... lists where all items are
distinct"; "setting the sorted attribute on a table sets the parted attribute on the first column";
asc sets the sorted attribute, in place where the vector is already in order.
"""

from __future__ import annotations

import pytest

from rdq.qlang import Session


@pytest.fixture
def q() -> Session:
    return Session()


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # set-attribute.md
        ("`s#1 2 3", "`s#1 2 3"),
        ("`#`s#1 2 3", "1 2 3"),
        ("`s#3 2 1", "'s-fail"),
        ("`p#2 2 2 1 1 4 4 4 4 3 3", "`p#2 2 2 1 1 4 4 4 4 3 3"),
        ("2,`p#2 2 2 1 1 4 4 4 4 3 3", "2 2 2 2 1 1 4 4 4 4 3 3"),
        ("t:([1 2 4]y:7 8 9);`s#t;attr each (t;key t)", "``s"),
        ("`u#2 4 5", "`u#2 4 5"),
        ("`u#2 4 2", "'u-fail"),
        ("`g#2 1 2", "`g#2 1 2"),
        ("`s#`a`b`c", "`s#`a`b`c"),
        ("`s#0n 1 2", "`s#0n 1 2"),
        ("`s#1 0n 2", "'s-fail"),
        # attr.md
        ("attr 1 3 4", "`"),
        ("attr asc 1 3 4", "`s"),
        ("attr til 5", "`"),
        ("attr `u#`a`b", "`u"),
        # kept on append where still true, dropped otherwise; p is never kept
        ("(`s#1 2 3),4", "`s#1 2 3 4"),
        ("(`s#1 2 3),0", "1 2 3 0"),
        ("(`s#1 2),3 4", "`s#1 2 3 4"),
        ("(`u#1 2),3", "`u#1 2 3"),
        ("(`u#1 2),1", "1 2 1"),
        ("(`g#1 2),1", "`g#1 2 1"),
        ("(`p#1 1 2),3", "1 1 2 3"),
        # a dictionary with a sorted key; the attribute shows in the one-line form
        ("-3!`s#`a`b!1 2", '"`s#`a`b!1 2"'),
        ("`s#`b`a!1 2", "'s-fail"),
        ("-3!`s#([]a:1 2 3;b:4 5 6)", '"`s#+`a`b!(`p#1 2 3;4 5 6)"'),
    ],
)
def test_set_attribute(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


def test_sorted_table_sets_parted_first_column(q: Session) -> None:
    # set-attribute.md, verbatim
    assert q.display("meta `s#([] ti:00:00:00 00:00:01 00:00:03; v:98 98 100.)") == (
        "c | t f a\n--| -----\nti| v   p\nv | f"
    )


def test_sorted_in_place_on_a_sorted_list(q: Session) -> None:
    # "Setting/unsetting the sorted attribute on a list which is already sorted will not cause a copy"
    q.display("a:1 2 3")
    q.display("`s#a")
    assert q.display("a") == "`s#1 2 3"
    q.display("b:1 2 3")
    q.display("`u#b")  # u copies: b is unchanged
    assert q.display("b") == "1 2 3"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("asc 2 1 3 4 2 1 2", "`s#1 1 2 2 2 3 4"),
        ('asc (1;1b;"b";2009.01.01;"a";0)', '1b\n0\n1\n"a"\n"b"\n2009.01.01'),
        ("asc(2f;3;4i;5h)", "5h\n4i\n3\n2f"),
        ("asc `a`b`c!2 1 3", "b| 1\na| 2\nc| 3"),
        ("asc ([]a:3 4 1;b:`a`d`s)", "a b\n---\n1 s\n3 a\n4 d"),
        ("meta asc ([]a:3 4 1;b:`a`d`s)", "c| t f a\n-| -----\na| j   p\nb| s"),
        ("meta asc([]a:3 4 1)", "c| t f a\n-| -----\na| j   s"),
        ("meta asc ([c1:`a`b] c2:2 1; c3:01b)", "c | t f a\n--| -----\nc1| s\nc2| j   p\nc3| b"),
        ("meta asc ([c1:`a`b] c2:2 1)", "c | t f a\n--| -----\nc1| s\nc2| j   s"),
        ("desc 1 3 2", "3 2 1"),
        ("attr desc 1 3 2", "`"),
    ],
)
def test_asc(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


def test_asc_sets_attribute_in_place(q: Session) -> None:
    # asc.md: "where the argument vector is found to be in ascending order already, it is assigned the
    # sorted attribute" -- and a shallow copy shares it
    q.display("a:0 1")
    q.display("b:a")
    assert q.display("asc b") == "`s#0 1"
    assert q.display("b") == "`s#0 1"
    assert q.display("a") == "`s#0 1"


def test_xasc_sets_sorted_on_first_column(q: Session) -> None:
    # asc.md: "The sorted attribute is set on the first column given (if possible)."
    assert q.display("meta `b`a xasc ([]a:3 1 2;b:30 10 20)") == "c| t f a\n-| -----\na| j\nb| j   s"
    assert q.display("`b xasc ([]a:3 1 2;b:30 10 20)") == "a b\n----\n1 10\n2 20\n3 30"


def test_sorted_dictionary_is_a_step_function(q: Session) -> None:
    # corporate-actions (whitepaper): `s# on a dictionary or keyed table makes lookups as-of
    q.display("d:`s#(100*til 5)!`a`b`c`d`e")
    assert q.display("d 0 50 150 200 75 500") == "`a`a`b`c`a`e"
    q.display("tab:`s#([date:2013.01.01 2013.04.01 2013.07.01 2013.10.01] q:`Q1`Q2`Q3`Q4)")
    assert q.display("tab([] date:2013.01.01 2013.05.05 2013.06.19 2013.08.25 2013.10.01)") == (
        "q\n--\nQ1\nQ2\nQ2\nQ3\nQ4"
    )


def test_sorted_tables_serialize_with_their_attributes(q: Session) -> None:
    # kb/serialization.md: the table's attribute byte, a parted first column, type 127 for a sorted
    # dictionary (a keyed table whose key is sorted)
    assert q.display("-8!`s#([]a:enlist 2i;b:enlist 3i)") == (
        "0x010000002f0000006201630b0002000000610062000000020000000603010000000200000006000100000003000000"
    )
    assert q.display("-8!`s#([a:enlist 2i]b:enlist 3i)") == (
        "0x010000003f0000007f6201630b00010000006100000001000000060001000000020000006200630b00010000006200"
        "00000100000006000100000003000000"
    )
