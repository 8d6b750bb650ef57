"""rdq.agent._gp: the genetic-programming factor proposer on a small synthetic panel, with the loop's own
screen (rdq.agent._checks.screen_factors: train-span Rank IC) or a fast deterministic stand-in."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rdq.agent._expr_tree import canonical, structural_copy_of, tree_depth, tree_size
from rdq.agent._gp import _PAIR, _WINDOW, GPConfig, GPFactorProposer, random_tree
from rdq.agent._types import Branch, FactorTask, ModelTask, ProposalContext
from rdq.errors import RdqError
from rdq.factors import compute, load_library
from rdq.factors._parser import Call, Field, Node, Num, parse

BASE = load_library("base20")
SMALL = GPConfig(population=24, generations_per_round=1, elite=3, n_tasks=3, seed=0)


@pytest.fixture(scope="module")
def market() -> tuple[pl.DataFrame, pl.DataFrame, tuple]:
    """A 20-asset, 200-day synthetic market, its qlib label and a train span after the warm-up."""
    from rdq.data import synth_market
    from rdq.data._synth import LABEL_EXPR

    panel = synth_market(n_assets=20, n_days=200, seed=0).panel
    label = compute(panel, {"label": LABEL_EXPR})
    dates = panel["date"].unique().sort()
    return panel, label, (dates[60], dates[-3])


class Recorder:
    """A screen that records every batch it is given."""

    def __init__(self, fn: Callable[[list[str]], Sequence[float | None]]) -> None:
        self.fn, self.batches = fn, []

    def __call__(self, exprs: list[str]) -> Sequence[float | None]:
        self.batches.append(list(exprs))
        return self.fn(exprs)

    @property
    def seen(self) -> list[str]:
        return [e for b in self.batches for e in b]


def real_screen(market: tuple) -> Recorder:
    """The loop's screen: mean daily Rank IC on the train span (None: the expression failed)."""
    from rdq.agent._checks import screen_factors

    panel, label, span = market

    def fn(exprs: list[str]) -> list[float | None]:
        out = screen_factors(panel, {f"e{i}": e for i, e in enumerate(exprs)}, label=label, dates=span)
        return [None if out.get(f"e{i}") is None else out[f"e{i}"]["rank_ic"] for i in range(len(exprs))]

    return Recorder(fn)


