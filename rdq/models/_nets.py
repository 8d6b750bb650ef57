"""Small torch networks: MLP on flat features; GRU, LSTM, Transformer on windows.

Every net maps a batch to one score per sample, shape ``(batch,)``:

* :class:`MLPNet`: ``(batch, n_features)``;
* :class:`GRUNet`, :class:`LSTMNet`, :class:`TransformerNet`: ``(batch, step_len, n_features)``,
  or, with ``d_feat`` set, flat qlib Alpha360 rows ``(batch, n_features)`` which are reshaped to
  ``(batch, n_features // d_feat, d_feat)`` as qlib's ``pytorch_gru.GRUModel`` does
  (Alpha360's columns are field-major: CLOSE59..CLOSE0, OPEN59..OPEN0, ...).
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["MLPNet", "GRUNet", "LSTMNet", "TransformerNet"]


def _as_sequence(x: torch.Tensor, d_feat: int | None) -> torch.Tensor:
    if x.dim() == 3:
        return x
    if d_feat is None:
        return x.unsqueeze(1)  # a flat row is a window of one day
    return x.reshape(x.shape[0], d_feat, -1).permute(0, 2, 1)


class MLPNet(nn.Module):
    """``n_features -> hidden... -> 1`` with ReLU and dropout."""

    def __init__(self, n_features: int, *, hidden: tuple[int, ...] = (64, 32), dropout: float = 0.0) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = n_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 3:
            x = x[:, -1, :]
        return self.net(x).squeeze(-1)


class _RecurrentNet(nn.Module):
    """A recurrent layer over the window; the last hidden state -> linear -> score.

    Input ``(batch, step_len, n_features)`` (or flat ``(batch, d_feat * step_len)`` rows when ``d_feat``
    is given, as qlib's Alpha360 models read them); output ``(batch,)``.
    """

    cell: type[nn.GRU] | type[nn.LSTM]

    def __init__(
        self,
        n_features: int,
        *,
        hidden_size: int = 32,
        num_layers: int = 1,
        dropout: float = 0.0,
        d_feat: int | None = None,
    ) -> None:
        super().__init__()
        self.d_feat = d_feat
        self.rnn = self.cell(
            input_size=d_feat or n_features,
            hidden_size=hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.fc_out = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(_as_sequence(x, self.d_feat))
        return self.fc_out(out[:, -1, :]).squeeze(-1)


class GRUNet(_RecurrentNet):
    """GRU over the window; the last hidden state -> linear -> score (qlib's ``GRUModel``)."""

    cell = nn.GRU


class LSTMNet(_RecurrentNet):
    """LSTM over the window; the last hidden state -> linear -> score (qlib's ``LSTMModel``)."""

    cell = nn.LSTM


class _PositionalEncoding(nn.Module):
    def __init__(self, d_model: int, max_len: int = 1000) -> None:
        super().__init__()
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)[:, : d_model // 2]
        self.register_buffer("pe", pe)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, len, d_model)
        pe: torch.Tensor = self.pe  # type: ignore[assignment]
        return x + pe[: x.shape[1]].unsqueeze(0)


class TransformerNet(nn.Module):
    """Linear embed -> positional encoding -> TransformerEncoder -> last step -> score."""

    def __init__(
        self,
        n_features: int,
        *,
        d_model: int = 32,
        nhead: int = 4,
        num_layers: int = 1,
        dim_feedforward: int = 64,
        dropout: float = 0.0,
        d_feat: int | None = None,
    ) -> None:
        super().__init__()
        self.d_feat = d_feat
        self.embed = nn.Linear(d_feat or n_features, d_model)
        self.pos = _PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(
            d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward, dropout=dropout, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers=num_layers, enable_nested_tensor=False)
        self.fc_out = nn.Linear(d_model, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encoder(self.pos(self.embed(_as_sequence(x, self.d_feat))))
        return self.fc_out(h[:, -1, :]).squeeze(-1)
