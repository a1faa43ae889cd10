"""`DeepSeekClient`: one kept-alive `httpx.AsyncClient` for FIM, `/models` and `/user/balance`.

Settings changes (key or base URL): the owner builds a new `DeepSeekClient` and `aclose()`s the old
one; a client never changes its key or base URL after construction, so a request in flight always
finishes with the settings it started with.

Cancellation (`asyncio.CancelledError`) is never caught: it propagates out of every method, and the
`async with client.stream(...)` block closes the response, so the server sees the connection drop.

httpcore (1.0.9, its issues 830 and 1093) can leak a pool slot when a request is cancelled while it
waits for a connection: after a few cancelled keystrokes every slot may be held by a connection
that no request owns, and every later request waits for the pool until it times out. Two guards:
our own requests wait for a slot in an `asyncio.Semaphore` (cancellation-safe) rather than inside
the pool, and a request that still cannot get a connection within `POOL_TIMEOUT` finds the pool
stuck: it is replaced by a new one and the request is sent again (nothing was sent yet, so
nothing can be billed twice).

A `SendProgress` given to `complete` says afterwards whether the request's body had been written
to the connection (httpcore's `trace` extension): from then on DeepSeek may bill its prompt even
if the request is aborted.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from deepseek_fim import __version__
from deepseek_fim.deepseek.errors import (
    ApiTimeout,
    ConnectionFailed,
    DeepSeekError,
    NoApiKey,
    Unreachable,
    error_for_status,
)
from deepseek_fim.deepseek.models import Balance, FimRequest, FimResult, Usage
from deepseek_fim.deepseek.sse import SseLineParser
from deepseek_fim.deepseek.urls import balance_url, fim_url, models_url, validate_base_url

logger = logging.getLogger(__name__)

USER_AGENT = f"deepseek-fim/{__version__}"
CONNECT_TIMEOUT = 5.0
# A language server sends one completion at a time (superseded ones are cancelled) plus rare
# /models and /user/balance calls: a few warm connections are enough.
LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=2, keepalive_expiry=60.0)
_DONE = "[DONE]"
DRAIN_TIMEOUT = 0.5
# Our requests never wait inside the pool (the semaphore admits at most `max_connections`), so a
# request that waits this long for a connection can only be waiting for a leaked slot.
POOL_TIMEOUT = 1.0


@dataclass
class SendProgress:
    """How far one request got: set while it runs, read after it ends (or was cancelled)."""

    body_sent: bool = False  # the whole request was written to the connection

    async def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """The `trace` extension callback of httpcore (`http11.send_request_body.complete`, ...)."""
        if event.endswith("send_request_body.complete"):
            self.body_sent = True


class _StreamState:
    """What the chunks of one stream have said so far."""

    def __init__(self, model: str) -> None:
        self.parts: list[str] = []
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.model = model
        self.started = False  # a 2xx answer arrived: from here on there is something to report

    def partial(self) -> FimResult | None:
        return self.result(truncated=True) if self.started else None

    def add_chunk(self, chunk: Any) -> None:
        if not isinstance(chunk, Mapping):
            raise ValueError("stream chunk is not a JSON object")
        model = chunk.get("model")
        if isinstance(model, str) and model:
            self.model = model
        usage = Usage.from_api(chunk.get("usage"))
        if usage is not None:
            self.usage = usage
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            return
        for choice in choices:
            if not isinstance(choice, Mapping) or choice.get("index", 0) != 0:
                continue
            text = choice.get("text")
            if isinstance(text, str):
                self.parts.append(text)
            reason = choice.get("finish_reason")
            if isinstance(reason, str) and reason:
                self.finish_reason = reason

    def result(self, *, truncated: bool) -> FimResult:
        return FimResult(
            text="".join(self.parts),
            finish_reason=self.finish_reason,
            usage=self.usage,
            model=self.model,
            truncated=truncated,
        )


def _loads_lenient(body: bytes) -> Any:
    """Parse a JSON body that may be preceded by keep-alive blank lines."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        raise ValueError("empty response body")
    return json.loads(text)


