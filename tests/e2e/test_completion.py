"""End to end: the server subprocess, a scripted LSP client and the loopback fake DeepSeek API."""

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from deepseek_fim.sources.warmth import CACHE_BUILD_S
from deepseek_fim.testing.lsp_session import Session

SOURCE = "def add(a, b):\n    "
URI = "file:///work/project/app.py"


async def test_round_trip_sends_prefix_and_suffix(session, fake):
    fake.configure(completion="return a + b")
    session.open(URI, "import os\n\ndef add(a, b):\n    \n\nprint(add(1, 2))\n")
    texts = await session.inline(URI, types.Position(3, 4))
    assert texts == ["return a + b"]
    [request] = fake.fim_requests()
    body = request["body"]
    assert body["prompt"].endswith("import os\n\ndef add(a, b):\n    ")
    # Relative to the file's folder (no workspace, no repository): never the whole path.
    assert "# Path: app.py\n" in body["prompt"]
    assert "/work/project" not in body["prompt"]
    assert body["suffix"].startswith("\n\nprint(add(1, 2))")
    assert body["model"] == "deepseek-flash"  # auto: the fake lists no deepseek-chat
    assert body["stream"] is True
    assert request["has_auth"]


async def test_completion_request_gets_the_same_text(session, fake):
    fake.configure(completion="al = a + b")
    session.open(URI, "def add(a, b):\n    tot")
    result = await session.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(URI), types.Position(1, 7))
    )
    [item] = result.items
    # The item replaces the word before the cursor so that menus can filter on it.
    assert item.text_edit.new_text == "total = a + b"
    assert item.label == "total = a + b"
    assert item.text_edit.range.start.character == 4
    assert item.command.command == "deepseekFim.accept"


async def test_rapid_typing_sends_at_most_two_requests(server_env, fake):
    fake.configure(completion=" = a + b")
    session = await Session.start(server_env, {"debounceMs": 250})
    try:
        session.open(URI, SOURCE + "t)")
        futures = []
        previous = None
        # Inside a word inside a line the whole debounce applies (a keyword or a bracket would
        # end it; so would the end of the line).
        for index, char in enumerate("otal_sum"):
            cursor = types.Position(SOURCE.count("\n"), len(SOURCE.rsplit("\n", 1)[-1]) + 1 + index)
            session.insert(URI, cursor, char)
            msg_id, future = session.request_inline(
                URI, types.Position(cursor.line, cursor.character + 1)
            )
            if previous is not None:
                session.cancel(previous)
            previous = msg_id
            futures.append(future)
            await asyncio.sleep(0.03)
        results = await asyncio.gather(*futures, return_exceptions=True)
        assert not isinstance(results[-1], BaseException)
        assert results[-1].items, "the last request gets the completion"
        assert len(fake.fim_requests()) <= 2
        # The prompt prepared during the debounce is the one for the final text.
        assert fake.fim_requests()[-1]["body"]["prompt"].endswith(SOURCE + "total_sum")
        for earlier in results[:-1]:
            # Each outdated request was answered: cancelled or empty, never left hanging.
            assert isinstance(earlier, JsonRpcException) or list(earlier.items) == []
        # Nothing left running, and the HTTP connection was kept for reuse.
        status = await session.status()
        assert status["session"]["inflight"] == 0
        connections = {r["connection_id"] for r in fake.requests}
        assert len(connections) <= 2
    finally:
        await session.stop()


async def test_cancel_aborts_the_http_request(session, fake):
    fake.configure(latency_ms=3000)
    session.open(URI, SOURCE)
    msg_id, future = session.request_inline(URI)
    await fake.wait_for_requests_async(1, timeout=5, finished=False, path="/beta/completions")
    session.cancel(msg_id)
    with pytest.raises(JsonRpcException) as raised:
        await asyncio.wait_for(future, 5)
    assert raised.value.code == -32800  # RequestCancelled
    await fake.wait_for_disconnect_async(timeout=5)
    [request] = fake.fim_requests()
    assert request["disconnected"] and not request["completed"]


