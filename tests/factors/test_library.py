"""The factor libraries as data: qlib's names, order and expressions."""

from __future__ import annotations

import pytest
from qlib.contrib.data.handler import Alpha158
from qlib.contrib.data.loader import Alpha360DL

from rdq.errors import ConfigError
from rdq.factors import list_libraries, load_labels, load_library, parse


def test_alpha158_is_qlibs_config() -> None:
    fields, names = Alpha158.get_feature_config(None)  # type: ignore[arg-type]
    lib = load_library("alpha158")
    assert list(lib) == names and list(lib.values()) == fields
    assert list(lib)[:3] == ["KMID", "KLEN", "KMID2"] and list(lib)[-1] == "VSUMD60"


def test_alpha360_is_qlibs_config() -> None:
    fields, names = Alpha360DL.get_feature_config()
    lib = load_library("alpha360")
    assert list(lib) == names and list(lib.values()) == fields
    assert names[:2] == ["CLOSE59", "CLOSE58"] and "VOLUME0" in lib


def test_every_expression_parses_and_labels() -> None:
    for name in list_libraries():
        for text in load_library(name).values():
            parse(text)
    assert load_labels("alpha158") == {"LABEL0": "Ref($close, -2)/Ref($close, -1) - 1"}


def test_unknown_library_suggests() -> None:
    with pytest.raises(ConfigError, match="did you mean 'alpha158'"):
        load_library("alpha185")
