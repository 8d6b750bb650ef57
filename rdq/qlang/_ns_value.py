"""Namespaces as values (code.kx.com/q/basics/namespaces): ``.ns`` is a dictionary of its names, its first
key the empty symbol (``::``); `` `. `` is the root (the globals); ``.q`` lists the keywords ``q.k`` defines
(so ``.q?(+:)`` is `` `flip ``, parsetrees.md). Namespaces nest: ``.a.b.c`` is ``.a`b`c``."""

from __future__ import annotations

from typing import Any

from rdq.qlang._core import _syms, mklist
from rdq.qlang._values import IDENTITY, D

__all__ = ["Q_NAMES", "namespace", "namespace_names"]

#: the names kdb+ 4.0's ``q.k`` defines in ``.q``, in its order (``value:get:.:`` defines ``get`` first)
Q_NAMES = """neg not null string reciprocal floor ceiling signum mod xbar xlog and or each scan over prior mmu lsq
inv md5 ltime gtime count first svar sdev scov med all any rand sums prds mins maxs fills deltas ratios avgs differ
prev next rank reverse iasc idesc asc desc msum mcount mavg mdev xrank mmin mmax xprev rotate ema distinct group
where flip type key til get value attr cut set upsert raze union inter except cross sv vs sublist read0 read1 hclose
hdel hsym hcount peach system ltrim rtrim trim lower upper ssr view tables views cols xcols keys xkey xcol xasc xdesc
fkeys meta lj ljf aj aj0 ajf ajf0 ij ijf pj asof uj ujf ww wj wj1 fby xgroup ungroup ej save load rsave rload dsave
show csv parse eval reval""".split()


def namespace_names(interp: Any, ns: str) -> list[str]:
    """The names directly in namespace ``ns`` (``"."`` the root, else ``".name"``), in definition order."""
    if ns == ".":
        return [k for k in interp.g if "." not in k]
    if ns == ".q":
        return [k for k in Q_NAMES if k in interp.builtins]
    pre = ns + "."
    out: list[str] = []
    for source in (interp.builtins, interp.g):
        for name in source:
            if name.startswith(pre) and len(name) > len(pre):
                head = name[len(pre) :].split(".", 1)[0]
                if head and head not in out:
                    out.append(head)
    return out


def namespace(interp: Any, ns: str) -> Any:
    """The dictionary of namespace ``ns`` (None where it has no names): `` ` `` maps to ``::``, then each name
    to its value (a nested namespace to its own dictionary)."""
    names = namespace_names(interp, ns)
    if ns == ".":  # the root, empty or not
        return D(_syms(names), mklist([interp.lookup(k, None) for k in names]))
    if not names:
        return None
    vals: list[Any] = [IDENTITY]
    for k in names:
        full = (ns + "." + k) if ns != ".q" else k
        v = interp.g.get(full, interp.builtins.get(full))
        vals.append(v if v is not None else namespace(interp, ns + "." + k))
    return D(_syms([""] + names), mklist(vals))
