"""Typed errors of the DeepSeek client and the mapping from HTTP status codes to them.

Every message passes through `redact` before it is stored, so neither `.message` nor `str(exc)`
can carry the API key, even when a server (or a proxy) echoes it back in an error body.
"""

# The class names are the contract in docs/architecture.md, hence no "Error" suffix.
# ruff: noqa: N818

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from deepseek_fim.deepseek.model_resolution import supported_models_from_message

if TYPE_CHECKING:
    from deepseek_fim.deepseek.models import FimResult

REDACTED = "[redacted]"
_MAX_MESSAGE_CHARS = 500
# Belt and braces: anything shaped like a DeepSeek/OpenAI key or a bearer token is hidden too,
# not only the exact key this client holds.
_KEY_SHAPED = re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}|(?i:bearer)\s+[A-Za-z0-9._\-]{6,}")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return `text` with every secret and every key-shaped token replaced by a marker."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _KEY_SHAPED.sub(REDACTED, text)


class DeepSeekError(Exception):
    """Base of all client errors: `.message` (key-free), `.status` and `.retryable`."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        secrets: Iterable[str | None] = (),
        partial: FimResult | None = None,
    ) -> None:
        cleaned = redact(message, secrets)
        if len(cleaned) > _MAX_MESSAGE_CHARS:
            cleaned = cleaned[: _MAX_MESSAGE_CHARS - 1] + "…"
        super().__init__(cleaned)
        self.message = cleaned
        self.status = status
        # What was received before a stream broke off (usage may be set: the server bills it).
        self.partial = partial

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class NoApiKey(DeepSeekError):
    """No API key is configured; raised before anything is sent."""


class BadRequest(DeepSeekError):
    """HTTP 400: invalid body, unknown or retired model, context overflow."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 400,
        secrets: Iterable[str | None] = (),
        partial: FimResult | None = None,
    ) -> None:
        super().__init__(message, status=status, secrets=secrets, partial=partial)
        self.supported_models: tuple[str, ...] = supported_models_from_message(self.message)


class AuthFailed(DeepSeekError):
    """HTTP 401: the API key was refused."""


class InsufficientBalance(DeepSeekError):
    """HTTP 402: the grant is used up or expired and nothing was topped up."""


class InvalidParameters(DeepSeekError):
    """HTTP 422: a parameter is out of range."""


class RateLimited(DeepSeekError):
    """HTTP 429: the account's (dynamic) concurrency limit was reached."""

    retryable = True


class ServerError(DeepSeekError):
    """HTTP 500 and any other 5xx."""

    retryable = True


class Overloaded(ServerError):
    """HTTP 503: the service is overloaded."""


class ApiTimeout(DeepSeekError):
    """No answer (or no end of the stream) within the timeout."""

    retryable = True


class ConnectionFailed(DeepSeekError):
    """Connection refused or dropped, or a stream that ended before `[DONE]` (see `.partial`)."""

    retryable = True


class Unreachable(ConnectionFailed):
    """The API could not be reached before any answer began: refused, reset, DNS, TLS.

    Apart from a stream that broke off after DeepSeek answered: nothing was inferred, so
    nothing is billed and nothing says DeepSeek wants us to slow down (the caller may try again
    at the next pause, see budget/state.py).
    """


_BY_STATUS: dict[int, type[DeepSeekError]] = {
    400: BadRequest,
    401: AuthFailed,
    402: InsufficientBalance,
    422: InvalidParameters,
    429: RateLimited,
    500: ServerError,
    503: Overloaded,
}


def message_from_body(body: bytes | str) -> str | None:
    """Return the message of an OpenAI-style error body, or None if there is none."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    try:
        data: Any = json.loads(text.strip())
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        if isinstance(message, str) and message.strip():
            return message.strip()
    if isinstance(error, str) and error.strip():
        return error.strip()
    message = data.get("message")
    if isinstance(message, str) and message.strip():
        return message.strip()
    return None


def error_for_status(
    status: int,
    body: bytes | str,
    *,
    reason: str = "",
    secrets: Iterable[str | None] = (),
) -> DeepSeekError:
    """Build the typed error for a non-2xx response."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if 500 <= status <= 599 else DeepSeekError
    message = message_from_body(body)
    if message is None:
        message = f"DeepSeek API returned HTTP {status}{' ' + reason if reason else ''}"
    return cls(message, status=status, secrets=secrets)