def fake_screen() -> Recorder:
    """A deterministic stand-in: a pseudo Rank IC in [-0.1, 0.1] from the text's hash."""

    def fn(exprs: list[str]) -> list[float | None]:
        return [int(hashlib.sha256(e.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF * 0.2 - 0.1 for e in exprs]

    return Recorder(fn)


def ctx(
    round_: int, accepted: dict[str, str] | None = None, base: dict[str, str] | None = None
) -> ProposalContext:
    return ProposalContext(
        branch=Branch.FACTOR,
        round=round_,
        scenario={},
        history=(),
        base_factors=dict(BASE if base is None else base),
        sota_factors=dict(accepted or {}),
        sota_model=ModelTask("m", "", "LGBMModel"),
        sota_metrics={},
    )


def run_rounds(gp: GPFactorProposer, n: int, *, accept: bool = False) -> list[list[str]]:
    """``n`` rounds; with ``accept`` every proposal is accepted (becomes a SOTA factor) before the next."""
    accepted: dict[str, str] = {}
    out = []
    for r in range(1, n + 1):
        hyp = gp.propose(ctx(r, accepted))
        assert hyp.branch is Branch.FACTOR and 1 <= len(hyp.tasks) <= 5
        picks = []
        for t in hyp.tasks:
            assert isinstance(t, FactorTask) and t.expression is not None
            picks.append(t.expression)
        out.append(picks)
        if accept:
            accepted.update({t.name: t.expression or "" for t in hyp.tasks})
    return out


def _fixed_literals_are_numbers(node: Node) -> bool:
    """Every window (and Quantile's parameters) is a number literal, as the engine requires."""
    if not isinstance(node, Call):
        return True
    for i, a in enumerate(node.args):
        window = (node.op in _WINDOW and i == 1) or (node.op in _PAIR and i == 2)
        if (window or node.op == "Quantile" and i >= 1) and not isinstance(a, Num):
            return False
        if window and not (isinstance(a, Num) and a.is_int):
            return False
    return all(_fixed_literals_are_numbers(a) for a in node.args)


def _within(expr: str, cfg: GPConfig) -> bool:
    node = parse(expr)
    fields = {n.name for n in _walk(node) if isinstance(n, Field)}
    return (
        isinstance(node, Call)
        and tree_depth(node) <= cfg.max_depth
        and tree_size(node) <= cfg.max_size
        and fields <= set(cfg.fields)
    )


def _walk(node: Node):
    yield node
    if isinstance(node, Call):
        for a in node.args:
            yield from _walk(a)


# ------------------------------------------------------------------ on the real screen
def test_every_generated_expression_compiles_or_has_a_reason(market: tuple) -> None:
    panel = market[0]
    screen = real_screen(market)
    gp = GPFactorProposer(SMALL, screen=screen)
    proposals = run_rounds(gp, 2)
    generated = sorted(set(screen.seen) | {e for p in proposals for e in p})
    assert len(generated) > 30
    failures: dict[str, str] = {}
    for e in generated:
        try:
            out = compute(panel, {"x": e})
        except RdqError as exc:  # a rejection names its reason; any other exception is a crash
            failures[e] = str(exc)
            assert str(exc).strip()
            continue
        assert out.height == panel.height
    # the generator stays inside the grammar: windows are number literals, so the engine rejects none
    assert failures == {}
    # a score is missing only where the expression has no finite rank IC on the span (e.g. all NaN)
    for v in gp.scores.values():
        assert v is None or math.isfinite(v)
    assert sum(v is not None for v in gp.scores.values()) >= 0.8 * len(gp.scores)


def test_proposals_are_new_scored_expressions(market: tuple) -> None:
    gp = GPFactorProposer(SMALL, screen=real_screen(market))
    hyp = gp.propose(ctx(1))
    assert [t.name for t in hyp.tasks] == ["gp_r1_0", "gp_r1_1", "gp_r1_2"]
    known = {canonical(e) for e in BASE.values()}
    fit = [gp.fitness(t.expression or "", BASE) for t in hyp.tasks]
    assert fit == sorted(fit, reverse=True) and all(math.isfinite(f) for f in fit)
    for t in hyp.tasks:
        e = t.expression or ""
        assert e == canonical(e) and e not in known
        assert gp.scores[e] is not None
        assert set(t.variables) == {
            f"${f}" for f in {n.name for n in _walk(parse(e)) if isinstance(n, Field)}
        }


# ------------------------------------------------------------------ seeded, cached, limits
def test_same_seed_same_proposals() -> None:
    a = run_rounds(GPFactorProposer(SMALL, screen=fake_screen()), 3, accept=True)
    b = run_rounds(GPFactorProposer(SMALL, screen=fake_screen()), 3, accept=True)
    c = run_rounds(GPFactorProposer(replace(SMALL, seed=1), screen=fake_screen()), 3, accept=True)
    assert a == b
    assert a != c


def test_no_expression_is_screened_twice() -> None:
    screen = fake_screen()
    gp = GPFactorProposer(replace(SMALL, generations_per_round=2), screen=screen)
    run_rounds(gp, 3, accept=True)
    seen = screen.seen
    assert len(seen) > 50
    assert len(seen) == len(set(seen))
    # every screened text is canonical, so two spellings of one expression cannot both be screened
    assert all(canonical(e) == e for e in seen)
    assert len({canonical(e) for e in seen}) == len(seen)
    assert set(gp.scores) == set(seen)


def test_scores_survive_a_state_round_trip() -> None:
    """Resume: the state carries the cache and the random stream, so a resumed proposer proposes what the
    original would have and screens nothing again."""
    s1, s2 = fake_screen(), fake_screen()
    a = GPFactorProposer(SMALL, screen=s1)
    run_rounds(a, 2)
    state = json.loads(json.dumps(a.state_dict()))
    b = GPFactorProposer(SMALL, screen=s2)
    b.load_state(state)
    n1 = len(s1.seen)
    ha, hb = a.propose(ctx(3)), b.propose(ctx(3))
    assert [t.expression for t in ha.tasks] == [t.expression for t in hb.tasks]
    assert s2.seen == s1.seen[n1:]
    assert not set(s2.seen) & set(s1.seen[:n1])


@pytest.mark.parametrize(("max_depth", "max_size"), [(2, 7), (3, 9), (4, 15)])
def test_depth_and_size_limits(max_depth: int, max_size: int) -> None:
    cfg = replace(SMALL, max_depth=max_depth, max_size=max_size, fields=("close", "volume"))
    gp = GPFactorProposer(cfg, screen=fake_screen())
    proposals = run_rounds(gp, 3, accept=True)
    for e in [*gp.population, *(x for p in proposals for x in p), *gp.scores]:
        assert _within(e, cfg), e


def test_fallback_proposal_respects_the_limits() -> None:
    """When nothing scores (every screen fails) the proposer still proposes, within the limits."""
    cfg = replace(SMALL, max_depth=1, max_size=3, fields=("close",), windows=(7,))
    gp = GPFactorProposer(cfg, screen=Recorder(lambda exprs: [None] * len(exprs)))
    for r in range(1, 4):
        hyp = gp.propose(ctx(r))
        assert len(hyp.tasks) >= 1
        for t in hyp.tasks:
            assert _within(t.expression or "", cfg), t.expression
            assert _fixed_literals_are_numbers(parse(t.expression or ""))


def test_a_failing_screen_never_crashes_the_proposer() -> None:
    def boom(exprs: list[str]) -> list[float | None]:
        raise RuntimeError("worker died")

    gp = GPFactorProposer(SMALL, screen=boom)
    hyp = gp.propose(ctx(1))
    assert len(hyp.tasks) >= 1
    assert gp.scores and all(v is None for v in gp.scores.values())
    assert all(gp.fitness(e, BASE) == -math.inf for e in gp.scores)


# ------------------------------------------------------------------ what the search avoids
def test_proposals_avoid_accepted_and_earlier_expressions() -> None:
    gp = GPFactorProposer(SMALL, screen=fake_screen())
    accepted: dict[str, str] = {}
    earlier: list[str] = []
    for r in range(1, 5):
        hyp = gp.propose(ctx(r, accepted))
        refs = {**BASE, **accepted}
        known = {canonical(e) for e in refs.values()}
        for t in hyp.tasks:
            e = t.expression or ""
            assert canonical(e) not in known
            assert e not in earlier
            assert structural_copy_of(e, refs, min_share=0.9) is None
        earlier += [t.expression or "" for t in hyp.tasks]
        # accept them in another spelling: infix text with the arguments as the user wrote them
        accepted.update({f"acc{r}_{i}": str(parse(t.expression or "")) for i, t in enumerate(hyp.tasks)})


def test_an_accepted_expression_is_not_proposed_again_in_another_spelling() -> None:
    """Pre-accept the fittest expression of a run under a commutatively permuted spelling: the same run
    with it accepted must not propose it."""
    first = GPFactorProposer(SMALL, screen=fake_screen()).propose(ctx(1)).tasks[0].expression or ""
    node = parse(first)

    def flip(n: Node) -> str:
        if isinstance(n, Call):
            args = [flip(a) for a in n.args]
            if n.op in ("Add", "Mul", "Greater", "Less"):
                args = args[::-1]
            return f"{n.op}({', '.join(args)})"
        return str(n)

    spelled = flip(node)
    assert canonical(spelled) == first
    again = GPFactorProposer(SMALL, screen=fake_screen()).propose(ctx(1, {"ACC": spelled}))
    assert first not in [t.expression for t in again.tasks]


def test_fitness_by_hand() -> None:
    cfg = replace(SMALL, complexity_penalty=0.01, corr_penalty=0.5)
    gp = GPFactorProposer(cfg, screen=fake_screen())
    e = canonical("Mean($close, 10)/$close * 2")  # 7 nodes
    gp.scores[e] = -0.08
    assert gp.fitness(e, {}) == pytest.approx(0.08 - 0.01 * 7)
    # shares MA10's 5-node tree: overlap 5 / 7
    assert gp.fitness(e, {"MA10": "Mean($close, 10)/$close"}) == pytest.approx(0.08 - 0.07 - 0.5 * 5 / 7)
    gp.scores["Log($close)"] = None
    assert gp.fitness("Log($close)", {}) == -math.inf
    assert gp.fitness("Abs($close)", {}) == -math.inf  # never scored


# ------------------------------------------------------------------ properties of the operators
@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    max_depth=st.integers(2, 5),
    max_size=st.integers(5, 20),
    steps=st.lists(st.booleans(), min_size=1, max_size=30),
)
def test_mutation_and_crossover_stay_in_the_grammar(
    seed: int, max_depth: int, max_size: int, steps: list[bool]
) -> None:
    """Any sequence of mutations (False) and crossovers (True) gives text that parses back to itself, with every
    window a number literal; what the population keeps is within the limits."""
    cfg = replace(SMALL, seed=seed, max_depth=max_depth, max_size=max_size, population=12)
    gp = GPFactorProposer(cfg, screen=fake_screen())
    pop = gp._seed()
    assert len(pop) == cfg.population and all(_within(e, cfg) for e in pop)
    node = parse(pop[0])
    for i, cross in enumerate(steps):
        node = gp._crossover(node, parse(pop[i % len(pop)])) if cross else gp._mutate(node)
        text = str(node)
        assert canonical(text) == canonical(str(parse(text)))
        assert _fixed_literals_are_numbers(parse(text)), text
        if not gp._ok(node):  # the search would drop it; continue from a kept tree
            node = parse(pop[(i + 1) % len(pop)])
    gp.population = pop
    gp._evolve(dict(BASE))
    assert gp.population and all(_within(e, cfg) and canonical(e) == e for e in gp.population)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 10_000), depth=st.integers(0, 5))
