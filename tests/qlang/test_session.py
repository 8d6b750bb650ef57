"""The public Session contract: display, eval, run_script."""

from __future__ import annotations

import numpy as np
import pytest

from rdq.qlang import QError, ScriptResult, Session
from rdq.qlang._values import A, V


def test_display_contract_examples() -> None:
    s = Session()
    assert s.display("a:1 2 3") == ""
    assert s.display("a+1") == "2 3 4"
    assert s.display("`a`b!1 2") == "a| 1\nb| 2"
    assert s.display("1+`a") == "'type"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("1b", "1b"),
        ("101b", "101b"),
        ("enlist 5", ",5"),
        ("0N", "0N"),
        ("1f", "1f"),
        ("2.5", "2.5"),
        ("1e10", "1e+10"),
        ("1%3", "0.3333333"),
        ("`a`b", "`a`b"),
        ('"abc"', '"abc"'),
        ("()", "()"),
        ("til 0", "`long$()"),
        ("1 2 3i", "1 2 3i"),
        ("0Ni", "0Ni"),
        ("-0W", "-0W"),
        ("0w", "0w"),
        ("1 2f", "1 2f"),
        ("1.5 2", "1.5 2"),
        ("(1 2;3 4)", "1 2\n3 4"),
        ("(1;`a;\"b\")", '1\n`a\n"b"'),
        ("([]a:1 2;b:`x`y)", "a b\n---\n1 x\n2 y"),
        ("([k:1 2]v:10 20)", "k| v\n-| --\n1| 10\n2| 20"),
        ("1 2 3+4 5", "'length"),
        ("iasc 7", "'rank"),
        ("{x+y}[1]", "{x+y}[1]"),
    ],
)
def test_console_formatting(src: str, expected: str) -> None:
    assert Session().display(src) == expected


def test_eval_returns_q_values() -> None:
    s = Session()
    v = s.eval("til 3")
    assert isinstance(v, V) and v.t == 7 and v.a.tolist() == [0, 1, 2]
    a = s.eval("2+3")
    assert isinstance(a, A) and a.v == 5
    with pytest.raises(QError) as ei:
        s.eval("1+`a")
    assert ei.value.name == "type"


def test_globals_persist_and_lambdas() -> None:
    s = Session()
    s.display("f:{[a;b] c:a*b; c+1}")
    assert s.display("f[3;4]") == "13"
    assert s.display("c") == "'c"  # c was local
    s.display("g:{x+y+z}")
    assert s.display("g[1;2;3]") == "6"
    assert s.display("g[1;;3] 10") == "14"


def test_control_flow_and_amend() -> None:
    s = Session()
    assert s.display("x:0; do[5; x+:1]; x") == "5"
    assert s.display("v:5#0; v[2]:7; v") == "0 0 7 0 0"
    assert s.display("v,:9; v") == "0 0 7 0 0 9"
    assert s.display("{r:0; i:0; while[i<4; r+:i; i+:1]; r}[]") == "6"
    assert s.display("{if[x>1; :`big]; `small} 5") == "`big"
    assert s.display("$[0b;1;0b;3;4]") == "4"
    assert s.display("@[{'x};`oops;{\"caught \",x}]") == '"caught oops"'
    assert s.display(".[+;(1;`a);{x}]") == '"type"'


def test_run_script_show_exit_and_bare_values() -> None:
    s = Session()
    res = s.run_script("solve:{x+y}\n\n1+1\nresult:solve[1;2];\nshow result;\nexit 0;\nshow 99\n")
    assert isinstance(res, ScriptResult)
    assert res.stdout == "3\n"
    assert res.exit_code == 0
    assert res.stderr == ""


def test_run_script_exit_code_and_errors_to_stderr() -> None:
    res = Session().run_script("show 1\nexit 3\n")
    assert (res.stdout, res.exit_code) == ("1\n", 3)
    res = Session().run_script("show 1\nx:1+`a\nshow 2\n")
    assert res.stdout == "1\n"
    assert res.stderr == "'type\n"
    assert res.exit_code == 1


def test_run_script_multiline_function_and_comments() -> None:
    src = "/ a comment\nf:{[n]\n  r:0;  / trailing\n  do[n; r+:2];\n  r}\n/\nblock comment\n\\\nshow f 4\n"
    res = Session().run_script(src)
    assert res.stdout == "8\n"
    assert res.exit_code == 0


def test_loop_heavy_code_is_correct() -> None:
    """Sanity for the scalar fast paths (no wall-clock assertion; speed lives in benchmarks)."""
    s = Session()
    s.display("f:{[n] r:0; i:0; while[i<n; if[0=i mod 3; r+:i]; i+:1]; r}")
    n = 30000
    assert s.display(f"f {n}") == str(sum(i for i in range(n) if i % 3 == 0))
    s.display("fib:{[n] a:0; b:1; do[n; t:a+b; a:b; b:t]; a}")
    assert s.display("fib 90") == "2880067194370816120"
    assert s.display("v:100#0; i:0; while[i<100; v[i]:i*i; i+:1]; sum v") == str(sum(i * i for i in range(100)))
    r = s.eval("sum {x*x} each til 1000")
    assert r.v == int(np.sum(np.arange(1000) ** 2))


