"""-8!/-9! (kdb+ IPC layout): hand-checked bytes and round trips."""

from __future__ import annotations

import pytest

from rdq.qlang import Session


def test_int_atom_bytes_by_hand() -> None:
    # header 01 00 00 00, length 13, type -6 (0xfa), 1i little-endian
    assert Session().display("-8!1i") == "0x010000000d000000fa01000000"


def test_lambda_bytes_by_hand() -> None:
    # type 100, empty context, then the source as a char vector
    assert Session().display("-8!{x+y}") == "0x010000001500000064000a00050000007b782b797d"


@pytest.mark.parametrize(
    "src",
    ["1 2 3", "`a`b`c", "(1;`a;\"abc\";2.5;0x01)", "`a`b!2 3i", "([]a:1 2;b:`x`y)", "([a:1 2]b:3 4f)", "\"G\"$\"192.0.2.1\""],
)
def test_roundtrip(src: str) -> None:
    s = Session()
    assert s.display(f"x~-9!-8!x:{src}") == "1b"


def test_bad_message() -> None:
    assert Session().display("-9!0x0102") == "'badmsg"