class DeepSeekClient:
    """Client of the DeepSeek API: streaming FIM completions, models and balance."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = validate_base_url(base_url).strip()
        self._api_key = api_key.strip() if api_key and api_key.strip() else None
        if self._api_key is not None and not (
            self._api_key.isascii() and self._api_key.isprintable()
        ):
            # Never echo the key itself: it would end up in logs.
            raise ValueError("the DeepSeek API key contains characters not allowed in a header")
        self._timeout = timeout
        self._transport = transport
        self._slots = asyncio.Semaphore(LIMITS.max_connections or 1)
        self._closing: set[asyncio.Task[None]] = set()
        self.pools_replaced = 0
        self._http = self._new_http()

    def _new_http(self) -> httpx.AsyncClient:
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if self._api_key is not None:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(
                self._timeout,
                connect=min(CONNECT_TIMEOUT, self._timeout),
                pool=min(POOL_TIMEOUT, self._timeout),
            ),
            limits=LIMITS,
            transport=self._transport,
            follow_redirects=False,
            trust_env=False,
        )

    def _replace_stuck_pool(self) -> None:
        """Swap in a new connection pool; the stuck one is closed in the background."""
        stuck, self._http = self._http, self._new_http()
        self.pools_replaced += 1
        logger.warning("the HTTP connection pool was stuck (slots leaked by cancelled requests)")
        task = asyncio.ensure_future(_close_quietly(stuck))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def has_key(self) -> bool:
        return self._api_key is not None

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    async def complete(self, req: FimRequest, progress: SendProgress | None = None) -> FimResult:
        """Run a streaming FIM request (usage included) and return the whole result.

        Raises ConnectionFailed with `.partial` (truncated, usage if seen) when the stream ends
        before `[DONE]`. `progress` records whether the request was sent (see the module).
        """
        self._require_key()
        state = _StreamState(req.model)
        extensions = {"trace": progress.trace} if progress is not None else None
        try:
            async with asyncio.timeout(self._timeout) as deadline, self._slots:
                try:
                    return await self._stream(req, state, deadline, extensions)
                except httpx.PoolTimeout:
                    self._replace_stuck_pool()
                    return await self._stream(req, state, deadline, extensions)
        except httpx.ConnectTimeout as exc:
            raise Unreachable(
                f"connection to DeepSeek failed: no connection within {CONNECT_TIMEOUT:g}s",
                secrets=self._secrets,
            ) from exc
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise ApiTimeout(
                f"DeepSeek did not finish within {self._timeout:g}s",
                secrets=self._secrets,
                partial=state.partial(),
            ) from exc
        except httpx.TransportError as exc:
            kind = ConnectionFailed if state.started else _transport_error_kind(exc)
            raise kind(
                f"connection to DeepSeek failed: {type(exc).__name__}: {exc}",
                secrets=self._secrets,
                partial=state.partial(),
            ) from exc
        except ValueError as exc:
            raise ConnectionFailed(
                f"malformed response from DeepSeek: {exc}",
                secrets=self._secrets,
                partial=state.partial(),
            ) from exc

    async def _stream(
        self,
        req: FimRequest,
        state: _StreamState,
        deadline: asyncio.Timeout,
        extensions: dict[str, Any] | None,
    ) -> FimResult:
        async with self._http.stream(
            "POST", fim_url(self._base_url), json=req.to_json(stream=True), extensions=extensions
        ) as response:
            await self._raise_for_status(response)
            state.started = True
            if _is_json(response):
                # A server that ignored `stream` answered with a plain body.
                return _result_from_json(_loads_lenient(await response.aread()), req.model)
            chunks = response.aiter_bytes()
            result = await self._read_stream(chunks, state)
            deadline.reschedule(None)
            await _drain(chunks)
            return result

    async def complete_json(self, req: FimRequest) -> FimResult:
        """Run a non-streaming FIM request; leading blank lines before the JSON are skipped."""
        self._require_key()
        data = await self._request_json("POST", fim_url(self._base_url), req.to_json(stream=False))
        return _result_from_json(data, req.model)

    async def list_models(self) -> tuple[str, ...]:
        """Return the model ids of `GET {root}/models`."""
        self._require_key()
        data = await self._request_json("GET", models_url(self._base_url), None)
        items = data.get("data") if isinstance(data, Mapping) else None
        if not isinstance(items, list):
            raise ConnectionFailed("malformed /models response from DeepSeek")
        return tuple(
            item["id"]
            for item in items
            if isinstance(item, Mapping) and isinstance(item.get("id"), str)
        )

    async def balance(self) -> Balance:
        """Return `GET {root}/user/balance`."""
        self._require_key()
        data = await self._request_json("GET", balance_url(self._base_url), None)
        try:
            return Balance.from_api(data)
        except ValueError as exc:
            raise ConnectionFailed(f"malformed balance response from DeepSeek: {exc}") from exc

    @property
    def _secrets(self) -> tuple[str | None, ...]:
        return (self._api_key,)

    def _require_key(self) -> None:
        if self._api_key is None:
            raise NoApiKey("no DeepSeek API key is set (deepseekFim.apiKey or DEEPSEEK_API_KEY)")

    async def _raise_for_status(self, response: httpx.Response) -> None:
        if response.is_success:
            return
        body = await response.aread()
        error = error_for_status(
            response.status_code, body, reason=response.reason_phrase, secrets=self._secrets
        )
        logger.debug("DeepSeek HTTP %s: %s", response.status_code, error.message)
        raise error

    async def _read_stream(self, chunks: AsyncIterator[bytes], state: _StreamState) -> FimResult:
        parser = SseLineParser()
        async for chunk in chunks:
            for payload in parser.feed(chunk):
                if self._handle_payload(payload, state):
                    return state.result(truncated=False)
        for payload in parser.finish():
            if self._handle_payload(payload, state):
                return state.result(truncated=False)
        raise ConnectionFailed(
            "DeepSeek stream ended before [DONE]",
            secrets=self._secrets,
            partial=state.result(truncated=True),
        )

    @staticmethod
    def _handle_payload(payload: str, state: _StreamState) -> bool:
        """Apply one `data:` payload; return True at `[DONE]`."""
        if payload.strip() == _DONE:
            return True
        if payload.strip():
            state.add_chunk(json.loads(payload))
        return False

    async def _request_json(self, method: str, url: str, body: dict[str, Any] | None) -> Any:
        try:
            async with asyncio.timeout(self._timeout), self._slots:
                try:
                    response = await self._http.request(method, url, json=body)
                except httpx.PoolTimeout:
                    self._replace_stuck_pool()
                    response = await self._http.request(method, url, json=body)
                await self._raise_for_status(response)
                return _loads_lenient(response.content)
        except DeepSeekError:
            raise
        except httpx.ConnectTimeout as exc:
            raise Unreachable(
                f"connection to DeepSeek failed: no connection within {CONNECT_TIMEOUT:g}s",
                secrets=self._secrets,
            ) from exc
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise ApiTimeout(
                f"DeepSeek did not answer within {self._timeout:g}s", secrets=self._secrets
            ) from exc
        except httpx.TransportError as exc:
            raise _transport_error_kind(exc)(
                f"connection to DeepSeek failed: {type(exc).__name__}: {exc}",
                secrets=self._secrets,
            ) from exc
        except ValueError as exc:
            raise ConnectionFailed(
                f"malformed response from DeepSeek: {exc}", secrets=self._secrets
            ) from exc


async def _close_quietly(http: httpx.AsyncClient) -> None:
    """Close a replaced pool; its leaked connections may fail to close cleanly."""
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            await http.aclose()
    except Exception:
        logger.debug("closing the replaced connection pool failed", exc_info=True)


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """Read what follows `[DONE]` (the chunked terminator) so the connection can be reused."""
    try:
        async with asyncio.timeout(DRAIN_TIMEOUT):
            async for _ in chunks:
                pass
    except (TimeoutError, httpx.HTTPError):
        # An unreusable connection is only a lost optimisation: closing the response drops it.
        logger.debug("could not drain the stream after [DONE]")


def _transport_error_kind(exc: httpx.TransportError) -> type[ConnectionFailed]:
    """`Unreachable` for a failure before any answer (refused, reset, DNS, TLS handshake).

    httpx reports refused connections, DNS and TLS failures as ConnectError, and a connection
    reset or closed before the response head as ReadError, WriteError or RemoteProtocolError.
    Anything else (a proxy error, an unsupported URL) stays a plain ConnectionFailed.
    """
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        return Unreachable
    return ConnectionFailed


def _is_json(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.lower().startswith("application/json")


def _result_from_json(data: Any, model: str) -> FimResult:
    if not isinstance(data, Mapping):
        raise ConnectionFailed("malformed completion response from DeepSeek")
    state = _StreamState(model)
    state.add_chunk(data)
    return state.result(truncated=False)
