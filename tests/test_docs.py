"""Docs as tests: every shell command shown in the READMEs runs, as a real ``rdq`` subprocess.

The test parses the fenced ``bash``/``sh``/``shell``/``console`` blocks of :data:`DOCS` (it does not
keep its own list of commands: edit a README and the tests change with it). Each command line
(backslash continuations joined) becomes one test named ``doc:line``, run by the venv's ``rdq`` in a
fresh temporary directory on the embedded data, with these substitutions, applied the same way to
every command:

* ``market.parquet`` is the synthetic market of ``rdq data synth --assets 60 --days 300 --seed 0``
  (with its ``.truth.json``); ``--assets N`` / ``--days N`` in a command become 60 / 300;
* placeholders shown in the docs exist in the directory: ``scores.parquet`` (``date, asset, score``:
  5-day reversal of the market), ``file.q`` (a two-line q script), ``P.jsonl`` (5 problems of the
  embedded q sample) and ``ope_toy/`` (``rdq ope toy``: logged data and candidate policies), ``C.jsonl`` (their reference solutions, 10 samples each);
* ``backtests/``, ``configs/`` and ``factors/`` are copies of the checkout's (a clone's root), where a
  scenario on a synthetic market larger than 60 x 400 is shrunk to 60 x 400 days, its segments
  re-cut on that calendar as ``rdq demo`` does (60-day warm-up, then 60/20/20%);
* ``../shared/...`` is the shared data beside the project; the command is skipped, with that reason,
  when it is absent;
* optional arguments shown as ``[--opt VALUE]`` are passed.

A trailing ``# exit N`` comment is the expected exit status (0 otherwise). When it is 0, a command's
``--out PATH`` must exist afterwards and ``--json`` output must parse. Commands that cannot run here
are listed in :data:`NOT_RUNNABLE` with the reason, and reported as skipped with it; an entry that no
longer matches a documented command fails, so the list cannot go stale.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from shared_data import ROOT, SHARED

#: the documents whose shell commands are tests
DOCS: tuple[str, ...] = ("README.md", "factors/README.md", "backtests/README.md", "configs/README.md")

#: ``(regex matched against the command, reason)``: documented commands that cannot run in the suite
NOT_RUNNABLE: tuple[tuple[str, str], ...] = (
    (
        r"^make (demo|test)\b",
        "runs scripts/setup.sh, which (re)installs .venv under the running suite; CI runs `make test` itself"
        " (.ci/run), and `rdq demo` is tested small in tests/test_demo.py",
    ),
    (r"^rdq qbench generate\b", "needs an LLM provider's API key and network access (langchain chat model)"),
    (r"csi300_lgbm_alpha158", "needs qlib's CN data (~/.qlib/qlib_data/cn_data), which is not shipped here"),
    (
        r"^rdq research run --config synthetic --rounds 30\b",
        "30 rounds on the 300 x 2,000 market (~13 min); the loop runs small in tests/agent (CLI, resume, honesty)",
    ),
    (r"--executor ray", "starts a Ray instance; tests/agent/test_research_cli.py runs a round on Ray (num_cpus=2)"),
    (
        r"^rdq (research|factors export|rl) \S* ?RUN\b|^rdq (research \w+|factors export|rl eval) RUN\b",
        "needs the id of a run made by an earlier command; tests/agent and tests/rl run them on real runs",
    ),
    (r"^rdq rl train\b", "trains QTNet for the shipped budget (minutes); tests/rl/test_cli.py trains it small"),
)

#: sizes of the synthetic market the commands run on
ASSETS, DAYS = 60, 300
#: the largest synthetic scenario run as documented; larger ones are shrunk to this
SCENARIO_ASSETS, SCENARIO_DAYS = 60, 400
_WARMUP_DAYS = 60
_FENCE = re.compile(r"^(\s*)```\s*(\w*)\s*$")
_SHELL_LANGS = {"bash", "sh", "shell", "console"}


@dataclass(frozen=True)
class DocCommand:
    """One command line of a document: ``text`` without its comment, ``comment`` without ``#``."""

    doc: str
    line: int
    text: str
    comment: str

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"

    @property
    def expected_rc(self) -> int:
        """``# exit N`` at the start of the comment, else 0."""
        m = re.match(r"exit (\d+)\b", self.comment)
        return int(m.group(1)) if m else 0


