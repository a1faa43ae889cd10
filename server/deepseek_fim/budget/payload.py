"""The `deepseekFim/budget` payload (docs/architecture.md) and the `deepseekFim/status` extras.

The payload carries a ready `text` for a status bar and a multi-line `tooltip`, so a client shows
it without formatting logic, and `summary` rows ([label, text]) that the usage views show as they
are. Money comes first (the grant is a balance in money), tokens at the user's own mix beside it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from deepseek_fim.budget.clock import as_utc, iso_utc_seconds
from deepseek_fim.budget.grant import BURN_WINDOW_DAYS, MIN_HISTORY_REQUESTS, GrantStatus
from deepseek_fim.budget.ledger import DayRow, SessionStats
from deepseek_fim.budget.numbers import (
    amount_text,
    compact,
    compact2,
    decimal_text,
    short_money,
)
from deepseek_fim.budget.pace import Pace, pace_row
from deepseek_fim.budget.price_check import PriceCheck
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
        f"{TOP_UP_URL} (new accounts get a free grant of about USD 8.40, advertised as 5M tokens, "
        "for 30 days), "
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


MAX_TEXT = 30
"""Status texts are shorter than this, so they fit a status bar beside other items."""


def _pct(ratio: float) -> str:
    return f"{ratio * 100:.1f}%"


PACED_MARKER = "paced"
"""Ends the status text while pacing makes the server spend less (the tooltip says why)."""


def status_text_for_grant(grant: GrantStatus, *, paced: bool = False) -> str:
    """`DeepSeek $8.37 ≈67M tok · 23d`: money left, ≈ that in tokens at your mix, days left.

    Always under `MAX_TEXT` characters: when a figure is long (`≈600k`, `$10.5`) the separator
    tightens (`≈600k tok·30d`), then the token figure is dropped. While pacing, the token figure
    gives way to the marker: `DeepSeek $2.10 · 23d · paced`.
    """
    money_left = short_money(grant.remaining, grant.currency)
    days = f"{grant.days_left}d"
    tokens = f"≈{compact2(grant.remaining_tokens)}"
    if paced:
        candidates: tuple[str, ...] = (
            f"DeepSeek {money_left} · {days} · {PACED_MARKER}",
            f"DeepSeek {money_left} {PACED_MARKER}",
        )
    else:
        candidates = (
            f"DeepSeek {money_left} {tokens} tok · {days}",
            f"DeepSeek {money_left} {tokens} tok·{days}",
            f"DeepSeek {money_left} · {days}",
        )
    for text in candidates:
        if len(text) < MAX_TEXT:
            return text
    return f"DeepSeek {money_left}"


def _money(value: Decimal, currency: str) -> str:
    return f"{amount_text(value)} {currency}"


def rate_text(grant: GrantStatus) -> str:
    """The burn rate in money, with tokens beside it."""
    if grant.burn_rate_per_day is None:
        return "no use yet"
    tokens = compact(round(grant.burn_tokens_per_day or 0))
    return f"{_money(grant.burn_rate_per_day, grant.currency)}/day (≈{tokens} tokens/day)"


def pace_text(grant: GrantStatus) -> str:
    """The burn rate and what it means for the grant, in one phrase."""
    kind = grant.forecast.kind
    expires = grant.expires_on.isoformat()
    if kind == "expired":
        return f"the grant expired on {expires}"
    if kind == "exhausted":
        return "the grant is used up"
    if kind == "noUse":
        return "no use yet"
    rate = rate_text(grant)
    if kind == "noRecentUse":
        return f"no use in the last {BURN_WINDOW_DAYS} days"
    if kind == "tooLittleHistory":
        return (
            f"{rate}: too little use yet to forecast (needs {MIN_HISTORY_REQUESTS} requests "
            "over two days)"
        )
    if kind == "runsOut" and grant.run_out_on is not None:
        early = (grant.expires_on - grant.run_out_on).days
        return (
            f"{rate}: runs out {grant.run_out_on.isoformat()}, {early} days before the grant "
            f"expires on {expires}"
        )
    return f"{rate}: lasts until the grant expires on {expires}"


def status_text(
    state: State,
    grant: GrantStatus,
    *,
    now: datetime,
    retry_at: datetime | None,
    paced: bool = False,
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
    return status_text_for_grant(grant, paced=paced)


def tokens_text(grant: GrantStatus) -> str:
    """Remaining money as tokens, and at which mix."""
    basis = {
        "recent": f"at your mix of the last {BURN_WINDOW_DAYS} days",
        "period": "at your mix in this grant period",
        "advertised": (
            f"at the advertised {grant.grant_tokens:,} tokens per "
            f"{_money(grant.amount, grant.currency)} (no use yet)"
        ),
    }[grant.tokens_basis]
    price = ""
    if grant.price_per_million is not None:
        price = f" ({_money(grant.price_per_million, grant.currency)} per 1M tokens)"
    return f"≈{compact(grant.remaining_tokens)} {basis}{price}"


def source_text(grant: GrantStatus) -> str:
    """Where the money-left figure comes from."""
    rec = grant.reconciliation
    if rec is None:
        return "the ledger's cost at the price table (no balance read from DeepSeek yet)"
    since = ""
    if rec.ledger_since:
        since = f", less {_money(rec.ledger_since, grant.currency)} recorded since"
    return (
        f"DeepSeek's granted balance, {_money(rec.granted, grant.currency)} at "
        f"{iso_utc_seconds(rec.checked_at)}{since}"
    )


def used_text(grant: GrantStatus) -> str:
    """Money used, and the ledger's own count when the balance is the authority."""
    ledger = _money(grant.ledger_cost, grant.currency)
    others = "".join(f" + {amount_text(v)} {c}" for c, v in sorted(grant.other_costs.items()))
    if grant.reconciliation is None:
        return f"{ledger}{others} (the ledger, at the price table)"
    used = _money(grant.used, grant.currency)
    text = f"{used} by the balance; the ledger counts {ledger}{others}"
    rec = grant.reconciliation
    if rec.explained_by_aborted > 0:
        text += (
            f"; aborted requests may account for up to "
            f"{_money(rec.explained_by_aborted, grant.currency)} of the "
            f"{_money(rec.unrecorded, grant.currency)} the ledger did not record"
        )
    return text


