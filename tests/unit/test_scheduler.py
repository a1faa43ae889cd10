"""The scheduler: debounce, supersede, cancellation; the typed-ahead cache."""

import asyncio

import pytest

from deepseek_fim.scheduler import RequestScheduler, Shown, TypeAheadCache


async def test_newer_request_supersedes_older_one():
    scheduler = RequestScheduler()
    started: list[str] = []

    def job(name):
        async def run():
            started.append(name)
            return name

        return run

    first = asyncio.ensure_future(scheduler.run("doc", 0.05, job("first")))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(scheduler.run("doc", 0.05, job("second")))
    assert await first is None  # answered at once, without running its job
    assert await second == "second"
    assert started == ["second"]
    assert scheduler.superseded == 1


async def test_documents_do_not_supersede_each_other():
    scheduler = RequestScheduler()

    async def value(v):
        return v

    results = await asyncio.gather(
        scheduler.run("a", 0.01, lambda: value(1)), scheduler.run("b", 0.01, lambda: value(2))
    )
    assert results == [1, 2]


async def test_cancelling_the_caller_cancels_the_job_and_propagates():
    scheduler = RequestScheduler()
    job_cancelled = asyncio.Event()

    async def slow():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            job_cancelled.set()
            raise

    caller = asyncio.ensure_future(scheduler.run("doc", 0, slow))
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert job_cancelled.is_set()
    assert scheduler.inflight == 0


async def test_superseding_cancels_work_already_in_flight():
    scheduler = RequestScheduler()
    job_cancelled = asyncio.Event()

    async def slow():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            job_cancelled.set()
            raise

    async def quick():
        return "new"

    first = asyncio.ensure_future(scheduler.run("doc", 0, slow))
    await asyncio.sleep(0.01)
    assert await scheduler.run("doc", 0, quick) == "new"
    assert await first is None
    assert job_cancelled.is_set()


def test_typeahead_returns_the_rest_of_the_suggestion():
    cache = TypeAheadCache()
    cache.remember("doc", Shown(3, "    return ", "", 10, "a + b", "7"))
    assert cache.lookup("doc", 3, "    return a", "", 10) == (" + b", "7", "")
    assert cache.lookup("doc", 3, "    return a +", "", 10) == (" b", "7", "")


def test_typed_ahead_rest_replaces_the_same_closers() -> None:
    cache = TypeAheadCache()
    cache.remember("doc", Shown(0, "console.log(", ")", 1, "a, b);", "9", ")"))
    assert cache.lookup("doc", 0, "console.log(a", ")", 1) == (", b);", "9", ")")


@pytest.mark.parametrize(
    ("line", "prefix", "suffix", "count"),
    [
        (4, "    return a", "", 10),  # another line
        (3, "    return x", "", 10),  # typed something else
        (3, "    return a", ")", 10),  # the text after the cursor changed
        (3, "    return a", "", 11),  # lines were added
        (3, "    return ", "", 10),  # nothing typed yet
        (3, "    return a + b", "", 10),  # typed it all
    ],
)
def test_typeahead_misses(line, prefix, suffix, count):
    cache = TypeAheadCache()
    cache.remember("doc", Shown(3, "    return ", "", 10, "a + b", "7"))
    assert cache.lookup("doc", line, prefix, suffix, count) is None
