"""Every bad input gets a named error: through the real ``rdq`` entry point, one line on stderr, exit 2.

Each case runs :func:`rdq.cli.main` in-process (what the console script runs) and checks the exit code,
that stderr holds exactly one ``error:`` line with no traceback, and that the line names what is wrong
(option, file, row, column, the data's first and last date).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rdq.cli import main

START = dt.date(2021, 1, 4)
N_DAYS = 30


def make_panel(n_assets: int = 6, n_days: int = N_DAYS) -> pl.DataFrame:
    """A clean daily panel on business days from 2021-01-04: high/low bracket open/close."""
    days = list(np.busday_offset(np.datetime64(START), np.arange(n_days)).astype(object))
    rng = np.random.default_rng(7)
    rows = []
    for a in range(n_assets):
        close = 20.0 * (a + 1) * np.cumprod(1 + 0.01 * rng.standard_normal(n_days))
        for d, c in zip(days, close, strict=True):
            rows.append(
                {"date": d, "asset": f"S{a}", "open": c * 0.998, "high": c * 1.01, "low": c * 0.99, "close": c,
                 "volume": 1e5}
            )
    return pl.DataFrame(rows)


def make_scores(panel: pl.DataFrame) -> pl.DataFrame:
    rng = np.random.default_rng(3)
    return panel.select("date", "asset").with_columns(score=pl.Series(rng.standard_normal(panel.height)))


def run_rdq(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """Run ``rdq ARGS`` as the console script does; return (exit code, the stderr error line)."""
    monkeypatch.setattr(sys, "argv", ["rdq", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    code = exc.value.code
    if code == 2:
        assert len(lines) == 1, err  # one line, whatever the error
    return int(code or 0), (lines[0] if lines else "")


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    panel = make_panel()
    panel.write_parquet(tmp_path / "panel.parquet")
    make_scores(panel).write_parquet(tmp_path / "scores.parquet")
    return tmp_path / "panel.parquet", tmp_path / "scores.parquet"


def _backtest(files: tuple[Path, Path], tmp_path: Path, *extra: str) -> list[str]:
    data, scores = files
    return ["backtest", "--data", str(data), "--scores", str(scores), "--out", str(tmp_path / "r.parquet"),
            "--trade-unit", "0", "--topk", "3", "--n-drop", "1", *extra]


def test_a_good_backtest_exits_0(files, tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    code, line = run_rdq(_backtest(files, tmp_path), capsys, monkeypatch)
    assert code == 0 and line == "" and (tmp_path / "r.parquet").exists()


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--topk", "0"], "--topk 0: must be at least 1"),
        (["--topk", "-3"], "--topk -3: must be at least 1"),
        (["--n-drop", "0"], "--n-drop 0: must be at least 1"),
        (["--n-drop", "4"], "--n-drop 4 is more than --topk 3"),
        (["--start", "2020-13-01"], "--start '2020-13-01' is not a valid date"),
        (["--end", "2021-02-30"], "--end '2021-02-30' is not a valid date"),
        (["--start", "2021-02-01", "--end", "2021-01-15"], "the end 2021-01-15 is before the start 2021-02-01"),
        (["--start", "2022-01-03"], "the start 2022-01-03 is after the last date 2021-02-12"),
        (["--end", "2020-06-30"], "the end 2020-06-30 is before the first date 2021-01-04"),
        (["--start", "2020-01-02"], "the start 2020-01-02 is before the first date 2021-01-04"),
        (["--allow", "duplicate"], "--allow 'duplicate': not a kind that can be accepted"),
        (["--allow", "high_below_lo"], "did you mean 'high_below_low'"),
        (["--n", "0"], "--n 0: must be at least 1"),
    ],
)
def test_backtest_bad_options(files, tmp_path, capsys, monkeypatch, extra: list[str], expected: str) -> None:  # noqa: ANN001
    code, line = run_rdq(_backtest(files, tmp_path, *extra), capsys, monkeypatch)
    assert code == 2 and expected in line, line
    assert not (tmp_path / "r.parquet").exists()


def test_dates_outside_the_data_name_its_first_and_last_date(files, tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    code, line = run_rdq(_backtest(files, tmp_path, "--end", "2023-01-02"), capsys, monkeypatch)
    assert code == 2 and "2021-01-04" in line and "2021-02-12" in line and str(files[0]) in line


def test_a_start_on_a_holiday_just_before_the_data_is_fine(files, tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    code, _ = run_rdq(_backtest(files, tmp_path, "--start", "2021-01-01", "--end", "2021-02-14"), capsys, monkeypatch)
    assert code == 0


@pytest.mark.parametrize("bad", [float("inf"), float("-inf")])
def test_infinite_scores_name_file_row_and_column(tmp_path, capsys, monkeypatch, bad: float) -> None:  # noqa: ANN001
    panel = make_panel()
    scores = make_scores(panel)
    values = scores["score"].to_list()
    values[40] = bad  # row 41: asset S1 on the 11th day
    scores = scores.with_columns(pl.Series("score", values))
    panel.write_parquet(tmp_path / "panel.parquet")
    scores.write_parquet(tmp_path / "scores.parquet")
    files = (tmp_path / "panel.parquet", tmp_path / "scores.parquet")
    code, line = run_rdq(_backtest(files, tmp_path), capsys, monkeypatch)
    row = scores.row(40, named=True)
    assert code == 2, line
    assert f"file {tmp_path / 'scores.parquet'}, row 41, column 'score'" in line
    assert f"for asset '{row['asset']}' on {row['date']} is infinite" in line
    assert "fix: scores must be finite" in line


def test_nan_scores_stay_no_score(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    panel = make_panel()
    scores = make_scores(panel).with_columns(
        pl.when(pl.int_range(pl.len()) % 4 == 0).then(float("nan")).otherwise(pl.col("score")).alias("score")
    )
    panel.write_parquet(tmp_path / "panel.parquet")
    scores.write_parquet(tmp_path / "scores.parquet")
    code, _ = run_rdq(_backtest((tmp_path / "panel.parquet", tmp_path / "scores.parquet"), tmp_path), capsys, monkeypatch)
    assert code == 0


# ------------------------------------------------------------------------------------------------ factors


@pytest.mark.parametrize(
    "exprs, expected",
    [
        (["a=Mean($close, 5)", "a=Std($close, 5)"], "--expr #2 names 'a' again (first given by --expr #1: 'Mean($close, 5)')"),
        (["X="], "--expr 'X=' (#1): the expression after 'X=' is empty"),
        (["X=   "], "the expression after 'X=' is empty"),
        (["$close", "f1=$open"], "--expr #2 names 'f1' again"),  # a bare expression is f1
        (["a=Mean($close, 5"], "(at character"),  # a parse error: the caret's position, on the same line
    ],
)
def test_factors_expr_errors(files, tmp_path, capsys, monkeypatch, exprs: list[str], expected: str) -> None:  # noqa: ANN001
    args = ["factors", "compute", "--data", str(files[0]), "--out", str(tmp_path / "f.parquet")]
    for e in exprs:
        args += ["--expr", e]
    code, line = run_rdq(args, capsys, monkeypatch)
    assert code == 2 and expected in line, line
    assert not (tmp_path / "f.parquet").exists()


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--start", "2021-13-01"], "--start '2021-13-01' is not a valid date"),
        (["--start", "2021-02-01", "--end", "2021-01-05"], "the end 2021-01-05 is before the start 2021-02-01"),
        (["--start", "2024-01-02"], "the start 2024-01-02 is after the last date 2021-02-12"),
    ],
)
def test_factors_bad_dates(files, tmp_path, capsys, monkeypatch, extra: list[str], expected: str) -> None:  # noqa: ANN001
    args = ["factors", "compute", "--data", str(files[0]), "--out", str(tmp_path / "f.parquet"),
            "--expr", "m=Mean($close, 5)", *extra]
    code, line = run_rdq(args, capsys, monkeypatch)
    assert code == 2 and expected in line, line


def test_factors_compute_selects_the_dates(files, tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    out = tmp_path / "f.parquet"
    args = ["factors", "compute", "--data", str(files[0]), "--out", str(out), "--expr", "m=$close",
            "--start", "2021-01-11", "--end", "2021-01-15"]
    assert run_rdq(args, capsys, monkeypatch)[0] == 0
    dates = pl.read_parquet(out)["date"].unique().sort().to_list()
    assert dates == [dt.date(2021, 1, d) for d in range(11, 16)]


# ------------------------------------------------------------------------------------------------ data


def test_high_below_low_is_fatal_and_allow_downgrades_it(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    panel = make_panel()
    high = panel["high"].to_list()
    high[5] = panel["low"][5] * 0.9  # S0 on day 6: high below low
    path = tmp_path / "bad.parquet"
    panel.with_columns(pl.Series("high", high)).write_parquet(path)
    code, line = run_rdq(["data", "validate", str(path)], capsys, monkeypatch)
    assert code == 2 and f"file {path}, row 6, column 'high'" in line and "is below low" in line
    assert "--allow high_below_low" in line and "rdq data validate PATH --repair high_low --out FIXED.parquet" in line
    code, _ = run_rdq(["data", "validate", str(path), "--allow", "high_below_low"], capsys, monkeypatch)
    assert code == 0
    # the same rule at load time, in another command
    args = ["factors", "compute", "--data", str(path), "--out", str(tmp_path / "f.parquet"), "--expr", "m=$close"]
    assert run_rdq(args, capsys, monkeypatch)[0] == 2
    assert run_rdq([*args, "--allow", "high_below_low"], capsys, monkeypatch)[0] == 0
    # and the repair the hint names works
    fixed = tmp_path / "FIXED.parquet"
    code, _ = run_rdq(["data", "validate", str(path), "--repair", "high_low", "--out", str(fixed)], capsys, monkeypatch)
    assert code == 0 and run_rdq(["data", "validate", str(fixed)], capsys, monkeypatch)[0] == 0


@pytest.mark.parametrize(
    "column, value, kind, expected",
    [
        ("volume", float("nan"), "all_null", "column 'volume' has no finite value: every value is missing"),
        ("close", float("inf"), "all_null", "column 'close' has no finite value: every value is infinite"),
        ("open", -1.0, "non_positive_price", "non-positive open -1.0"),
        ("volume", -5.0, "negative_volume", "negative volume -5.0"),
    ],
)
def test_fatal_kinds_and_allow(tmp_path, capsys, monkeypatch, column: str, value: float, kind: str, expected: str) -> None:  # noqa: ANN001
    path = tmp_path / "p.parquet"
    make_panel().with_columns(pl.lit(value).alias(column)).write_parquet(path)
    code, line = run_rdq(["data", "validate", str(path)], capsys, monkeypatch)
    assert code == 2 and expected in line, line
    assert f"--allow {kind}" in line
    assert run_rdq(["data", "validate", str(path), "--allow", kind], capsys, monkeypatch)[0] == 0


# ------------------------------------------------------------------------------------------------ scenarios

SCENARIO = """\
name: bad
data:
  synthetic: {{assets: 5, days: 60, seed: 1}}
