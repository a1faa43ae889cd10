"""DeepSeekClient.complete / complete_json over httpx.MockTransport."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx
import pytest

from deepseek_fim import __version__
from deepseek_fim.deepseek import (
    ApiTimeout,
    AuthFailed,
    BadRequest,
    ConnectionFailed,
    DeepSeekClient,
    DeepSeekError,
    FimRequest,
    FimResult,
    InsufficientBalance,
    InvalidParameters,
    NoApiKey,
    Overloaded,
    RateLimited,
    ServerError,
    Unreachable,
    Usage,
)

KEY = "sk-fake-test-key"
BASE = "https://api.deepseek.com"
REQ = FimRequest(
    model="deepseek-flash",
    prompt="def add(a, b):\n    ",
    suffix="\n",
    max_tokens=48,
    temperature=0.0,
    stop=("\n\n", "```"),
)
USAGE = {
    "prompt_tokens": 120,
    "prompt_cache_hit_tokens": 64,
    "prompt_cache_miss_tokens": 56,
    "completion_tokens": 5,
    "total_tokens": 125,
}


def chunk(text: str | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choices = [] if text is None else [{"index": 0, "text": text, "finish_reason": finish}]
    return {
        "id": "c1",
        "object": "text_completion",
        "model": "deepseek-flash",
        "choices": choices,
        **extra,
    }


def sse(*events: dict[str, Any] | str, done: bool = True) -> bytes:
    out = b""
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event)
        out += f"data: {data}\n\n".encode()
    if done:
        out += b"data: [DONE]\n\n"
    return out


class Recorder:
    def __init__(self, respond: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self._respond = respond

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._respond(request)


def make_client(
    respond: Callable[[httpx.Request], httpx.Response],
    *,
    key: str | None = KEY,
    timeout: float = 10.0,
) -> tuple[DeepSeekClient, Recorder]:
    recorder = Recorder(respond)
    client = DeepSeekClient(BASE, key, timeout=timeout, transport=httpx.MockTransport(recorder))
    return client, recorder


def stream_response(
    body: bytes | Iterable[bytes], status: int = 200
) -> Callable[[httpx.Request], httpx.Response]:
    parts = [body] if isinstance(body, bytes) else list(body)

    def respond(_: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status, headers={"content-type": "text/event-stream"}, stream=ListStream(parts)
        )

    return respond


class ListStream(httpx.AsyncByteStream):
    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part


async def test_request_body_headers_and_url() -> None:
    client, rec = make_client(
        stream_response(sse(chunk("return a + b", "stop"), chunk(usage=USAGE)))
    )
    await client.complete(REQ)
    await client.aclose()
    (request,) = rec.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.deepseek.com/beta/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == f"deepseek-fim/{__version__}"
    assert json.loads(request.content) == {
        "model": "deepseek-flash",
        "prompt": REQ.prompt,
        "suffix": "\n",
        "max_tokens": 48,
        "temperature": 0.0,
        "stop": ["\n\n", "```"],
        "stream": True,
        "stream_options": {"include_usage": True},
    }


async def test_usage_only_chunk_with_empty_choices() -> None:
    body = sse(chunk("return "), chunk("a + b"), chunk("", "stop"), chunk(usage=USAGE))
    client, _ = make_client(stream_response(body))
    result = await client.complete(REQ)
    assert result == FimResult(
        text="return a + b",
        finish_reason="stop",
        usage=Usage(hit=64, miss=56, output=5),
        model="deepseek-flash",
        truncated=False,
    )
    assert result.complete


async def test_usage_on_the_last_chunk_with_choices() -> None:
    body = sse(chunk("x = "), chunk("1", "length", usage=USAGE))
    client, _ = make_client(stream_response(body))
    result = await client.complete(REQ)
    assert (result.text, result.finish_reason, result.usage) == (
        "x = 1",
        "length",
        Usage(64, 56, 5),
    )
    assert result.complete


async def test_chunks_without_choices_key_and_keep_alives_split_across_reads() -> None:
    raw = b": keep-alive\r\n\r\n\r\n: keep-alive\n\n" + sse(
        {"id": "c1", "model": "deepseek-flash"}, chunk("pass", "stop"), chunk(usage=USAGE)
    )
    parts = [raw[i : i + 7] for i in range(0, len(raw), 7)]
    client, _ = make_client(stream_response(parts))
    result = await client.complete(REQ)
    assert result.text == "pass"
    assert result.finish_reason == "stop"
    assert result.usage == Usage(64, 56, 5)


async def test_interrupted_finish_reason_is_not_complete() -> None:
    client, _ = make_client(stream_response(sse(chunk("ret", "insufficient_system_resource"))))
    result = await client.complete(REQ)
    assert result.finish_reason == "insufficient_system_resource"
    assert not result.truncated
    assert not result.complete


async def test_truncated_stream_raises_connection_failed_with_partial() -> None:
    body = sse(chunk("return a"), chunk("", None, usage=USAGE), done=False)
    client, _ = make_client(stream_response(body))
    with pytest.raises(ConnectionFailed) as info:
        await client.complete(REQ)
    partial = info.value.partial
    assert partial is not None
    assert partial.truncated
    assert not partial.complete
    assert partial.text == "return a"
    assert partial.usage == Usage(64, 56, 5)
    assert info.value.retryable


async def test_stream_cut_inside_a_json_line_is_truncated() -> None:
    body = sse(chunk("ab"), done=False) + b'data: {"choices": [{"te'
    client, _ = make_client(stream_response(body))
    with pytest.raises(ConnectionFailed) as info:
        await client.complete(REQ)
    assert info.value.partial is not None
    assert info.value.partial.truncated
    assert info.value.partial.text == "ab"


async def test_done_without_trailing_newline_still_completes() -> None:
    body = sse(chunk("ok", "stop"), done=False) + b"data: [DONE]"
    client, _ = make_client(stream_response(body))
    assert (await client.complete(REQ)).text == "ok"


async def test_read_error_mid_stream_is_connection_failed() -> None:
    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield sse(chunk("par"), done=False)
            raise httpx.ReadError("connection reset")

    client, _ = make_client(lambda _: httpx.Response(200, stream=Broken()))
    with pytest.raises(ConnectionFailed) as info:
        await client.complete(REQ)
    assert info.value.partial is not None
    assert info.value.partial.text == "par"
    assert info.value.partial.truncated
    # DeepSeek had answered (and may bill): not "unreachable", which skips the backoff.
    assert not isinstance(info.value, Unreachable)


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("peer closed"),
        httpx.ReadError("reset"),
        httpx.WriteError("broken pipe"),
        httpx.ConnectTimeout("no SYN-ACK"),
    ],
)
async def test_failures_before_any_answer_are_unreachable(exc: httpx.TransportError) -> None:
    """Refused, reset, DNS, TLS, no connection: `Unreachable` (a ConnectionFailed)."""

    def respond(_: httpx.Request) -> httpx.Response:
        raise exc

    client, _ = make_client(respond)
    with pytest.raises(Unreachable) as info:
        await client.complete(REQ)
    assert isinstance(info.value, ConnectionFailed)
    assert info.value.retryable
    assert info.value.status is None
    assert info.value.partial is None
    assert isinstance(info.value.__cause__, type(exc))


@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout("slow"), httpx.WriteTimeout("slow"), httpx.PoolTimeout("slow")]
)
async def test_httpx_timeouts_become_api_timeout(exc: httpx.TimeoutException) -> None:
    """Timeouts once connected are DeepSeek's throttling: they keep their backoff."""

    def respond(_: httpx.Request) -> httpx.Response:
        raise exc

    client, _ = make_client(respond)
    with pytest.raises(ApiTimeout) as info:
        await client.complete(REQ)
    assert info.value.retryable