def test_random_tree_depth(seed: int, depth: int) -> None:
    import numpy as np

    node = random_tree(np.random.default_rng(seed), SMALL, depth)
    assert tree_depth(node) <= depth
    assert _fixed_literals_are_numbers(node)
    assert str(parse(str(node))) == str(node)


def test_novelty_copies_are_skipped_and_remembered() -> None:
    """A proposal the novelty check finds too correlated with the SOTA factors is never proposed, in this round
    or later, and the set of such copies survives a state round trip."""
    flagged: list[str] = []

    def novelty(exprs: list[str]) -> list[float | None]:
        out: list[float | None] = []
        for i, e in enumerate(exprs):
            copy = i % 2 == 0  # every other candidate of the pool is a copy
            out.append(0.95 if copy else 0.1)
            if copy:
                flagged.append(e)
        return out

    gp = GPFactorProposer(SMALL, screen=fake_screen(), novelty=novelty)
    proposals = run_rounds(gp, 3)
    picked = {e for p in proposals for e in p}
    assert flagged and not picked & set(flagged)
    assert gp.copies == set(flagged)
    assert all(gp.fitness(e, BASE) == -math.inf for e in flagged)
    b = GPFactorProposer(SMALL, screen=fake_screen())
    b.load_state(json.loads(json.dumps(gp.state_dict())))
    assert b.copies == gp.copies


