"""The q namespace: the glyph primitives (``OPS``) and the keywords bound to one interpreter (``builtins``).

The top of the package's layers, which run one way (a module imports only modules on earlier lines)::

    _values, _lexer, _ptree, _parse_sql, _parser    values, types, tokens, parse trees and the parser
    _core, _index, _pervade, _ops_cmp, _ops        list helpers; match/find/index/join; atomic operators
    _format, _json                display (console and ``-3!``), ``.j``
    _fn, _serial, _files          function values, application, amend; ``-8!``/``-9!``; the session's files
    _v_*                          the verbs, by family
    _iter_each, _iter             each/each-prior; Derived, folds and scans
    _fast, _assign, _compile_ctl, _compile, _interp   the evaluator: fast paths, assignment, lambda bodies
                                  compiled to closures, the tree walker (handed ``OPS``, ``builtins``, ``run_sql``)
    _sql, _v_eval, _ns, _verbs    qSQL; ``value``/``parse``/``eval``; ``.j .h .Q``; this namespace
    _system, _session             system commands; the public :class:`~rdq.qlang.Session`

``tests/qlang/test_import_graph.py`` asserts the graph has no cycle.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rdq.qlang._core import (
    _syms,
    chars,
    items,
    mklist,
    take_items,
    to_py_bool,
)
from rdq.qlang._dot_q import dot_q
from rdq.qlang._fn import K_FORMS, Comp, Prim, View
from rdq.qlang._index import join
from rdq.qlang._iter import ITERATORS, Derived
from rdq.qlang._ns import dotted_ns, json_ns
from rdq.qlang._ops import arith, compare, minmax
from rdq.qlang._sql import _env, _unkey, eval_ptree, functional_select, functional_update, q_xgroup
from rdq.qlang._sql_join import q_aj, q_aj0, q_asof, q_ej, q_pj
from rdq.qlang._v_agg import q_avgs
from rdq.qlang._v_apply import make_at_n, make_dot_n, q_at, q_colon_m, q_dot, q_dyad_colon
from rdq.qlang._v_cast import q_cast_in, q_find_in, q_type
from rdq.qlang._v_eval import q_eval, q_parse, q_set, q_value
from rdq.qlang._v_extra import extra_builtins, extra_ops
from rdq.qlang._v_list import (
    _drop,
    q_asc,
    q_attr,
    q_count,
    q_cut,
    q_desc,
    q_distinct,
    q_enlist,
    q_first,
    q_flip,
    q_group,
    q_iasc,
    q_idesc,
    q_last,
    q_next,
    q_prev,
    q_rank,
    q_raze,
    q_reverse,
    q_rotate,
    q_set_attr,
    q_sublist,
    q_take,
    q_til,
    q_where,
    q_xprev,
)
from rdq.qlang._v_math import (
    _floor_ceil,
    _math1,
    _scan_np,
    q_abs,
    q_all,
    q_and,
    q_any,
    q_avg,
    q_deltas,
    q_fill,
    q_fills,
    q_max,
    q_min,
    q_neg,
    q_not,
    q_null,
    q_or,
    q_prd,
    q_ratios,
    q_reciprocal,
    q_signum,
    q_sum,
    q_xbar,
)
from rdq.qlang._v_search import (
    q_bin,
    q_cross,
    q_differ,
    q_except,
    q_find,
    q_in,
    q_inter,
    q_match,
    q_union,
    q_within,
)
from rdq.qlang._v_stats import (
    _mext,
    _moving,
    q_cor,
    q_cov,
    q_dev,
    q_ema,
    q_inv,
    q_lsq,
    q_med,
    q_mmu,
    q_sdev,
    q_var,
    q_wavg,
    q_wsum,
    q_xexp,
    q_xlog,
)
from rdq.qlang._v_str import _trim, q_like, q_lower, q_ss, q_ssr, q_string, q_sv, q_upper, q_vs
from rdq.qlang._v_sys import q_0n, q_dict_in, q_exit, q_read_binary, q_show
from rdq.qlang._v_table import (
    _ij,
    _lj,
    _uj,
    by_name,
    make_upsert,
    q_cols,
    q_dict,
    q_fby,
    q_insert,
    q_key,
    q_key_in,
    q_keys,
    q_meta,
    q_ungroup,
    q_xasc,
    q_xcol,
    q_xcols,
    q_xkey,
    q_xrank,
    table_of,
)
from rdq.qlang._values import IDENTITY, A, D, L, QError, T, V

__all__ = ["OPS", "builtins"]


# -- structural -----------------------------------------------------------------


#: the namespaces every q session has


# -- aggregates --------------------------------------------------------------------


# -- dyadic keywords -----------------------------------------------------------------


# -- casting -----------------------------------------------------------------


# -- apply / amend verbs ------------------------------------------------------------------


# -- misc -----------------------------------------------------------------


def q_compose(args: list[Any]) -> Any:
    return Comp(list(args))


def q_each(f: Any, x: Any) -> Any:
    return Derived("'", f).call([x])


def q_over(f: Any, x: Any) -> Any:
    return Derived("/", f).call([x])


def q_scan(f: Any, x: Any) -> Any:
    return Derived("\\", f).call([x])


def q_prior(f: Any, x: Any) -> Any:
    return Derived("':", f).call([x])


def q_tilde_m(x: Any) -> Any:
    return q_not(x)


def q_at_m(x: Any) -> Any:
    return q_type(x)


def q_bang_m(x: Any) -> Any:
    if type(x) is A and x.t in (1, 4, 5, 6, 7):
        return q_til(x)
    return q_key(x)


def q_dollar_m(x: Any) -> Any:
    return q_string(x)


def q_hash_m(x: Any) -> Any:
    return q_count(x)


def q_question_m(x: Any) -> Any:
    return q_distinct(x)


def q_eq_m(x: Any) -> Any:
    return q_group(x)


def q_vcond(args: list[Any]) -> Any:
    if len(args) != 3:
        raise QError("rank")
    c, a, b = args
    if type(c) is A:
        return a if to_py_bool(c) else b
    out = []
    la = items(a) if type(a) in (V, L) else None
    lb = items(b) if type(b) in (V, L) else None
    for k, v in enumerate(c.a.tolist()):
        out.append((la[k] if la is not None else a) if v else (lb[k] if lb is not None else b))
    return mklist(out)


def _q3(interp: Any, args: list[Any]) -> Any:
    t = args[0]
    if type(t) is A and t.t == 11 and type(args[1]) is not A:
        t = interp.lookup(t.v, None)
    if type(t) is T or (type(t) is D and type(t.k) is T):
        tt, _ = _unkey(t)
        rows = args[1]
        idx = rows.a.astype(np.int64) if type(rows) is V else np.array([rows.v], dtype=np.int64)
        sub = take_items(tt, idx)
        return eval_ptree(interp, args[2], _env(sub, None, idx))
    return q_vcond(args)


# -- assembly ----------------------------------------------------------------


def _glyph(name: str, m: Any, d: Any, n: Any = None) -> Prim:
    return Prim(name, m, d, n, glyph=True)


OPS: dict[str, Any] = {
    "+": _glyph("+", q_flip, lambda x, y: arith("+", x, y)),
    "-": _glyph("-", q_neg, lambda x, y: arith("-", x, y)),
    "*": _glyph("*", q_first, lambda x, y: arith("*", x, y)),
    "%": _glyph("%", q_reciprocal, lambda x, y: arith("%", x, y)),
    "&": _glyph("&", q_where, lambda x, y: minmax(False, x, y)),
    "|": _glyph("|", q_reverse, lambda x, y: minmax(True, x, y)),
    "<": _glyph("<", q_iasc, lambda x, y: compare("<", x, y)),
    ">": _glyph(">", q_idesc, lambda x, y: compare(">", x, y)),
    "=": _glyph("=", q_eq_m, lambda x, y: compare("=", x, y)),
    "<=": _glyph("~>", None, lambda x, y: compare("<=", x, y)),
    ">=": _glyph("~<", None, lambda x, y: compare(">=", x, y)),
    "<>": _glyph("~=", None, lambda x, y: compare("<>", x, y)),
    "~": _glyph("~", q_tilde_m, q_match),
    ",": _glyph(",", q_enlist, join),
    "^": _glyph("^", q_null, q_fill),
    "#": _glyph("#", q_hash_m, q_take),
    "_": _glyph("_", _floor_ceil(math.floor), _drop),
    "!": _glyph("!", q_bang_m, q_dict),
    "?": _glyph("?", q_question_m, q_find, q_vcond),
    ":": _glyph(":", q_colon_m, q_dyad_colon),
    "::": IDENTITY,
    "1:": _glyph("1:", None, q_read_binary),
}
OPS |= ITERATORS  # (/;+) in a parse tree


def builtins(interp: Any) -> dict[str, Any]:
    """Keywords bound to this interpreter."""

    def m(name: str, fn: Any) -> Prim:
        return Prim(name, fn, None)

    def d(name: str, fn: Any) -> Prim:
        return Prim(name, None, fn)

    # glyphs that need the session are built per interpreter (sessions never share state)
    ops = dict(OPS)
    ops["?"] = _glyph(
        "?",
        q_question_m,
        lambda x, y: q_find_in(interp, x, y),
        lambda a: _q3(interp, a) if len(a) == 3 else functional_select(interp, a),
    )
    ops["!"] = _glyph(
        "!", q_bang_m, lambda x, y: q_dict_in(interp, x, y), lambda a: functional_update(interp, a)
    )
    ops["$"] = _glyph("$", q_string, lambda x, y: q_cast_in(interp, x, y))
    ops["@"] = _glyph("@", q_at_m, q_at, make_at_n(interp))
    ops["."] = _glyph(".", lambda x: q_value(interp, x), q_dot, make_dot_n(interp))
    ops["'"] = _glyph("'", None, None, q_compose)
    ops.update(extra_ops(interp))  # 0: and 1: on the session's files, from _v_extra
    interp.ops = ops
    ssr = Prim("ssr", None, None, lambda a: q_ssr(*a), valence=3)

    b: dict[str, Any] = json_ns()
    b |= {
        "til": m("til", q_til),
        "count": m("count", q_count),
        "first": m("first", q_first),
        "last": m("last", q_last),
        "reverse": m("reverse", q_reverse),
        "enlist": Prim("enlist", q_enlist, None, lambda a: mklist(list(a)), valence=1),
        "where": m("where", q_where),
        "distinct": m("distinct", q_distinct),
        "group": m("group", q_group),
        "iasc": m("iasc", q_iasc),
        "idesc": m("idesc", q_idesc),
        "asc": m("asc", q_asc),
        "desc": m("desc", q_desc),
        "rank": m("rank", q_rank),
        "raze": m("raze", q_raze),
        "flip": m("flip", q_flip),
        "key": m("key", lambda x: q_key_in(interp, x)),
        "value": m("value", lambda x: q_value(interp, x)),
        "get": m("get", lambda x: q_value(interp, x)),
        "sum": m("sum", q_sum),
        "sums": m("sums", lambda x: _scan_np(x, np.cumsum, "sums")),
        "prd": m("prd", q_prd),
        "prds": m("prds", lambda x: _scan_np(x, np.cumprod, "prds")),
        "max": m("max", q_max),
        "maxs": m("maxs", lambda x: _scan_np(x, np.maximum.accumulate, "maxs")),
        "min": m("min", q_min),
        "mins": m("mins", lambda x: _scan_np(x, np.minimum.accumulate, "mins")),
        "avg": m("avg", q_avg),
        "avgs": m("avgs", q_avgs),
        "med": m("med", q_med),
        "var": m("var", q_var),
        "svar": m("svar", lambda x: q_var(x, 1)),
        "dev": m("dev", q_dev),
        "sdev": m("sdev", q_sdev),
        "neg": m("neg", q_neg),
        "abs": m("abs", q_abs),
        "signum": m("signum", q_signum),
        "sqrt": m("sqrt", _math1(np.sqrt, "sqrt")),
        "exp": m("exp", _math1(np.exp, "exp")),
        "log": m("log", _math1(np.log, "log")),
        "sin": m("sin", _math1(np.sin, "sin")),
        "cos": m("cos", _math1(np.cos, "cos")),
        "tan": m("tan", _math1(np.tan, "tan")),
        "asin": m("asin", _math1(np.arcsin, "asin")),
        "acos": m("acos", _math1(np.arccos, "acos")),
        "atan": m("atan", _math1(np.arctan, "atan")),
        "floor": m("floor", _floor_ceil(math.floor)),
        "ceiling": m("ceiling", _floor_ceil(math.ceil)),
        "reciprocal": m("reciprocal", q_reciprocal),
        "null": m("null", q_null),
        "not": m("not", q_not),
        "fills": m("fills", q_fills),
        "deltas": Prim("deltas", q_deltas, lambda s, x: arith("-", x, _shift_seed(x, s))),
        "ratios": m("ratios", q_ratios),
        "prev": m("prev", q_prev),
        "next": m("next", q_next),
        "xprev": d("xprev", q_xprev),
        "rotate": d("rotate", q_rotate),
        "differ": m("differ", q_differ),
        "any": m("any", q_any),
        "all": m("all", q_all),
        "type": m("type", q_type),
        "string": m("string", q_string),
        "lower": m("lower", q_lower),
        "upper": m("upper", q_upper),
        "trim": m("trim", _trim("b")),
        "ltrim": m("ltrim", _trim("l")),
        "rtrim": m("rtrim", _trim("r")),
        "cols": m("cols", lambda x: q_cols(table_of(interp, x))),
        "meta": m("meta", lambda x: q_meta(table_of(interp, x))),
        "keys": m("keys", q_keys),
        "ungroup": m("ungroup", q_ungroup),
        "attr": m("attr", q_attr),
        "show": m("show", lambda x: q_show(interp, x)),
        "exit": m("exit", q_exit),
        "inv": m("inv", q_inv),
        "parse": m("parse", lambda x: q_parse(interp, x)),
        "eval": m("eval", lambda x: q_eval(interp, x)),
        "in": d("in", q_in),
        "within": d("within", q_within),
        "like": d("like", q_like),
        "except": d("except", q_except),
        "inter": d("inter", q_inter),
        "union": d("union", q_union),
        "cross": d("cross", q_cross),
        "sv": d("sv", q_sv),
        "vs": d("vs", q_vs),
        "ss": d("ss", q_ss),
        "ssr": ssr,
        "cut": d("cut", q_cut),
        "sublist": d("sublist", q_sublist),
        "mod": d("mod", lambda x, y: arith("mod", x, y)),
        "div": d("div", lambda x, y: arith("div", x, y)),
        "and": d("and", q_and),
        "or": d("or", q_or),
        "each": d("each", q_each),
        "peach": d("peach", q_each),
        "over": d("over", q_over),
        "scan": d("scan", q_scan),
        "prior": d("prior", q_prior),
        "bin": d("bin", q_bin),
        "binr": d("binr", lambda x, y: q_bin(x, y, True)),
        "xbar": d("xbar", q_xbar),
        "xexp": d("xexp", q_xexp),
        "xlog": d("xlog", q_xlog),
        "wavg": d("wavg", q_wavg),
        "wsum": d("wsum", q_wsum),
        "cor": d("cor", q_cor),
        "cov": d("cov", q_cov),
        "scov": d("scov", lambda x, y: q_cov(x, y, 1)),
        "msum": d("msum", _moving("sum")),
        "mavg": d("mavg", _moving("avg")),
        "mmax": d("mmax", _mext(True)),
        "mmin": d("mmin", _mext(False)),
        "mcount": d("mcount", _moving("count")),
        "mdev": d("mdev", _moving("dev")),
        "ema": d("ema", q_ema),
        "mmu": d("mmu", q_mmu),
        "lsq": d("lsq", q_lsq),
        "xkey": d("xkey", q_xkey),
        "xrank": d("xrank", q_xrank),
        "xgroup": d("xgroup", q_xgroup),
        "xcol": d("xcol", q_xcol),
        "xcols": d("xcols", q_xcols),
        "xasc": d("xasc", lambda c, t: by_name(interp, t, lambda x: q_xasc(c, x))),
        "xdesc": d("xdesc", lambda c, t: by_name(interp, t, lambda x: q_xasc(c, x, True))),
        "insert": d("insert", lambda n, r: q_insert(interp, n, r)),
        "upsert": d("upsert", make_upsert(interp)),
        "set": d("set", lambda n, v: q_set(interp, n, v)),
        "fby": d("fby", q_fby),
        "uj": d("uj", lambda x, y: _uj(x, y)),
        "lj": d("lj", lambda x, y: _lj(x, y)),
        "ij": d("ij", lambda x, y: _ij(x, y)),
        # the joins of _sql_join (code.kx.com/q/ref/pj, asof, ej, aj): dyadic, or triadic with the columns
        "pj": d("pj", q_pj),
        "asof": d("asof", q_asof),
        "ej": _triadic("ej", q_ej),
        "aj": _triadic("aj", q_aj),
        "aj0": _triadic("aj0", q_aj0),
    }
    b["0N!"] = m("0N!", lambda x: q_0n(interp, x))

    b["view"] = m(
        "view",
        lambda x: chars(interp.g[x.v].body.strip()) if type(interp.g.get(x.v)) is View else _raise("type"),
    )
    b["views"] = m(
        "views",
        lambda x: q_set_attr(A(11, "s"), _syms(sorted(k for k, v in interp.g.items() if type(v) is View))),
    )

    b["tables"] = m(
        "tables",
        lambda x: _syms(
            sorted(k for k, v in interp.g.items() if type(v) is T or (type(v) is D and type(v.k) is T))
        ),
    )
    b |= dotted_ns(ops["!"])
    b |= dot_q(interp)
    for k, v in extra_builtins(interp).items():  # hsym, fkeys, wj, wj1, .Q.en, csv, ujf, the .h namespace
        if k not in b or k.startswith(".h."):
            b[k] = v
    for kw, shown in K_FORMS.items():
        if isinstance(b.get(kw), Prim):
            b[kw].shown = shown
    return b


def _triadic(name: str, f: Any) -> Prim:
    """A keyword of exactly three arguments (``aj[c;t1;t2]``); other counts are ``'rank``."""
    return Prim(name, None, None, lambda a: f(*a) if len(a) == 3 else _raise("rank"), valence=3)


def _raise(name: str) -> Any:
    raise QError(name)


def _shift_seed(x: Any, s: Any) -> Any:
    lst = items(x)
    return mklist([s] + lst[:-1]) if lst else x
