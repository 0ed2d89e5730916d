"""Fuzzing of the loaders, the engine and the server's handlers.

``documents`` generates structurally plausible files of each format (with hostile keys and
values), ``mutations`` damages real files (the examples and the shared corpus), and ``harness``
runs one input through the loader and the engine and checks the invariant: a model and findings,
or positioned errors inside the document; never an exception escaping, never a hang.

The seeded run is ``tests/test_fuzz.py`` (part of ``make test``); the long run is
``bench/run.py fuzz``.
"""
