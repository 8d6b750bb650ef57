#!/usr/bin/env bash
# Build the wheel, install it into a fresh venv OUTSIDE the checkout (dependencies from the
# project's .venv, or with WHEEL_SMOKE_DEPS=index all from the package index), and from an empty
# folder run what a new user runs first. A file missing from the wheel (a built-in library, config
# or scenario, a module) fails here.
# Usage: bash scripts/wheel_smoke.sh            (CI runs it from .ci/run after make test)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
PY=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/rdq-wheel-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
t0=$SECONDS
passed=0

step() { echo "== wheel smoke: $*"; }
ok() { passed=$((passed + 1)); echo "   ok ($((SECONDS - t0)) s)"; }

step "build the wheel (isolated build, as pip install . does)"
"$PY" -m pip wheel -q --no-deps -w "$work/dist" "$repo"
wheel=$(ls "$work"/dist/rdq-*.whl)
ok

step "install $(basename "$wheel") into a fresh venv in $work/venv"
"$PY" -m venv "$work/venv"
vpy="$work/venv/bin/python"
quiet_pip() {  # without the index's "Location ... is ignored" noise; pip's exit status counts
  "$vpy" -m pip "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
}
if [ "${WHEEL_SMOKE_DEPS:-venv}" = "index" ] || [ ! -x "$repo/.venv/bin/python" ]; then
  # every dependency from the package index (slow: torch, lightgbm, pyqlib, vectorbt ... ~1.5 GB)
  quiet_pip install -q "torch==2.13.0"  # this machine's index serves a CPU wheel for exactly 2.13.0
  quiet_pip install -q "$wheel"
