"""One-off notices when the grant crosses a threshold (50/80/95% used, exhausted, expiring soon).

The thresholds are shares of the grant's money (what depletes the granted balance), not tokens.

For clients that show neither the budget notification nor a status bar. Each notice is shown once
per grant (keyed by its start date): the claim is an `INSERT OR IGNORE` in the ledger's meta table,
so two editors running at once, or a restart, never repeat it. When several thresholds are crossed
at once (e.g. a first run on a ledger that is already 90% used) only the most severe is shown and
the lesser ones are claimed with it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from deepseek_fim.budget.grant import GrantStatus
from deepseek_fim.budget.ledger import Ledger
from deepseek_fim.budget.numbers import compact
from deepseek_fim.budget.state import State

logger = logging.getLogger(__name__)

EXPIRING_DAYS = 3
TOP_UP_URL = "https://platform.deepseek.com"


class Threshold(StrEnum):
    """The thresholds, in increasing severity within the `used` family."""

    USED_50 = "used50"
    USED_80 = "used80"
    USED_95 = "used95"
    EXHAUSTED = "exhausted"
    EXPIRING = "expiring"


_USED_LEVELS = ((Threshold.USED_50, 0.50), (Threshold.USED_80, 0.80), (Threshold.USED_95, 0.95))


@dataclass(frozen=True)
class Notice:
    """A message to show once (`window/showMessage`)."""

    threshold: Threshold
    severity: Literal["info", "warning", "error"]
    message: str


def reached(grant: GrantStatus, state: State) -> list[Threshold]:
    """Return every threshold that holds now (pure)."""
    result = [level for level, ratio in _USED_LEVELS if grant.used_ratio >= ratio]
    if state is State.EXHAUSTED or grant.exhausted:
        result.append(Threshold.EXHAUSTED)
    elif not grant.expired and grant.days_left <= EXPIRING_DAYS:
        result.append(Threshold.EXPIRING)
    return result


def _left(grant: GrantStatus) -> str:
    """`8.37 USD left (≈67M tokens at your mix)`: money left, tokens beside it."""
    amount = format(grant.remaining.quantize(Decimal("0.01")), "f")
    return f"{amount} {grant.currency} left (≈{compact(grant.remaining_tokens)} tokens at your mix)"


def notice_for(threshold: Threshold, grant: GrantStatus) -> Notice:
    """Return the notice of one threshold, with the current figures (money first)."""
    left = _left(grant)
    if threshold is Threshold.EXHAUSTED:
        return Notice(
            threshold,
            "error",
            "DeepSeek: the granted balance is used up, so completions are paused. Top up at "
            f"{TOP_UP_URL}, then resume completions (command deepseekFim.resume).",
        )
    if threshold is Threshold.EXPIRING:
        return Notice(
            threshold,
            "warning",
            f"DeepSeek: the free grant expires on {grant.expires_on.isoformat()} "
            f"({grant.days_left} days left; {left}).",
        )
    percent = {Threshold.USED_50: 50, Threshold.USED_80: 80, Threshold.USED_95: 95}[threshold]
    pace = ""
    if grant.run_out_on is not None and grant.runs_out_before_expiry:
        pace = f"; at your pace it runs out on {grant.run_out_on.isoformat()}"
    return Notice(
        threshold,
        "info" if percent == 50 else "warning",
        f"DeepSeek: {percent}% of the granted balance is used: {left}, "
        f"{grant.days_left} days left{pace}.",
    )


def claim_notices(ledger: Ledger, grant: GrantStatus, state: State) -> list[Notice]:
    """Claim the thresholds reached and not yet shown; return the notices this caller must show."""
    claimed = [
        t
        for t in reached(grant, state)
        if ledger.claim_meta(f"notice:{grant.grant_start.isoformat()}:{t.value}", "shown")
    ]
    if Threshold.EXHAUSTED in claimed:
        return [notice_for(Threshold.EXHAUSTED, grant)]
    notices = []
    used = [t for t in claimed if t in (Threshold.USED_50, Threshold.USED_80, Threshold.USED_95)]
    if used:
        notices.append(notice_for(used[-1], grant))
    if Threshold.EXPIRING in claimed:
        notices.append(notice_for(Threshold.EXPIRING, grant))
    return notices
