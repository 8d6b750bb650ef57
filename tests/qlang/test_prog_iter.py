"""Iterators on vectors: the vector fast paths agree with item-by-item q semantics.

code.kx.com/q/ref/accumulators (over/scan), /ref/maps (each), /ref/group: ``group`` keys are in order
of first occurrence, values are the index lists.
"""

from __future__ import annotations

import pytest

from rdq.qlang import Session

CASES = [
    # an atomic lambda over a vector is the lambda on the vector
    ("{x*x} each til 5", "0 1 4 9 16"),
    ("{x+2*y}'[1 2 3;10 20 30]", "21 42 63"),
    ("{neg x} each 1 -2 3", "-1 2 -3"),
    ("{x mod 3} each til 7", "0 1 2 0 1 2 0"),
    # not atomic (til): stays item by item
    ("{til x} each 1 2", ",0\n0 1"),
    ("count each {til x} each 1 2 3", "1 2 3"),
    # a lambda that is one glyph on its two parameters folds like the glyph
    ("{x+y}/[1 2 3 4]", "10"),
    ("{x+y}\\[1 2 3 4]", "1 3 6 10"),
    ("{x|y}\\[3 1 4 1 5]", "3 3 4 4 5"),
    ("{x&y}\\[3 1 4 0 5]", "3 1 1 0 0"),
    ("(*\\) 1 2 3 4", "1 2 6 24"),
    ("(+\\) 1.5 2.5", "1.5 4"),
    ("(+/) til 1000000", "499999500000"),
    ("{y+x}/[1 2 3]", "6"),
    ("{x-y}/[10 1 2]", "7"),
    # sums with a null: item by item (the null propagates as q's + does)
    ("sum {x+y}\\[1 0N 2]", "sum {x+y}\\[1 0N 2]"),
    ("group 3 1 3 2 1", "3| 0 2\n1| 1 4\n2| ,3"),
    ("group `b`a`b", "b| 0 2\na| ,1"),
    ("count group 1000000#til 7", "7"),
    ("(group 1000000#til 7) 6", None),
]


@pytest.mark.parametrize(("src", "expected"), CASES)
def test_iter(src: str, expected: str | None) -> None:
    s = Session()
    out = s.display(src)
    if expected is None:
        # index lists of 6 in 1000000#til 7: 6, 13, 20, ... (one every 7)
        assert s.display(f"(til count r)~((r:{src})-6) div 7") == "1b"
        assert s.display(f"count {src}") == "142857"
    elif expected == src:
        # the fast path must not change what the loop gives: compare with an explicit loop
        assert out == s.display("sum {r:(),first x; i:1; while[i<count x; r,:(last r)+x i; i+:1]; r} 1 0N 2")
    else:
        assert out == expected
