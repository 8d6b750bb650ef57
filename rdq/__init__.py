"""rdq: a quantitative-research agent and backtesting engine.

Stages hand off frozen objects (see docs/ARCHITECTURE.md)::

    source -> Panel -> FactorFrame -> SignalReport -> Scores -> BacktestResult -> Store
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