async def test_newer_request_supersedes_older_one(session, fake):
    fake.configure(latency_ms=500)
    session.open(URI, SOURCE)
    _, first = session.request_inline(URI)
    await asyncio.sleep(0.2)
    _, second = session.request_inline(URI)
    first_result = await asyncio.wait_for(first, 2)
    assert list(first_result.items) == []  # answered at once when superseded
    assert not second.done()
    second_result = await asyncio.wait_for(second, 5)
    assert [i.insert_text for i in second_result.items] == ["return a + b"]


async def test_typing_on_at_a_line_end_rides_on_the_request_sent_at_once(server_env, fake):
    # At a line's end nothing is waited for: the first key sends, and the keys typed while its
    # answer is on the way are answered from it (it starts with what they typed).
    fake.configure(completion="tal_sum = a + b", latency_ms=300)
    session = await Session.start(server_env, {"debounceMs": 250})
    try:
        session.open(URI, SOURCE + "t")
        futures = []
        previous = None
        for char in "otal_sum":
            session.type_text(URI, char)
            msg_id, future = session.request_inline(URI)
            if previous is not None:
                session.cancel(previous)
            previous = msg_id
            futures.append(future)
            await asyncio.sleep(0.02)
        results = await asyncio.gather(*futures, return_exceptions=True)
        [item] = results[-1].items
        assert item.insert_text == " = a + b"
        [request] = fake.fim_requests()
        assert request["body"]["prompt"].endswith(SOURCE + "to")
        assert (await session.status())["session"]["reusedPending"] >= 1
    finally:
        await session.stop()


async def test_stale_version_is_not_sent(server_env, fake):
    session = await Session.start(server_env, {"debounceMs": 200})
    try:
        session.open(URI, SOURCE + "retu)")  # inside a word inside a line: the whole debounce
        cursor = types.Position(SOURCE.count("\n"), len(SOURCE.rsplit("\n", 1)[-1]) + 4)
        _, future = session.request_inline(URI, cursor)
        await asyncio.sleep(0.05)
        session.insert(URI, cursor, "r")  # the document moves on during the debounce
        result = await asyncio.wait_for(future, 3)
        assert list(result.items) == []
        assert fake.fim_requests() == []
    finally:
        await session.stop()


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (400, None),
        (401, "authFailed"),
        (402, "exhausted"),
        (422, None),
        (429, "throttled"),
        (500, "throttled"),
        (503, "throttled"),
    ],
)
async def test_api_errors_become_empty_results_and_a_state(session, fake, status, state):
    if status == 402:
        fake.configure(balance="0")  # a real 402 comes with a balance that says so
    else:
        fake.script({"status": status})
    session.open(URI, SOURCE)
    assert await session.inline(URI) == []
    if state is not None:
        payload = await session.wait_for_budget(lambda p: p["state"] == state)
        assert payload["kind"] in ("Warning", "Error")
    # The server is alive and answers the next request.
    status_payload = await session.status()
    assert "state" in status_payload


async def test_dropped_connection_and_truncated_stream(session, fake):
    session.open(URI, SOURCE)
    fake.script({"drop": True})
    assert await session.inline(URI) == []
    await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="deepseekFim.resume")
    )
    fake.script({"truncate": True, "text": "return a + b + c + d"})
    session.type_text(URI, "r")
    assert await session.inline(URI) == []  # a truncated answer is never inserted


async def test_timeout_is_an_empty_result(server_env, fake):
    session = await Session.start(server_env, {"debounceMs": 0, "requestTimeoutMs": 300})
    try:
        fake.configure(latency_ms=2000)
        session.open(URI, SOURCE)
        assert await asyncio.wait_for(session.inline(URI), 5) == []
    finally:
        await session.stop()


async def test_keep_alive_flood_still_completes(session, fake):
    fake.configure(keepalive_lines=200, keepalive_interval_ms=1)
    session.open(URI, SOURCE)
    assert await session.inline(URI) == ["return a + b"]


