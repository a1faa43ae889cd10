"""End to end: the wait before a request is short where typists pause and whole inside a word.

A debounce of 5 s makes the difference a matter of behaviour, not of timing: a request that goes
out within 3 s did not wait the debounce; one whose document moved on 0.5 s later was never sent.
"""

import asyncio

from lsprotocol import types

from deepseek_fim.testing.lsp_session import Session

URI = "file:///work/project/app.py"
LONG_DEBOUNCE = {"debounceMs": 5000}


async def sent_soon(fake, count: int) -> bool:
    """Whether `count` FIM requests reached the fake within 3 s."""
    for _ in range(60):
        if len(fake.fim_requests()) >= count:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_at_the_start_of_a_line_the_request_goes_out_at_once(server_env, fake):
    session = await Session.start(server_env, LONG_DEBOUNCE)
    try:
        session.open(URI, "def add(a, b):\n    ")
        _, future = session.request_inline(URI)
        assert await sent_soon(fake, 1), "sent long before the 5 s debounce"
        assert (await asyncio.wait_for(future, 3)).items
    finally:
        await session.stop()


async def test_after_a_keyword_or_an_opener_it_goes_out_at_once(server_env, fake):
    session = await Session.start(server_env, LONG_DEBOUNCE)
    try:
        session.open(URI, "def add(a, b):\n    return ")
        await asyncio.wait_for(session.request_inline(URI)[1], 3)
        session.type_text(URI, "max(")
        await asyncio.wait_for(session.request_inline(URI)[1], 3)
        first, second = [r["body"]["prompt"] for r in fake.fim_requests()]
        assert first.endswith("\n    return ")
        assert second.endswith("\n    return max(")
    finally:
        await session.stop()


async def test_at_the_end_of_a_line_after_a_word_it_goes_out_at_once_in_next_mode(server_env, fake):
    # Most pauses come here, before Enter; typing on is answered from the same answer.
    session = await Session.start(server_env, LONG_DEBOUNCE)
    try:
        session.open(URI, "def add(a, b):\n    total = a")
        _, future = session.request_inline(URI)
        assert await sent_soon(fake, 1), "sent long before the 5 s debounce"
        await asyncio.wait_for(future, 3)
        [request] = fake.fim_requests()
        # A next-line request: its answer may finish the line or start the next one.
        assert request["body"]["stop"] == ["\n\n"]
    finally:
        await session.stop()


async def test_inside_a_word_the_whole_debounce_applies(server_env, fake):
    session = await Session.start(server_env, LONG_DEBOUNCE)
    try:
        session.open(URI, "def add(a, b):\n    print(retu)")
        cursor = types.Position(1, 14)  # before the ")"
        _, future = session.request_inline(URI, cursor)
        await asyncio.sleep(0.5)
        session.insert(URI, cursor, "r")  # the user was still typing: nothing was sent
        result = await asyncio.wait_for(future, 6)
        assert list(result.items) == []
        assert fake.fim_requests() == []
    finally:
        await session.stop()


async def test_right_after_an_accept_the_next_request_goes_out_at_once(server_env, fake):
    fake.configure(completion="total = a + b")
    session = await Session.start(server_env, LONG_DEBOUNCE)
    try:
        session.open(URI, "def add(a, b):\n    ")
        [item] = (await asyncio.wait_for(session.request_inline(URI)[1], 3)).items
        session.type_text(URI, item.insert_text)  # the editor inserts it, then runs the command
        await session.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=item.command.command, arguments=list(item.command.arguments)
            )
        )
        fake.configure(completion=" * 2")
        # The cursor is right after "b", inside a word, yet the user is reading: no wait.
        result = await asyncio.wait_for(session.request_inline(URI)[1], 3)
        assert [i.insert_text for i in result.items] == [" * 2"]
        # Once the user types again, the place decides as before (inside a word, mid-line).
        session.type_text(URI, "\n    print(re)")
        cursor = types.Position(2, 12)
        _, future = session.request_inline(URI, cursor)
        await asyncio.sleep(0.5)
        session.insert(URI, cursor, "t")
        assert list((await asyncio.wait_for(future, 6)).items) == []
        assert len(fake.fim_requests()) == 2
    finally:
        await session.stop()


async def test_inside_a_word_the_wait_follows_the_users_own_key_gaps(server_env, fake):
    session = await Session.start(server_env, LONG_DEBOUNCE)
    try:
        session.open(URI, "def add(a, b):\n    ")
        name = "total_of_both_numbers_in_one_variable_name"
        for key in name:
            session.type_text(URI, key)  # one key per didChange, as editors send them
            await asyncio.sleep(0.01)
        cadence = (await session.status())["session"]["cadence"]
        # Gaps of about 10 ms: a fast typist, so the wait inside a word is half the setting.
        assert cadence["inWordGaps"] == 41
        assert cadence["inWordGapP90Ms"] < 500
        assert cadence["inWordWaitMs"] == 2500
        # Inside the line, not at its end (where nothing is waited for).
        session.type_text(URI, ")")
        _, future = session.request_inline(URI, types.Position(1, 4 + len(name)))
        for _ in range(90):  # 4.5 s: the learned wait, not the 5 s setting
            if fake.fim_requests():
                break
            await asyncio.sleep(0.05)
        assert len(fake.fim_requests()) == 1
        assert (await asyncio.wait_for(future, 3)).items
    finally:
        await session.stop()