def test_in_place_amend_keeps_value_semantics() -> None:
    """Amends mutate only uniquely held vectors: aliases and callers' values never change."""
    s = Session()
    assert s.display("v:til 5; w:v; w[0]:99; (v 0; w 0)") == "0 99"
    assert s.display("m:(3;3)#0; n:m; n[1;1]:7; (m[1;1]; n[1;1])") == "0 7"
    assert s.display("f:{[x] r:x; r[0]:100; r}; a:1 2 3; (f a; a)") == "100 2 3\n1   2 3"
    assert s.display("c:3#0; do[7; c[1]+:1]; c") == "0 7 0"
    assert s.display("u:1 2 3; u[1]:`a") == "'type"


def test_sessions_do_not_share_state() -> None:
    s1 = Session()
    s2 = Session()  # created after s1: s1 must still use its own globals and output
    s1.display("a:1 2 3")
    s2.display("a:10 20 30")
    s1.display("@[`a;0;:;9]")
    assert s1.display("a") == "9 2 3"
    assert s2.display("a") == "10 20 30"
    assert s1.display("0N!5") == "5\n5"
    assert s2.display("1+1") == "2"
    s1.display("t:([]k:1 2;v:3 4)")
    s1.display("1!`t")
    assert s1.display("keys t") == ",`k"
    assert s2.display("t") == "'t"


def test_display_precision_is_per_session() -> None:
    """``\\P`` sets the session's own precision: another session, new or old, still prints 7 digits."""
    a, b = Session(), Session()
    assert a.display("\\P 3") == ""
    assert a.display("1%3") == "0.333"
    assert a.display("\\P") == "3"
    assert b.display("1%3") == "0.3333333"
    assert b.display("\\P") == "7"
    assert Session().display("1%3") == "0.3333333"
    assert a.display("1%3") == "0.333"  # a keeps its own after b ran
    b.display("\\P 0")
    assert b.display("1%3") == "0.33333333333333331"
    assert a.display("string 1%3") == '"0.333"'
    assert Session().eval("1%3").v == pytest.approx(1 / 3)


def test_precision_set_in_a_script_applies_to_that_script_only() -> None:
    a, b = Session(), Session()
    assert a.run_script("\\P 2\nshow 2%3\n").stdout == "0.67\n"
    assert b.run_script("show 2%3\n").stdout == "0.6666667\n"
    assert a.display("2%3") == "0.67"


def _broken_session(**kw: bool) -> Session:
    """A session whose ``til`` has a bug: a Python exception inside the interpreter."""
    from rdq.qlang._fn import Prim

    s = Session(**kw)

    def til(x: object) -> object:
        return {}["missing"]  # KeyError, as a bug in a verb would raise

    s.interp.builtins["til"] = Prim("til", til)
    return s


def test_internal_error_is_not_reported_as_nyi(monkeypatch: pytest.MonkeyPatch) -> None:
    from rdq.qlang._session import DEBUG_ENV, INTERNAL_ERROR

    monkeypatch.delenv(DEBUG_ENV, raising=False)
    s = _broken_session()
    out = s.display("til 3")
    assert out.startswith(INTERNAL_ERROR) and "bug in rdq" in out
    assert "'nyi" not in out and "KeyError" not in out and DEBUG_ENV in out
    assert s.display("1+2") == "3"  # the session goes on
    res = s.run_script("show 1\ntil 3\nshow 2\n")
    assert res.stdout == "1\n" and res.exit_code == 1 and res.stderr.startswith(INTERNAL_ERROR)
    with pytest.raises(KeyError):
        s.eval("til 3")  # eval lets the Python error through, not a q error


def test_internal_error_names_the_python_exception_in_debug_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    from rdq.qlang._session import DEBUG_ENV, INTERNAL_ERROR

    out = _broken_session(debug=True).display("til 3")
    assert out.startswith(INTERNAL_ERROR + ": KeyError: 'missing' at test_session.py:")
    monkeypatch.setenv(DEBUG_ENV, "1")
    assert "KeyError: 'missing'" in _broken_session().display("til 3")
    monkeypatch.setenv(DEBUG_ENV, "0")
    assert "KeyError" not in _broken_session().display("til 3")


def test_genuine_q_errors_and_nyi_stay_q_errors() -> None:
    s = Session(debug=True)
    assert s.display("1+`a") == "'type"
    assert s.display("\\zz") == "'nyi"  # a system command rdq does not implement
    s.display("f:{f x}")
    assert s.display("f 0") == "'stack"
