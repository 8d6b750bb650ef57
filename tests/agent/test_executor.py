"""Executors: every task gets an outcome, a misbehaving one cannot take the map down (issue 10, faults)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent import _tasks
from rdq.agent._executor import LocalExecutor, RayExecutor, make_executor
from rdq.errors import ConfigError

ITEMS = ["a", "raise", "hang", "b", "eat", "exit", "c", "segv", "unpicklable", "d"]
EXPECTED = {
    "a": "ok",
    "raise": "error",
    "hang": "timeout",
    "b": "ok",
    "eat": "memory",
    "exit": "crashed",
    "c": "ok",
    "segv": "crashed",
    "unpicklable": "error",
    "d": "ok",
}


def test_the_local_pool_returns_values_in_order() -> None:
    with LocalExecutor(2) as ex:
        got = ex.map(_tasks.add, 10, list(range(7)), timeout_s=60, memory_mb=None)
    assert [o.value for o in got] == [10 + i for i in range(7)]
    assert all(o.status == "ok" and o.error is None and o.seconds >= 0 for o in got)


def test_each_failure_mode_is_an_outcome_and_the_rest_goes_on() -> None:
    with LocalExecutor(2) as ex:
        ex.map(_tasks.add, 0, [0, 1], timeout_s=120, memory_mb=None)  # boot both workers (slow on a busy machine)
        # 10 s: a replaced worker's boot counts against its first task
        got = ex.map(_tasks.misbehave, None, ITEMS, timeout_s=10, memory_mb=600)
        # the pool is usable after the crashes: the replaced workers answer
        again = ex.map(_tasks.add, 1, [1, 2, 3], timeout_s=60, memory_mb=None)
    assert {item: o.status for item, o in zip(ITEMS, got, strict=True)} == EXPECTED
    by = dict(zip(ITEMS, got, strict=True))
    assert [by[k].value for k in "abcd"] == ["A", "B", "C", "D"]
    assert by["raise"].error == "ValueError: bad candidate"
    assert "no result within 10 s" in (by["hang"].error or "")
    assert "600 MB" in (by["eat"].error or "")
    assert "exit code 3" in (by["exit"].error or "")
    assert "signal 11" in (by["segv"].error or "")
    assert "cannot be sent back" in (by["unpicklable"].error or "")
    assert [o.value for o in again] == [2, 3, 4]


def test_workers_live_across_maps_and_get_the_shared_value_once_per_map() -> None:
    with LocalExecutor(2) as ex:
        first = {o.value for o in ex.map(_tasks.pid, None, list(range(6)), timeout_s=60, memory_mb=None)}
        second = {o.value for o in ex.map(_tasks.pid, None, list(range(6)), timeout_s=60, memory_mb=None)}
        # a new shared value reaches workers that already hold an older one
        vals = [o.value for o in ex.map(_tasks.add, 100, [0, 1, 2, 3], timeout_s=60, memory_mb=None)]
    assert len(first) == 2 and first == second
    assert vals == [100, 101, 102, 103]


def test_inline_mode_runs_in_process() -> None:
    ex = LocalExecutor(0)
    got = ex.map(_tasks.misbehave, None, ["a", "raise"], timeout_s=1, memory_mb=None)
    assert [o.status for o in got] == ["ok", "error"] and got[0].value == "A"
    assert ex.map(_tasks.add, 0, [], timeout_s=1, memory_mb=None) == []


def test_make_executor_names() -> None:
    assert isinstance(make_executor("local", max_workers=1), LocalExecutor)
    assert isinstance(make_executor("ray", max_workers=2), RayExecutor)
    with pytest.raises(ConfigError, match="choose local or ray"):
        make_executor("dask")


def test_ray_gives_the_same_outcomes_as_the_local_pool() -> None:
    ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'rdq[ray]')")
    items = ["a", "raise", "b", "hang", "c"]
    with LocalExecutor(2) as ex:
        ex.map(_tasks.add, 0, [0, 1], timeout_s=120, memory_mb=None)
        local = ex.map(_tasks.misbehave, None, items, timeout_s=10, memory_mb=None)
    tests_dir = str(Path(__file__).resolve().parents[1])  # Ray workers import agent._tasks from here
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": tests_dir}},
    )
    try:
        rex = RayExecutor(num_cpus=2)
        rex.map(
            _tasks.add, 0, [0, 1], timeout_s=120, memory_mb=None
        )  # start the workers (slow on a busy machine)
        remote = rex.map(_tasks.misbehave, None, items, timeout_s=10, memory_mb=None)
        values = rex.map(_tasks.add, 5, list(range(5)), timeout_s=60, memory_mb=None)
    finally:
        ray.shutdown()
    assert [o.status for o in remote] == [o.status for o in local] == ["ok", "error", "ok", "timeout", "ok"]
    assert [o.value for o in remote] == [o.value for o in local]
    assert [o.value for o in values] == [5, 6, 7, 8, 9]
