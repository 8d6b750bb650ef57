"""rdq.agent._expr_tree: canonical text (commutative operators, constants), its round trip through the parser
and the compiler, tree size and depth by hand, shared subtrees and the structural-copy check."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rdq.agent._expr_tree import (
    COMMUTATIVE,
    canonical,
    canonical_node,
    fields_of,
    largest_common_subtree,
    lookback_days,
    node_text,
    structural_copy_of,
    subtrees,
    tree_depth,
    tree_size,
)
from rdq.errors import ExpressionError
from rdq.factors._parser import Call, Node, Num, parse

# ------------------------------------------------------------------ canonical text


@pytest.mark.parametrize(
    "variants",
    [
        ["$close+1", "1 + $close", "Add(1,$close)", "Add($close, 1)", "($close) + (1)"],
        ["$high*$low", "$low*$high", "Mul($low,$high)"],
        ["Greater($open, $close)", "Greater($close,$open)"],
        ["Less($open, $close)", "Less($close,$open)"],
        ["($a > 1) & ($b < 2)", "And($b < 2, $a > 1)"],
        ["($a > 1) | ($b < 2)", "Or(Lt($b, 2), Gt($a, 1))"],
        ["$a == $b", "$b == $a"],
        ["Mean($close*$volume, 5) + Std($high, 10)", "Std($high,10) + Mean($volume*$close,5)"],
        ["$close + 1e-3", "$close + 0.001", "0.0010 + $close"],
    ],
)
def test_commutative_variants_have_one_canonical_text(variants: list[str]) -> None:
    texts = {canonical(v) for v in variants}
    assert len(texts) == 1, texts


def test_canonical_text_by_hand() -> None:
    assert canonical("1 + $close") == "Add($close,1)"  # "$" sorts before digits
    assert canonical("$close/Ref($close, 1) - 1") == "Sub(Div($close,Ref($close,1)),1)"
    assert canonical("-$close") == "Neg($close)"
    assert canonical("Ref($close, -1)") == "Ref($close,-1)"  # a negative literal stays a number
    assert canonical("$close * 0.5") == "Mul($close,0.5)"
    assert canonical("2 ** $x") == "Power(2,$x)"
    assert canonical("Mask($close, 'SPY')") == "Mask($close,'SPY')"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("$close - 1", "1 - $close"),
        ("$close / $open", "$open / $close"),
        ("$a > $b", "$b > $a"),
        ("Corr($close, $volume, 10)", "Corr($close, $volume, 20)"),
        ("Power($x, 2)", "Power(2, $x)"),
        # the compiler needs an integer window: 5 and 5.0 are different expressions (the second is rejected)
        ("Mean($close, 5)", "Mean($close, 5.0)"),
    ],
)
def test_different_expressions_keep_different_texts(a: str, b: str) -> None:
    assert canonical(a) != canonical(b)
    assert set(COMMUTATIVE).isdisjoint({"Sub", "Div", "Gt", "Power", "Corr", "Mean"})


def test_canonical_node_matches_text_and_drops_positions() -> None:
    node = canonical_node(parse("  Add($volume, $close)"))
    assert isinstance(node, Call) and node.pos == 0
    assert str(node) == node_text(node) == "Add($close,$volume)"


def test_canonical_raises_on_bad_syntax() -> None:
    with pytest.raises(ExpressionError):
        canonical("Mean($close, ")


def test_huge_constants_round_trip() -> None:
    """A literal that overflows to inf must print as a number the parser reads back, not as the name 'inf'."""
    from factors.conftest import random_walk_panel

    from rdq.factors import compute

    exprs = ["$close * 1e400", "$close - 1e400", "$close * 1e300", "$close * -1e400"]
    for expr in exprs:
        c = canonical(expr)
        assert canonical(c) == c
        node = parse(c)
        assert isinstance(node, Call) and any(isinstance(a, Num) for a in node.args), c
    panel = random_walk_panel(2, 10, seed=0)
    out = compute(
        panel,
        {**{f"e{i}": e for i, e in enumerate(exprs)}, **{f"c{i}": canonical(e) for i, e in enumerate(exprs)}},
    )
    for i in range(len(exprs)):
        np.testing.assert_array_equal(out[f"e{i}"].to_numpy(), out[f"c{i}"].to_numpy())


def test_canonical_text_computes_the_same_values() -> None:
    """The module's promise: the canonical text parses back to the same computation (all of Alpha158)."""
    from factors.conftest import random_walk_panel

    from rdq.factors import compute, load_library

    panel = random_walk_panel(5, 90, seed=3)
    lib = load_library("alpha158")
    exprs = {**lib, **{f"{k}__canonical": canonical(v) for k, v in lib.items()}}
    out = compute(panel, exprs)
    for k in lib:
        a, b = out[k].to_numpy(), out[f"{k}__canonical"].to_numpy()
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0, equal_nan=True, err_msg=k)