def _split_comment(line: str) -> tuple[str, str]:
    """``(command, comment)``: the first ``#`` outside quotes that starts a word opens the comment."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def parse_commands(text: str, doc: str) -> list[DocCommand]:
    """The commands of the shell blocks of one markdown text, with the 1-based line each starts on."""
    out: list[DocCommand] = []
    in_shell = in_block = False
    pending: list[str] = []
    start = 0
    for n, raw in enumerate(text.splitlines(), 1):
        fence = _FENCE.match(raw)
        if fence:
            in_shell = not in_block and fence.group(2).lower() in _SHELL_LANGS
            in_block = not in_block
            pending = []
            continue
        if not in_shell:
            continue
        line = raw.strip()
        if line.startswith("$ "):
            line = line[2:]
        if not pending:
            start = n
            if not line or line.startswith("#"):
                continue
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        command, comment = _split_comment(" ".join([*pending, line]))
        pending = []
        if command:
            out.append(DocCommand(doc, start, command, comment))
    return out


def documented_commands() -> list[DocCommand]:
    """Every command of :data:`DOCS`, in document order."""
    cmds: list[DocCommand] = []
    for doc in DOCS:
        path = ROOT / doc
        if path.exists():
            cmds.extend(parse_commands(path.read_text(encoding="utf-8"), doc))
    return cmds


def not_runnable_reason(command: str) -> str | None:
    for pattern, reason in NOT_RUNNABLE:
        if re.search(pattern, command):
            return reason
    return None


def substitute(command: str) -> str:
    """The command as it runs here (see the module docstring)."""
    command = re.sub(r"(?<=\s)\[(--[^\]'\"]*)\]", r"\1", command)  # optional args: pass them
    command = re.sub(r"(--assets)(\s+|=)\d+", rf"\g<1>\g<2>{ASSETS}", command)
    command = re.sub(r"(--days)(\s+|=)\d+", rf"\g<1>\g<2>{DAYS}", command)
    return command.replace("../shared/", f"{SHARED}/")


# --------------------------------------------------------------------------- the directory a command runs in


def _shrink_scenario(path: Path) -> None:
    """Shrink a scenario's synthetic market to 60 x 400 and re-cut its segments on that calendar."""
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    synth = (cfg.get("data") or {}).get("synthetic")
    if not isinstance(synth, dict):
        return
    if int(synth.get("assets", 0)) * int(synth.get("days", 0)) <= SCENARIO_ASSETS * SCENARIO_DAYS:
        return
    from rdq.data import synth_market

    synth["assets"], synth["days"] = SCENARIO_ASSETS, SCENARIO_DAYS
    kwargs = {"start": synth["start"]} if "start" in synth else {}
    dates = synth_market(n_assets=2, n_days=SCENARIO_DAYS, seed=int(synth.get("seed", 0)), **kwargs).panel["date"]
    usable = [str(d) for d in dates.unique().sort().to_list()[_WARMUP_DAYS:]]
    a, b = int(len(usable) * 0.6), int(len(usable) * 0.8)
    if cfg.get("segments") is not None:
        cfg["segments"] = {
            "train": [usable[0], usable[a - 1]],
            "valid": [usable[a], usable[b - 1]],
            "test": [usable[b], usable[-1]],
        }
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")


