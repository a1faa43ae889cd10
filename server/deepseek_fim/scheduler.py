"""Debounce, supersede and cancellation of completion requests, per document.

A request waits out the debounce in a cancellable sleep; a newer request for the same document
cancels the older one's work (its HTTP call included), and the older request is answered at once
with "nothing". A `$/cancelRequest` cancels the awaiting handler, which cancels the work and lets
CancelledError propagate so pygls answers RequestCancelled.

Also the last suggestion shown per document (`LastShown`), which tells where an accepted one ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class RequestScheduler:
    """Runs at most one completion job per document; newer requests supersede older ones."""

    def __init__(self) -> None:
        """Start with no work in flight."""
        self._inflight: dict[str, asyncio.Task[object]] = {}
        self.superseded = 0

    def cancel(self, key: str) -> None:
        """Cancel the work in flight for key, if any (e.g. the document changed or closed)."""
        task = self._inflight.pop(key, None)
        if task is not None and not task.done():
            task.cancel()

    def cancel_all(self) -> None:
        """Cancel every job in flight (shutdown, settings change)."""
        for key in list(self._inflight):
            self.cancel(key)

    @property
    def inflight(self) -> int:
        """Number of jobs not finished yet."""
        return sum(1 for task in self._inflight.values() if not task.done())

    async def run(self, key: str, delay_s: float, job: Callable[[], Awaitable[T]]) -> T | None:
        """Wait delay_s, then run job; return None when a newer request for key superseded it.

        Cancellation of the caller (a `$/cancelRequest`) cancels the job and propagates.
        """
        previous = self._inflight.get(key)
        if previous is not None and not previous.done():
            previous.cancel()
            self.superseded += 1

        async def debounced() -> T:
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            return await job()

        task: asyncio.Task[T] = asyncio.ensure_future(debounced())
        self._inflight[key] = task
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            # Only the job was cancelled: a newer request took its place.
            return None
        finally:
            if not task.done():
                task.cancel()
            if self._inflight.get(key) is task:
                del self._inflight[key]


@dataclass(frozen=True)
class Shown:
    """The last suggestion shown in a document, where it was anchored."""

    line: int
    line_prefix: str
    line_suffix: str
    text: str
    completion_id: str
    replace: str = ""  # the start of line_suffix the text replaces


class LastShown:
    """The last suggestion shown per document: where an accepted one ends (the prefetch).

    Typing into a suggestion is answered by the recent answers (`reuse.AnswerCache`).
    """

    def __init__(self) -> None:
        """Start empty."""
        self._shown: dict[str, Shown] = {}

    def remember(self, key: str, shown: Shown) -> None:
        """Record the suggestion just returned for key."""
        self._shown[key] = shown

    def last(self, key: str) -> Shown | None:
        """The suggestion last shown for key, if any."""
        return self._shown.get(key)

    def forget(self, key: str) -> None:
        """Drop the suggestion for key (document closed)."""
        self._shown.pop(key, None)
