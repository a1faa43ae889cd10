from datetime import date
from decimal import Decimal

from deepseek_fim.budget.daily import daily_json
from deepseek_fim.budget.grant import GrantConfig, compute_grant
from deepseek_fim.budget.ledger import DayRow, Totals

START = date(2026, 11, 20)


def _row(day: int, hit: int, miss: int, output: int, requests: int = 1, cost: str = "0.001"):
    return DayRow(date(2026, 11, day), requests, hit, miss, output, {"USD": Decimal(cost)})


def _grant(rows: list[DayRow], today: date, config: GrantConfig | None = None):
    totals = Totals(
        requests=sum(r.requests for r in rows),
        hit=sum(r.hit for r in rows),
        miss=sum(r.miss for r in rows),
        output=sum(r.output for r in rows),
        cost_by_currency={"USD": sum((r.cost_by_currency["USD"] for r in rows), Decimal(0))},
    )
    return compute_grant(
        totals,
        rows,
        config=config or GrantConfig(start_date=START),
        grant_start=START,
        start_source="setting",
        today=today,
    )


def test_days_so_far_with_cumulative_totals_and_idle_days_filled():
    rows = [_row(20, 1000, 300, 20), _row(22, 0, 2000, 30)]
    daily = daily_json(_grant(rows, date(2026, 11, 23)), rows)
    assert daily["start"] == "2026-11-20"
    assert daily["end"] == "2026-12-19", "the last day the grant is valid"
    assert daily["today"] == "2026-11-23"
    assert [(d["date"], d["total"], d["cumulative"]) for d in daily["days"]] == [
        ("2026-11-20", 1320, 1320),
        ("2026-11-21", 0, 1320),
        ("2026-11-22", 2030, 3350),
        ("2026-11-23", 0, 3350),
    ]
    assert daily["days"][0] == {
        "date": "2026-11-20",
        "hit": 1000,
        "miss": 300,
        "output": 20,
        "total": 1320,
        "cumulative": 1320,
    }


def test_the_grant_in_tokens_is_used_plus_left_at_the_mix_as_the_status_says():
    rows = [_row(20, 1000, 300, 20), _row(22, 0, 2000, 30)]
    grant = _grant(rows, date(2026, 11, 23))
    daily = daily_json(grant, rows)
    assert daily["grantTokens"] == 3350 + grant.remaining_tokens
    assert daily["allowancePerDay"] == round(daily["grantTokens"] / 30)


def test_too_little_history_gives_no_forecast():
    rows = [_row(20, 1000, 300, 20), _row(22, 0, 2000, 30)]  # 2 requests
    grant = _grant(rows, date(2026, 11, 23))
    assert grant.forecast.kind == "tooLittleHistory"
    assert daily_json(grant, rows)["forecast"] is None
    assert daily_json(_grant([], date(2026, 11, 23)), [])["forecast"] is None


def test_a_grant_that_lasts_is_forecast_to_its_last_day_at_the_burn_rate():
    rows = [_row(d, 10_000, 2_000, 500, requests=10, cost="0.01") for d in (20, 21, 22)]
    grant = _grant(rows, date(2026, 11, 22))
    assert grant.forecast.kind == "lastsUntilExpiry"
    daily = daily_json(grant, rows)
    rate = grant.burn_tokens_per_day
    assert rate == 12_500
    assert daily["forecast"] == [
        {"date": "2026-11-22", "cumulative": 37_500},
        {"date": "2026-12-19", "cumulative": 37_500 + 12_500 * 27},
    ]


def test_a_grant_that_runs_out_is_forecast_to_the_run_out_day():
    rows = [_row(d, 10_000, 2_000, 500, requests=10, cost="1.00") for d in (20, 21, 22)]
    grant = _grant(rows, date(2026, 11, 22))
    assert grant.forecast.kind == "runsOut"
    daily = daily_json(grant, rows)
    assert daily["forecast"][-1]["date"] == grant.run_out_on.isoformat()
    assert daily["forecast"][-1]["cumulative"] <= daily["grantTokens"]


def test_no_forecast_after_expiry_and_only_the_grant_s_own_days():
    rows = [_row(20, 1000, 0, 0, requests=30)]
    daily = daily_json(_grant(rows, date(2026, 12, 25)), rows)
    assert daily["forecast"] is None
    assert len(daily["days"]) == 30
