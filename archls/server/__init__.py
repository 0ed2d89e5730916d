"""The language server: translates LSP to engine calls and back, and holds no logic of its own."""

from __future__ import annotations


def run(tcp: str | None = None) -> None:
    import gc

    from archls.server import protocol_types

    protocol_types.load()  # before anything imports pygls, which imports the types as they are

    from archls.server import logs
    from archls.server.app import create_server

    logs.configure()

    # The server keeps large caches of parsed blocks and models; with the default thresholds the
    # cyclic collector walks them every few audits (about 20 ms each on a 1,000-component file).
    # Collecting young objects less often keeps that out of the keystroke path.
    gc.set_threshold(100_000, 50, 100)

    server = create_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
