"""A pure, incremental parser of Server-Sent Events lines.

Bytes go in as they arrive (split anywhere, even inside a UTF-8 character); the payloads of
complete `data:` lines come out. Comments (`: keep-alive`), empty lines and other fields are
skipped. Each `data:` line is one payload: DeepSeek never sends multi-line events, and treating
lines separately also copes with servers that omit the blank line between events.
"""

from __future__ import annotations

_BOM = "\ufeff"


class SseLineParser:
    """Feed bytes with `feed`; call `finish` at end of stream for an unterminated last line."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._first_line = True

    def feed(self, chunk: bytes) -> list[str]:
        """Return the payloads of the `data:` lines completed by `chunk`."""
        self._buffer += chunk
        payloads: list[str] = []
        # A b"\n" byte never occurs inside a multi-byte UTF-8 sequence, so complete lines decode.
        while (end := self._buffer.find(b"\n")) >= 0:
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            payload = self._parse_line(line)
            if payload is not None:
                payloads.append(payload)
        return payloads

    def finish(self) -> list[str]:
        """Return the payload of a last line that had no line terminator, if any."""
        line = bytes(self._buffer)
        self._buffer.clear()
        payload = self._parse_line(line) if line else None
        return [payload] if payload is not None else []

    @property
    def pending(self) -> bool:
        """True if bytes of an unterminated line are buffered."""
        return bool(self._buffer)

    def _parse_line(self, raw: bytes) -> str | None:
        line = raw.decode("utf-8", errors="replace").rstrip("\r")
        if self._first_line:
            self._first_line = False
            line = line.removeprefix(_BOM)
        if not line or line.startswith(":"):
            return None
        field, sep, value = line.partition(":")
        if field != "data":
            return None
        if not sep:
            return ""
        return value.removeprefix(" ")
