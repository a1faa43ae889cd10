"""The fake DeepSeek API's HTTP server on asyncio streams: routing, FIM answers, admin endpoints.

A request's client is watched while the fake waits (latency, keep-alive lines, chunk delays) by
polling the reader for EOF, and on every write, so a client that aborts shows up in the log as
`disconnected` even before a byte of the answer was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
from dataclasses import replace
from decimal import Decimal
from typing import Any

from deepseek_fim.testing.fake_config import FakeConfig
from deepseek_fim.testing.fake_fim import (
    CompletionIds,
    FimBody,
    FimBodyError,
    choice,
    completion_object,
    decode_json,
    make_usage,
    parse_fim_body,
    shape_answer,
    unknown_model_message,
)
from deepseek_fim.testing.fake_http import (
    LAST_CHUNK,
    BadHttpRequestError,
    HttpRequest,
    chunk,
    full_response,
    json_bytes,
    read_request,
    response_head,
)
from deepseek_fim.testing.fake_oracle_files import (
    Continuation,
    first_lines,
    is_right,
    last_word_end,
    locate,
    spoil,
)
from deepseek_fim.testing.fake_state import FakeState, LogEntry
from deepseek_fim.testing.fake_tokens import tokenize

logger = logging.getLogger(__name__)

_POLL_SECONDS = 0.005
_TRUNCATE_DEFAULT_CHUNKS = 2
_ADMIN_PREFIX = "/_fake/"
_FIM_PATH = "/beta/completions"

# Realistic bodies for scripted errors: (message, type, code).
_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: (
        "This model's maximum context length is 131072 tokens. However, you requested 140000 "
        "tokens. Please reduce the length of the prompt or completion.",
        "invalid_request_error",
        "invalid_request_error",
    ),
    401: (
        "Authentication Fails, Your api key is invalid",
        "authentication_error",
        "invalid_request_error",
    ),
    402: ("Insufficient Balance", "unknown_error", "invalid_request_error"),
    422: (
        "Failed to deserialize the JSON body into the target type: temperature: invalid type",
        "invalid_request_error",
        "invalid_request_error",
    ),
    429: ("Rate Limit Reached", "rate_limit_error", "rate_limit_exceeded"),
    500: ("Internal Server Error", "api_error", "internal_error"),
    503: ("Server overloaded, please try again later.", "api_error", "server_overloaded"),
}


def error_payload(
    status: int,
    message: str | None = None,
    *,
    type_: str | None = None,
    code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """Return an OpenAI-style error body, with DeepSeek-like defaults for the status."""
    default_message, default_type, default_code = _ERRORS.get(
        status, ("Error", "invalid_request_error", None)
    )
    return {
        "error": {
            "message": message if message is not None else default_message,
            "type": type_ if type_ is not None else default_type,
            "param": param,
            "code": code if code is not None else default_code,
        }
    }


class _Exchange:
    """One request being answered: its streams, its log entry and whether the client is gone."""

    def __init__(
        self,
        state: FakeState,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: HttpRequest,
        entry: LogEntry,
    ) -> None:
        self.state = state
        self.reader = reader
        self.writer = writer
        self.request = request
        self.entry = entry
        self.gone = False

    def client_gone(self) -> bool:
        if self.reader.at_eof() or self.writer.is_closing():
            self.gone = True
        return self.gone

    async def pause(self, seconds: float) -> bool:
        """Wait `seconds` watching the client; return False as soon as it goes away."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self.client_gone():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return True
            await asyncio.sleep(min(_POLL_SECONDS, remaining))
        return False

    async def send(self, data: bytes) -> bool:
        """Write and drain; return False if the client is gone."""
        if self.client_gone():
            return False
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, OSError):
            self.gone = True
            return False
        return True

    async def reply(self, status: int, payload: Any, *, error: str | None = None) -> bool:
        """Send a whole JSON response; return whether the connection stays open."""
        keep = self.request.keep_alive
        sent = await self.send(full_response(status, payload, keep_alive=keep))
        self.state.finish(
            self.entry, status=status, error=error, completed=sent, disconnected=not sent
        )
        return keep and sent

    async def fail(self, status: int, message: str | None = None, **fields: Any) -> bool:
        payload = error_payload(status, message, **fields)
        return await self.reply(status, payload, error=payload["error"]["message"])


