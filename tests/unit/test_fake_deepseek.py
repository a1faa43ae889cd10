"""Tests of the loopback fake DeepSeek API, driven with httpx against the running server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from deepseek_fim.testing.fake_deepseek import FakeDeepSeek
from deepseek_fim.testing.fake_tokens import count_tokens, tokenize

KEY = "sk-fake-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
MODEL = "deepseek-flash"
LONG_PROMPT = "".join(f"def function_{i}(a, b):\n    return a * {i} + b\n\n" for i in range(40))


@pytest.fixture
def fake() -> Iterator[FakeDeepSeek]:
    with FakeDeepSeek(completion="return a + b") as server:
        yield server


@pytest.fixture
def client(fake: FakeDeepSeek) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, headers=AUTH, timeout=10.0) as http:
        yield http


def fim(client: httpx.Client, prompt: str = "def add(a, b):\n    ", **extra: Any) -> httpx.Response:
    body: dict[str, Any] = {"model": MODEL, "prompt": prompt, "suffix": "\n", **extra}
    return client.post("/beta/completions", json=body)


def sse_events(raw: str) -> tuple[list[Any], list[str]]:
    """Split an SSE body into decoded data payloads (plus "[DONE]") and comment lines."""
    events: list[Any] = []
    comments: list[str] = []
    for line in raw.split("\n"):
        if line.startswith("data: "):
            payload = line[len("data: ") :]
            events.append(payload if payload == "[DONE]" else json.loads(payload))
        elif line.startswith(":"):
            comments.append(line)
    return events, comments


def stream_fim(client: httpx.Client, **extra: Any) -> tuple[list[Any], list[str]]:
    body = {
        "model": MODEL,
        "prompt": "def add(a, b):\n    ",
        "stream": True,
        "stream_options": {"include_usage": True},
        **extra,
    }
    with client.stream("POST", "/beta/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return sse_events(response.read().decode())


# --- answers ---


def test_json_answer(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.configure(completion="x = 1")
    response = fim(client)
    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "text_completion"
    assert data["model"] == MODEL
    assert data["choices"][0]["text"] == "x = 1"
    assert data["choices"][0]["finish_reason"] == "stop"
    usage = data["usage"]
    assert usage["prompt_tokens"] == count_tokens("def add(a, b):\n    ") + count_tokens("\n")
    assert usage["completion_tokens"] == count_tokens("x = 1")
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens"] == (
        usage["prompt_cache_hit_tokens"] + usage["prompt_cache_miss_tokens"]
    )
    [entry] = fake.wait_for_requests(1)
    assert entry["status"] == 200
    assert entry["completed"] is True
    assert entry["disconnected"] is False
    assert entry["response_text"] == "x = 1"
    assert entry["usage"] == usage
    assert entry["body"]["prompt"] == "def add(a, b):\n    "
    json.dumps(entry)  # log entries are JSON-serialisable


def test_sse_answer_with_usage_on_last_chunk(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.configure(completion="return first_value + second_value")
    events, comments = stream_fim(client)
    assert comments == []
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(chunk["choices"] for chunk in chunks)
    text = "".join(chunk["choices"][0]["text"] for chunk in chunks)
    assert text == "return first_value + second_value"
    assert len(chunks) > 3
    assert all(len(chunk["choices"][0]["text"]) <= 8 for chunk in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert "usage" in chunks[-1]
    assert all("usage" not in chunk for chunk in chunks[:-1])
    assert chunks[-1]["usage"]["completion_tokens"] == count_tokens(text)


def test_sse_usage_in_separate_chunk(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.configure(usage_location="separate")
    events, _ = stream_fim(client)
    assert events[-1] == "[DONE]"
    usage_chunk = events[-2]
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["completion_tokens"] == count_tokens("return a + b")
    assert all("usage" not in chunk for chunk in events[:-2])
    assert events[-3]["choices"][0]["finish_reason"] == "stop"


def test_scripted_usage_location_overrides_config(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.script({"usage_location": "separate"})
    events, _ = stream_fim(client)
    assert events[-2]["choices"] == []
    events, _ = stream_fim(client)
    assert events[-2]["choices"] != []
    assert "usage" in events[-2]


def test_keepalive_lines_before_json_body(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.configure(keepalive_lines=3, keepalive_interval_ms=5)
    response = fim(client)
    assert response.status_code == 200
    assert response.text.startswith("\n\n\n{")
    assert json.loads(response.text)["choices"][0]["text"] == "return a + b"


def test_keepalive_comments_before_sse_events(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.script({"keepalive_lines": 2, "keepalive_interval_ms": 5})
    events, comments = stream_fim(client)
    assert comments == [": keep-alive", ": keep-alive"]
    assert events[-1] == "[DONE]"


# --- cache ---


def usage_of(response: httpx.Response) -> dict[str, int]:
    assert response.status_code == 200, response.text
    usage: dict[str, int] = response.json()["usage"]
    return usage


def test_repeated_prompt_hits_whole_units(client: httpx.Client) -> None:
    first = usage_of(fim(client, LONG_PROMPT))
    assert first["prompt_cache_hit_tokens"] == 0
    second = usage_of(fim(client, LONG_PROMPT))
    total = count_tokens(LONG_PROMPT) + count_tokens("\n")
    assert total > 128
    assert second["prompt_tokens"] == total
    assert second["prompt_cache_hit_tokens"] == 64 * (total // 64)
    assert second["prompt_cache_miss_tokens"] == total - 64 * (total // 64)


def test_shared_prefix_hits_and_changed_start_misses(client: httpx.Client) -> None:
    usage_of(fim(client, LONG_PROMPT))
    longer = usage_of(fim(client, LONG_PROMPT + "def more():\n    pass\n"))
    shared_units = len(tokenize(LONG_PROMPT)) // 64
    assert shared_units >= 2
    assert longer["prompt_cache_hit_tokens"] == 64 * shared_units
    changed = usage_of(fim(client, "# header\n" + LONG_PROMPT))
    assert changed["prompt_cache_hit_tokens"] == 0
    assert changed["prompt_cache_miss_tokens"] == changed["prompt_tokens"]


def test_cache_unit_is_configurable(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.configure(cache_unit=128)
    usage_of(fim(client, LONG_PROMPT))
    second = usage_of(fim(client, LONG_PROMPT))
    assert second["prompt_cache_hit_tokens"] == 128 * (second["prompt_tokens"] // 128)


# --- stop and max_tokens ---


def test_stop_cuts_before_earliest_stop_string(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.configure(completion="first line\nsecond;\nthird")
    choice = fim(client, stop=["\n", ";"]).json()["choices"][0]
    assert choice == {**choice, "text": "first line", "finish_reason": "stop"}
    choice = fim(client, stop=";").json()["choices"][0]
    assert choice["text"] == "first line\nsecond"


def test_max_tokens_cuts_and_reports_length(fake: FakeDeepSeek, client: httpx.Client) -> None:
    text = "value = compute(alpha, beta, gamma)"
    fake.configure(completion=text)
    data = fim(client, max_tokens=3).json()
    assert data["choices"][0]["text"] == "".join(tokenize(text)[:3])
    assert data["choices"][0]["finish_reason"] == "length"
    assert data["usage"]["completion_tokens"] == 3
    events, _ = stream_fim(client, max_tokens=2)
    assert "".join(e["choices"][0]["text"] for e in events[:-1]) == "".join(tokenize(text)[:2])
    assert events[-2]["choices"][0]["finish_reason"] == "length"


# --- scripted responses ---


@pytest.mark.parametrize("status", [400, 401, 402, 422, 429, 500, 503])
def test_scripted_error_then_success(fake: FakeDeepSeek, client: httpx.Client, status: int) -> None:
    fake.script({"status": status})
    response = fim(client)
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and len(error["message"]) > 5
    assert fim(client).status_code == 200
    assert [e["status"] for e in fake.requests] == [status, 200]


def test_scripted_error_message_override(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.script({"status": 400, "message": "custom words", "code": "c1"})
    error = fim(client).json()["error"]
    assert (error["message"], error["code"]) == ("custom words", "c1")


def test_script_is_fifo_and_only_for_fim(fake: FakeDeepSeek, client: httpx.Client) -> None:
    assert fake.script({"text": "one"}, {"text": "two", "finish_reason": "length"}) == 2
    assert client.get("/models").status_code == 200
    first = fim(client).json()["choices"][0]
    second = fim(client).json()["choices"][0]
    third = fim(client).json()["choices"][0]
    assert (first["text"], first["finish_reason"]) == ("one", "stop")
    assert (second["text"], second["finish_reason"]) == ("two", "length")
    assert third["text"] == "return a + b"


def test_insufficient_system_resource_streams_partial_text(
    fake: FakeDeepSeek, client: httpx.Client
) -> None:
    fake.script({"text": "retur", "finish_reason": "insufficient_system_resource"})
    events, _ = stream_fim(client)
    assert "".join(e["choices"][0]["text"] for e in events[:-1]) == "retur"
    assert events[-2]["choices"][0]["finish_reason"] == "insufficient_system_resource"


def test_invalid_script_entry_is_rejected(fake: FakeDeepSeek) -> None:
    with pytest.raises(ValueError, match="unknown scripted response key"):
        fake.script({"stauts": 500})
    with pytest.raises(ValueError, match="object"):
        fake.script("oops")  # type: ignore[arg-type]


def test_truncated_stream_has_no_done(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.configure(completion="alpha beta gamma delta epsilon")
    fake.script({"truncate": 2})
    received = b""
    body = {"model": MODEL, "prompt": "x", "stream": True}
    with pytest.raises(httpx.RemoteProtocolError):  # noqa: SIM117
        with client.stream("POST", "/beta/completions", json=body) as response:
            for part in response.iter_bytes():
                received += part
    events, _ = sse_events(received.decode())
    assert len(events) == 2
    assert "[DONE]" not in events
    [entry] = fake.wait_for_requests(1)
    assert entry["completed"] is False
    assert fim(client).status_code == 200  # the client recovers on a new connection


def test_truncated_json_body(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.script({"truncate": True})
    with pytest.raises(httpx.RemoteProtocolError):
        fim(client)
    assert fake.wait_for_requests(1)[0]["completed"] is False


def test_drop_closes_without_response(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.script({"drop": True})
    with pytest.raises(httpx.RemoteProtocolError):
        fim(client)
    [entry] = fake.wait_for_requests(1)
    assert entry["status"] is None
    assert entry["completed"] is False


def test_scripted_latency(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.script({"latency_ms": 300})
    assert fim(client).status_code == 200
    [entry] = fake.wait_for_requests(1)
    assert entry["finished"] - entry["started"] >= 0.3


# --- balance, models, auth, routing ---


def test_balance_is_decimal_strings(client: httpx.Client) -> None:
    data = client.get("/user/balance").json()
    assert data["is_available"] is True
    [info] = data["balance_infos"]
    assert info["currency"] == "USD"
    for name in ("total_balance", "granted_balance", "topped_up_balance"):
        assert isinstance(info[name], str)
        Decimal(info[name])
    assert Decimal(info["total_balance"]) == Decimal("8.40")


def test_completion_spends_balance_at_price_table(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.configure(balance="1.000000", balance_decimals=6, price_output="1000")
    usage = usage_of(fim(client))
    cost = (
        usage["prompt_cache_hit_tokens"] * Decimal("0.0028")
        + usage["prompt_cache_miss_tokens"] * Decimal("0.14")
        + usage["completion_tokens"] * Decimal("1000")
    ) / 1_000_000
    assert fake.balance == Decimal("1") - cost
    shown = client.get("/user/balance").json()["balance_infos"][0]["total_balance"]
    assert Decimal(shown) == (Decimal("1") - cost).quantize(Decimal("0.000001"))


def test_402_once_balance_is_spent(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.configure(balance="0.000001")
    assert fim(client).status_code == 200
    response = fim(client)
    assert response.status_code == 402
    assert "Insufficient Balance" in response.json()["error"]["message"]
    balance = client.get("/user/balance").json()
    assert balance["is_available"] is False
    assert balance["balance_infos"][0]["total_balance"] == "0.00"
    fake.reset()
    assert fim(client).status_code == 200


def test_models_lists_configured_ids(fake: FakeDeepSeek, client: httpx.Client) -> None:
    data = client.get("/models").json()
    assert data["object"] == "list"
    assert [m["id"] for m in data["data"]] == ["deepseek-flash", "deepseek-v4-flash"]
    assert all(m["object"] == "model" and m["owned_by"] == "deepseek" for m in data["data"])
    fake.configure(models=["only-one"])
    assert [m["id"] for m in client.get("/models").json()["data"]] == ["only-one"]


def test_unknown_model_is_400_naming_supported_models(
    fake: FakeDeepSeek, client: httpx.Client
) -> None:
    response = client.post("/beta/completions", json={"model": "deepseek-chat", "prompt": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "The supported API model names are deepseek-flash, deepseek-v4-flash, "
        "but you passed deepseek-chat"
    )
    fake.configure(models=["m-a", "m-b", "m-c"])
    message = fim(client).json()["error"]["message"]
    assert message == f"The supported API model names are m-a, m-b, m-c, but you passed {MODEL}"


def test_auth_required_and_key_never_logged(fake: FakeDeepSeek) -> None:
    with httpx.Client(base_url=fake.url) as anonymous:
        response = anonymous.get("/models")
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "authentication_error"
        assert anonymous.get("/models", headers={"Authorization": "Basic abc"}).status_code == 401
        assert anonymous.get("/models", headers=AUTH).status_code == 200
        fake.configure(api_key="sk-fake-right")
        assert anonymous.get("/user/balance", headers=AUTH).status_code == 401
        right = {"Authorization": "Bearer sk-fake-right"}
        assert anonymous.get("/user/balance", headers=right).status_code == 200
        assert anonymous.get("/_fake/log").status_code == 200  # admin needs no key
    log = fake.requests
    assert [e["has_auth"] for e in log] == [False, False, True, True, True]
    assert KEY not in json.dumps(log)
    assert "sk-fake-right" not in json.dumps(log)


def test_fim_exists_only_under_beta(client: httpx.Client) -> None:
    body = {"model": MODEL, "prompt": "x"}
    assert client.post("/completions", json=body).status_code == 404
    assert client.post("/beta/beta/completions", json=body).status_code == 404
    assert client.get("/beta/models").status_code == 404
    assert client.post("/beta/completions", json=body).status_code == 200


@pytest.mark.parametrize(
    ("content", "status", "fragment"),
    [
        (b"{not json", 400, "parse"),
        (b'{"model": "deepseek-flash"}', 422, "missing field `prompt`"),
        (b'{"prompt": "x"}', 422, "missing field `model`"),
        (b'{"model": "deepseek-flash", "prompt": 3}', 422, "prompt"),
        (b'{"model": "deepseek-flash", "prompt": "x", "max_tokens": 99999}', 400, "max_tokens"),
        (b"[1, 2]", 422, "deserialize"),
    ],
)
def test_invalid_bodies(client: httpx.Client, content: bytes, status: int, fragment: str) -> None:
    response = client.post(
        "/beta/completions", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status
    assert fragment in response.json()["error"]["message"]


# --- connections ---


def test_keep_alive_connection_is_reused(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fim(client)
    stream_fim(client)
    client.get("/user/balance")
    fim(client)
    with httpx.Client(base_url=fake.url, headers=AUTH) as other:
        other.get("/models")
    ids = [e["connection_id"] for e in fake.requests]
    assert ids[:4] == [ids[0]] * 4
    assert ids[4] != ids[0]


def test_disconnect_detected_during_latency(fake: FakeDeepSeek, client: httpx.Client) -> None:
    fake.configure(latency_ms=5000)
    with pytest.raises(httpx.ReadTimeout):
        client.post(
            "/beta/completions", json={"model": MODEL, "prompt": "x"}, timeout=httpx.Timeout(0.3)
        )
    entry = fake.wait_for_disconnect(timeout=3.0)
    assert entry["disconnected"] is True
    assert entry["completed"] is False
    assert entry["finished"] - entry["started"] < 3.0


async def test_cancelled_async_request_is_seen_as_disconnect(fake: FakeDeepSeek) -> None:
    fake.configure(latency_ms=5000)
    async with httpx.AsyncClient(base_url=fake.url, headers=AUTH) as http:
        task = asyncio.create_task(
            http.post("/beta/completions", json={"model": MODEL, "prompt": "x", "stream": True})
        )
        await fake.wait_for_requests_async(1, finished=False)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        entry = await fake.wait_for_disconnect_async(timeout=3.0)
    assert entry["path"] == "/beta/completions"
    assert entry["usage"] is None  # nothing was billed
    assert entry["finished"] - entry["started"] < 3.0


def test_disconnect_detected_during_keepalive_lines(
    fake: FakeDeepSeek, client: httpx.Client
) -> None:
    fake.configure(keepalive_lines=100, keepalive_interval_ms=50)
    body = {"model": MODEL, "prompt": "x", "stream": True}
    with client.stream("POST", "/beta/completions", json=body) as response:
        first = next(response.iter_bytes())
    assert first.startswith(b": keep-alive")
    entry = fake.wait_for_disconnect(timeout=3.0)
    assert entry["completed"] is False
    assert entry["usage"] is None
    assert entry["finished"] - entry["started"] < 3.0


def test_wait_for_requests_times_out(fake: FakeDeepSeek) -> None:
    with pytest.raises(TimeoutError, match="1 finished requests"):
        fake.wait_for_requests(1, timeout=0.05)


# --- configuration and admin ---


def test_bad_config_is_rejected(fake: FakeDeepSeek) -> None:
    with pytest.raises(ValueError, match="unknown fake config field"):
        FakeDeepSeek(latency=5)
    with pytest.raises(ValueError, match="usage_location"):
        fake.configure(usage_location="middle")
    assert fake.config.usage_location == "last_chunk"


def test_admin_endpoints(fake: FakeDeepSeek) -> None:
    with httpx.Client(base_url=fake.url) as admin:
        config = admin.post("/_fake/config", json={"completion": "from admin", "balance": "1.5"})
        assert config.status_code == 200
        assert config.json()["completion"] == "from admin"
        assert admin.post("/_fake/config", json={"nope": 1}).status_code == 400
        queued = admin.post("/_fake/script", json=[{"status": 429}, {"text": "scripted"}])
        assert queued.json() == {"queued": 2}
        assert admin.post("/_fake/script", json=[{"bogus": 1}]).status_code == 400
        with httpx.Client(base_url=fake.url, headers=AUTH) as api:
            assert fim(api).status_code == 429
            assert fim(api).json()["choices"][0]["text"] == "scripted"
            assert fim(api).json()["choices"][0]["text"] == "from admin"
            shown = api.get("/user/balance").json()["balance_infos"][0]["total_balance"]
        assert shown == "1.50"
        assert fake.balance < Decimal("1.5")
        log = admin.get("/_fake/log").json()
        assert [e["status"] for e in log] == [429, 200, 200, 200]
        assert all(not e["path"].startswith("/_fake") for e in log)
        assert admin.post("/_fake/script", json=[{"status": 500}]).json() == {"queued": 1}
        assert admin.post("/_fake/reset").json() == {"ok": True}
        assert admin.get("/_fake/log").json() == []
        assert fake.balance == Decimal("1.5")
        with httpx.Client(base_url=fake.url, headers=AUTH) as api:
            assert fim(api).status_code == 200  # the script was cleared too
        assert admin.get("/_fake/nothing").status_code == 404


def test_reset_clears_cache(fake: FakeDeepSeek, client: httpx.Client) -> None:
    usage_of(fim(client, LONG_PROMPT))
    fake.reset()
    assert usage_of(fim(client, LONG_PROMPT))["prompt_cache_hit_tokens"] == 0
    assert len(fake.requests) == 1


def test_stop_and_restart_on_same_object() -> None:
    fake = FakeDeepSeek()
    url = fake.start()
    assert fake.url == url
    fake.stop()
    fake.stop()
    with pytest.raises(RuntimeError):
        _ = fake.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/models", headers=AUTH)


def test_fake_tokenizer_round_trips_at_code_density() -> None:
    assert "".join(tokenize(LONG_PROMPT)) == LONG_PROMPT
    assert 2.5 < len(LONG_PROMPT) / count_tokens(LONG_PROMPT) < 6


# --- CLI ---


def read_line_with_timeout(proc: subprocess.Popen[str], timeout: float) -> str:
    lines: list[str] = []
    assert proc.stdout is not None
    stdout = proc.stdout
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not lines:
        proc.kill()
        raise AssertionError("the fake CLI printed no URL line")
    return lines[0]


def test_cli_prints_url_serves_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deepseek_fim.testing.fake_deepseek",
            "--port",
            "0",
            "--completion",
            "cli says hi",
            "--api-key",
            "sk-fake-cli-key",
            "--latency-ms",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = read_line_with_timeout(proc, 15.0)
        assert line.startswith("FAKE_DEEPSEEK_URL=http://127.0.0.1:")
        url = line.strip().split("=", 1)[1]
        response = httpx.post(
            f"{url}/beta/completions",
            json={"model": MODEL, "prompt": "x"},
            headers={"Authorization": "Bearer sk-fake-cli-key"},
        )
        assert response.json()["choices"][0]["text"] == "cli says hi"
        assert httpx.get(f"{url}/models", headers=AUTH).status_code == 401
        assert len(httpx.get(f"{url}/_fake/log").json()) == 2
    finally:
        proc.terminate()
        stdout, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert stdout == ""  # the URL line was the only output
    log_lines = [ln for ln in stderr.splitlines() if "/beta/completions" in ln]
    assert len(log_lines) == 1
    assert "200" in log_lines[0]