else
  # rdq itself from the wheel only; its dependencies from the project's .venv, appended to sys.path
  # after the fresh venv's own site-packages (so the wheel's rdq wins; .venv's editable hook is not run)
  quiet_pip install -q --no-deps "$wheel"
  quiet_pip uninstall -q -y setuptools  # the venv's bundled one would shadow .venv's (torch needs >= 77)
  site=$("$vpy" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  deps=$("$repo/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$deps" >"$site/_rdq_smoke_deps.pth"
fi
quiet_pip check  # every requirement of the wheel's metadata is satisfied
ok

mkdir "$work/empty"
cd "$work/empty"
unset PYTHONPATH
rdq="$work/venv/bin/rdq"
py="$work/venv/bin/python"

step "rdq is the installed wheel, not the checkout"
where=$("$py" -c 'import rdq, rdq.resources as r; print(rdq.__file__); print(r.builtin_dir("factors"))')
echo "$where"
case "$where" in
  *"$repo"*) echo "FAIL: rdq was imported from the checkout $repo"; exit 1 ;;
esac
echo "$where" | grep -q "$work/venv/.*/rdq/_builtin/factors" || { echo "FAIL: built-ins not in the wheel"; exit 1; }
ok

step "rdq --help"
"$rdq" --help >help.txt
for cmd in data factors backtest configs demo q research; do
  grep -q "$cmd" help.txt || { echo "FAIL: rdq --help lists no '$cmd' command"; exit 1; }
done
ok

step "rdq configs list / factors list show the built-ins"
"$rdq" configs list --json >list.json
"$py" - <<'EOF'
import json
names = {row["name"] for row in json.load(open("list.json"))}
need = {"demo", "smoke", "csi300_lgbm_alpha158", "lgbm_alpha158", "lgbm_alpha360", "gru_alpha360", "alpha158", "alpha360",
        "base20", "synthetic", "panel"}
assert need <= names, f"missing built-ins: {sorted(need - names)}"
EOF
"$rdq" factors list >factors.txt
grep -q "alpha158: 158 factors" factors.txt || { echo "FAIL: rdq factors list:"; cat factors.txt; exit 1; }
ok

step "rdq factors compute --library alpha158 on a small synthetic panel"
"$rdq" data synth --out panel.parquet --assets 8 --days 120 --seed 1 >/dev/null
"$rdq" factors compute --data panel.parquet --library alpha158 --out alpha158.parquet
"$py" - <<'EOF'
import polars as pl
f = pl.read_parquet("alpha158.parquet")
assert f.height == 8 * 120, f.shape
factors = [c for c in f.columns if c not in ("date", "asset")]
assert len(factors) >= 157 and factors[:2] == ["KMID", "KLEN"], factors[:5]
assert f["MA5"].drop_nulls().len() > 0
print(f"   {f.height} rows x {len(factors)} factors")
EOF
ok

step "rdq backtest --config smoke (a built-in scenario, end to end)"
"$rdq" backtest --config smoke --workspace ws --json >smoke.json
"$py" - <<'EOF'
import json, math, pathlib
text = open("smoke.json").read()
out = json.loads(text[text.index("{"):])
ir = out["metrics"]["excess_with_cost.information_ratio"]
assert isinstance(ir, float) and math.isfinite(ir), ir
assert pathlib.Path(out["report"]).is_file() and pathlib.Path(out["records"]).is_file()
print(f"   excess IR with cost {ir:.3f}; report {out['report']}")
EOF
ok

step "rdq research run / report / factors export (worker processes from the wheel, built-in base20)"
cat >tiny.yaml <<'YAML'
name: tiny
data: {synthetic: {assets: 40, days: 400, seed: 0}}
base_factors: base20
model: {template: LGBMModel, hyperparameters: {num_boost_round: 20, num_threads: 1}}
rounds: 1
workers: 1
scheduler: round_robin
gp: {population: 20, generations_per_round: 1, n_tasks: 2, screen_days: 150}
strategy: {topk: 5, n_drop: 1, benchmark: equal_weight}
YAML
"$rdq" research run --config tiny.yaml --workspace ws --json --quiet >run.json
run_id=$("$py" -c "import json; o = json.load(open('run.json')); assert o['rounds'] == 1, o; print(o['run_id'])")
"$rdq" research report "$run_id" --workspace ws --json --quiet >report.json
"$py" -c "import json; r = json.load(open('report.json')); assert {'test', 'base_test', 'significant'} <= set(r), r"
"$rdq" factors export "$run_id" --workspace ws --with-base --out lib/tiny.yaml >/dev/null
"$rdq" factors list --library lib/tiny.yaml | grep -q KMID || { echo "FAIL: the exported library"; exit 1; }
ok

step "rdq doctor / rdq factors compute --python in the sandbox / python -m rdq / the LLM configs ship"
"$rdq" doctor --json >doctor.json
"$py" -c "import json; d = json.load(open('doctor.json')); assert d['sandbox']['layers']['audit_hook'], d"
cat >my_factor.py <<'PY'
import polars as pl


def factor(panel: pl.DataFrame) -> pl.DataFrame:
    return panel.select("date", "asset", (pl.col("close") / pl.col("open") - 1).alias("value"))
PY
"$rdq" factors compute --data panel.parquet --python my_factor.py --out mine.parquet --json >mine.json
"$py" - <<'EOF'
import json
import polars as pl
r = json.loads(open("mine.json").read().strip().splitlines()[-1])
assert r["status"] == "ok", r
f = pl.read_parquet("mine.parquet")
assert f.height == 8 * 120 and f.columns == ["date", "asset", "value"], (f.shape, f.columns)
EOF
cat >evil.py <<'PY'
import socket


def factor(panel):
    socket.create_connection(("127.0.0.1", 9))
PY
if "$rdq" factors compute --data panel.parquet --python evil.py --out evil.parquet --json >evil.json; then
  echo "FAIL: a factor opening a socket exited 0"; exit 1
fi
grep -q '"blocked"' evil.json || { echo "FAIL: the socket factor was not blocked:"; cat evil.json; exit 1; }
"$py" -m rdq --help >/dev/null
"$py" -c "from rdq.llm import load_llm_config; c = load_llm_config('openai:gpt-4o-mini'); assert c.price_input_per_mtok > 0, c"
ok

step "rdq q -e '1+1'"
answer=$("$rdq" q -e '1+1')
[ "$answer" = "2" ] || { echo "FAIL: rdq q -e '1+1' printed '$answer'"; exit 1; }
ok

echo "wheel smoke took $((SECONDS - t0)) s"
echo "wheel-smoke: $passed passed, 0 failed"