async def test_total_timeout_bounds_a_stream_of_keep_alives() -> None:
    class KeepAliveForever(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            while True:
                yield b": keep-alive\n\n"
                await asyncio.sleep(0.01)

    client, _ = make_client(lambda _: httpx.Response(200, stream=KeepAliveForever()), timeout=0.2)
    with pytest.raises(ApiTimeout):
        await client.complete(REQ)


ERROR_CASES = [
    (400, BadRequest, False),
    (401, AuthFailed, False),
    (402, InsufficientBalance, False),
    (422, InvalidParameters, False),
    (429, RateLimited, True),
    (500, ServerError, True),
    (502, ServerError, True),
    (503, Overloaded, True),
]


@pytest.mark.parametrize(("status", "cls", "retryable"), ERROR_CASES)
@pytest.mark.parametrize("streaming", [True, False])
async def test_status_codes_map_to_typed_errors(
    status: int, cls: type[DeepSeekError], retryable: bool, streaming: bool
) -> None:
    body = {"error": {"message": f"problem {status}", "type": "x", "param": None, "code": None}}
    client, _ = make_client(lambda _: httpx.Response(status, json=body))
    with pytest.raises(DeepSeekError) as info:
        await (client.complete(REQ) if streaming else client.complete_json(REQ))
    assert type(info.value) is cls
    assert info.value.status == status
    assert info.value.retryable is retryable
    assert info.value.message == f"problem {status}"
    assert str(info.value) == f"problem {status}"


async def test_error_without_json_body_gets_a_plain_message() -> None:
    client, _ = make_client(lambda _: httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(ServerError) as info:
        await client.complete(REQ)
    assert info.value.message == "DeepSeek API returned HTTP 502 Bad Gateway"


async def test_unknown_4xx_is_a_plain_non_retryable_error() -> None:
    client, _ = make_client(lambda _: httpx.Response(404, json={"error": {"message": "Not Found"}}))
    with pytest.raises(DeepSeekError) as info:
        await client.complete(REQ)
    assert type(info.value) is DeepSeekError
    assert (info.value.status, info.value.retryable, info.value.message) == (
        404,
        False,
        "Not Found",
    )


async def test_bad_request_lists_supported_models() -> None:
    message = (
        "The supported API model names are deepseek-flash, deepseek-v4-flash, "
        "but you passed deepseek-chat."
    )
    client, _ = make_client(lambda _: httpx.Response(400, json={"error": {"message": message}}))
    with pytest.raises(BadRequest) as info:
        await client.complete(REQ)
    assert info.value.supported_models == ("deepseek-flash", "deepseek-v4-flash")
    assert not info.value.retryable


async def test_error_body_after_leading_blank_lines() -> None:
    body = b"\n\n\n" + json.dumps({"error": {"message": "Insufficient Balance"}}).encode()
    client, _ = make_client(lambda _: httpx.Response(402, content=body))
    with pytest.raises(InsufficientBalance, match="Insufficient Balance"):
        await client.complete(REQ)


@pytest.mark.parametrize("status", [401, 500])
async def test_api_key_is_redacted_from_error_messages(status: int) -> None:
    body = {"error": {"message": f"Authentication Fails, your key {KEY} (Bearer {KEY}) is bad"}}
    client, _ = make_client(lambda _: httpx.Response(status, json=body))
    with pytest.raises(DeepSeekError) as info:
        await client.complete(REQ)
    assert "Authentication Fails" in info.value.message
    assert KEY not in info.value.message
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)
    assert "[redacted]" in info.value.message


async def test_api_key_is_redacted_from_plain_text_bodies_of_other_shapes() -> None:
    body = {"message": f"proxy says key={KEY}"}
    client, _ = make_client(lambda _: httpx.Response(503, json=body))
    with pytest.raises(Overloaded) as info:
        await client.complete(REQ)
    assert KEY not in str(info.value)
    assert info.value.message.startswith("proxy says key=")


@pytest.mark.parametrize("key", [None, "", "   "])
async def test_no_key_sends_nothing(key: str | None) -> None:
    client, rec = make_client(stream_response(sse(chunk("x", "stop"))), key=key)
    assert not client.has_key
    for call in (
        client.complete(REQ),
        client.complete_json(REQ),
        client.list_models(),
        client.balance(),
    ):
        with pytest.raises(NoApiKey) as info:
            await call
        assert not info.value.retryable
        assert not isinstance(info.value, AuthFailed)
    assert rec.requests == []
    await client.aclose()


async def test_cancellation_propagates_and_closes_the_stream() -> None:
    first_chunk_sent = asyncio.Event()
    closed = asyncio.Event()

    class Blocking(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b": keep-alive\n\n" + sse(chunk("par"), done=False)
            first_chunk_sent.set()
            await asyncio.Event().wait()
            yield b""  # pragma: no cover

        async def aclose(self) -> None:
            closed.set()

    client, _ = make_client(lambda _: httpx.Response(200, stream=Blocking()))
    task = asyncio.create_task(client.complete(REQ))
    await asyncio.wait_for(first_chunk_sent.wait(), 2)
    await asyncio.sleep(0)
    assert not closed.is_set()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closed.is_set()
    assert task.cancelled()
    await client.aclose()


async def test_complete_json_skips_leading_blank_lines() -> None:
    payload = {
        "id": "c1",
        "object": "text_completion",
        "model": "deepseek-flash",
        "choices": [
            {"index": 0, "text": "return a + b", "finish_reason": "stop", "logprobs": None}
        ],
        "usage": USAGE,
    }
    body = b"\n\n \r\n\n" + json.dumps(payload).encode()
    client, rec = make_client(lambda _: httpx.Response(200, content=body))
    result = await client.complete_json(REQ)
    assert result == FimResult("return a + b", "stop", Usage(64, 56, 5), "deepseek-flash", False)
    sent = json.loads(rec.requests[0].content)
    assert sent["stream"] is False
    assert "stream_options" not in sent


async def test_complete_json_with_empty_choices() -> None:
    body = json.dumps({"model": "deepseek-flash", "choices": [], "usage": USAGE}).encode()
    client, _ = make_client(lambda _: httpx.Response(200, content=body))
    result = await client.complete_json(REQ)
    assert (result.text, result.finish_reason, result.usage) == ("", None, Usage(64, 56, 5))


async def test_complete_json_with_only_blank_lines_is_connection_failed() -> None:
    client, _ = make_client(lambda _: httpx.Response(200, content=b"\n\n\n"))
    with pytest.raises(ConnectionFailed):
        await client.complete_json(REQ)


async def test_streaming_request_answered_with_plain_json() -> None:
    payload = {
        "model": "deepseek-flash",
        "choices": [{"index": 0, "text": "y", "finish_reason": "stop"}],
    }
    client, _ = make_client(
        lambda _: httpx.Response(
            200,
            content=b"\n\n" + json.dumps(payload).encode(),
            headers={"content-type": "application/json"},
        )
    )
    result = await client.complete(REQ)
    assert (result.text, result.finish_reason, result.truncated) == ("y", "stop", False)


async def test_rest_of_the_stream_after_done_is_drained_for_reuse() -> None:
    finished = asyncio.Event()

    class Trailing(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield sse(chunk("ok", "stop"), chunk(usage=USAGE))
            await asyncio.sleep(0.01)
            yield b"\n"
            finished.set()

    client, _ = make_client(lambda _: httpx.Response(200, stream=Trailing()))
    result = await client.complete(REQ)
    assert result.text == "ok"
    assert finished.is_set()


async def test_a_server_that_never_ends_after_done_does_not_block() -> None:
    class Endless(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield sse(chunk("ok", "stop"))
            await asyncio.Event().wait()
            yield b""  # pragma: no cover

    client, _ = make_client(lambda _: httpx.Response(200, stream=Endless()), timeout=5.0)
    result = await asyncio.wait_for(client.complete(REQ), 3)
    assert result.text == "ok"
    assert not result.truncated


def test_a_key_that_cannot_be_a_header_is_refused_without_echoing_it() -> None:
    bad = "sk-fake-test-kéy\n"
    with pytest.raises(ValueError, match="API key") as info:
        DeepSeekClient(BASE, bad)
    assert bad.strip() not in str(info.value)
