"""The `deepseekFim/budget` payload (docs/architecture.md) and the `deepseekFim/status` extras.

The payload carries a ready `text` for a status bar and a multi-line `tooltip`, so a client shows
it without formatting logic. The account balance from `GET /user/balance` is shown beside the
local figures, never mixed into them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any, Literal, Protocol

from deepseek_fim.budget.clock import as_utc, iso_utc_seconds
from deepseek_fim.budget.grant import BURN_WINDOW_DAYS, GrantStatus
from deepseek_fim.budget.ledger import DayRow, SessionStats
from deepseek_fim.budget.state import BudgetState, State
from deepseek_fim.budget.thresholds import TOP_UP_URL

Kind = Literal["Normal", "Warning", "Error", "Inactive"]

KIND: Mapping[State, Kind] = {
    State.OK: "Normal",
    State.LOW: "Warning",
    State.EXPIRED: "Warning",
    State.THROTTLED: "Warning",
    State.OFFLINE: "Warning",
    State.EXHAUSTED: "Error",
    State.NO_KEY: "Error",
    State.AUTH_FAILED: "Error",
    State.DISABLED: "Inactive",
    State.EXCLUDED: "Inactive",
}

_FIXED_TEXT: Mapping[State, str] = {
    State.EXHAUSTED: "DeepSeek exhausted",
    State.EXPIRED: "DeepSeek grant expired",
    State.NO_KEY: "DeepSeek: no key",
    State.AUTH_FAILED: "DeepSeek: key rejected",
    State.OFFLINE: "DeepSeek offline",
    State.DISABLED: "DeepSeek off",
    State.EXCLUDED: "DeepSeek: file excluded",
}

MESSAGES: Mapping[State, str] = {
    State.NO_KEY: (
        "No DeepSeek API key: create an account at "
        f"{TOP_UP_URL} (new accounts get a free grant of about 5M tokens for 30 days), "
        "create an API key there, and give it to your editor's DeepSeek FIM key command, "
        "the deepseekFim.apiKey setting or the DEEPSEEK_API_KEY environment variable."
    ),
    State.AUTH_FAILED: (
        "DeepSeek rejected the API key (401): check it at "
        f"{TOP_UP_URL} and set it again; completions are paused until the key changes."
    ),
    State.EXHAUSTED: (
        "The DeepSeek balance is used up (402), so completions are paused: top up at "
        f"{TOP_UP_URL}, then resume (command deepseekFim.resume)."
    ),
    State.EXPIRED: (
        "The free grant has expired: calls fail with 402 unless the account is topped up at "
        f"{TOP_UP_URL}."
    ),
}


class BalanceInfoLike(Protocol):
    """One currency's entry of `GET /user/balance` (e.g. `deepseek.models.BalanceInfo`)."""

    @property
    def currency(self) -> str: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def granted(self) -> Decimal: ...
    @property
    def topped_up(self) -> Decimal: ...


@dataclass(frozen=True)
class BalanceView:
    """The real balance, as last checked."""

    is_available: bool
    total: Decimal
    granted: Decimal
    topped_up: Decimal
    currency: str
    checked_at: datetime

    @classmethod
    def from_balance(
        cls,
        is_available: bool,
        infos: Iterable[BalanceInfoLike],
        checked_at: datetime,
        prefer_currency: str = "USD",
    ) -> BalanceView:
        """Pick the entry in `prefer_currency` (else the first) of a balance answer."""
        entries = list(infos)
        chosen = next((i for i in entries if i.currency == prefer_currency), None)
        if chosen is None and entries:
            chosen = entries[0]
        if chosen is None:
            zero = Decimal(0)
            return cls(is_available, zero, zero, zero, prefer_currency, checked_at)
        return cls(
            is_available,
            chosen.total,
            chosen.granted,
            chosen.topped_up,
            chosen.currency,
            checked_at,
        )

    def to_json(self) -> dict[str, Any]:
        """Return the payload's `balance` object."""
        return {
            "isAvailable": self.is_available,
            "total": decimal_text(self.total),
            "granted": decimal_text(self.granted),
            "toppedUp": decimal_text(self.topped_up),
            "currency": self.currency,
            "checkedAt": iso_utc_seconds(self.checked_at),
        }


