"""End to end: the budget states, notifications and ledger across server processes."""

import asyncio
import os
import signal
import sqlite3

from lsprotocol import types

from deepseek_fim.testing.lsp_session import Session

URI = "file:///work/project/app.py"
SOURCE = "def add(a, b):\n    "


async def fresh_request(session: Session, text: str = "x") -> list[str]:
    """Type something new (so the typed-ahead cache cannot answer) and request a completion."""
    session.type_text(URI, "\n" + text)
    return await session.inline(URI)


async def execute(session: Session, command: str, *arguments) -> None:
    await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=list(arguments))
    )


async def test_usage_figures_match_the_fake(session, fake):
    session.open(URI, SOURCE)
    for text in ("a", "b", "c"):
        await fresh_request(session, text)
    usages = [r["usage"] for r in fake.fim_requests()]
    used = sum(u["prompt_tokens"] + u["completion_tokens"] for u in usages)
    payload = await session.wait_for_budget(lambda p: p["usedTokens"] == used)
    assert payload["remainingTokens"] > 0 and payload["grantTokens"] == 5_000_000
    assert payload["state"] == "ok" and payload["kind"] == "Normal"
    assert payload["text"].startswith("DeepSeek ")
    last = payload["lastCompletion"]
    assert (last["hit"], last["miss"], last["output"]) == (
        usages[-1]["prompt_cache_hit_tokens"],
        usages[-1]["prompt_cache_miss_tokens"],
        usages[-1]["completion_tokens"],
    )
    status = await session.status()
    assert status["session"]["requests"] == 3
    assert [day["requests"] for day in status["days"] if day["requests"]] == [3]


async def test_exhausted_pauses_until_the_balance_is_available(session, fake):
    session.open(URI, SOURCE)
    assert await fresh_request(session) == ["return a + b"]
    fake.configure(balance="0")
    assert await fresh_request(session) == []
    payload = await session.wait_for_budget(
        lambda p: p["state"] == "exhausted" and p["balance"] is not None
    )
    assert payload["kind"] == "Error" and payload["message"]
    assert payload["balance"]["isAvailable"] is False
    sent = len(fake.fim_requests())
    for text in ("p", "q", "r"):
        assert await fresh_request(session, text) == []
    assert len(fake.fim_requests()) == sent  # paused: nothing reaches the API
    # The user tops up and resumes: completions come back.
    fake.configure(balance="5.00")
    await execute(session, "deepseekFim.resume")
    # The resume reads the balance at once: the new money shows before any completion.
    await session.wait_for_budget(lambda p: p["state"] == "ok" and p["remainingAmount"] == "5")
    assert await fresh_request(session, "s") == ["return a + b"]
    await session.wait_for_budget(lambda p: p["state"] == "ok")
    assert any("used up" in m.message or "402" in m.message for m in session.messages)


async def test_refreshed_balance_ends_the_pause(session, fake):
    session.open(URI, SOURCE)
    fake.configure(balance="0")
    assert await fresh_request(session) == []
    await session.wait_for_budget(lambda p: p["state"] == "exhausted")
    fake.configure(balance="5.00")
    await execute(session, "deepseekFim.refreshBalance")
    await session.wait_for_budget(lambda p: p["state"] == "ok" and p["balance"]["isAvailable"])
    assert await fresh_request(session, "y") == ["return a + b"]


async def test_auth_failure_pauses_until_the_key_changes(server_env, fake):
    fake.configure(api_key="sk-fake-the-right-key")
    session = await Session.start(server_env, {"debounceMs": 0})
    try:
        session.open(URI, SOURCE)
        assert await session.inline(URI) == []
        payload = await session.wait_for_budget(lambda p: p["state"] == "authFailed")
        assert "sk-fake" not in str(payload)
        await asyncio.sleep(0.3)  # a balance check started with the server may still be out
        sent = len(fake.requests)
        assert await fresh_request(session) == []
        await asyncio.sleep(0.2)
        # Nothing while the key is refused: no completion, no model list, no balance check.
        assert len(fake.requests) == sent
        session.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"deepseekFim": {"apiKey": "sk-fake-the-right-key", "debounceMs": 0}}
            )
        )
        await session.wait_for_budget(lambda p: p["state"] == "ok")
        assert await fresh_request(session, "z") == ["return a + b"]
    finally:
        await session.stop()


