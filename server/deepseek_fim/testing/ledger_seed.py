"""Seed a ledger with past spending, for the pacing tests and benchmark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from deepseek_fim.budget.ledger import Ledger


def seed_daily_spending(data_dir: str, per_day: Decimal, days: int = 5) -> None:
    """Record `days` days of use at `per_day` USD (ten requests a day), the grant started then."""
    now = datetime.now(UTC)
    with Ledger(data_dir) as ledger:
        ledger.grant_start((now - timedelta(days=days)).date())
        for days_ago in range(1, days + 1):
            for n in range(10):
                ledger.record(
                    model="deepseek-flash",
                    hit=100_000,
                    miss=100_000,
                    output=1_000,
                    cost=per_day / 10,
                    currency="USD",
                    outcome="shown",
                    at=now - timedelta(days=days_ago, minutes=n),
                )
