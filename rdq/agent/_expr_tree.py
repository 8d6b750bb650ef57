"""Expression trees for the search: canonical text, size, depth, subtrees, structural overlap.

An expression is parsed by :func:`rdq.factors._parser.parse` into ``Num / Field / Str / Name / Call`` nodes; the
canonical text prints every operator as a call (``Add($close,1)``) with the arguments of commutative operators
sorted, so ``$close+1``, ``1 + $close`` and ``Add(1,$close)`` are one cache key. The canonical text parses back to
the same computation (the compiler accepts every operator by name).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from functools import lru_cache

from rdq.factors._parser import Call, Field, Node, Num, parse

__all__ = [
    "COMMUTATIVE",
    "canonical",
    "canonical_node",
    "tree_size",
    "tree_depth",
    "subtrees",
    "largest_common_subtree",
    "structural_copy_of",
    "fields_of",
    "node_text",
    "lookback_days",
]

#: element-wise operators: their number arguments are values, not windows
_ELEMENTWISE = frozenset(
    {"Add", "Sub", "Mul", "Div", "Power", "Greater", "Less", "Gt", "Ge", "Lt", "Le", "Eq", "Ne", "And", "Or"}
)
#: operators whose arguments may be reordered
COMMUTATIVE = frozenset({"Add", "Mul", "Greater", "Less", "Eq", "Ne", "And", "Or"})


def node_text(node: Node) -> str:
    """The canonical text of a node (call form, numbers as written by :class:`Num`)."""
    if isinstance(node, Call):
        args = [node_text(a) for a in node.args]
        if node.op in COMMUTATIVE:
            args.sort()
        return f"{node.op}({','.join(args)})"
    if isinstance(node, Num) and math.isinf(node.value):  # str() gives "inf", which parses as a name
        return "1e999" if node.value > 0 else "-1e999"
    return str(node)


def canonical_node(node: Node) -> Node:
    """The node with commutative arguments sorted by their canonical text (positions set to 0)."""
    if isinstance(node, Call):
        args = tuple(canonical_node(a) for a in node.args)
        if node.op in COMMUTATIVE:
            args = tuple(sorted(args, key=node_text))
        return Call(0, node.op, args)
    return node


@lru_cache(maxsize=65536)
def canonical(expr: str) -> str:
    """The canonical text of ``expr`` (raises :class:`rdq.errors.ExpressionError` when it does not parse)."""
    return node_text(parse(expr))


def _walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, Call):
        for a in node.args:
            yield from _walk(a)


def _size(node: Node) -> int:
    return sum(1 for _ in _walk(node))


def tree_size(expr: str | Node) -> int:
    """Number of nodes (operators, fields and constants)."""
    return _size(parse(expr) if isinstance(expr, str) else expr)


def _depth(node: Node) -> int:
    if isinstance(node, Call):
        return 1 + max((_depth(a) for a in node.args), default=0)
    return 0


def tree_depth(expr: str | Node) -> int:
    """Nesting depth of operators (a field or a constant alone: 0)."""
    return _depth(parse(expr) if isinstance(expr, str) else expr)


def _subtree_sizes(node: Node) -> dict[str, int]:
    return {node_text(n): _size(n) for n in _walk(node) if isinstance(n, Call)}


def subtrees(expr: str) -> set[str]:
    """Canonical text of every subtree with at least one operator (size >= 2)."""
    return set(_subtree_sizes(parse(expr)))


def largest_common_subtree(a: str, b: str) -> int:
    """Node count of the largest operator subtree ``a`` and ``b`` share (0: none)."""
    sa, sb = _subtree_sizes(parse(a)), _subtree_sizes(parse(b))
    return max((sa[k] for k in sa.keys() & sb.keys()), default=0)


def structural_copy_of(expr: str, references: Mapping[str, str], *, min_share: float = 0.7) -> str | None:
    """The first reference sharing a subtree of at least ``min_share`` of ``expr``'s size, else ``None``.

    A reference that does not parse is skipped.
    """
    size = tree_size(expr)
    for name, ref in references.items():
        try:
            common = largest_common_subtree(expr, ref)
        except Exception:  # noqa: BLE001 - a reference the parser rejects cannot be copied
            continue
        if common and common >= min_share * size:
            return name
    return None


def fields_of(expr: str) -> set[str]:
    """The ``$fields`` an expression reads (without the ``$``)."""
    return {n.name for n in _walk(parse(expr)) if isinstance(n, Field)}


def lookback_days(expr: str | Node) -> int:
    """Days of history ``expr`` needs before its first value: window arguments summed along each path
    (``Ref(Mean($close, 5), 10)``: 15; a field or an element-wise expression such as ``2 * $close``: 0)."""

    def walk(node: Node) -> int:
        if isinstance(node, Call):
            inner = max((walk(a) for a in node.args), default=0)
            if node.op in _ELEMENTWISE:
                return inner
            wins = [int(a.value) for a in node.args if isinstance(a, Num) and a.is_int and a.value > 0]
            return inner + max(wins, default=0)
        return 0

    return walk(parse(expr) if isinstance(expr, str) else expr)


def has_expanding_window(expr: str | Node) -> bool:
    """Whether a window operator of ``expr`` has a 0-day (expanding, qlib's ``N == 0``) window: its values depend on
    the whole history, which :func:`lookback_days` cannot bound."""

    def walk(node: Node) -> bool:
        if not isinstance(node, Call):
            return False
        if node.op not in _ELEMENTWISE and any(isinstance(a, Num) and a.is_int and a.value == 0 for a in node.args):
            return True
        return any(walk(a) for a in node.args)

    return walk(parse(expr) if isinstance(expr, str) else expr)


def _num(value: float) -> Num:
    return Num(0, float(value), float(value).is_integer() and abs(value) < 1e15)
