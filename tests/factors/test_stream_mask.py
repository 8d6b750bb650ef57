"""``Mask(x, 'INSTRUMENT')`` reads another asset's row of the same date: a chunked compute must equal
the whole-panel one (a chunk without that instrument would otherwise read nothing).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from rdq.cli import app
from rdq.factors import compute, compute_to_parquet
from rdq.factors._parser import parse
from rdq.factors._stream import needs_whole_panel

from .conftest import random_walk_panel

#: SYN000 is in the first chunk only when chunks hold one asset each
EXPRS = {
    "rel": "$close / Mask($close, 'SYN000') - 1",
    "ts": "Mean(Mask(Ref($close, 1), 'syn002'), 5)",
    "plain": "Ref($close, 1)",
}


def test_needs_whole_panel_counts_mask() -> None:
    assert needs_whole_panel(parse("Mask($close, 'SYN000')"))
    assert needs_whole_panel(parse("Mean(Mask($close, 'SYN000'), 5) / $close"))


def test_chunked_mask_equals_whole_panel(tmp_path: Path) -> None:
    panel = random_walk_panel(5, 40, seed=3)
    out = tmp_path / "m.parquet"
    res = compute_to_parquet(panel, EXPRS, out, chunk_rows=1)
    assert res.chunks == 5 and set(res.whole_panel) == {"rel", "ts"}
    got = pl.read_parquet(out)
    assert_frame_equal(got, compute(panel, EXPRS), check_exact=True)
    assert got["rel"].null_count() == 0  # every asset of every date sees SYN000's close


def test_cli_chunk_rows_with_mask(tmp_path: Path) -> None:
    data = tmp_path / "panel.parquet"
    panel = random_walk_panel(4, 30, seed=4)
    panel.write_parquet(data)
    outs = {}
    for rows in ("1", "1000000"):
        out = tmp_path / f"f{rows}.parquet"
        r = CliRunner().invoke(
            app,
            ["factors", "compute", "--data", str(data), "--expr", "rel=$close/Mask($close,'SYN000')",
             "--chunk-rows", rows, "--out", str(out)],
        )
        assert r.exit_code == 0, r.output
        outs[rows] = pl.read_parquet(out)
    assert_frame_equal(outs["1"], outs["1000000"], check_exact=True)
