"""The command-line layer: one module per command group, each with ``register(app)``.

This is the top of the import graph: a command module may import any rdq package; no package
imports :mod:`rdq.commands`. :mod:`rdq.cli` assembles the app from these modules.
"""