async def test_throttled_backs_off_then_recovers(session, fake):
    session.open(URI, SOURCE)
    fake.script({"status": 429})
    assert await fresh_request(session) == []
    payload = await session.wait_for_budget(lambda p: p["state"] == "throttled")
    assert payload["retryAt"] is not None
    sent = len(fake.fim_requests())
    assert await fresh_request(session, "q") == []
    assert len(fake.fim_requests()) == sent  # no request during the backoff
    # The backoff ends on its own (first wait: 0.5 to 1 s); the state says so unprompted.
    await session.wait_for_budget(lambda p: p["state"] == "ok", timeout=5)
    assert await fresh_request(session, "r") == ["return a + b"]


async def test_thresholds_fire_once(server_env, fake):
    fake.configure(completion="return a + b + c + d + e + f")
    # A grant of USD 0.0001 (a few requests), which the fake's balance agrees with.
    fake.configure(balance="0.0001", balance_decimals=7)
    settings = {"debounceMs": 0, "grant": {"amount": "0.0001"}}
    session = await Session.start(server_env, settings)
    try:
        session.open(URI, SOURCE)
        for text in "abcdefgh":
            await fresh_request(session, text)
            await asyncio.sleep(0.35)  # let each notification go out
        await session.wait_for_budget(lambda p: p["state"] in ("low", "exhausted"))
        texts = [m.message for m in session.messages]
        assert len(texts) == len(set(texts)), texts  # no notice repeated
        assert any("%" in t or "used up" in t or "exhausted" in t.lower() for t in texts)
    finally:
        await session.stop()
    # A second server on the same ledger does not repeat them.
    again = await Session.start(server_env, settings)
    try:
        again.open(URI, SOURCE)
        await again.inline(URI)
        await asyncio.sleep(0.8)
        assert not [m for m in again.messages if m.message in texts]
    finally:
        await again.stop()


async def test_accept_is_recorded(session, fake):
    session.open(URI, SOURCE)
    _, future = session.request_inline(URI)
    result = await future
    [item] = result.items
    assert item.command.command == "deepseekFim.accept"
    await execute(session, item.command.command, *item.command.arguments)
    status = await session.status()
    assert status["session"]["accepted"] == 1
    assert status["session"]["acceptanceRate"] == 1.0


async def test_two_servers_share_the_ledger(server_env, fake):
    first = await Session.start(server_env, {"debounceMs": 0})
    second = await Session.start(server_env, {"debounceMs": 0})
    try:
        first.open(URI, SOURCE)
        second.open("file:///work/other/b.py", "def sub(a, b):\n    ")
        await first.inline(URI)
        await second.inline("file:///work/other/b.py")
        total = sum(
            r["usage"]["prompt_tokens"] + r["usage"]["completion_tokens"]
            for r in fake.fim_requests()
        )
        for session in (first, second):
            status = await session.status()
            assert status["usedTokens"] == total
    finally:
        await first.stop()
        await second.stop()


async def test_sigkill_mid_burst_loses_no_committed_record(server_env, fake, tmp_path):
    session = await Session.start(server_env, {"debounceMs": 0})
    session.open(URI, SOURCE)
    for text in "abcdef":
        await fresh_request(session, text)
    answered = len(fake.fim_requests())
    fake.configure(latency_ms=200)
    for text in "ghij":
        session.type_text(URI, "\n" + text)
        session.request_inline(URI)
        await asyncio.sleep(0.05)
    os.kill(session.client._server.pid, signal.SIGKILL)
    await asyncio.sleep(0.2)
    await session.client.stop()
    database = tmp_path / "data" / "ledger.sqlite3"
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        shown = conn.execute("SELECT COUNT(*) FROM usage WHERE outcome = 'shown'").fetchone()[0]
    assert shown >= answered


async def test_budget_diagnostic_for_clients_without_a_status_bar(server_env, fake):
    session = await Session.start(server_env, {"debounceMs": 0, "budgetDiagnostic": True})
    try:
        session.open(URI, SOURCE)
        await session.inline(URI)
        for _ in range(30):
            if session.diagnostics.get(URI):
                break
            await asyncio.sleep(0.1)
        [diagnostic] = session.diagnostics[URI]
        assert diagnostic.severity == types.DiagnosticSeverity.Information
        assert diagnostic.message.startswith("DeepSeek")
    finally:
        await session.stop()


async def test_unwritable_data_dir_falls_back_and_says_so(server_env, fake, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir should be")
    env = {**server_env, "DEEPSEEK_FIM_DATA_DIR": str(blocker / "data")}
    session = await Session.start(env, {"debounceMs": 0})
    try:
        session.open(URI, SOURCE)
        assert await session.inline(URI) == ["return a + b"]
        payload = await session.wait_for_budget(lambda p: p["usedTokens"] > 0)
        assert payload["state"] == "ok"
        assert any("cannot open the usage ledger" in m.message for m in session.messages)
    finally:
        await session.stop()
