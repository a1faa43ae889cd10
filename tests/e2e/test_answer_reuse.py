"""End to end: answers reused before sending, and the prefetch after an accept.

The server subprocess and the loopback fake DeepSeek API; the number of FIM requests the fake
received is what each test counts, the server's status counters say which path answered, and
the document after accepting the answer is what is judged.
"""

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from lsprotocol import types
from test_pace import DAILY, SETTINGS, _seed_heavy_spending

from deepseek_fim.budget.ledger import Ledger
from deepseek_fim.testing.lsp_session import Session

URI = "file:///work/project/app.py"
SOURCE = "def add(a, b):\n    "


@pytest.fixture
async def prefetching(server_env) -> AsyncIterator[Session]:
    """A server with the prefetch after an accept turned on (off by default)."""
    started = await Session.start(server_env, {"debounceMs": 0, "prefetch": True})
    yield started
    await started.stop()


async def _execute(session: Session, command: types.Command) -> None:
    await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
    )


def _delete(session: Session, start: types.Position, end: types.Position) -> None:
    """An incremental didChange deleting start..end on one line (the session's copy too)."""
    document = session.documents[URI]
    line = document.lines[start.line]
    document.lines[start.line] = line[: start.character] + line[end.character :]
    document.version += 1
    session.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(version=document.version, uri=URI),
            content_changes=[
                types.TextDocumentContentChangePartial(range=types.Range(start, end), text="")
            ],
        )
    )


