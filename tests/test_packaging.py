"""The wheel carries every module, every data file and every built-in YAML (factors/, configs/, backtests/).

Builds the wheel from a copy of the sources (``pip wheel --no-deps --no-build-isolation``: the
project's own setuptools, no download) and compares its file list with the source tree.
``scripts/wheel_smoke.sh`` (CI) then installs such a wheel outside the checkout and runs it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILTIN = ("factors", "configs", "backtests")
#: what setup.py ships from inside rdq/ besides modules
DATA_SUFFIXES = {".yaml", ".json", ".jsonl", ".q", ".txt"}


def _sources(dest: Path) -> Path:
    """Copy what a build reads (pyproject, setup.py, README, rdq/ and the built-in folders) to ``dest``."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for folder in ("rdq", *BUILTIN):
        shutil.copytree(ROOT / folder, dest / folder, ignore=ignore)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = _sources(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (path,) = out.glob("rdq-*.whl")
    return path


@pytest.fixture(scope="module")
def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


@pytest.mark.parametrize("folder", BUILTIN)
def test_every_built_in_yaml_is_in_the_wheel(wheel_files: set[str], folder: str) -> None:
    names = sorted(p.name for p in (ROOT / folder).glob("*.yaml"))
    assert names, f"{folder}/ has no YAML file"
    missing = [n for n in names if f"rdq/_builtin/{folder}/{n}" not in wheel_files]
    assert not missing, f"not in the wheel: {missing}"
    assert f"rdq/_builtin/{folder}/README.md" in wheel_files


def test_every_module_and_data_file_is_in_the_wheel(wheel_files: set[str]) -> None:
    expected = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "rdq").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and (p.suffix == ".py" or p.suffix in DATA_SUFFIXES)
    }
    assert len(expected) > 100
    missing = sorted(expected - wheel_files)
    assert not missing, f"not in the wheel: {missing}"


def test_the_wheel_holds_only_the_package_and_the_command(wheel: Path, wheel_files: set[str]) -> None:
    assert {name.split("/", 1)[0] for name in wheel_files if ".dist-info/" not in name} == {"rdq"}
    (entry,) = [n for n in wheel_files if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as zf:
        assert "rdq = rdq.cli:main" in zf.read(entry).decode()
