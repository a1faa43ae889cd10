"""Grant arithmetic in money: what is left of the granted balance, how fast it goes, when it ends.

DeepSeek keeps the free grant as a granted balance in money and charges each request from it at
its price per kind (a cache hit costs a tenth of a miss or less, output costs more). So:

- Used is the ledger's cost in the grant's currency (each record priced when it was made).
- When a `GET /user/balance` answer in that currency exists for the grant period, the granted
  balance it reports is the authority: remaining = that balance minus the ledger's cost recorded
  since the check (reconciliation), and used = amount - remaining. The gap between that and the
  ledger's own count is kept (`Reconciliation.unrecorded`): spending the ledger did not see (the
  key used elsewhere) or prices that differ from the table.
- Tokens stay the unit people know: remaining tokens = remaining money at the user's own recent
  mix (cost per token over the burn window; the whole grant period if the window had no use; the
  advertised rate, `grant.tokens` per `grant.amount`, with no use at all).

Days are UTC days; the grant is valid for `days` days from its start date, so it expires at the
start of `start + days`.

Burn rate: money per calendar day over the last `BURN_WINDOW_DAYS` days (today included), where
the window starts no earlier than the first day with use in it. Idle days inside the window count,
because the run-out date is a calendar date: a user who codes two days a week spends at
two-sevenths of their active-day rate. Starting at the first day with use keeps a new user's rate
from being diluted by days before they started.

Forecast: never a date past the grant's expiry (the grant lasts until it expires), and no
extrapolation from too little history: fewer than `MIN_HISTORY_REQUESTS` requests in the window,
or use on today only (a partial day) with none before the window. Because the run-out day is only
computed when it falls before expiry, huge grant amounts cannot overflow the date arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

from deepseek_fim.budget.clock import Clock, as_utc, utc_now
from deepseek_fim.budget.ledger import (
    BalanceCheck,
    DayRow,
    Ledger,
    Totals,
    acceptance_rate,
    cache_hit_ratio,
)
from deepseek_fim.settings import GrantSettings

BURN_WINDOW_DAYS = 7
LOW_RATIO = 0.20
MIN_HISTORY_REQUESTS = 20
MILLION = Decimal(1_000_000)

StartSource = Literal["setting", "firstRun", "today"]
TokensBasis = Literal["recent", "period", "advertised"]
ForecastKind = Literal[
    "noUse",
    "tooLittleHistory",
    "noRecentUse",
    "runsOut",
    "lastsUntilExpiry",
    "exhausted",
    "expired",
]


# The grant settings (amount, currency, advertised tokens, start date or None for the first run,
# validity in days) are the settings' own type; the budget takes them as they are.
GrantConfig = GrantSettings


@dataclass(frozen=True)
class Forecast:
    """What the burn rate says about the grant; `run_out_on` only for `runsOut` (before expiry)."""

    kind: ForecastKind
    run_out_on: date | None = None


@dataclass(frozen=True)
class Reconciliation:
    """The ledger reconciled to the last balance answer of the grant period."""

    checked_at: datetime
    granted: Decimal  # the granted balance DeepSeek reported
    ledger_since: Decimal  # the ledger's cost recorded after that check
    unrecorded: Decimal  # used by the balance minus used by the ledger (may be negative)


@dataclass(frozen=True)
class GrantStatus:
    """Where the grant stands on `today`: money first, tokens beside it."""

    today: date
    currency: str
    amount: Decimal  # the grant, in `currency`
    amount_source: str  # "default", "setting", "tokens" (from grant.tokens) or "balance"
    used: Decimal  # money used (the balance's word when reconciled, else the ledger's)
    remaining: Decimal  # money left (>= 0)
    remaining_ratio: float
    ledger_cost: Decimal  # the ledger's cost of the grant period in `currency`
    grant_tokens: int  # the advertised size in tokens
    remaining_tokens: int  # remaining money at `tokens_basis`
    tokens_basis: TokensBasis
    price_per_million: Decimal | None  # effective price of 1M tokens at the mix
    hit: int
    miss: int
    output: int
    requests: int
    shown: int
    accepted: int
    grant_start: date
    start_source: StartSource
    expires_on: date
    days_left: int
    burn_rate_per_day: Decimal | None  # money per day; None: no use in the grant period yet
    burn_tokens_per_day: float | None
    forecast: Forecast
    reconciliation: Reconciliation | None = None
    other_costs: dict[str, Decimal] = field(default_factory=dict)  # costs in other currencies

    @property
    def used_tokens(self) -> int:
        """Tokens recorded in the grant period (hits, misses and output)."""
        return self.hit + self.miss + self.output

    @property
    def expired(self) -> bool:
        """True on and after the expiry date."""
        return self.today >= self.expires_on

    @property
    def exhausted(self) -> bool:
        """True when no money of the grant is left."""
        return self.remaining <= 0

    @property
    def low(self) -> bool:
        """True when less than 20% of the grant's money is left."""
        return self.remaining_ratio < LOW_RATIO

    @property
    def used_ratio(self) -> float:
        """Share of the grant's money used (may exceed 1)."""
        return float(self.used / self.amount) if self.amount > 0 else 1.0

    @property
    def cache_hit_ratio(self) -> float | None:
        """Share of prompt tokens that hit the cache; None with no prompt tokens."""
        return cache_hit_ratio(self.hit, self.miss)

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted per shown suggestion; None if nothing was shown."""
        return acceptance_rate(self.accepted, self.shown)

    @property
    def run_out_on(self) -> date | None:
        """The forecast run-out day (always before expiry), or None."""
        return self.forecast.run_out_on

    @property
    def runs_out_before_expiry(self) -> bool | None:
        """True if the money runs out before expiry, False if it lasts; None without a forecast."""
        if self.forecast.kind in ("runsOut", "exhausted"):
            return True
        if self.forecast.kind == "lastsUntilExpiry":
            return False
        return None


def _cost(costs: dict[str, Decimal], currency: str) -> Decimal:
    return costs.get(currency, Decimal(0))


@dataclass(frozen=True)
class Burn:
    """Spending per calendar day over the burn window, and whether it is enough to extrapolate."""

    money_per_day: Decimal
    tokens_per_day: float
    enough_history: bool


def burn_rate(
    days: Sequence[DayRow],
    today: date,
    currency: str,
    window_days: int = BURN_WINDOW_DAYS,
    *,
    used_before_window: bool = False,
) -> Burn | None:
    """Return the burn over the window ending `today` (see the module docstring).

    `days` are day rows (any order; rows outside the window are ignored). None if the window
    holds no use and `used_before_window` is False; a zero burn if the use was all before it.
    """
    window_start = today - timedelta(days=window_days - 1)
    in_window = sorted(
        (row for row in days if window_start <= row.day <= today and row.tokens > 0),
        key=lambda row: row.day,
    )
    if not in_window:
        return Burn(Decimal(0), 0.0, True) if used_before_window else None
    first = in_window[0].day
    span = (today - first).days + 1
    money = sum((_cost(row.cost_by_currency, currency) for row in in_window), Decimal(0))
    tokens = sum(row.tokens for row in in_window)
    requests = sum(row.requests for row in in_window)
    enough = requests >= MIN_HISTORY_REQUESTS and (span >= 2 or used_before_window)
    return Burn(money / span, tokens / span, enough)


def forecast(remaining: Decimal, burn: Burn | None, today: date, expires_on: date) -> Forecast:
    """Return the forecast: never a date on or after `expires_on`, never from too little use."""
    if today >= expires_on:
        return Forecast("expired")
    if remaining <= 0:
        return Forecast("exhausted", today)
    if burn is None:
        return Forecast("noUse")
    if not burn.enough_history:
        return Forecast("tooLittleHistory")
    if burn.money_per_day <= 0:
        return Forecast("noRecentUse")
    days_to_expiry = (expires_on - today).days
    # Compared before any date is built: a huge grant cannot overflow `date`.
    if remaining / burn.money_per_day >= days_to_expiry:
        return Forecast("lastsUntilExpiry")
    days = int((remaining / burn.money_per_day).to_integral_value(rounding=ROUND_FLOOR))
    return Forecast("runsOut", today + timedelta(days=days))


def tokens_at_mix(
    remaining: Decimal,
    recent: tuple[int, Decimal],
    period: tuple[int, Decimal],
    advertised: tuple[int, Decimal],
) -> tuple[int, TokensBasis, Decimal | None]:
    """Return remaining money in tokens at the first usable mix, the mix, and its 1M-token price.

    A mix is (tokens, cost); the advertised mix is (grant.tokens, grant amount) and has no price.
    """
    mixes: tuple[tuple[TokensBasis, tuple[int, Decimal]], ...] = (
        ("recent", recent),
        ("period", period),
    )
    for basis, (tokens, cost) in mixes:
        if tokens > 0 and cost > 0:
            per_token = cost / tokens
            count = int((remaining / per_token).to_integral_value(rounding=ROUND_FLOOR))
            return count, basis, per_token * MILLION
    tokens, amount = advertised
    if amount <= 0:
        return 0, "advertised", None
    count = int((remaining * tokens / amount).to_integral_value(rounding=ROUND_FLOOR))
    return max(count, 0), "advertised", None


def compute_grant(
    totals: Totals,
    days: Sequence[DayRow],
    *,
    config: GrantConfig,
    grant_start: date,
    start_source: StartSource,
    today: date,
    balance: BalanceCheck | None = None,
    ledger_since_balance: Decimal = Decimal(0),
) -> GrantStatus:
    """Return the grant status (pure).

    From the period's totals, its recent day rows, and the last balance answer of the period in
    the grant's currency with the ledger's cost recorded since that answer.
    """
    currency = config.currency
    amount = config.money
    amount_source = config.amount_source
    ledger_cost = _cost(totals.cost_by_currency, currency)
    reconciliation = None
    if balance is not None and balance.granted + ledger_cost - ledger_since_balance > amount:
        # The balance shows more granted money than the setting: the grant is at least that.
        amount = balance.granted + ledger_cost - ledger_since_balance
        amount_source = "balance"
    if balance is not None:
        remaining = balance.granted - ledger_since_balance
        used = amount - remaining
        reconciliation = Reconciliation(
            balance.at, balance.granted, ledger_since_balance, used - ledger_cost
        )
    else:
        used = ledger_cost
        remaining = amount - used
    remaining = max(remaining, Decimal(0))
    used = max(used, Decimal(0))
    ratio = min(max(float(remaining / amount), 0.0), 1.0) if amount > 0 else 0.0
    expires_on = grant_start + timedelta(days=config.days)
    window_rows = [
        r for r in days if today - timedelta(days=BURN_WINDOW_DAYS - 1) <= r.day <= today
    ]
    recent_tokens = sum(r.tokens for r in window_rows)
    burn = burn_rate(days, today, currency, used_before_window=totals.tokens > recent_tokens)
    recent = (
        recent_tokens,
        sum((_cost(r.cost_by_currency, currency) for r in window_rows), Decimal(0)),
    )
    remaining_tokens, basis, per_million = tokens_at_mix(
        remaining, recent, (totals.tokens, ledger_cost), (config.tokens, amount)
    )
    return GrantStatus(
        today=today,
        currency=currency,
        amount=amount,
        amount_source=amount_source,
        used=used,
        remaining=remaining,
        remaining_ratio=ratio,
        ledger_cost=ledger_cost,
        grant_tokens=config.tokens,
        remaining_tokens=remaining_tokens,
        tokens_basis=basis,
        price_per_million=per_million,
        hit=totals.hit,
        miss=totals.miss,
        output=totals.output,
        requests=totals.requests,
        shown=totals.shown,
        accepted=totals.accepted,
        grant_start=grant_start,
        start_source=start_source,
        expires_on=expires_on,
        days_left=max((expires_on - today).days, 0),
        burn_rate_per_day=None if burn is None else burn.money_per_day,
        burn_tokens_per_day=None if burn is None else burn.tokens_per_day,
        forecast=forecast(remaining, burn, today, expires_on),
        reconciliation=reconciliation,
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


def day_start(day: date) -> datetime:
    """Return 00:00 UTC of `day`."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def grant_status(
    ledger: Ledger,
    config: GrantConfig,
    *,
    clock: Clock = utc_now,
    remember: bool = True,
) -> GrantStatus:
    """Query the ledger and return the grant status now (a few indexed queries)."""
    today = as_utc(clock()).date()
    start, source = resolve_grant_start(ledger, config, today=today, remember=remember)
    totals = ledger.totals(since=start)
    window_start = max(start, today - timedelta(days=BURN_WINDOW_DAYS - 1))
    recent = ledger.per_day(window_start, today) if window_start <= today else []
    balance = ledger.latest_balance(config.currency, since=day_start(start))
    since = Decimal(0)
    if balance is not None:
        since = _cost(ledger.totals(since=balance.at).cost_by_currency, config.currency)
    return compute_grant(
        totals,
        recent,
        config=config,
        grant_start=start,
        start_source=source,
        today=today,
        balance=balance,
        ledger_since_balance=since,
    )