@dataclass(frozen=True)
class LastCompletion:
    """The tokens, cost and latency of the latest response."""

    hit: int
    miss: int
    output: int
    cost: Decimal
    latency_ms: int | None

    def to_json(self) -> dict[str, Any]:
        """Return the payload's `lastCompletion` object."""
        return {
            "hit": self.hit,
            "miss": self.miss,
            "output": self.output,
            "cost": decimal_text(self.cost),
            "latencyMs": self.latency_ms,
        }


def decimal_text(value: Decimal) -> str:
    """Return an exact decimal as plain text, without exponent or trailing zeros."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def money(value: Decimal, places: int = 4) -> str:
    """Return an amount rounded for display (4 places; more if it would show as zero)."""
    if value == 0:
        return "0"
    quantum = Decimal(1).scaleb(-places)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_EVEN)
    while rounded == 0 and places < 12:
        places += 2
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return format(rounded, "f")


def compact(n: int) -> str:
    """Return a count in at most three significant digits: 999, 1.23k, 12k, 950k, 4.62M, 1.2B."""
    sign = "-" if n < 0 else ""
    n = abs(n)
    if n < 1000:
        return f"{sign}{n}"
    units = ((3, "k"), (6, "M"), (9, "B"))
    index = max(i for i, (power, _) in enumerate(units) if n >= 10**power)
    while True:
        power, suffix = units[index]
        digits = 3 - len(str(n // 10**power))
        quantum = Decimal(1).scaleb(-max(digits, 0))
        value = (Decimal(n) / Decimal(10**power)).quantize(quantum, rounding=ROUND_HALF_UP)
        if value < 1000 or index == len(units) - 1:
            break
        index += 1  # 999,999 rounds to 1000k: show it as 1M
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{sign}{text}{suffix}"


def _pct(ratio: float) -> str:
    return f"{ratio * 100:.1f}%"


def pace_text(grant: GrantStatus) -> str:
    """The burn rate and what it means for the grant, in one phrase."""
    if grant.burn_rate_per_day is None:
        return "no use yet"
    rate = f"{compact(round(grant.burn_rate_per_day))} tokens/day"
    if grant.run_out_on is None:
        return f"{rate}, but no use in the last {BURN_WINDOW_DAYS} days"
    if grant.runs_out_before_expiry:
        early = (grant.expires_on - grant.run_out_on).days
        return (
            f"{rate}: runs out {grant.run_out_on.isoformat()}, {early} days before the grant "
            "expires"
        )
    return f"{rate}: lasts until the grant expires on {grant.expires_on.isoformat()}"


def status_text(
    state: State, grant: GrantStatus, *, now: datetime, retry_at: datetime | None
) -> str:
    """Return the status bar text for `state`."""
    if state is State.THROTTLED:
        if retry_at is None:
            return "DeepSeek throttled"
        seconds = max(math.ceil((as_utc(retry_at) - as_utc(now)).total_seconds()), 0)
        return f"DeepSeek throttled {seconds}s"
    fixed = _FIXED_TEXT.get(state)
    if fixed is not None:
        return fixed
    return f"DeepSeek {compact(grant.remaining_tokens)} left · {grant.days_left}d"


def tooltip(grant: GrantStatus, balance: BalanceView | None) -> str:
    """Return the multi-line detail text: local figures first, the real balance apart."""
    lines = [
        f"Used {grant.used_tokens:,} of {grant.grant_tokens:,} tokens "
        f"({_pct(grant.used_ratio)}); {grant.remaining_tokens:,} left",
        f"Tokens: {grant.hit:,} cache hit · {grant.miss:,} cache miss · {grant.output:,} output",
        f"Cost so far: {money(grant.cost)} {grant.currency}"
        + "".join(f" + {money(v)} {c}" for c, v in sorted(grant.other_costs.items())),
    ]
    if grant.cache_hit_ratio is not None:
        lines.append(f"Cache hits: {_pct(grant.cache_hit_ratio)} of prompt tokens")
    start_note = {"setting": "", "firstRun": " (start: first run)", "today": " (start: today)"}
    lines.append(
        f"Grant: {grant.grant_start.isoformat()} to {grant.expires_on.isoformat()}, "
        + ("expired" if grant.expired else f"{grant.days_left} days left")
        + start_note[grant.start_source]
    )
    lines.append(f"Pace: {pace_text(grant)}")
    if balance is not None:
        lines.append(
            f"Account balance (DeepSeek, {iso_utc_seconds(balance.checked_at)}): "
            f"{decimal_text(balance.total)} {balance.currency} "
            f"(granted {decimal_text(balance.granted)}, topped up "
            f"{decimal_text(balance.topped_up)}), "
            + ("calls allowed" if balance.is_available else "calls NOT allowed")
        )
    return "\n".join(lines)


def budget_payload(
    grant: GrantStatus,
    state: State,
    *,
    now: datetime,
    retry_at: datetime | None = None,
    balance: BalanceView | None = None,
    last: LastCompletion | None = None,
) -> dict[str, Any]:
    """Return the `deepseekFim/budget` payload (camelCase, JSON-ready)."""
    return {
        "state": state.value,
        "kind": KIND[state],
        "text": status_text(state, grant, now=now, retry_at=retry_at),
        "tooltip": tooltip(grant, balance),
        "message": MESSAGES.get(state),
        "grantTokens": grant.grant_tokens,
        "usedTokens": grant.used_tokens,
        "remainingTokens": grant.remaining_tokens,
        "remainingRatio": round(grant.remaining_ratio, 4),
        "cost": decimal_text(grant.cost),
        "currency": grant.currency,
        "grantStart": grant.grant_start.isoformat(),
        "expiresOn": grant.expires_on.isoformat(),
        "daysLeft": grant.days_left,
        "burnRatePerDay": None
        if grant.burn_rate_per_day is None
        else round(grant.burn_rate_per_day),
        "runOutOn": None if grant.run_out_on is None else grant.run_out_on.isoformat(),
        "cacheHitRatio": None if grant.cache_hit_ratio is None else round(grant.cache_hit_ratio, 4),
        "balance": None if balance is None else balance.to_json(),
        "lastCompletion": None if last is None else last.to_json(),
        "retryAt": None if retry_at is None else iso_utc_seconds(retry_at),
    }


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def session_json(stats: SessionStats) -> dict[str, Any]:
    """Return the `session` object of `deepseekFim/status`."""
    return {
        "requests": stats.requests,
        "cancelled": stats.cancelled,
        "errors": stats.errors,
        "shown": stats.shown,
        "accepted": stats.accepted,
        "acceptanceRate": _ratio(stats.acceptance_rate),
        "cacheHitRatio": _ratio(stats.cache_hit_ratio),
        "latencyP50Ms": stats.latency_p50_ms,
        "latencyP95Ms": stats.latency_p95_ms,
    }


def days_json(days: Sequence[DayRow], currency: str) -> list[dict[str, Any]]:
    """Return the `days` table of `deepseekFim/status` (cost in `currency`)."""
    return [
        {
            "date": row.day.isoformat(),
            "requests": row.requests,
            "hit": row.hit,
            "miss": row.miss,
            "output": row.output,
            "cost": decimal_text(row.cost_by_currency.get(currency, Decimal(0))),
        }
        for row in days
    ]


def status_payload(
    payload: Mapping[str, Any], session: SessionStats, days: Sequence[DayRow]
) -> dict[str, Any]:
    """Return `deepseekFim/status`: the budget payload plus `session` and `days`."""
    result = dict(payload)
    result["session"] = session_json(session)
    result["days"] = days_json(days, str(payload["currency"]))
    return result


def payload_for(
    budget: BudgetState,
    *,
    now: datetime,
    document: State | None = None,
    balance: BalanceView | None = None,
    last: LastCompletion | None = None,
) -> dict[str, Any]:
    """Return the payload for the state machine's current state and last grant status.

    `document`: the active document's own state, as `BudgetState.state` takes it.
    """
    grant = budget.grant
    if grant is None:
        raise ValueError("BudgetState.on_grant was never called")
    return budget_payload(
        grant,
        budget.state(document=document),
        now=now,
        retry_at=budget.retry_at(),
        balance=balance,
        last=last,
    )
