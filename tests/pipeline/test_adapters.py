"""Adapters: equal-weight benchmark by hand, feature lists, model checks, data filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rdq.errors import ConfigError
from rdq.pipeline import DataSection, FactorSection, ModelSection, SyntheticSpec
from rdq.pipeline import _adapters as ad


def _panel() -> pl.DataFrame:
    d = [dt.date(2020, 1, 2), dt.date(2020, 1, 3), dt.date(2020, 1, 6)]
    return pl.DataFrame(
        {
            "date": d * 2,
            "asset": ["A"] * 3 + ["B"] * 3,
            "open": [10.0, 11.0, 12.1, 20.0, 19.0, 19.0],
            "high": [10.0, 11.0, 12.1, 20.0, 19.0, 19.0],
            "low": [10.0, 11.0, 12.1, 20.0, 19.0, 19.0],
            "close": [10.0, 11.0, 12.1, 20.0, 19.0, 19.0],
            "volume": [1.0] * 6,
            "factor": [1.0] * 6,
        }
    )


def test_equal_weight_benchmark_by_hand() -> None:
    ew = ad.benchmark_panel(DataSection(synthetic=SyntheticSpec()), _panel(), ad.EQUAL_WEIGHT)
    assert ew is not None and ew.columns == _panel().columns
    assert ew["asset"].unique().to_list() == [ad.EW_ASSET]
    # day 2: mean(+10%, -5%) = 2.5%; day 3: mean(+10%, 0%) = 5%
    np.testing.assert_allclose(ew["close"].to_numpy(), [100.0, 102.5, 102.5 * 1.05])
    assert ew["factor"].to_list() == [1.0, 1.0, 1.0]


def test_benchmark_already_in_panel_or_none() -> None:
    data = DataSection(synthetic=SyntheticSpec())
    assert ad.benchmark_panel(data, _panel(), "A") is None
    assert ad.benchmark_panel(data, _panel(), None) is None
    with pytest.raises(ConfigError, match="equal_weight"):
        ad.benchmark_panel(data, _panel(), "SPY")


def test_feature_expressions() -> None:
    exprs = ad.feature_expressions(
        FactorSection(library="alpha158", extra={"MOM5": "$close/Ref($close,5)-1"})
    )
    assert len(exprs) == 159 and exprs["MOM5"] == "$close/Ref($close,5)-1" and "KMID" in exprs
    with pytest.raises(ConfigError, match="did you mean 'alpha158'"):
        ad.feature_expressions(FactorSection(library="alpha185"))


def test_check_model() -> None:
    ad.check_model(ModelSection(cls="LGBMModel", kwargs={"num_leaves": 7}))
    with pytest.raises(ConfigError, match="did you mean 'num_leaves'"):
        ad.check_model(ModelSection(cls="LGBMModel", kwargs={"num_leafs": 7}))
    with pytest.raises(ConfigError, match="LGBMModel"):
        ad.check_model(ModelSection(cls="LGBModel"))


def test_synthetic_data_filters() -> None:
    data = DataSection(
        synthetic=SyntheticSpec(assets=5, days=30, seed=1),
        universe=("S0001", "S0003"),
        start=dt.date(2015, 1, 5),
        end=dt.date(2015, 1, 20),
    )
    panel = ad.load_data(data)
    assert sorted(panel["asset"].unique().to_list()) == ["S0001", "S0003"]
    assert panel["date"].min() == dt.date(2015, 1, 5) and panel["date"].max() == dt.date(2015, 1, 20)


def test_label_default_and_expression() -> None:
    panel = _panel()
    default = ad.compute_label(panel, None)
    a = default.filter(pl.col("asset") == "A").sort("date")["label"].to_list()
    assert a[0] == pytest.approx(12.1 / 11.0 - 1)
    custom = ad.compute_label(panel, "Ref($close, -1)/$close - 1")
    assert custom.filter(pl.col("asset") == "A").sort("date")["label"].to_list()[0] == pytest.approx(0.1)


def test_load_data_from_a_file_and_benchmark_outside_the_universe(tmp_path: Path) -> None:
    path = tmp_path / "panel.parquet"
    _panel().write_parquet(path)
    data = DataSection(path=path, universe=("A",), start=dt.date(2020, 1, 3))
    panel = ad.load_data(data)
    assert panel["asset"].unique().to_list() == ["A"] and panel["date"].min() == dt.date(2020, 1, 3)
    bench = ad.benchmark_panel(data, panel, "B")  # read from the file, not from the filtered panel
    assert bench is not None and bench["asset"].unique().to_list() == ["B"]
    assert bench["close"].to_list() == [19.0, 19.0]
    with pytest.raises(ConfigError, match="no rows"):
        ad.benchmark_panel(data, panel, "ZZZ")


def test_fit_predict_rolling_scores_only_the_test_span() -> None:
    from rdq.data import synth_market
    from rdq.pipeline import RollingSection, SegmentSection

    panel = synth_market(n_assets=20, n_days=160, seed=5).panel
    feats = ad.compute_factors(
        panel, {"MOM5": "$close/Ref($close,5)-1", "VOL": "Std($close/Ref($close,1)-1, 10)"}
    )
    label = ad.compute_label(panel, None)
    days = panel["date"].unique().sort().to_list()
    seg = SegmentSection(train=(days[10], days[79]), valid=(days[80], days[109]), test=(days[110], days[157]))
    model = ModelSection(
        cls="LGBMModel",
        kwargs={"num_boost_round": 5, "num_leaves": 4, "early_stopping_rounds": None, "num_threads": 1},
        learn_processors=(("DropnaLabel", {}),),
    )
    static = ad.fit_predict(feats, label, model=model, segments=seg, rolling=None)
    rolled = ad.fit_predict(
        feats, label, model=model, segments=seg, rolling=RollingSection(step=16, train_span=70, valid_span=30)
    )
    for scores in (static, rolled):
        assert scores.columns == ["date", "asset", "score"]
        assert scores["date"].min() >= days[110] and scores["date"].max() <= days[157]
    assert rolled["date"].n_unique() > 16  # more than one rolling window scored the span


def test_workspace_folders() -> None:
    assert ad.rdq_dir("proj") == Path("proj/.rdq")
    assert ad.rdq_dir("proj/.rdq") == Path("proj/.rdq")  # `rdq backtest --workspace .rdq` style
    assert ad.store_path(".") == Path(".rdq/rdq.duckdb")


def test_qlib_folder_market_universe_and_index_benchmark(tmp_path: Path) -> None:
    """The csi300 scenario's data path: a qlib folder, a market file as universe, an index outside it."""
    from rdq.data import synth_market, write_qlib_dir

    panel = synth_market(n_assets=6, n_days=40, seed=2).panel
    root = write_qlib_dir(panel, tmp_path / "qlib")
    (root / "instruments" / "mkt.txt").write_text(
        "S0001\t2015-01-01\t2015-12-31\nS0002\t2015-01-01\t2015-12-31\n"
    )
    data = DataSection(path=root, universe="mkt", start=dt.date(2015, 1, 5))
    uni = ad.load_data(data)
    assert sorted(uni["asset"].unique().to_list()) == ["S0001", "S0002"]
    bench = ad.benchmark_panel(data, uni, "S0005")
    assert bench is not None and bench["asset"].unique().to_list() == ["S0005"]
    want = panel.filter((pl.col("asset") == "S0005") & (pl.col("date") >= dt.date(2015, 1, 5))).sort("date")
    # qlib stores float32
    np.testing.assert_allclose(bench.sort("date")["close"].to_numpy(), want["close"].to_numpy(), rtol=1e-6)
