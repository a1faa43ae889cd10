"""The user's typing cadence: how long they take between two keys inside a word.

The wait before a request inside a word should end just after the user's usual gap between two
keys there: shorter, and most requests are sent while the user is still typing (the next key
aborts them, and DeepSeek may bill their prompts); longer, and every pause inside a word waits
for nothing. A fixed `debounceMs` fits one typist; this module learns the user's own gaps.

It watches the text changes: a change that types one character is a key. The gap after a key
that typed a word character, up to the next key, is an in-word gap; gaps of a second or more are
pauses, not gaps, and are left out. Once `MIN_SAMPLES` gaps are known, the wait inside a word is
the `QUANTILE` of the last `SAMPLES` gaps plus `MARGIN_S`, kept between half and twice
`debounceMs` (so `0` still means no wait, and the setting stays the scale the user chose).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from deepseek_fim.budget.ledger import percentile

SAMPLES = 200  # the last this many in-word gaps: the cadence of today's typing, not last week's
MIN_SAMPLES = 30  # fewer gaps than this say little: the setting applies until then
QUANTILE = 0.9  # most of the user's in-word gaps end before the request starts
MARGIN_S = 0.03  # for the jitter of the editor and the LSP transport
PAUSE_S = 1.0  # a gap this long is a pause, not a gap between two keys


def _is_word_char(text: str) -> bool:
    return text.isalnum() or text == "_"


class Cadence:
    """The in-word key gaps seen so far, and the wait inside a word they suggest."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Start with no gaps (`clock`: monotonic seconds; tests give their own)."""
        self._clock = clock
        self._gaps_ms: deque[int] = deque(maxlen=SAMPLES)
        self._last_key: tuple[str, float, bool] | None = None  # uri, time, typed a word char

    def changed(self, uri: str, typed: str | None) -> None:
        """Note a text change in `uri`; `typed` is the character it typed, None for any other."""
        now = self._clock()
        last = self._last_key
        if typed is None or len(typed) != 1:
            self._last_key = None  # a paste, a deletion, an accept: not part of the cadence
            return
        if last is not None and last[0] == uri and last[2]:
            gap = now - last[1]
            if 0 <= gap < PAUSE_S:
                self._gaps_ms.append(round(gap * 1000))
        self._last_key = (uri, now, _is_word_char(typed))

    @property
    def samples(self) -> int:
        """How many in-word gaps are known."""
        return len(self._gaps_ms)

    def in_word_wait_s(self, debounce_s: float) -> float:
        """Seconds to wait inside a word, for the `debounceMs` setting `debounce_s`."""
        if len(self._gaps_ms) < MIN_SAMPLES:
            return debounce_s
        usual = percentile(list(self._gaps_ms), QUANTILE)
        assert usual is not None  # there are gaps
        learned = usual / 1000 + MARGIN_S
        return min(max(learned, debounce_s / 2), debounce_s * 2)

    def to_json(self, debounce_s: float) -> dict[str, Any]:
        """The cadence as `deepseekFim/status` reports it."""
        gaps = list(self._gaps_ms)
        return {
            "inWordGaps": len(gaps),
            "inWordGapP50Ms": percentile(gaps, 0.5),
            "inWordGapP90Ms": percentile(gaps, QUANTILE),
            "inWordWaitMs": round(self.in_word_wait_s(debounce_s) * 1000),
        }
