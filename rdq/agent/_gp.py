"""The factor branch of the built-in proposer: genetic programming over rdq's expression grammar.

A population of expression trees (seeded with Alpha158's small expressions and random trees) evolves for
``generations_per_round`` generations per round: elitism, tournament selection, subtree crossover and four
mutations (subtree, operator, window, constant), within ``max_depth`` / ``max_size``. Fitness is
``|train-span mean daily Rank IC| - complexity_penalty * size - corr_penalty * overlap`` where overlap is the
largest subtree shared with a base or accepted factor as a share of the tree's size. Every expression is
scored once (cache by canonical text, kept across rounds); one the engine rejects scores ``-inf``.
The round proposes the fittest ``n_tasks`` expressions never proposed before.

Orientation: an expression with a negative Rank IC is proposed as is (the model uses its sign); its |IC| counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rdq.agent._expr_tree import canonical, node_text, structural_copy_of, tree_depth, tree_size
from rdq.agent._types import Branch, FactorTask, Hypothesis, ProposalContext
from rdq.factors._parser import Call, Field, Node, Num, parse

__all__ = ["GPConfig", "GPFactorProposer", "random_tree"]

_UNARY = ("Abs", "Log", "Neg", "Sign", "CSRank", "CSZScore")
_BINARY = ("Add", "Sub", "Mul", "Div", "Greater", "Less")
_WINDOW = (
    "Mean",
    "Std",
    "Sum",
    "Max",
    "Min",
    "Delta",
    "Slope",
    "Rsquare",
    "Resi",
    "WMA",
    "Rank",
    "Skew",
    "Med",
    "Ref",
    "EMA",
    "IdxMax",
    "IdxMin",
)
_PAIR = ("Corr", "Cov")


@dataclass(frozen=True)
class GPConfig:
    """Settings of the search (defaults sized for 2 cores and a 300 x 2000 panel)."""

    population: int = 100
    generations_per_round: int = 2
    tournament: int = 4
    elite: int = 5
    p_crossover: float = 0.5
    max_depth: int = 4
    max_size: int = 15
    windows: tuple[int, ...] = (5, 10, 20, 30, 60)
    fields: tuple[str, ...] = ("open", "high", "low", "close", "volume")
    complexity_penalty: float = 0.0005
    corr_penalty: float = 0.02
    n_tasks: int = 3
    seed: int = 0
    seed_library: str = "alpha158"
    screen_days: int = 750
    #: screen the whole seed pool once before the first generation (else a random quarter of it is seeded)
    screen_seed_pool: bool = True
    #: a proposal whose values correlate at or above this with a base or accepted factor is skipped
    max_corr: float = 0.7


def _field(rng: np.random.Generator, fields: Sequence[str]) -> Node:
    return Field(0, str(fields[int(rng.integers(len(fields)))]))


def _win(rng: np.random.Generator, windows: Sequence[int]) -> Num:
    return Num(0, float(windows[int(rng.integers(len(windows)))]), True)


def random_tree(rng: np.random.Generator, cfg: GPConfig, depth: int) -> Node:
    """A random valid expression of operator depth <= ``depth``."""
    if depth <= 0 or rng.random() < 0.2:
        return _field(rng, cfg.fields)
    kind = rng.random()
    if kind < 0.2:
        return Call(0, str(rng.choice(_UNARY)), (random_tree(rng, cfg, depth - 1),))
    if kind < 0.45:
        left = random_tree(rng, cfg, depth - 1)
        right = (
            random_tree(rng, cfg, depth - 1)
            if rng.random() < 0.8
            else Num(0, float(rng.choice([1, 2, 0.5])), False)
        )
        return Call(0, str(rng.choice(_BINARY)), (left, right))
    if kind < 0.9:
        return Call(0, str(rng.choice(_WINDOW)), (random_tree(rng, cfg, depth - 1), _win(rng, cfg.windows)))
    return Call(
        0,
        str(rng.choice(_PAIR)),
        (random_tree(rng, cfg, depth - 1), random_tree(rng, cfg, depth - 1), _win(rng, cfg.windows)),
    )


def _paths(node: Node, path: tuple[int, ...] = ()) -> list[tuple[tuple[int, ...], Node]]:
    out = [(path, node)]
    if isinstance(node, Call):
        for i, a in enumerate(node.args):
            out += _paths(a, (*path, i))
    return out


def _replace(node: Node, path: tuple[int, ...], new: Node) -> Node:
    if not path:
        return new
    assert isinstance(node, Call)
    args = list(node.args)
    args[path[0]] = _replace(args[path[0]], path[1:], new)
    return Call(0, node.op, tuple(args))


def _is_window_arg(parent: Node, i: int) -> bool:
    return isinstance(parent, Call) and (parent.op in _WINDOW and i == 1 or parent.op in _PAIR and i == 2)


#: operators whose number arguments are values (a constant may be mutated or replaced by a subtree)
_ARITHMETIC = frozenset({*_BINARY, "Gt", "Ge", "Lt", "Le", "Eq", "Ne", "And", "Or", "Power"})


def _is_fixed_literal(parent: Node, i: int) -> bool:
    """Argument ``i`` of ``parent`` is a number the engine needs as a literal (a window, Quantile's q)."""
    return isinstance(parent, Call) and isinstance(parent.args[i], Num) and parent.op not in _ARITHMETIC


class GPFactorProposer:
    """Genetic programming proposer (module docstring); ``screen(exprs) -> [rank IC | None]`` scores expressions."""

    def __init__(
        self,
        config: GPConfig,
        *,
        screen: Callable[[list[str]], Sequence[float | None]],
        novelty: Callable[[list[str]], Sequence[float | None]] | None = None,
    ) -> None:
        self.config = config
        self.screen = screen
        #: ``novelty(exprs) -> [max |rank corr| with the base and accepted factors | None]``: proposals at or
        #: above ``config.max_corr`` are skipped (and never proposed again), ``None`` means the check failed
        self.novelty = novelty
        self.copies: set[str] = set()
        self.rng = np.random.default_rng(config.seed)
        self.scores: dict[str, float | None] = {}
        self.proposed: list[str] = []
        self.population: list[str] = []

    # ---------------------------------------------------------------- population
    def _ok(self, node: Node) -> bool:
        c = self.config
        fields = {n.name for _, n in _paths(node) if isinstance(n, Field)}
        return (
            isinstance(node, Call)
            and tree_depth(node) <= c.max_depth
            and tree_size(node) <= c.max_size
            and fields <= set(c.fields)
        )

    def _seed_pool(self) -> tuple[list[str], list[str]]:
        """The seed library's expressions within the limits, and the block ratios built from it (both shuffled)."""
        from rdq.factors import load_library

        out: list[str] = []
        try:
            lib = load_library(self.config.seed_library)
        except Exception:  # noqa: BLE001 - no seed library: random trees only
            lib = {}
        for expr in lib.values():
            try:
                node = parse(expr)
            except Exception:  # noqa: BLE001
                continue
            if self._ok(node):
                out.append(node_text(node))
        self.rng.shuffle(out)
        blocks = [b for b in self._block_ratios(lib.values()) if b not in out]
        self.rng.shuffle(blocks)
        return out, blocks

    def _fill(self, out: list[str]) -> list[str]:
        """``out`` topped up with random trees to the population size."""
        while len(out) < self.config.population:
            node = random_tree(self.rng, self.config, int(self.rng.integers(1, self.config.max_depth + 1)))
            if self._ok(node):
                out.append(node_text(node))
        return out

    def _seed(self) -> list[str]:
        """A first population without screening: a quarter library expressions, a quarter block ratios, the
        rest random trees."""
        lib, blocks = self._seed_pool()
        q = self.config.population // 4
        return self._fill(lib[:q] + blocks[:q])

    def _initial_population(self, references: dict[str, str]) -> list[str]:
        """With ``screen_seed_pool``: every seed (library expression and block ratio) is screened once, and the
        population starts from the fittest three quarters of them plus random trees, so a strong seed is never
        dropped by the luck of a sample (a few hundred screens, once per run); else :meth:`_seed`."""
        c = self.config
        if not c.screen_seed_pool:
            return self._seed()
        lib, blocks = self._seed_pool()
        pool = lib + blocks
        self._score(pool)
        ranked = sorted(pool, key=lambda e: -self.fitness(e, references))
        keep = [e for e in ranked if self.fitness(e, references) > -math.inf][: c.population * 3 // 4]
        return self._fill(keep)

    def _block_ratios(self, exprs: Any) -> list[str]:
        """Ratios of two of the library's building blocks on one field: the window operators applied to a field
        (``Mean($volume, 5)``, ``Std($close, 20)`` ...) divided by the same operator at another window
        (``Mean($volume,5)/Mean($volume,20)``: the moving-average crossover family)."""
        found: dict[tuple[str, str], set[int]] = {}
        for expr in exprs:
            try:
                node = parse(expr)
            except Exception:  # noqa: BLE001
                continue
            for _, n in _paths(node):
                if (
                    isinstance(n, Call) and n.op in _WINDOW and n.op != "Ref" and len(n.args) == 2
                    and isinstance(n.args[0], Field) and isinstance(n.args[1], Num) and n.args[0].name in self.config.fields
                ):  # fmt: skip
                    found.setdefault((n.op, n.args[0].name), set()).add(int(n.args[1].value))
        out = []
        for (op, field), wins in sorted(found.items()):
            ws = sorted(wins)
            for i, a in enumerate(ws):
                for b in ws[i + 1 :]:
                    node = Call(0, "Div", (Call(0, op, (Field(0, field), Num(0, float(a), True))),
                                           Call(0, op, (Field(0, field), Num(0, float(b), True)))))  # fmt: skip
                    if self._ok(node):
                        out.append(node_text(node))
        return out

    def _mutate(self, node: Node) -> Node:
        c, rng = self.config, self.rng
        paths = _paths(node)
        # a window or an operator's parameter (Quantile's q) stays a number literal: the engine needs one
        free = [(p, n) for p, n in paths if not (p and _is_fixed_literal(_at(node, p[:-1]), p[-1]))]
        path, target = free[int(rng.integers(len(free)))]
        r = rng.random()
        if r < 0.4:  # subtree
            return _replace(node, path, random_tree(rng, c, int(rng.integers(0, 3))))
        if r < 0.6 and isinstance(target, Call):  # operator of the same kind
            for family in (_UNARY, _BINARY, _WINDOW, _PAIR):
                if target.op in family:
                    return _replace(node, path, Call(0, str(rng.choice(family)), target.args))
        wins = [
            (p, n) for p, n in paths if p and isinstance(n, Num) and _is_window_arg(_at(node, p[:-1]), p[-1])
        ]
        if r < 0.85 and wins:  # window
            p, _ = wins[int(rng.integers(len(wins)))]
            return _replace(node, p, _win(rng, c.windows))
        consts = [(p, n) for p, n in free if isinstance(n, Num)]
        if consts:  # constant
            p, n = consts[int(rng.integers(len(consts)))]
            assert isinstance(n, Num)
            return _replace(node, p, Num(0, round(n.value * float(rng.uniform(0.5, 1.5)), 4), False))
        return _replace(node, path, random_tree(rng, c, 1))

    def _crossover(self, a: Node, b: Node) -> Node:
        pa = [p for p, n in _paths(a) if not isinstance(n, Num)]
        pb = [n for _, n in _paths(b) if not isinstance(n, Num)]
        return _replace(a, pa[int(self.rng.integers(len(pa)))], pb[int(self.rng.integers(len(pb)))])

    # ---------------------------------------------------------------- fitness
    def _score(self, exprs: list[str]) -> None:
        todo = [e for e in dict.fromkeys(exprs) if e not in self.scores]
        if not todo:
            return
        try:
            got = list(self.screen(todo))
        except Exception:  # noqa: BLE001 - a failing screen rejects the batch, never the loop
            got = [None] * len(todo)
        for e, v in zip(todo, got, strict=True):
            self.scores[e] = None if v is None or not math.isfinite(v) else float(v)

    def fitness(self, expr: str, references: dict[str, str]) -> float:
        """|Rank IC| minus the complexity and overlap penalties (``-inf`` when rejected)."""
        v = self.scores.get(expr)
        if v is None or expr in self.copies:
            return -math.inf
        c = self.config
        size = tree_size(expr)
        overlap = 0.0
        if references:
            from rdq.agent._expr_tree import largest_common_subtree

            overlap = max(largest_common_subtree(expr, r) for r in references.values()) / size
        return abs(v) - c.complexity_penalty * size - c.corr_penalty * overlap

    def _evolve(self, references: dict[str, str]) -> None:
        c = self.config
        self._score(self.population)
        ranked = sorted(self.population, key=lambda e: -self.fitness(e, references))
        nxt = list(dict.fromkeys(ranked[: c.elite]))
        tries = 0
        while len(nxt) < c.population and tries < c.population * 20:
            tries += 1
            parent = self._tournament(ranked, references)
            if self.rng.random() < c.p_crossover:
                child = self._crossover(parse(parent), parse(self._tournament(ranked, references)))
            else:
                child = self._mutate(parse(parent))
            if self._ok(child):
                text = node_text(child)
                if text not in nxt:
                    nxt.append(text)
        self.population = nxt

    def _tournament(self, ranked: list[str], references: dict[str, str]) -> str:
        idx = self.rng.integers(0, len(ranked), size=self.config.tournament)
        return min((ranked[int(i)] for i in idx), key=lambda e: ranked.index(e))

    # ---------------------------------------------------------------- the Proposer interface
    def propose(self, context: ProposalContext) -> Hypothesis:
        """Evolve and return the best new expressions as 1..n_tasks factor tasks."""
        refs = {**context.base_factors, **context.sota_factors}
        if not self.population:
            self.population = self._initial_population(refs)
        for _ in range(self.config.generations_per_round):
            self._evolve(refs)
        self._score(self.population)
        ranked = sorted(self.scores, key=lambda e: -self.fitness(e, refs))
        known = {canonical(e) for e in refs.values() if _parses(e)}
        n_tasks = max(1, min(5, self.config.n_tasks))
        picks: list[str] = []
        pool: list[str] = []
        for e in ranked:
            if len(pool) >= 4 * n_tasks or self.fitness(e, refs) == -math.inf:
                break
            if e in self.proposed or e in known or structural_copy_of(e, refs, min_share=0.9):
                continue
            pool.append(e)
        if self.novelty is not None and pool:
            try:
                corr = list(self.novelty(pool))
            except Exception:  # noqa: BLE001 - a failing check leaves the decision to the loop's checks
                corr = [None] * len(pool)
            for e, r in zip(pool, corr, strict=True):
                if r is not None and r >= self.config.max_corr:
                    self.copies.add(e)
                elif len(picks) < n_tasks:
                    picks.append(e)
        else:
            picks = pool[:n_tasks]
        if not picks:  # nothing new scored: propose a fresh random tree (it is still checked by the loop)
            picks = [self._fresh_tree(known)]
        self.proposed += picks
        tasks = tuple(
            FactorTask(
                name=f"gp_r{context.round}_{i}",
                description=f"GP expression, train rank IC {self.scores.get(e) or float('nan'):+.4f}",
                formulation=e,
                variables={
                    f"${f}": f for f in sorted({n.name for _, n in _paths(parse(e)) if isinstance(n, Field)})
                },
                expression=e,
            )
            for i, e in enumerate(picks)
        )
        best = self.scores.get(picks[0])
        return Hypothesis(
            Branch.FACTOR,
            statement=f"{len(picks)} evolved expressions add information beyond the current factor set",
            rationale=f"the fittest new expressions of {len(self.scores)} scored (best train rank IC "
            f"{best if best is not None else float('nan'):+.4f})",
            tasks=tasks,
        )

    def _fresh_tree(self, known: set[str]) -> str:
        """A random tree within the limits, neither proposed before nor known (a few tries)."""
        c = self.config
        for _ in range(100):
            node = random_tree(self.rng, c, min(2, c.max_depth))
            text = node_text(node)
            if self._ok(node) and text not in self.proposed and text not in known:
                return text
        return node_text(Call(0, "Mean", (_field(self.rng, c.fields), _win(self.rng, c.windows))))

    # ---------------------------------------------------------------- resume
    def state_dict(self) -> dict[str, Any]:
        return {
            "population": self.population,
            "scores": self.scores,
            "proposed": self.proposed,
            "copies": sorted(self.copies),
            "rng": dict(self.rng.bit_generator.state),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.population = list(state["population"])
        self.scores = {k: (None if v is None else float(v)) for k, v in state["scores"].items()}
        self.proposed = list(state["proposed"])
        self.copies = set(state.get("copies", []))
        self.rng.bit_generator.state = state["rng"]


def _at(node: Node, path: tuple[int, ...]) -> Node:
    for i in path:
        assert isinstance(node, Call)
        node = node.args[i]
    return node


def _parses(e: str) -> bool:
    try:
        parse(e)
    except Exception:  # noqa: BLE001
        return False
    return True
