"""Factor libraries stored as data: the built-in ``factors/<name>.yaml``, or any YAML file of that shape.

Each file holds ``name``, ``factors`` (qlib column name -> expression, in qlib's order) and
optionally ``labels``::

    name: alpha158
    factors:
      KMID: "($close-$open)/$open"
      ...
    labels:
      LABEL0: "Ref($close, -2)/Ref($close, -1) - 1"

A library is named like every built-in file (:func:`rdq.resources.resolve`): a path if that file
exists, else a built-in name (``alpha158``, ``alpha360``; ``rdq factors list`` shows them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml

from rdq.errors import ConfigError
from rdq.resources import builtin_dir, builtin_names, resolve

__all__ = ["LIBRARY_DIR", "load_library", "load_labels", "list_libraries", "library_path", "LibraryName"]

LibraryName = Literal["alpha158", "alpha360"]

#: the folder of the built-in libraries (``<repo>/factors`` in a checkout, ``rdq/_builtin/factors`` installed)
LIBRARY_DIR: Path = builtin_dir("factors")


def list_libraries() -> list[str]:
    """Names of the built-in libraries (file stems of :data:`LIBRARY_DIR`)."""
    return builtin_names("factors")


def library_path(name: LibraryName | str | Path, *, base: Path | None = None) -> Path:
    """The YAML file a library name or path stands for (a path if it exists, else a built-in name).

    Parameters
    ----------
    name:
        A built-in name (``"alpha158"``) or a path to a library YAML file.
    base:
        Folder a relative path starts from (default: the current directory).

    Raises
    ------
    ConfigError
        Neither an existing file nor a built-in name (with the nearest built-in).
    """
    return resolve("factors", name, base=base)


def _read(name: str | Path) -> dict:
    path = library_path(name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("factors"), dict):
        raise ConfigError(f"{path}: expected a mapping with a 'factors' mapping (name -> expression)")
    return data


def load_library(name: LibraryName | str | Path) -> dict[str, str]:
    """Factor name -> expression of a library, in file order.

    Parameters
    ----------
    name:
        ``"alpha158"`` or ``"alpha360"``, or the path of a library YAML file.

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


def load_labels(name: LibraryName | str | Path) -> dict[str, str]:
    """The library's label expressions (``LABEL0`` for qlib's handlers); may be empty."""
    data = _read(name)
    labels = data.get("labels") or {}
    return {str(k): str(v) for k, v in labels.items()}
