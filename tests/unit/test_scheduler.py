"""The scheduler: debounce, supersede, cancellation; the typed-ahead cache."""

import asyncio

import pytest

from deepseek_fim.scheduler import RequestScheduler


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
