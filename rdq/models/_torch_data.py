"""torch ``Dataset`` views over flat rows and :class:`~rdq.models.TSWindows`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.utils.data import Dataset

if TYPE_CHECKING:
    from rdq.models._ts import TSWindows

__all__ = ["WindowTorchDataset", "FlatTorchDataset"]


class WindowTorchDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Item ``i``: ``(x, y)`` with ``x`` float32 ``(step_len, n_features)`` and ``y`` a scalar."""

    def __init__(self, windows: TSWindows) -> None:
        self.windows = windows

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.windows.windows(np.array([i]))[0]
        return torch.from_numpy(x), torch.tensor(self.windows.labels[i])


class FlatTorchDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Item ``i``: ``(x[i], y[i])`` with ``x`` float32 ``(n, n_features)``."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        self.y = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[i], self.y[i]
