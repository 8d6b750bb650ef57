"""Factor libraries stored as data: ``factors/<name>.yaml`` at the repository root.

Each file holds ``name``, ``factors`` (qlib column name -> expression, in qlib's order) and
optionally ``labels``::

    name: alpha158
    factors:
      KMID: "($close-$open)/$open"
      ...
    labels:
      LABEL0: "Ref($close, -2)/Ref($close, -1) - 1"
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml

import rdq
from rdq.errors import ConfigError, did_you_mean

__all__ = ["LIBRARY_DIR", "load_library", "load_labels", "list_libraries", "LibraryName"]

LibraryName = Literal["alpha158", "alpha360"]

#: ``<repo>/factors``
LIBRARY_DIR: Path = Path(rdq.__file__).resolve().parents[1] / "factors"


def list_libraries() -> list[str]:
    """Names of the libraries in :data:`LIBRARY_DIR` (file stems)."""
    if not LIBRARY_DIR.is_dir():
        return []
    return sorted(p.stem for p in LIBRARY_DIR.glob("*.yaml"))


def _read(name: str) -> dict:
    path = LIBRARY_DIR / f"{name}.yaml"
    if not path.is_file():
        known = list_libraries()
        raise ConfigError(
            f"no factor library '{name}' in {LIBRARY_DIR}{did_you_mean(name, known)}"
            f"; available: {', '.join(known) or 'none'}"
        )
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("factors"), dict):
        raise ConfigError(f"{path}: expected a mapping with a 'factors' mapping (name -> expression)")
    return data


def load_library(name: LibraryName | str) -> dict[str, str]:
    """Factor name -> expression of a library, in file order.

    Parameters
    ----------
    name:
        ``"alpha158"`` or ``"alpha360"`` (or any other ``factors/<name>.yaml``).

    Raises
    ------
    ConfigError
        Unknown library (with the nearest name) or a malformed file.

    Examples
    --------
    >>> lib = load_library("alpha158")
    >>> len(lib), lib["KMID"]
    (158, '($close-$open)/$open')
    """
    data = _read(name)
    return {str(k): str(v) for k, v in data["factors"].items()}


def load_labels(name: LibraryName | str) -> dict[str, str]:
    """The library's label expressions (``LABEL0`` for qlib's handlers); may be empty."""
    data = _read(name)
    labels = data.get("labels") or {}
    return {str(k): str(v) for k, v in labels.items()}
