"""The notebooks of ``notebooks/`` run top to bottom on the embedded data (nbclient, this venv's kernel).

Each notebook reads its sizes from ``RDQ_NB_*`` environment variables (see its first code cell); the tests
set small ones and run every notebook in a temporary folder, then check what it showed: the plots, the
tables rdq's ``_repr_html_`` rendered, and the numbers it printed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from html_tables import parse_tables
from shared_data import ROOT

nbformat = pytest.importorskip("nbformat", reason="needs nbformat (pip install -e '.[dev]')")
nbclient = pytest.importorskip("nbclient", reason="needs nbclient (pip install -e '.[dev]')")
pytest.importorskip("ipykernel", reason="needs ipykernel (pip install -e '.[dev]')")

NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL = "python3"  # jupyter_client starts it with sys.executable: this venv's python

#: small sizes for every notebook (each falls back to its own defaults for a user)
SMALL_ENV = {"RDQ_NB_ASSETS": "30", "RDQ_NB_DAYS": "250", "RDQ_NB_TOP": "12"}


def _execute(nb: Any, cwd: Path) -> Any:
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=None, resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def _outputs(nb: Any) -> list[dict[str, Any]]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _text(nb: Any) -> str:
    return "".join(o.get("text", "") for o in _outputs(nb) if o.get("output_type") == "stream")


def _html(nb: Any) -> list[str]:
    return [o["data"]["text/html"] for o in _outputs(nb) if "text/html" in o.get("data", {})]


def _images(nb: Any) -> int:
    return sum("image/png" in o.get("data", {}) for o in _outputs(nb))


def test_every_notebook_is_found() -> None:
    assert NOTEBOOKS == ["backtest_tearsheet.ipynb", "factor_library_analysis.ipynb", "ope_sharpe_ratio_at_k.ipynb"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_clean(name: str) -> None:
    """No outputs, no execution counts, the standard kernel: the diff of a notebook is its code."""
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == KERNEL
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    # every size a test turns down is read from the environment
    first = code[0].source
    assert "RDQ_NB_" in first


def test_kernel_is_this_python(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.prefix)")])
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    _execute(nb, tmp_path)
    assert _text(nb).strip() == sys.prefix


@pytest.mark.slow
def test_factor_library_analysis_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in SMALL_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("RDQ_NB_DATA", raising=False)
    monkeypatch.delenv("RDQ_NB_FACTORS", raising=False)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = _execute(nbformat.read(NOTEBOOK_DIR / "factor_library_analysis.ipynb", as_version=4), tmp_path)
    assert "panel: 30 assets x 250 days" in _text(nb) and "158 factors from alpha158" in _text(nb)
    # plots, not prints: IC bars, daily IC, decay, quantile bars, quantile curves, clustered heatmap, stability
    assert _images(nb) == 7
    html = _html(nb)
    assert any("rank_icir" in h for h in html)  # the sorted polars table
    report = [h for h in html if "Signal report vs" in h]
    assert len(report) == 1 and report[0].count("<tr>") == 1 + 158  # header + every factor
    assert list(tmp_path.iterdir()) == []  # nothing written into the working folder


@pytest.mark.slow
def test_backtest_tearsheet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the smoke scenario at its own size (60 assets): on fewer, its small LightGBM predicts a constant
    monkeypatch.delenv("RDQ_NB_ASSETS", raising=False)
    monkeypatch.setenv("RDQ_NB_SCENARIO", "smoke")
    monkeypatch.setenv("RDQ_NB_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = _execute(nbformat.read(NOTEBOOK_DIR / "backtest_tearsheet.ipynb", as_version=4), tmp_path)
    text = _text(nb)
    # the bridge's claim, as printed: vectorbt and rdq's weights engine give the same account
    gap = re.search(r"max relative difference (\S+) over (\d+) days", text)
    assert gap is not None, text
    assert float(gap.group(1)) < 1e-8 and int(gap.group(2)) > 30
    html = _html(nb)
    (scenario,) = [h for h in html if "Scenario smoke" in h]  # ScenarioResult
    tables = {t.header[1] if t.header[0] == "series" else t.header[0]: t for t in parse_tables(scenario)}
    assert tables["mean"].row("excess_with_cost")["information_ratio"].value is not None
    # the model learned something: its scores' IC on the test span is defined and positive (planted alphas)
    ic = tables["ic"].row("signal")["ic"].value
    assert ic is not None and ic > 0
    assert any("<caption>Backtest</caption>" in h for h in html)  # BacktestResult of the weights engine
    # 6 tear-sheet charts, monthly excess, account + drawdown, trade returns
    assert _images(nb) == 9
    runs = list((tmp_path / "ws" / ".rdq" / "runs").iterdir())
    assert len(runs) == 1 and (runs[0] / "report" / "report.html").is_file()


@pytest.mark.slow
def test_ope_sharpe_ratio_at_k_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RDQ_NB_OPE_TRAJECTORIES", "300")
    monkeypatch.setenv("RDQ_NB_OPE_CANDIDATES", "6")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = _execute(nbformat.read(NOTEBOOK_DIR / "ope_sharpe_ratio_at_k.ipynb", as_version=4), tmp_path)
    assert "300 logged trajectories x 10 steps" in _text(nb) and "6 candidate policies" in _text(nb)
    assert _images(nb) == 3  # estimates vs truth, bootstrap intervals, top-k / SharpeRatio@k panels
    html = _html(nb)
    (assessment,) = [h for h in html if "sharpe_ratio_at_k" in h]
    assert all(name in assessment for name in ("dm", "tis", "pdis", "dr", "sntis", "snpdis", "sndr"))
    assert list(tmp_path.iterdir()) == []
