"""A run's accepted factors as a factor library file (``rdq factors export RUN --out factors/NAME.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from rdq.agent._state import find_run
from rdq.errors import ConfigError

__all__ = ["export_factors"]


def export_factors(
    run: str, out: str | Path, *, workspace: str | Path = ".", with_base: bool = False, name: str | None = None
) -> dict[str, Any]:
    """Write the accepted factors of ``run`` as a library YAML that :func:`rdq.factors.load_library` reads.

    Parameters
    ----------
    run:
        A run id (or a unique prefix) of ``workspace``.
    out:
        The ``.yaml`` file to write (atomically; its folder is created).
    with_base:
        Put the run's base factors first (the full library the SOTA model was trained on).
    name:
        The library's ``name`` (default: the file's stem).

    Returns
    -------
    dict
        ``{"path", "name", "n_factors", "factors", "python_factors"}`` (``factors``: name -> expression;
        ``python_factors``: name -> the file of an accepted Python factor, which a YAML library cannot hold).

    Raises
    ------
    ConfigError
        Unknown run, an ``out`` that is not ``.yaml``/``.yml``, or a run with nothing to export.
    """
    from rdq.pipeline._cache import atomic_write_text

    folder = find_run(workspace, run)
    path = Path(out)
    if path.suffix not in (".yaml", ".yml"):
        raise ConfigError(f"--out {path}: a factor library is a .yaml file, e.g. factors/{folder.run_id}.yaml")
    st = folder.state() or {}
    every = st.get("accepted", [])
    accepted = [a for a in every if a.get("expression") and not a.get("path")]
    python = {str(a["name"]): str(a["path"]) for a in every if a.get("path")}  # not expressions: their files
    factors: dict[str, str] = {}
    if with_base:
        factors.update(folder.config()["config"].get("base_factors") or {})
    factors.update({str(a["name"]): str(a["expression"]) for a in accepted})
    if not factors:
        hint = (
            f" (its Python factors are files: {', '.join(python.values())}; rdq factors compute --python FILE)"
            if python
            else ""
        )
        raise ConfigError(
            f"run {folder.run_id} has no accepted expression factor yet{hint}; "
            "use --with-base to export the base set, or run more rounds (rdq research resume)"
        )
    lib = name or path.stem
    header = (
        f"# {lib}: exported from research run {folder.run_id} "
        f"({len(accepted)} accepted factor(s){', after the base set' if with_base else ''})\n"
    )
    body = yaml.safe_dump({"name": lib, "factors": factors}, sort_keys=False, allow_unicode=True, width=1000)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, header + body)
    return {"path": str(path), "name": lib, "n_factors": len(factors), "factors": factors, "python_factors": python}
