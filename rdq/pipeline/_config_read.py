"""The readers of a scenario config's sections: each checks its mapping and names file, key path and fix.

:class:`_Reader` carries the source and base folder; ``_data``, ``_model``, ``_strategy``, ... build the
sections of :mod:`rdq.pipeline._sections` (the research config reuses them).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rdq.data._dates import check_within
from rdq.data._validate import check_allow
from rdq.errors import ConfigError, did_you_mean
from rdq.pipeline._sections import (
    CostSection,
    DataSection,
    DateSpan,
    FactorSection,
    MetricsSection,
    ModelSection,
    RollingSection,
    SegmentSection,
    StrategySection,
    SyntheticSpec,
)
from rdq.resources import Kind, builtin_names, resolve

_TOP = ("name", "data", "factors", "label", "model", "segments", "rolling", "strategy", "metrics")
_DATA = ("path", "synthetic", "columns", "universe", "start", "end", "allow")
_SYNTH = ("assets", "days", "seed", "start", "alpha_scale")
_FACTORS = ("library", "extra")
_MODEL = ("path", "class", "kwargs", "infer_processors", "learn_processors", "seed")
_SPEC = ("class", "kwargs")
_SEGMENTS = ("train", "valid", "test")
_ROLLING = ("step", "train_span", "valid_span", "gap")
_STRATEGY = ("topk", "n_drop", "hold_thresh", "risk_degree", "only_tradable", "account", "benchmark", "costs")
_COSTS = ("open_cost", "close_cost", "min_cost", "impact_cost", "trade_unit", "limit_threshold", "deal_price")
_METRICS = ("n", "mode", "quantiles")


class _Reader:
    """Reads one scenario mapping, raising :class:`ConfigError` that names ``source`` and the key path."""

    def __init__(self, source: str, base: Path) -> None:
        self.source = source
        self.base = base

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {where}: {message}")

    def mapping(
        self, value: Any, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise self.fail(
                where or "top level",
                f"expected a mapping with keys {list(allowed)}, got {type(value).__name__}",
            )
        for key in value:
            if str(key) not in allowed:
                path = f"{where}.{key}" if where else str(key)
                raise self.fail(
                    path, f"unknown key{did_you_mean(str(key), allowed)}; allowed keys: {list(allowed)}"
                )
        for key in required:
            if key not in value:
                raise self.fail(where or "top level", f"missing required key '{key}'")
        return {str(k): v for k, v in value.items()}

    def date(self, value: Any, where: str) -> dt.date:
        # YAML reads 2017-01-01 as a date and 2020-13-01 as the string '2020-13-01': both end here
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail(where, f"cannot read {value!r} as a date; write ISO dates like 2017-01-01")

    def span(self, value: Any, where: str) -> DateSpan:
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise self.fail(where, f"expected [start, end], got {value!r}")
        start, end = self.date(value[0], f"{where}[0]"), self.date(value[1], f"{where}[1]")
        if start > end:
            raise self.fail(where, f"start {start} is after end {end}; swap them")
        return start, end

    def integer(self, value: Any, where: str, *, minimum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.fail(where, f"must be >= {minimum}, got {value}")
        return value

    def number(self, value: Any, where: str, *, optional: bool = False) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(where, f"expected a finite number{' or null' if optional else ''}, got {value!r}")
        return float(value)

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected a non-empty string, got {value!r}")
        return value

    def file(self, value: Any, where: str, *, must_exist: bool = True) -> Path:
        """A path relative to the scenario file's folder (never the current directory)."""
        text = self.string(value, where)
        raw = Path(text).expanduser()
        candidate = raw if raw.is_absolute() else self.base / raw
        if candidate.exists():
            return candidate.resolve()
        if not must_exist:
            return candidate
        raise self.fail(
            where,
            f"{text!r} does not exist (looked for {candidate}); fix the path "
            "(a relative path starts from the scenario file's folder)",
        )

    def builtin(self, kind: Kind, value: Any, where: str, *, must_exist: bool = True) -> Path:
        """A path relative to the scenario file's folder if that file exists, else a built-in name's file."""
        text = self.string(value, where)
        try:
            return resolve(kind, text, base=self.base)
        except ConfigError as exc:
            if not must_exist:
                return Path(text).expanduser()
            raise self.fail(where, str(exc)) from None

    def kv(self, value: Any, where: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(where, f"expected a mapping, got {type(value).__name__}")
        return {str(k): v for k, v in value.items()}


def _data(r: _Reader, raw: Any, *, check_paths: bool) -> DataSection:
    d = r.mapping(raw, "data", _DATA)
    if ("path" in d) == ("synthetic" in d):
        raise r.fail(
            "data", "give exactly one of 'path' (your market data) or 'synthetic: {assets, days, seed}'"
        )
    path = synthetic = None
    if "path" in d:
        path = r.file(d["path"], "data.path", must_exist=check_paths)
    else:
        s = r.mapping(d["synthetic"], "data.synthetic", _SYNTH)
        synthetic = SyntheticSpec(
            assets=r.integer(s.get("assets", 300), "data.synthetic.assets", minimum=2),
            days=r.integer(s.get("days", 2000), "data.synthetic.days", minimum=10),
            seed=r.integer(s.get("seed", 0), "data.synthetic.seed"),
            start=r.date(s.get("start", dt.date(2015, 1, 1)), "data.synthetic.start"),
            alpha_scale=float(r.number(s.get("alpha_scale", 1.0), "data.synthetic.alpha_scale") or 0.0),
        )
    columns = {k: str(v) for k, v in r.kv(d.get("columns"), "data.columns").items()}
    universe: str | tuple[str, ...] | None
    uni = d.get("universe")
    if uni is None:
        universe = None
    elif isinstance(uni, list):
        universe = tuple(str(u) for u in uni)
    else:
        universe = r.string(uni, "data.universe")
    start = r.date(d["start"], "data.start") if d.get("start") is not None else None
    end = r.date(d["end"], "data.end") if d.get("end") is not None else None
    if start is not None and end is not None and start > end:
        raise r.fail("data", f"start {start} is after end {end}; swap them")
    allow_raw = d.get("allow") or []
    if isinstance(allow_raw, str):
        allow_raw = [allow_raw]
    if not isinstance(allow_raw, list):
        raise r.fail("data.allow", f"expected a list of kinds, got {allow_raw!r}")
    try:
        allow = check_allow([str(a) for a in allow_raw])
    except ConfigError as exc:
        raise r.fail("data.allow", str(exc).replace("--allow ", "", 1)) from None
    return DataSection(
        path=path,
        synthetic=synthetic,
        columns=columns,
        universe=universe,
        start=start,
        end=end,
        allow=allow,
    )


def _factors(r: _Reader, raw: Any) -> FactorSection:
    if isinstance(raw, str):
        return FactorSection(library=raw)
    f = r.mapping(raw, "factors", _FACTORS)
    library = f.get("library", "alpha158" if "extra" not in f else None)
    if library is not None:
        library = _library(r, r.string(library, "factors.library"))
    extra = {k: r.string(v, f"factors.extra.{k}") for k, v in r.kv(f.get("extra"), "factors.extra").items()}
    if library is None and not extra:
        raise r.fail("factors", "no features: set 'library: alpha158' and/or 'extra: {NAME: expression}'")
    return FactorSection(library=library, extra=extra)


def _library(r: _Reader, text: str) -> str:
    """A library file relative to the scenario's folder (as an absolute path), else a built-in name."""
    beside = r.base / Path(text).expanduser()
    if beside.is_file():
        return str(beside.resolve())
    names = builtin_names("factors")
    stem = text[: -len(".yaml")] if text.endswith(".yaml") else text
    if stem in names:
        return stem
    raise r.fail(
        "factors.library",
        f"{text!r} is neither a file ({beside} does not exist) nor a built-in library"
        f"{did_you_mean(stem, names)}; built-in: {', '.join(names)} (see rdq factors list)",
    )


def _processors(r: _Reader, raw: Any, where: str) -> tuple[tuple[str, dict[str, Any]], ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise r.fail(where, "expected a list of {class: ..., kwargs: ...}")
    out: list[tuple[str, dict[str, Any]]] = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            out.append((item, {}))
            continue
        spec = r.mapping(item, f"{where}[{i}]", _SPEC, ("class",))
        out.append(
            (r.string(spec["class"], f"{where}[{i}].class"), r.kv(spec.get("kwargs"), f"{where}[{i}].kwargs"))
        )
    return tuple(out)


def _model(r: _Reader, raw: Any, *, check_paths: bool) -> ModelSection:
    if raw is None:
        raise r.fail(
            "model",
            "missing: give a model config (a built-in name like lgbm_alpha158, or a path) or {class: LGBMModel}",
        )
    if isinstance(raw, str):
        return ModelSection(path=r.builtin("configs", raw, "model", must_exist=check_paths))
    m = r.mapping(raw, "model", _MODEL)
    if ("path" in m) == ("class" in m):
        raise r.fail("model", "give exactly one of 'path' (a model config file) or 'class' (an inline model)")
    path = (
        r.builtin("configs", m["path"], "model.path", must_exist=check_paths)
        if "path" in m
        else None
    )
    return ModelSection(
        path=path,
        cls=r.string(m["class"], "model.class") if "class" in m else None,
        kwargs=r.kv(m.get("kwargs"), "model.kwargs"),
        infer_processors=_processors(r, m.get("infer_processors"), "model.infer_processors"),
        learn_processors=_processors(r, m.get("learn_processors"), "model.learn_processors"),
        seed=r.integer(m.get("seed", 0), "model.seed"),
    )


def _segments(r: _Reader, raw: Any) -> SegmentSection | None:
    if raw is None:
        return None
    s = r.mapping(raw, "segments", _SEGMENTS, _SEGMENTS)
    seg = SegmentSection(*(r.span(s[k], f"segments.{k}") for k in _SEGMENTS))
    for a, b in (("train", "valid"), ("valid", "test")):
        (_, end_a), (start_b, _) = getattr(seg, a), getattr(seg, b)
        if not end_a < start_b:
            raise r.fail(
                "segments",
                f"{a} ends {end_a} but {b} starts {start_b}: train, valid and test must be in this order "
                f"and must not overlap; start {b} after {end_a}",
            )
    return seg


def check_segments_in_data(
    segments: Any, first: dt.date, last: dt.date, *, source: str | None = None
) -> None:
    """Raise :class:`ConfigError` when a train/valid/test span lies outside the data (before any computation).

    Parameters
    ----------
    segments:
        Anything with ``train``, ``valid``, ``test`` ``(start, end)`` date pairs (a :class:`SegmentSection`
        or a model config's segments); ``None`` checks nothing.
    first, last:
        The data's first and last date.
    source:
        The scenario file, named in the message.

    A span may start or end up to :data:`rdq.data._dates.SLACK_DAYS` calendar days beyond the data (a
    weekend or holiday); further out, or a span without one day of data, is an error naming the data's
    first and last date.
    """
    if segments is None:
        return
    prefix = f"{source}: " if source else ""
    for name in _SEGMENTS:
        start, end = getattr(segments, name)
        check_within(start, end, first, last, what=f"{prefix}segments.{name} [{start}, {end}]")


def _rolling(r: _Reader, raw: Any) -> RollingSection | None:
    if raw is None:
        return None
    m = r.mapping(raw, "rolling", _ROLLING, ("step", "train_span", "valid_span"))
    return RollingSection(
        step=r.integer(m["step"], "rolling.step", minimum=1),
        train_span=r.integer(m["train_span"], "rolling.train_span", minimum=1),
        valid_span=r.integer(m["valid_span"], "rolling.valid_span", minimum=1),
        gap=r.integer(m.get("gap", 0), "rolling.gap", minimum=0),
    )


def _strategy(r: _Reader, raw: Any) -> StrategySection:
    s = r.mapping(raw, "strategy", _STRATEGY)
    c = r.mapping(s.get("costs"), "strategy.costs", _COSTS)
    base = CostSection()
    unit = c.get("trade_unit", base.trade_unit)
    if unit is not None:
        unit = r.integer(unit, "strategy.costs.trade_unit", minimum=0) or None
    deal = c.get("deal_price", base.deal_price)
    if deal not in ("close", "open"):
        raise r.fail(
            "strategy.costs.deal_price",
            f"must be 'close' or 'open'{did_you_mean(str(deal), ['close', 'open'])}, got {deal!r}",
        )
    costs = CostSection(
        open_cost=r.number(c.get("open_cost", base.open_cost), "strategy.costs.open_cost") or 0.0,
        close_cost=r.number(c.get("close_cost", base.close_cost), "strategy.costs.close_cost") or 0.0,
        min_cost=r.number(c.get("min_cost", base.min_cost), "strategy.costs.min_cost") or 0.0,
        impact_cost=r.number(c.get("impact_cost", base.impact_cost), "strategy.costs.impact_cost") or 0.0,
        trade_unit=unit,
        limit_threshold=r.number(
            c.get("limit_threshold", base.limit_threshold), "strategy.costs.limit_threshold", optional=True
        ),
        deal_price=deal,
    )
    bench = s.get("benchmark")
    only = s.get("only_tradable", False)
    if not isinstance(only, bool):
        raise r.fail("strategy.only_tradable", f"expected true or false, got {only!r}")
    topk = r.integer(s.get("topk", 50), "strategy.topk", minimum=1)
    n_drop = r.integer(s.get("n_drop", 5), "strategy.n_drop", minimum=1)
    if n_drop > topk:
        raise r.fail("strategy.n_drop", f"{n_drop} is more than topk {topk}; use n_drop <= topk")
    return StrategySection(
        topk=topk,
        n_drop=n_drop,
        hold_thresh=r.integer(s.get("hold_thresh", 1), "strategy.hold_thresh", minimum=0),
        risk_degree=r.number(s.get("risk_degree", 0.95), "strategy.risk_degree") or 0.0,
        only_tradable=only,
        account=r.number(s.get("account", 1e8), "strategy.account") or 0.0,
        benchmark=None if bench is None else r.string(str(bench), "strategy.benchmark"),
        costs=costs,
    )


def _metrics(r: _Reader, raw: Any) -> MetricsSection:
    m = r.mapping(raw, "metrics", _METRICS)
    mode = m.get("mode", "sum")
    if mode not in ("sum", "product"):
        raise r.fail(
            "metrics.mode",
            f"must be 'sum' or 'product'{did_you_mean(str(mode), ['sum', 'product'])}, got {mode!r}",
        )
    return MetricsSection(
        n=r.integer(m.get("n", 238), "metrics.n", minimum=1),
        mode=mode,
        quantiles=r.integer(m.get("quantiles", 5), "metrics.quantiles", minimum=2),
    )
