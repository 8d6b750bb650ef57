"""Package layout (everything else is in pyproject.toml).

The factor libraries, model configs and scenarios are edited in the top-level ``factors/``,
``configs/`` and ``backtests/`` folders; the wheel carries them as the package data of
``rdq._builtin.<folder>`` (one source of truth, read with :mod:`rdq.resources`).
"""

from setuptools import find_namespace_packages, setup

BUILTIN = ("factors", "configs", "backtests")

setup(
    packages=find_namespace_packages(include=["rdq", "rdq.*"])
    + [f"rdq._builtin.{name}" for name in BUILTIN]
    + ["rdq._builtin.configs.research", "rdq._builtin.configs.rl", "rdq._builtin.configs.llm"],
    package_dir={**{f"rdq._builtin.{name}": name for name in BUILTIN}, "rdq._builtin.configs.research": "configs/research",
                 "rdq._builtin.configs.rl": "configs/rl",
                 "rdq._builtin.configs.llm": "configs/llm"},
    package_data={
        "": ["*.yaml", "*.json", "*.jsonl", "*.q", "*.txt"],  # every package (setup.py spells "all" as "")
        **{f"rdq._builtin.{name}": ["*.yaml", "README.md"] for name in BUILTIN},
        "rdq._builtin.configs.research": ["*.yaml"],
        "rdq._builtin.configs.rl": ["*.yaml"],
        "rdq._builtin.configs.llm": ["*.yaml"],
        "rdq.agent.prompts": ["*.md"],  # the LLM proposer's prompt templates
    },
)