def _rdq() -> str:
    exe = Path(sys.executable).with_name("rdq")
    assert exe.exists(), f"the venv's rdq entry point is missing: {exe} (pip install -e .)"
    return str(exe)


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "TERM": "dumb"}
    return subprocess.run(
        args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files every command may use (see the module docstring)."""
    import polars as pl

    from rdq.factors import compute

    base = tmp_path_factory.mktemp("docs-base")
    res = _run([_rdq(), "data", "synth", "--out", "market.parquet", "--assets", str(ASSETS), "--days", str(DAYS),
                "--seed", "0"], base)
    assert res.returncode == 0, res.stderr
    panel = pl.read_parquet(base / "market.parquet")
    scores = compute(panel, {"score": "-($close/Ref($close, 5) - 1)"}).select("date", "asset", "score")
    scores.drop_nulls().filter(pl.col("score").is_not_nan()).write_parquet(base / "scores.parquet")
    (base / "file.q").write_text("x:til 10\nshow sum x\n", encoding="utf-8")
    sample = (ROOT / "rdq/qlang/bench/problems/sample.jsonl").read_text(encoding="utf-8").splitlines()[:5]
    (base / "P.jsonl").write_text("\n".join(sample) + "\n", encoding="utf-8")
    with (base / "C.jsonl").open("w", encoding="utf-8") as fh:
        for row in map(json.loads, sample):
            for s in range(10):
                fh.write(json.dumps({"problem_id": row["problem_id"], "sample": s, "completion": row["q_solution"]}) + "\n")
    res = _run([_rdq(), "ope", "toy", "--out", "ope_toy", "--trajectories", "100", "--candidates", "5"], base)
    assert res.returncode == 0, res.stderr
    for folder in ("backtests", "configs", "factors"):
        shutil.copytree(ROOT / folder, base / folder)
    for scenario in (base / "backtests").glob("*.yaml"):
        _shrink_scenario(scenario)
    return base


# --------------------------------------------------------------------------- the tests

COMMANDS = documented_commands()


def test_the_docs_show_commands() -> None:
    """The parser finds the READMEs' commands (a broken parser would make every doc test vanish)."""
    by_doc = {c.doc for c in COMMANDS}
    assert {"README.md", "factors/README.md", "backtests/README.md"} <= by_doc
    assert any(c.text.startswith("rdq factors compute") for c in COMMANDS)


@pytest.mark.parametrize(("pattern", "reason"), NOT_RUNNABLE, ids=[p for p, _ in NOT_RUNNABLE])
def test_not_runnable_entries_match_a_documented_command(pattern: str, reason: str) -> None:
    assert any(re.search(pattern, c.text) for c in COMMANDS), f"stale NOT_RUNNABLE entry {pattern!r} ({reason})"


@pytest.mark.slow
@pytest.mark.parametrize("cmd", COMMANDS, ids=[c.id for c in COMMANDS])
def test_documented_command_runs(cmd: DocCommand, base_dir: Path, tmp_path: Path) -> None:
    reason = not_runnable_reason(cmd.text)
    if reason is not None:
        pytest.skip(f"not runnable here: {reason}")
    text = substitute(cmd.text)
    if "../shared/" in cmd.text and not SHARED.exists():
        pytest.skip(f"needs {SHARED} (../shared beside the project root; CI always has it)")
    args = shlex.split(text)
    assert args[0] == "rdq", (
        f"{cmd.id}: `{cmd.text}` is not an rdq command: make it one, or list it in NOT_RUNNABLE with the reason"
    )
    cwd = tmp_path / "cwd"
    shutil.copytree(base_dir, cwd)
    res = _run([_rdq(), *args[1:]], cwd)
    tail = f"\n$ {text}\n--- stdout\n{res.stdout[-3000:]}\n--- stderr\n{res.stderr[-3000:]}"
    assert res.returncode == cmd.expected_rc, f"{cmd.id}: exit {res.returncode}, the doc says {cmd.expected_rc}{tail}"
    if cmd.expected_rc != 0:
        return
    if "--out" in args:
        out = cwd / args[args.index("--out") + 1]
        assert out.exists(), f"{cmd.id}: --out {out.name} was not written{tail}"
    if "--json" in args:
        json.loads(res.stdout)
    shutil.rmtree(cwd)  # outputs can be large (Alpha158 of the S&P 500 file: ~580 MB)


# --------------------------------------------------------------------------- the parser itself

_SAMPLE_DOC = """\
Text with `rdq inline` code.

```bash
rdq data synth --out m.parquet --assets 300   # make one
rdq backtest --data m.parquet \\
    --topk 5 --json
# a comment line

rdq factors check --expr 'Ref($close,-1) # not a comment'   # exit 1: looks ahead
```

```python
rdq = 1
```

```
rdq not-a-shell-block
```
"""


def test_parse_commands_reads_shell_blocks_only() -> None:
    cmds = parse_commands(_SAMPLE_DOC, "X.md")
    assert [(c.line, c.text, c.comment, c.expected_rc) for c in cmds] == [
        (4, "rdq data synth --out m.parquet --assets 300", "make one", 0),
        (5, "rdq backtest --data m.parquet --topk 5 --json", "", 0),
        (9, "rdq factors check --expr 'Ref($close,-1) # not a comment'", "exit 1: looks ahead", 1),
    ]


def test_substitute_sizes_optional_args_and_shared() -> None:
    assert substitute("rdq data synth --assets 300 --days 2000") == f"rdq data synth --assets {ASSETS} --days {DAYS}"
    assert substitute("rdq backtest --config b.yaml [--workspace .] [--json]") == "rdq backtest --config b.yaml --workspace . --json"
    assert substitute("rdq q -e '+/[til 10]'") == "rdq q -e '+/[til 10]'"
    assert substitute("rdq data validate ../shared/data/x.parquet") == f"rdq data validate {SHARED}/data/x.parquet"
