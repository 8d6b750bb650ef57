"""Built-in files shipped inside the package: ``rdq/_builtin/{factors,configs,backtests}/*.yaml``.

In a source checkout these folders are the repository's top-level ``factors/``, ``configs/`` and
``backtests/`` (the files users read and edit); ``setup.py`` maps them into this package when a
wheel is built, so an installed rdq carries them. Read them through :mod:`rdq.resources`.
"""