@pytest.mark.parametrize("usage_location", ["last_chunk", "separate"])
async def test_usage_reaches_the_budget_wherever_it_comes(session, fake, usage_location):
    fake.configure(usage_location=usage_location)
    session.open(URI, SOURCE)
    assert await session.inline(URI) == ["return a + b"]
    [request] = fake.fim_requests()
    usage = request["usage"]
    payload = await session.wait_for_budget(lambda p: p.get("usedTokens", 0) > 0)
    expected = usage["prompt_tokens"] + usage["completion_tokens"]
    assert payload["usedTokens"] == expected


async def test_no_key_sends_nothing_and_says_how_to_get_one(server_env, fake):
    env = {**server_env, "DEEPSEEK_API_KEY": ""}
    session = await Session.start(env, {"debounceMs": 0})
    try:
        session.open(URI, SOURCE)
        assert await session.inline(URI) == []
        await session.wait_for_budget(lambda p: p["state"] == "noKey")
        for _ in range(50):
            if any("platform.deepseek.com" in m.message for m in session.messages):
                break
            await asyncio.sleep(0.1)
        assert any("platform.deepseek.com" in m.message for m in session.messages)
        assert fake.requests == []
    finally:
        await session.stop()


async def test_excluded_file_is_never_sent(session, fake):
    session.open("file:///work/project/.env", "API_TOKEN=", language_id="dotenv")
    assert await session.inline("file:///work/project/.env") == []
    assert fake.fim_requests() == []
    await session.wait_for_budget(lambda p: p["state"] == "excluded")


async def test_ten_thousand_line_file(session, fake):
    lines = [f"value_{i} = {i} * 2" for i in range(10_000)]
    session.open(URI, "\n".join(lines) + "\n")
    texts = await session.inline(URI, types.Position(5_000, 0))
    assert texts
    [request] = fake.fim_requests()
    prompt = request["body"]["prompt"]
    # The windows are bounded by the token budgets, not by the file.
    assert len(prompt) < 1500 * 8 and "value_4999 = 4999 * 2\n" in prompt
    assert "value_0 =" not in prompt


async def test_unknown_document_and_positions_past_the_end(session, fake):
    assert await session.inline("file:///never/opened.py", types.Position(0, 0)) == []
    session.open(URI, "x = 1\n")
    assert await session.inline(URI, types.Position(99, 99)) == ["return a + b"]
    session.type_text(URI, "y = '😀'\r\nz = ")
    assert await session.inline(URI) == ["return a + b"]


async def test_explicit_model_is_obeyed(server_env, fake):
    session = await Session.start(server_env, {"debounceMs": 0, "model": "deepseek-v4-flash"})
    try:
        session.open(URI, SOURCE)
        await session.inline(URI)
        assert [r["body"]["model"] for r in fake.fim_requests()] == ["deepseek-v4-flash"]
        assert not [r for r in fake.requests if r["path"] == "/models"]
    finally:
        await session.stop()


async def test_the_model_is_resolved_right_after_start_not_at_the_first_completion(session, fake):
    # The first completion then waits on one round trip, not two (bench_cold_start).
    await fake.wait_for_requests_async(1, timeout=5, path="/models")
    assert fake.fim_requests() == []
    session.open(URI, SOURCE)
    assert await session.inline(URI) == ["return a + b"]
    assert len([r for r in fake.requests if r["path"] == "/models"]) == 1


async def test_retired_model_is_re_resolved_once(session, fake):
    fake.configure(models=["deepseek-chat", "deepseek-flash"])
    session.open(URI, SOURCE)
    assert await session.inline(URI) == ["return a + b"]
    assert fake.fim_requests()[-1]["body"]["model"] == "deepseek-chat"
    fake.configure(models=["deepseek-flash", "deepseek-v4-flash"])  # deepseek-chat retired
    session.type_text(URI, "pass\n    ")
    assert await session.inline(URI) == ["return a + b"]
    models_used = [r["body"]["model"] for r in fake.fim_requests()]
    assert models_used[-2:] == ["deepseek-chat", "deepseek-flash"]
    assert any("deepseek-flash" in m.message for m in session.messages)


