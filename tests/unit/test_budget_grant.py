"""The grant in money: used, left, tokens at the user's mix, burn rate, forecast, reconciliation.

Expected figures are worked out by hand in the comments (prices per 1M tokens from
shared/deepseek-api.md), never taken from the code under test.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from deepseek_fim.budget.grant import (
    MIN_HISTORY_REQUESTS,
    Burn,
    GrantConfig,
    GrantStatus,
    burn_rate,
    compute_grant,
    forecast,
    grant_status,
)
from deepseek_fim.budget.ledger import BalanceCheck, DayRow, Ledger, Totals
from deepseek_fim.budget.prices import PriceTable

START = date(2026, 11, 20)
TODAY = date(2026, 11, 27)
EXPIRES = date(2026, 12, 20)
PRICES = PriceTable()


def _at(d: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC)


def _add(
    ledger: Ledger,
    at: datetime,
    hit: int,
    miss: int,
    output: int,
    *,
    model: str = "deepseek-chat",
    cost: Decimal | None = None,
    currency: str = "USD",
) -> None:
    ledger.record(
        model=model,
        hit=hit,
        miss=miss,
        output=output,
        cost=PRICES.cost(model, at, hit, miss, output) if cost is None else cost,
        currency=currency,
        outcome="shown",
        at=at,
    )


def _session(ledger: Ledger, model: str, *, weekday_peak: bool = False) -> None:
    """The issue's session: 134k hit, 82k miss, 1.1k output, as 100 requests over 3 days."""
    for day, count in ((25, 30), (26, 30), (27, 40)):
        for i in range(count):
            hour = 7 if weekday_peak else 12
            _add(ledger, _at(date(2026, 11, day), hour, i % 60), 1340, 820, 11, model=model)


# deepseek-chat (V3.2) 0.028 / 0.28 / 0.42:   134k x 0.028 + 82k x 0.28 + 1.1k x 0.42 = 0.027174
# deepseek-v4-flash   0.0028 / 0.14 / 0.28:   0.3752 + 11.48 + 0.308 (per 1e3)       = 0.0121632
# deepseek-flash off-peak 0.003 / 0.15 / 0.60: 0.402 + 12.3 + 0.66 (per 1e3)           = 0.013362
# deepseek-flash peak (x2, Wed 07:00 UTC):                                             = 0.026724
# Tokens left = (8.40 - cost) / (cost / 217,100), floored.
@pytest.mark.parametrize(
    ("model", "peak", "cost", "tokens_left"),
    [
        ("deepseek-chat", False, "0.027174", 66_892_637),
        ("deepseek-v4-flash", False, "0.0121632", 149_713_839),
        ("deepseek-flash", False, "0.013362", 136_262_468),
        ("deepseek-flash", True, "0.026724", 68_022_684),
    ],
)
def test_the_issues_session_at_several_price_tables(
    tmp_path: Path, model: str, peak: bool, cost: str, tokens_left: int
) -> None:
    with Ledger(tmp_path) as ledger:
        _session(ledger, model, weekday_peak=peak)
        status = grant_status(ledger, GrantConfig(start_date=START), clock=lambda: _at(TODAY, 18))
    assert (status.hit, status.miss, status.output) == (134_000, 82_000, 1_100)
    assert status.used == status.ledger_cost == Decimal(cost)
    assert status.remaining == Decimal("8.40") - Decimal(cost)
    assert status.amount == Decimal("8.40") and status.currency == "USD"
    assert status.remaining_tokens == tokens_left
    assert status.tokens_basis == "recent"
    # 3 calendar days of use in the window (11-25..11-27)
    assert status.burn_rate_per_day == Decimal(cost) / 3
    assert status.burn_tokens_per_day == pytest.approx(217_100 / 3)
    assert status.forecast.kind == "lastsUntilExpiry" and status.run_out_on is None


def test_money_reading_lasts_thirteen_times_the_token_reading(tmp_path: Path) -> None:
    # The issue's point: 5M tokens / 217,100 = 23 sessions; USD 8.40 / 0.027174 = 309 sessions.
    with Ledger(tmp_path) as ledger:
        _session(ledger, "deepseek-chat")
        status = grant_status(ledger, GrantConfig(start_date=START), clock=lambda: _at(TODAY, 18))
    sessions_left = status.remaining_tokens / 217_100
    assert 308 < sessions_left < 309  # plus the one already spent: 309
    assert sessions_left / (5_000_000 / 217_100) > 13