async def _fim_requests(fake, n: int, *, finished: bool) -> None:
    """Wait until the fake got n FIM requests (read whole, or answered when `finished`)."""
    for _ in range(100):
        requests = fake.fim_requests()
        if len(requests) >= n and (not finished or all(r["completed"] for r in requests)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the fake got {len(fake.fim_requests())} FIM requests, not {n}")


def _accepted(text_before: str, item: types.InlineCompletionItem) -> str:
    """The document after accepting an item at the end of `text_before`."""
    insert = item.insert_text if isinstance(item.insert_text, str) else item.insert_text.value
    return text_before + insert


async def test_a_typed_on_request_is_answered_by_the_one_in_flight(session, fake):
    fake.configure(latency_ms=600)
    session.open(URI, SOURCE)
    first_id, first = session.request_inline(URI)
    await fake.wait_for_requests_async(2, timeout=5, finished=False)  # /models, then FIM
    # The user types the first characters of what is coming; the editor cancels and asks again.
    session.type_text(URI, "ret")
    session.cancel(first_id)
    _, second = session.request_inline(URI)
    result = await asyncio.wait_for(second, 5)
    [item] = result.items
    assert _accepted(SOURCE + "ret", item) == SOURCE + "return a + b"
    await asyncio.gather(first, return_exceptions=True)
    assert len(fake.fim_requests()) == 1
    [request] = fake.fim_requests()
    assert request["completed"] and not request["disconnected"]
    status = await session.status()
    assert status["session"]["reusedPending"] == 1
    assert status["session"]["fetching"] == 0


async def test_a_typed_on_request_that_diverges_sends_its_own(session, fake):
    # The first request's answer, then the one of the request sent for "retx".
    fake.script({"text": "return a + b", "latency_ms": 400}, {"text": "urn_value"})
    session.open(URI, SOURCE)
    first_id, first = session.request_inline(URI)
    await fake.wait_for_requests_async(2, timeout=5, finished=False)
    session.type_text(URI, "ret")  # ...the first one's answer, "return a + b", fits
    session.cancel(first_id)
    _, second = session.request_inline(URI)
    assert [i.insert_text for i in (await asyncio.wait_for(second, 5)).items] == ["urn a + b"]
    session.type_text(URI, "x")  # "retx": does not start the answer in flight or the last one
    _, third = session.request_inline(URI)
    assert [i.insert_text for i in (await asyncio.wait_for(third, 5)).items] == ["urn_value"]
    await asyncio.gather(first, return_exceptions=True)
    assert len(fake.fim_requests()) == 2
    assert fake.fim_requests()[-1]["body"]["prompt"].endswith("    retx")


async def test_backspace_and_retype_is_answered_without_a_request(session, fake):
    session.open(URI, SOURCE)
    assert await session.inline(URI) == ["return a + b"]
    fake.script({"text": " = a + b"})
    session.type_text(URI, "x")  # not the start of the answer: a new request
    assert await session.inline(URI) == [" = a + b"]
    _delete(session, types.Position(1, 4), types.Position(1, 5))  # backspace
    texts = await session.inline(URI)
    assert texts == ["return a + b"]
    assert "\n".join(session.documents[URI].lines) + texts[0] == SOURCE + "return a + b"
    session.type_text(URI, "x")  # retype: the answer for "x" comes back too
    assert await session.inline(URI) == [" = a + b"]
    assert len(fake.fim_requests()) == 2
    status = await session.status()
    assert status["session"]["lruHits"] == 2


async def test_enter_into_an_answer_that_starts_on_the_next_line_sends_nothing(session, fake):
    # At the end of a line the answer starts with the line break; the user presses Enter (the
    # editor indents) instead of accepting: the rest of the same answer, with no new request.
    fake.script({"text": "\n    total = a + b\n    return total"})
    session.open(URI, "def add(a, b):")
    assert await session.inline(URI) == ["\n    total = a + b\n    return total"]
    session.type_text(URI, "\n    ")
    texts = await session.inline(URI)
    assert texts == ["total = a + b\n    return total"]
    assert "\n".join(session.documents[URI].lines) + texts[0] == (
        "def add(a, b):\n    total = a + b\n    return total"
    )
    session.type_text(URI, "total = a + b\n    ")  # typed through a whole line of it
    assert await session.inline(URI) == ["return total"]
    assert len(fake.fim_requests()) == 1
    assert (await session.status())["session"]["lruHits"] == 2
    session.type_text(URI, "\n")  # a blank line is not in the answer: a request of its own
    await session.inline(URI)
    assert len(fake.fim_requests()) == 2


async def test_enter_while_the_answer_is_in_flight_waits_for_it(session, fake):
    fake.script({"text": "\n    return a + b", "latency_ms": 600})
    session.open(URI, "def add(a, b):")
    first_id, first = session.request_inline(URI)
    await fake.wait_for_requests_async(2, timeout=5, finished=False)
    session.type_text(URI, "\n    ")
    session.cancel(first_id)
    _, second = session.request_inline(URI)
    [item] = (await asyncio.wait_for(second, 5)).items
    assert _accepted("def add(a, b):\n    ", item) == "def add(a, b):\n    return a + b"
    await asyncio.gather(first, return_exceptions=True)
    [request] = fake.fim_requests()
    assert request["completed"] and not request["disconnected"]
    assert (await session.status())["session"]["reusedPending"] == 1


async def test_a_different_text_after_the_cursor_is_never_answered_from_the_cache(session, fake):
    text = "def add(a, b):\n    \n\nprint(add(1, 2))\n"
    cursor = types.Position(1, 4)
    session.open(URI, text)
    assert await session.inline(URI, cursor) == ["return a + b"]
    # The line after the cursor changes (same line count, same text before the cursor).
    session.insert(URI, types.Position(3, 0), "# ")
    fake.script({"text": "return b + a"})
    assert await session.inline(URI, cursor) == ["return b + a"]
    requests = fake.fim_requests()
    assert len(requests) == 2
    assert requests[-1]["body"]["suffix"].startswith("\n\n# print(add(1, 2))")
    # The text after the cursor on its own line differs too: a request, never the cache.
    session.insert(URI, cursor, ")", update_copy=True)
    fake.script({"text": "a + b"})
    assert await session.inline(URI, cursor) == ["a + b"]
    assert len(fake.fim_requests()) == 3
    status = await session.status()
    assert status["session"]["lruHits"] == 0


async def _accept_first(session: Session, fake) -> str:
    """Get "return a" at the end of SOURCE, insert it and accept it; the new text."""
    session.open(URI, SOURCE)
    _, future = session.request_inline(URI)
    [item] = (await future).items
    session.type_text(URI, item.insert_text)  # the editor inserts the suggestion...
    await _execute(session, item.command)  # ...and runs its command
    return SOURCE + item.insert_text


async def test_prefetch_after_accept_answers_the_next_request(prefetching, fake):
    fake.script({"text": "return a"}, {"text": " + b"})
    text = await _accept_first(prefetching, fake)
    await _fim_requests(fake, 2, finished=True)  # the first, the prefetch
    [_, prefetch] = fake.fim_requests()
    assert prefetch["body"]["prompt"].endswith(text)
    # The editor asks at the pause after the accept: answered by the prefetch.
    _, future = prefetching.request_inline(URI)
    [item] = (await asyncio.wait_for(future, 5)).items
    assert text + item.insert_text == SOURCE + "return a + b"
    assert len(fake.fim_requests()) == 2
    status = await prefetching.status()
    session_counters = status["session"]
    assert (session_counters["prefetched"], session_counters["prefetchUsed"]) == (1, 1)
    assert session_counters["lruHits"] + session_counters["reusedPending"] == 1


async def test_prefetch_in_flight_is_used_when_the_editor_asks_at_once(prefetching, fake):
    fake.script(
        {"text": "return a"},
        {"text": " + b", "latency_ms": 500},
    )
    text = await _accept_first(prefetching, fake)
    await _fim_requests(fake, 2, finished=False)
    _, future = prefetching.request_inline(URI)
    [item] = (await asyncio.wait_for(future, 5)).items
    assert text + item.insert_text == SOURCE + "return a + b"
    assert len(fake.fim_requests()) == 2
    status = await prefetching.status()
    assert (status["session"]["reusedPending"], status["session"]["prefetchUsed"]) == (1, 1)


async def test_prefetch_is_cancelled_when_the_user_goes_elsewhere(prefetching, fake):
    fake.script({"text": "return a"}, {"text": " + b", "latency_ms": 3000})
    await _accept_first(prefetching, fake)
    await _fim_requests(fake, 2, finished=False)
    # Backspace: the prefetch's place is gone.
    _delete(prefetching, types.Position(1, 11), types.Position(1, 12))
    await fake.wait_for_disconnect_async(timeout=5)
    prefetch = fake.fim_requests()[-1]
    assert prefetch["disconnected"] and not prefetch["completed"]
    status = await prefetching.status()
    assert status["session"]["prefetchCancelled"] == 1
    assert status["session"]["fetching"] == 0


async def test_a_prefetch_is_recorded_unused_then_shown(prefetching, fake, server_env):
    fake.script({"text": "return a"}, {"text": " + b"})
    await _accept_first(prefetching, fake)
    await _fim_requests(fake, 2, finished=True)
    await asyncio.sleep(0.3)  # the row is written right after the answer
    data_dir = server_env["DEEPSEEK_FIM_DATA_DIR"]

    def outcomes() -> list[str]:
        with Ledger(data_dir) as ledger:
            rows = ledger._conn.execute("SELECT outcome FROM usage ORDER BY id").fetchall()
        return [row[0] for row in rows]

    assert outcomes() == ["accepted", "unused"]
    assert await prefetching.inline(URI) != []
    await prefetching.status()
    await asyncio.sleep(0.3)
    assert outcomes() == ["accepted", "shown"]


async def test_no_prefetch_when_exhausted(prefetching, fake):
    fake.script({"text": "return a"})
    prefetching.open(URI, SOURCE)
    _, future = prefetching.request_inline(URI)
    [item] = (await future).items
    prefetching.type_text(URI, item.insert_text)
    fake.configure(balance="0")  # the grant is gone: 402, and a balance that says so
    assert await prefetching.inline(URI) == []
    await prefetching.wait_for_budget(lambda p: p["state"] == "exhausted")
    before = len(fake.fim_requests())
    await _execute(prefetching, item.command)  # the first suggestion, accepted now
    await asyncio.sleep(0.5)
    assert len(fake.fim_requests()) == before
    assert (await prefetching.status())["session"]["prefetched"] == 0


async def test_no_prefetch_while_pacing(server_env, fake):
    _seed_heavy_spending(server_env["DEEPSEEK_FIM_DATA_DIR"])
    fake.configure(balance=str(Decimal("8.40") - 5 * DAILY))
    session = await Session.start(server_env, {**SETTINGS, "pace": "auto", "prefetch": True})
    try:
        session.open(URI, SOURCE)
        payload = await session.wait_for_budget(lambda p: p["remainingFrom"] == "balance")
        assert payload["pace"]["active"] is True
        _, future = session.request_inline(URI)
        [item] = (await future).items
        session.type_text(URI, item.insert_text)
        await _execute(session, item.command)
        await asyncio.sleep(0.5)
        assert len(fake.fim_requests()) == 1
        assert (await session.status())["session"]["prefetched"] == 0
    finally:
        await session.stop()


async def test_prefetch_when_not_pacing(server_env, fake):
    """The same steps as above without the heavy spending: the prefetch goes out."""
    session = await Session.start(server_env, {"debounceMs": 0, "pace": "auto", "prefetch": True})
    try:
        fake.script({"text": "return a"}, {"text": " + b"})
        session.open(URI, SOURCE)
        _, future = session.request_inline(URI)
        [item] = (await future).items
        session.type_text(URI, item.insert_text)
        await _execute(session, item.command)
        await _fim_requests(fake, 2, finished=True)
        assert (await session.status())["session"]["prefetched"] == 1
    finally:
        await session.stop()


async def test_no_prefetch_by_default(session, fake):
    """Off unless `prefetch` is set: editors ask at once after an accept anyway."""
    fake.script({"text": "return a"}, {"text": " + b"})
    await _accept_first(session, fake)
    await asyncio.sleep(0.5)
    assert len(fake.fim_requests()) == 1
    assert (await session.status())["session"]["prefetched"] == 0


async def test_enter_aborts_a_line_request_in_flight_and_asks_at_once(session, fake):
    # A `line` request (stop "\n") cannot answer the new line: after Enter it is aborted at
    # the key, not waited for (that was a second round trip before the ghost text), and the
    # request for the new line goes out at once.
    fake.script({"text": "b", "latency_ms": 10_000}, {"text": "return total"})
    session.open(URI, "def add(a, b):\n    total = a.")
    first_id, first = session.request_inline(URI)
    await _fim_requests(fake, 1, finished=False)
    [line_request] = fake.fim_requests()
    assert line_request["body"]["stop"] == ["\n"]
    session.type_text(URI, "\n    ")
    for _ in range(30):  # the change alone aborts it, before the editor asks again
        if fake.fim_requests()[0]["disconnected"]:
            break
        await asyncio.sleep(0.05)
    assert fake.fim_requests()[0]["disconnected"]
    session.cancel(first_id)
    _, second = session.request_inline(URI)
    [item] = (await asyncio.wait_for(second, 5)).items
    assert item.insert_text == "return total"
    await asyncio.gather(first, return_exceptions=True)
    line_request, new_line = fake.fim_requests()
    assert not line_request["completed"]
    assert new_line["body"]["prompt"].endswith("total = a.\n    ")
    assert (await session.status())["session"]["reusedPending"] == 0


# The end of a finished line: a `next` request; the model writes three lines, one is shown.
RUN_ON_SOURCE = "def f():\n    x = 1"
RUN_ON = "\n    y = 2\n    z = 3\n    return x + y + z"


async def test_what_the_model_wrote_past_a_taken_line_answers_the_next_places(session, fake):
    fake.script({"text": RUN_ON})
    session.open(URI, RUN_ON_SOURCE)
    assert await session.inline(URI) == ["\n    y = 2"]
    session.type_text(URI, "\n    y = 2")  # accepted (the editor inserts it)
    assert await session.inline(URI) == ["\n    z = 3"]
    session.type_text(URI, "\n    ")  # Enter: typed into that answer
    assert await session.inline(URI) == ["z = 3"]
    session.type_text(URI, "z = 3\n    ")  # typed through it, and Enter
    texts = await session.inline(URI)
    assert texts == ["return x + y + z"]
    assert "\n".join(session.documents[URI].lines) + texts[0] == RUN_ON_SOURCE + RUN_ON
    assert len(fake.fim_requests()) == 1
    counters = (await session.status())["session"]
    assert (counters["continued"], counters["lruHits"]) == (2, 1)


async def test_a_line_cut_by_max_tokens_is_never_shown(session, fake):
    fake.script(
        {"text": "\n    y = 2\n    z = ", "finish_reason": "length"}, {"text": "\n    z = 3"}
    )
    session.open(URI, RUN_ON_SOURCE)
    assert await session.inline(URI) == ["\n    y = 2"]
    session.type_text(URI, "\n    y = 2")
    assert await session.inline(URI) == ["\n    z = 3"]  # asked for: "    z = " was cut
    assert len(fake.fim_requests()) == 2
    assert (await session.status())["session"]["continued"] == 0


async def test_no_continuation_after_other_text(session, fake):
    fake.script({"text": RUN_ON}, {"text": "\n    w = 4"})
    session.open(URI, RUN_ON_SOURCE)
    assert await session.inline(URI) == ["\n    y = 2"]
    session.type_text(URI, "\n    y = 5")  # the user wrote another line
    assert await session.inline(URI) == ["\n    w = 4"]
    assert len(fake.fim_requests()) == 2
