"""YAML for rdq's config files: PyYAML's safe loader, except that an impossible date stays a string.

PyYAML turns ``2015-13-01`` (it looks like a date) into :class:`datetime.date` and raises a bare
``ValueError`` ("month must be in 1..12") while loading, so the user saw a traceback without the key.
Here such a value stays the string ``'2015-13-01'``; the config reader then names the key and the fix.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["safe_load"]


class _Loader(yaml.SafeLoader):
    """SafeLoader whose timestamps that are not real dates are read as strings."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def safe_load(text: str) -> Any:
    """:func:`yaml.safe_load`, with impossible dates (``2020-13-01``, ``2021-02-30``) kept as strings.

    Examples
    --------
    >>> safe_load("a: 2020-13-01\\nb: 2020-01-31")
    {'a': '2020-13-01', 'b': datetime.date(2020, 1, 31)}
    """
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
