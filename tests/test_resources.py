"""Built-in files: a path if it exists, else a built-in name, else an error listing the built-ins."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rdq.errors import ConfigError
from rdq.factors import load_library
from rdq.models import load_model_config
from rdq.pipeline import load_scenario
from rdq.resources import KINDS, builtin_dir, builtin_file, builtin_names, resolve

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_checkout_reads_the_top_level_folders(kind: str) -> None:
    # one source of truth: in a checkout the built-ins are the files users edit, not a copy
    folder = ROOT / "configs" / kind if kind in ("research", "rl", "llm") else ROOT / kind
    assert builtin_dir(kind) == folder  # type: ignore[arg-type]
    assert builtin_names(kind) == sorted(p.stem for p in folder.glob("*.yaml"))  # type: ignore[arg-type]


def test_the_documented_names_exist() -> None:
    assert {"alpha158", "alpha360"} <= set(builtin_names("factors"))
    assert {"lgbm_alpha158", "lgbm_alpha360", "gru_alpha360"} <= set(builtin_names("configs"))
    assert {"demo", "smoke", "csi300_lgbm_alpha158"} <= set(builtin_names("backtests"))


def test_a_name_or_name_yaml_is_the_built_in_file(tmp_path: Path) -> None:
    expected = ROOT / "factors" / "alpha158.yaml"
    assert resolve("factors", "alpha158", base=tmp_path) == expected
    assert resolve("factors", "alpha158.yaml", base=tmp_path) == expected
    assert builtin_file("configs", "lgbm_alpha158") == ROOT / "configs" / "lgbm_alpha158.yaml"


def test_an_existing_path_wins_over_the_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "alpha158.yaml"
    mine.write_text("factors: {ONE: '$close'}\n", encoding="utf-8")
    assert resolve("factors", "alpha158.yaml", base=tmp_path) == mine.resolve()
    monkeypatch.chdir(tmp_path)  # the command line's base is the current directory
    assert resolve("factors", "alpha158.yaml") == mine.resolve()
    assert load_library("alpha158.yaml") == {"ONE": "$close"}
    assert len(load_library("alpha158")) == 158  # no file named exactly "alpha158" here: the built-in
    assert load_library(mine) == {"ONE": "$close"}


def test_unknown_name_lists_the_built_ins_with_the_nearest(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        resolve("configs", "lgbm_alpha15", base=tmp_path)
    msg = str(info.value)
    assert "did you mean 'lgbm_alpha158'" in msg
    assert "gru_alpha360, lgbm_alpha158, lgbm_alpha360" in msg and "rdq configs list" in msg
    assert str(tmp_path / "lgbm_alpha15") in msg  # where it looked for a file


def test_a_path_with_a_folder_is_never_taken_as_a_name(tmp_path: Path) -> None:
    # "somewhere/alpha158.yaml" that does not exist is an error, not silently the built-in
    with pytest.raises(ConfigError, match=r"did you mean 'alpha158'.*rdq factors list"):
        resolve("factors", "somewhere/alpha158.yaml", base=tmp_path)


def test_every_loader_takes_names_and_paths(tmp_path: Path) -> None:
    assert load_model_config("lgbm_alpha158").model.kwargs["num_leaves"] == 210
    assert load_scenario("smoke").data.synthetic is not None
    assert load_scenario("smoke.yaml").name == "smoke"
    with pytest.raises(ConfigError, match="did you mean 'smoke'"):
        load_scenario("smok")
    with pytest.raises(ConfigError, match="did you mean 'alpha360'"):
        load_library("alpha36")
    # a model config copied elsewhere still finds a Parquet feature file next to it
    body = yaml.safe_load((ROOT / "configs" / "lgbm_alpha158.yaml").read_text(encoding="utf-8"))
    body["data"]["factors"] = "feats.parquet"
    (tmp_path / "feats.parquet").write_bytes(b"")
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    assert load_model_config(tmp_path / "m.yaml").data.factors == str((tmp_path / "feats.parquet").resolve())
