from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from deepseek_fim.budget.grant import (
    GrantConfig,
    GrantStatus,
    burn_rate,
    compute_grant,
    grant_status,
    run_out_date,
)
from deepseek_fim.budget.ledger import DayRow, Ledger, Totals

START = date(2026, 11, 20)
TODAY = date(2026, 11, 27)


def _day(d: date, tokens: int) -> DayRow:
    return DayRow(d, 1, 0, tokens, 0, {})


def _at(d: date, hour: int = 12) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def _add(ledger: Ledger, d: date, hit: int, miss: int, output: int, cost: str = "0") -> None:
    ledger.record(
        model="deepseek-chat",
        hit=hit,
        miss=miss,
        output=output,
        cost=Decimal(cost),
        currency="USD",
        outcome="shown",
        at=_at(d),
    )


def test_hand_computed_case_from_the_ledger(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        _add(ledger, START, 60_000, 30_000, 10_000, "0.0112")  # 100,000 tokens
        _add(ledger, date(2026, 11, 25), 150_000, 40_000, 10_000, "0.02")  # 200,000
        _add(ledger, TODAY, 40_000, 9_000, 1_000, "0.003")  # 50,000
        _add(ledger, START - timedelta(days=1), 1, 1, 1, "9")  # before the grant: ignored
        status = grant_status(ledger, GrantConfig(start_date=START), clock=lambda: _at(TODAY, 18))
    assert status.used_tokens == 350_000
    assert (status.hit, status.miss, status.output) == (250_000, 79_000, 21_000)
    assert status.remaining_tokens == 4_650_000
    assert status.remaining_ratio == pytest.approx(0.93)
    assert status.cost == Decimal("0.0342")
    assert status.currency == "USD"
    assert status.expires_on == date(2026, 12, 20)
    assert status.days_left == 23
    assert not status.expired
    # Window 11-21..11-27 with first use on 11-25: 250,000 tokens over 3 calendar days.
    assert status.burn_rate_per_day == pytest.approx(250_000 / 3)
    # 4,650,000 / 83,333.3 = 55.8 days -> the 55th day after today.
    assert status.run_out_on == date(2027, 1, 21)
    assert status.runs_out_before_expiry is False
    assert status.cache_hit_ratio == pytest.approx(250_000 / 329_000)
    assert status.start_source == "setting"


def test_burn_rate_counts_idle_days_after_first_use() -> None:
    days = [_day(date(2026, 11, 21), 70_000), _day(date(2026, 11, 24), 70_000)]
    # window 11-21..11-27, first use 11-21: 140,000 over 7 days
    assert burn_rate(days, TODAY) == pytest.approx(20_000)


def test_burn_rate_ignores_use_before_the_window() -> None:
    days = [_day(date(2026, 11, 1), 1_000_000), _day(date(2026, 11, 26), 30_000)]
    assert burn_rate(days, TODAY) == pytest.approx(15_000)  # 11-26..11-27


def test_burn_rate_none_without_use_and_zero_without_recent_use() -> None:
    assert burn_rate([], TODAY) is None
    assert burn_rate([_day(TODAY, 0)], TODAY) is None
    assert burn_rate([_day(date(2026, 11, 1), 5)], TODAY) == 0.0
    assert burn_rate([], TODAY, any_use=True) == 0.0


def test_burn_rate_on_the_first_day() -> None:
    assert burn_rate([_day(TODAY, 12_345)], TODAY) == 12_345


def test_run_out_date() -> None:
    assert run_out_date(1000, None, TODAY) is None
    assert run_out_date(1000, 0.0, TODAY) is None
    assert run_out_date(0, None, TODAY) == TODAY
    assert run_out_date(1000, 1000.0, TODAY) == TODAY + timedelta(days=1)
    assert run_out_date(999, 1000.0, TODAY) == TODAY
    assert run_out_date(10_000, 3000.0, TODAY) == TODAY + timedelta(days=3)


def _status(totals: Totals, today: date = TODAY, config: GrantConfig | None = None) -> GrantStatus:
    return compute_grant(
        totals,
        [],
        config=config or GrantConfig(),
        grant_start=START,
        start_source="firstRun",
        today=today,
    )


def test_all_token_kinds_count_against_the_grant() -> None:
    status = _status(Totals(requests=1, hit=1_000_000, miss=2_000_000, output=500_000))
    assert status.used_tokens == 3_500_000
    assert status.remaining_tokens == 1_500_000
    assert status.remaining_ratio == pytest.approx(0.3)
    assert not status.low


def test_no_use_yet() -> None:
    status = _status(Totals())
    assert (status.used_tokens, status.remaining_tokens, status.remaining_ratio) == (
        0,
        5_000_000,
        1.0,
    )
    assert status.burn_rate_per_day is None and status.run_out_on is None
    assert status.cost == 0 and status.currency == "USD"
    assert status.cache_hit_ratio is None and status.acceptance_rate is None


def test_overspent_grant() -> None:
    status = _status(Totals(requests=3, miss=5_200_000))
    assert status.remaining_tokens == 0
    assert status.remaining_ratio == 0.0
    assert status.exhausted and status.low
    assert status.run_out_on == TODAY
    assert status.used_ratio == pytest.approx(1.04)


def test_low_below_twenty_percent() -> None:
    assert _status(Totals(miss=4_000_001)).low
    assert not _status(Totals(miss=4_000_000)).low


def test_expiry_boundaries() -> None:
    last_day = _status(Totals(), today=date(2026, 12, 19))
    assert (last_day.days_left, last_day.expired) == (1, False)
    expiry = _status(Totals(), today=date(2026, 12, 20))
    assert (expiry.days_left, expiry.expired) == (0, True)
    later = _status(Totals(), today=date(2027, 1, 5))
    assert (later.days_left, later.expired) == (0, True)


def test_custom_grant_size_and_days() -> None:
    status = _status(Totals(output=250), config=GrantConfig(tokens=1000, days=10))
    assert status.remaining_tokens == 750
    assert status.expires_on == date(2026, 11, 30)
    assert status.days_left == 3


def test_main_currency_and_other_costs() -> None:
    totals = Totals(cost_by_currency={"CNY": Decimal("0.5"), "USD": Decimal("0.1")})
    status = _status(totals)
    assert (status.currency, status.cost) == ("CNY", Decimal("0.5"))
    assert status.other_costs == {"USD": Decimal("0.1")}


def test_first_run_start_is_remembered(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        first = grant_status(ledger, GrantConfig(), clock=lambda: _at(START))
        later = grant_status(ledger, GrantConfig(), clock=lambda: _at(TODAY))
    assert first.grant_start == later.grant_start == START
    assert later.start_source == "firstRun"
    assert later.days_left == 23


def test_report_mode_does_not_remember(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        status = grant_status(ledger, GrantConfig(), clock=lambda: _at(TODAY), remember=False)
        assert status.start_source == "today"
        assert status.grant_start == TODAY
        assert ledger.remembered_grant_start() is None


def test_setting_overrides_remembered_start(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        grant_status(ledger, GrantConfig(), clock=lambda: _at(TODAY))
        status = grant_status(
            ledger, GrantConfig(start_date=date(2026, 11, 1)), clock=lambda: _at(TODAY)
        )
    assert (status.grant_start, status.start_source) == (date(2026, 11, 1), "setting")
    assert status.days_left == 4


def test_use_only_before_the_window_gives_no_forecast(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        _add(ledger, date(2026, 11, 2), 0, 1000, 0)
        status = grant_status(
            ledger, GrantConfig(start_date=date(2026, 11, 1)), clock=lambda: _at(TODAY)
        )
    assert status.used_tokens == 1000
    assert status.burn_rate_per_day == 0.0
    assert status.run_out_on is None
