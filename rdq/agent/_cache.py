"""Candidate evaluation is a pure function of (panel fingerprint, candidate, config): cache it in the run folder.

One JSON file per key (``<folder>/<key>.json``), written atomically (temp file + rename), so a killed run
never leaves a torn entry; an unreadable file is a miss (logged) and is recomputed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rdq.pipeline._cache import atomic_write_text

__all__ = ["evaluation_key", "EvalCache"]

log = logging.getLogger(__name__)


def evaluation_key(panel_fingerprint: str, candidate_key: str, config: Mapping[str, Any]) -> str:
    """sha256 (hex, 32 digits) of the canonical JSON of the three parts."""
    text = json.dumps([panel_fingerprint, candidate_key, config], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class EvalCache:
    """A folder of JSON results keyed by :func:`evaluation_key`."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored value, or ``None`` (missing or unreadable)."""
        p = self._path(key)
        if not p.is_file():
            return None
        try:
            value: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("cache entry %s unreadable (%s): recomputing", p, exc)
            return None
        return value

    def put(self, key: str, value: Mapping[str, Any]) -> None:
        """Store ``value`` (JSON-able; NaN allowed) atomically."""
        atomic_write_text(self._path(key), json.dumps(value, sort_keys=True, default=str))

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return sum(1 for _ in self.folder.glob("*.json"))
