"""The public entry points: run a Python factor, check a model file, or fit a model file, in the sandbox."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from rdq.sandbox._layers import Isolation
from rdq.sandbox._run import run_child
from rdq.sandbox._static import allowed_modules, static_check
from rdq.sandbox._types import Limits, SandboxResult

__all__ = ["run_python_factor", "run_model_check", "run_model_fit", "validate_factor_frame"]


def _blocked(violations: list[str]) -> SandboxResult:
    first = violations[0]
    more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
    if first.split(": ", 1)[1:2] and "syntax error" in first:
        line, msg = first.split(": ", 1)
        return SandboxResult("error", f"error: {msg} ({line})", layers=("static_check",))
    line, msg = first.split(": ", 1)
    return SandboxResult("blocked", f"blocked: {msg} ({line}){more}", layers=("static_check",))


def run_python_factor(
    source: str,
    panel: pl.DataFrame,
    *,
    limits: Limits | None = None,
    entry: str = "factor",
    static: bool = True,
    isolation: Isolation = "auto",
) -> tuple[SandboxResult, pl.DataFrame | None]:
    """Run ``entry(panel)`` from the Python file ``source`` in the sandbox; validate what it returns.

    Parameters
    ----------
    source:
        The file's text; it defines ``def factor(panel: pl.DataFrame) -> pl.DataFrame``.
    panel:
        Long frame ``(n_rows, 2 + n_fields)``: ``date``, ``asset`` and the fields. The child gets a
        copy of it as a Parquet file in its own directory, and nothing else.
    limits:
        Resource limits (default :class:`Limits`).
    entry:
        The function to call.
    static:
        Run the static check first (``False`` only to test the run-time layers alone).
    isolation:
        OS isolation: ``"auto"`` (the best this machine allows), ``"bwrap"``, ``"unshare"``, ``"none"``.

    Returns
    -------
    (SandboxResult, pl.DataFrame | None)
        The result and, when ``ok``, the frame ``(n, 3)``: ``date``, ``asset``, ``value`` (Float64),
        one row per (date, asset) pair of the input at most, sorted by date, asset.
    """
    limits = limits or Limits()
    if static:
        violations = static_check(source, kind="factor")
        if violations:
            return _blocked(violations), None
    buf = io.BytesIO()
    panel.write_parquet(buf)
    holder: dict[str, pl.DataFrame] = {}

    def on_ok(workdir: Path) -> None:
        path = workdir / "result.parquet"
        if path.is_file():
            try:
                holder["frame"] = pl.read_parquet(path)
            except Exception as exc:  # noqa: BLE001 - whatever the child left there
                holder["error"] = pl.DataFrame({"msg": [f"{type(exc).__name__}: {exc}"]})

    result, _ = run_child(
        kind="factor",
        source=source,
        files={"panel.parquet": buf.getvalue()},
        config={"entry": entry},
        limits=limits,
        isolation=isolation,
        allowed=allowed_modules("factor"),
        on_ok=on_ok,
    )
    if result.status != "ok":
        return result, None
    if "frame" not in holder:
        return replace(
            result, status="error", reason="error: the factor's result file could not be read"
        ), None
    frame, problem = validate_factor_frame(holder["frame"], panel, entry=entry)
    if problem:
        return replace(result, status="error", reason=problem), None
    return result, frame


def validate_factor_frame(
    frame: pl.DataFrame, panel: pl.DataFrame, *, entry: str = "factor"
) -> tuple[pl.DataFrame | None, str]:
    """Check a factor's output against its input panel; return ``(frame, "")`` or ``(None, reason)``.

    The output must have columns ``date``, ``asset`` and ``value`` (others are dropped), ``date``
    and ``asset`` of the panel's dtypes, ``value`` numeric (cast to Float64), one row per
    (date, asset), and only pairs the panel has.
    """
    who = f"{entry}(panel)"
    missing = [c for c in ("date", "asset", "value") if c not in frame.columns]
    if missing:
        return None, (
            f"error: {who} returned columns {frame.columns}; missing {missing}: "
            "return a frame with columns date, asset, value"
        )
    frame = frame.select("date", "asset", "value")
    for col in ("date", "asset"):
        want, got = panel.schema[col], frame.schema[col]
        if want != got:
            try:
                frame = frame.with_columns(pl.col(col).cast(want, strict=True))
            except Exception:  # noqa: BLE001
                return (
                    None,
                    f"error: {who} column {col!r} has dtype {got}, the panel's is {want}: keep it as is",
                )
    if not frame.schema["value"].is_numeric() and frame.schema["value"] != pl.Null:
        return None, (
            f"error: {who} column 'value' has dtype {frame.schema['value']}, not a number: "
            "return floats (NaN or null where undefined)"
        )
    frame = frame.with_columns(pl.col("value").cast(pl.Float64))
    nulls = frame.filter(pl.col("date").is_null() | pl.col("asset").is_null()).height
    if nulls:
        return None, f"error: {who} returned {nulls} rows with a null date or asset"
    dup = frame.group_by("date", "asset").len().filter(pl.col("len") > 1)
    if dup.height:
        row = dup.sort("date", "asset").row(0, named=True)
        return None, (
            f"error: {who} returned {dup.height} duplicated (date, asset) pairs, e.g. "
            f"({row['date']}, {row['asset']}) {row['len']} times: return one row per pair"
        )
    extra = frame.join(panel.select("date", "asset"), on=["date", "asset"], how="anti")
    if extra.height:
        row = extra.sort("date", "asset").row(0, named=True)
        return None, (
            f"error: {who} returned {extra.height} (date, asset) pairs not in the panel, e.g. "
            f"({row['date']}, {row['asset']}): return values only for the panel's rows"
        )
    return frame.sort("date", "asset"), ""


def run_model_check(
    source: str,
    *,
    n_features: int,
    seq_len: int | None = None,
    limits: Limits | None = None,
    static: bool = True,
    isolation: Isolation = "auto",
    class_name: str | None = None,
    train_steps: int = 20,
) -> SandboxResult:
    """Build the ``nn.Module`` of ``source`` in the sandbox, check its output and that it trains.

    In the child: the model is built as :func:`rdq.models.load_user_model` builds it (the class
    ``class_name``, else ``build_model(n_features, step_len)``, else the single ``nn.Module``
    subclass); a forward pass on a random batch ``(16, seq_len, n_features)`` (``(16,
    n_features)`` when ``seq_len`` is None) must give shape ``(16,)`` or ``(16, 1)``, all finite;
    then ``train_steps`` Adam steps (lr 0.01) on a fixed random linear-regression batch must lower
    the MSE. ``reason`` names the failed check with its numbers.
    """
    limits = limits or Limits()
    if static:
        violations = static_check(source, kind="model")
        if violations:
            return _blocked(violations)
    result, _ = run_child(
        kind="model",
        source=source,
        files={},
        config={
            "n_features": int(n_features),
            "seq_len": seq_len,
            "class_name": class_name,
            "train_steps": int(train_steps),
        },
        limits=limits,
        isolation=isolation,
        pre_imports=("numpy", "torch"),
        allowed=allowed_modules("model"),
    )
    return result


#: training options :func:`run_model_fit` passes to the child (others are ignored)
FIT_OPTIONS = ("lr", "max_epochs", "batch_size", "early_stop", "seed")


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def run_model_fit(
    source: str,
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    predict: Mapping[str, np.ndarray],
    x_valid: np.ndarray | None = None,
    y_valid: np.ndarray | None = None,
    params: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
    static: bool = True,
    isolation: Isolation = "auto",
    class_name: str | None = None,
) -> tuple[SandboxResult, dict[str, np.ndarray] | None]:
    """Train the ``nn.Module`` of ``source`` and predict, all in the sandbox (generated code never runs here).

    The arrays go to the child as ``.npy`` files in its own directory (float32); the module is built as
    :func:`run_model_check` builds it, with ``n_features = x_train.shape[1]`` and no sequence axis, then
    trained on the MSE with Adam in shuffled mini-batches; with ``x_valid`` the epoch with the lowest
    validation MSE is kept (early stopping after ``early_stop`` epochs without a gain).

    Parameters
    ----------
    source:
        The model file's text.
    x_train, y_train:
        ``(n, n_features)`` features (NaN already filled) and ``(n,)`` targets.
    predict:
        Name (letters, digits, ``_``) -> ``(m, n_features)`` arrays to predict after training.
    x_valid, y_valid:
        Optional validation rows for early stopping.
    params:
        Training options: ``lr`` (1e-3), ``max_epochs`` (5), ``batch_size`` (2048), ``early_stop`` (3),
        ``seed`` (0); other keys are ignored.
    limits:
        Sandbox limits; ``file_mb`` is raised by the size of the input files (they count towards the
        directory's cap).

    Returns
    -------
    (SandboxResult, dict[str, np.ndarray] | None)
        The result and, when ``ok``, ``name -> (m,)`` float64 predictions for every ``predict`` entry.
    """
    limits = limits or Limits()
    if static:
        violations = static_check(source, kind="model")
        if violations:
            return _blocked(violations), None
    if x_train.ndim != 2 or y_train.shape != (x_train.shape[0],):
        raise ValueError(f"x_train must be (n, k) and y_train (n,), got {x_train.shape} and {y_train.shape}")
    files = {"x_train.npy": _npy(x_train), "y_train.npy": _npy(y_train)}
    if x_valid is not None and y_valid is not None:
        files |= {"x_valid.npy": _npy(x_valid), "y_valid.npy": _npy(y_valid)}
    for name, arr in predict.items():
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            raise ValueError(f"predict names are letters, digits and _, got {name!r}")
        files[f"xp_{name}.npy"] = _npy(arr)
    size_mb = sum(len(b) for b in files.values()) / 2**20
    limits = replace(limits, file_mb=limits.file_mb + math.ceil(size_mb))
    opts = {k: v for k, v in (params or {}).items() if k in FIT_OPTIONS}
    holder: dict[str, np.ndarray] = {}

    def on_ok(workdir: Path) -> None:
        for name in predict:
            path = workdir / f"pred_{name}.npy"
            if path.is_file():
                holder[name] = np.load(path, allow_pickle=False).astype(np.float64)

    result, _ = run_child(
        kind="fit",
        source=source,
        files=files,
        config={"class_name": class_name, **opts},
        limits=limits,
        isolation=isolation,
        pre_imports=("numpy", "torch"),
        allowed=allowed_modules("model"),
        on_ok=on_ok,
    )
    if result.status != "ok":
        return result, None
    for name, arr in predict.items():
        got = holder.get(name)
        if got is None or got.shape != (arr.shape[0],):
            shape = None if got is None else got.shape
            return replace(
                result,
                status="error",
                reason=f"error: the predictions {name!r} have shape {shape}, expected ({arr.shape[0]},): "
                "forward() must return one value per row",
            ), None
    return result, holder
