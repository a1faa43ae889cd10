"""A balance answered after a request it does not include: the request still comes off it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from deepseek_fim.budget_tracker import BudgetTracker
from deepseek_fim.deepseek.models import Balance, BalanceInfo, Usage
from deepseek_fim.settings import Settings

ASKED = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_usage_recorded_while_a_balance_check_is_on_its_way_still_counts(tmp_path: Path) -> None:
    clock = [ASKED]
    settings = Settings(data_dir=str(tmp_path), api_key="sk-fake-unit-key")
    budget = BudgetTracker(settings, on_change=lambda: None, clock=lambda: clock[0])
    try:
        asked_at = budget.now()  # the check is sent ...
        clock[0] = ASKED + timedelta(seconds=1)
        record = budget.record(  # ... a completion is billed and recorded meanwhile ...
            model="deepseek-chat", usage=Usage(0, 30_000, 50), latency_ms=300, outcome="shown"
        )
        clock[0] = ASKED + timedelta(seconds=2)
        # ... and the answer, computed before that billing, arrives after it.
        before = Balance(True, (BalanceInfo("USD", Decimal("8.40"), Decimal("8.40"), Decimal(0)),))
        budget.on_balance(before, asked_at)
        payload = budget.payload()
        assert record.cost is not None and record.cost > 0
        assert Decimal(payload["remainingAmount"]) == Decimal("8.40") - record.cost
    finally:
        budget.close()
