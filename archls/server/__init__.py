"""The language server: translates LSP to engine calls and back, and holds no logic of its own."""

from __future__ import annotations


def run(tcp: str | None = None) -> None:
    from archls.server.app import create_server

    server = create_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
