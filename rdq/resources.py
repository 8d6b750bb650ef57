"""Built-in factor libraries, model configs and scenarios, and how a name or a path finds one.

The files users read and edit are the repository's top-level folders; an installed rdq carries
the same files as package data (``setup.py`` maps each folder into ``rdq._builtin``)::

    kind         folder        built-in names (file stems)                    used by
    ---------    ----------    -------------------------------------------    ---------------------------------
    factors      factors/      alpha158, alpha360                             rdq factors compute --library NAME
    configs      configs/      lgbm_alpha158, lgbm_alpha360, gru_alpha360     model: NAME (in a scenario)
    backtests    backtests/    demo, smoke, csi300_lgbm_alpha158              rdq backtest --config NAME
    rl           configs/rl/   qtnet_1min, qtnet_synthetic                    rdq rl train --config NAME

Every place that takes one of these resolves it the same way (:func:`resolve`): **a path if that
file exists** (relative to a base folder: the current directory on the command line, the
scenario file's folder inside a scenario), **else a built-in name** (``alpha158`` or
``alpha158.yaml``), else a :class:`~rdq.errors.ConfigError` that lists the built-ins with the
nearest one.

Examples
--------
>>> resolve("factors", "alpha158").name
'alpha158.yaml'
>>> "smoke" in builtin_names("backtests")
True
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Literal

import rdq
from rdq.errors import ConfigError, did_you_mean

__all__ = ["Kind", "KINDS", "LIST_COMMAND", "builtin_dir", "builtin_names", "builtin_file", "resolve"]

Kind = Literal["factors", "configs", "backtests", "research", "rl", "llm"]

#: kind -> what one file of that kind is called in messages
KINDS: dict[Kind, str] = {
    "factors": "factor library",
    "configs": "model config",
    "backtests": "scenario",
    "research": "research config",
    "rl": "rl config",
    "llm": "LLM config",
}

#: kind -> the command that lists its built-ins
LIST_COMMAND: dict[Kind, str] = {
    "factors": "rdq factors list",
    "configs": "rdq configs list",
    "backtests": "rdq configs list",
    "research": "rdq configs list",
    "rl": "rdq configs list",
    "llm": "rdq configs list",
}

_SUFFIXES = (".yaml", ".yml")


def builtin_dir(kind: Kind) -> Path:
    """The folder holding the built-in files of ``kind``.

    An installed rdq: ``<site-packages>/rdq/_builtin/<kind>``. A source checkout (``pip install -e``
    or ``PYTHONPATH``): the repository's ``<kind>/`` folder itself, so an edit there is what rdq reads.

    Raises
    ------
    ConfigError
        Neither exists (a broken installation).
    """
    if kind not in KINDS:
        raise ConfigError(f"unknown resource kind {kind!r}; choose one of {sorted(KINDS)}")
    if kind in ("research", "rl", "llm"):  # these live in configs/research/, configs/rl/, configs/llm/
        return builtin_dir("configs") / kind
    packaged = Path(str(importlib.resources.files("rdq._builtin"))) / kind
    if packaged.is_dir():
        return packaged
    root = Path(rdq.__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file() and (root / kind).is_dir():
        return root / kind
    raise ConfigError(
        f"rdq's built-in {kind}/ folder is missing (looked in {packaged} and {root / kind}); "
        "reinstall rdq (pip install --force-reinstall rdq)"
    )


def builtin_names(kind: Kind) -> list[str]:
    """Sorted names (file stems) of the built-in files of ``kind``."""
    folder = builtin_dir(kind)
    return sorted(p.stem for p in folder.iterdir() if p.suffix in _SUFFIXES and p.is_file())


def _as_name(text: str) -> str | None:
    """``"alpha158"`` / ``"alpha158.yaml"`` -> ``"alpha158"``; anything with a folder part -> ``None``."""
    if not text or "/" in text or "\\" in text or text in (".", ".."):
        return None
    for suffix in _SUFFIXES:
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


def builtin_file(kind: Kind, name: str) -> Path:
    """The built-in file ``name`` (``"alpha158"`` or ``"alpha158.yaml"``) of ``kind``.

    Raises
    ------
    ConfigError
        No built-in of that name: lists the built-ins, with the nearest one.
    """
    stem = _as_name(name)
    names = builtin_names(kind)
    if stem is not None and stem in names:
        folder = builtin_dir(kind)
        for suffix in _SUFFIXES:
            if (folder / f"{stem}{suffix}").is_file():
                return folder / f"{stem}{suffix}"
    raise ConfigError(
        f"no built-in {KINDS[kind]} named {name!r}{did_you_mean(stem or name, names)}; "
        f"built-in: {', '.join(names) or 'none'} (see {LIST_COMMAND[kind]})"
    )


def resolve(kind: Kind, value: str | Path, *, base: Path | None = None, where: str = "") -> Path:
    """The file ``value`` names: a path if it exists, else a built-in name.

    Parameters
    ----------
    kind:
        ``"factors"``, ``"configs"`` or ``"backtests"``.
    value:
        A path (``~`` is expanded; relative paths are taken from ``base``) or a built-in name.
    base:
        Folder relative paths start from (default: the current directory). Inside a scenario
        file this is the scenario's folder, never the current directory.
    where:
        Prefix for the error message (e.g. ``"backtests/my.yaml: model"``).

    Returns
    -------
    Path
        An absolute path to an existing file.

    Raises
    ------
    ConfigError
        Neither a file nor a built-in name: names where it looked, the built-ins and the nearest one.
    """
    text = str(value).strip()
    raw = Path(text).expanduser()
    candidate = raw if raw.is_absolute() else (base if base is not None else Path.cwd()) / raw
    if text and candidate.is_file():
        return candidate.resolve()
    stem = _as_name(text)
    names = builtin_names(kind)
    if stem is not None and stem in names:
        return builtin_file(kind, stem)
    prefix = f"{where}: " if where else ""
    what = KINDS[kind]
    raise ConfigError(
        f"{prefix}{what} {text!r} is neither a file ({candidate} does not exist) nor a built-in {what} name"
        f"{did_you_mean(stem or raw.stem, names)}; built-in: {', '.join(names) or 'none'} "
        f"(see {LIST_COMMAND[kind]}); give an existing path or one of these names"
    )
