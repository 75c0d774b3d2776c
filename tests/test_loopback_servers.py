"""The loopback servers (fake provider, stand-in catalog and YouTube) keep quiet about clients that hang
up, at any moment of a request, and still show a real error in a handler.

A traceback a server thread prints lands in whatever stream ``sys.stderr`` is at that moment: during
``CliRunner.invoke`` that is the command's own captured output, and a test that asserts the command
printed no traceback then fails for something the command never did.
"""

from __future__ import annotations

import socket
import struct

import pytest

from topicgen.testing import FakeProvider, ReferenceServer

BODY = b'{"model": "fake-model", "messages": [{"role": "user", "content": "Write about: Rust"}]}'
REQUESTS = {
    "fake": b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Authorization: Bearer k\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY,
    "references": b"GET /oembed?url=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3Dabc&format=json HTTP/1.1\r\n"
    b"Host: x\r\n\r\n",
}
RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends a reset, as a killed process's socket may


def server_for(kind: str):
    return FakeProvider(latency=0.05) if kind == "fake" else ReferenceServer(latency=0.05)


def hang_up(port: int, request: bytes, moment: str) -> None:
    """One client that goes away at ``moment`` of its request, the way interrupted runs do."""
    with socket.create_connection(("127.0.0.1", port)) as client:
        if moment == "mid-request":
            client.sendall(request[: len(request) // 2])
        elif moment == "mid-body-read":
            client.sendall(request)
            client.recv(16)
        else:  # "before the reply"
            client.sendall(request)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)


@pytest.mark.parametrize("kind", ["fake", "references"])
def test_a_client_hanging_up_at_any_moment_leaves_nothing_on_stderr(kind, capsys):
    with server_for(kind) as server:
        for _ in range(10):
            for moment in ("mid-request", "before the reply", "mid-body-read"):
                hang_up(server.port, REQUESTS[kind], moment)
    # leaving the block stopped the server and joined its handler threads: all they would print is out
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("kind", ["fake", "references"])
def test_a_real_error_in_a_handler_is_still_printed(kind, capsys, monkeypatch):
    from topicgen.testing import references
    from topicgen.testing.fake_provider import server as fake

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the stand-in")

    if kind == "fake":  # the fake answers a bug in deciding a reply with a 500; one in sending it shows
        monkeypatch.setattr(fake._Handler, "_perform", broken)
    else:
        monkeypatch.setattr(references.ReferenceServer, "answer", broken)
    with server_for(kind) as server, socket.create_connection(("127.0.0.1", server.port)) as client:
        client.sendall(REQUESTS[kind])
        client.settimeout(5)
        client.recv(16)
    assert "RuntimeError: a bug in the stand-in" in capsys.readouterr().err