def test_hits_cost_a_tenth_of_misses_so_a_hit_mix_lasts_ten_times_longer() -> None:
    def tokens_left(hit: int, miss: int) -> int:
        cost = PRICES.cost("deepseek-chat", _at(TODAY), hit, miss, 0)
        totals = Totals(requests=30, hit=hit, miss=miss, cost_by_currency={"USD": cost})
        rows = [DayRow(TODAY - timedelta(days=1), 30, hit, miss, 0, {"USD": cost})]
        return _status(totals, rows).remaining_tokens

    all_hits, all_misses = tokens_left(1_000_000, 0), tokens_left(0, 1_000_000)
    # 8.40 - 0.028 left at 0.028 per 1M = 299M; 8.40 - 0.28 left at 0.28 per 1M = 29M
    assert all_hits == 299_000_000
    assert all_misses == 29_000_000


def test_output_costs_more_than_input() -> None:
    # 1M output tokens at 0.42 on deepseek-chat: 8.40 - 0.42 = 7.98 left = 19M output tokens.
    cost = PRICES.cost("deepseek-chat", _at(TODAY), 0, 0, 1_000_000)
    assert cost == Decimal("0.42")
    totals = Totals(requests=30, output=1_000_000, cost_by_currency={"USD": cost})
    rows = [DayRow(TODAY - timedelta(days=1), 30, 0, 0, 1_000_000, {"USD": cost})]
    status = _status(totals, rows)
    assert status.remaining == Decimal("7.98")
    assert status.remaining_tokens == 19_000_000


def _status(
    totals: Totals,
    days: list[DayRow] | None = None,
    today: date = TODAY,
    config: GrantConfig | None = None,
    balance: BalanceCheck | None = None,
    since: Decimal = Decimal(0),
) -> GrantStatus:
    return compute_grant(
        totals,
        days or [],
        config=config or GrantConfig(),
        grant_start=START,
        start_source="firstRun",
        today=today,
        balance=balance,
        ledger_since_balance=since,
    )


def test_no_use_yet_shows_the_advertised_tokens() -> None:
    status = _status(Totals())
    assert (status.used, status.remaining, status.remaining_ratio) == (0, Decimal("8.40"), 1.0)
    assert (status.remaining_tokens, status.tokens_basis) == (5_000_000, "advertised")
    assert status.burn_rate_per_day is None and status.forecast.kind == "noUse"
    assert status.cache_hit_ratio is None and status.acceptance_rate is None


def test_low_and_exhausted_are_money() -> None:
    # 20% of 8.40 is 1.68: 6.72 used leaves exactly 20% (not low); a femto more is low.
    assert not _status(Totals(cost_by_currency={"USD": Decimal("6.72")})).low
    assert _status(Totals(cost_by_currency={"USD": Decimal("6.72000001")})).low
    # Four million cache-miss tokens were "80% used" by the token count; in money they are 1.12.
    many_tokens = _status(Totals(miss=4_000_001, cost_by_currency={"USD": Decimal("1.12")}))
    assert not many_tokens.low and many_tokens.used_ratio == pytest.approx(1.12 / 8.40)
    spent = _status(Totals(requests=3, cost_by_currency={"USD": Decimal("8.7")}))
    assert spent.exhausted and spent.low
    assert spent.remaining == 0 and spent.remaining_tokens == 0
    assert spent.used_ratio == pytest.approx(8.7 / 8.40)
    assert spent.forecast.kind == "exhausted" and spent.run_out_on == TODAY


def test_expiry_boundaries() -> None:
    last_day = _status(Totals(), today=date(2026, 12, 19))
    assert (last_day.days_left, last_day.expired) == (1, False)
    expiry = _status(Totals(), today=EXPIRES)
    assert (expiry.days_left, expiry.expired, expiry.forecast.kind) == (0, True, "expired")


def test_costs_in_other_currencies_are_kept_apart() -> None:
    totals = Totals(cost_by_currency={"CNY": Decimal("0.5"), "USD": Decimal("0.1")})
    status = _status(totals)
    assert (status.currency, status.used) == ("USD", Decimal("0.1"))
    assert status.other_costs == {"CNY": Decimal("0.5")}
    cny = _status(totals, config=GrantConfig(amount=Decimal("60"), currency="CNY"))
    assert (cny.currency, cny.used, cny.remaining) == ("CNY", Decimal("0.5"), Decimal("59.5"))


def test_tokens_only_setting_scales_the_amount_at_the_advertised_rate() -> None:
    # 10M tokens at USD 8.40 per 5M = USD 16.80; 100,000 tokens = USD 0.168.
    assert GrantConfig(tokens=10_000_000).money == Decimal("16.80")
    assert GrantConfig(tokens=100_000).money == Decimal("0.168")
    assert GrantConfig(tokens=1).money == Decimal("0.00000168")  # never rounded to nothing
    assert GrantConfig(tokens=10_000_000, amount=Decimal("5")).money == Decimal("5")
    status = _status(Totals(), config=GrantConfig(tokens=10_000_000))
    assert status.remaining_tokens == 10_000_000 and status.amount_source == "tokens"


