"""Which prompt beginnings DeepSeek has probably cached by now, and which it cannot have yet.

DeepSeek caches a prompt's beginning from a request it was sent in, but builds that cache
"within seconds" of the request (deepseek-api.md). A second request with the same beginning
sent before then pays the whole of it again at the cache-miss price: at a new place in a file
that is the context block and the whole prefix window, a thousand tokens and more, often twice
in the first two seconds (the user starts typing there). The prompt builder asks this clock
whether a beginning is still being cached, and sends a lean prompt while it is (see
`PromptBuilder.build`).

A beginning is named by a key (a hash of what it is made of); a key counts from the first
request that carried it, and is forgotten after an hour (DeepSeek drops its cache in hours).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable

# How long after the first request with a beginning a request is assumed to miss all of it.
# DeepSeek says "within seconds"; 2 s is what the project's fake (and the replay)
# model. A guess that is too long costs a lean prompt where the whole one would have hit
# (about 25 micro-USD at V3.2 prices); one too short costs the whole prompt again (about 250).
CACHE_BUILD_S = 2.0
# DeepSeek drops a cache after hours to days: a beginning unsent for an hour counts as new.
FORGET_S = 3600.0
_MAX_KEYS = 512


class CacheWarmth:
    """First-sent times of prompt beginnings, by key."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """``clock``: monotonic seconds (a test's own)."""
        self._clock = clock
        # key -> (first sent, last sent)
        self._sent: dict[Hashable, tuple[float, float]] = {}

    def sent(self, keys: Iterable[Hashable]) -> None:
        """A request carrying these beginnings was sent now."""
        now = self._clock()
        for key in keys:
            known = self._sent.get(key)
            first = known[0] if known is not None and now - known[1] < FORGET_S else now
            self._sent[key] = (first, now)
        if len(self._sent) > _MAX_KEYS:  # keep the most recently sent half
            kept = sorted(self._sent.items(), key=lambda item: item[1][1])[-_MAX_KEYS // 2 :]
            self._sent = dict(kept)

    def building(self, key: Hashable) -> bool:
        """Whether DeepSeek is still building this beginning's cache (cannot hit it yet).

        True while the first request that carried it went out less than `CACHE_BUILD_S` ago.
        """
        known = self._sent.get(key)
        if known is None:
            return False
        now = self._clock()
        return now - known[1] < FORGET_S and now - known[0] < CACHE_BUILD_S
