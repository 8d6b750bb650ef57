"""Tear sheet files: the HTML's numbers equal the metrics, the PNGs are real images."""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from rich.console import Console

from rdq.backtest import summarize
from rdq.report import CHARTS, TearSheet, format_value, metrics_table, write_tearsheet

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _records(n: int = 120, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    ret = rng.normal(0.0006, 0.01, n)
    cost = np.abs(rng.normal(0.0004, 0.0001, n))
    account = 1e8 * np.cumprod(1 + ret - cost)
    start = dt.date(2021, 1, 4)
    return pl.DataFrame(
        {
            "date": [start + dt.timedelta(days=i) for i in range(n)],
            "account": account,
            "return": ret,
            "cost": cost,
            "turnover": np.abs(rng.normal(0.2, 0.05, n)),
            "bench": rng.normal(0.0003, 0.009, n),
        }
    )


def _ic_and_quantiles(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(2)
    d = records["date"]
    ic = pl.DataFrame(
        {"date": d, "ic": rng.normal(0.05, 0.1, len(d)), "rank_ic": rng.normal(0.04, 0.1, len(d))}
    )
    q = pl.DataFrame(
        {
            "date": pl.concat([d] * 5),
            "quantile": pl.Series(np.repeat(np.arange(1, 6), len(d)), dtype=pl.Int32),
            "label": rng.normal(0.0, 0.01, 5 * len(d)) + np.repeat(np.arange(5) * 1e-3, len(d)),
        }
    )
    return ic, q


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[str, tuple[str, str]] = {}
        self._key: str | None = None
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "td" and "data-key" in a:
            self._key = str(a["data-key"])
            self.cells[self._key] = (str(a["data-value"]), "")
        if tag == "img":
            self.images.append(str(a["src"]))

    def handle_data(self, data: str) -> None:
        if self._key is not None:
            raw, _ = self.cells[self._key]
            self.cells[self._key] = (raw, data)
            self._key = None


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    w, h = struct.unpack(">II", data[16:24])
    return w, h


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[TearSheet, Path]:
    records = _records()
    metrics = summarize(records, n=252).to_dict()
    metrics["signal.ic"] = 0.05
    ic, q = _ic_and_quantiles(records)
    sheet = TearSheet(records, metrics, ic=ic, quantiles=q, title="unit <test>")
    out = tmp_path_factory.mktemp("sheet")
    write_tearsheet(sheet, out)
    return sheet, out


def test_html_metric_table_equals_metrics(written: tuple[TearSheet, Path]) -> None:
    sheet, out = written
    parser = _Cells()
    parser.feed((out / "report.html").read_text(encoding="utf-8"))
    assert set(parser.cells) == set(sheet.metrics)
    for key, value in sheet.metrics.items():
        raw, shown = parser.cells[key]
        if isinstance(value, str):
            assert raw == value
            continue
        assert float(raw) == pytest.approx(float(value), rel=0, abs=0) or (math.isnan(value) and raw == "nan")
        assert shown == format_value(value)
    # the displayed IR is the metric rounded to 6 significant digits
    ir = sheet.metrics["excess_with_cost.information_ratio"]
    assert parser.cells["excess_with_cost.information_ratio"][1] == f"{ir:.6g}"


def test_html_is_self_contained(written: tuple[TearSheet, Path]) -> None:
    _, out = written
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "unit &lt;test&gt;" in text  # title escaped
    assert not re.search(r"<(script|link)\b", text)
    parser = _Cells()
    parser.feed(text)
    assert len(parser.images) == len(CHARTS)
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == PNG_MAGIC


def test_png_files(written: tuple[TearSheet, Path]) -> None:
    _, out = written
    for name in CHARTS:
        data = (out / f"{name}.png").read_bytes()
        w, h = _png_size(data)
        assert w >= 600 and h >= 250
    assert not list(out.glob(".*"))  # no temp files left behind


def test_charts_without_signal_data(tmp_path: Path) -> None:
    records = _records(30)
    files = write_tearsheet(TearSheet(records, summarize(records)), tmp_path)
    assert set(files.images) == {"equity", "excess", "drawdown", "turnover"}
    assert "data:image/png;base64," in files.html.read_text(encoding="utf-8")


def test_metrics_table_shows_every_metric() -> None:
    records = _records()
    m = summarize(records).to_dict()
    console = Console(record=True, width=200)
    console.print(metrics_table(m))
    text = console.export_text()
    for key, value in m.items():
        if "." in key:
            assert format_value(value) in text
        else:
            assert key in text and format_value(value) in text


def test_format_value() -> None:
    assert format_value(float("nan")) == "-"
    assert format_value(3) == "3"
    assert format_value(0.123456789) == "0.123457"
    assert format_value("sum") == "sum"
