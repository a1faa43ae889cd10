"""The price table checked against a day of balance deltas (hand-computed cases)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from deepseek_fim.budget.ledger import BalanceCheck, UsageRow
from deepseek_fim.budget.payload import price_check_text
from deepseek_fim.budget.price_check import check_prices, pick_pair
from deepseek_fim.budget.prices import PriceTable

T0 = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)  # a Saturday: no peak hours
PRICES = PriceTable()


def _check(at: datetime, granted: str) -> BalanceCheck:
    return BalanceCheck(at, "USD", True, Decimal(granted), Decimal(granted), Decimal("0.00"))


def _rows(model: str = "deepseek-v4-flash") -> list[UsageRow]:
    # 10M hit, 5M miss, 100k output at V4-Flash 0.0028 / 0.14 / 0.28:
    # 0.028 + 0.70 + 0.028 = 0.756 USD
    at = T0 + timedelta(hours=3)
    cost = PRICES.cost(model, at, 10_000_000, 5_000_000, 100_000)
    return [UsageRow(at, model, 10_000_000, 5_000_000, 100_000, cost, "USD")]


def test_a_table_that_agrees_within_ten_percent() -> None:
    checks = [_check(T0, "8.40"), _check(T0 + timedelta(days=1), "7.64")]  # fell 0.76
    result = check_prices(checks, _rows(), PRICES)
    assert result is not None
    assert (result.measured, result.ledger) == (Decimal("0.76"), Decimal("0.756"))
    assert not result.disagrees


def test_a_table_that_is_thirty_percent_low_is_reported_with_measured_prices() -> None:
    checks = [_check(T0, "8.40"), _check(T0 + timedelta(hours=30), "7.42")]  # fell 0.98
    result = check_prices(checks, _rows(), PRICES)
    assert result is not None and result.disagrees
    ratio = Decimal("0.98") / Decimal("0.756")  # 1.2963
    assert result.ratio == ratio
    assert result.tokens == {"hit": 10_000_000, "miss": 5_000_000, "output": 100_000}
    assert result.effective is not None
    # each kind's table price x 1.2963 (one delta cannot tell the kinds apart)
    assert float(result.effective["hit"]) == pytest.approx(0.0028 * 1.2963, rel=1e-4)
    assert float(result.effective["miss"]) == pytest.approx(0.14 * 1.2963, rel=1e-4)
    assert float(result.effective["output"]) == pytest.approx(0.28 * 1.2963, rel=1e-4)
    text = price_check_text(result)
    assert "the balance fell by 0.98 USD" in text and "0.756 USD (+30%)" in text
    assert "miss 0.1815" in text and "deepseekFim.prices" in text


def test_peak_rows_are_priced_at_the_peak_table() -> None:
    # deepseek-flash on a Monday 07:00 UTC: peak row 0.006 / 0.30 / 1.20 -> 0.06 + 1.5 + 0.12
    monday = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    cost = PRICES.cost("deepseek-flash", monday, 10_000_000, 5_000_000, 100_000)
    assert cost == Decimal("1.68")
    rows = [UsageRow(monday, "deepseek-flash", 10_000_000, 5_000_000, 100_000, cost, "USD")]
    checks = [
        _check(monday - timedelta(hours=1), "8.40"),
        _check(monday + timedelta(days=1), "6.72"),
    ]
    result = check_prices(checks, rows, PRICES)
    assert result is not None and not result.disagrees
    assert result.effective is not None and result.effective["miss"] == Decimal("0.30")


def test_spending_below_ten_balance_steps_is_not_judged() -> None:
    # 0.09 is under 10 x 0.01: the two-decimal rounding alone could make 10%.
    rows = [
        UsageRow(T0 + timedelta(hours=1), "deepseek-chat", 0, 300_000, 0, Decimal("0.084"), "USD")
    ]
    checks = [_check(T0, "8.40"), _check(T0 + timedelta(days=1), "8.31")]
    assert check_prices(checks, rows, PRICES) is None


def test_balance_falling_with_nothing_in_the_ledger_disagrees() -> None:
    checks = [_check(T0, "8.40"), _check(T0 + timedelta(days=1), "8.00")]
    result = check_prices(checks, [], PRICES)
    assert result is not None and result.disagrees and result.ratio is None
    assert result.effective is None
    assert "with no cost in the ledger" in price_check_text(result)


def test_pairs_need_a_day_and_money_left() -> None:
    assert pick_pair([_check(T0, "8.40")]) is None
    assert pick_pair([_check(T0, "8.40"), _check(T0 + timedelta(hours=23), "8.00")]) is None
    pair = pick_pair(
        [
            _check(T0, "8.40"),
            _check(T0 + timedelta(hours=2), "8.30"),
            _check(T0 + timedelta(hours=26), "8.00"),
            _check(T0 + timedelta(hours=27), "7.90"),
        ]
    )
    assert pair is not None
    # the latest, and the newest one at least a day before it
    assert (pair[0].granted, pair[1].granted) == (Decimal("8.30"), Decimal("7.90"))
    spent = [_check(T0, "8.40"), _check(T0 + timedelta(days=2), "0.00")]
    assert pick_pair(spent) is None  # after the grant, spending comes from the topped-up part


def test_a_top_up_between_checks_is_not_a_negative_price() -> None:
    checks = [_check(T0, "1.00"), _check(T0 + timedelta(days=1), "8.40")]
    assert check_prices(checks, _rows(), PRICES) is None


def test_rows_outside_the_pair_and_other_currencies_are_ignored() -> None:
    rows = [
        *_rows(),
        UsageRow(T0 - timedelta(hours=1), "deepseek-chat", 0, 1_000_000, 0, Decimal("0.28"), "USD"),
        UsageRow(T0 + timedelta(hours=1), "deepseek-chat", 0, 1_000_000, 0, Decimal("2"), "CNY"),
    ]
    checks = [_check(T0, "8.40"), _check(T0 + timedelta(days=1), "7.64")]
    result = check_prices(checks, rows, PRICES)
    assert result is not None and result.ledger == Decimal("0.756")
