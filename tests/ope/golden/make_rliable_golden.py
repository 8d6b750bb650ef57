"""Golden values for rdq.ope's aggregate statistics from rliable itself (side venv, never the test suite).

rliable's pins conflict with rdq's stack, so it is not an rdq dependency. To regenerate (after the
SCOPE-RL venv of make_scope_rl_golden.py)::

    /tmp/scopevenv/bin/pip install rliable
    /tmp/scopevenv/bin/python tests/ope/golden/make_rliable_golden.py

Writes ``rliable.json``: fixed score matrices (runs x tasks) for three agents, their point estimates
(mean, median, IQM, optimality gap), 95% stratified-bootstrap intervals, performance profiles with
intervals, and the probability of improvement.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from rliable import library as rly
from rliable import metrics

HERE = Path(__file__).resolve().parent
g = np.random.default_rng(42)
scores = {
    "qtnet": g.normal(1.0, 0.6, size=(7, 4)),
    "expert": g.normal(0.8, 0.3, size=(7, 4)),
    "buy_and_hold": g.normal(0.5, 0.9, size=(7, 4)),
}
aggregate = {
    "mean": metrics.aggregate_mean,
    "median": metrics.aggregate_median,
    "iqm": metrics.aggregate_iqm,
    "optimality_gap": metrics.aggregate_optimality_gap,
}
out: dict = {"scores": {k: v.tolist() for k, v in scores.items()}, "reps": 500, "seed": 7}


def agg(x: np.ndarray) -> np.ndarray:
    return np.array([f(x) for f in aggregate.values()])


np.random.seed(7)  # rliable's StratifiedBootstrap draws from numpy's global RandomState
points, intervals = rly.get_interval_estimates(scores, agg, reps=500)
out["aggregates"] = {k: dict(zip(aggregate, map(float, points[k]), strict=True)) for k in scores}
out["intervals"] = {k: {m: [float(intervals[k][0, i]), float(intervals[k][1, i])] for i, m in enumerate(aggregate)}
                    for k in scores}
taus = np.linspace(-1.0, 3.0, 9)
np.random.seed(11)
profiles, profile_cis = rly.create_performance_profile(scores, taus, reps=300)
out["taus"] = taus.tolist()
out["profiles"] = {k: v.tolist() for k, v in profiles.items()}
out["profile_intervals"] = {k: v.tolist() for k, v in profile_cis.items()}
out["probability_of_improvement"] = float(metrics.probability_of_improvement(scores["qtnet"], scores["expert"]))
(HERE / "rliable.json").write_text(json.dumps(out, indent=1))
print(json.dumps(out["aggregates"], indent=1))