def test_commutative_swaps_compute_the_same_values() -> None:
    from factors.conftest import random_walk_panel

    from rdq.factors import compute

    panel = random_walk_panel(4, 60, seed=4)
    pairs = {
        "a": ("Greater($open, $close) - Less($high, $low)", "Greater($close, $open) - Less($low, $high)"),
        "b": ("Mean($close * $volume, 5) + Std($high, 10)", "Std($high, 10) + Mean($volume * $close, 5)"),
    }
    exprs = {f"{k}{i}": canonical(e) if i else e for k, v in pairs.items() for i, e in enumerate(v)}
    out = compute(panel, exprs)
    for k in pairs:
        np.testing.assert_allclose(out[f"{k}0"].to_numpy(), out[f"{k}1"].to_numpy(), equal_nan=True)


# ------------------------------------------------------------------ size and depth by hand
@pytest.mark.parametrize(
    ("expr", "size", "depth"),
    [
        ("$close", 1, 0),
        ("5", 1, 0),
        ("-5", 1, 0),  # a negative literal is one number
        ("-$close", 2, 1),  # Neg($close)
        ("Mean($close, 5)", 3, 1),
        ("Mean($close, 5)/$close", 5, 2),  # Div, Mean, $close, 5, $close
        ("($close-$open)/$open", 5, 2),
        ("Corr($close, Log($volume+1), 10)", 7, 3),  # Corr, $close, Log, Add, $volume, 1, 10
        ("Rank(Mean(Std($close, 5), 10), 20)", 7, 3),
        ("$a + $b + $c + $d", 7, 3),  # left-nested: Add(Add(Add(a, b), c), d)
    ],
)
def test_size_and_depth_by_hand(expr: str, size: int, depth: int) -> None:
    assert tree_size(expr) == size
    assert tree_depth(expr) == depth
    node = parse(expr)
    assert (tree_size(node), tree_depth(node)) == (size, depth)


@pytest.mark.parametrize(
    ("expr", "days"),
    [
        ("$close", 0),
        ("2 * $close + 1", 0),  # numbers of element-wise operators are values, not windows
        ("Mean($close, 5)", 5),
        ("Ref(Mean($close, 5), 10)", 15),  # nested windows add up
        ("Mean($close, 10)/$close * 2", 10),
        ("Corr($close, Ref($volume, 3), 20)", 23),
        ("Quantile($close, 20, 0.8)", 20),
        ("Greater(Mean($close, 5), Ref($close, 30))", 30),  # the longest path
        ("Ref($close, 60)/$close", 60),
    ],
)
def test_lookback_days_by_hand(expr: str, days: int) -> None:
    assert lookback_days(expr) == days
    assert lookback_days(parse(expr)) == days


def test_subtrees_and_fields() -> None:
    assert subtrees("Mean($close, 5)/$close") == {"Div(Mean($close,5),$close)", "Mean($close,5)"}
    assert subtrees("$close") == set()
    assert subtrees("($high + $low) - ($low + $high)") == {
        "Sub(Add($high,$low),Add($high,$low))",
        "Add($high,$low)",
    }
    assert fields_of("Corr($close, Log($volume+1), 10) / $open") == {"close", "volume", "open"}
    assert fields_of("1 + 2") == set()


# ------------------------------------------------------------------ shared subtrees, structural copies
def test_largest_common_subtree_by_hand() -> None:
    # common: Mean(Div($close,$open),10), 5 nodes
    assert largest_common_subtree("Rank(Mean($close/$open, 10), 5)", "Mean($close/$open, 10) - $volume") == 5
    # canonical: the product's order does not matter
    assert largest_common_subtree("Mean($close*$open, 10) + 1", "Std(Mean($open*$close, 10), 5)") == 5
    # only the innermost operator is shared (a window differs above it)
    assert largest_common_subtree("Mean($close/$open, 10)", "Mean($close/$open, 20)") == 3
    # leaves alone do not count
    assert largest_common_subtree("$close + 1", "Log($close)") == 0
    assert largest_common_subtree("Std($close, 5)", "Std($close, 5)") == 3