# --- burn rate and forecast -------------------------------------------------------------------


def _day(d: date, cost: str, requests: int = 30, tokens: int = 10_000) -> DayRow:
    return DayRow(d, requests, 0, tokens, 0, {"USD": Decimal(cost)})


def test_burn_rate_counts_idle_days_after_first_use() -> None:
    days = [_day(date(2026, 11, 21), "0.7"), _day(date(2026, 11, 24), "0.7")]
    burn = burn_rate(days, TODAY, "USD")
    assert burn is not None
    # window 11-21..11-27, first use 11-21: 1.40 over 7 days
    assert burn.money_per_day == Decimal("0.2") and burn.enough_history


def test_burn_rate_ignores_use_before_the_window() -> None:
    days = [_day(date(2026, 11, 1), "9"), _day(date(2026, 11, 26), "0.3")]
    burn = burn_rate(days, TODAY, "USD", used_before_window=True)
    assert burn is not None and burn.money_per_day == Decimal("0.15")  # 11-26..11-27


def test_burn_rate_none_without_use_and_zero_without_recent_use() -> None:
    assert burn_rate([], TODAY, "USD") is None
    old = burn_rate([_day(date(2026, 11, 1), "5")], TODAY, "USD", used_before_window=True)
    assert old is not None and old.money_per_day == 0


def test_runs_out_before_expiry_on_the_right_day() -> None:
    # 2.00 left at 0.30 a day: 6.67 days -> runs out during the 6th day after today.
    status = _status(
        Totals(requests=60, miss=1_000, cost_by_currency={"USD": Decimal("6.40")}),
        [_day(TODAY - timedelta(days=1), "0.3"), _day(TODAY, "0.3")],
    )
    assert status.remaining == Decimal("2.00")
    assert status.forecast.kind == "runsOut"
    assert status.run_out_on == TODAY + timedelta(days=6)
    assert status.runs_out_before_expiry is True


def test_the_run_out_date_is_never_past_expiry() -> None:
    # 8.30 left at 0.05 a day would be 166 days: past 2026-12-20, so "lasts until expiry".
    status = _status(
        Totals(requests=60, miss=1_000, cost_by_currency={"USD": Decimal("0.10")}),
        [_day(TODAY - timedelta(days=1), "0.05"), _day(TODAY, "0.05")],
    )
    assert status.forecast.kind == "lastsUntilExpiry"
    assert status.run_out_on is None and status.runs_out_before_expiry is False
    # Exactly at expiry (23 days left, 23 days of money) also lasts.
    assert forecast(Decimal("2.3"), Burn(Decimal("0.1"), 1.0, True), TODAY, EXPIRES).kind == (
        "lastsUntilExpiry"
    )
    one_less = forecast(Decimal("2.2"), Burn(Decimal("0.1"), 1.0, True), TODAY, EXPIRES)
    assert one_less.run_out_on == date(2026, 12, 19)


def test_a_94_token_history_gives_no_forecast() -> None:
    # The issue-11 case: one request of 94 tokens "ran out on 2172-07-15".
    cost = PRICES.cost("deepseek-chat", _at(TODAY), 0, 90, 4)
    status = _status(
        Totals(requests=1, miss=90, output=4, cost_by_currency={"USD": cost}),
        [DayRow(TODAY, 1, 0, 90, 4, {"USD": cost})],
    )
    assert status.forecast.kind == "tooLittleHistory" and status.run_out_on is None


def test_a_forecast_needs_enough_requests_and_more_than_today() -> None:
    enough = MIN_HISTORY_REQUESTS
    today_only = burn_rate([_day(TODAY, "1", requests=500)], TODAY, "USD")
    assert today_only is not None and not today_only.enough_history
    few = burn_rate([_day(TODAY - timedelta(days=3), "1", requests=enough - 1)], TODAY, "USD")
    assert few is not None and not few.enough_history
    ok = burn_rate([_day(TODAY - timedelta(days=3), "1", requests=enough)], TODAY, "USD")
    assert ok is not None and ok.enough_history
    # Use before the window makes a today-only window enough.
    returning = burn_rate(
        [_day(TODAY, "1", requests=enough)], TODAY, "USD", used_before_window=True
    )
    assert returning is not None and returning.enough_history


