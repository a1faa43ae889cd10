"""The grant day by day, for charts, so that every client draws the same data.

The `daily` field of `deepseek-fim usage --json` and of `deepseekFim/status`.
Per day of the grant period so far: cache-hit, cache-miss and output tokens and the cumulative
total; the even daily allowance (the grant spread over its days); and the forecast line that the
grant status gives (burn rate and run-out date, owned by `budget/grant.py`), drawn from today to
the run-out date or the grant's last day, whichever comes first. No forecast when the status has
none (no rate, no run-out date) or the grant has expired.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from deepseek_fim.budget.grant import GrantStatus
from deepseek_fim.budget.ledger import DayRow


def _forecast(grant: GrantStatus, last_day: date) -> list[dict[str, Any]] | None:
    rate, run_out = grant.burn_rate_per_day, grant.run_out_on
    if rate is None or run_out is None or grant.expired or grant.today > last_day:
        return None
    end = min(run_out, last_day)
    if end <= grant.today:
        return None
    projected = grant.used_tokens + rate * (end - grant.today).days
    return [
        {"date": grant.today.isoformat(), "cumulative": grant.used_tokens},
        {"date": end.isoformat(), "cumulative": min(round(projected), grant.grant_tokens)},
    ]


def daily_json(grant: GrantStatus, rows: Sequence[DayRow]) -> dict[str, Any]:
    """Return the `daily` object: the grant period's days so far, the allowance, the forecast."""
    last_day = grant.expires_on - timedelta(days=1)
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
        "grantTokens": grant.grant_tokens,
        "allowancePerDay": round(grant.grant_tokens / period_days),
        "days": days,
        "forecast": _forecast(grant, last_day),
    }
