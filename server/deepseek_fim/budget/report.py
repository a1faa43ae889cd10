"""`deepseek-fim usage`: the budget as text or JSON, from the ledger alone (no key, no server).

Money and tokens side by side: the same summary rows as the clients' usage views (from
`payload.summary_rows`), the last balance answer kept in the ledger as the authority, and the
price check against the balance's deltas.

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

from deepseek_fim.budget.chart_text import render_chart
from deepseek_fim.budget.clock import Clock, as_utc, utc_now
from deepseek_fim.budget.daily import daily_json
from deepseek_fim.budget.grant import (
    GrantConfig,
    GrantStatus,
    compute_grant,
    day_start,
    grant_status,
)
from deepseek_fim.budget.ledger import LEDGER_FILE, DayRow, Ledger, LedgerError, Totals
from deepseek_fim.budget.numbers import decimal_text, money
from deepseek_fim.budget.payload import days_json, grant_json, price_check_json, summary_rows
from deepseek_fim.budget.price_check import PriceCheck, check_prices, pick_pair
from deepseek_fim.budget.prices import PriceTable

logger = logging.getLogger(__name__)


def _period_days(grant: GrantStatus) -> tuple[date, date] | None:
    end = min(grant.today, grant.expires_on - timedelta(days=1))
    return (grant.grant_start, end) if grant.grant_start <= end else None


def _collect(
    ledger: Ledger | None, config: GrantConfig, clock: Clock, prices: PriceTable
) -> tuple[GrantStatus, list[DayRow], PriceCheck | None]:
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
        return grant, days, None
    grant = grant_status(ledger, config, clock=clock, remember=False)
    period = _period_days(grant)
    check = price_check_from_ledger(ledger, config.currency, grant.grant_start, prices)
    return grant, [] if period is None else ledger.per_day(*period), check


def price_check_from_ledger(
    ledger: Ledger, currency: str, grant_start: date, prices: PriceTable
) -> PriceCheck | None:
    """Compare the grant period's balance answers with the ledger (see `price_check`)."""
    checks = ledger.balance_checks(currency, since=day_start(grant_start))
    pair = pick_pair(checks)
    if pair is None:
        return None
    return check_prices(checks, ledger.usage_rows(pair[0].at, pair[1].at), prices)


def _empty_days(start: date, end: date) -> list[DayRow]:
    return [
        DayRow(start + timedelta(days=i), 0, 0, 0, 0, {}) for i in range((end - start).days + 1)
    ]


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def usage_json(
    ledger: Ledger | None,
    config: GrantConfig,
    *,
    clock: Clock = utc_now,
    prices: PriceTable | None = None,
) -> dict[str, Any]:
    """Return the report as a JSON-ready dict (camelCase, like the `deepseekFim/budget` payload)."""
    grant, days, check = _collect(ledger, config, clock, prices or PriceTable())
    return {
        "ledger": None if ledger is None else str(ledger.path),
        **grant_json(grant),
        "tokens": {"hit": grant.hit, "miss": grant.miss, "output": grant.output},
        "otherCosts": {c: decimal_text(v) for c, v in sorted(grant.other_costs.items())},
        "grantStartSource": grant.start_source,
        "expired": grant.expired,
        "runsOutBeforeExpiry": grant.runs_out_before_expiry,
        "requests": grant.requests,
        "shown": grant.shown,
        "accepted": grant.accepted,
        "acceptanceRate": _ratio(grant.acceptance_rate),
        "priceCheck": price_check_json(check),
        "summary": summary_rows(grant, check),
        "days": days_json(days, grant.currency),
        "daily": daily_json(grant, days),
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def render_usage(
    ledger: Ledger | None,
    config: GrantConfig,
    *,
    clock: Clock = utc_now,
    prices: PriceTable | None = None,
) -> str:
    """Return the report as text for a terminal: the summary rows, then the per-day table."""
    grant, days, check = _collect(ledger, config, clock, prices or PriceTable())
    rows = [*summary_rows(grant, check)]
    rows.append(
        [
            "Accepted",
            f"{grant.accepted:,} of {grant.shown:,} shown ({_pct(grant.acceptance_rate)}); "
            f"{grant.requests:,} requests",
        ]
    )
    width = max(len(label) for label, _ in rows)
    lines = [f"DeepSeek grant (ledger: {ledger.path if ledger else 'none yet'})"]
    lines += [f"  {label:<{width}}  {text}" for label, text in rows]
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
    lines += ["", *(f"  {line}".rstrip() for line in render_chart(daily_json(grant, days)))]
    return "\n".join(lines) + "\n"


def run_usage_command(
    data_dir: str,
    json_output: bool,
    *,
    grant: GrantConfig | None = None,
    out: TextIO | None = None,
    clock: Clock = utc_now,
    prices: PriceTable | None = None,
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
            stream.write(
                json.dumps(usage_json(ledger, config, clock=clock, prices=prices), indent=2) + "\n"
            )
        else:
            stream.write(render_usage(ledger, config, clock=clock, prices=prices))
    except (LedgerError, OSError, ValueError, RuntimeError, sqlite3.Error) as exc:
        sys.stderr.write(f"deepseek-fim usage: cannot read the ledger: {exc}\n")
        return 1
    finally:
        if ledger is not None:
            ledger.close()
    return 0
