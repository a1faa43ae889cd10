"""How fast the server's budget clock runs: 1 (real time) unless a test speeds it up.

`DEEPSEEK_FIM_TIME_SCALE` (test-only, never set by users or clients) makes the clock of the
budget (backoff, the offline retry floor, balance-check intervals, ledger times) run that many
times faster than real time, so an end-to-end test can hold the API down for five simulated
minutes in five real seconds without changing a single policy constant. Sleeps that wait for
such a moment convert simulated seconds back with `real_seconds`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from deepseek_fim.budget.clock import utc_now

logger = logging.getLogger(__name__)

ENV_VAR = "DEEPSEEK_FIM_TIME_SCALE"


@dataclass(frozen=True)
class TimeScale:
    """A clock that runs `factor` times faster than real time, from the moment it is made."""

    factor: float = 1.0
    _start: datetime = field(default_factory=utc_now)
    _start_monotonic: float = field(default_factory=time.monotonic)

    def now(self) -> datetime:
        """The scaled time (aware, UTC); the real time when `factor` is 1."""
        if self.factor == 1.0:
            return utc_now()
        elapsed = (time.monotonic() - self._start_monotonic) * self.factor
        return self._start + timedelta(seconds=elapsed)

    def real_seconds(self, scaled: float) -> float:
        """Real seconds that `scaled` seconds of this clock take."""
        return scaled / self.factor

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TimeScale:
        """The scale `DEEPSEEK_FIM_TIME_SCALE` asks for (a number > 0), else real time."""
        text = (os.environ if env is None else env).get(ENV_VAR, "").strip()
        if not text:
            return cls()
        try:
            factor = float(text)
        except ValueError:
            factor = 0.0
        if not 0 < factor < float("inf"):
            logger.warning("ignoring %s=%r: not a positive number", ENV_VAR, text)
            return cls()
        return cls(factor)
