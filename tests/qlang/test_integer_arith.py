"""Integer arithmetic by the kdb+ reference: ``div`` and ``mod`` result types, nulls and zero divisors.

Rules from code.kx.com/q/ref/div ("Integer division: returns floor x%y. Preserves (except for char,
byte and short) the type of the first argument ... char, byte, short get converted to ints") and
code.kx.com/q/ref/mod (the remainder of x%y; its domain-and-range table gives the result types).
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
        # the reference's own examples
        ("7 div 3", "2"),
        ("7f div 2", "3f"),
        ("6i div 4", "1i"),
        ("7h div 3", "2i"),
        ("0x80 div 16", "8i"),
        ('"\\023" div 8', "2i"),
        # floor, not truncation
        ("-7 div 2", "-4"),
        ("-7i div 2i", "-4i"),
        # the first argument's type is kept: an int stays int against a long, a long stays long
        ("type 6i div 4", "-6h"),
        ("type 7 div 2i", "-7h"),
        ("type 1 2 3h div 2", "6h"),
        ("1b div 1", "1i"),
        ("10 20i div 3", "3 6i"),
        # a float on either side gives a float
        ("7 div 2.5", "2f"),
        ("7i div 2.5", "2f"),
    ],
)
def test_div_result_types(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("0N div 2", "0N"),
        ("0N 4 div 2", "0N 2"),
        ("0Ni div 2i", "0Ni"),
        ("0Nh div 2", "0Ni"),  # a short null becomes the int null, not -16384
        ("4 div 0N", "0N"),
        ("x:0N; x div 2", "0N"),
        ("0N mod 2", "0N"),
        ("0N 5 mod 2", "0N 1"),
        ("5 mod 0N", "0N"),
    ],
)
def test_integer_nulls_propagate(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


def test_zero_divisor_is_the_same_for_atoms_and_vectors(q: Session) -> None:
    assert q.display("7 div 0") == "0W"
    assert q.display("1 2 3 div 0") == "0W 0W 0W"
    assert q.display("-7 div 0") == "-0W"
    assert q.display("0 div 0") == "0N"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # mod's domain and range: b x h i with b x h i give i; with j give j
        ("-3 -2 -1 0 1 2 3 4 mod 3", "0 1 2 0 1 2 0 1"),
        ("7 mod 2 3 4", "1 1 3"),
        ("type 7i mod 3i", "-6h"),
        ("type 7i mod 3", "-7h"),
        ("type 7h mod 3h", "-6h"),
    ],
)
def test_mod(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


def test_int_and_short_overflow_wraps_to_null_like_q(q: Session) -> None:
    assert q.display("2147483647i+1i") == "0Ni"
    assert q.display("0Wi+1i") == "0Ni"
    assert q.display("32767h+1h") == "0Nh"
    assert q.display("0Ni+1i") == "0Ni"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # a null of a narrower type stays null when the other side widens it
        ("0N 1h+1", "0N 2"),
        ("0N 1h-1i", "0N 0i"),
        ("0Nh+1i", "0Ni"),
        ("1 2 0Ni+1i", "2 3 0Ni"),
        ("1 0N 2h*2h", "2 0N 4h"),
        ("0N 5h mod 2", "0N 1"),
        # deltas is x - prev x: a null on either side gives null (sums treats nulls as 0)
        ("deltas 1 0N 3i", "1 0N 0Ni"),
        ("deltas 1 0N 3", "1 0N 0N"),
        ("sums 1 0N 3i", "1 1 4i"),
    ],
)
def test_nulls_through_mixed_integer_types(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # sum.md, domain and range: b x h i -> i, j -> j; sums likewise; an atom is returned as it is
        ("sum 101b", "2i"),
        ("sum 0x0102", "3i"),
        ("sum 1 2h", "3i"),
        ("sum 1 2 3", "6"),
        ("sum 1b", "1b"),
        ("sums 101b", "1 1 2i"),
        ("sum (101b;110b)", "2 1 1i"),
        ("f:{a:x<5;sum a}; f 2 3 5 7 3", "3i"),
    ],
)
def test_sum_of_small_integers_is_an_int(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected
