"""The model search space that the coder clamps LLM hyperparameters into is the one suggest() searches."""

from __future__ import annotations

from typing import Any

import optuna
import pytest

from rdq.agent._model_search import ALL_TEMPLATES, clamp_hyperparameters, search_space, suggest


class _Corner:
    """A trial that answers every suggestion with its lower (or upper) bound / first (or last) choice."""

    def __init__(self, high: bool) -> None:
        self.high = high

    def suggest_float(self, name: str, low: float, high: float, log: bool = False) -> float:
        return high if self.high else low

    def suggest_int(self, name: str, low: int, high: int, log: bool = False) -> int:
        return high if self.high else low

    def suggest_categorical(self, name: str, choices: list[Any]) -> Any:
        return choices[-1] if self.high else choices[0]


@pytest.mark.parametrize("template", ALL_TEMPLATES)
def test_suggest_outputs_are_inside_the_space(template: str) -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        hp = suggest(study.ask(), template)
        assert clamp_hyperparameters(template, hp) == (hp, [])
    for high in (False, True):  # the bounds themselves are inside (the space is not narrower than suggest)
        hp = suggest(_Corner(high), template)
        assert clamp_hyperparameters(template, hp) == (hp, [])


@pytest.mark.parametrize("template", ALL_TEMPLATES)
def test_out_of_range_values_get_the_bound(template: str) -> None:
    hp = suggest(_Corner(True), template)
    space = search_space(template)
    big = {
        k: (v * 1000 if isinstance(v, int | float) and not isinstance(v, bool) else v) for k, v in hp.items()
    }
    out, notes = clamp_hyperparameters(template, big)
    for path, spec in space.items():
        if spec[0] == "range" and "." not in path:
            assert out[path] == spec[2], path  # clamped to the upper bound
            assert any(n.startswith(f"{path}=") for n in notes)


def test_clamp_examples() -> None:
    out, notes = clamp_hyperparameters(
        "LGBMModel", {"num_leaves": 100000, "learning_rate": 5, "max_depth": 0}
    )
    assert (out["num_leaves"], out["learning_rate"], out["max_depth"]) == (255, 0.2, 3)
    assert out["num_threads"] == 2 and out["loss"] == "mse"  # fixed settings filled in
    assert notes == [
        "num_leaves=100000 -> 255 (range 15..255)",
        "learning_rate=5 -> 0.2 (range 0.01..0.2)",
        "max_depth=0 -> 3 (range 3..10)",
    ]
    out, notes = clamp_hyperparameters("GRUModel", {"lr": 1e-9, "max_epochs": 500, "num_threads": 64,
                                                    "net_kwargs": {"hidden_size": 4, "bidirectional": True}})  # fmt: skip
    assert out["lr"] == 1e-4 and out["max_epochs"] == 5 and out["num_threads"] == 2
    assert out["net_kwargs"] == {"hidden_size": 16}
    assert "num_threads=64 -> 2 (fixed)" in notes
    assert any(n.startswith("net_kwargs.bidirectional=True dropped") for n in notes)
    with pytest.raises(ValueError, match="no search space"):
        clamp_hyperparameters("XGBModel", {})
