"""Factor values cached as Parquet, keyed by (panel fingerprint, expression).

Layout: ``<cache_dir>/<panel fingerprint>/<sha256(canonical expression, precision)[:24]>.parquet``,
one Float64 column ``value`` aligned with the panel's sorted rows. Writes go to a temporary file in
the same folder and are renamed into place, so a reader never sees a half-written file.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import polars as pl

from rdq import _files

__all__ = ["FactorCache", "CACHE_VERSION"]

log = logging.getLogger(__name__)

#: bump when the engine's numerics change, so stale values are not reused
CACHE_VERSION = "1"


class FactorCache:
    """Parquet cache of factor columns for one panel.

    Parameters
    ----------
    root:
        Cache folder (created on first write).
    fingerprint:
        :func:`rdq.data.schema.panel_fingerprint` of the panel.
    """

    def __init__(self, root: str | os.PathLike[str], fingerprint: str) -> None:
        self.root = Path(root)
        self.fingerprint = fingerprint

    def path(self, key: str) -> Path:
        digest = hashlib.sha256(f"{CACHE_VERSION}|{key}".encode()).hexdigest()[:24]
        return self.root / self.fingerprint / f"{digest}.parquet"

    def get(self, key: str, n_rows: int) -> pl.Series | None:
        """The cached column, or None when absent or unreadable/mismatched."""
        p = self.path(key)
        if not p.exists():
            return None
        try:
            s = pl.read_parquet(p)["value"]
        except Exception as exc:  # noqa: BLE001 - a corrupt cache entry is just a miss
            log.warning("ignoring unreadable cache entry %s: %s", p, exc)
            return None
        if s.len() != n_rows or s.dtype != pl.Float64:
            return None
        return s

    def put(self, key: str, values: pl.Series) -> Path:
        """Write atomically (temp file + rename)."""
        p = self.path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _files.mkstemp(dir=p.parent, prefix=".tmp-", suffix=".parquet")
        os.close(fd)
        try:
            pl.DataFrame({"value": values.cast(pl.Float64)}).write_parquet(tmp)
            os.replace(tmp, p)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return p
