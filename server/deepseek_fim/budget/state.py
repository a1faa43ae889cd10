"""The budget state machine: which state the client shows and whether a request may be sent.

Pauses: a 402 (or a balance saying `is_available: false`, or a grant used up by the local count)
pauses completions in `exhausted`; a 401 pauses them in `authFailed`. A pause ends when the key
changes, when the user resumes, or (for `exhausted`) when a balance check says `is_available`.
After a balance check or a resume says the account can pay, the local count alone no longer
pauses (the user may have topped up): only a new 402 does.

Backoff: 429, 500, 503 (and other 5xx) put the state in `throttled`; timeouts and streams that
broke off after DeepSeek answered in `offline`. No request is sent before `retry_at`: the delay
doubles with each consecutive failure from `Backoff.base` up to `Backoff.cap` seconds, with
"equal jitter" (half fixed, half random) so that two editors do not retry in lockstep. These are
the API's ways of asking us to slow down (or of failing after it started to work and bill).

Unreachable (refused, reset, DNS, TLS, no connection within the connect timeout): `offline`, but
no backoff. Such a try reaches no model and bills nothing, and the way back (a laptop waking, a
VPN reconnecting, Wi-Fi returning) is noticed only by trying: a doubling wait would hold the user
back for up to a minute after the network is fine. So the next request may go as soon as
`unreachable_floor` seconds have passed since the last try; the service waits out the rest of
the floor in the pause's own debounce, so each pause tries at most once and the first pause
after the API is back gets its answer.

`throttled` is shown while the wait lasts; `offline` is shown until a request succeeds, since
only that proves the way is open.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from deepseek_fim.budget.clock import Clock, as_utc, utc_now
from deepseek_fim.budget.grant import GrantStatus

logger = logging.getLogger(__name__)

BALANCE_INTERVAL = timedelta(minutes=10)

ErrorKind = int | Literal["timeout", "connection", "unreachable"]
"""An HTTP status, or a failure without one."""

# Between two tries while the API cannot be reached: short enough that the first pause after
# the API is back gets its answer well within 5 s, long enough that fast typing at places with
# no debounce does not try at every key.
UNREACHABLE_FLOOR_S = 2.0


class State(StrEnum):
    """The budget states of `deepseekFim/budget` (values are the payload's `state`)."""

    OK = "ok"
    LOW = "low"
    EXHAUSTED = "exhausted"
    EXPIRED = "expired"
    NO_KEY = "noKey"
    AUTH_FAILED = "authFailed"
    THROTTLED = "throttled"
    OFFLINE = "offline"
    DISABLED = "disabled"
    EXCLUDED = "excluded"


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff, equal jitter: delay n in [d/2, d], d = min(cap, base * 2**(n-1))."""

    base: float = 1.0
    cap: float = 60.0

    def delay(self, failures: int, rng: Callable[[], float]) -> float:
        """Return the wait in seconds after `failures` consecutive failures (>= 1)."""
        ceiling = min(self.cap, self.base * 2.0 ** max(failures - 1, 0))
        return ceiling / 2 + rng() * ceiling / 2


class BudgetState:
    """Takes errors, balances, key and user actions, the grant; answers `state`, `may_send`."""

    def __init__(
        self,
        *,
        has_key: bool = True,
        enabled: bool = True,
        clock: Clock = utc_now,
        rng: Callable[[], float] = random.random,
        backoff: Backoff | None = None,
        unreachable_floor: float = UNREACHABLE_FLOOR_S,
    ) -> None:
        self._clock = clock
        self._rng = rng
        self._backoff = backoff or Backoff()
        self._unreachable_floor = timedelta(seconds=unreachable_floor)
        self.has_key = has_key
        self.enabled = enabled
        self._pause: Literal[State.EXHAUSTED, State.AUTH_FAILED] | None = None
        self._failures = 0
        self._retry_at: datetime | None = None
        self._offline = False
        self._unreachable_at: datetime | None = None  # the last try that found no way through
        self._grant: GrantStatus | None = None
        self._account_can_pay = False  # a balance check or a resume overrode the local count
        self.balance_check_due = False  # set by a 402 until the next on_balance

    # --- inputs -----------------------------------------------------------------------------

    def on_success(self) -> None:
        """A request succeeded: backoff and offline end."""
        self._reset_backoff()

    def on_error(self, error: ErrorKind) -> None:
        """A request failed with an HTTP status, `"timeout"`, `"connection"`, `"unreachable"`."""
        if error == 402:
            self._pause = State.EXHAUSTED
            self._account_can_pay = False
            self.balance_check_due = True
        elif error == 401:
            self._pause = State.AUTH_FAILED
        elif error == "unreachable":
            # No backoff (see the module): only a floor between tries. The failure count of a
            # throttling backoff is left as it was: it is about the API, not the network.
            self._offline = True
            self._unreachable_at = as_utc(self._clock())
        elif error in ("timeout", "connection"):
            self._offline = True
            self._schedule_retry()
        elif isinstance(error, int) and (error == 429 or error >= 500):
            self._schedule_retry()
        # 400, 422 and the like concern one request only: no state change.

    def on_balance(self, is_available: bool) -> None:
        """A balance check answered: it ends an `exhausted` pause, or starts one."""
        self.balance_check_due = False
        if is_available:
            self._account_can_pay = True
            if self._pause is State.EXHAUSTED:
                self._pause = None
        elif self._pause is None:
            self._account_can_pay = False
            self._pause = State.EXHAUSTED

    def on_key_changed(self, has_key: bool) -> None:
        """The API key changed (or was removed): pauses and backoff end."""
        self.has_key = has_key
        self._pause = None
        self._account_can_pay = False
        self._reset_backoff()

    def on_resume(self) -> None:
        """The user asked to resume: pauses and backoff end, and the local count stops pausing.

        The next balance check comes at once: after a top-up the balance, which the grant
        figures follow, has changed.
        """
        self._pause = None
        self._account_can_pay = True
        self.balance_check_due = True
        self._reset_backoff()

    def set_enabled(self, enabled: bool) -> None:
        """Completions were switched on or off in the settings."""
        self.enabled = enabled

    def on_grant(self, grant: GrantStatus) -> None:
        """The local figures changed."""
        self._grant = grant

    # --- outputs ----------------------------------------------------------------------------

    @property
    def grant(self) -> GrantStatus | None:
        """The last grant status given to `on_grant`."""
        return self._grant

    @property
    def paused(self) -> State | None:
        """`exhausted` or `authFailed` while completions are paused, else None."""
        if self._pause is not None:
            return self._pause
        if self._locally_exhausted():
            return State.EXHAUSTED
        return None

    def retry_at(self) -> datetime | None:
        """The moment backoff ends, while it lasts; None otherwise."""
        if self._retry_at is not None and as_utc(self._clock()) < self._retry_at:
            return self._retry_at
        return None

    def may_send(self) -> bool:
        """True if a request may be sent now."""
        return self.wait_before_send() == 0.0

    def wait_before_send(self) -> float | None:
        """Seconds until a request may be sent; None while none may be (paused, backoff, off).

        0 now; more while the floor between tries of an unreachable API lasts.
        """
        if not (self.enabled and self.has_key) or self.paused is not None:
            return None
        if self.retry_at() is not None:
            return None
        if self._unreachable_at is None:
            return 0.0
        next_try = self._unreachable_at + self._unreachable_floor
        return max((next_try - as_utc(self._clock())).total_seconds(), 0.0)

    def state(self, *, document: State | None = None) -> State:
        """The state to show.

        `document` is the active document's own reason not to send, which outranks the account's
        state: `disabled` (its language is off), `excluded` (never sent) or `offline` (the base
        URL or key cannot be used at all).
        """
        if not self.enabled:
            return State.DISABLED
        if document is not None:
            return document
        if not self.has_key:
            return State.NO_KEY
        paused = self.paused
        if paused is not None:
            return paused
        if self._offline:
            return State.OFFLINE
        if self.retry_at() is not None:
            return State.THROTTLED
        grant = self._grant
        if grant is not None:
            if grant.expired:
                return State.EXPIRED
            if grant.low:
                return State.LOW
        return State.OK

    def next_change_at(self) -> datetime | None:
        """When the state changes by itself (backoff ends): schedule a refresh for then."""
        return self.retry_at()

    # --- helpers ----------------------------------------------------------------------------

    def _locally_exhausted(self) -> bool:
        grant = self._grant
        return grant is not None and grant.exhausted and not self._account_can_pay

    def _schedule_retry(self) -> None:
        self._failures += 1
        delay = self._backoff.delay(self._failures, self._rng)
        self._retry_at = as_utc(self._clock()) + timedelta(seconds=delay)
        logger.debug("backing off %.1f s after %d failures", delay, self._failures)

    def _reset_backoff(self) -> None:
        self._failures = 0
        self._retry_at = None
        self._offline = False
        self._unreachable_at = None


def should_check_balance(
    now: datetime,
    last_checked: datetime | None,
    active: bool,
    after_402: bool,
    *,
    interval: timedelta = BALANCE_INTERVAL,
) -> bool:
    """Whether to call `GET /user/balance` now.

    At start (never checked), after any 402, and otherwise at most every `interval` while
    completions are happening (`active`: the user asked for completions since the last check,
    including while paused, so that a top-up is noticed while the user works).
    """
    if last_checked is None or after_402:
        return True
    return active and as_utc(now) - as_utc(last_checked) >= interval
