"""`deepseek-fim usage`: the budget as text or JSON, from the ledger alone (no key, no server).

The report never writes the first-run date: on a machine where no server has run yet, today
stands in for the grant start, and a missing ledger file is reported as no use (not created).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from deepseek_fim.budget.clock import Clock, as_utc, utc_now
from deepseek_fim.budget.grant import GrantConfig, GrantStatus, compute_grant, grant_status
from deepseek_fim.budget.ledger import LEDGER_FILE, DayRow, Ledger, LedgerError, Totals
from deepseek_fim.budget.payload import days_json, decimal_text, money, pace_text

logger = logging.getLogger(__name__)


def _period_days(grant: GrantStatus) -> tuple[date, date] | None:
    end = min(grant.today, grant.expires_on - timedelta(days=1))
    return (grant.grant_start, end) if grant.grant_start <= end else None


def _collect(
    ledger: Ledger | None, config: GrantConfig, clock: Clock
) -> tuple[GrantStatus, list[DayRow]]:
    if ledger is None:
        today = as_utc(clock()).date()
        start = config.start_date or today
        grant = compute_grant(
            Totals(),
            [],
            config=config,
            grant_start=start,
            start_source="setting" if config.start_date else "today",
            today=today,
        )
        period = _period_days(grant)
        days = [] if period is None else _empty_days(*period)
        return grant, days
    grant = grant_status(ledger, config, clock=clock, remember=False)
    period = _period_days(grant)
    return grant, [] if period is None else ledger.per_day(*period)


def _empty_days(start: date, end: date) -> list[DayRow]:
    return [
        DayRow(start + timedelta(days=i), 0, 0, 0, 0, {}) for i in range((end - start).days + 1)
    ]


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def usage_json(
    ledger: Ledger | None, config: GrantConfig, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """Return the report as a JSON-ready dict (camelCase, like the `deepseekFim/budget` payload)."""
    grant, days = _collect(ledger, config, clock)
    return {
        "ledger": None if ledger is None else str(ledger.path),
        "grantTokens": grant.grant_tokens,
        "usedTokens": grant.used_tokens,
        "remainingTokens": grant.remaining_tokens,
        "remainingRatio": round(grant.remaining_ratio, 4),
        "tokens": {"hit": grant.hit, "miss": grant.miss, "output": grant.output},
        "cost": decimal_text(grant.cost),
        "currency": grant.currency,
        "otherCosts": {c: decimal_text(v) for c, v in sorted(grant.other_costs.items())},
        "grantStart": grant.grant_start.isoformat(),
        "grantStartSource": grant.start_source,
        "expiresOn": grant.expires_on.isoformat(),
        "daysLeft": grant.days_left,
        "expired": grant.expired,
        "burnRatePerDay": None
        if grant.burn_rate_per_day is None
        else round(grant.burn_rate_per_day),
        "runOutOn": None if grant.run_out_on is None else grant.run_out_on.isoformat(),
        "runsOutBeforeExpiry": grant.runs_out_before_expiry,
        "cacheHitRatio": _ratio(grant.cache_hit_ratio),
        "requests": grant.requests,
        "shown": grant.shown,
        "accepted": grant.accepted,
        "acceptanceRate": _ratio(grant.acceptance_rate),
        "days": days_json(days, grant.currency),
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def render_usage(ledger: Ledger | None, config: GrantConfig, *, clock: Clock = utc_now) -> str:
    """Return the report as text for a terminal."""
    grant, days = _collect(ledger, config, clock)
    source = {"setting": "grant.startDate", "firstRun": "first run", "today": "no run yet: today"}
    pace = pace_text(grant)
    cost = f"{money(grant.cost)} {grant.currency}" + "".join(
        f" + {money(v)} {c}" for c, v in sorted(grant.other_costs.items())
    )
    lines = [
        f"DeepSeek token grant (ledger: {ledger.path if ledger else 'none yet'})",
        f"  Remaining   {grant.remaining_tokens:,} of {grant.grant_tokens:,} tokens "
        f"({_pct(grant.remaining_ratio)})",
        f"  Used        {grant.used_tokens:,} tokens ({grant.hit:,} cache hit, "
        f"{grant.miss:,} cache miss, {grant.output:,} output)",
        f"  Cost        {cost}",
        f"  Grant       {grant.grant_start.isoformat()} to {grant.expires_on.isoformat()} "
        f"({'expired' if grant.expired else f'{grant.days_left} days left'}; "
        f"start: {source[grant.start_source]})",
        f"  Pace        {pace}",
        f"  Cache hits  {_pct(grant.cache_hit_ratio)} of prompt tokens",
        f"  Accepted    {grant.accepted:,} of {grant.shown:,} shown "
        f"({_pct(grant.acceptance_rate)}); {grant.requests:,} requests",
    ]
    if days:
        lines += [
            "",
            f"  {'date':<10} {'requests':>8} {'hit':>10} {'miss':>10} {'output':>10} "
            f"{'cost ' + grant.currency:>12}",
        ]
        for row in days:
            day_cost = row.cost_by_currency.get(grant.currency)
            lines.append(
                f"  {row.day.isoformat():<10} {row.requests:>8,} {row.hit:>10,} {row.miss:>10,} "
                f"{row.output:>10,} {money(day_cost) if day_cost else '0':>12}"
            )
    return "\n".join(lines) + "\n"


def run_usage_command(
    data_dir: str,
    json_output: bool,
    *,
    grant: GrantConfig | None = None,
    out: TextIO | None = None,
    clock: Clock = utc_now,
) -> int:
    """Print the usage report for the ledger in `data_dir`; return the exit code (0, or 1)."""
    stream = out if out is not None else sys.stdout
    config = grant if grant is not None else GrantConfig()
    ledger: Ledger | None = None
    try:
        directory = Path(data_dir).expanduser()
        if directory.exists() and not directory.is_dir():
            raise NotADirectoryError(f"{data_dir} is not a directory")
        if (directory / LEDGER_FILE).exists():
            ledger = Ledger(data_dir, clock=clock)
            ledger.check()
        if json_output:
            stream.write(json.dumps(usage_json(ledger, config, clock=clock), indent=2) + "\n")
        else:
            stream.write(render_usage(ledger, config, clock=clock))
    except (LedgerError, OSError, ValueError, RuntimeError, sqlite3.Error) as exc:
        sys.stderr.write(f"deepseek-fim usage: cannot read the ledger: {exc}\n")
        return 1
    finally:
        if ledger is not None:
            ledger.close()
    return 0