def test_structural_copy_counts_a_large_shared_subtree() -> None:
    refs = {"KMID": "($close-$open)/$open", "MA10": "Mean($close, 10)/$close", "BAD": "Mean($close,"}
    # 7 nodes, 5 of them MA10's whole tree: 5 >= 0.7 * 7
    assert structural_copy_of("Mean($close, 10)/$close * 2", refs) == "MA10"
    assert structural_copy_of("2 * (Mean($close, 10)/$close)", refs) == "MA10"
    # the same at a stricter bound (5 < 0.9 * 7)
    assert structural_copy_of("Mean($close, 10)/$close * 2", refs, min_share=0.9) is None
    # a small shared piece inside a large new tree is not a copy
    assert structural_copy_of("Corr(Mean($close, 10), Std($volume, 20) / Mean($volume, 5), 30)", refs) is None
    assert structural_copy_of("Std($volume, 20)", refs) is None
    # an exact copy in another spelling
    assert structural_copy_of("(($close)-($open))/($open)", refs) == "KMID"


def test_structural_copy_reports_the_first_match_and_skips_bad_references() -> None:
    refs = {"BAD": "Mean(", "A": "Std($close, 20)", "B": "Std($close, 20)"}
    assert structural_copy_of("Std($close, 20)", refs) == "A"


# ------------------------------------------------------------------ properties
_FIELD = st.sampled_from(["$open", "$high", "$low", "$close", "$volume"])
_NUM = st.sampled_from(["1", "2", "0.5", "1e-3", "-1", "10", "2.5"])
_WIN = st.sampled_from(["5", "10", "20"])


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    infix = st.tuples(st.sampled_from(["+", "-", "*", "/"]), children, children).map(
        lambda t: f"({t[1]} {t[0]} {t[2]})"
    )
    binary = st.tuples(
        st.sampled_from(["Add", "Mul", "Greater", "Less", "Sub", "Div"]), children, children
    ).map(lambda t: f"{t[0]}({t[1]}, {t[2]})")
    window = st.tuples(st.sampled_from(["Mean", "Std", "Ref", "Max"]), children, _WIN).map(
        lambda t: f"{t[0]}({t[1]}, {t[2]})"
    )
    unary = st.tuples(st.sampled_from(["Abs", "Log", "CSRank", "-"]), children).map(
        lambda t: f"-({t[1]})" if t[0] == "-" else f"{t[0]}({t[1]})"
    )
    pair = st.tuples(children, children, _WIN).map(lambda t: f"Corr({t[0]}, {t[1]}, {t[2]})")
    return st.one_of(infix, binary, window, unary, pair)


EXPRS = st.recursive(st.one_of(_FIELD, _NUM), _extend, max_leaves=10)


def _swap(node: Node, flips: list[bool]) -> Node:
    """Reverse the arguments of commutative calls, one flip per such call (pre-order)."""
    if not isinstance(node, Call):
        return node
    args = tuple(_swap(a, flips) for a in node.args)
    if node.op in COMMUTATIVE and len(args) == 2 and flips and flips.pop():
        args = args[::-1]
    return Call(node.pos, node.op, args)


@settings(max_examples=200, deadline=None)
@given(EXPRS)
def test_canonical_is_idempotent_and_keeps_the_tree(expr: str) -> None:
    c = canonical(expr)
    assert canonical(c) == c
    assert tree_size(c) == tree_size(expr)
    assert tree_depth(c) == tree_depth(expr)
    assert fields_of(c) == fields_of(expr)
    assert subtrees(c) == subtrees(expr)
    assert largest_common_subtree(expr, c) == (tree_size(expr) if tree_depth(expr) else 0)


@settings(max_examples=200, deadline=None)
@given(EXPRS, st.lists(st.booleans(), min_size=0, max_size=20))
def test_swapping_commutative_arguments_keeps_the_canonical_text(expr: str, flips: list[bool]) -> None:
    swapped = str(_swap(parse(expr), list(flips)))  # call syntax, arguments in the new order
    assert canonical(swapped) == canonical(expr)
