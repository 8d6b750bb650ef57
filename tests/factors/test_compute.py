"""``compute``: shapes, edge panels, calendar gaps, Python factors, the cache."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rdq.errors import ConfigError, ExpressionError, SchemaError, ValidationError
from rdq.factors import compute, register_factor, unregister_factor

from .conftest import random_walk_panel


def test_output_frame_is_aligned_with_the_panel(small_panel: pl.DataFrame) -> None:
    shuffled = small_panel.sample(fraction=1.0, shuffle=True, seed=3)
    out = compute(shuffled, {"MA5": "Mean($close, 5)/$close", "ROC1": "Ref($close, 1)/$close"})
    assert out.columns == ["date", "asset", "MA5", "ROC1"]
    assert out.schema["MA5"] == pl.Float64
    assert out.select("date", "asset").equals(small_panel.select("date", "asset"))


def test_empty_panel() -> None:
    empty = random_walk_panel(1, 5).head(0)
    out = compute(empty, {"a": "Mean($close, 5)"})
    assert out.height == 0 and out.columns == ["date", "asset", "a"]


def test_one_asset_one_day() -> None:
    one = random_walk_panel(1, 1)
    out = compute(one, {"a": "Mean($close, 5)", "s": "Std($close, 5)", "r": "Ref($close, 1)", "k": "Rank($close, 5)"})
    assert out.row(0)[2:] == (one["close"][0], None, None, 1.0)


def test_one_asset_many_days_equals_per_asset_computation() -> None:
    p = random_walk_panel(3, 50, seed=4)
    both = compute(p, {"c": "Corr($close, $volume, 10)", "q": "Quantile($close, 7, 0.3)"})
    alone = compute(p.filter(pl.col("asset") == "SYN001"), {"c": "Corr($close, $volume, 10)", "q": "Quantile($close, 7, 0.3)"})
    assert both.filter(pl.col("asset") == "SYN001").equals(alone)


def test_all_missing_column_gives_missing_values() -> None:
    p = random_walk_panel(2, 30).with_columns(pl.lit(None, dtype=pl.Float64).alias("vwap"))
    out = compute(p, {"a": "Mean($vwap, 5)", "b": "$vwap/$close", "c": "Corr($vwap, $close, 5)", "d": "$vwap > 0"})
    assert out["a"].null_count() == out["b"].null_count() == out["c"].null_count() == out.height
    assert out["d"].to_list() == [0.0] * out.height  # a comparison with a missing value is False, as in qlib


def test_calendar_gap_is_a_missing_day_like_qlib() -> None:
    p = random_walk_panel(2, 10, seed=2)
    dates = p["date"].unique().sort()
    gappy = p.filter(~((pl.col("asset") == "SYN000") & (pl.col("date") == dates[4])))
    out = compute(gappy, {"r": "Ref($close, 1)", "n": "Count($close, 3)"}).filter(pl.col("asset") == "SYN000")
    assert out.height == 9  # the missing day is not invented in the output
    day5 = out.filter(pl.col("date") == dates[5])
    assert day5["r"].item() is None  # the previous calendar day has no data
    assert day5["n"].item() == 2.0


def test_schema_and_duplicate_errors() -> None:
    p = random_walk_panel(1, 5)
    with pytest.raises(SchemaError, match="no 'asset' column"):
        compute(p.rename({"asset": "symbol"}), {"a": "$close"})
    with pytest.raises(ValidationError, match="duplicate"):
        compute(pl.concat([p, p.head(1)]), {"a": "$close"})
    with pytest.raises(ConfigError):
        compute(p, {"a": 5})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="precision"):
        compute(p, {"a": "$close"}, precision="float16")  # type: ignore[arg-type]


def test_python_factor_by_name_and_inside_expressions(small_panel: pl.DataFrame) -> None:
    @register_factor("gap_test")
    def gap(panel: pl.DataFrame) -> pl.Expr:
        return pl.col("open") / pl.col("close").shift(1).over("asset") - 1

    @register_factor("ones_test")
    def ones(panel: pl.DataFrame) -> pl.Series:
        return pl.Series(np.ones(panel.height))

    try:
        out = compute(small_panel, {"g": "gap_test", "m": "Mean(gap_test, 3)", "o": "ones_test * 2"})
        ref = compute(small_panel, {"g": "$open/Ref($close, 1) - 1", "m": "Mean($open/Ref($close, 1) - 1, 3)"})
        np.testing.assert_allclose(out["g"].to_numpy(), ref["g"].to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(out["m"].to_numpy(), ref["m"].to_numpy(), rtol=1e-12)
        assert set(out["o"].to_list()) == {2.0}
    finally:
        unregister_factor("gap_test")
        unregister_factor("ones_test")


def test_python_factor_errors(small_panel: pl.DataFrame) -> None:
    @register_factor("bad_len_test")
    def bad(panel: pl.DataFrame) -> pl.Series:
        return pl.Series([1.0])

    try:
        with pytest.raises(ExpressionError, match="returned 1 values"):
            compute(small_panel, {"b": "bad_len_test"})
    finally:
        unregister_factor("bad_len_test")
    with pytest.raises(ConfigError):
        register_factor("not an identifier")


def test_cache_hits_and_atomic_files(small_panel: pl.DataFrame, tmp_path: Path) -> None:
    exprs = {"a": "Mean($close, 5)", "b": "Std($close, 10)"}
    first = compute(small_panel, exprs, cache_dir=tmp_path)
    files = sorted(tmp_path.rglob("*.parquet"))
    assert len(files) == 2 and not list(tmp_path.rglob(".tmp-*"))
    # poison one cached column: a hit must come from the file, not a recomputation
    pl.DataFrame({"value": pl.Series([7.0] * small_panel.height)}).write_parquet(files[0])
    second = compute(small_panel, exprs, cache_dir=tmp_path)
    poisoned = [c for c in ("a", "b") if second[c].to_list() == [7.0] * small_panel.height]
    assert len(poisoned) == 1
    other = "b" if poisoned == ["a"] else "a"
    assert second[other].equals(first[other])
    # another panel -> another fingerprint, no stale hit
    changed = small_panel.with_columns(pl.col("close") * 2)
    third = compute(changed, exprs, cache_dir=tmp_path)
    assert third["a"].to_list() != [7.0] * small_panel.height


def test_qlib_precision_rounds_like_float32(small_panel: pl.DataFrame) -> None:
    out = compute(small_panel, {"a": "$close/$open"}, precision="qlib")
    ref = (small_panel["close"].cast(pl.Float32) / small_panel["open"].cast(pl.Float32)).cast(pl.Float64)
    assert out["a"].equals(ref.alias("a"))


def test_shared_subexpressions_give_the_same_values(small_panel: pl.DataFrame) -> None:
    lib = {
        "a": "Sum(Abs($close-Ref($close, 1)), 5)",
        "b": "Sum(Greater($close-Ref($close, 1), 0), 5)/(Sum(Abs($close-Ref($close, 1)), 5)+1e-12)",
        "c": "Corr($close, Log($volume+1), 5)",
        "d": "Std($close, 5)",
    }
    together = compute(small_panel, lib)
    for name, text in lib.items():
        assert compute(small_panel, {name: text})[name].equals(together[name])


def test_dates_as_datetimes() -> None:
    p = random_walk_panel(2, 10).with_columns(pl.col("date").cast(pl.Datetime("us")))
    dates = p["date"].unique().sort()
    p = p.filter(~((pl.col("asset") == "SYN000") & (pl.col("date") == dates[3])))
    out = compute(p, {"r": "Ref($close, 1)"})
    assert out.schema["date"] == pl.Datetime("us") and out.height == p.height
    assert isinstance(out["date"][0], dt.datetime)


def test_quantiles_of_one_window_computed_together_equal_each_alone(small_panel: pl.DataFrame) -> None:
    # QTLU/QTLD-style pairs share one sorted-window pass; the input is itself a shared
    # sub-expression (a later stage), and one quantile is used by two factors
    p = small_panel.with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 3).then(None).otherwise(pl.col("close")).alias("close")
    )
    x = "Ref($close, 1)/$open"
    lib = {
        "hi": f"Quantile({x}, 10, 0.8)",
        "lo": f"Quantile({x}, 10, 0.2)/$close",
        "lo2": f"Quantile({x}, 10, 0.2)*2",
        "mid": f"Quantile({x}, 10, 0.5)",
        "other": f"Quantile({x}, 5, 0.8)",
        "med": f"Med({x}, 10)",
        "r": f"Mean({x}, 3)",
    }
    for precision in ("float64", "qlib"):
        together = compute(p, lib, precision=precision)
        for name, text in lib.items():
            assert compute(p, {name: text}, precision=precision)[name].equals(together[name]), name


def test_out_dtype_float32_equals_float64_rounded() -> None:
    """``out_dtype="float32"`` gives the float64 values rounded to float32 (and rejects other names)."""
    import datetime as dt

    import numpy as np
    import polars as pl
    import pytest

    from rdq.errors import ConfigError
    from rdq.factors import compute

    rng = np.random.default_rng(3)
    n = 40
    close = 10 * np.exp(np.cumsum(rng.normal(0, 0.02, 2 * n)))
    panel = pl.DataFrame(
        {
            "date": [dt.date(2020, 1, 1) + dt.timedelta(days=i % n) for i in range(2 * n)],
            "asset": ["A"] * n + ["B"] * n,
            "open": close, "high": close * 1.01, "low": close * 0.99, "close": close,
            "volume": rng.uniform(1e5, 2e5, 2 * n),
        }
    )
    exprs = {"MA5": "Mean($close, 5)/$close", "STD10": "Std($close, 10)/$close", "RET": "$close/Ref($close,1)-1"}
    f64 = compute(panel, exprs)
    f32 = compute(panel, exprs, out_dtype="float32")
    assert all(f32.schema[c] == pl.Float32 for c in exprs)
    for c in exprs:
        np.testing.assert_array_equal(f32[c].to_numpy(), f64[c].cast(pl.Float32).to_numpy())
    with pytest.raises(ConfigError, match="out_dtype"):
        compute(panel, exprs, out_dtype="float16")  # type: ignore[arg-type]


def test_windows_of_one_input_computed_together_equal_each_alone(small_panel: pl.DataFrame) -> None:
    # Alpha158-style families (Mean/Sum/Std/Var of one input over several windows, Corr's implied
    # near-constant Std) run as one multi-window kernel pass: bit-identical to each factor alone,
    # with missing values, infinities (x/0), expanding windows and windows longer than the data
    p = small_panel.with_columns(
        pl.when(pl.int_range(pl.len()) % 11 == 4).then(None).otherwise(pl.col("close")).alias("close"),
        pl.when(pl.int_range(pl.len()) % 13 == 5).then(0.0).otherwise(pl.col("open")).alias("open"),
    )
    x = "$close/Ref($close, 1)"
    lib = {
        "m3": f"Mean({x}, 3)", "m10": f"Mean({x}, 10)/$close", "m0": f"Mean({x}, 0)",
        "m500": f"Mean({x}, 500)",
        "s5": "Sum($close/$open, 5)", "s20": "Sum($close/$open, 20)",
        "sd5": "Std($close, 5)", "sd20": "Std($close, 20)/$close",
        "v5": "Var($volume, 5)", "v10": "Var($volume, 10)",
        "c5": "Corr($close, Log($volume+1), 5)", "c10": "Corr($close, Log($volume+1), 10)",
    }
    for precision in ("float64", "qlib"):
        together = compute(p, lib, precision=precision)
        for name, text in lib.items():
            alone = compute(p, {name: text}, precision=precision)[name]
            assert alone.equals(together[name]), (precision, name)


def test_alpha158_families_are_batched() -> None:
    from rdq.factors import load_library
    from rdq.factors._compile import batch_groups
    from rdq.factors._compute import parse_named

    groups = batch_groups(list(parse_named(load_library("alpha158")).values()))
    windows = (5.0, 10.0, 20.0, 30.0, 60.0)
    assert groups["Mean|$close"] == windows
    assert groups["Std|$volume"] == windows
    # Corr($close, Log($volume+1), N) needs qlib's near-constant mask Std(Log($volume+1), N)
    assert groups["Std|Log(Add($volume,1))"] == windows
    assert groups["Quantile|$close|20"] == (0.2, 0.8)
    assert sum(len(v) for k, v in groups.items() if k.startswith(("Sum|", "Mean|"))) == 55


def test_only_kernel_work_becomes_a_temporary_column() -> None:
    # shared kernels (Ref, the Sum batch) are computed once into columns, stage by stage; shared
    # cheap arithmetic ($close - Ref(...), $close + 1) and the batch's field reads stay inline
    from rdq.factors._compile import CompileContext, batch_groups, compile_expr
    from rdq.factors._compute import _count_calls, parse_named

    lib = {"a": "Sum($close-Ref($close,1), 5)/($close+1)", "b": "Sum($close-Ref($close,1), 10)/($close+1)"}
    nodes = parse_named(lib)
    counts: dict[str, int] = {}
    for node in nodes.values():
        _count_calls(node, counts)
    ctx = CompileContext(
        fields=frozenset({"close"}),
        starts=np.array([0, 10]),
        shared=frozenset(k for k, c in counts.items() if c > 1),
        batches=batch_groups(list(nodes.values())),
    )
    for name, node in nodes.items():
        compile_expr(node, ctx, text=lib[name])
    assert sorted(stage for _, stage in ctx.temps.values()) == [1, 2]