def aborted_text(grant: GrantStatus) -> str:
    """Requests aborted after they were sent: how many, their prompts, what they may cost."""
    aborted = grant.aborted
    plural = "" if aborted.requests == 1 else "s"
    return (
        f"{aborted.requests:,} request{plural}, ≈{compact(aborted.prompt_tokens)} prompt tokens "
        f"possibly billed, ≤ {_money(aborted.cost, grant.currency)} (estimated, priced as cache "
        "misses; not in Used: only the balance shows what was billed)"
    )


def price_check_text(check: PriceCheck) -> str:
    """One sentence on a price table that the balance contradicts."""
    ratio = check.ratio
    period = f"{iso_utc_seconds(check.start)} to {iso_utc_seconds(check.end)}"
    if ratio is None:
        return (
            f"the balance fell by {_money(check.measured, check.currency)} from {period}, "
            "with no cost in the ledger"
        )
    effective = ""
    if check.effective:
        effective = "; measured per 1M tokens: " + ", ".join(
            f"{kind} {amount_text(price)}" for kind, price in check.effective.items()
        )
    return (
        f"the balance fell by {_money(check.measured, check.currency)} from {period}; the price "
        f"table says {_money(check.ledger, check.currency)} ({(ratio - 1) * 100:+.0f}%)"
        f"{effective}. Set deepseekFim.prices to correct it."
    )


def summary_rows(
    grant: GrantStatus, price_check: PriceCheck | None = None, pace: Pace | None = None
) -> list[list[str]]:
    """[label, text] rows of the grant: the tooltip, the usage report and both clients' views."""
    start_note = {"setting": "", "firstRun": "; start: first run", "today": "; start: today"}
    amount_note = {
        "default": "",
        "setting": "",
        "tokens": " (grant.tokens at the advertised rate)",
        "balance": " (the balance shows more than the grant setting)",
    }[grant.amount_source]
    rows = [
        [
            "Money left",
            f"{_money(grant.remaining, grant.currency)} of {amount_text(grant.amount)} "
            f"({_pct(grant.remaining_ratio)}), from {source_text(grant)}",
        ],
        ["Tokens left", tokens_text(grant)],
        ["Used", used_text(grant)],
        [
            "Tokens used",
            f"{grant.used_tokens:,} ({grant.hit:,} cache hit, {grant.miss:,} cache miss, "
            f"{grant.output:,} output)",
        ],
        [
            "Cache hits",
            "-"
            if grant.cache_hit_ratio is None
            else f"{_pct(grant.cache_hit_ratio)} of prompt tokens",
        ],
        [
            "Grant",
            f"{_money(grant.amount, grant.currency)}{amount_note}, advertised as "
            f"{grant.grant_tokens:,} tokens; {grant.grant_start.isoformat()} to "
            f"{grant.expires_on.isoformat()} ("
            + ("expired" if grant.expired else f"{grant.days_left} days left")
            + start_note[grant.start_source]
            + ")",
        ],
        ["Pace", pace_text(grant)],
    ]
    if grant.aborted.requests:
        rows.insert(3, ["Aborted", aborted_text(grant)])
    if pace is not None:
        rows.append(["Pacing", pace_row(pace)])
    if price_check is not None and price_check.disagrees:
        rows.append(["Price table", price_check_text(price_check)])
    return rows


STATUS_LEGEND = "Status bar: money left · ≈ that money in tokens at your mix · days to expiry"


