"""A research run's folder: what survives a ``kill -9``.

::

    <workspace>/.rdq/research/<run_id>/
        config.json         the research config (with the CLI's overrides), written once
        state.json          after every finished round, atomically: rounds done, SOTA, accepted factors,
                            scheduler / proposer / thresholdout state, counters
        rounds/0001.json    one file per finished round (hypothesis, candidates, decision)
        cache/              candidate evaluations keyed by (panel, candidate, config) (rdq.agent._cache)
        model_study.db      the model branch's optuna study
        report.json         the sealed test evaluation (rdq research report), once

A round is finished when its ``rounds/NNNN.json`` and the ``state.json`` naming it are both on disk; the
catalog row of the round is written before them and replaced if the round is redone, so a crash at any
point leaves either the previous round's state (the round is redone; its finished candidates come from the
cache) or the new one.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

from rdq.errors import ConfigError
from rdq.pipeline._cache import atomic_write_text

__all__ = ["RunFolder", "new_run_id", "research_root", "find_run"]


def research_root(workspace: str | Path) -> Path:
    """``<workspace>/.rdq/research``."""
    from rdq.pipeline._adapters import rdq_dir

    return rdq_dir(Path(workspace).resolve()) / "research"


def new_run_id(name: str) -> str:
    """``<name>-<UTC yyyymmddTHHMMSS>-<4 hex>``."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return f"{name}-{stamp}-{secrets.token_hex(2)}"


def find_run(workspace: str | Path, run: str) -> RunFolder:
    """The run folder of ``run`` (a run id, a unique prefix of one, or a folder path).

    Raises
    ------
    ConfigError
        No such run, or an ambiguous prefix: lists the runs (``rdq research list``).
    """
    p = Path(run)
    if (p / "config.json").is_file():
        return RunFolder(p)
    root = research_root(workspace)
    names = sorted(d.name for d in root.iterdir() if (d / "config.json").is_file()) if root.is_dir() else []
    if run in names:
        return RunFolder(root / run)
    hits = [n for n in names if n.startswith(run)]
    if len(hits) == 1:
        return RunFolder(root / hits[0])
    if len(hits) > 1:
        raise ConfigError(f"run {run!r} is ambiguous: {', '.join(hits)}; give more of the run id")
    known = ", ".join(names[-5:]) or "none yet"
    raise ConfigError(
        f"no research run {run!r} in {root} (latest: {known}); see `rdq research list --workspace DIR`"
    )


class RunFolder:
    """Paths and atomic reads/writes of one run's folder."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def config_file(self) -> Path:
        return self.path / "config.json"

    @property
    def state_file(self) -> Path:
        return self.path / "state.json"

    @property
    def report_file(self) -> Path:
        return self.path / "report.json"

    @property
    def cache_dir(self) -> Path:
        return self.path / "cache"

    @property
    def study_file(self) -> Path:
        return self.path / "model_study.db"

    def round_file(self, n: int) -> Path:
        return self.path / "rounds" / f"{n:04d}.json"

    def create(self, config: dict[str, Any]) -> None:
        (self.path / "rounds").mkdir(parents=True, exist_ok=True)
        self.cache_dir.mkdir(exist_ok=True)
        write_json(self.config_file, config)

    def config(self) -> dict[str, Any]:
        return read_json(self.config_file)

    def state(self) -> dict[str, Any] | None:
        if not self.state_file.is_file():
            return None
        return read_json(self.state_file)

    def rounds(self) -> list[dict[str, Any]]:
        """Every finished round's record, in order (files beyond the state's count are ignored)."""
        st = self.state()
        done = int(st["rounds_done"]) if st else 0
        return [read_json(self.round_file(i)) for i in range(1, done + 1) if self.round_file(i).is_file()]


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON atomically (temp file + rename), keys in insertion order (factor order is feature order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(obj, indent=1, default=_default, allow_nan=True))


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc}); the run folder is damaged") from None


def _default(obj: Any) -> Any:
    import datetime as dt

    import numpy as np

    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
