"""The language server: translates LSP to engine calls and back, and holds no logic of its own."""

from __future__ import annotations

import time

#: Seconds after start-up when the objects it left are collected once, with the first audits done,
#: as soon as no audit ran for TIDY_IDLE_S (a full collection takes about 0.1 s on a large workspace).
TIDY_AFTER_S = 10.0
TIDY_IDLE_S = 2.0
#: Then a full collection at most this often, in a pause of TIDY_IDLE_S after audits ran. The raised
#: thresholds below make the collector's own full passes rare, and an audit's reference cycles (a
#: replaced model's parts, superseded groups) become garbage only once the caches drop them, long
#: after they left the young generations: without these passes a long session kept every one of them.
TIDY_EVERY_S = 30.0
#: ...and without waiting for a pause once this long has gone by since the last (audits that never
#: pause: a script, or a formatter on every save of many files), so memory stays bounded anyway.
TIDY_OVERDUE_S = 120.0


def run(tcp: str | None = None) -> None:
    import gc
    import threading

    _few_malloc_arenas()  # before any thread allocates

    # Start-up makes some 140,000 objects that live as long as the server and little garbage: the
    # cyclic collector would only walk them again and again (about 50 ms of a 0.6 s start). It stays
    # off until the server is built; then they are frozen out of its way, and once the first requests
    # are answered one full collection frees what start-up left behind.
    gc.disable()
    try:
        from archls.server import early, timing

        timing.once("started")
        # The first diagnostics, when they can be written before the protocol library is loaded.
        hand = early.first_audit() if tcp is None and early.available() else None

        if hand is not None and hand.published is not None:
            early.load_gently(_load_protocol)
        else:
            _load_protocol()

        from archls import codecache
        from archls.server import logs

        logs.configure()
        with codecache.kept():  # the engine, when the early start did not import it
            from archls.server.app import create_server

            server = create_server()
        stdin = early.hand_over(hand, server, _early_fault) if hand is not None else None
        timing.once("built")
        timing.watch(server.protocol)
        gc.freeze()
    finally:
        gc.enable()
    # The server keeps large caches of parsed blocks and models; with the default thresholds the
    # cyclic collector walks them every few audits (about 20 ms each on a 1,000-component file).
    # Collecting young objects less often keeps that out of the keystroke path.
    gc.set_threshold(100_000, 50, 100)
    tidy = threading.Timer(TIDY_AFTER_S, _tidy)
    tidy.daemon = True
    tidy.start()

    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io(stdin=stdin)


def _load_protocol() -> None:
    from archls.server import protocol_types

    protocol_types.load()  # before anything imports pygls, which imports the types as they are
    from archls.server import app, features

    features.import_all()
    del app


def _early_fault(trace: str) -> None:
    import logging

    logging.getLogger(__name__).error("the early first audit failed; the server went on without it\n%s", trace)


def _tidy() -> None:
    import gc

    from archls import recent
    from archls.server.features.diagnostics import collector

    overdue = time.monotonic() - _tidied[1] >= TIDY_OVERDUE_S
    # not while someone types: the collection holds every thread
    if not collector.idle(TIDY_IDLE_S) and not overdue:
        _tidy_in(1.0)
        return
    if recent.audits() != _tidied[0]:  # nothing to free when no audit ran since the last pass
        gc.unfreeze()
        gc.collect()
    _tidied[:] = [recent.audits(), time.monotonic()]
    _tidy_in(TIDY_EVERY_S)


#: ``recent.audits()`` and ``time.monotonic()`` at the last full collection
_tidied: list[float] = [-1, time.monotonic()]


def _tidy_in(seconds: float) -> None:
    import threading

    later = threading.Timer(seconds, _tidy)
    later.daemon = True
    later.start()


def _few_malloc_arenas() -> None:
    """glibc gives each thread that allocates a malloc arena of its own. With the audit thread beside
    pygls' reader and the loop, the freed memory of one arena was not reused by the others, and the
    server grew for as long as it ran (about 23 MB a minute in `bench/run.py soak`, 50 documents);
    with two arenas it levels off after the warm-up. A value the user set in MALLOC_ARENA_MAX wins;
    other C libraries have nothing to tune here."""
    import os
    import sys

    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    m_arena_max = -8  # from glibc's malloc.h
    mallopt(m_arena_max, 2)