def tooltip(
    grant: GrantStatus,
    balance: BalanceView | None,
    price_check: PriceCheck | None = None,
    pace: Pace | None = None,
) -> str:
    """Return the multi-line detail text: the summary rows, the balance, what the text shows."""
    lines = [f"{label}: {text}" for label, text in summary_rows(grant, price_check, pace)]
    if balance is not None:
        lines.append(
            f"Account balance (DeepSeek, {iso_utc_seconds(balance.checked_at)}): "
            f"{decimal_text(balance.total)} {balance.currency} "
            f"(granted {decimal_text(balance.granted)}, topped up "
            f"{decimal_text(balance.topped_up)}), "
            + ("calls allowed" if balance.is_available else "calls NOT allowed")
        )
    lines.append(STATUS_LEGEND)
    if pace is not None and pace.active:
        lines.append(f"'{PACED_MARKER}': the server spends less until the forecast lasts (Pacing)")
    return "\n".join(lines)


def _reconciliation_json(grant: GrantStatus) -> dict[str, Any] | None:
    rec = grant.reconciliation
    if rec is None:
        return None
    return {
        "checkedAt": iso_utc_seconds(rec.checked_at),
        "granted": decimal_text(rec.granted),
        "ledgerSince": decimal_text(rec.ledger_since),
        "unrecorded": decimal_text(rec.unrecorded),
        "possiblyBilled": decimal_text(rec.possibly_billed),
        "explainedByAborted": decimal_text(rec.explained_by_aborted),
        "unexplained": decimal_text(rec.unexplained),
    }


def price_check_json(check: PriceCheck | None) -> dict[str, Any] | None:
    """Return the payload's `priceCheck` object."""
    if check is None:
        return None
    ratio = check.ratio
    return {
        "from": iso_utc_seconds(check.start),
        "to": iso_utc_seconds(check.end),
        "currency": check.currency,
        "measured": decimal_text(check.measured),
        "ledger": decimal_text(check.ledger),
        "ratio": None if ratio is None else round(float(ratio), 4),
        "disagrees": check.disagrees,
        "tokens": dict(check.tokens),
        "effectivePerMillion": None
        if check.effective is None
        else {kind: amount_text(price, 6) for kind, price in check.effective.items()},
        "text": price_check_text(check) if check.disagrees else None,
    }


def grant_json(grant: GrantStatus) -> dict[str, Any]:
    """The grant's figures, shared by the payload and `deepseek-fim usage --json`."""
    return {
        "currency": grant.currency,
        "grantAmount": decimal_text(grant.amount),
        "amountSource": grant.amount_source,
        "usedAmount": decimal_text(grant.used),
        "remainingAmount": decimal_text(grant.remaining),
        "remainingRatio": round(grant.remaining_ratio, 4),
        "remainingFrom": "balance" if grant.reconciliation else "ledger",
        "reconciliation": _reconciliation_json(grant),
        "cost": decimal_text(grant.ledger_cost),
        "grantTokens": grant.grant_tokens,
        "usedTokens": grant.used_tokens,
        "remainingTokens": grant.remaining_tokens,
        "tokensBasis": grant.tokens_basis,
        "pricePerMillion": None
        if grant.price_per_million is None
        else amount_text(grant.price_per_million, 6),
        "grantStart": grant.grant_start.isoformat(),
        "expiresOn": grant.expires_on.isoformat(),
        "daysLeft": grant.days_left,
        "burnRatePerDay": None
        if grant.burn_rate_per_day is None
        else amount_text(grant.burn_rate_per_day, 6),
        "burnTokensPerDay": None
        if grant.burn_tokens_per_day is None
        else round(grant.burn_tokens_per_day),
        "forecast": grant.forecast.kind,
        "runOutOn": None if grant.run_out_on is None else grant.run_out_on.isoformat(),
        "paceText": pace_text(grant),
        "cacheHitRatio": None if grant.cache_hit_ratio is None else round(grant.cache_hit_ratio, 4),
        "aborted": {
            "requests": grant.aborted.requests,
            "promptTokens": grant.aborted.prompt_tokens,
            "costAtMost": decimal_text(grant.aborted.cost),
        },
    }


def budget_payload(
    grant: GrantStatus,
    state: State,
    *,
    now: datetime,
    retry_at: datetime | None = None,
    balance: BalanceView | None = None,
    last: LastCompletion | None = None,
    price_check: PriceCheck | None = None,
    pace: Pace | None = None,
) -> dict[str, Any]:
    """Return the `deepseekFim/budget` payload (camelCase, JSON-ready)."""
    paced = pace is not None and pace.active
    return {
        "state": state.value,
        "kind": KIND[state],
        "text": status_text(state, grant, now=now, retry_at=retry_at, paced=paced),
        "tooltip": tooltip(grant, balance, price_check, pace),
        "message": MESSAGES.get(state),
        **grant_json(grant),
        "priceCheck": price_check_json(price_check),
        "summary": summary_rows(grant, price_check, pace),
        "pace": None if pace is None else pace.to_json(),
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
        "promptHitTokens": stats.hit,
        "promptMissTokens": stats.miss,
        "latencyP50Ms": stats.latency_p50_ms,
        "latencyP95Ms": stats.latency_p95_ms,
        "possiblyBilled": stats.possibly_billed,
        "possiblyBilledPromptTokens": stats.est_prompt,
        "paced": stats.paced,
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
    price_check: PriceCheck | None = None,
    pace: Pace | None = None,
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
        price_check=price_check,
        pace=pace,
    )