class FakeServer:
    """The fake's asyncio server; all its state lives in a `FakeState`."""

    def __init__(self, state: FakeState) -> None:
        self.state = state
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen on `host:port` (0 picks a free port); return the bound address."""
        self._server = await asyncio.start_server(self._serve_connection, host, port)
        bound = self._server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def close(self) -> None:
        """Stop listening and drop every open connection."""
        if self._server is not None:
            self._server.close()
        # Closing the transports ends every handler at its next read or wait; cancelling is the
        # fallback only, because asyncio's stream callback logs an error for a cancelled handler.
        for writer in list(self._writers):
            writer.transport.abort()
        tasks = list(self._connections)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=1.0)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        self._writers.add(writer)
        connection_id = self.state.new_connection_id()
        try:
            while await self._serve_one(connection_id, reader, writer):
                pass
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            logger.debug("fake DeepSeek: connection %d broke", connection_id)
        except asyncio.CancelledError:
            # Only close() cancels a handler, and it waits for it: end quietly.
            logger.debug("fake DeepSeek: connection %d cancelled at shutdown", connection_id)
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            if task is not None:
                self._connections.discard(task)

    async def _serve_one(
        self, connection_id: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; return whether to wait for another on this connection."""
        try:
            request = await read_request(reader)
        except BadHttpRequestError as exc:
            writer.write(
                full_response(exc.status, error_payload(exc.status, exc.message), keep_alive=False)
            )
            await writer.drain()
            return False
        if request is None:
            return False
        if request.path.startswith(_ADMIN_PREFIX):
            response, keep = self._admin(request)
            writer.write(response)
            await writer.drain()
            return keep
        if self.state.config.reset_connections:
            self.state.count_reset()
            _reset(writer)
            return False
        entry = self.state.begin(connection_id, request.method, request.path)
        exchange = _Exchange(self.state, reader, writer, request, entry)
        keep = False
        try:
            keep = await self._api(exchange)
        finally:
            self.state.finish(entry, disconnected=exchange.gone)
            self._log_line(entry)
        return keep

    @staticmethod
    def _log_line(entry: LogEntry) -> None:
        elapsed_ms = (entry["finished"] - entry["started"]) * 1000
        flags = [name for name in ("completed", "disconnected") if entry[name]]
        logger.info(
            "#%d conn=%d %s %s -> %s %.0fms %s",
            entry["id"],
            entry["connection_id"],
            entry["method"],
            entry["path"],
            entry["status"] if entry["status"] is not None else "closed",
            elapsed_ms,
            ",".join(flags) or "incomplete",
        )

    # --- the API -------------------------------------------------------------------------------

    async def _api(self, ex: _Exchange) -> bool:
        request = ex.request
        routes = {_FIM_PATH: "POST", "/models": "GET", "/user/balance": "GET"}
        method = routes.get(request.path)
        if method is None:
            return await ex.fail(404, f"Not Found: {request.path}", type_="invalid_request_error")
        if request.method != method:
            return await ex.fail(405, "Method Not Allowed", type_="invalid_request_error")
        config = self.state.config
        key = _bearer_key(request)
        self.state.update(ex.entry, has_auth=key is not None)
        if key is None or (config.api_key is not None and key != config.api_key):
            return await ex.fail(401)
        if request.path != _FIM_PATH and not await ex.pause(config.meta_latency_ms / 1000):
            return False
        if request.path == "/models":
            models = [{"id": m, "object": "model", "owned_by": "deepseek"} for m in config.models]
            return await ex.reply(200, {"object": "list", "data": models})
        if request.path == "/user/balance":
            return await ex.reply(200, self._balance_payload())
        return await self._fim(ex)

    def _balance_payload(self) -> dict[str, Any]:
        balance = self.state.balance
        quantum = Decimal(1).scaleb(-self.state.config.balance_decimals)
        shown = str(max(balance, Decimal(0)).quantize(quantum))
        info = {
            "currency": "USD",
            "total_balance": shown,
            "granted_balance": shown,
            "topped_up_balance": str(Decimal(0).quantize(quantum)),
        }
        return {"is_available": balance > 0, "balance_infos": [info]}

    async def _fim(self, ex: _Exchange) -> bool:
        config = self.state.config
        try:
            data = decode_json(ex.request.body)
            self.state.update(ex.entry, body=data)
            body = parse_fim_body(data, max_output_tokens=config.max_output_tokens)
        except FimBodyError as exc:
            return await ex.fail(exc.status, exc.message, param=exc.param)
        self.state.update(ex.entry, stream=body.stream)
        model_message = unknown_model_message(body.model, config.models)
        if model_message is not None:
            return await ex.fail(400, model_message, param="model")
        if self.state.balance <= 0:
            return await ex.fail(402)

        script = self.state.pop_script() or {}
        self.state.update(ex.entry, scripted=script or None)
        latency = script.get("latency_ms", config.latency_ms) / 1000
        if not await ex.pause(latency):
            return False
        status = script.get("status", 200)
        if status != 200:
            return await ex.fail(
                status,
                script.get("message"),
                type_=script.get("type"),
                code=script.get("code"),
                param=script.get("param"),
            )
        if script.get("drop"):
            return False

        ids = CompletionIds.new(body.model)
        keepalive_lines = script.get("keepalive_lines", config.keepalive_lines)
        if (body.stream or keepalive_lines) and not await self._send_chunked_head(ex, body):
            return False
        interval = script.get("keepalive_interval_ms", config.keepalive_interval_ms) / 1000
        line = b": keep-alive\n\n" if body.stream else b"\n"
        for _ in range(keepalive_lines):
            if not await ex.send(chunk(line)) or not await ex.pause(interval):
                return False

        answer, run_on = (script["text"], "") if "text" in script else _answer(config, body)
        text, finish_reason = shape_answer(answer, body)
        finish_reason = script.get("finish_reason", finish_reason)
        # A model writes on to the stop or max_tokens and is paid for all of it.
        billed = shape_answer(answer + run_on, body)[0] if run_on else text
        usage = self._bill(body, billed, ex.entry["started"])
        self.state.update(
            ex.entry, response_text=text, finish_reason=finish_reason, usage=usage, status=200
        )
        truncate = script.get("truncate", False)
        if body.stream:
            usage_location = script.get("usage_location", config.usage_location)
            send_usage = body.include_usage or config.stream_usage_always
            delay = script.get("chunk_delay_ms", config.chunk_delay_ms) / 1000
            return await self._stream(
                ex,
                ids,
                text,
                finish_reason,
                usage if send_usage else None,
                usage_location,
                delay,
                truncate,
            )
        payload = json_bytes(completion_object(ids, [choice(text, finish_reason)], usage))
        return await self._send_json(ex, payload, chunked=bool(keepalive_lines), truncate=truncate)

    def _bill(self, body: FimBody, text: str, sent_at: float) -> dict[str, int]:
        prompt_tokens = tokenize(body.prompt) + tokenize(body.suffix)
        hit = self.state.cache_hits(prompt_tokens, sent_at)
        usage = make_usage(len(prompt_tokens), hit, len(tokenize(text)))
        self.state.charge(usage)
        return usage

    @staticmethod
    async def _send_chunked_head(ex: _Exchange, body: FimBody) -> bool:
        content_type = "text/event-stream; charset=utf-8" if body.stream else "application/json"
        headers = {
            "Content-Type": content_type,
            "Transfer-Encoding": "chunked",
            "Cache-Control": "no-cache",
            "Connection": "keep-alive" if ex.request.keep_alive else "close",
        }
        ex.state.update(ex.entry, status=200)
        return await ex.send(response_head(200, headers))

    async def _send_json(
        self, ex: _Exchange, payload: bytes, *, chunked: bool, truncate: bool | int
    ) -> bool:
        keep = ex.request.keep_alive
        if chunked:
            data = chunk(payload) + LAST_CHUNK
        else:
            headers = {
                "Content-Type": "application/json",
                "Content-Length": str(len(payload)),
                "Connection": "keep-alive" if keep else "close",
            }
            data = response_head(200, headers) + payload
        if truncate:
            # Cut inside the body: the framing promises more than is sent.
            await ex.send(data[: len(data) - len(payload) // 2 - (7 if chunked else 0)])
            self.state.finish(ex.entry, completed=False)
            return False
        sent = await ex.send(data)
        self.state.finish(ex.entry, completed=sent)
        return keep and sent

    async def _stream(
        self,
        ex: _Exchange,
        ids: CompletionIds,
        text: str,
        finish_reason: str,
        usage: dict[str, int] | None,
        usage_location: str,
        delay: float,
        truncate: bool | int,
    ) -> bool:
        events = [completion_object(ids, [choice(piece, None)], None) for piece in tokenize(text)]
        if truncate:
            limit = _TRUNCATE_DEFAULT_CHUNKS if truncate is True else int(truncate)
            for event in events[:limit]:
                if not await self._send_event(ex, event, delay):
                    return False
            self.state.finish(ex.entry, completed=False)
            return False
        last_usage = usage if usage_location == "last_chunk" else None
        events.append(completion_object(ids, [choice("", finish_reason)], last_usage))
        if usage is not None and usage_location == "separate":
            events.append(completion_object(ids, [], usage))
        for event in events:
            if not await self._send_event(ex, event, delay):
                return False
        sent = await ex.send(chunk(b"data: [DONE]\n\n") + LAST_CHUNK)
        self.state.finish(ex.entry, completed=sent)
        return ex.request.keep_alive and sent

    @staticmethod
    async def _send_event(ex: _Exchange, event: dict[str, Any], delay: float) -> bool:
        if not await ex.send(chunk(b"data: " + json_bytes(event) + b"\n\n")):
            return False
        return await ex.pause(delay)

    # --- admin ---------------------------------------------------------------------------------

    def _admin(self, request: HttpRequest) -> tuple[bytes, bool]:
        """Answer a `/_fake/...` request; return the response bytes and whether to keep alive."""
        keep = request.keep_alive
        name = request.path[len(_ADMIN_PREFIX) :]
        try:
            payload = self._admin_payload(request.method, name, request.body)
        except LookupError:
            return full_response(
                404,
                error_payload(404, f"no admin endpoint {request.method} {request.path}"),
                keep_alive=keep,
            ), keep
        except (ValueError, TypeError) as exc:
            return full_response(400, error_payload(400, str(exc)), keep_alive=keep), keep
        return full_response(200, payload, keep_alive=keep), keep

    def _admin_payload(self, method: str, name: str, raw: bytes) -> Any:
        if (method, name) == ("GET", "log"):
            return self.state.snapshot()
        if (method, name) == ("GET", "config"):
            return self.state.config.to_json()
        if method != "POST" or name not in ("config", "script", "reset"):
            raise LookupError(name)
        if name == "reset":
            self.state.reset()
            return {"ok": True}
        data = json.loads(raw or b"null")
        if name == "config":
            if not isinstance(data, dict):
                raise ValueError("POST /_fake/config expects a JSON object")
            return self.state.configure(data).to_json()
        entries = data if isinstance(data, list) else [data]
        return {"queued": self.state.add_script(entries)}


def _reset(writer: asyncio.StreamWriter) -> None:
    """Drop the connection with a TCP reset (SO_LINGER 0), as a broken route or proxy does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _answer(config: FakeConfig, body: FimBody) -> tuple[str, str]:
    """The model's text before stops and max_tokens: an oracle's, else the fixed completion.

    Also what a model writes on after it (`oracle_run_on`), billed but not sent; or, with
    `oracle_sends_run_on`, sent as part of the text (each of its units right or not on its own).
    """
    texts = config.oracle_files
    found = locate(texts, body.prompt, body.suffix) if texts else None
    if found is None:
        return config.completion, ""
    middle = texts[found.text][found.cursor : found.end]
    answer, taken = _oracle_unit(config, found, middle)
    if not config.oracle_run_on:
        return answer, ""
    if not config.oracle_sends_run_on:
        # Run on: the model writes on to where the suffix begins; stops and max_tokens cut it.
        return answer, middle[taken:]
    parts = [answer]
    while taken < len(middle):
        place = replace(found, cursor=found.cursor + taken)
        unit, length = _oracle_unit(config, place, middle[taken:])
        if not length:
            break
        parts.append(unit)
        taken += length
    return "".join(parts), ""


def _oracle_unit(config: FakeConfig, found: Continuation, middle: str) -> tuple[str, int]:
    """The oracle's next `oracle_lines` lines from `found`, right or spoiled; and their length."""
    answer = first_lines(middle, config.oracle_lines)
    at = last_word_end(found, answer) if config.oracle_errors == "word" else found.cursor
    right = is_right(found, config.oracle_accuracy, config.oracle_seed, at=at)
    return (answer if right else spoil(answer)), len(answer)


def _bearer_key(request: HttpRequest) -> str | None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None
