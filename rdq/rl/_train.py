"""Training QTNet, read top to bottom (CleanRL style): config, seeding, networks, demonstrations, the loop.

Each iteration of the loop

1. **collects** ``episodes_per_iteration`` whole episodes with the actor plus Gaussian noise (annealed from
   ``noise_start`` to ``noise_end``) into the replay buffer;
2. **learns** ``updates_per_iteration`` times from ``batch_size`` replay sequences and ``demo_batch_size``
   demonstration sequences (each with a burn-in, see :mod:`rdq.rl._replay`):

   - critic: ``Q(h_t, a_t) -> r_t + gamma (1 - done_t) Q'(h'_{t+1}, mu'(h'_{t+1}))`` with target networks
     ``mu'``, ``Q'``; mean squared error over the real steps;
   - actor: ``-Q(h_t, mu(h_t)) / mean|Q|`` (divided by the batch's mean ``|Q|`` as in TD3+BC, so that the
     imitation weight does not depend on the reward's scale) ``+ w_bc * L_bc`` on the demonstrations, where
     ``L_bc`` is the Q-filtered behaviour cloning of :func:`rdq.rl._qtnet.q_filter_bc_loss` and ``w_bc`` is
     annealed linearly from ``bc_weight_start`` to ``bc_weight_end`` over the first ``bc_anneal_fraction`` of
     the updates;
   - targets: Polyak averaging with rate ``tau``;
3. **records** a row of the learning curves (and every ``eval_every`` iterations a greedy evaluation), logs a
   progress line on ``rdq.rl.train``, and writes a checkpoint every ``checkpoint_every`` iterations.

Everything random draws from ``seed`` (numpy's generator and torch's), so a run on CPU is reproducible:
the same seed gives the same weights and the same curves.

**Resuming.** With ``out`` and ``checkpoint_every``, each periodic checkpoint also writes ``out/resume.pt``:
the four networks, both optimisers, numpy's generator state and torch's, the replay buffer, the curves so far
and the step/update counters (the demonstrations are rebuilt from the seed, drawing the same numbers).
``train_qtnet(..., resume=True)`` continues from it after the iteration it was written at, so a run killed
and resumed ends with the same weights and curves as an uninterrupted one; without a ``resume.pt`` (no
periodic checkpoint yet, or ``checkpoint_every: 0``) the fold starts from scratch. ``resume.pt`` is removed
once the fold's final ``checkpoint.pt`` is written.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rdq.errors import ConfigError, did_you_mean
from rdq.rl._experts import make_expert
from rdq.rl._market import FEATURES, Market
from rdq.rl._metrics import annualised_sharpe
from rdq.rl._qtnet import QTNetPolicy, RecurrentActor, RecurrentCritic, q_filter_bc_loss, soft_update
from rdq.rl._qtnet_io import RESUME_FILE, load_resume_state, save_checkpoint, save_resume_state, write_curves
from rdq.rl._replay import EpisodeReplay, SequenceBatch, load_replay_state, replay_state
from rdq.rl._rollout import ExpertPolicy, rollout

__all__ = ["CURVE_COLUMNS", "QTNetConfig", "TrainedQTNet", "train_qtnet"]

log = logging.getLogger(__name__)

#: columns of ``curves.csv``, one row per iteration (``eval_*`` are NaN between evaluations)
CURVE_COLUMNS: tuple[str, ...] = (
    "iteration", "env_steps", "updates", "noise", "bc_weight", "episode_reward", "episode_return", "sharpe",
    "critic_loss", "actor_q", "bc_loss", "q_filter_kept", "eval_reward", "eval_return", "eval_sharpe",
)


@dataclass(frozen=True)
class QTNetConfig:
    """QTNet's settings (the ``qtnet:`` section of an ``rdq rl`` config).

    Parameters
    ----------
    encoder_hidden, hidden:
        Width of the window encoder's GRU and of the recurrent actor's and critic's GRU and heads.
    iterations, episodes_per_iteration:
        Collection rounds, and whole episodes played (with noise) in each.
    replay_capacity:
        Episodes kept in the replay buffer.
    updates_per_iteration, batch_size, demo_batch_size:
        Gradient steps per round; replay and demonstration sequences per step.
    seq_len, burn_in:
        Trained steps per sequence, and steps before it run only to warm the GRU's state.
    gamma, tau:
        Discount factor and target-network rate.
    actor_lr, critic_lr, max_grad_norm:
        Adam step sizes and gradient-norm clipping.
    noise_start, noise_end:
        Exploration noise (standard deviation on the actor's output), annealed linearly over the iterations.
    discretize:
        Trade ``{short, flat, long}`` (the actor's output thresholded at +-1/3) instead of fractional positions.
    demonstrators:
        Experts whose episodes fill the demonstration buffer (names of :data:`rdq.rl.EXPERTS`, or
        ``"prophet"``, which reads future prices and needs ``allow_lookahead: true``). Empty: no imitation.
    allow_lookahead:
        Permit the prophet as a demonstrator (never as a strategy).
    demo_noise:
        Share of the demonstration steps at which a random position is executed instead of the expert's (DART);
        the label to clone stays the expert's decision. Without it the demonstrations' position input equals
        the expert's last action, and the actor learns to copy its own position instead of the rule.
    q_filter:
        Clone the expert only where the critic rates its action above the actor's.
    bc_weight_start, bc_weight_end, bc_anneal_fraction:
        The imitation weight's linear schedule.
    eval_every, eval_sessions:
        Greedy evaluation every so many iterations, on up to so many training sessions.
    checkpoint_every:
        Also keep ``checkpoints/iter_NNNN.pt`` every so many iterations (0: only the final one).
    seed:
        Seeds numpy's generator and torch.
    threads:
        ``torch.set_num_threads`` during training (0: leave it; 1, the default, is fastest for these small nets).
    """

    encoder_hidden: int = 32
    hidden: int = 64
    iterations: int = 30
    episodes_per_iteration: int = 8
    replay_capacity: int = 1000
    updates_per_iteration: int = 32
    batch_size: int = 32
    demo_batch_size: int = 16
    seq_len: int = 32
    burn_in: int = 16
    gamma: float = 0.99
    tau: float = 0.01
    actor_lr: float = 3e-4
    critic_lr: float = 1e-3
    max_grad_norm: float = 1.0
    noise_start: float = 0.5
    noise_end: float = 0.05
    discretize: bool = True
    demonstrators: tuple[str, ...] = field(default=("dual_thrust", "ma_crossover", "bollinger"))
    allow_lookahead: bool = False
    demo_noise: float = 0.3
    q_filter: bool = True
    bc_weight_start: float = 1.0
    bc_weight_end: float = 0.0
    bc_anneal_fraction: float = 0.7
    eval_every: int = 5
    eval_sessions: int = 32
    checkpoint_every: int = 0
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "demonstrators", tuple(self.demonstrators))
        for name in ("encoder_hidden", "hidden", "iterations", "episodes_per_iteration", "replay_capacity",
                     "batch_size", "seq_len", "eval_every", "eval_sessions"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"qtnet.{name} must be >= 1, got {getattr(self, name)}")
        for name in ("updates_per_iteration", "demo_batch_size", "burn_in", "checkpoint_every", "threads"):
            if int(getattr(self, name)) < 0:
                raise ConfigError(f"qtnet.{name} must be >= 0, got {getattr(self, name)}")
        if not 0.0 <= self.gamma <= 1.0 or not 0.0 < self.tau <= 1.0:
            raise ConfigError(f"qtnet.gamma must be in [0, 1] and qtnet.tau in (0, 1], got {self.gamma}, {self.tau}")
        if not 0.0 <= self.demo_noise <= 1.0:
            raise ConfigError(f"qtnet.demo_noise must be in [0, 1], got {self.demo_noise}")
        if not 0.0 < self.bc_anneal_fraction <= 1.0:
            raise ConfigError(f"qtnet.bc_anneal_fraction must be in (0, 1], got {self.bc_anneal_fraction}")
        for name in self.demonstrators:  # unknown names and the fenced-off prophet fail here, not mid-run
            make_expert(name, allow_lookahead=self.allow_lookahead)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, *, where: str = "qtnet") -> QTNetConfig:
        """Build from a mapping (a YAML section), naming an unknown key and the nearest valid one."""
        names = [f.name for f in fields(cls)]
        for key in data or {}:
            if key not in names:
                raise ConfigError(f"{where}.{key}: unknown key{did_you_mean(key, names)}; valid: {', '.join(names)}")
        return cls(**(data or {}))

    def to_dict(self) -> dict[str, Any]:
        """Plain types (JSON/YAML)."""
        out = asdict(self)
        out["demonstrators"] = list(self.demonstrators)
        return out


@dataclass(eq=False)
class TrainedQTNet:
    """The result of :func:`train_qtnet`: the networks, the curves (one dict per iteration) and the time."""

    actor: RecurrentActor
    critic: RecurrentCritic
    config: QTNetConfig
    curves: list[dict[str, float]]
    seconds: float
    checkpoint: Path | None = None

    def policy(self) -> QTNetPolicy:
        """The greedy policy (see :class:`~rdq.rl._qtnet.QTNetPolicy`)."""
        return QTNetPolicy(self.actor, discretize=self.config.discretize)


def _bc_weight(cfg: QTNetConfig, update: int, total: int) -> float:
    span = max(cfg.bc_anneal_fraction * total, 1.0)
    frac = min(update / span, 1.0)
    return cfg.bc_weight_start + frac * (cfg.bc_weight_end - cfg.bc_weight_start)


def _masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.to(x.dtype)
    return (x * m).sum() / m.sum().clamp(min=1.0)


def train_qtnet(market: Market, sessions: Sequence[int] | np.ndarray, config: QTNetConfig | None = None, *,
                out: Path | None = None, periods_per_year: float = 252.0,
                expert_params: Mapping[str, Mapping[str, Any]] | None = None, resume: bool = False) -> TrainedQTNet:
    """Train QTNet on the episodes starting at ``sessions`` (see the module docstring).

    Parameters
    ----------
    market:
        Built with ``EnvConfig(action="continuous")``: the actor decides target positions.
    sessions:
        ``(n,)`` training episode starts.
    config:
        :class:`QTNetConfig` (default settings if ``None``).
    out:
        Folder for ``checkpoint.pt`` (+ ``checkpoint.json``), ``curves.csv``, ``curves.png`` and
        ``checkpoints/``; nothing is written if ``None``.
    periods_per_year:
        Sessions a year, for the Sharpe ratios of the curves.
    expert_params:
        Parameters of the demonstrators by name (e.g. the config's ``experts``; default: each one's defaults).
    resume:
        Continue from ``out/resume.pt`` if it exists (see *Resuming* in the module docstring).

    Returns
    -------
    TrainedQTNet
    """
    cfg = config or QTNetConfig()
    sess = np.asarray(sessions, dtype=np.int64)
    if sess.size == 0:
        raise ConfigError("train_qtnet needs at least one training session")
    if market.config.action != "continuous":
        raise ConfigError("QTNet trades target positions: build the market with EnvConfig(action='continuous')")
    started = time.perf_counter()

    # ---- seeding: every random draw below comes from these two ---------------------------------------------
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    threads = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        # ---- networks, targets, optimisers ---------------------------------------------------------------
        window, n_features = market.config.window, len(FEATURES)
        actor = RecurrentActor(window, n_features, encoder_hidden=cfg.encoder_hidden, hidden=cfg.hidden)
        critic = RecurrentCritic(window, n_features, encoder_hidden=cfg.encoder_hidden, hidden=cfg.hidden)
        actor_target, critic_target = copy.deepcopy(actor), copy.deepcopy(critic)
        actor_opt = torch.optim.Adam(actor.parameters(), lr=cfg.actor_lr)
        critic_opt = torch.optim.Adam(critic.parameters(), lr=cfg.critic_lr)
        nets = {"actor": actor, "critic": critic, "actor_target": actor_target, "critic_target": critic_target}

        # ---- demonstrations: every demonstrator's episodes on every training session ----------------------
        max_steps = int((market.episode_stop[sess] - market.episode_start[sess]).max()) - 1
        demos = EpisodeReplay(market, capacity=max(sess.size * len(cfg.demonstrators), 1), max_steps=max_steps)
        for name in cfg.demonstrators:
            params = dict((expert_params or {}).get(name, {}))
            if name == "prophet":  # the best myopic position under this market's fill and costs
                params = {"fill": market.config.fill, "cost_rate": market.cost, **params}
            demo = ExpertPolicy(make_expert(name, allow_lookahead=cfg.allow_lookahead, **params), market,
                                noise=cfg.demo_noise, rng=rng)
            played = rollout(market, sess, demo)
            demos.add(played, label=np.where(played.valid(), demo.label(played.bar[:, :-1]), 0.0))
        replay = EpisodeReplay(market, capacity=cfg.replay_capacity, max_steps=max_steps)
        use_demos = demos.size > 0 and cfg.demo_batch_size > 0
        eval_sess = sess[np.linspace(0, sess.size - 1, min(cfg.eval_sessions, sess.size)).round().astype(int)]
        total_updates = cfg.iterations * cfg.updates_per_iteration
        log.info("qtnet: %d training sessions, %d demonstration episodes (%s), %d iterations x %d updates",
                 sess.size, demos.size, ", ".join(cfg.demonstrators) or "none", cfg.iterations,
                 cfg.updates_per_iteration)

        curves: list[dict[str, float]] = []
        env_steps = update = 0
        first = 1
        resume_path = out / RESUME_FILE if out is not None else None
        if resume and resume_path is not None and resume_path.is_file():
            st = load_resume_state(resume_path)
            for k, net in nets.items():
                net.load_state_dict(st["nets"][k])
            actor_opt.load_state_dict(st["actor_opt"])
            critic_opt.load_state_dict(st["critic_opt"])
            rng.bit_generator.state = st["rng"]
            torch.set_rng_state(st["torch_rng"])
            load_replay_state(replay, st["replay"])
            curves, env_steps, update = list(st["curves"]), int(st["env_steps"]), int(st["updates"])
            first = int(st["iteration"]) + 1
            started -= float(st["seconds"])
            log.info("qtnet: resumed from %s after iteration %d/%d", resume_path, first - 1, cfg.iterations)
        L = cfg.seq_len
        for it in range(first, cfg.iterations + 1):
            # ---- 1. collect episodes with exploration noise ------------------------------------------------
            frac = (it - 1) / max(cfg.iterations - 1, 1)
            noise = cfg.noise_start + frac * (cfg.noise_end - cfg.noise_start)
            starts = rng.choice(sess, size=cfg.episodes_per_iteration, replace=sess.size < cfg.episodes_per_iteration)
            played = rollout(market, starts, QTNetPolicy(actor, discretize=cfg.discretize, noise=noise, rng=rng))
            replay.add(played)
            env_steps += int(played.length.sum())

            # ---- 2. learn from replay and demonstration sequences -----------------------------------------
            stats: dict[str, list[float]] = {"critic_loss": [], "actor_q": [], "bc_loss": [], "q_filter_kept": []}
            bc_w = _bc_weight(cfg, update, total_updates)
            for _ in range(cfg.updates_per_iteration):
                bc_w = _bc_weight(cfg, update, total_updates)
                own = replay.sample(cfg.batch_size, seq_len=L, burn_in=cfg.burn_in, rng=rng)
                batch = (SequenceBatch.cat(own, demos.sample(cfg.demo_batch_size, seq_len=L, burn_in=cfg.burn_in,
                                                             rng=rng)) if use_demos else own)
                # critic: one-step TD target from the target networks, over the sequences after the burn-in
                with torch.no_grad():
                    mu_next, _ = actor_target(batch.obs, actor_target.warm_up(batch.burn_obs, batch.burn_len))
                    mem_next, _ = critic_target.memory(batch.obs, critic_target.warm_up(batch.burn_obs,
                                                                                        batch.burn_len))
                    q_next = critic_target.q(mem_next[:, 1:], mu_next[:, 1:])
                    y = batch.reward + cfg.gamma * (~batch.done).float() * q_next
                h_c = critic.warm_up(batch.burn_obs, batch.burn_len)
                mem, _ = critic.memory(batch.obs[:, :L], h_c)
                critic_loss = _masked_mean((critic.q(mem, batch.action) - y) ** 2, batch.mask)
                critic_opt.zero_grad()
                critic_loss.backward()
                torch.nn.utils.clip_grad_norm_(critic.parameters(), cfg.max_grad_norm)
                critic_opt.step()

                # actor: deterministic policy gradient through the (updated) critic, plus Q-filtered cloning
                with torch.no_grad():
                    mem, _ = critic.memory(batch.obs[:, :L], h_c)
                mu, _ = actor(batch.obs[:, :L], actor.warm_up(batch.burn_obs, batch.burn_len))
                q_mu = critic.q(mem, mu)
                q_scale = _masked_mean(q_mu.abs(), batch.mask).detach().clamp(min=1e-6)
                actor_q = _masked_mean(q_mu, batch.mask)
                actor_loss = -actor_q / q_scale
                bc_loss = kept = torch.zeros(())
                if use_demos:
                    nb = own.size
                    demo_a = batch.label[nb:]
                    bc_loss, kept = q_filter_bc_loss(mu[nb:], demo_a, q_mu[nb:], critic.q(mem[nb:], demo_a),
                                                     batch.mask[nb:], use_filter=cfg.q_filter)
                    actor_loss = actor_loss + bc_w * bc_loss
                actor_opt.zero_grad()
                actor_loss.backward()
                torch.nn.utils.clip_grad_norm_(actor.parameters(), cfg.max_grad_norm)
                actor_opt.step()

                # targets follow slowly
                soft_update(actor_target, actor, cfg.tau)
                soft_update(critic_target, critic, cfg.tau)
                update += 1
                for k, v in (("critic_loss", critic_loss), ("actor_q", actor_q), ("bc_loss", bc_loss),
                             ("q_filter_kept", kept)):
                    stats[k].append(float(v.detach()))

            # ---- 3. record, evaluate, log, checkpoint ------------------------------------------------------
            row: dict[str, float] = {
                "iteration": it, "env_steps": env_steps, "updates": update, "noise": noise, "bc_weight": bc_w,
                "episode_reward": float(played.episode_reward.mean()), "episode_return": float(played.returns.mean()),
                "sharpe": annualised_sharpe(played.returns, periods_per_year),
                **{k: float(np.mean(v)) if v else math.nan for k, v in stats.items()},
                "eval_reward": math.nan, "eval_return": math.nan, "eval_sharpe": math.nan,
            }
            if it % cfg.eval_every == 0 or it == cfg.iterations:
                greedy = rollout(market, eval_sess, QTNetPolicy(actor, discretize=cfg.discretize))
                row.update(eval_reward=float(greedy.episode_reward.mean()), eval_return=float(greedy.returns.mean()),
                           eval_sharpe=annualised_sharpe(greedy.returns, periods_per_year))
            curves.append(row)
            log.info("qtnet iter %d/%d: steps %d, reward %.3f, sharpe %.2f, critic %.4g, Q %.4g, bc %.4g "
                     "(w %.2f, q-filter keeps %.0f%%)%s", it, cfg.iterations, env_steps, row["episode_reward"],
                     row["sharpe"], row["critic_loss"], row["actor_q"], row["bc_loss"], bc_w,
                     100 * row["q_filter_kept"] if use_demos else 0.0,
                     f", greedy sharpe {row['eval_sharpe']:.2f}" if not math.isnan(row["eval_sharpe"]) else "")
            if out is not None and cfg.checkpoint_every and it % cfg.checkpoint_every == 0:
                save_checkpoint(out / "checkpoints" / f"iter_{it:04d}.pt", nets=nets, config=cfg.to_dict(),
                                window=window, n_features=n_features, meta={"iteration": it, "updates": update})
                save_resume_state(out / RESUME_FILE, {
                    "iteration": it, "env_steps": env_steps, "updates": update, "curves": curves,
                    "seconds": time.perf_counter() - started, "nets": {k: m.state_dict() for k, m in nets.items()},
                    "actor_opt": actor_opt.state_dict(), "critic_opt": critic_opt.state_dict(),
                    "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "replay": replay_state(replay)})

        # ---- the final checkpoint and the curves ---------------------------------------------------------
        seconds = time.perf_counter() - started
        ckpt = None
        if out is not None:
            ckpt = out / "checkpoint.pt"
            save_checkpoint(ckpt, nets=nets, config=cfg.to_dict(), window=window, n_features=n_features,
                            meta={"iteration": cfg.iterations, "updates": update},
                            optimizers={"actor_opt": actor_opt, "critic_opt": critic_opt})
            write_curves(out, curves, CURVE_COLUMNS)
            (out / RESUME_FILE).unlink(missing_ok=True)
        log.info("qtnet: trained in %.1fs (%d env steps, %d updates)", seconds, env_steps, update)
        return TrainedQTNet(actor=actor, critic=critic, config=cfg, curves=curves, seconds=seconds, checkpoint=ckpt)
    finally:
        torch.use_deterministic_algorithms(deterministic)
        torch.set_num_threads(threads)