async def test_prefix_cache_hits_while_typing_on(session, fake):
    lines = [f"def function_{i}(x):\n    return x * {i}\n" for i in range(200)]
    session.open(URI, "".join(lines))
    for index, char in enumerate("result = fun"):
        session.type_text(URI, char)
        await session.inline(URI)
        if index == 0:  # DeepSeek builds the cache within seconds (sources/warmth.py)
            await asyncio.sleep(CACHE_BUILD_S + 0.1)
    usages = [r["usage"] for r in fake.fim_requests() if r.get("usage")]
    assert len(usages) >= 5
    assert all(u["prompt_cache_hit_tokens"] > 0 for u in usages[1:])


async def test_invalid_settings_give_one_message_and_defaults(server_env, fake):
    session = await Session.start(server_env, {"debounceMs": "soon", "temperature": 9})
    try:
        await asyncio.sleep(0.3)
        invalid = [m for m in session.messages if "invalid" in m.message]
        assert len(invalid) == 1
        assert "debounceMs" in invalid[0].message and "temperature" in invalid[0].message
        assert "sk-fake" not in invalid[0].message
    finally:
        await session.stop()


async def test_malformed_message_does_not_kill_the_server(session, fake):
    writer = session.client.protocol.writer
    result = writer.write(b"Content-Length: 11\r\n\r\n{not json!}")
    if result is not None:
        await result
    session.open(URI, SOURCE)
    assert await session.inline(URI) == ["return a + b"]


async def test_status_request_has_session_stats(session, fake):
    session.open(URI, SOURCE)
    await session.inline(URI)
    status = await session.status()
    assert status["session"]["requests"] >= 1
    assert "text" in status and "state" in status


async def test_ghost_text_does_not_repeat_the_suffix(session, fake):
    fake.configure(completion="a + b)")
    session.open("file:///work/project/b.py", "x = max()\n")
    texts = await session.inline("file:///work/project/b.py", types.Position(0, 8))
    assert texts == ["a + b"]  # the ")" after the cursor is not inserted again


def apply_edit(text: str, edit_range: types.Range, new_text: str) -> str:
    """The document after replacing one single-line range (UTF-16 columns, as sent)."""
    lines = text.split("\n")
    line = lines[edit_range.start.line]
    assert edit_range.end.line == edit_range.start.line
    assert line.isascii()  # columns are then code points too
    start, end = edit_range.start.character, edit_range.end.character
    lines[edit_range.start.line] = line[:start] + new_text + line[end:]
    return "\n".join(lines)


JS_URI = "file:///work/project/main.js"
JS_SOURCE = "function main(a, b) {\n  console.log()\n}\n"
JS_ACCEPTED = "function main(a, b) {\n  console.log(a, b);\n}\n"


async def test_inline_range_covers_the_auto_closed_paren(session, fake):
    fake.configure(completion="a, b);")
    session.open(JS_URI, JS_SOURCE, "javascript")
    position = types.Position(1, len("  console.log("))
    _, future = session.request_inline(JS_URI, position)
    [item] = (await future).items
    assert item.range == types.Range(position, types.Position(1, position.character + 1))
    assert apply_edit(JS_SOURCE, item.range, item.insert_text) == JS_ACCEPTED


async def test_completion_text_edit_covers_the_auto_closed_paren(session, fake):
    fake.configure(completion="a, b);")
    session.open(JS_URI, JS_SOURCE, "javascript")
    position = types.Position(1, len("  console.log("))
    result = await session.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(JS_URI), position)
    )
    [item] = result.items
    edit = item.text_edit
    assert apply_edit(JS_SOURCE, edit.range, edit.new_text) == JS_ACCEPTED


