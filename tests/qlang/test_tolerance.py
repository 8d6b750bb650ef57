"""Comparison tolerance by the kdb+ reference (basics/precision, "Comparison tolerance").

"if x or y is a finite floating-point number, then x=y is 1 if the magnitude of x-y does not
exceed t times the larger of the magnitudes of x and y ... t is 2^-43"; "only zero is tolerantly
equal to zero"; used by ``= < > ~ differ within``, not by ``? distinct except group in inter union``.
Also the promotion of boolean and byte atoms, which have no null: ``0.1+0b`` is ``0.1``.
"""

from __future__ import annotations

import pytest

from rdq.qlang import Session


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # the reference's examples
        ("a:1e12; a=a-1", "0b"),
        ("a:1e13; a=a-1", "1b"),
        ("a:1e13; 0=a-(a-1)", "0b"),
        ("r7:1%7; 1.0=sum 7#r7", "1b"),
        ("r7:1%7; 0=1.0-sum 7#r7", "0b"),
        ("r3:1%3; 1=r3+r3+r3", "1b"),
        ("96.100000000000009 = 96.099999999999994", "1b"),
        ("0=96.100000000000009-96.099999999999994", "0b"),
        ("differ 96.100000000000009 96.099999999999994", "10b"),
        ("a:1f; b:a-10 xexp -13; a=b", "1b"),
        ("a:1f; b:a-10 xexp -13; a~b", "1b"),
        ("a:1f; b:a-10 xexp -13; a>b", "0b"),
        ("a:1f; b:a-10 xexp -13; a<b", "0b"),
        ("a:1f; b:a-10 xexp -13; a<=b", "1b"),
        # floor no longer uses tolerance since V3.0 (basics/precision: "floor b /before V3.0, returned 1")
        ("a:1f; b:a-10 xexp -13; floor b", "0"),
        # not tolerant: find, distinct
        ("96.100000000000009 96.099999999999994 ? 96.099999999999994", "1"),
        ("a:1f; b:a-10 xexp -13; count distinct a,b", "2"),
        # vectors, mixed with integers, within
        ("(0.1+0.2)=0.3", "1b"),
        ("1 2 3.0=1 2.0000000000001 4", "110b"),
        ("1=1.0000000000001", "1b"),
        ("(0.1+0.2)<0.3", "0b"),
        ("0.3 0.4>0.1+0.2", "01b"),
        ("(0.1+0.2) within 0.3 0.5", "1b"),
        # only zero equals zero; infinities equal only themselves
        ("1e-300=0", "0b"),
        ("0w=0w", "1b"),
        ("0w=1e308", "0b"),
        ("0w>1e308", "1b"),
        # nulls sort below every number, -0w included, in atoms and vectors alike
        ("0n<1.0", "1b"),
        ("0n<-0w", "1b"),
        ("0n -0w 1 0n<-0w", "1001b"),
        ("(0n;1.0)<(-0w;0w)", "11b"),
        ("0n=0n 1", "10b"),
        ("0n 1.0>0n", "01b"),
        ("1 2 3f<=0n 2 4", "011b"),
        ("0N 1 2h<1.5", "110b"),
        # atoms go the same way as vectors: an integer null is below -0w too, and equals a float null
        ("0N<-0w", "1b"),
        ("-0w>0N", "1b"),
        ("0N=0n", "1b"),
        ("0Nh<=-0w", "1b"),
    ],
)
def test_comparison_tolerance(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("0.1+0b", "0.1"),
        ("0.1+1b", "1.1"),
        ("0.1+0x00", "0.1"),
        ("1.0*0b", "0f"),
        ("0.5&0b", "0f"),
        ("sqrt 0b", "0f"),
        ("exp 0x00", "1f"),
        # the integer types do have a null
        ("0.5+0Nh", "0n"),
        ("sqrt 0N", "0n"),
        ("0.5&0N", "0n"),
    ],
)
def test_boolean_and_byte_atoms_are_numbers_not_nulls(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected
