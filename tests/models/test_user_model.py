"""Loading a user's model file: good files, and clear errors for bad ones."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch
from models_helpers import segments_for

from rdq.errors import ConfigError
from rdq.models import FileModel, build_dataset, load_user_model
from rdq.models._synthetic import synthetic_learning_set

GOOD = """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, n_features: int, step_len: int, hidden: int = 8):
        super().__init__()
        self.gru = nn.GRU(n_features, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        h, _ = self.gru(x)
        return self.out(h[:, -1])          # (batch, 1) is accepted
"""

BUILDER = """
from torch import nn


class Helper(nn.Module):
    def forward(self, x):
        return x


class Other(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.lin = nn.Linear(k, 1)

    def forward(self, x):
        return self.lin(x).squeeze(-1)


def build_model(n_features, step_len):
    return Other(n_features)
"""


def _write(tmp_path: Path, text: str, name: str = "model.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def test_good_file_loads_and_trains(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    net = load_user_model(path, n_features=5, step_len=4, kwargs={"hidden": 3})
    assert net.gru.hidden_size == 3  # type: ignore[union-attr]
    factors, label = synthetic_learning_set(n_assets=10, n_days=40, n_features=5, seed=1)
    ds = build_dataset(factors, label, segments=segments_for(40))
    model = FileModel(
        model_file=path, step_len=4, max_epochs=1, batch_size=64, num_threads=1, device="cpu"
    ).fit(ds)
    scores = model.predict(ds)
    assert scores.height == ds.frame("test", data="infer").height and scores["score"].is_finite().all()


def test_build_model_function_and_class_name(tmp_path: Path) -> None:
    path = _write(tmp_path, BUILDER)
    net = load_user_model(path, n_features=6)  # build_model wins over the two classes
    assert net(torch.zeros(2, 6)).shape == (2,)
    net = load_user_model(path, n_features=6, class_name="Other", kwargs={"k": 6})
    assert isinstance(net, torch.nn.Module)
    with pytest.raises(ConfigError, match="no class 'Othr' \\(did you mean 'Other'\\?\\)"):
        load_user_model(path, n_features=6, class_name="Othr")
    with pytest.raises(ConfigError, match="wrong.*returned shape|returned shape \\(4, 6\\)"):
        load_user_model(path, n_features=6, class_name="Helper")


def test_file_without_a_module(tmp_path: Path) -> None:
    path = _write(tmp_path, "import torch\nX = 1\n")
    with pytest.raises(ConfigError, match="no nn.Module subclass and no build_model") as info:
        load_user_model(path, n_features=3)
    assert str(path) in str(info.value)
    two = _write(tmp_path, BUILDER.replace("def build_model", "def make"), "two.py")
    with pytest.raises(ConfigError, match="several nn.Module subclasses \\(Helper, Other\\)"):
        load_user_model(two, n_features=3)
    with pytest.raises(ConfigError, match="does not exist"):
        load_user_model(tmp_path / "nope.py", n_features=3)


def test_wrong_output_shape(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        from torch import nn

        class Net(nn.Module):
            def __init__(self, n_features):
                super().__init__()
                self.lin = nn.Linear(n_features, 2)

            def forward(self, x):
                return self.lin(x)
        """,
    )
    with pytest.raises(ConfigError, match=r"returned shape \(4, 2\); expected \(4,\) or \(4, 1\)"):
        load_user_model(path, n_features=3)


def test_nan_output(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self, n_features):
                super().__init__()
                self.lin = nn.Linear(n_features, 1)

            def forward(self, x):
                return self.lin(x).squeeze(-1) * float("nan")
        """,
    )
    with pytest.raises(ConfigError, match="NaN or inf"):
        load_user_model(path, n_features=3)


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "from torch import nn\n\nclass Net(nn.Module)\n    pass\n")
    with pytest.raises(ConfigError, match=r"model\.py, line 3: syntax error") as info:
        load_user_model(path, n_features=3)
    assert "class Net(nn.Module)" in str(info.value)


def test_import_and_forward_errors_name_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "from torch import nn\nimport math\nx = 1 / 0\n")
    with pytest.raises(ConfigError, match=r"line 3: importing the model file failed: ZeroDivisionError"):
        load_user_model(path, n_features=3)
    path = _write(
        tmp_path,
        """
        from torch import nn

        class Net(nn.Module):
            def __init__(self, n_features):
                super().__init__()
                self.lin = nn.Linear(n_features + 1, 1)

            def forward(self, x):
                return self.lin(x).squeeze(-1)
        """,
        "bad_forward.py",
    )
    with pytest.raises(
        ConfigError, match=r"bad_forward\.py, line 9: forward\(\) failed on a batch of shape \(4, 3\)"
    ):
        load_user_model(path, n_features=3)
    path = _write(
        tmp_path,
        "from torch import nn\n\nclass Net(nn.Module):\n    def __init__(self, a, b):\n        super().__init__()\n",
        "args.py",
    )
    with pytest.raises(ConfigError, match=r"needs argument\(s\) \['a', 'b'\]"):
        load_user_model(path, n_features=3)
