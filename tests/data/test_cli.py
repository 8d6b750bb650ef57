"""``rdq data ...`` through typer's CliRunner (and once through the real console script)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from rdq.cli import app
from rdq.data import load_panel, panel_fingerprint, read_synth_truth
from rdq.errors import SchemaError, ValidationError

runner = CliRunner()

RAW = pl.DataFrame(
    {
        "date": ["2021-01-04", "2021-01-05", "2021-01-06", "2021-01-04", "2021-01-05", "2021-01-06"],
        "symbol": ["AAA", "AAA", "AAA", "BBB", "BBB", "BBB"],
        "open": [10.0, 10.5, 10.2, 20.0, 20.5, 21.0],
        "high": [10.8, 10.9, 10.6, 20.9, 21.0, 21.5],
        "low": [9.9, 10.1, 10.0, 19.8, 20.1, 20.7],
        "close": [10.5, 10.2, 10.4, 20.5, 20.9, 21.2],
        "volume": [100, 200, 0, 1000, 1100, 900],
    }
)


@pytest.fixture(scope="module")
def synth_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "m.parquet"
    result = runner.invoke(app, ["data", "synth", "--out", str(out), "--assets", "12", "--days", "80", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "planted alphas" in result.output and "wrote" in result.output
    return out


def test_help_texts() -> None:
    for cmd in ([], ["synth"], ["validate"], ["export"], ["info"]):
        result = runner.invoke(app, ["data", *cmd, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_synth_writes_panel_and_truth(synth_file: Path) -> None:
    truth = read_synth_truth(synth_file)
    panel = load_panel(synth_file)
    assert panel["asset"].n_unique() == 12 and panel["date"].n_unique() == 80
    assert truth["fingerprint"] == panel_fingerprint(panel) and truth["seed"] == 5


def test_synth_json(tmp_path: Path) -> None:
    out = tmp_path / "j.parquet"
    result = runner.invoke(app, ["data", "synth", "--out", str(out), "--assets", "5", "--days", "30", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["path"] == str(out) and doc["truth_path"] == str(out) + ".truth.json" and len(doc["alphas"]) == 4


def test_info(synth_file: Path) -> None:
    result = runner.invoke(app, ["data", "info", str(synth_file), "--json"])
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    assert (info["assets"], info["dates"], info["rows"]) == (12, 80, 960)
    assert info["fields"] == ["open", "high", "low", "close", "volume", "vwap", "factor", "sector"]
    assert info["fingerprint"] == read_synth_truth(synth_file)["fingerprint"]
    assert runner.invoke(app, ["data", "info", str(synth_file)]).exit_code == 0


def test_validate_csv_with_date_symbol_columns(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    RAW.write_csv(path)
    result = runner.invoke(app, ["data", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "zero_volume" in result.output  # the soft problem is reported
    doc = json.loads(runner.invoke(app, ["data", "validate", str(path), "--json"]).stdout)
    assert doc["ok"] and doc["counts"] == {"zero_volume": 1} and doc["issues"][0]["row"] == 3


def test_validate_duplicates_exits_non_zero_naming_them(tmp_path: Path) -> None:
    path = tmp_path / "dup.parquet"
    pl.concat([RAW, RAW[1:2]]).write_parquet(path)
    result = runner.invoke(app, ["data", "validate", str(path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, ValidationError)
    assert "duplicate (date, asset) row" in str(result.exception) and "AAA" in str(result.exception)
    assert result.exception.row == 7
    # repair and write a clean copy
    out = tmp_path / "clean.parquet"
    fixed = runner.invoke(app, ["data", "validate", str(path), "--repair", "duplicates", "--out", str(out)])
    assert fixed.exit_code == 0, fixed.output
    assert_frame_equal(load_panel(out), load_panel(tmp_path / "dup.parquet", repair=["duplicates"]))
    assert load_panel(out).height == 6


def test_validate_map_and_bad_map(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    RAW.rename({"symbol": "Name", "date": "when"}).write_csv(path)
    bad = runner.invoke(app, ["data", "validate", str(path)])
    assert bad.exit_code != 0 and isinstance(bad.exception, SchemaError) and "--map" in str(bad.exception)
    ok = runner.invoke(app, ["data", "validate", str(path), "--map", "when=date", "--map", "Name=asset"])
    assert ok.exit_code == 0, ok.output
    assert runner.invoke(app, ["data", "validate", str(path), "--map", "when"]).exit_code != 0


def test_validate_shared_sp500_json(sp500_path: Path) -> None:
    # AOS 2014-05-19 has high below low: fatal, unless accepted with --allow high_below_low
    result = runner.invoke(app, ["data", "validate", str(sp500_path), "--json", "--allow", "high_below_low"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["counts"]["jump"] == 14 and doc["counts"]["high_low"] == 11 and doc["counts"]["zero_volume"] == 4
    assert doc["counts"]["high_below_low"] == 1 and doc["allowed"] == ["high_below_low"]
    assert doc["null_counts"] == {"open": 11, "high": 8, "low": 8} and doc["n_fatal"] == 0


@pytest.mark.parametrize("fmt", ["parquet", "csv", "qlib"])
def test_export(synth_file: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(app, ["data", "export", str(synth_file), "--format", fmt, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    target = Path(json.loads(result.stdout)["path"])
    back = load_panel(target)
    cols = ["date", "asset", "open", "high", "low", "close", "volume"]
    assert_frame_equal(
        back.select(cols), load_panel(synth_file).select(cols), check_exact=False, rel_tol=1e-6
    )


def test_export_refuses_bad_data(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    pl.concat([RAW, RAW[:1]]).write_csv(path)
    result = runner.invoke(app, ["data", "export", str(path), "--format", "qlib", "--out", str(tmp_path / "q")])
    assert result.exit_code != 0 and "duplicate" in str(result.exception)


def test_console_script_exit_code_and_clean_message(tmp_path: Path) -> None:
    path = tmp_path / "dup.parquet"
    pl.concat([RAW, RAW[1:2]]).write_parquet(path)
    proc = subprocess.run(
        [sys.executable, "-c", "from rdq.cli import main; main()", "data", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "duplicate (date, asset) row" in proc.stderr and "Traceback" not in proc.stderr
    assert "fix:" in proc.stderr


def test_validate_csv_bad_date_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    rows = ["date,symbol,open,high,low,close,volume"] + [
        f"2021-02-{d:02d},AAA,1,1,1,1,1" if d != 9 else "2021-02-31,AAA,1,1,1,1,1" for d in range(3, 13)
    ]
    path.write_text("\n".join(rows) + "\n")
    result = runner.invoke(app, ["data", "validate", str(path), "--json"])
    assert result.exit_code != 0 and isinstance(result.exception, SchemaError)
    assert (result.exception.row, result.exception.column, result.exception.file) == (7, "date", str(path))
    doc = json.loads(result.stdout)
    assert doc["counts"] == {"bad_date": 1} and doc["issues"][0]["row"] == 7
