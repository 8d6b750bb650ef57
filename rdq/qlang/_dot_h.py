"""The ``.h`` namespace (code.kx.com/q/ref/doth): markup, escaping, HTTP responses, CSV/TSV/XML from data.

Each function follows the reference page's statement and examples, e.g.::

    .h.htc[`tag;"value"]           "<tag>value</tag>"
    .h.hu "http://www.kx.com"      "http%3a%2f%2fwww.kx.com"
    .h.xs "Arthur & Co."           "Arthur &amp; Co."
    .h.cd ([]a:1 2 3;b:`x`y`z)     ("a,b";"1,x";"2,y";"3,z")
    .h.xd ([]a:1 2 3;b:`x`y`z)     ("<R>";"<r><a>1</a><b>x</b></r>";...;"</R>")

Not here: the web-console and file helpers that need a server or a file system (``.h.ht``, ``.h.jx``,
``.h.ed``, ``.h.edsn``, ``.h.logo``).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from rdq.qlang._core import chars, count, item, items, qstr
from rdq.qlang._fn import Prim
from rdq.qlang._json import from_json, to_json
from rdq.qlang._v_str import q_string
from rdq.qlang._v_text import prepare_text
from rdq.qlang._values import A, D, E, L, QError, T, V

__all__ = ["dot_h", "uri_escape", "xml_escape"]

#: characters that need no escape in a URI (``.h.sc``)
SC = "$-.+!*'(),abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789"
SA = "a{text-decoration:none}a:link{color:024C7E}a:visited{color:024C7E}a:active{color:958600}"
SB = "body{font:10pt verdana;text-align:justify}"
#: ``.h.ty``: content types by file type
TY = {
    "htm": "text/html",
    "html": "text/html",
    "csv": "text/comma-separated-values",
    "txt": "text/plain",
    "xml": "text/plain",
    "xls": "application/msexcel",
    "gif": "image/gif",
    "jpg": "image/jpeg",
    "png": "image/png",
    "svg": "image/svg+xml",
    "ico": "image/x-icon",
    "js": "application/javascript",
    "json": "application/json",
    "css": "text/css",
    "pdf": "application/pdf",
}


def _text(x: Any) -> str:
    """Python text of a string, char or symbol argument (``'type`` otherwise)."""
    if type(x) is L and not x.items:
        return ""
    return qstr(x)


def _lines(x: Any) -> list[str]:
    """A list of strings (or one string) as Python lines."""
    if type(x) is V and x.t == 10:
        return [_text(x)]
    if type(x) is L:
        return [_text(a) for a in x.items]
    if type(x) is V and x.t == 11:
        return list(x.a.tolist())
    raise QError("type")


def _strs(lines: list[str]) -> L:
    return L([chars(s) for s in lines])


def uri_escape(s: str, keep: str = SC) -> str:
    """``.h.hu``: every character not in ``keep`` as ``%xx`` (lower-case hex of its UTF-8 bytes)."""
    out = []
    for ch in s:
        if ch in keep:
            out.append(ch)
        else:
            out.extend(f"%{b:02x}" for b in ch.encode("utf-8"))
    return "".join(out)


def _uri_unescape(s: str) -> str:
    raw = re.sub(rb"%([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), s.encode("utf-8"))
    return raw.decode("utf-8", "replace")


def xml_escape(s: str) -> str:
    """``.h.xs``: ``&``, ``<`` and ``>`` as entities."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attrs(d: Any) -> str:
    if type(d) is not D:
        raise QError("type")
    out = []
    for k, v in zip(items(d.k), items(d.v), strict=True):
        if type(v) is V and v.t == 10:
            out.append(f' {_text(k)}="{_text(v)}"')
        else:
            out.append(f" {_text(k)}={_text(q_string(v)) if type(v) is A and v.t != 11 else _text(v)}")
    return "".join(out)


def _cell(x: Any, sep: str | None) -> str:
    """A value as text in a CSV/TSV cell: nested items joined by ``sep`` (``.h.d``), strings too, as
    the reference's ``.h.cd`` example shows; with ``sep`` None (XML) a string is its text."""
    if type(x) is A:
        if x.t == 11:
            return x.v
        if x.t == 10:
            return chr(x.v)
        return _text(q_string(x))
    if type(x) is V and x.t == 10 and sep is None:
        return _text(x)
    if sep is None:
        sep = " "
    if type(x) in (V, L, E):
        return sep.join(_cell(a, sep) for a in items(x))
    return _text(q_string(x))


def _columns(x: Any) -> tuple[list[str] | None, list[Any]]:
    if type(x) is D and type(x.k) is T and type(x.v) is T:
        return list(x.k.cols) + list(x.v.cols), list(x.k.data) + list(x.v.data)
    if type(x) is T:
        return list(x.cols), list(x.data)
    if type(x) is L:
        return None, list(x.items)
    raise QError("type")


def _xd(x: Any) -> L:
    names, cols = _columns(x)
    if names is None:
        raise QError("type")
    n = count(cols[0]) if cols else 0
    rows = ["<R>"]
    for i in range(n):
        cells = []
        for name, c in zip(names, cols, strict=True):
            v = item(c if type(c) is not E else c.syms(), i)
            cells.append(f"<{name}>{xml_escape(_cell(v, None))}</{name}>")
        rows.append("<r>" + "".join(cells) + "</r>")
    rows.append("</R>")
    return _strs(rows)


def _code(s: str) -> str:
    parts = s.split("\t")
    return " ".join(p if i % 2 == 0 else f"<code><nobr>{p}</nobr></code>" for i, p in enumerate(parts))


def _anchor(x: Any, y: Any, target: str = "") -> Any:
    href = f'"{_text(x)}"' if type(x) is V and x.t == 10 else _text(x)
    return chars(f"<a {target}href={href}>{_text(y)}</a>")


def _hn(code: str, ty: str, body: str) -> str:
    ctype = TY.get(ty, ty)
    return (
        f"HTTP/1.1 {code}\r\nContent-Type: {ctype}\r\nConnection: close\r\n"
        f"Content-Length: {len(body.encode('utf-8'))}\r\n\r\n{body}"
    )


def _html(body: str) -> str:
    return f"<html><head><style>{SA}{SB}</style></head><body>{body}</body></html>"


def _pre(lines: list[str]) -> str:
    return "<pre>" + "".join(s + "\n" for s in lines) + "</pre>"


def _iso8601(x: Any) -> Any:
    if type(x) is not A or x.t not in (5, 6, 7, 12, 16):
        raise QError("type")
    ns = int(x.v)
    days, rest = divmod(ns, 86_400_000_000_000)
    d = np.datetime64("2000-01-01") + np.timedelta64(days, "D")
    h, rest = divmod(rest, 3_600_000_000_000)
    m, rest = divmod(rest, 60_000_000_000)
    s, frac = divmod(rest, 1_000_000_000)
    return chars(f"{d}T{h:02d}:{m:02d}:{s:02d}.{frac:09d}")


def _http(s: str) -> str:
    return re.sub(r"http://[^\s\"<>]+", lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', s)


def _json_lines(x: Any) -> Any:
    """``.h.tx[`json]``: a table as JSON Lines; a list (e.g. an enlisted table) as one JSON array."""
    if type(x) is T:
        return _strs([to_json(r) for r in items(x)])
    if type(x) is L and len(x.items) == 1 and type(x.items[0]) is T:
        return chars("[" + ",\n ".join(to_json(r) for r in items(x.items[0])) + "]")
    return chars(to_json(x))


def dot_h(lookup: Any = None) -> dict[str, Any]:
    """The ``.h`` names, to merge into a session's builtins.

    ``lookup(name)`` reads a session variable (``.h.d``, the delimiter of nested items, may be set).
    """

    def sub() -> str:
        if lookup is None:
            return " "
        try:
            return _text(lookup(".h.d"))
        except QError:
            return " "

    def m(name: str, fn: Any) -> Prim:
        return Prim(name, fn, None)

    def d(name: str, fn: Any) -> Prim:
        return Prim(name, None, fn)

    def s1(name: str, fn: Any) -> Prim:
        """A monad from text to text."""
        return Prim(name, lambda x: chars(fn(_text(x))), None)

    ty = D(V(11, np.array(list(TY), dtype=object)), L([chars(v) for v in TY.values()]))

    def hug(keep: Any) -> Prim:
        k = _text(keep)
        return Prim(".h.hug", lambda x: chars(uri_escape(_text(x), k)), None)

    def hta(x: Any, y: Any) -> Any:
        return chars(f"<{_text(x)}{_attrs(y)}>")

    cd = m(".h.cd", lambda x: prepare_text(",", x, sub()))
    td = m(".h.td", lambda x: prepare_text("\t", x, sub()))
    xd = m(".h.xd", _xd)
    h: dict[str, Any] = {
        ".h.br": chars("<br>"),
        ".h.c0": A(11, "024C7E"),
        ".h.c1": A(11, "958600"),
        ".h.d": A(10, 32),
        ".h.HOME": chars("html"),
        ".h.sa": chars(SA),
        ".h.sb": chars(SB),
        ".h.sc": chars(SC),
        ".h.ty": ty,
        ".h.cd": cd,
        ".h.td": td,
        ".h.xd": xd,
        ".h.code": s1(".h.code", _code),
        ".h.hc": s1(".h.hc", lambda s: s.replace("<", "&lt;")),
        ".h.hr": s1(".h.hr", lambda s: "-" * len(s)),
        ".h.hu": s1(".h.hu", uri_escape),
        ".h.uh": s1(".h.uh", _uri_unescape),
        ".h.xs": s1(".h.xs", xml_escape),
        ".h.nbr": s1(".h.nbr", lambda s: f"<nobr>{s}</nobr>"),
        ".h.html": s1(".h.html", _html),
        ".h.http": s1(".h.http", _http),
        ".h.he": s1(".h.he", lambda s: _hn("400 Bad Request", "txt", "'" + s.replace("<", "&lt;"))),
        ".h.pre": m(".h.pre", lambda x: chars(_pre(_lines(x)))),
        ".h.xmp": m(".h.xmp", lambda x: chars("<xmp>" + "".join(s + "\n" for s in _lines(x)) + "</xmp>")),
        ".h.text": m(".h.text", lambda x: chars("".join(f"<p>{s}</p>\n" for s in _lines(x)))),
        ".h.hp": m(
            ".h.hp",
            lambda x: chars(
                _hn(
                    "200 OK",
                    "htm",
                    f"<html><head><style>{SB}</style></head><body>{_pre(_lines(x))}</body></html>",
                )
            ),
        ),
        ".h.iso8601": m(".h.iso8601", _iso8601),
        ".h.ka": m(".h.ka", lambda x: chars("close" if type(x) is A and x.v == 0 else "keep-alive")),
        ".h.hug": m(".h.hug", hug),
        ".h.htc": d(".h.htc", lambda x, y: chars(f"<{_text(x)}>{_text(y)}</{_text(x)}>")),
        ".h.hta": d(".h.hta", hta),
        ".h.htac": Prim(
            ".h.htac",
            None,
            None,
            lambda a: (
                chars(f"<{_text(a[0])}{_attrs(a[1])}>{_text(a[2])}</{_text(a[0])}>")
                if len(a) == 3
                else _rank()
            ),
            valence=3,
        ),
        ".h.ha": d(".h.ha", lambda x, y: _anchor(x, y)),
        ".h.hb": d(".h.hb", lambda x, y: _anchor(x, y, "target=v ")),
        ".h.hy": d(".h.hy", lambda x, y: chars(_hn("200 OK", _text(x), _text(y)))),
        ".h.hn": Prim(
            ".h.hn",
            None,
            None,
            lambda a: chars(_hn(_text(a[0]), _text(a[1]), _text(a[2]))) if len(a) == 3 else _rank(),
            valence=3,
        ),
        ".h.fram": Prim(".h.fram", None, None, lambda a: _fram(a) if len(a) == 3 else _rank(), valence=3),
        ".h.xt": d(".h.xt", lambda x, y: L([from_json(s) for s in _lines(y)])),
    }
    h[".h.tx"] = D(
        V(11, np.array(["raw", "json", "csv", "txt", "xml"], dtype=object)),
        L([Prim(",:", lambda x: x, None), m("json", _json_lines), cd, td, xd]),
    )
    return h


def _fram(a: list[Any]) -> Any:
    title, lines, srcs = a
    ls = _lines(lines)
    left, right = _lines(srcs)
    w = 26 + 10 * max((len(s) for s in ls), default=0)
    return chars(
        f'<html><head><title>{_text(title)}</title><frameset cols="{w},*"><frame src="{left}">'
        f'<frame name=v src="{right}"></frameset></head></html>'
    )


def _rank() -> Any:
    raise QError("rank")
