"""``rdq factors compute --python`` and ``rdq doctor`` through the real console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl

from sandbox.attacks import make_panel

RDQ = str(Path(sys.executable).with_name("rdq"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RDQ, *args], capture_output=True, text=True, timeout=300)


def test_python_factor_ok_and_blocked(tmp_path: Path) -> None:
    data = tmp_path / "panel.parquet"
    base = make_panel()
    base.with_columns(
        close=pl.col("close") + 1,
        open=pl.col("close") + 1,
        high=pl.col("close") + 1,
        low=pl.col("close") + 1,
        volume=pl.lit(1.0),
    ).write_parquet(data)
    good = tmp_path / "good.py"
    good.write_text(
        "import polars as pl\ndef factor(panel):\n    return panel.select('date', 'asset', value=pl.col('close') * 2)\n"
    )
    out = tmp_path / "out.parquet"
    proc = _run("factors", "compute", "--data", str(data), "--python", str(good), "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    line = json.loads(proc.stdout.strip().splitlines()[-1])
    assert line["status"] == "ok" and line["rows"] == 6
    assert pl.read_parquet(out)["value"].to_list() == [2.0, 4.0, 22.0, 24.0, 42.0, 44.0]
    bad = tmp_path / "bad.py"
    bad.write_text("import socket\ndef factor(panel):\n    return panel\n")
    proc = _run(
        "factors",
        "compute",
        "--data",
        str(data),
        "--python",
        str(bad),
        "--out",
        str(tmp_path / "o2.parquet"),
        "--json",
    )
    assert proc.returncode == 2
    line = json.loads(proc.stdout.strip().splitlines()[-1])
    assert line["status"] == "blocked" and "socket" in line["reason"] and "line 1" in line["reason"]
    assert not (tmp_path / "o2.parquet").exists()


def test_doctor_json() -> None:
    proc = _run("doctor", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    layers = report["sandbox"]["layers"]
    assert layers["audit_hook"] and layers["static_check"]
    assert report["sandbox"]["os_isolation"] in ("bwrap", "unshare", "none")
