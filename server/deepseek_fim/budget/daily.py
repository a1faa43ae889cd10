"""The grant day by day, for charts, so that every client draws the same data.

The `daily` field of `deepseek-fim usage --json` and of `deepseekFim/status`.
Per day of the grant period so far: cache-hit, cache-miss and output tokens and the cumulative
total. The grant in tokens is what the status shows: the tokens used plus the tokens left at the
user's mix (the grant is money; `budget/grant.py`). The even daily allowance is that spread over
the grant's days. The forecast follows the grant status's own (`budget/grant.py` owns it): from
today at the burn rate in tokens to the run-out date (`runsOut`) or the grant's last day
(`lastsUntilExpiry`); none for any other kind (no use, too little history, no recent use,
exhausted, expired).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from deepseek_fim.budget.grant import GrantStatus
from deepseek_fim.budget.ledger import DayRow


def _forecast(grant: GrantStatus, grant_tokens: int, last_day: date) -> list[dict[str, Any]] | None:
    kind, rate = grant.forecast.kind, grant.burn_tokens_per_day
    if rate is None or kind not in ("runsOut", "lastsUntilExpiry"):
        return None
    end = min(grant.forecast.run_out_on or last_day, last_day)
    if end <= grant.today:
        return None
    projected = grant.used_tokens + rate * (end - grant.today).days
    return [
        {"date": grant.today.isoformat(), "cumulative": grant.used_tokens},
        {"date": end.isoformat(), "cumulative": min(round(projected), grant_tokens)},
    ]


def daily_json(grant: GrantStatus, rows: Sequence[DayRow]) -> dict[str, Any]:
    """Return the `daily` object: the grant period's days so far, the allowance, the forecast."""
    last_day = grant.expires_on - timedelta(days=1)
    grant_tokens = grant.used_tokens + grant.remaining_tokens
    period_days = max((grant.expires_on - grant.grant_start).days, 1)
    by_day = {row.day: row for row in rows}
    days: list[dict[str, Any]] = []
    cumulative = 0
    day = grant.grant_start
    while day <= min(grant.today, last_day):
        row = by_day.get(day)
        hit, miss, output = (row.hit, row.miss, row.output) if row else (0, 0, 0)
        cumulative += hit + miss + output
        days.append(
            {
                "date": day.isoformat(),
                "hit": hit,
                "miss": miss,
                "output": output,
                "total": hit + miss + output,
                "cumulative": cumulative,
            }
        )
        day += timedelta(days=1)
    return {
        "start": grant.grant_start.isoformat(),
        "end": last_day.isoformat(),
        "today": grant.today.isoformat(),
        "grantTokens": grant_tokens,
        "allowancePerDay": round(grant_tokens / period_days),
        "days": days,
        "forecast": _forecast(grant, grant_tokens, last_day),
    }
