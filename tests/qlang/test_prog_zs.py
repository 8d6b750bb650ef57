"""``.z.s`` (the running function: code.kx.com/q/ref/dotz/#zs-self) and deep recursion."""

from __future__ import annotations

from rdq.qlang import Session


def test_zs_factorial() -> None:
    # 10! = 3628800
    assert Session().display("{$[x=0;1;x*.z.s x-1]} 10") == "3628800"


def test_zs_fib_named() -> None:
    s = Session()
    s.display("f:{$[x<2;x;.z.s[x-1]+.z.s[x-2]]}")
    assert s.display("f 15") == "610"


def test_zs_inner_lambda_is_its_own() -> None:
    # inside the inner lambda .z.s is the inner lambda: it counts down x to 0 and returns 0
    s = Session()
    assert s.display("{{$[x>0;.z.s x-1;x]} x} 5") == "0"


def test_deep_recursion_5000() -> None:
    # q recurses thousands deep; 1+f x-1 from 5000 is 5000
    s = Session()
    s.display("g:{$[x=0;0;1+.z.s x-1]}")
    assert s.display("g 5000") == "5000"


def test_infinite_recursion_is_stack() -> None:
    s = Session()
    s.display("h:{h x}")
    assert s.display("h 1") == "'stack"
