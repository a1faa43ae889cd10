"""End to end: completions come back at the first pause after a connection-level outage.

The server runs with its budget clock sped up (`DEEPSEEK_FIM_TIME_SCALE`): backoff, the retry
floor and every other policy keep their real constants, and a five-minute outage of the fake
DeepSeek API takes five real seconds. The fake is taken down the two ways a network fails:
its listener closed (connections refused) or every request answered with a TCP reset. Pauses
keep coming through the outage, every `PAUSE_GAP_S` simulated seconds, as a typist's do.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from deepseek_fim.budget.state import Backoff
from deepseek_fim.testing.fake_deepseek import FakeDeepSeek
from deepseek_fim.testing.lsp_session import Session

URI = "file:///work/project/app.py"
SOURCE = "def add(a, b):\n    "
GHOST = ["return a + b"]
SCALE = 60.0  # simulated seconds per real second
PAUSE_GAP_S = 2.0  # simulated seconds from one pause to the next
RECOVERY_GOAL_S = 5.0  # issue 20: a ghost within 5 s of the first pause after the API is back


class SimClock:
    """The test's view of the server's sped-up clock (both start from real time)."""

    def __init__(self) -> None:
        self._start = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._start) * SCALE

    async def sleep_until(self, moment: float) -> None:
        wait = (moment - self.now()) / SCALE
        if wait > 0:
            await asyncio.sleep(wait)


class Typist:
    """Types one new character per pause, so that no recent answer can answer it."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pauses = 0

    async def pause(self) -> list[str]:
        self.pauses += 1
        letter = "abcdefghijklmnopqrstuvwxyz"[self.pauses % 26]
        self.session.type_text(URI, f"\n{letter}")
        return await self.session.inline(URI)


async def start(server_env: dict[str, str]) -> Session:
    env = {**server_env, "DEEPSEEK_FIM_TIME_SCALE": str(SCALE)}
    return await Session.start(env, {"debounceMs": 0})


async def sent(session: Session) -> int:
    """FIM requests the server tried to send (refused ones included)."""
    return int((await session.status())["session"]["sent"])


async def outage(
    session: Session,
    typist: Typist,
    clock: SimClock,
    seconds: float,
    go_down: Callable[[], None],
    come_back: Callable[[], None],
) -> tuple[int, int, list[str]]:
    """Hold the API down for `seconds` (simulated) with a pause every PAUSE_GAP_S.

    Return the pauses during the outage, the requests tried during it, and the ghost of the
    first pause after the API is back.
    """
    before = await sent(session)
    pauses_before = typist.pauses
    go_down()
    began = clock.now()
    next_pause = began
    while next_pause < began + seconds:
        await clock.sleep_until(next_pause)
        assert await typist.pause() == []
        next_pause += PAUSE_GAP_S
    tried = await sent(session) - before
    pauses = typist.pauses - pauses_before
    await session.wait_for_budget(lambda p: p["state"] == "offline")
    come_back()
    await clock.sleep_until(next_pause)
    ghost = await typist.pause()
    return pauses, tried, ghost


@pytest.mark.parametrize(
    ("seconds", "how"),
    [(45.0, "refused"), (300.0, "refused"), (45.0, "reset"), (300.0, "reset")],
)
async def test_ghost_at_the_first_pause_after_an_outage(server_env, fake, seconds, how):
    session = await start(server_env)
    try:
        session.open(URI, SOURCE)
        typist = Typist(session)
        assert await typist.pause() == GHOST
        await session.wait_for_budget(lambda p: p["state"] == "ok")
        if how == "refused":
            go_down, come_back = fake.refuse_connections, fake.accept_connections
        else:
            resets_before = fake.resets

            def go_down() -> None:
                fake.configure(reset_connections=True)

            def come_back() -> None:
                fake.configure(reset_connections=False)

        clock = SimClock()
        pauses, tried, ghost = await outage(session, typist, clock, seconds, go_down, come_back)
        # Within RECOVERY_GOAL_S of the first pause after the API is back: that very pause.
        assert ghost == GHOST, f"no ghost at the first pause after a {seconds:g} s outage"
        await session.wait_for_budget(lambda p: p["state"] == "ok")
        assert 0 < tried <= pauses, f"{tried} requests tried in {pauses} pauses"
        failed = [log.message for log in session.logs if "FIM request failed" in log.message]
        assert len(failed) == 1, failed  # one log line for the outage, not one per pause
        if how == "reset":
            assert fake.resets - resets_before == tried  # the fake saw each try, and no other
    finally:
        await session.stop()


def most_requests_backoff_allows(seconds: float) -> int:
    """Requests today's throttling backoff allows in `seconds` of errors: every wait at its
    shortest (the jitter's lower half), the first request at once."""
    backoff, elapsed, requests = Backoff(), 0.0, 0
    while elapsed <= seconds:
        requests += 1
        elapsed += backoff.delay(requests, lambda: 0.0)
    return requests


@pytest.mark.parametrize("status", [429, 503])
async def test_throttling_still_backs_off(server_env, fake: FakeDeepSeek, status):
    session = await start(server_env)
    try:
        session.open(URI, SOURCE)
        typist = Typist(session)
        assert await typist.pause() == GHOST
        before = len(fake.fim_requests())
        fake.script(*[{"status": status}] * 200)
        clock = SimClock()
        seconds, gap = 120.0, 1.0
        next_pause = 0.0
        while next_pause < seconds:
            await clock.sleep_until(next_pause)
            assert await typist.pause() == []
            next_pause += gap
        requests = len(fake.fim_requests()) - before
        assert 1 < requests <= most_requests_backoff_allows(seconds)
        await session.wait_for_budget(lambda p: p["state"] == "throttled", since=0)
    finally:
        await session.stop()
