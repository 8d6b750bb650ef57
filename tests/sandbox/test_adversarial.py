"""The adversarial suite through the Python API: every attack is stopped, with a clear reason.

Reproduce the figure: ``.venv/bin/pytest -q tests/sandbox/test_adversarial.py``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from rdq.sandbox import run_python_factor
from sandbox.attacks import ATTACKS, DEEP_ATTACKS, RUNTIME_ONLY, TEST_LIMITS

_SAFE = "import polars as pl\ndef factor(panel):\n    return panel.select('date', 'asset', value=pl.col('close') + 1)\n"


def _limits(name: str):  # type: ignore[no-untyped-def]
    if name == "infinite_loop":
        return replace(TEST_LIMITS, wall_s=3.0)
    return TEST_LIMITS


def _assert_unharmed(targets: dict[str, str], res) -> None:  # type: ignore[no-untyped-def]
    assert Path(targets["SECRET"]).read_text() == "TOP-SECRET-42"
    assert Path(targets["CATALOG"]).read_bytes() == b"DUCK-CATALOG"
    assert list(Path(targets["OUTSIDE"]).iterdir()) == []
    for text in (res.stdout, res.stderr, res.reason, res.traceback_tail):
        assert "TOP-SECRET-42" not in text
        assert "DUCK-CATALOG" not in text


def _check(name: str, targets: dict[str, str], panel: pl.DataFrame, *, static: bool, isolation: str = "auto"):  # type: ignore[no-untyped-def]
    template, stopped = ATTACKS[name]
    source = template.format(**targets)
    res, frame = run_python_factor(source, panel, limits=_limits(name), static=static, isolation=isolation)  # type: ignore[arg-type]
    assert res.status in stopped, (name, res.status, res.reason, res.stderr[-500:])
    assert frame is None
    assert res.reason.startswith(res.status), res.reason
    assert "\n" not in res.reason
    _assert_unharmed(targets, res)
    # the caller carries on: the next run in the same process works
    ok, out = run_python_factor(_SAFE, panel, limits=TEST_LIMITS)
    assert ok.status == "ok", ok.reason
    assert out is not None and out["value"].to_list() == [v + 1 for v in panel.sort("date", "asset")["close"]]
    return res


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_stopped(name: str, targets: dict[str, str], panel: pl.DataFrame) -> None:
    res = _check(name, targets, panel, static=True)
    if name not in ("memory_bomb", "infinite_loop", "print_gigabytes", "fill_disk", "big_file"):
        assert res.status == "blocked" and "line" in res.reason, res.reason


@pytest.mark.parametrize("name", RUNTIME_ONLY)
def test_attack_is_stopped_at_run_time(name: str, targets: dict[str, str], panel: pl.DataFrame) -> None:
    """The static check off: the audit hook, import guard, rlimits or namespaces stop it alone."""
    res = _check(name, targets, panel, static=False)
    assert "static_check" in res.layers and res.reason != ""


@pytest.mark.parametrize(
    "name",
    [
        "write_outside",
        "read_secret",
        "read_data_file",
        "socket",
        "os_system",
        "subclasses_escape",
        "memory_bomb",
    ],
)
def test_attack_is_stopped_without_os_isolation(
    name: str, targets: dict[str, str], panel: pl.DataFrame
) -> None:
    """No static check and no namespaces: the in-process guards and the rlimits alone."""
    res = _check(name, targets, panel, static=False, isolation="none")
    assert "bwrap" not in res.layers and "netns" not in res.layers


def test_env_keys_are_not_in_the_child(targets: dict[str, str], panel: pl.DataFrame) -> None:
    # os is not importable by the user's code; reach it through an allowed module instead
    src = (
        "import warnings\nos = warnings.sys.modules['os']\n"
        "def factor(panel):\n    print(sorted(os.environ))\n    print(os.environ.get('OPENAI_API_KEY'))\n"
    )
    res, _ = run_python_factor(src, panel, limits=TEST_LIMITS, static=False)
    assert res.status == "error"  # printed, then returned None
    printed = res.stdout.splitlines()
    assert printed[1] == "None"
    assert "OPENAI_API_KEY" not in printed[0]
    assert set(eval(printed[0])) <= {
        "PATH",
        "LANG",
        "HOME",
        "TMPDIR",
        "OMP_NUM_THREADS",
        "POLARS_MAX_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "LC_CTYPE",
        "PWD",
        "_RJEM_MALLOC_CONF",
    }


def test_blocked_action_cannot_be_caught(targets: dict[str, str], panel: pl.DataFrame) -> None:
    """User code that swallows the refusal still ends as blocked (the hook ends the process)."""
    src = (
        "import polars as pl\n"
        "def factor(panel):\n"
        "    try:\n"
        f"        open({targets['OUTSIDE']!r} + '/x', 'w')\n"
        "    except BaseException:\n"
        "        pass\n"
        "    return panel.select('date', 'asset', value=pl.col('close'))\n"
    )
    res, frame = run_python_factor(src, panel, limits=TEST_LIMITS, static=False)
    assert res.status == "blocked" and frame is None
    assert "line 4" in res.reason and "outside the sandbox directory" in res.reason


@pytest.mark.parametrize("isolation", ["auto", "none"])
@pytest.mark.parametrize("name", sorted(DEEP_ATTACKS))
def test_audit_hook_stops_what_the_import_guard_misses(
    name: str, isolation: str, targets: dict[str, str], panel: pl.DataFrame
) -> None:
    """os/socket/subprocess/ctypes reached through ``warnings.sys.modules``: the audit hook alone."""
    source = DEEP_ATTACKS[name].format(**targets)
    res, frame = run_python_factor(source, panel, limits=TEST_LIMITS, static=False, isolation=isolation)  # type: ignore[arg-type]
    assert res.status == "blocked", (name, res.reason, res.stderr[-300:])
    assert "line" in res.reason and "import" not in res.reason, res.reason
    assert frame is None
    _assert_unharmed(targets, res)
    assert Path(targets["SECRET"]).stat().st_mode & 0o777 != 0o777
