"""Shared, thread-safe state of the fake DeepSeek API: config, request log, script, cache, balance.

The server's event loop and the test's thread both touch it, so every access holds one lock and
never awaits while holding it; waiters sleep on a condition that each log change notifies.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from deepseek_fim.testing.fake_config import FakeConfig, check_script_entry
from deepseek_fim.testing.fake_tokens import PrefixCache

LogEntry = dict[str, Any]
_MILLION = Decimal(1_000_000)


class FakeState:
    """Everything the fake remembers between requests."""

    def __init__(self, config: FakeConfig) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._config = config
        self._balance = Decimal(config.balance)
        self._log: list[LogEntry] = []
        self._script: deque[dict[str, Any]] = deque()
        self._cache = PrefixCache()
        self._next_request_id = 1
        self._next_connection_id = 1
        self._resets = 0

    @property
    def config(self) -> FakeConfig:
        """The current config (an immutable snapshot)."""
        with self._lock:
            return self._config

    def configure(self, changes: Mapping[str, Any]) -> FakeConfig:
        """Apply config changes; setting `balance` also sets the current balance."""
        with self._lock:
            self._config = self._config.updated(changes)
            if "balance" in changes:
                self._balance = Decimal(self._config.balance)
            return self._config

    def add_script(self, responses: Iterable[Any]) -> int:
        """Append scripted responses to the queue (all or none); return the queue length."""
        checked = [check_script_entry(entry) for entry in responses]
        with self._lock:
            self._script.extend(checked)
            return len(self._script)

    def pop_script(self) -> dict[str, Any] | None:
        """Take the next scripted response, if any."""
        with self._lock:
            return self._script.popleft() if self._script else None

    def reset(self) -> None:
        """Clear log, script and cache; restore the configured balance."""
        with self._changed:
            self._log.clear()
            self._script.clear()
            self._cache.clear()
            self._balance = Decimal(self._config.balance)
            self._changed.notify_all()

    def count_reset(self) -> None:
        """An API request was answered with a TCP reset (`reset_connections`)."""
        with self._lock:
            self._resets += 1

    @property
    def resets(self) -> int:
        """How many API requests were answered with a TCP reset."""
        with self._lock:
            return self._resets

    def new_connection_id(self) -> int:
        """Return a fresh connection id."""
        with self._lock:
            connection_id = self._next_connection_id
            self._next_connection_id += 1
            return connection_id

    def begin(self, connection_id: int, method: str, path: str) -> LogEntry:
        """Append and return the log entry of a request that has just been read."""
        with self._changed:
            entry: LogEntry = {
                "id": self._next_request_id,
                "connection_id": connection_id,
                "method": method,
                "path": path,
                "body": None,
                "has_auth": False,
                "stream": False,
                "status": None,
                "response_text": None,
                "finish_reason": None,
                "usage": None,
                "error": None,
                "scripted": None,
                "started": time.monotonic(),
                "finished": None,
                "completed": False,
                "disconnected": False,
            }
            self._next_request_id += 1
            self._log.append(entry)
            self._changed.notify_all()
            return entry

    def update(self, entry: LogEntry, **fields: Any) -> None:
        """Change fields of a log entry."""
        with self._changed:
            entry.update(fields)
            self._changed.notify_all()

    def finish(self, entry: LogEntry, **fields: Any) -> None:
        """Change fields of a log entry and stamp it finished (once)."""
        with self._changed:
            entry.update(fields)
            if entry["finished"] is None:
                entry["finished"] = time.monotonic()
            self._changed.notify_all()

    def snapshot(self) -> list[LogEntry]:
        """Return a deep copy of the log."""
        with self._lock:
            return copy.deepcopy(self._log)

    def wait_for_requests(
        self, count: int, timeout: float, *, finished: bool, path: str | None = None
    ) -> list[LogEntry]:
        """Wait until `count` requests (to `path`, if given) are logged (and finished).

        Return the whole log.
        """

        def ready() -> bool:
            done = [
                e
                for e in self._log
                if (not finished or e["finished"] is not None) and path in (None, e["path"])
            ]
            return len(done) >= count

        def what() -> str:
            where = f" to {path}" if path else ""
            return f"{count} {'finished ' if finished else ''}requests{where}"

        self._wait(ready, timeout, what)
        return self.snapshot()

    def wait_for_disconnect(self, timeout: float) -> LogEntry:
        """Wait until some request saw its client go away; return the latest such entry."""

        def ready() -> bool:
            return any(e["disconnected"] for e in self._log)

        self._wait(ready, timeout, lambda: "a client disconnect")
        with self._lock:
            return copy.deepcopy([e for e in self._log if e["disconnected"]][-1])

    def _wait(self, ready: Callable[[], bool], timeout: float, what: Callable[[], str]) -> None:
        with self._changed:
            if not self._changed.wait_for(ready, timeout):
                summary = [(e["method"], e["path"], e["status"]) for e in self._log]
                raise TimeoutError(f"fake DeepSeek: no {what()} within {timeout}s; log: {summary}")

    @property
    def balance(self) -> Decimal:
        """The balance left, in USD."""
        with self._lock:
            return self._balance

    def cache_hits(self, tokens: list[str], sent_at: float) -> int:
        """Return the cache-hit tokens of a prompt sent at `sent_at` and remember its prefixes."""
        with self._lock:
            config = self._config
            return self._cache.lookup_and_store(
                tokens, config.cache_unit, now=sent_at, build_s=config.cache_build_ms / 1000
            )

    def charge(self, usage: Mapping[str, int]) -> Decimal:
        """Spend the price of `usage` from the balance; return the cost."""
        with self._lock:
            config = self._config
            cost = (
                usage["prompt_cache_hit_tokens"] * Decimal(config.price_cache_hit)
                + usage["prompt_cache_miss_tokens"] * Decimal(config.price_cache_miss)
                + usage["completion_tokens"] * Decimal(config.price_output)
            ) / _MILLION
            self._balance -= cost
            return cost
