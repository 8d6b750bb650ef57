"""The .j namespace (.j.j / .j.jd / .j.k): hand-checked JSON text and round trips."""

from __future__ import annotations

from rdq.qlang import Session


def test_j_atoms_and_lists_by_hand() -> None:
    s = Session()
    assert s.display('.j.j (1b;`a;"xy";2.5;3)') == '"[true,\\"a\\",\\"xy\\",2.5,3]"'
    assert s.display(".j.j -0w 1 0w") == '"[-inf,1,inf]"'
    assert s.display(".j.jd(-0w 1 0w;([null0w:1b]))") == '"[null,1,null]"'


def test_j_k_object_and_table() -> None:
    s = Session()
    assert s.eval('.j.k "{\\"a\\":[1,2]}"') is not None
    assert s.display('(.j.k "{\\"a\\":[1,2]}")`a') == "1 2f"
    assert s.display('count .j.k "[{\\"a\\":1},{\\"a\\":2}]"') == "2"
    assert s.display('t~.j.k .j.j t:([]a:1 2f;b:("xa";"yz"))') == "1b"


def test_md5_and_sha1_by_hand() -> None:
    s = Session()
    # RFC 1321 / FIPS 180 test vectors for "abc"
    assert s.display('raze string md5 "abc"') == '"900150983cd24fb0d6963f7d28e17f72"'
    assert s.display('raze string -33!"abc"') == '"a9993e364706816aba3e25717850c26c9cd0d89d"'
