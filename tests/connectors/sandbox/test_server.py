"""The HTTP server: keep-alive, request bodies in every framing clients use, HEAD, shutdown."""

from __future__ import annotations

import http.client
import socket

import pytest
import requests

from connectors.sandbox import SandboxServer
from tests.connectors.sandbox.conftest import TOKEN


def _raw(server: SandboxServer, payload: bytes) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


def test_keep_alive_serves_many_requests_on_one_connection(notes_server: SandboxServer) -> None:
    conn = http.client.HTTPConnection(notes_server.host, notes_server.port, timeout=5)
    for _ in range(3):
        conn.request("GET", "/notes", headers={"Authorization": f"Bearer {TOKEN}"})
        answer = conn.getresponse()
        assert answer.status == 200
        assert answer.getheader("Connection") == "keep-alive"
        assert b'"n004"' in answer.read()
    conn.close()


def test_form_body_with_content_length(notes_server: SandboxServer, http: requests.Session) -> None:
    answer = http.post(f"{notes_server.url}/echo", data={"metadata[a]": "1", "b": "two words"})
    assert answer.json()["form"] == [["metadata[a]", "1"], ["b", "two words"]]


def test_chunked_body_and_connection_close(notes_server: SandboxServer) -> None:
    raw = _raw(
        notes_server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Connection: close" in head
    assert b'"body":"hello world"' in body


def test_expect_100_continue(notes_server: SandboxServer) -> None:
    raw = _raw(
        notes_server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n"
        b"Expect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
    )
    assert raw.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200")


def test_head_sends_headers_only(notes_server: SandboxServer) -> None:
    raw = _raw(
        notes_server,
        b"HEAD /notes HTTP/1.0\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n\r\n",
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert body == b""


def test_garbage_request_line_gets_400(notes_server: SandboxServer) -> None:
    assert _raw(notes_server, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400")


def test_stop_frees_the_port_and_ends_idle_connections(notes_app) -> None:
    server = SandboxServer(notes_app).start()
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    conn.request("GET", "/notes", headers={"Authorization": f"Bearer {TOKEN}"})
    conn.getresponse().read()
    port = server.port
    server.stop()
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        conn.request("GET", "/notes")
        conn.getresponse()
    SandboxServer(notes_app, port=port).stop()
