"""Minimal HTTP/1.1 on asyncio streams for the fake DeepSeek API: read requests, frame responses.

Only what the fake needs: Content-Length request bodies, keep-alive, and responses with either a
Content-Length or chunked transfer encoding (used for streams and for keep-alive lines).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 32 * 1024 * 1024
LAST_CHUNK = b"0\r\n\r\n"


class BadHttpRequestError(Exception):
    """The bytes on the connection are not a request this server can read."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class HttpRequest:
    """One parsed request."""

    method: str
    target: str
    version: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def path(self) -> str:
        """The target without its query string."""
        return self.target.split("?", 1)[0]

    @property
    def keep_alive(self) -> bool:
        """Whether the client wants the connection kept open after this request."""
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """Read one request; return None if the client closed the connection between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise BadHttpRequestError(400, "connection closed inside the request head") from exc
    except asyncio.LimitOverrunError as exc:
        raise BadHttpRequestError(431, "request head too large") from exc
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadHttpRequestError(400, f"malformed request line {lines[0]!r}")
    request = HttpRequest(method=parts[0].upper(), target=parts[1], version=parts[2])
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise BadHttpRequestError(400, f"malformed header line {line!r}")
        request.headers[name.strip().lower()] = value.strip()
    if "chunked" in request.headers.get("transfer-encoding", "").lower():
        raise BadHttpRequestError(
            411, "chunked request bodies are not supported; send Content-Length"
        )
    length_text = request.headers.get("content-length", "0")
    if not length_text.isdigit():
        raise BadHttpRequestError(400, f"bad Content-Length {length_text!r}")
    length = int(length_text)
    if length > MAX_BODY_BYTES:
        raise BadHttpRequestError(413, "request body too large")
    if length:
        try:
            request.body = await reader.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            raise BadHttpRequestError(400, "connection closed inside the request body") from exc
    return request


def response_head(status: int, headers: dict[str, str]) -> bytes:
    """Return the status line and headers of a response."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def full_response(status: int, payload: Any, *, keep_alive: bool) -> bytes:
    """Return a complete JSON response with a Content-Length."""
    body = json_bytes(payload)
    headers = {
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "Connection": "keep-alive" if keep_alive else "close",
    }
    return response_head(status, headers) + body


def json_bytes(payload: Any) -> bytes:
    """Encode `payload` as compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def chunk(data: bytes) -> bytes:
    """Frame `data` as one chunk of a chunked body."""
    return b"%x\r\n%s\r\n" % (len(data), data)