factors:
  extra: {{m: "Mean($close, 5)/$close"}}
model: {{class: LGBMModel, kwargs: {{num_boost_round: 5}}}}
segments:
  train: {train}
  valid: {valid}
  test: {test}
strategy: {{topk: {topk}, n_drop: {n_drop}}}
"""


def _scenario(tmp_path: Path, **kw: object) -> Path:
    spec = {"train": "[2015-01-01, 2015-02-13]", "valid": "[2015-02-16, 2015-02-27]",
            "test": "[2015-03-02, 2015-03-25]", "topk": 2, "n_drop": 1, **kw}
    path = tmp_path / "bad.yaml"
    path.write_text(SCENARIO.format(**spec))
    return path


@pytest.fixture()
def no_computation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if a scenario gets as far as computing factors or fitting a model."""
    import rdq.pipeline._adapters as ad

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("computed before the segments were checked")

    monkeypatch.setattr(ad, "compute_factors", boom)
    monkeypatch.setattr(ad, "fit_predict", boom)


@pytest.mark.parametrize(
    "kw, expected",
    [
        ({"train": "[2015-13-01, 2015-02-13]"}, "segments.train[0]: cannot read '2015-13-01' as a date"),
        ({"valid": "[2015-02-27, 2015-02-16]"}, "segments.valid: start 2015-02-27 is after end 2015-02-16"),
        ({"valid": "[2015-02-10, 2015-02-27]"}, "train ends 2015-02-13 but valid starts 2015-02-10"),
        ({"topk": 2, "n_drop": 3}, "strategy.n_drop: 3 is more than topk 2"),
        ({"topk": 0}, "strategy.topk: must be >= 1"),
    ],
)
def test_scenario_file_errors(tmp_path, capsys, monkeypatch, no_computation, kw: dict[str, object], expected: str) -> None:  # noqa: ANN001
    path = _scenario(tmp_path, **kw)
    code, line = run_rdq(["backtest", "--config", str(path), "--workspace", str(tmp_path)], capsys, monkeypatch)
    assert code == 2 and expected in line and str(path) in line, line


