"""Grant arithmetic: tokens used and left, cost so far, expiry, burn rate and run-out forecast.

All tokens count against the token grant: cache-hit input, cache-miss input and output alike
(DeepSeek bills each kind from the same granted balance; the grant is sized in tokens as a guide).
Days are UTC days; the grant is valid for `days` days from its start date, so it expires at the
start of `start + days`.

Burn rate: tokens per calendar day over the last `BURN_WINDOW_DAYS` days (today included), where
the window starts no earlier than the grant's first day with use. Idle days inside the window count,
because the run-out date is a calendar date: a user who codes two days a week burns the grant at
two-sevenths of their active-day rate, and a rate per active day would forecast an early run-out
that never comes. Starting the window at the first day with use keeps a brand-new user's rate from
being diluted by days before they started.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from deepseek_fim.budget.clock import Clock, as_utc, utc_now
from deepseek_fim.budget.ledger import (
    DayRow,
    Ledger,
    Totals,
    acceptance_rate,
    cache_hit_ratio,
)
from deepseek_fim.settings import GrantSettings

BURN_WINDOW_DAYS = 7
LOW_RATIO = 0.20

StartSource = Literal["setting", "firstRun", "today"]


# The grant settings (size in tokens, start date or None for the first run, validity in days)
# are the settings' own type; the budget takes them as they are.
GrantConfig = GrantSettings


@dataclass(frozen=True)
class GrantStatus:
    """Where the grant stands on `today`."""

    today: date
    grant_tokens: int
    used_tokens: int
    remaining_tokens: int
    remaining_ratio: float
    hit: int
    miss: int
    output: int
    requests: int
    shown: int
    accepted: int
    cost: Decimal
    currency: str
    grant_start: date
    start_source: StartSource
    expires_on: date
    days_left: int
    burn_rate_per_day: float | None  # None: no use in the grant period yet
    run_out_on: date | None  # None: no use yet, or none in the burn window
    other_costs: dict[str, Decimal] = field(default_factory=dict)  # costs in other currencies

    @property
    def expired(self) -> bool:
        """True on and after the expiry date."""
        return self.today >= self.expires_on

    @property
    def exhausted(self) -> bool:
        """True when no token of the grant is left by the local count."""
        return self.remaining_tokens <= 0

    @property
    def low(self) -> bool:
        """True when less than 20% of the grant is left."""
        return self.remaining_ratio < LOW_RATIO

    @property
    def used_ratio(self) -> float:
        """Share of the grant used (may exceed 1)."""
        return self.used_tokens / self.grant_tokens if self.grant_tokens else 1.0

    @property
    def cache_hit_ratio(self) -> float | None:
        """Share of prompt tokens that hit the cache; None with no prompt tokens."""
        return cache_hit_ratio(self.hit, self.miss)

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted per shown suggestion; None if nothing was shown."""
        return acceptance_rate(self.accepted, self.shown)

    @property
    def runs_out_before_expiry(self) -> bool | None:
        """True if the forecast run-out comes before expiry; None without a forecast."""
        return None if self.run_out_on is None else self.run_out_on < self.expires_on


def burn_rate(
    days: Sequence[DayRow],
    today: date,
    window_days: int = BURN_WINDOW_DAYS,
    *,
    any_use: bool | None = None,
) -> float | None:
    """Return tokens per calendar day over the window ending `today` (see the module docstring).

    `days` are day rows (any order; rows outside the window are ignored). `any_use` says whether
    the grant period had any use at all (default: whether `days` shows some). None if there was
    no use; 0.0 if there was use, but none inside the window.
    """
    active = sorted(row.day for row in days if row.tokens > 0 and row.day <= today)
    if not (any_use if any_use is not None else bool(active)):
        return None
    window_start = today - timedelta(days=window_days - 1)
    in_window = [d for d in active if d >= window_start]
    if not in_window:
        return 0.0
    first = in_window[0]
    tokens = sum(row.tokens for row in days if first <= row.day <= today)
    return tokens / ((today - first).days + 1)


def run_out_date(remaining: int, rate: float | None, today: date) -> date | None:
    """Return the day during which `remaining` tokens are used up at `rate` per day, or None."""
    if remaining <= 0:
        return today
    if rate is None or rate <= 0:
        return None
    days = math.floor(remaining / rate)
    if days > (date.max - today).days:
        return None  # past the year 9999 (a huge grant.tokens): no run-out date to show
    return today + timedelta(days=days)


def _primary_currency(costs: dict[str, Decimal], default: str) -> str:
    if not costs:
        return default
    return max(costs, key=lambda currency: (costs[currency], currency == default))


def compute_grant(
    totals: Totals,
    days: Sequence[DayRow],
    *,
    config: GrantConfig,
    grant_start: date,
    start_source: StartSource,
    today: date,
    default_currency: str = "USD",
) -> GrantStatus:
    """Return the grant status from the grant period's totals and its day rows (pure)."""
    used = totals.tokens
    remaining = max(config.tokens - used, 0)
    ratio = min(max(remaining / config.tokens, 0.0), 1.0) if config.tokens > 0 else 0.0
    expires_on = grant_start + timedelta(days=config.days)
    rate = burn_rate(days, today, any_use=used > 0)
    currency = _primary_currency(totals.cost_by_currency, default_currency)
    return GrantStatus(
        today=today,
        grant_tokens=config.tokens,
        used_tokens=used,
        remaining_tokens=remaining,
        remaining_ratio=ratio,
        hit=totals.hit,
        miss=totals.miss,
        output=totals.output,
        requests=totals.requests,
        shown=totals.shown,
        accepted=totals.accepted,
        cost=totals.cost_by_currency.get(currency, Decimal(0)),
        currency=currency,
        grant_start=grant_start,
        start_source=start_source,
        expires_on=expires_on,
        days_left=max((expires_on - today).days, 0),
        burn_rate_per_day=rate,
        run_out_on=run_out_date(remaining, rate, today),
        other_costs={c: v for c, v in totals.cost_by_currency.items() if c != currency},
    )


def resolve_grant_start(
    ledger: Ledger, config: GrantConfig, *, today: date, remember: bool = True
) -> tuple[date, StartSource]:
    """Return the start date and where it came from: the setting, else the remembered first run.

    With `remember` False (the CLI report) a ledger without a first run is not written to, and
    today stands in for the start.
    """
    if config.start_date is not None:
        return config.start_date, "setting"
    if remember:
        return ledger.grant_start(today), "firstRun"
    remembered = ledger.remembered_grant_start()
    return (remembered, "firstRun") if remembered is not None else (today, "today")


def grant_status(
    ledger: Ledger,
    config: GrantConfig,
    *,
    clock: Clock = utc_now,
    remember: bool = True,
    default_currency: str = "USD",
) -> GrantStatus:
    """Query the ledger and return the grant status now (two indexed queries)."""
    today = as_utc(clock()).date()
    start, source = resolve_grant_start(ledger, config, today=today, remember=remember)
    totals = ledger.totals(since=start)
    window_start = max(start, today - timedelta(days=BURN_WINDOW_DAYS - 1))
    recent = ledger.per_day(window_start, today) if window_start <= today else []
    return compute_grant(
        totals,
        recent,
        config=config,
        grant_start=start,
        start_source=source,
        today=today,
        default_currency=default_currency,
    )
