"""DeepSeekClient against the loopback fake DeepSeek API, over real sockets."""

import asyncio
import random
from collections.abc import AsyncIterator, Iterator

import pytest

from deepseek_fim.deepseek import (
    AuthFailed,
    BadRequest,
    ConnectionFailed,
    DeepSeekClient,
    FimRequest,
    InsufficientBalance,
    RateLimited,
    Usage,
)
from deepseek_fim.testing.fake_deepseek import FakeDeepSeek

KEY = "sk-fake-test-key"
REQ = FimRequest(
    model="deepseek-flash",
    prompt="def add(a, b):\n    ",
    suffix="\n",
    max_tokens=64,
    temperature=0.0,
    stop=(),
)


@pytest.fixture
def fake() -> Iterator[FakeDeepSeek]:
    with FakeDeepSeek(completion="return a + b") as server:
        yield server


@pytest.fixture
async def client(fake: FakeDeepSeek) -> AsyncIterator[DeepSeekClient]:
    client = DeepSeekClient(fake.url, KEY, timeout=5.0)
    yield client
    await client.aclose()


def usage_of(entry: dict[str, object]) -> Usage:
    usage = Usage.from_api(entry["usage"])
    assert usage is not None
    return usage


@pytest.mark.parametrize("usage_location", ["last_chunk", "separate"])
async def test_stream_with_keep_alive_lines(
    fake: FakeDeepSeek, client: DeepSeekClient, usage_location: str
) -> None:
    fake.configure(keepalive_lines=3, keepalive_interval_ms=5, usage_location=usage_location)
    result = await client.complete(REQ)
    (entry,) = fake.fim_requests()
    assert entry["stream"] is True
    assert entry["body"]["stream_options"] == {"include_usage": True}
    assert result.text == entry["response_text"] == "return a + b"
    assert result.finish_reason == entry["finish_reason"] == "stop"
    assert result.usage == usage_of(entry)
    assert result.complete


async def test_connection_is_reused_across_requests(
    fake: FakeDeepSeek, client: DeepSeekClient
) -> None:
    first = await client.complete(REQ)
    second = await client.complete(REQ)
    models = await client.list_models()
    assert first.text == second.text == "return a + b"
    assert models == ("deepseek-flash", "deepseek-v4-flash")
    log = fake.requests
    assert [e["path"] for e in log] == ["/beta/completions", "/beta/completions", "/models"]
    assert len({e["connection_id"] for e in log}) == 1
    assert (first.usage, second.usage) == (usage_of(log[0]), usage_of(log[1]))


async def test_cancelling_the_task_drops_the_connection(
    fake: FakeDeepSeek, client: DeepSeekClient
) -> None:
    fake.configure(keepalive_lines=500, keepalive_interval_ms=10)
    task = asyncio.create_task(client.complete(REQ))
    await fake.wait_for_requests_async(1, finished=False)
    await asyncio.sleep(0.1)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    entry = await fake.wait_for_disconnect_async(timeout=5.0)
    assert entry["path"] == "/beta/completions"
    assert entry["disconnected"] is True
    assert entry["completed"] is False


async def test_non_streaming_body_after_blank_lines(
    fake: FakeDeepSeek, client: DeepSeekClient
) -> None:
    fake.configure(keepalive_lines=4, keepalive_interval_ms=5)
    result = await client.complete_json(REQ)
    (entry,) = fake.fim_requests()
    assert entry["stream"] is False
    assert result.text == "return a + b"
    assert result.usage == usage_of(entry)


async def test_truncated_stream_reports_partial(fake: FakeDeepSeek, client: DeepSeekClient) -> None:
    fake.script({"truncate": 2})
    with pytest.raises(ConnectionFailed) as info:
        await client.complete(REQ)
    partial = info.value.partial
    assert partial is not None
    assert partial.truncated
    assert "return a + b".startswith(partial.text)
    assert partial.text != "return a + b"


async def test_errors_from_the_fake(fake: FakeDeepSeek, client: DeepSeekClient) -> None:
    fake.script({"status": 429, "message": "Rate Limit Reached"})
    with pytest.raises(RateLimited, match="Rate Limit Reached"):
        await client.complete(REQ)
    with pytest.raises(BadRequest) as info:
        await client.complete(FimRequest("deepseek-chat", "a", "b", 8, 0.0, ()))
    assert info.value.supported_models == ("deepseek-flash", "deepseek-v4-flash")
    fake.configure(balance="0")
    with pytest.raises(InsufficientBalance):
        await client.complete(REQ)
    balance = await client.balance()
    assert balance.is_available is False


async def test_wrong_key_is_auth_failed_and_not_echoed(fake: FakeDeepSeek) -> None:
    fake.configure(api_key="sk-fake-other-key")
    client = DeepSeekClient(fake.url, KEY, timeout=5.0)
    try:
        with pytest.raises(AuthFailed) as info:
            await client.complete(REQ)
    finally:
        await client.aclose()
    assert KEY not in str(info.value)
    assert not info.value.retryable


async def test_requests_still_reach_the_api_after_many_cancelled_ones(fake: FakeDeepSeek) -> None:
    # httpcore can leak pool slots of requests cancelled while they wait for a connection;
    # before the client replaced a stuck pool, the request after this churn timed out.
    client = DeepSeekClient(fake.url, KEY, timeout=5.0)
    rng = random.Random(7)
    try:
        for _ in range(60):
            tasks = [asyncio.create_task(client.complete(REQ)) for _ in range(rng.randint(1, 8))]
            await asyncio.sleep(rng.random() * 0.01)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for _ in range(3):
            result = await client.complete(REQ)
            assert result.text == "return a + b"
    finally:
        await client.aclose()
