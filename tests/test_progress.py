"""rdq.progress: throttled log lines off a terminal, one shared bar on one, silence when quiet.

The CLI tests run ``rdq`` in a subprocess whose stdout and stderr are pipes (no terminal), the way
CI, ``nohup`` and ``| jq`` run it.
"""

from __future__ import annotations

import ast
import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

import rdq.progress as rp
from rdq.cli import _hoist_quiet
from rdq.progress import format_duration, progress

ROOT = Path(__file__).resolve().parents[1]
LOGGER = "rdq.test_progress"


class FakeTTY(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _pipe_console() -> Console:
    return Console(file=io.StringIO(), force_terminal=False, force_jupyter=False)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _not_quiet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Not quiet, and stderr a pipe (also under ``pytest -s`` on a terminal)."""
    monkeypatch.setattr(rp, "_CONSOLE", _pipe_console())
    rp.set_quiet(False)
    yield
    rp.set_quiet(False)


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


# --------------------------------------------------------------------------- lines and throttle


def test_at_most_one_line_per_interval_then_a_closing_line(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    caplog.set_level(logging.INFO, logger=LOGGER)
    with progress("factors", total=100, mode="log", logger=LOGGER, interval_s=5.0, clock=clock) as p:
        for _ in range(99):
            clock.now += 0.5  # a step every 0.5 s: 49.5 s to step 99
            p.advance()
        emitted_before_last = p.lines
        clock.now += 0.5
        p.advance()  # step 100: left to the closing line
        assert p.lines == emitted_before_last
    lines = _lines(caplog)
    # a line when 5 s have passed since the last one: at steps 10, 20, ..., 90 (t = 5, 10, ..., 45 s)
    assert lines[:-1] == [
        f"factors: {k}/100 ({k}%) elapsed {k // 2}s eta {(100 - k) // 2}s" for k in range(10, 100, 10)
    ]
    assert lines[-1] == "factors: 100/100 (100%) done in 50s"


def test_throttle_counts_from_the_last_line_not_from_the_start(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    caplog.set_level(logging.INFO, logger=LOGGER)
    with progress("x", total=10, mode="log", logger=LOGGER, interval_s=5.0, clock=clock) as p:
        for dt in (4.9, 0.2, 4.0, 0.9, 0.2, 30.0):  # t = 4.9, 5.1, 9.1, 10.0, 10.2, 40.2
            clock.now += dt
            p.advance()
    times = [m.split("elapsed ")[1].split("s")[0] for m in _lines(caplog)[:-1]]
    # lines at t=5.1 (>= 5 after the start) and t=10.2 (5.1 after the line at 5.1), then 40.2
    assert times == ["5", "10", "40"]


def test_eta_is_the_average_pace_so_far() -> None:
    clock = FakeClock()
    with progress("s", total=10, mode="log", logger=LOGGER, interval_s=1e9, clock=clock) as p:
        assert p.line() == "s: 0/10 (0%) elapsed 0s eta ?"
        clock.now += 6.0
        p.advance(3)
        assert p.eta_s == pytest.approx(14.0)  # 6 s for 3 steps, 7 steps left
        assert p.line() == "s: 3/10 (30%) elapsed 6s eta 14s"
        p.advance(info="valid loss 0.98")
        assert p.line() == "s: 4/10 (40%) elapsed 6s eta 9s | valid loss 0.98"


def test_interval_zero_logs_every_step_and_env_sets_the_default(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    monkeypatch.setenv(rp.INTERVAL_ENV, "0")
    with progress("e", total=4, mode="log", logger=LOGGER) as p:
        assert p.interval_s == 0.0
        for _ in range(4):
            p.advance()
    assert len(_lines(caplog)) == 4  # steps 1..3, then the closing line for step 4
    monkeypatch.setenv(rp.INTERVAL_ENV, "soon")
    assert progress("e", 1).interval_s == rp.DEFAULT_INTERVAL_S
    monkeypatch.delenv(rp.INTERVAL_ENV)
    assert progress("e", 1).interval_s == 5.0


def test_unknown_total_and_a_failed_loop(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    caplog.set_level(logging.INFO, logger=LOGGER)
    with progress("reading x.parquet", None, mode="log", logger=LOGGER, clock=clock):
        clock.now += 2.4
    with pytest.raises(ValueError), progress("fit", 5, mode="log", logger=LOGGER, clock=clock) as p:
        clock.now += 1.0
        p.advance(2)
        raise ValueError("boom")
    assert _lines(caplog) == [
        "reading x.parquet: done in 2s",
        "fit: 2/5 (40%) elapsed 1s eta 2s | stopped by ValueError",
    ]


def test_disabled_quiet_and_lines_false_are_silent(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    with progress("a", 3, enabled=False, mode="log", logger=LOGGER, interval_s=0) as p:
        p.advance(3)
    assert p.mode == "off"
    rp.set_quiet(True)
    assert rp.is_quiet()
    with progress("b", 3, mode="log", logger=LOGGER, interval_s=0) as p:
        p.advance(3)
    rp.set_quiet(False)
    # not a terminal here (pytest captures stderr): lines=False leaves the line to the caller
    with progress("c", 3, logger=LOGGER, interval_s=0, lines=False) as p:
        assert p.mode == "off"
        p.advance(3)
    assert _lines(caplog) == []


def test_auto_mode_follows_stderr(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    with progress("pipe", 1, logger=LOGGER) as p:
        assert p.mode == "log"
    # FORCE_COLOR-style forcing does not make a log file a terminal
    monkeypatch.setattr(rp, "_CONSOLE", Console(file=io.StringIO(), force_terminal=True, force_jupyter=False))
    assert not rp.draws_bars()
    monkeypatch.setenv("TERM", "xterm")
    screen = FakeTTY()
    monkeypatch.setattr(rp, "_CONSOLE", Console(file=screen, force_jupyter=False, width=100))
    assert rp.draws_bars()
    with progress("outer", 2, logger=LOGGER, thread=False) as outer:
        assert outer.mode == "bar"
        bar = rp._BAR
        with progress("inner", 3, logger=LOGGER, thread=False) as inner:
            assert rp._BAR is bar  # a nested loop adds a row to the one live bar
            assert len(bar.tasks) == 2
            inner.advance(3)
        assert len(bar.tasks) == 1
        outer.advance(2)
    assert rp._BAR is None and rp._BAR_USERS == 0
    assert _lines(caplog) == ["pipe: 0/1 (0%) done in 0s"]  # bars log nothing
    assert "outer" in screen.getvalue() and "inner" in screen.getvalue()


def test_format_duration() -> None:
    assert [format_duration(s) for s in (0, 0.4, 59.4, 60, 3599, 3600, 86399)] == [
        "0s", "0s", "59s", "1m00s", "59m59s", "1h00m", "23h59m",
    ]
    assert format_duration(float("inf")) == format_duration(-1.0) == "?"


# --------------------------------------------------------------------------- one facility


def test_no_module_but_rdq_progress_draws_its_own_bar() -> None:
    """Every long loop reports through rdq.progress: no other module imports rich.progress or tqdm."""
    offenders = []
    for path in sorted((ROOT / "rdq").rglob("*.py")):
        if path.name == "progress.py" and path.parent.name == "rdq":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "tqdm" or n.startswith(("tqdm.", "rich.progress", "rich.live")) for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr == "status" and isinstance(node.value, ast.Call):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} (Console().status)")
    assert offenders == []


def test_compute_reports_factor_chunks(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from rdq.data import synth_market
    from rdq.factors import compute

    monkeypatch.setenv(rp.INTERVAL_ENV, "0")
    caplog.set_level(logging.INFO, logger="rdq.factors")
    panel = synth_market(n_assets=4, n_days=40, seed=0).panel
    exprs = {f"m{w}": f"Mean($close, {w})" for w in range(2, 27)}  # 25 factors
    compute(panel, exprs, progress=True, chunk_size=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "rdq.factors._compute" and "factors:" in r.getMessage()]
    assert [m.split(" (")[0] for m in lines] == ["factors: 10/25", "factors: 20/25", "factors: 25/25"]
    assert "eta" in lines[0] and "done in" in lines[-1]
    caplog.clear()
    compute(panel, exprs, progress=False, chunk_size=10)
    assert not [r for r in caplog.records if "factors:" in r.getMessage()]


# --------------------------------------------------------------------------- the command line


def test_hoist_quiet() -> None:
    assert _hoist_quiet(["factors", "eval", "--json", "--quiet"]) == (["--quiet", "factors", "eval", "--json"], True)
    assert _hoist_quiet(["--quiet", "demo"]) == (["--quiet", "demo"], True)
    assert _hoist_quiet(["-q", "demo"]) == (["-q", "demo"], True)
    assert _hoist_quiet(["demo"]) == (["demo"], False)
    # after "--" nothing is an option
    assert _hoist_quiet(["q", "--", "--quiet"]) == (["q", "--", "--quiet"], False)


def _rdq(*args: str, env: dict[str, str] | None = None, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from rdq.cli import main; sys.argv = ['rdq', *sys.argv[1:]]; main()"
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("FORCE_COLOR", None)
    full_env.pop("TTY_COMPATIBLE", None)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def small_panel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rdq.data import synth_market

    path = tmp_path_factory.mktemp("progress") / "panel.parquet"
    synth_market(n_assets=8, n_days=80, seed=2).panel.write_parquet(path)
    return path


def _eval_args(panel: Path) -> list[str]:
    # 45 factors: two chunks of compute (40 + 5), so one line before the closing one
    exprs = [f"--expr=m{w}=Mean($close, {w})/$close" for w in range(2, 47)]
    return ["factors", "eval", "--data", str(panel), *exprs, "--json"]


def test_cli_json_stdout_is_pure_and_progress_goes_to_stderr(small_panel: Path, tmp_path: Path) -> None:
    res = _rdq(*_eval_args(small_panel), env={rp.INTERVAL_ENV: "0"}, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)  # nothing but JSON on stdout
    assert len(report["factors"]) == 45
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("INFO rdq.factors._compute: factors:")]
    # compute evaluates 40 factors per query: a line after the first 40 (interval 0), then the closing one
    *steps, closing = lines
    assert steps, res.stderr
    for ln in steps:
        m = re.fullmatch(r"INFO rdq\.factors\._compute: factors: (\d+)/45 \((\d+)%\) elapsed \S+ eta \S+", ln)
        assert m is not None, ln
        assert 0 < int(m.group(1)) < 45 and int(m.group(2)) == round(100 * int(m.group(1)) / 45)
    assert re.fullmatch(r"INFO rdq\.factors\._compute: factors: 45/45 \(100%\) done in \S+", closing)
    assert "\x1b[" not in res.stderr  # plain text, no terminal escapes in a pipe


@pytest.mark.parametrize("where", ["after", "before"])
def test_cli_quiet_leaves_stderr_empty(small_panel: Path, tmp_path: Path, where: str) -> None:
    args = _eval_args(small_panel)
    args = [*args, "--quiet"] if where == "after" else ["--quiet", *args]
    res = _rdq(*args, env={rp.INTERVAL_ENV: "0"}, cwd=tmp_path)
    assert res.returncode == 0
    assert res.stderr == ""
    assert len(json.loads(res.stdout)["factors"]) == 45


def test_cli_quiet_still_prints_errors(tmp_path: Path) -> None:
    res = _rdq("factors", "eval", "--data", str(tmp_path / "missing.parquet"), "--expr", "a=$close", "--quiet", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr.startswith("error:") and len(res.stderr.strip().splitlines()) == 1
