from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from deepseek_fim.budget.prices import DEFAULT_PRICES, FALLBACK_ROW, PriceRow, PriceTable

MONDAY = datetime(2026, 9, 14, tzinfo=UTC)  # a Monday
SATURDAY = datetime(2026, 9, 19, tzinfo=UTC)


def test_cost_deepseek_chat_hand_computed() -> None:
    # (1280 x 0.028 + 70 x 0.28 + 12 x 0.42) / 1e6 = (35.84 + 19.6 + 5.04) / 1e6
    cost = PriceTable().cost("deepseek-chat", MONDAY, hit=1280, miss=70, output=12)
    assert cost == Decimal("0.00006048")


def test_cost_v4_flash_hand_computed() -> None:
    # (1280 x 0.0028 + 70 x 0.14 + 12 x 0.28) / 1e6 = (3.584 + 9.8 + 3.36) / 1e6
    cost = PriceTable().cost("deepseek-v4-flash", MONDAY, hit=1280, miss=70, output=12)
    assert cost == Decimal("0.000016744")


def test_cost_is_exact_for_large_counts() -> None:
    cost = PriceTable().cost("deepseek-v4-flash", MONDAY, hit=3, miss=0, output=0)
    assert cost == Decimal("0.0000000084")
    assert PriceTable().cost("deepseek-chat", MONDAY, 0, 5_000_000, 0) == Decimal("1.4")


@pytest.mark.parametrize(
    ("moment", "peak"),
    [
        (MONDAY.replace(hour=0, minute=59), False),
        (MONDAY.replace(hour=1), True),
        (MONDAY.replace(hour=3, minute=59), True),
        (MONDAY.replace(hour=4), False),
        (MONDAY.replace(hour=5, minute=59), False),
        (MONDAY.replace(hour=6), True),
        (MONDAY.replace(hour=9, minute=59), True),
        (MONDAY.replace(hour=10), False),
        (MONDAY.replace(hour=1) + timedelta(days=4), True),  # Friday
        (SATURDAY.replace(hour=2), False),
        (SATURDAY.replace(hour=7) + timedelta(days=1), False),  # Sunday
        # 03:30 at UTC+2 is 01:30 UTC: peak.
        (datetime(2026, 9, 14, 3, 30, tzinfo=timezone(timedelta(hours=2))), True),
    ],
)
def test_flash_peak_hours(moment: datetime, peak: bool) -> None:
    # off-peak: (1280 x 0.003 + 70 x 0.15 + 12 x 0.60) / 1e6 = 21.54e-6; peak doubles it
    cost = PriceTable().cost("deepseek-flash", moment, hit=1280, miss=70, output=12)
    assert cost == (Decimal("0.00004308") if peak else Decimal("0.00002154"))


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        PriceTable().row("deepseek-flash", datetime(2026, 9, 14, 2))


def test_unknown_model_uses_documented_fallback() -> None:
    table = PriceTable()
    assert table.row("deepseek-coder-9000", MONDAY) == FALLBACK_ROW
    assert DEFAULT_PRICES["deepseek-chat"].row == FALLBACK_ROW


def test_override_numbers_and_strings_and_currency() -> None:
    table = PriceTable({"deepseek-chat": {"hit": 0.1, "miss": "1", "output": 2, "currency": "cny"}})
    row = table.row("deepseek-chat", MONDAY)
    assert row == PriceRow(Decimal("0.1"), Decimal(1), Decimal(2), "CNY")
    assert table.cost("deepseek-chat", MONDAY, 10, 10, 10) == Decimal("0.000031")
    assert table.problems == []


def test_partial_override_keeps_the_other_prices() -> None:
    row = PriceTable({"deepseek-v4-flash": {"output": "0.5"}}).row("deepseek-v4-flash", MONDAY)
    assert row == PriceRow(Decimal("0.0028"), Decimal("0.14"), Decimal("0.5"), "USD")


def test_override_removes_peak_surcharge() -> None:
    table = PriceTable({"deepseek-flash": {"hit": "0.003"}})
    assert table.row("deepseek-flash", MONDAY.replace(hour=2)) == table.row(
        "deepseek-flash", MONDAY.replace(hour=12)
    )


def test_override_of_new_model_and_default_row() -> None:
    table = PriceTable({"my-model": {"miss": "3"}, "default": {"output": "9"}})
    assert table.row("my-model", MONDAY).miss == Decimal(3)
    assert table.row("my-model", MONDAY).hit == FALLBACK_ROW.hit
    assert table.row("other", MONDAY).output == Decimal(9)


@pytest.mark.parametrize(
    "raw", [{"hit": "abc"}, {"miss": -1}, {"output": True}, {"hit": "NaN"}, {"currency": ""}]
)
def test_invalid_override_is_ignored_and_reported(raw: dict[str, object]) -> None:
    table = PriceTable({"deepseek-chat": raw})
    assert table.row("deepseek-chat", MONDAY) == DEFAULT_PRICES["deepseek-chat"].row
    assert len(table.problems) == 1
    assert table.problems[0].startswith("prices.deepseek-chat:")


def test_override_that_is_not_an_object() -> None:
    table = PriceTable({"deepseek-chat": "cheap"})  # type: ignore[dict-item]
    assert table.problems == ["prices.deepseek-chat: must be an object"]