async def test_block_after_a_signature_is_asked_for_and_kept_whole(session, fake):
    fake.configure(completion="{\n        self.w * self.h\n    }\n\n    fn other(&self) {}")
    uri = "file:///work/project/rect.rs"
    source = "impl Rect {\n    fn area(&self) -> f64 \n}\n"
    session.open(uri, source, "rust")
    texts = await session.inline(uri, types.Position(1, len("    fn area(&self) -> f64 ")))
    assert texts == ["{\n        self.w * self.h\n    }"]
    [request] = fake.fim_requests()
    assert request["body"]["stop"] == ["\n\n\n"]


async def test_other_open_buffers_lend_context_but_excluded_ones_never(session, fake):
    helper_uri = "file:///work/project/helpers.py"
    secret_uri = "file:///work/project/secrets.py"
    session.open(helper_uri, "def double(x):\n    return 2 * x\n")
    session.open(secret_uri, "def token():\n    return 'hunter2'\n")
    session.open(URI, SOURCE)
    # Opening them is enough: no completion was asked for in either.
    await session.inline(URI)
    prompt = fake.fim_requests()[-1]["body"]["prompt"]
    assert "helpers.py" in prompt and "def double(x):" in prompt
    assert "hunter2" not in prompt and "secrets.py" not in prompt
    # The context comes before the prefix window, which ends at the cursor.
    assert prompt.index("def double") < prompt.index("def add(a, b):")


async def test_secrets_in_sent_text_are_masked(session, fake):
    session.open(
        URI,
        'DB_PASSWORD = "hunter2-very-secret"\naws = "AKIAIOSFODNN7EXAMPLE"\n\ndef f():\n    ',
    )
    assert await session.inline(URI) == ["return a + b"]
    session.type_text(URI, "x")
    await session.inline(URI)
    for request in fake.fim_requests():
        sent = request["body"]["prompt"] + request["body"]["suffix"]
        assert "hunter2" not in sent and "AKIAIOSFODNN7EXAMPLE" not in sent
        assert "<masked>" in sent


async def test_server_logs_reach_the_client_without_user_code(session, fake):
    logs = session.logs
    fake.script({"status": 500})
    session.open(URI, "secret_sauce = 42\n")
    assert await session.inline(URI) == []
    for _ in range(30):
        if logs:
            break
        await asyncio.sleep(0.1)
    assert any("FIM request failed" in m.message for m in logs)
    assert not any("secret_sauce" in m.message for m in logs)


async def test_ten_megabyte_file(session, fake):
    line = "payload_value = compute_something(alpha, beta, gamma)  # 60 chars"
    lines = [f"{line} {i}" for i in range(150_000)]
    text = "\n".join(lines) + "\n"
    assert len(text.encode()) > 10_000_000
    session.open(URI, text)
    session.insert(URI, types.Position(75_000, 0), "x = ")
    assert await session.inline(URI, types.Position(75_000, 4)) == ["return a + b"]
    body = fake.fim_requests()[-1]["body"]
    assert len(body["prompt"]) < 20_000 and len(body["suffix"]) < 8_000
    assert body["prompt"].endswith(f"{line} 74999\nx = ")


async def test_untitled_buffer_not_on_disk(session, fake):
    uri = "untitled:Untitled-1"
    session.open(uri, SOURCE)
    assert await session.inline(uri) == ["return a + b"]
    prompt = fake.fim_requests()[-1]["body"]["prompt"]
    assert "Untitled-1" in prompt and prompt.endswith(SOURCE)


async def test_plain_http_to_a_remote_host_is_refused(server_env, fake):
    env = {**server_env, "DEEPSEEK_BASE_URL": "http://api.example.com"}
    session = await Session.start(env, {"debounceMs": 0})
    try:
        session.open(URI, SOURCE)
        assert await session.inline(URI) == []
        await session.wait_for_budget(lambda p: p["state"] == "offline")
        assert any("base URL" in m.message for m in session.messages)
    finally:
        await session.stop()
