"""Training torch nets as rdq estimators: seeding, early stopping, checkpoints, progress.

::

    model = GRUModel(step_len=20, max_epochs=50, early_stop=5, seed=0, checkpoint_dir="runs/gru")
    model.fit(dataset)                       # train segment; valid loss (or IC) picks the best epoch
    scores = model.predict(dataset, "test")  # date, asset, score

A fit is repeatable on CPU: the seed is set once before the net is built, the shuffle order
comes from a dedicated ``torch.Generator``, and deterministic algorithms are switched on for
the duration of ``fit``. With ``checkpoint_dir`` each epoch atomically writes
``checkpoint.pt`` (net, optimizer, epoch, best state, RNG states) and ``best.pt`` (best state
dict); ``resume=True`` continues a fit from ``checkpoint.pt`` to the same result as an
uninterrupted run.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, Self

import numpy as np
import polars as pl
import torch
from torch import nn

from rdq import _files
from rdq.errors import ConfigError, did_you_mean
from rdq.metrics import EvalMetric
from rdq.models._base import BaseModel, make_scores
from rdq.models._dataset import DataKey, LearningDataset
from rdq.models._nets import GRUNet, LSTMNet, MLPNet, TransformerNet
from rdq.models._segments import SegmentName
from rdq.models._ts import FillnaType, _batches, make_windows
from rdq.models._user_model import check_model_output, load_user_model

__all__ = ["TorchModel", "MLPModel", "GRUModel", "LSTMModel", "TransformerModel", "FileModel", "NETS"]

log = logging.getLogger(__name__)

#: built-in nets by name
NETS: dict[str, type[nn.Module]] = {
    "mlp": MLPNet,
    "gru": GRUNet,
    "lstm": LSTMNet,
    "transformer": TransformerNet,
}


class _Rows:
    """Flat rows or windows of one segment, served in batches."""

    def __init__(
        self,
        dataset: LearningDataset,
        segment: SegmentName,
        *,
        data: DataKey,
        step_len: int | None,
        fillna: FillnaType,
    ) -> None:
        if step_len is None:
            keys, x, y = dataset.arrays(segment, data=data)
            if fillna != "none":
                x = np.nan_to_num(x, nan=0.0)
            self.keys = keys
            self._x, self.labels = x, y
            self._windows = None
        else:
            self._windows = make_windows(dataset, segment, step_len=step_len, data=data, fillna=fillna)
            self.keys = self._windows.keys
            self.labels = self._windows.labels

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def batches(
        self, batch_size: int, *, shuffle: bool = False, generator: torch.Generator | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        if self._windows is not None:
            yield from self._windows.batches(batch_size, shuffle=shuffle, generator=generator)
        else:
            yield from _batches(
                len(self), batch_size, shuffle, generator, lambda i: (self._x[i], self.labels[i])
            )


@contextlib.contextmanager
def _torch_settings(*, deterministic: bool, num_threads: int | None) -> Iterator[None]:
    """Deterministic algorithms and a thread count for the duration of a block (restored after)."""
    before = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    threads = torch.get_num_threads()
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before, warn_only=warn_only)
        if num_threads is not None:
            torch.set_num_threads(threads)


def _atomic_save(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _files.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def daily_ic(keys: pl.DataFrame, pred: np.ndarray, label: np.ndarray) -> float:
    """Mean over dates of the Pearson correlation of ``pred`` and ``label`` (NaN labels dropped).

    Computed with ``np.bincount`` so the result is bit-for-bit repeatable.
    """
    ok = ~np.isnan(label)
    if not ok.any():
        return float("nan")
    _, code = np.unique(keys.get_column("date").to_numpy()[ok], return_inverse=True)
    p = pred[ok].astype(np.float64)
    y = label[ok].astype(np.float64)
    n = np.bincount(code).astype(np.float64)
    dp = p - (np.bincount(code, p) / n)[code]
    dy = y - (np.bincount(code, y) / n)[code]
    with np.errstate(invalid="ignore", divide="ignore"):
        ic = np.bincount(code, dp * dy) / np.sqrt(np.bincount(code, dp * dp) * np.bincount(code, dy * dy))
    ic = ic[np.isfinite(ic) & (n > 1)]
    return float(ic.mean()) if ic.size else float("nan")


class TorchModel(BaseModel):
    """A torch net trained on a :class:`~rdq.models.LearningDataset`.

    Parameters
    ----------
    net:
        ``"mlp"``, ``"gru"``, ``"lstm"``, ``"transformer"``, or ``"file"`` (a user file, see
        ``model_file``).
    net_kwargs:
        Options of the net (e.g. ``hidden_size``); built-in defaults are small.
    model_file, model_class:
        For ``net="file"``: the Python file and, optionally, the class to use
        (see :func:`rdq.models.load_user_model`).
    step_len:
        Window length in days for sequence input ``(batch, step_len, k)``; ``None`` feeds flat
        rows ``(batch, k)``.
    fillna:
        How missing feature values reach the net (see :class:`~rdq.models.TSWindows`).
    lr, weight_decay, batch_size:
        Adam optimizer and batch settings.
    max_epochs:
        Epochs at most.
    early_stop:
        Stop after this many epochs without a better valid ``metric``.
    metric:
        :class:`rdq.metrics.EvalMetric` watched by early stopping: ``"loss"`` (valid MSE, lower is
        better) or ``"ic"`` (mean daily IC, higher is better).
    seed:
        Seeds net initialisation, shuffling and dropout.
    device:
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
    checkpoint_dir:
        Where to write ``checkpoint.pt`` / ``best.pt`` each epoch (``None``: no checkpoints).
    resume:
        Continue from ``checkpoint_dir/checkpoint.pt`` when it exists.
    progress:
        Show a rich progress bar of the epochs on a terminal (:mod:`rdq.progress`). Every epoch is
        logged at INFO in any case (train loss, valid loss and IC, best epoch, early stopping).
    deterministic:
        Use torch's deterministic algorithms during ``fit`` (CPU).
    num_threads:
        torch CPU threads during ``fit``/``predict`` (``None``: torch's default). Small nets on a
        busy machine train several times faster with 1.

    Attributes
    ----------
    net_: nn.Module
        The net with the best epoch's weights.
    history_: list[dict]
        Per epoch: ``epoch, train_loss, valid_loss, valid_ic``.
    best_epoch_: int
    n_features_: int
    """

    def __init__(
        self,
        *,
        net: str = "mlp",
        net_kwargs: dict[str, Any] | None = None,
        model_file: str | os.PathLike[str] | None = None,
        model_class: str | None = None,
        step_len: int | None = None,
        fillna: FillnaType = "zero",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        batch_size: int = 800,
        max_epochs: int = 20,
        early_stop: int = 5,
        metric: EvalMetric | str = EvalMetric.LOSS,
        seed: int = 0,
        device: Literal["auto", "cpu", "cuda"] = "auto",
        checkpoint_dir: str | os.PathLike[str] | None = None,
        resume: bool = False,
        progress: bool = False,
        deterministic: bool = True,
        num_threads: int | None = None,
    ) -> None:
        self.net = net
        self.net_kwargs = net_kwargs
        self.model_file = model_file
        self.model_class = model_class
        self.step_len = step_len
        self.fillna = fillna
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stop = early_stop
        self.metric = metric
        self.seed = seed
        self.device = device
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.progress = progress
        self.deterministic = deterministic
        self.num_threads = num_threads

    # ------------------------------------------------------------------ building
    def _device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("device='cuda' but torch sees no CUDA device; use device='auto' or 'cpu'")
        if self.device not in ("cpu", "cuda"):
            raise ConfigError(f"device must be 'auto', 'cpu' or 'cuda', got {self.device!r}")
        return torch.device(self.device)

    def build_net(self, n_features: int) -> nn.Module:
        """The untrained net for ``n_features`` inputs (checked on a tiny batch)."""
        kwargs = dict(self.net_kwargs or {})
        if self.net == "file":
            if self.model_file is None:
                raise ConfigError(
                    "net='file' needs model_file (the path of a Python file defining an nn.Module)"
                )
            return load_user_model(
                self.model_file,
                n_features=n_features,
                step_len=self.step_len,
                class_name=self.model_class,
                kwargs=kwargs,
            )
        if self.net not in NETS:
            raise ConfigError(
                f"unknown net {self.net!r}{did_you_mean(self.net, [*NETS, 'file'])}; "
                f"choose one of {[*NETS, 'file']}"
            )
        cls = NETS[self.net]
        try:
            module = cls(n_features, **kwargs)
        except TypeError as exc:
            raise ConfigError(f"net {self.net!r}: {exc}") from None
        check_model_output(module, n_features=n_features, step_len=self.step_len, source=f"net {self.net!r}")
        return module

    def _check_settings(self) -> None:
        choices = [m.value for m in EvalMetric]
        if self.metric not in choices:
            raise ConfigError(
                f"metric must be one of {choices}, got {self.metric!r}" + did_you_mean(str(self.metric), choices)
            )
        for name in ("batch_size", "max_epochs", "early_stop"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
        if self.resume and self.checkpoint_dir is None:
            raise ConfigError("resume=True needs checkpoint_dir")

    # ------------------------------------------------------------------ training
    def fit(self, dataset: LearningDataset) -> Self:
        """Train on the train segment, keep the best epoch on the valid segment.

        Raises
        ------
        ConfigError
            Bad settings, no labelled train rows, or a checkpoint from a different model.
        """
        from rdq.progress import progress as report

        self._check_settings()
        device = self._device()
        train = _Rows(dataset, "train", data="learn", step_len=self.step_len, fillna=self.fillna)
        valid = _Rows(dataset, "valid", data="learn", step_len=self.step_len, fillna=self.fillna)
        if not np.isfinite(train.labels).any():
            raise ConfigError(f"the train segment {dataset.segments.train} has no rows with a label")
        n_features = len(dataset.features)
        with _torch_settings(
            deterministic=self.deterministic and device.type == "cpu", num_threads=self.num_threads
        ):
            torch.manual_seed(self.seed)
            net = self.build_net(n_features).to(device)
            optimizer = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            gen = torch.Generator().manual_seed(self.seed)
            state: dict[str, Any] = {
                "epoch": -1,
                "best_score": -np.inf,
                "best_epoch": -1,
                "best_state": None,
                "wait": 0,
                "history": [],
            }
            ckpt_path = (
                Path(self.checkpoint_dir) / "checkpoint.pt" if self.checkpoint_dir is not None else None
            )
            if self.resume and ckpt_path is not None and ckpt_path.exists():
                state = self._load_checkpoint(ckpt_path, net, optimizer, gen, n_features)
            watched = "valid loss" if self.metric == EvalMetric.LOSS else "valid ic"
            # a bar on a terminal; elsewhere the INFO line logged per epoch below is the progress
            with report(
                f"{type(self).__name__} epochs", self.max_epochs, enabled=self.progress, logger=log, lines=False
            ) as bar:
                bar.update(done=state["epoch"] + 1)
                for epoch in range(state["epoch"] + 1, self.max_epochs):
                    if state["wait"] >= self.early_stop:
                        break
                    train_loss = self._train_epoch(net, optimizer, train, gen, device)
                    valid_loss, valid_ic = self._evaluate(net, valid, device)
                    score = -valid_loss if self.metric == EvalMetric.LOSS else valid_ic
                    if not np.isfinite(score):
                        score = -np.inf
                    if state["best_state"] is None or score > state["best_score"]:
                        state["best_score"] = score
                        state["best_epoch"] = epoch
                        state["best_state"] = {
                            k: v.detach().cpu().clone() for k, v in net.state_dict().items()
                        }
                        state["wait"] = 0
                    else:
                        state["wait"] += 1
                    state["epoch"] = epoch
                    state["history"].append(
                        {
                            "epoch": epoch,
                            "train_loss": train_loss,
                            "valid_loss": valid_loss,
                            "valid_ic": valid_ic,
                        }
                    )
                    # epochs counted from 1 in the log (``history_`` and ``best_epoch_`` count from 0)
                    log.info(
                        "epoch %d/%d: train loss %.6f, valid loss %.6f, valid ic %.4f (best epoch %d, %d/%d "
                        "without a better %s)",
                        epoch + 1,
                        self.max_epochs,
                        train_loss,
                        valid_loss,
                        valid_ic,
                        state["best_epoch"] + 1,
                        state["wait"],
                        self.early_stop,
                        watched,
                    )
                    if state["wait"] >= self.early_stop:
                        best = -state["best_score"] if self.metric == EvalMetric.LOSS else state["best_score"]
                        log.info(
                            "early stopping after epoch %d: no better %s for %d epochs; best epoch %d (%s %.6g)",
                            epoch + 1,
                            watched,
                            self.early_stop,
                            state["best_epoch"] + 1,
                            watched,
                            best,
                        )
                    if ckpt_path is not None:
                        self._save_checkpoint(ckpt_path, net, optimizer, gen, state, n_features)
                    bar.advance(info=f"train {train_loss:.4f} valid {valid_loss:.4f} ic {valid_ic:.3f}")
            if state["best_state"] is not None:
                net.load_state_dict(state["best_state"])
        net.eval()
        self.net_ = net
        self.n_features_ = n_features
        self.history_ = list(state["history"])
        self.best_epoch_ = int(state["best_epoch"])
        self.stopped_early_ = bool(state["wait"] >= self.early_stop)
        return self

    def _train_epoch(
        self,
        net: nn.Module,
        optimizer: torch.optim.Optimizer,
        rows: _Rows,
        gen: torch.Generator,
        device: torch.device,
    ) -> float:
        net.train()
        total, count = 0.0, 0
        for _, x, y in rows.batches(self.batch_size, shuffle=True, generator=gen):
            mask = ~np.isnan(y)
            if not mask.any():
                continue
            xt = torch.from_numpy(np.ascontiguousarray(x[mask])).to(device)
            yt = torch.from_numpy(np.ascontiguousarray(y[mask])).to(device)
            pred = net(xt).reshape(-1)
            loss = torch.mean((pred - yt) ** 2)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_value_(net.parameters(), 3.0)
            optimizer.step()
            total += float(loss.detach()) * int(mask.sum())
            count += int(mask.sum())
        return total / max(count, 1)

    def _predict_rows(self, net: nn.Module, rows: _Rows, device: torch.device) -> np.ndarray:
        net.eval()
        out = np.empty(len(rows), dtype=np.float64)
        with torch.no_grad():
            for idx, x, _ in rows.batches(max(self.batch_size, 1024)):
                out[idx] = net(torch.from_numpy(np.ascontiguousarray(x)).to(device)).reshape(-1).cpu().numpy()
        return out

    def _evaluate(self, net: nn.Module, rows: _Rows, device: torch.device) -> tuple[float, float]:
        if len(rows) == 0:
            return float("nan"), float("nan")
        pred = self._predict_rows(net, rows, device)
        mask = ~np.isnan(rows.labels)
        loss = float(np.mean((pred[mask] - rows.labels[mask]) ** 2)) if mask.any() else float("nan")
        return loss, daily_ic(rows.keys, pred, rows.labels)

    # ------------------------------------------------------------------ checkpoints
    def _save_checkpoint(
        self,
        path: Path,
        net: nn.Module,
        optimizer: torch.optim.Optimizer,
        gen: torch.Generator,
        state: dict[str, Any],
        n_features: int,
    ) -> None:
        payload = {
            "model": net.state_dict(),
            "optimizer": optimizer.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "shuffle_rng": gen.get_state(),
            "n_features": n_features,
            "net": self.net,
            **state,
        }
        _atomic_save(payload, path)
        if state["best_epoch"] == state["epoch"]:
            _atomic_save(
                {"model": state["best_state"], "epoch": state["best_epoch"], "score": state["best_score"]},
                path.with_name("best.pt"),
            )

    def _load_checkpoint(
        self,
        path: Path,
        net: nn.Module,
        optimizer: torch.optim.Optimizer,
        gen: torch.Generator,
        n_features: int,
    ) -> dict[str, Any]:
        try:
            payload = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as exc:  # noqa: BLE001 - torch raises many types for bad files
            raise ConfigError(
                f"{path}: cannot read checkpoint ({type(exc).__name__}: {exc})",
            ) from None
        if payload.get("n_features") != n_features or payload.get("net") != self.net:
            raise ConfigError(
                f"{path}: checkpoint is for net={payload.get('net')!r} with {payload.get('n_features')} features, "
                f"not net={self.net!r} with {n_features}; use another checkpoint_dir or resume=False"
            )
        net.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        torch.set_rng_state(payload["torch_rng"])
        gen.set_state(payload["shuffle_rng"])
        keys = ("epoch", "best_score", "best_epoch", "best_state", "wait", "history")
        log.info("resumed from %s after epoch %d", path, payload["epoch"] + 1)  # counted from 1, as logged
        return {k: payload[k] for k in keys}

    # ------------------------------------------------------------------ prediction
    def predict(self, dataset: LearningDataset, segment: SegmentName = "test") -> pl.DataFrame:
        """Scores for every row of ``segment`` in the ``infer`` frame."""
        if not hasattr(self, "net_"):
            raise ConfigError(f"{type(self).__name__} is not fitted; call fit(dataset) first")
        rows = _Rows(dataset, segment, data="infer", step_len=self.step_len, fillna=self.fillna)
        device = next(self.net_.parameters()).device
        with _torch_settings(deterministic=False, num_threads=self.num_threads):
            pred = self._predict_rows(self.net_, rows, device)
        return make_scores(rows.keys, pred)


class MLPModel(TorchModel):
    """MLP on flat features: ``TorchModel(net="mlp", step_len=None)``."""

    def __init__(self, *, step_len: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("net", "mlp")
        super().__init__(step_len=step_len, **kwargs)


class GRUModel(TorchModel):
    """GRU over windows: ``TorchModel(net="gru", step_len=20)``.

    With ``step_len=None`` and ``net_kwargs={"d_feat": 6}`` it reads flat Alpha360 rows as
    qlib's ``pytorch_gru.GRU`` does.
    """

    def __init__(self, *, step_len: int | None = 20, **kwargs: Any) -> None:
        kwargs.setdefault("net", "gru")
        super().__init__(step_len=step_len, **kwargs)


class LSTMModel(TorchModel):
    """LSTM over windows: ``TorchModel(net="lstm", step_len=20)``."""

    def __init__(self, *, step_len: int | None = 20, **kwargs: Any) -> None:
        kwargs.setdefault("net", "lstm")
        super().__init__(step_len=step_len, **kwargs)


class TransformerModel(TorchModel):
    """Transformer over windows: ``TorchModel(net="transformer", step_len=20)``."""

    def __init__(self, *, step_len: int | None = 20, **kwargs: Any) -> None:
        kwargs.setdefault("net", "transformer")
        super().__init__(step_len=step_len, **kwargs)


class FileModel(TorchModel):
    """A user's model file: ``TorchModel(net="file", model_file=path, model_class=None)``."""

    def __init__(
        self, *, model_file: str | os.PathLike[str], step_len: int | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("net", "file")
        super().__init__(model_file=model_file, step_len=step_len, **kwargs)
