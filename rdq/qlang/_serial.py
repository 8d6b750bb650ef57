"""q's serialized form (``-8!`` / ``-9!``): the kdb+ IPC message layout, little-endian, uncompressed.

Layout: an 8-byte header (``01 00 00 00`` then the int32 message length, header included) followed by
the object: a type byte, then for vectors an attribute byte, an int32 count and the items; symbols are
NUL-terminated; dictionaries are keys then values (type 99, 127 when the keys are sorted); tables are
type 98, an attribute byte and the column dictionary; lambdas are type 100, the context name and the
source text as a char vector.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from rdq.qlang._fn import Lambda
from rdq.qlang._values import DTYPES, A, D, Fn, L, QError, T, V

__all__ = ["serialize", "deserialize"]

_ATTR = {"": 0, "s": 1, "u": 2, "p": 3, "g": 4}
_ATTR_NAME = {v: k for k, v in _ATTR.items()}
#: little-endian numpy dtypes of the fixed-width types
_LE: dict[int, str] = {
    1: "u1",
    4: "u1",
    5: "<i2",
    6: "<i4",
    7: "<i8",
    8: "<f4",
    9: "<f8",
    10: "u1",
    12: "<i8",
    13: "<i4",
    14: "<i4",
    15: "<f8",
    16: "<i8",
    17: "<i4",
    18: "<i4",
    19: "<i4",
}


def serialize(x: Any) -> bytes:
    """``-8!x``: the bytes of the IPC message carrying ``x``."""
    body = bytearray()
    _put(body, x)
    return b"\x01\x00\x00\x00" + struct.pack("<i", len(body) + 8) + bytes(body)


def _put(out: bytearray, x: Any) -> None:

    tx = type(x)
    if tx is A:
        t = x.t
        out += struct.pack("<b", -t)
        if t == 11:
            out += x.v.encode("utf-8") + b"\x00"
        elif t == 2:
            out += bytes.fromhex(x.v.replace("-", ""))
        elif t in _LE:
            out += np.array([x.v], dtype=DTYPES[t]).astype(_LE[t]).tobytes()
        else:
            raise QError("type")
        return
    if tx is V:
        t = x.t
        out += struct.pack("<bBi", t, _ATTR.get(x.attr, 0), len(x.a))
        if t == 11:
            for s in x.a.tolist():
                out += s.encode("utf-8") + b"\x00"
        elif t == 2:
            for s in x.a.tolist():
                out += bytes.fromhex(s.replace("-", ""))
        elif t in _LE:
            out += x.a.astype(_LE[t]).tobytes()
        else:
            raise QError("type")
        return
    if tx is L:
        out += struct.pack("<bBi", 0, _ATTR.get(x.attr, 0), len(x.items))
        for a in x.items:
            _put(out, a)
        return
    if tx is D:
        k = x.k
        if type(k) in (V, T) and k.attr == "s":  # a sorted dictionary (a step function)
            out += b"\x7f"
        else:
            out += b"\x63"
        _put(out, k)
        _put(out, x.v)
        return
    if tx is T:
        out += b"\x62" + bytes([_ATTR.get(x.attr, 0)]) + b"\x63"
        _put(out, V(11, np.array(x.cols, dtype=object)))
        _put(out, L(list(x.data)))
        return
    if isinstance(x, Lambda):
        out += b"\x64\x00"
        _put(out, V(10, np.frombuffer(x.src.encode("utf-8"), dtype=np.uint8).copy()))
        return
    if isinstance(x, Fn):
        raise QError("nyi")
    raise QError("type")


def deserialize(b: bytes) -> Any:
    """``-9!b``: the object in an IPC message."""
    if len(b) < 9 or b[0] != 1:
        raise QError("badmsg")
    n = struct.unpack_from("<i", b, 4)[0]
    if n != len(b) or b[2] != 0:
        raise QError("badmsg")
    x, _ = _get(b, 8)
    return x


def _get(b: bytes, i: int) -> tuple[Any, int]:
    t = struct.unpack_from("<b", b, i)[0]
    i += 1
    if t < 0:
        t = -t
        if t == 11:
            j = b.index(b"\x00", i)
            return A(11, b[i:j].decode("utf-8")), j + 1
        if t == 2:
            h = b[i : i + 16].hex()
            return A(2, f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"), i + 16
        dt = np.dtype(_LE[t])
        v = np.frombuffer(b, dtype=dt, count=1, offset=i).astype(DTYPES[t])[0]
        return A(t, v.item() if t not in (1, 4, 10) else int(v)), i + dt.itemsize
    if t in (99, 127):
        k, i = _get(b, i)
        v, i = _get(b, i)
        if t == 127 and type(k) is V:
            k = V(k.t, k.a, "s")
        return D(k, v), i
    if t == 98:
        i += 1
        d, i = _get(b, i)
        return T(list(d.k.a.tolist()), list(d.v.items) if type(d.v) is L else [d.v]), i
    if t == 100:
        raise QError("nyi")
    attr = _ATTR_NAME.get(b[i], "")
    n = struct.unpack_from("<i", b, i + 1)[0]
    i += 5
    if t == 0:
        its = []
        for _ in range(n):
            a, i = _get(b, i)
            its.append(a)
        r = L(its)
        r.attr = attr
        return r, i
    if t == 11:
        out = []
        for _ in range(n):
            j = b.index(b"\x00", i)
            out.append(b[i:j].decode("utf-8"))
            i = j + 1
        return V(11, np.array(out, dtype=object), attr), i
    if t == 2:
        gs = []
        for _ in range(n):
            h = b[i : i + 16].hex()
            gs.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
            i += 16
        return V(2, np.array(gs, dtype=object), attr), i
    if t in _LE:
        dt = np.dtype(_LE[t])
        a = np.frombuffer(b, dtype=dt, count=n, offset=i).astype(DTYPES[t])
        return V(t, a, attr), i + n * dt.itemsize
    raise QError("type")
