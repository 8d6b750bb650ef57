"""`python -m rdq` is the CLI (external suites call it so)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_python_dash_m_rdq_runs_the_cli() -> None:
    p = subprocess.run([sys.executable, "-m", "rdq", "doctor", "--json"], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["sandbox"]["layers"]["static_check"] is True and doc["sandbox"]["layers"]["audit_hook"] is True