@pytest.mark.parametrize(
    "kw, what",
    [
        ({"test": "[2015-03-02, 2016-06-30]"}, "segments.test"),  # beyond the data's last day
        ({"train": "[2014-06-02, 2015-02-13]"}, "segments.train"),  # months before its first day
        ({"test": "[2016-01-04, 2016-06-30]"}, "segments.test"),  # wholly after
    ],
)
def test_segments_outside_the_data_fail_before_any_computation(
    tmp_path, capsys, monkeypatch, no_computation, kw: dict[str, object], what: str  # noqa: ANN001
) -> None:
    from rdq.data import synth_market

    dates = synth_market(n_assets=5, n_days=60, seed=1).panel["date"]
    first, last = dates.min(), dates.max()
    path = _scenario(tmp_path, **kw)
    code, line = run_rdq(["backtest", "--config", str(path), "--workspace", str(tmp_path)], capsys, monkeypatch)
    assert code == 2, line
    assert what in line and f"the data cover {first} to {last}" in line


def test_console_script_prints_one_line_and_exits_2(files, tmp_path) -> None:  # noqa: ANN001
    proc = subprocess.run(
        [sys.executable, "-c", "from rdq.cli import main; main()", *_backtest(files, tmp_path, "--topk", "0")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == ["error: --topk 0: must be at least 1 (the number of names held)"]