@pytest.mark.parametrize("amount", ["1000000000", "999999999.99"])
def test_huge_grants_do_not_overflow_the_forecast(amount: str) -> None:
    config = GrantConfig(amount=Decimal(amount), tokens=10**12, days=3650)
    status = _status(
        Totals(requests=60, output=1, cost_by_currency={"USD": Decimal("0.000001")}),
        [_day(TODAY - timedelta(days=1), "0.0000005"), _day(TODAY, "0.0000005")],
        config=config,
    )
    assert status.forecast.kind == "lastsUntilExpiry"
    assert status.remaining_tokens > 10**12


def test_a_huge_rate_runs_out_today() -> None:
    status = _status(
        Totals(requests=60, miss=1, cost_by_currency={"USD": Decimal("1")}),
        [_day(TODAY - timedelta(days=1), "1000"), _day(TODAY, "1000")],
    )
    assert status.run_out_on == TODAY


# --- reconciliation with the balance ----------------------------------------------------------


def _check(at: datetime, granted: str, currency: str = "USD") -> BalanceCheck:
    return BalanceCheck(at, currency, True, Decimal(granted), Decimal(granted), Decimal(0))


def test_the_balance_is_the_authority(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        _add(ledger, _at(date(2026, 11, 25)), 0, 1_000_000, 0)  # 0.28
        ledger.record_balance(_check(_at(date(2026, 11, 26)), "7.50"))  # the key spent elsewhere
        _add(ledger, _at(date(2026, 11, 27), 9), 0, 500_000, 0)  # 0.14, after the check
        status = grant_status(ledger, GrantConfig(start_date=START), clock=lambda: _at(TODAY, 18))
    assert status.ledger_cost == Decimal("0.42")
    # 7.50 at the check, less the 0.14 recorded since
    assert status.remaining == Decimal("7.36")
    assert status.used == Decimal("1.04")
    rec = status.reconciliation
    assert rec is not None
    assert (rec.granted, rec.ledger_since) == (Decimal("7.50"), Decimal("0.14"))
    assert rec.unrecorded == Decimal("0.62")  # 1.04 by the balance - 0.42 by the ledger
    # tokens at the mix: 0.28 per 1M misses -> 7.36 / 0.28 = 26.28M
    assert status.remaining_tokens == 26_285_714


def test_the_newest_balance_of_the_grant_currency_and_period_counts(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        ledger.record_balance(_check(_at(START - timedelta(days=1)), "1.00"))  # before the grant
        ledger.record_balance(_check(_at(date(2026, 11, 26)), "60.00", "CNY"))
        assert (
            grant_status(
                ledger, GrantConfig(start_date=START), clock=lambda: _at(TODAY)
            ).reconciliation
            is None
        )
        ledger.record_balance(_check(_at(date(2026, 11, 22)), "8.20"))
        ledger.record_balance(_check(_at(date(2026, 11, 23)), "8.10"))
        status = grant_status(ledger, GrantConfig(start_date=START), clock=lambda: _at(TODAY))
    assert status.remaining == Decimal("8.10")


def test_a_balance_above_the_grant_setting_raises_the_grant() -> None:
    status = _status(Totals(), balance=_check(_at(TODAY), "10.00"))
    assert (status.amount, status.amount_source) == (Decimal("10.00"), "balance")
    assert status.remaining == Decimal("10.00") and status.remaining_ratio == 1.0
    assert status.used == 0
    # 9.00 at the check, 2.00 recorded in the period, 0.50 of it after the check:
    # the grant was at least 9.00 + 1.50 = 10.50; 8.50 is left; 2.00 used.
    status = _status(
        Totals(requests=5, miss=1, cost_by_currency={"USD": Decimal("2.00")}),
        balance=_check(_at(TODAY), "9.00"),
        since=Decimal("0.50"),
    )
    assert (status.amount, status.remaining, status.used) == (
        Decimal("10.50"),
        Decimal("8.50"),
        Decimal("2.00"),
    )


def test_a_zero_granted_balance_is_exhausted() -> None:
    status = _status(Totals(), balance=_check(_at(TODAY), "0.00"))
    assert status.exhausted and status.forecast.kind == "exhausted"


# --- start date -------------------------------------------------------------------------------


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


def test_use_only_before_the_window_gives_no_recent_use(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        _add(ledger, _at(date(2026, 11, 2)), 0, 1000, 0)
        status = grant_status(
            ledger, GrantConfig(start_date=date(2026, 11, 1)), clock=lambda: _at(TODAY)
        )
    assert status.used_tokens == 1000
    assert status.burn_rate_per_day == 0
    assert status.forecast.kind == "noRecentUse" and status.run_out_on is None
    assert status.tokens_basis == "period"
