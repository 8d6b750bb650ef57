"""The report's pass rule, with the embedded interpreter and with a fake ``q`` binary."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from rdq.errors import ConfigError
from rdq.qlang.bench._executor import (
    PythonExecutor,
    QBinaryExecutor,
    RunResult,
    find_q_binary,
    judge,
    python_script,
    q_script,
)


def test_scripts_are_code_blank_line_test_exit() -> None:
    assert q_script("solve:{x+1}\n", "show solve 1;") == "solve:{x+1}\n\nshow solve 1;\nexit 0;\n"
    assert python_script("def solve(x):\n    return x\n", "print(solve(1))") == (
        "def solve(x):\n    return x\n\nprint(solve(1))\n"
    )


@pytest.mark.parametrize(
    ("result", "expected", "passed", "reason"),
    [
        (RunResult("1 2\n", "", 0), "1 2", True, ""),
        (RunResult("  1 2  \n\n", "", 0), "1 2", True, ""),  # trimmed
        (RunResult("1 2 \n", "", 0), "1 2 3", False, "wrong output"),
        (RunResult("1  2\n", "", 0), "1 2", False, "wrong output"),  # inner text must match exactly
        (RunResult("1  6 \n8  10\n", "", 0), "1  6\n8  10", True, ""),  # q pads matrix columns
        (RunResult(" 1 2\n3 4\n", "", 0), "1 2\n 3 4", False, "wrong output"),  # leading blanks count
        (RunResult("1 2\n", "'type error\n", 0), "1 2", False, "stderr"),
        (RunResult("1 2\n", "ERROR: boom", 0), "1 2", False, "stderr"),
        (RunResult("1 2\n", "warning: slow", 0), "1 2", True, ""),
        (RunResult("1 2\n", "", 3), "1 2", False, "exit code 3"),
        (RunResult("", "timeout after 2 s", None, True), "1 2", False, "timeout"),
    ],
)
def test_judge_rule(result: RunResult, expected: str, passed: bool, reason: str) -> None:
    v = judge(result, expected)
    assert v.passed is passed
    assert reason in v.reason


# ------------------------------------------------------------------------------ the embedded interpreter
_SOLVE = "solve:{[x;y] x+y}"
_TEST = "result:solve[1 2;3];\nshow result;"


def _embedded_verdict(embedded, code: str, test: str = _TEST, expected: str = "4 5"):
    return judge(embedded.run(q_script(code, test)), expected)


def test_embedded_right_answer_passes(embedded) -> None:
    assert _embedded_verdict(embedded, _SOLVE).passed


def test_embedded_wrong_output_fails(embedded) -> None:
    v = _embedded_verdict(embedded, "solve:{[x;y] x*y}")
    assert not v.passed and "wrong output" in v.reason and "3 6" in v.reason


def test_embedded_q_error_fails(embedded) -> None:
    v = _embedded_verdict(embedded, "solve:{[x;y] x+`a}")
    assert not v.passed


def test_embedded_timeout_fails_and_is_killed(embedded) -> None:
    from rdq.qlang.bench._executor import EmbeddedExecutor

    fast = EmbeddedExecutor(timeout_s=0.5)
    res = fast.run(q_script("solve:{[x;y] while[1b; x+:1]; x}", _TEST))
    assert res.timed_out and res.exit_code is None
    assert judge(res, "4 5").reason == "timeout"


def test_embedded_nonzero_exit_fails(embedded) -> None:
    v = _embedded_verdict(embedded, "solve:{[x;y] x+y}", test="show solve[1 2;3];\nexit 3;")
    assert not v.passed and v.reason == "exit code 3"


def test_embedded_prints_before_exit(embedded) -> None:
    res = embedded.run(q_script("solve:{x}", "show solve 7;\nshow solve `a;"))
    assert res.exit_code == 0 and res.stdout.split() == ["7", "`a"]


# -------------------------------------------------------------------------------- a fake q binary
_FAKE_Q = r"""#!/bin/sh
# A stand-in for q: checks how it is called, then acts on marker comments in the script.
[ "$2" = "-q" ] || { echo "fake q: expected -q, got '$2'" >&2; exit 9; }
f="$1"
tail -n 1 "$f" | grep -qx 'exit 0;' || { echo "fake q: script does not end with exit 0;" >&2; exit 8; }
grep -q '^$' "$f" || { echo "fake q: no blank line between code and test" >&2; exit 7; }
if grep -q 'FAKE_SLEEP' "$f"; then sleep 30; fi
if grep -q 'FAKE_ERROR' "$f"; then echo "'type error" >&2; fi
if grep -q 'FAKE_EXIT' "$f"; then exit 4; fi
sed -n 's|^/ OUT ||p' "$f"
exit 0
"""


@pytest.fixture()
def fake_q(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    qhome = tmp_path / "qhome"
    (qhome / "l64").mkdir(parents=True)
    q = qhome / "l64" / "q"
    q.write_text(_FAKE_Q)
    q.chmod(q.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("QHOME", str(qhome))
    return q


def _fake_verdict(code: str, *, timeout_s: float = 5.0):
    res = QBinaryExecutor(timeout_s=timeout_s).run(q_script(code, "show solve[];"))
    return res, judge(res, "6")


def test_q_binary_found_through_qhome(fake_q: Path) -> None:
    assert find_q_binary() == fake_q.resolve()


def test_q_binary_right_answer_passes(fake_q: Path) -> None:
    res, v = _fake_verdict("solve:{6}\n/ OUT 6")
    assert v.passed, res


def test_q_binary_wrong_output_fails(fake_q: Path) -> None:
    _, v = _fake_verdict("solve:{7}\n/ OUT 7")
    assert not v.passed and "wrong output" in v.reason


def test_q_binary_stderr_error_fails(fake_q: Path) -> None:
    _, v = _fake_verdict("solve:{6}\n/ OUT 6\n/ FAKE_ERROR")
    assert not v.passed and "stderr" in v.reason


def test_q_binary_nonzero_exit_fails(fake_q: Path) -> None:
    _, v = _fake_verdict("solve:{6}\n/ OUT 6\n/ FAKE_EXIT")
    assert not v.passed and v.reason == "exit code 4"


def test_q_binary_timeout_is_killed(fake_q: Path) -> None:
    res, v = _fake_verdict("solve:{6}\n/ OUT 6\n/ FAKE_SLEEP", timeout_s=0.5)
    assert res.timed_out and v.reason == "timeout"


def test_q_binary_missing_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QHOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="no q binary"):
        QBinaryExecutor().run("exit 0;")


# ------------------------------------------------------------------------------------ python side
def test_python_executor_is_isolated_and_limited(tmp_path: Path) -> None:
    py = PythonExecutor(timeout_s=10, memory_mb=300)
    ok = py.run(f"import os, sys\nprint(sys.flags.isolated, os.getcwd() != {os.getcwd()!r})")
    assert ok.exit_code == 0 and ok.stdout.split() == ["1", "True"]
    boom = py.run("x = bytearray(2 * 1024 ** 3)\nprint('allocated')")
    assert boom.exit_code != 0 and "MemoryError" in boom.stderr
    slow = PythonExecutor(timeout_s=0.5).run("while True:\n    pass\n")
    assert slow.timed_out


def test_embedded_memory_limit_fails_the_run(embedded) -> None:
    from rdq.qlang.bench._executor import EmbeddedExecutor

    small = EmbeddedExecutor(timeout_s=60, memory_mb=256)
    res = small.run(q_script("solve:{count til x}", "show solve 400000000;"))  # 3.2 GB of longs
    v = judge(res, "400000000")
    assert not v.passed and res.exit_code != 0
    # the same code within the limit passes
    assert judge(small.run(q_script("solve:{count til x}", "show solve 1000;")), "1000").passed
