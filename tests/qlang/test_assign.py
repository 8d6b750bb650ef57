"""Assignment (rdq.qlang._assign): ``,:`` appends into spare capacity only where nothing else sees the vector.

Values are immutable in q: after ``w:v`` or ``d:`a`b!(t;t)`` an append to ``v``/``t`` must leave ``w``/``d``
as they were, and a vector constant inside a function body must be the same on every call.
"""

from __future__ import annotations

import pytest

from rdq.qlang import Session


@pytest.mark.parametrize(
    ("setup", "src", "expected"),
    [
        (["v:1 2 3", "w:v", "v,:4"], "(v;w)", "1 2 3 4\n1 2 3"),
        (["v:1 2 3", "v,:4", "u:v", "v,:5 6"], "(v;u)", "1 2 3 4 5 6\n1 2 3 4"),
        (["x:1 2 3", "y:1_x", "x,:4"], "(x;y)", "1 2 3 4\n2 3"),
        (["t:til 3", "d:`a`b!(t;t)", "t,:9"], "d", "a| 0 1 2\nb| 0 1 2"),
        (["t:til 3", "t,:9", "t,:10"], "t", "0 1 2 9 10"),
        (["L:()", "do[3; L,:1]", "M:L", "L,:2"], "(L;M)", "1 1 1 2\n1 1 1"),
        (["f:{a:1 2; a,:3; a,:4; a}", "f[]", "f[]"], "f[]", "1 2 3 4"),
        (["g:{a:x; a,:3; a}", "c:1 2", "g c"], "(g c;c)", "1 2 3\n1 2"),
        ([], '{a:"ab"; a,:"c"; a,:"de"; a} 0', '"abcde"'),
        ([], "{a:0#0; do[3; a,:1]; a[1]:9; a} 0", "1 9 1"),  # amend in place after appends
        (["z:til 3", "z,:3", "z[0]:7"], "z", "7 1 2 3"),
        ([], "{a:1 2; a,:1.5; a} 0", "'type"),  # a long vector takes no float
        ([], "{v:(); i:0; while[i<x; v,:i; i+:1]; (count v; sum v)} 1000", "1000 499500"),
        ([], "{v:`a`b; v,:`c; v} 0", "`a`b`c"),
        ([], "{v:1 2; v,:(3;`a); v} 0", "1\n2\n3\n`a"),
        # v[i] op: x in place (the compiled fast path) only where nothing else holds the vector
        (["w:3#0", "u:w", "w[1]+:5"], "(w;u)", "0 5 0\n0 0 0"),
        ([], "{a:3#0; b:a; a[0]+:1; (a;b)}[]", "1 0 0\n0 0 0"),
        ([], "{a:3#0; a[0]+:1; a[0]+:1; a}[]", "2 0 0"),
        ([], "{a:3#0; a[5]+:1; a}[]", "'index"),
        ([], "{a:3#0; a[1]+:1.5; a}[]", "'type"),
        (["f:{a:1 2 3; a[1]+:1; a}", "f[]"], "f[]", "1 3 3"),  # the body's constant is not amended
        ([], "{c:10#0; i:0; while[i<25; c[i mod 10]+:1; i+:1]; c}[]", "3 3 3 3 3 2 2 2 2 2"),
        (["c:4#0", "i:0", "while[i<6; c[i mod 4]+:i; i+:1]"], "c", "4 6 2 3"),
        (["c:4#0", "d:`a`b!(c;c)", "do[2; c[0]+:1]"], "(c;d)", "2 0 0 0\n`a`b!(0 0 0 0;0 0 0 0)"),
    ],
)
def test_append_keeps_value_semantics(setup: list[str], src: str, expected: str) -> None:
    s = Session()
    for line in setup:
        assert not s.display(line).startswith("'"), line
    assert s.display(src) == expected


def test_read_only_vectors_are_copied_not_written() -> None:
    # a vector over a read-only numpy view (np.broadcast_to) is amended and appended by copying
    import numpy as np

    from rdq.qlang._values import V

    s = Session()
    s.interp.g["r"] = V(7, np.broadcast_to(np.int64(5), (4,)))
    assert s.display("r[1]:9") == ""
    assert s.display("r,:1") == ""
    assert s.display("r") == "5 9 5 5 1"
    s.interp.g["q"] = V(7, np.broadcast_to(np.int64(5), (4,)))
    assert s.display("{q[1]+:1; q}[]") == "5 6 5 5"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # d[k]+:x on an existing key amends the values in place; nothing else that shares them may change
        ("d:til[5]!5#0;do[100;d[2]+:1];d 2", "100"),
        ("d:`a`b!1 2;e:d;d[`a]+:10;(e`a;d`a)", "1 11"),
        ("d:`a`b!1 2;v:value d;d[`a]+:10;v", "1 2"),
        ("d:`a`b!1 2;f:{d[`a]+:x};f 5;d", "a| 6\nb| 2"),
        ("d:`a`b!1 2;d[`c]:5;d", "a| 1\nb| 2\nc| 5"),
        ("d:`a`b!1 2;d[`a]:1.5", "'type"),
        ("d:`a`b!1 2.;d[`a]+:1;d", "a| 2\nb| 2"),
        ("d:1 1 2!10 20 30;d[1]+:5;d", "1| 15\n1| 20\n2| 30"),  # the first of repeated keys, as find
        ("l:(d:`a`b!1 2;0);d[`a]+:5;(l 0)`a", "1"),
    ],
)
def test_dictionary_amend_in_place_is_not_seen_elsewhere(src: str, expected: str) -> None:
    assert Session().display(src) == expected


def test_rand_and_roll_domains() -> None:
    s = Session()
    assert s.display("type rand 10i") == "-6h" and s.eval("rand 10").v in range(10)
    assert s.display("rand 0") == "'domain" and s.display("3?0") == "'domain"
    assert s.display("-5?3") == "'length"
    assert s.display("asc -3?3") == "`s#0 1 2"