def test_a_failing_novelty_check_leaves_the_decision_to_the_loop() -> None:
    def boom(exprs: list[str]) -> list[float | None]:
        raise RuntimeError("worker died")

    with_boom = run_rounds(GPFactorProposer(SMALL, screen=fake_screen(), novelty=boom), 2)
    without = run_rounds(GPFactorProposer(SMALL, screen=fake_screen()), 2)
    assert with_boom == without


def test_the_whole_seed_pool_is_screened_before_the_first_generation() -> None:
    """screen_seed_pool: every seed (library expression and block ratio) is screened once in round 1, so the
    fittest seed is proposed even when a random quarter of the pool would have left it out; without the option
    only the population is screened first."""
    star = "Div(Mean($volume,5),Mean($volume,20))"

    def fn(exprs: list[str]) -> list[float | None]:
        return [0.5 if e == star else 0.001 for e in exprs]

    for screen_pool in (True, False):
        rec = Recorder(fn)
        gp = GPFactorProposer(replace(SMALL, screen_seed_pool=screen_pool, seed=1), screen=rec)
        lib, blocks = GPFactorProposer(replace(SMALL, seed=1), screen=fake_screen())._seed_pool()
        assert star in blocks
        hyp = gp.propose(ctx(1))
        first = rec.batches[0]
        if screen_pool:
            assert set(lib + blocks) <= set(first), "the first screen holds the whole pool"
            assert hyp.tasks[0].expression == star
        else:
            assert len(first) <= SMALL.population
