"""Debounce, supersede and cancellation of completion requests, per document.

A request waits out the debounce in a cancellable sleep; a newer request for the same document
cancels the older one's work (its HTTP call included), and the older request is answered at once
with "nothing". A `$/cancelRequest` cancels the awaiting handler, which cancels the work and lets
CancelledError propagate so pygls answers RequestCancelled.

Also the typed-ahead cache: when the user types the first characters of the suggestion on screen,
the rest of it is answered locally, with no debounce and no request.
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
    line_count: int
    text: str
    completion_id: str
    replace: str = ""  # the start of line_suffix the text replaces


class TypeAheadCache:
    """Remembers the last suggestion per document, to answer keystrokes that type into it."""

    def __init__(self) -> None:
        """Start empty."""
        self._shown: dict[str, Shown] = {}
        self.hits = 0

    def remember(self, key: str, shown: Shown) -> None:
        """Record the suggestion just returned for key."""
        self._shown[key] = shown

    def last(self, key: str) -> Shown | None:
        """The suggestion last shown for key, if any."""
        return self._shown.get(key)

    def forget(self, key: str) -> None:
        """Drop the suggestion for key (document closed, suggestion accepted)."""
        self._shown.pop(key, None)

    def lookup(
        self, key: str, line: int, line_prefix: str, line_suffix: str, line_count: int
    ) -> tuple[str, str, str] | None:
        """The rest of the suggestion if the user typed into it.

        Returned as (rest, completion id, what it replaces after the cursor).
        """
        shown = self._shown.get(key)
        if shown is None or shown.line != line or shown.line_count != line_count:
            return None
        if shown.line_suffix != line_suffix or not line_prefix.startswith(shown.line_prefix):
            return None
        typed = line_prefix[len(shown.line_prefix) :]
        if not typed or not shown.text.startswith(typed) or len(typed) >= len(shown.text):
            return None
        rest = shown.text[len(typed) :]
        if "\n" in typed or not rest.strip():
            return None
        self.hits += 1
        return rest, shown.completion_id, shown.replace
